/*
 * nverify - probe a notice's hosts before it goes out; see nverify.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "nverify.h"
#include "probe.h"
#include "probe_net.h"
#include "probe_policy.h"
#include "probe_run.h"
#include "probe_setup.h"

/* Keys remembered for "logged once": beyond this many the memory starts
 * afresh (a line may then be logged again, never lost). */
#define NVERIFY_LOGGED_MAX 4096

struct nverify {
	const cfg_t *cfg;		/* borrowed */
	struct probe_settings s;
	struct probe_limits l;
	bool require, stored_only;
	size_t max_hosts;
	long long budget_ms, pass_start_ms;
	struct nverify_stats st;
	char **logged;			/* "WINDOW|NETKEY|ADDRESS" already logged */
	size_t n_logged;
};

int nverify_new(const cfg_t *cfg, bool stored_only, nverify_t **v_r, char **error_r)
{
	nverify_t *v;
	char *err = NULL;

	*v_r = NULL;
	if (!cfg_bool(cfg, CFG_NOTIFY_VERIFY))
		return 0;
	v = xcalloc(1, sizeof(*v));
	v->cfg = cfg;
	v->require = cfg_bool(cfg, CFG_NOTIFY_REQUIRE_CONFIRMATION);
	v->stored_only = stored_only;
	v->max_hosts = (size_t)cfg_int(cfg, CFG_NOTIFY_VERIFY_HOSTS);
	v->budget_ms = (long long)cfg_ms(cfg, CFG_NOTIFY_VERIFY_BUDGET);
	if (probe_setup(cfg, -1, &v->s, &v->l, &err) != 0) {
		probe_errorf(error_r, "notify_verify = yes: %s", err);
		free(err);
		free(v);
		return -1;
	}
	const char *dir = cfg_str(cfg, CFG_PROBE_STATE_DIR);
	if (probe_policy_mkdirs(dir) != 0) {
		probe_errorf(error_r, "notify_verify = yes: probe_state_dir %s: %s", dir, strerror(errno));
		free(v);
		return -1;
	}
	if (!stored_only && v->s.canary_port != 0 &&
	    probe_canary_start(&v->s.canary_addr, v->s.canary_port, &v->s.canary, &err) != 0) {
		probe_errorf(error_r, "notify_verify = yes: probe_canary: %s", err);
		free(err);
		free(v);
		return -1;
	}
	log_info("notify_verify: up to %zu hosts per notice, %lld s of probing per pass, %s", v->max_hosts,
		 v->budget_ms / 1000, v->require ? "only confirmed hosts reported" : "every host reported");
	nverify_pass_begin(v);
	*v_r = v;
	return 0;
}

static void forget_logged(nverify_t *v)
{
	for (size_t i = 0; i < v->n_logged; i++)
		free(v->logged[i]);
	v->n_logged = 0;
}

void nverify_free(nverify_t **v)
{
	if (*v == NULL)
		return;
	probe_canary_stop(&(*v)->s.canary);
	forget_logged(*v);
	free((*v)->logged);
	free(*v);
	*v = NULL;
}

void nverify_pass_begin(nverify_t *v)
{
	if (v != NULL)
		v->pass_start_ms = probe_now_ms();
}

/* True the first time key is seen (then remembered). */
static bool first_time(nverify_t *v, const char *key)
{
	for (size_t i = 0; i < v->n_logged; i++)
		if (strcmp(v->logged[i], key) == 0)
			return false;
	if (v->n_logged == NVERIFY_LOGGED_MAX)
		forget_logged(v);
	if (v->logged == NULL)
		v->logged = xcalloc(NVERIFY_LOGGED_MAX, sizeof(*v->logged));
	v->logged[v->n_logged++] = xstrdup(key);
	return true;
}

/* "SOCKS5" from a proxy detail "port 1080, socks5: the canary ...". */
static void proxy_method(const char *detail, char out[16])
{
	static const char *const names[][2] = {
		{ "http-connect", "HTTP CONNECT" }, { "http-get", "HTTP GET" }, { "http-post", "HTTP POST" },
		{ "socks4", "SOCKS4" },		    { "socks5", "SOCKS5" },
	};
	const char *p = strstr(detail, ", ");

	out[0] = '\0';
	for (size_t i = 0; p != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i][0]);
		if (strncmp(p + 2, names[i][0], n) == 0 && p[2 + n] == ':')
			snprintf(out, 16, "%s", names[i][1]);
	}
}

/* What a probe result says, as one outcome with its detail. */
static void from_result(struct nevidence_host *h, const struct probe_result *r)
{
	const char *detail = r->relay_detail;

	h->when = (long long)r->when;
	h->deliver_mode = r->deliver_mode;
	if (r->relay == PROBE_CONFIRMED) {
		h->outcome = NEV_OPEN_RELAY;
	} else if (r->proxy == PROBE_CONFIRMED) {
		h->outcome = NEV_OPEN_PROXY;
		detail = r->proxy_detail;
		proxy_method(r->proxy_detail, h->method);
	} else if (r->relay == PROBE_ACCEPTED) {
		h->outcome = NEV_RELAY_ACCEPTED;
	} else if (r->relay == PROBE_CLOSED || r->proxy == PROBE_CLOSED) {
		h->outcome = NEV_CLOSED;
		if (r->relay != PROBE_CLOSED)
			detail = r->proxy_detail;
	} else if (r->relay == PROBE_NO_SERVICE || r->proxy == PROBE_NO_SERVICE) {
		h->outcome = NEV_NO_SERVICE;
	} else {
		h->outcome = NEV_NOT_TESTED;
	}
	snprintf(h->detail, sizeof(h->detail), "%s", detail);
}

/*
 * One host into ev.  *started: this notice has begun probing (then the
 * budget no longer stops it).  False when the budget stops it first.
 */
static bool verify_host(nverify_t *v, const char *text, struct nevidence *ev, bool *started)
{
	struct nevidence_host h = { .outcome = NEV_NOT_PROBED };
	struct probe_result r;
	const char *reason;
	addr_t a;

	snprintf(h.addr, sizeof(h.addr), "%s", text);
	if (addr_parse(text, &a) != 0) {
		snprintf(h.detail, sizeof(h.detail), "not an IP address");
		nevidence_add(ev, &h, "", 0);
		return true;
	}
	if (probe_policy_allowed(v->s.allowed, &a, &reason) != 0) {	/* the gate, before anything else */
		h.outcome = NEV_REFUSED;
		snprintf(h.detail, sizeof(h.detail), "%s", reason);
		v->st.refused++;
		nevidence_add(ev, &h, "", 0);
		return true;
	}
	probe_result_init(&r, &a);
	if (probe_run_cached(v->cfg, &v->s, &a, &r)) {
		from_result(&h, &r);
		h.cached = true;
		v->st.cached++;
	} else if (v->stored_only) {
		snprintf(h.detail, sizeof(h.detail), "no stored result (--dry-run contacts no host)");
	} else if (!*started && probe_now_ms() - v->pass_start_ms >= v->budget_ms) {
		probe_result_free(&r);
		return false;
	} else {
		char why[512];
		*started = true;
		switch (probe_run_host(v->cfg, &v->s, &v->l, &a, false, &r, why, sizeof(why))) {
		case PROBE_RUN_PROBED: from_result(&h, &r); v->st.probes[h.outcome]++; break;
		case PROBE_RUN_CACHED: from_result(&h, &r); h.cached = true; v->st.cached++; break;
		case PROBE_RUN_REFUSED: h.outcome = NEV_REFUSED; snprintf(h.detail, sizeof(h.detail), "%s", why);
			v->st.refused++; break;
		case PROBE_RUN_LIMITED: snprintf(h.detail, sizeof(h.detail), "%s", why); v->st.limited++; break;
		}
	}
	nevidence_add(ev, &h, r.transcript.data ? r.transcript.data : "", r.transcript.len);
	probe_result_free(&r);
	return true;
}

static int busiest_first(const void *x, const void *y)
{
	const struct nagg_addr *a = *(const struct nagg_addr *const *)x, *b = *(const struct nagg_addr *const *)y;

	if (a->hits != b->hits)
		return a->hits > b->hits ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return strcmp(a->addr, b->addr);
}

/* A copy of net with its confirmed hosts only, in out->kept. */
static void keep_confirmed(struct net_agg *net, const bool *keep, struct nverify_notice *out)
{
	struct nagg_owner o = { .netkey = net->netkey, .network = net->network, .netname = net->netname,
				.org = net->org, .country = net->country, .abuse = net->abuse, .owned = net->owned };
	struct net_agg *k;

	out->kept = nagg_new();
	k = nagg_get(out->kept, net->window, &o);
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		if (!keep[i])
			continue;
		nagg_addr_copy(nagg_addr_get(k, a->addr), a);
		k->hits += a->hits;
		k->first = k->first == 0 || a->first < k->first ? a->first : k->first;
		k->last = a->last > k->last ? a->last : k->last;
	}
	for (size_t i = 0; i < net->n_hosts; i++)
		nagg_count_add(&k->hosts, &k->n_hosts, net->hosts[i].name, net->hosts[i].n);
	for (size_t i = 0; i < net->n_lists; i++)
		nagg_count_add(&k->lists, &k->n_lists, net->lists[i].name, net->lists[i].n);
	out->net = k;
}

/* Only the confirmed hosts' evidence stays (the notice names no other host). */
static void evidence_confirmed_only(struct nevidence *ev)
{
	size_t o = 0;

	for (size_t i = 0; i < ev->n; i++) {
		if (nevidence_confirmed(&ev->hosts[i]))
			ev->hosts[o++] = ev->hosts[i];
		else
			free(ev->hosts[i].transcript);
	}
	ev->n = o;
}

/* notify_require_confirmation: drop what is not confirmed, with a log line each.  False: nothing is left. */
static bool require_confirmed(nverify_t *v, struct net_agg *net, struct nverify_notice *out)
{
	bool *keep = xcalloc(net->n_addrs ? net->n_addrs : 1, sizeof(*keep));
	size_t kept = 0;
	struct buf key = BUF_INIT, what = BUF_INIT;

	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nevidence_host *h = nevidence_find(&out->ev, net->addrs[i].addr);
		keep[i] = h != NULL && nevidence_confirmed(h);
		kept += keep[i];
		if (keep[i])
			continue;
		buf_reset(&key);
		buf_printf(&key, "%lld|%s|%s", net->window, net->netkey, net->addrs[i].addr);
		if (!first_time(v, buf_cstr(&key)))
			continue;
		buf_reset(&what);
		if (h != NULL)
			buf_printf(&what, "%s%s%s", nevidence_outcome_name(h->outcome), h->detail[0] ? ": " : "", h->detail);
		else
			buf_printf(&what, "not-probed: beyond notify_verify_hosts (%zu per notice)", v->max_hosts);
		log_notice("host %s of network %s (%s) dropped from the notice: %s (notify_require_confirmation = yes)",
			   net->addrs[i].addr, net->network, net->netkey, buf_cstr(&what));
		v->st.hosts_dropped++;
	}
	if (kept == 0) {
		buf_reset(&key);
		buf_printf(&key, "%lld|%s|", net->window, net->netkey);
		if (first_time(v, buf_cstr(&key))) {
			log_notice("network %s (%s): no notice, no host confirmed open (%zu tested; "
				   "notify_require_confirmation = yes)", net->network, net->netkey, out->ev.n);
			v->st.networks_unconfirmed++;
		}
	} else {
		if (kept < net->n_addrs)
			keep_confirmed(net, keep, out);
		evidence_confirmed_only(&out->ev);
	}
	free(keep);
	buf_free(&key);
	buf_free(&what);
	return kept > 0;
}

enum nverify_decision nverify_net(nverify_t *v, struct net_agg *net, struct nverify_notice *out)
{
	const struct nagg_addr **order;
	bool started = false, ok = true;
	size_t n = net->n_addrs < v->max_hosts ? net->n_addrs : v->max_hosts;

	memset(out, 0, sizeof(*out));
	out->net = net;
	order = xcalloc(net->n_addrs ? net->n_addrs : 1, sizeof(*order));
	for (size_t i = 0; i < net->n_addrs; i++)
		order[i] = &net->addrs[i];
	qsort(order, net->n_addrs, sizeof(*order), busiest_first);
	for (size_t i = 0; i < n && ok; i++)
		ok = verify_host(v, order[i]->addr, &out->ev, &started);
	free((void *)order);
	if (!ok) {
		log_debug("network %s: notify_verify_budget used up in this pass, its notice waits", net->netkey);
		v->st.waited++;
		nverify_notice_free(out);
		return NVERIFY_WAIT;
	}
	if (v->require && !require_confirmed(v, net, out)) {
		nverify_notice_free(out);
		return NVERIFY_DROP;
	}
	return NVERIFY_SEND;
}

void nverify_notice_free(struct nverify_notice *nn)
{
	nevidence_free(&nn->ev);
	nagg_free(&nn->kept);
	nn->net = NULL;
}

void nverify_stats(const nverify_t *v, struct nverify_stats *st)
{
	if (v == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = v->st;
}
