/*
 * dnsbl - DNSBL/RHSBL queries, filters, error codes, health probes,
 * counters.  Contract in dnsbl.h.
 *
 * Every query, the caller's and the probes', is a dnsbl_query_t on the
 * owner's list, so dnsbl_free() can cancel whatever is in flight.  A query
 * holds at most one A and one TXT resolver query; it finishes when the A
 * answer decides, except that a listing with TXT wanted waits for the TXT
 * answer during the grace (DNSBL_TXT_GRACE_MS, timer q->grace) and then
 * goes without text.  dnsbl_query_settle() ends that wait early.
 * Results that need no DNS (skipped, invalid name) are delivered through a
 * one-shot event so that callbacks never run inside dnsbl_query_*().
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "dnsbl.h"
#include "dnsbl_diag.h"
#include "log.h"
#include "mem.h"
#include "zone_health.h"

/* Longest "x.y.z.w" text plus NUL. */
#define CODE_STRLEN 16
/* Longest query name we build: a name of DNSBL_NAME_MAX plus its NUL. */
#define QNAME_SIZE (DNSBL_NAME_MAX + 1)
/* Longest suffix a query adds in front of the zone: 32 nibbles + dots. */
#define IP6_PREFIX_LEN 64u
#define IP4_PREFIX_LEN 16u
#define PROBE_PREFIX_LEN 8u	/* "invalid." */

struct dnsbl_site {
	struct site site;
	struct dnsbl_stats stats;
	uint32_t last_error_code;	/* this thread's copy of dnsbl_diag_state_swap()'s; 0 = normal */
	uint64_t txt_logged_ms;		/* last notice of listings without text; 0 = never */
	unsigned txt_missing;		/* listings without text since that notice */
	struct zone_health health;
	unsigned probes_pending;	/* of the current round; 0 = none running */
	bool round_unprobed;		/* the round started while the zone was UNPROBED */
	enum zone_round round;		/* the worst probe answer of the round so far */
	char round_why[ZONE_WHY_MAX];
};

struct dnsbl {
	struct event_base *base;
	resolver_t *res;
	enum dnsbl_kind kind;
	bool want_txt, ipv6;
	unsigned probe_interval_ms;
	struct dnsbl_site *sites;
	size_t n_sites;
	struct dnsbl_error_code *codes;
	size_t n_codes;
	struct event *probe_timer;
	struct event *retry_timer;	/* an early round for zones never probed well */
	unsigned unprobed_rounds;	/* rounds running for UNPROBED zones */
	dnsbl_round_cb *on_round;
	void *round_ctx;
	struct dnsbl_query *queries;
};

enum probe_role { PROBE_NONE, PROBE_MUST_LIST, PROBE_MUST_NOT_LIST };

struct dnsbl_query {
	dnsbl_t *d;
	size_t site;
	dnsbl_cb *cb;
	void *ctx;
	enum probe_role probe;
	bool running;		/* its callback is running now */
	bool timed_out;
	resolver_query_t *qa, *qt;
	struct event *defer;	/* immediate results */
	struct event *grace;	/* a listing waiting for its TXT answer */
	uint64_t start_us;
	struct dnsbl_result result;
	struct buf txt;
	bool want_txt;		/* a TXT query was sent with the A query */
	bool have_txt;
	const char *txt_why;	/* why the TXT answer gave no text; NULL = none yet */
	struct dnsbl_query *prev, *next;
};

static const char *const status_names[] = {
	[DNSBL_NOT_LISTED] = "not_listed",
	[DNSBL_LISTED] = "listed",
	[DNSBL_ERROR] = "error",
	[DNSBL_SKIPPED] = "skipped",
};

/* Why a listing went without its text (for the log; compared by address). */
static const char txt_none[] = "the zone has no TXT record for it";
static const char txt_late[] = "no TXT answer within the grace after the A answer";
static const char txt_deadline[] = "the check's deadline came before the TXT answer";

static const char *txt_failure(enum resolver_status status)
{
	switch (status) {
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA: return txt_none;
	case RESOLVER_SERVFAIL: return "TXT answer SERVFAIL";
	case RESOLVER_REFUSED: return "TXT answer REFUSED";
	case RESOLVER_TIMEOUT: return "TXT query timed out";
	default: return "TXT answer malformed or unusable";
	}
}

const char *dnsbl_status_name(enum dnsbl_status status)
{
	if ((size_t)status < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[status];
	return "unknown";
}

static void code_text(uint32_t code, char out[CODE_STRLEN])
{
	snprintf(out, CODE_STRLEN, "%u.%u.%u.%u", code >> 24, (code >> 16) & 255u,
		 (code >> 8) & 255u, code & 255u);
}

/* ---- query list ------------------------------------------------------- */

static dnsbl_query_t *query_new(dnsbl_t *d, size_t site, dnsbl_cb *cb, void *ctx)
{
	dnsbl_query_t *q = xcalloc(1, sizeof(*q));

	q->d = d;
	q->site = site;
	q->cb = cb;
	q->ctx = ctx;
	q->result.site = site;
	buf_init(&q->txt);
	q->next = d->queries;
	if (q->next != NULL)
		q->next->prev = q;
	d->queries = q;
	return q;
}

static void query_free(dnsbl_query_t *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->d->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	resolver_cancel(q->qa);
	resolver_cancel(q->qt);
	if (q->defer != NULL)
		event_free(q->defer);
	if (q->grace != NULL)
		event_free(q->grace);
	buf_free(&q->txt);
	free(q);
}

/* ---- verdicts --------------------------------------------------------- */

bool dnsbl_error_code_match(const struct dnsbl_error_code *codes, size_t n, const char *zone,
			    uint32_t code)
{
	for (size_t i = 0; i < n; i++) {
		const struct dnsbl_error_code *c = &codes[i];
		if ((c->zone[0] == '\0' || strcmp(c->zone, zone) == 0) &&
		    site_filter_match(&c->filter, code))
			return true;
	}
	return false;
}

/*
 * The zone answered code (an error code, or 0 for a normal answer): log
 * when that starts, changes or stops a refusal, once for the process
 * (dnsbl_diag_state_swap()), with the diagnosis relayguard-ctl doctor
 * prints.  The per-site copy keeps the lock off the path of steady answers.
 */
static void error_state_note(struct dnsbl_site *s, uint32_t code)
{
	char now_text[CODE_STRLEN], before_text[CODE_STRLEN];
	uint32_t before;

	if (s->last_error_code == code)
		return;
	s->last_error_code = code;
	if (!dnsbl_diag_state_swap(s->site.zone, code, &before))
		return;
	code_text(before, before_text);
	if (code == 0) {
		log_notice("dnsbl zone %s answers normally again (it answered error code %s: %s)",
			   s->site.zone, before_text, dnsbl_diag_for_code(before)->name);
		return;
	}
	const struct dnsbl_diag *dg = dnsbl_diag_for_code(code);
	code_text(code, now_text);
	log_warning("dnsbl zone %s answered %s: %s, not a listing%s%s%s; %s; fix: %s "
		    "(relayguard-ctl doctor checks every list)", s->site.zone,
		    now_text, dg->error, before ? " (it answered " : "", before ? before_text : "",
		    before ? " before)" : "", dg->meaning, dg->fix);
}

/*
 * Turn the A answer into q->result.  Probes ignore the site's filter: for
 * them any code in 127.0.0.0/8 that is not an error code is a listing.
 */
static void classify(dnsbl_query_t *q, const struct resolver_answer *ans)
{
	struct dnsbl_site *s = &q->d->sites[q->site];
	struct dnsbl_result *r = &q->result;

	r->status = DNSBL_ERROR;
	r->ttl = ans->ttl;
	switch (ans->status) {
	case RESOLVER_OK:
		break;
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA:
		r->status = DNSBL_NOT_LISTED;
		error_state_note(s, 0);
		return;
	case RESOLVER_SERVFAIL: r->error = "SERVFAIL"; return;
	case RESOLVER_REFUSED: r->error = "REFUSED"; return;
	case RESOLVER_TIMEOUT: r->error = "timeout"; q->timed_out = true; return;
	default: r->error = "DNS error"; return;
	}
	for (size_t i = 0; i < ans->n_a; i++) {
		if (dnsbl_error_code_match(q->d->codes, q->d->n_codes, s->site.zone, ans->a[i])) {
			r->error = dnsbl_diag_for_code(ans->a[i])->error;
			if (q->probe == PROBE_NONE)
				metrics_codes_add(&s->stats.refusal_codes, ans->a[i], 1);
			error_state_note(s, ans->a[i]);
			return;
		}
	}
	for (size_t i = 0; i < ans->n_a; i++) {
		if (ans->a[i] >> 24 != 127) {
			r->error = "answer outside 127.0.0.0/8";
			return;
		}
	}
	error_state_note(s, 0);
	r->status = DNSBL_NOT_LISTED;
	for (size_t i = 0; i < ans->n_a; i++) {
		if (q->probe != PROBE_NONE || site_filter_match(&s->site.filter, ans->a[i])) {
			r->status = DNSBL_LISTED;
			r->code = ans->a[i];
			return;
		}
	}
	if (ans->n_a > 0)
		r->filtered_code = ans->a[0];
}

static void probe_done(dnsbl_query_t *q);

/*
 * A listing goes out without the text it asked for.  Logged at debug for
 * each one, and as a notice at most once per DNSBL_TXT_LOG_S per zone when
 * the TXT query failed: TXT answers are larger than A answers and get lost
 * more often, so a line per query would flood the log on a bad day, and the
 * listing itself stands anyway.  A zone that answers "no TXT record" (some
 * lists publish none) is not a failure and stays at debug.
 */
static void txt_missing(dnsbl_query_t *q, const char *why, bool failure)
{
	struct dnsbl_site *s = &q->d->sites[q->site];
	char code[CODE_STRLEN];
	uint64_t now;

	code_text(q->result.code, code);
	log_debug("dnsbl zone %s: listing %s delivered without text: %s", s->site.zone, code, why);
	if (!failure)
		return;
	s->txt_missing++;
	now = clock_now_ms();
	if (s->txt_logged_ms != 0 && now - s->txt_logged_ms < DNSBL_TXT_LOG_S * 1000ull)
		return;
	log_notice("dnsbl zone %s: %u listing(s) delivered without their TXT text since the last "
		   "such notice (last: %s); the A answer decides, the text only decorates the reply",
		   s->site.zone, s->txt_missing, why);
	s->txt_logged_ms = now ? now : 1;
	s->txt_missing = 0;
}

/* The verdict is complete: count it and hand it over, then free q. */
static void finish(dnsbl_query_t *q)
{
	struct dnsbl_stats *st = &q->d->sites[q->site].stats;

	if (q->probe != PROBE_NONE) {
		probe_done(q);
		return;
	}
	if (q->result.status == DNSBL_LISTED && q->have_txt)
		q->result.txt = buf_cstr(&q->txt);
	else if (q->result.status == DNSBL_LISTED && q->want_txt)
		txt_missing(q, q->txt_why ? q->txt_why : txt_none,
			    q->txt_why != NULL && q->txt_why != txt_none);
	if (q->start_us != 0) {	/* went to DNS */
		if (q->result.status == DNSBL_LISTED) {
			st->listed++;
			metrics_codes_add(&st->listed_codes, q->result.code, 1);
		}
		else if (q->result.status == DNSBL_NOT_LISTED)
			st->not_listed++;
		else if (q->result.status == DNSBL_ERROR)
			st->errors++;
		if (q->timed_out)
			st->timeouts++;
	}
	q->running = true;
	q->cb(&q->result, q->ctx);
	query_free(q);
}

/* The grace is over: the listing goes without its text. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	dnsbl_query_t *q = arg;

	resolver_cancel(q->qt);
	q->qt = NULL;
	q->txt_why = txt_late;
	finish(q);
}

static void on_a(const struct resolver_answer *ans, void *arg)
{
	dnsbl_query_t *q = arg;
	struct dnsbl_stats *st = &q->d->sites[q->site].stats;

	q->qa = NULL;
	if (q->probe == PROBE_NONE) {
		uint64_t us = clock_now_us() - q->start_us;
		st->latency_us_total += us;
		if (us > st->latency_us_max)
			st->latency_us_max = us;
		metrics_hist_observe_us(&st->latency, us);
	}
	classify(q, ans);
	if (q->result.status == DNSBL_LISTED && q->qt != NULL) {
		/* The A answer has decided; the text may follow for a short while. */
		struct timeval tv = { DNSBL_TXT_GRACE_MS / 1000, (DNSBL_TXT_GRACE_MS % 1000) * 1000 };
		q->grace = evtimer_new(q->d->base, on_grace, q);
		if (q->grace == NULL)
			abort();
		evtimer_add(q->grace, &tv);
		return;
	}
	resolver_cancel(q->qt);
	q->qt = NULL;
	finish(q);
}

/* Keep the TXT text, control characters made spaces, cut at DNSBL_TXT_MAX. */
static void on_txt(const struct resolver_answer *ans, void *arg)
{
	dnsbl_query_t *q = arg;

	q->qt = NULL;
	if (ans->status == RESOLVER_OK && ans->txt != NULL && ans->txt[0] != '\0') {
		for (const char *p = ans->txt; *p != '\0' && q->txt.len < DNSBL_TXT_MAX; p++) {
			unsigned char c = (unsigned char)*p;
			buf_putc(&q->txt, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
		q->have_txt = true;
	} else {
		q->txt_why = ans->status == RESOLVER_OK ? txt_none : txt_failure(ans->status);
	}
	if (q->qa == NULL)	/* A said listed and waited for us */
		finish(q);
}

static void send_query(dnsbl_query_t *q, const char *name, bool want_txt)
{
	q->start_us = clock_now_us();
	if (q->probe == PROBE_NONE)
		q->d->sites[q->site].stats.queries++;
	q->qa = resolver_query_a(q->d->res, name, on_a, q);
	q->want_txt = want_txt;
	if (want_txt)
		q->qt = resolver_query_txt(q->d->res, name, on_txt, q);
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
	finish(arg);
}

/* Deliver a verdict that needs no DNS, through the loop. */
static dnsbl_query_t *immediate(dnsbl_query_t *q, enum dnsbl_status status, const char *why)
{
	q->result.status = status;
	q->result.error = why;
	q->defer = event_new(q->d->base, -1, 0, on_defer, q);
	if (q->defer == NULL)
		abort();
	event_active(q->defer, EV_TIMEOUT, 0);
	return q;
}

/* ---- public queries --------------------------------------------------- */

dnsbl_query_t *dnsbl_query_addr(dnsbl_t *d, size_t site, const addr_t *a, dnsbl_cb *cb, void *ctx)
{
	char name[ADDR_QNAME_MAX];

	if (site >= d->n_sites) {
		dnsbl_query_t *q = query_new(d, 0, cb, ctx);
		q->result.site = site;
		return immediate(q, DNSBL_ERROR, "no such site");
	}
	dnsbl_query_t *q = query_new(d, site, cb, ctx);
	if (d->kind != DNSBL_KIND_IP)
		return immediate(q, DNSBL_SKIPPED, "not an IP list");
	if (a->family == AF_INET6 && !d->ipv6)
		return immediate(q, DNSBL_SKIPPED, "IPv6 queries disabled");
	if (d->sites[site].health.state == ZONE_SUSPENDED)
		return immediate(q, DNSBL_SKIPPED, "zone suspended");
	if (addr_dnsbl_name(a, d->sites[site].site.zone, name, sizeof(name)) != 0)
		return immediate(q, DNSBL_ERROR, "query name too long");
	send_query(q, name, d->want_txt);
	return q;
}

/*
 * Normalise an untrusted domain into out[QNAME_SIZE] as "domain.zone".
 * Returns 0, or -1 when it is not a domain we may query.
 */
static int domain_name(const char *domain, const char *zone, char out[QNAME_SIZE])
{
	size_t len = strnlen(domain, QNAME_SIZE + 1), label = 0;
	addr_t a;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len + 1 + strlen(zone) > DNSBL_NAME_MAX || addr_parse_n(domain, len, &a) == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			label++;
		} else {
			return -1;
		}
		if (label > DNSBL_LABEL_MAX)
			return -1;
		out[i] = c;
	}
	if (label == 0)
		return -1;
	out[len] = '.';
	memcpy(out + len + 1, zone, strlen(zone) + 1);
	return 0;
}

dnsbl_query_t *dnsbl_query_domain(dnsbl_t *d, size_t site, const char *domain, dnsbl_cb *cb,
				  void *ctx)
{
	char name[QNAME_SIZE];

	if (site >= d->n_sites) {
		dnsbl_query_t *q = query_new(d, 0, cb, ctx);
		q->result.site = site;
		return immediate(q, DNSBL_ERROR, "no such site");
	}
	dnsbl_query_t *q = query_new(d, site, cb, ctx);
	if (d->kind != DNSBL_KIND_DOMAIN)
		return immediate(q, DNSBL_SKIPPED, "not a domain list");
	if (domain_name(domain, d->sites[site].site.zone, name) != 0)
		return immediate(q, DNSBL_ERROR, "invalid domain");
	if (d->sites[site].health.state == ZONE_SUSPENDED)
		return immediate(q, DNSBL_SKIPPED, "zone suspended");
	send_query(q, name, d->want_txt);
	return q;
}

void dnsbl_query_cancel(dnsbl_query_t *q)
{
	if (q == NULL || q->running)
		return;
	query_free(q);
}

bool dnsbl_query_settle(dnsbl_query_t *q)
{
	/* q->grace is set only while a listing waits for its TXT answer. */
	if (q == NULL || q->running || q->grace == NULL)
		return false;
	resolver_cancel(q->qt);
	q->qt = NULL;
	q->txt_why = txt_deadline;
	finish(q);
	return true;
}

/* ---- health probes ---------------------------------------------------- */

static const char *probe_prefix(const dnsbl_t *d, enum probe_role role)
{
	if (d->kind == DNSBL_KIND_IP)
		return role == PROBE_MUST_LIST ? "2.0.0.127" : "1.0.0.127";
	return role == PROBE_MUST_LIST ? "test" : "invalid";
}

/* Note what one probe found in the round; a worse finding replaces the reason. */
static void probe_note(struct dnsbl_site *s, const dnsbl_query_t *q, const char *prefix)
{
	const struct dnsbl_result *r = &q->result;
	char code[CODE_STRLEN];

	if (q->probe == PROBE_MUST_NOT_LIST && r->status == DNSBL_LISTED) {
		code_text(r->code, code);
		zone_why_printf(s->round_why, "%s.%s listed %s (it must not be: the list answers \"listed\" for everything)",
			 prefix, s->site.zone, code);
		s->round = ZONE_ROUND_DEAD;
	} else if (s->round == ZONE_ROUND_DEAD) {
		return;
	} else if (r->status == DNSBL_ERROR) {
		zone_why_printf(s->round_why, "%s.%s: %s", prefix, s->site.zone,
			 r->error != NULL ? r->error : "error");
		s->round = ZONE_ROUND_FAILED;
	} else if (q->probe == PROBE_MUST_LIST && r->status != DNSBL_LISTED) {
		zone_why_printf(s->round_why, "%s.%s not listed (the RFC 5782 test entry must be)", prefix, s->site.zone);
		s->round = ZONE_ROUND_FAILED;
	}
}

static void probe_round_start(dnsbl_t *d, size_t site);

/* An early round for the zones that have not passed one yet. */
static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
	dnsbl_t *d = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->n_sites; i++) {
		if (d->sites[i].health.state == ZONE_UNPROBED && d->sites[i].probes_pending == 0)
			probe_round_start(d, i);
	}
}

/* The round of s is complete: judge it, tell the owner. */
static void probe_round_end(dnsbl_t *d, size_t site)
{
	struct dnsbl_site *s = &d->sites[site];

	if (s->round == ZONE_ROUND_PASS)
		zone_why_printf(s->round_why, "%s.%s listed and %s.%s not listed",
			 probe_prefix(d, PROBE_MUST_LIST), s->site.zone,
			 probe_prefix(d, PROBE_MUST_NOT_LIST), s->site.zone);
	(void)zone_health_round(&s->health, s->round, s->round_why, clock_wall_ms());
	s->stats.suspended = s->health.state == ZONE_SUSPENDED;
	if (s->round_unprobed) {
		s->round_unprobed = false;
		d->unprobed_rounds--;
	}
	if (s->health.state == ZONE_UNPROBED && d->retry_timer != NULL) {
		unsigned ms = d->probe_interval_ms < DNSBL_PROBE_RETRY_MS ? d->probe_interval_ms
									  : DNSBL_PROBE_RETRY_MS;
		struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
		if (!evtimer_pending(d->retry_timer, NULL))
			evtimer_add(d->retry_timer, &tv);
	}
	if (d->on_round != NULL)
		d->on_round(d, site, d->round_ctx);
}

/* One probe answered; when both have, judge the round. */
static void probe_done(dnsbl_query_t *q)
{
	dnsbl_t *d = q->d;
	size_t site = q->site;
	struct dnsbl_site *s = &d->sites[site];

	probe_note(s, q, probe_prefix(d, q->probe));
	query_free(q);
	if (--s->probes_pending == 0)
		probe_round_end(d, site);
}

static void probe_start(dnsbl_t *d, size_t site, enum probe_role role)
{
	char name[QNAME_SIZE];
	dnsbl_query_t *q = query_new(d, site, NULL, NULL);

	q->probe = role;
	/* dnsbl_new() checked that every zone leaves room for the prefix. */
	if (snprintf(name, sizeof(name), "%s.%s", probe_prefix(d, role), d->sites[site].site.zone) >=
	    (int)sizeof(name))
		abort();
	send_query(q, name, false);
}

static void probe_round_start(dnsbl_t *d, size_t site)
{
	struct dnsbl_site *s = &d->sites[site];

	s->probes_pending = 2;
	s->round = ZONE_ROUND_PASS;
	s->round_why[0] = '\0';
	if (s->health.state == ZONE_UNPROBED) {
		s->round_unprobed = true;
		d->unprobed_rounds++;
	}
	probe_start(d, site, PROBE_MUST_LIST);
	probe_start(d, site, PROBE_MUST_NOT_LIST);
}

static void on_probe_timer(evutil_socket_t fd, short what, void *arg)
{
	dnsbl_t *d = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->n_sites; i++) {
		if (d->sites[i].probes_pending == 0)	/* else the last round is still out */
			probe_round_start(d, i);
	}
}

const struct zone_health *dnsbl_site_health(const dnsbl_t *d, size_t site)
{
	return site < d->n_sites ? &d->sites[site].health : NULL;
}

bool dnsbl_first_rounds_pending(const dnsbl_t *d)
{
	return d->unprobed_rounds > 0;
}

void dnsbl_site_shared(dnsbl_t *d, size_t site, const char *host, const char *why, int64_t at_ms)
{
	if (site >= d->n_sites)
		return;
	struct dnsbl_site *s = &d->sites[site];
	(void)zone_health_shared(&s->health, host, why, at_ms, clock_wall_ms());
	s->stats.suspended = s->health.state == ZONE_SUSPENDED;
}

const char *dnsbl_site_zone(const dnsbl_t *d, size_t site)
{
	return site < d->n_sites ? d->sites[site].site.zone : NULL;
}

/* ---- lifetime --------------------------------------------------------- */

static int check_opts(const struct dnsbl_opts *o, char **error_r)
{
	size_t prefix = o->kind == DNSBL_KIND_DOMAIN ? PROBE_PREFIX_LEN
			: o->ipv6 ? IP6_PREFIX_LEN : IP4_PREFIX_LEN;
	struct buf msg = BUF_INIT;

	if (o->n_sites == 0 || o->n_sites > DNSBL_SITES_MAX)
		buf_printf(&msg, "%zu dnsbl sites, expected 1..%u", o->n_sites, DNSBL_SITES_MAX);
	else if (o->n_error_codes > DNSBL_ERROR_CODES_MAX)
		buf_printf(&msg, "%zu dnsbl error codes, at most %u allowed", o->n_error_codes,
			   DNSBL_ERROR_CODES_MAX);
	else if (o->probe_interval_ms != 0 && o->probe_interval_ms < DNSBL_PROBE_INTERVAL_MIN_MS)
		buf_printf(&msg, "dnsbl probe interval %u ms below the minimum %u ms",
			   o->probe_interval_ms, DNSBL_PROBE_INTERVAL_MIN_MS);
	for (size_t i = 0; msg.len == 0 && i < o->n_sites; i++) {
		size_t zl = strnlen(o->sites[i].zone, sizeof(o->sites[i].zone));
		if (zl == 0 || zl == sizeof(o->sites[i].zone))
			buf_printf(&msg, "dnsbl site %zu has no valid zone", i);
		else if (zl + prefix > DNSBL_NAME_MAX)
			buf_printf(&msg, "dnsbl zone %s too long to query", o->sites[i].zone);
	}
	if (msg.len == 0)
		return 0;
	*error_r = buf_detach(&msg);
	return -1;
}

int dnsbl_new(struct event_base *base, resolver_t *res, const struct dnsbl_opts *opts,
	      dnsbl_t **dnsbl_r, char **error_r)
{
	if (check_opts(opts, error_r) != 0)
		return -1;
	dnsbl_t *d = xcalloc(1, sizeof(*d));
	d->base = base;
	d->res = res;
	d->kind = opts->kind;
	d->want_txt = opts->want_txt;
	d->ipv6 = opts->ipv6;
	d->probe_interval_ms = opts->probe_interval_ms;
	d->n_sites = opts->n_sites;
	d->sites = xcalloc(d->n_sites, sizeof(*d->sites));
	d->on_round = opts->on_round;
	d->round_ctx = opts->round_ctx;
	for (size_t i = 0; i < d->n_sites; i++) {
		d->sites[i].site = opts->sites[i];
		zone_health_init(&d->sites[i].health, opts->sites[i].zone, d->probe_interval_ms > 0,
				 clock_wall_ms());
	}
	d->n_codes = opts->n_error_codes;
	if (d->n_codes > 0) {
		d->codes = xcalloc(d->n_codes, sizeof(*d->codes));
		memcpy(d->codes, opts->error_codes, d->n_codes * sizeof(*d->codes));
	}
	if (d->probe_interval_ms > 0) {
		struct timeval tv = { .tv_sec = d->probe_interval_ms / 1000,
				      .tv_usec = (d->probe_interval_ms % 1000) * 1000 };
		d->probe_timer = event_new(base, -1, EV_PERSIST, on_probe_timer, d);
		if (d->probe_timer == NULL)
			abort();
		event_add(d->probe_timer, &tv);
		d->retry_timer = evtimer_new(base, on_retry_timer, d);
		if (d->retry_timer == NULL)
			abort();
		/* The round at start, sent with the first queries: until it passes, the
		 * zone's answers do not count (zone_health.h), and lookups wait for it
		 * under their own deadline (dnsbl_first_rounds_pending). */
		on_probe_timer(-1, EV_TIMEOUT, d);
	}
	*dnsbl_r = d;
	return 0;
}

void dnsbl_free(dnsbl_t **dp)
{
	dnsbl_t *d = dp ? *dp : NULL;

	if (d == NULL)
		return;
	while (d->queries != NULL)
		query_free(d->queries);
	if (d->probe_timer != NULL)
		event_free(d->probe_timer);
	if (d->retry_timer != NULL)
		event_free(d->retry_timer);
	free(d->codes);
	free(d->sites);
	free(d);
	*dp = NULL;
}

const struct dnsbl_stats *dnsbl_stats(const dnsbl_t *d, size_t site)
{
	return site < d->n_sites ? &d->sites[site].stats : NULL;
}

bool dnsbl_site_suspended(const dnsbl_t *d, size_t site)
{
	return site < d->n_sites && d->sites[site].stats.suspended;
}
