/*
 * ncontact - the fallback chain of a network's contact.  See ncontact.h.
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cfgval.h"
#include "log.h"
#include "lru.h"
#include "mailbox.h"
#include "mem.h"
#include "ncontact.h"
#include "resolver.h"

#define NCONTACT_SHOW_MAX 100	/* bytes of a refused contact shown in a log line */

struct ncontact {
	const cfg_t *cfg;
	const char *zone;		/* "" = link 2 off */
	struct event_base *base;	/* only with a zone */
	resolver_t *resolver;
	lru_t *none;			/* netkey -> reason (char *) */
	time_t dns_paused_until;
};

int ncontact_new(const cfg_t *cfg, ncontact_t **c_r, char **error_r)
{
	ncontact_t *c = xcalloc(1, sizeof(*c));

	*c_r = NULL;
	c->cfg = cfg;
	c->zone = cfg_str(cfg, CFG_NOTIFY_ABUSE_ZONE);
	c->none = lru_new(NCONTACT_CACHE_MAX, free);
	if (c->zone[0] != '\0') {
		struct buf servers = BUF_INIT;
		unsigned long long ms = cfg_ms(cfg, CFG_DNSBL_TIMEOUT);
		cfgval_format_hostports(cfg_hostports(cfg, CFG_DNS_SERVERS), &servers);
		/* two tries inside dnsbl_timeout, as the engine asks its lists */
		struct resolver_opts ro = { .servers = buf_cstr(&servers),
					    .timeout_ms = (unsigned)(ms / 2 ? ms / 2 : 1), .tries = 2 };
		c->base = event_base_new();
		int rc = c->base == NULL ? -1 : resolver_new(c->base, &ro, &c->resolver, error_r);
		buf_free(&servers);
		if (rc != 0) {
			if (c->base == NULL)
				*error_r = xstrdup("notify_abuse_zone: cannot create an event loop");
			ncontact_free(&c);
			return -1;
		}
	}
	*c_r = c;
	return 0;
}

void ncontact_free(ncontact_t **cp)
{
	ncontact_t *c = *cp;

	if (c == NULL)
		return;
	resolver_free(&c->resolver);
	if (c->base != NULL)
		event_base_free(c->base);
	lru_free(&c->none);
	free(c);
	*cp = NULL;
}

const char *ncontact_source_name(enum ncontact_source s)
{
	switch (s) {
	case NCONTACT_OWNERS: return "owners_db";
	case NCONTACT_DNS: return "notify_abuse_zone";
	case NCONTACT_FALLBACK: return "notify_fallback_address";
	default: return "none";
	}
}

/* A contact text made safe for a log line: controls and 8-bit as '?', capped. */
static void show(struct buf *out, const char *s)
{
	size_t n = 0;

	for (; *s && n < NCONTACT_SHOW_MAX; s++, n++)
		buf_putc(out, (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? '?' : *s);
	if (*s)
		buf_puts(out, "...");
}

/* candidate is used when it is a valid mailbox; else the refusal is logged. */
static bool take(const struct net_agg *net, enum ncontact_source src, const char *candidate, struct buf *to,
		 struct buf *why)
{
	enum mailbox_status st = mailbox_check(candidate);
	const char *reason = mailbox_status_text(st);
	struct buf shown = BUF_INIT;

	if (st == MAILBOX_OK) {
		buf_puts(to, candidate);
		return true;
	}
	show(&shown, candidate);
	log_warning("network %s: contact \"%s\" from %s refused: %s", net->network, buf_cstr(&shown),
		    ncontact_source_name(src), reason);
	buf_printf(why, "%s gave \"%s\", refused (%s); ", ncontact_source_name(src), buf_cstr(&shown), reason);
	buf_free(&shown);
	return false;
}

/* The address the DNS is asked about: the network's most active one. */
static const struct nagg_addr *top_addr(const struct net_agg *net)
{
	const struct nagg_addr *top = NULL;

	for (size_t i = 0; i < net->n_addrs; i++)
		if (top == NULL || net->addrs[i].hits > top->hits ||
		    (net->addrs[i].hits == top->hits && strcmp(net->addrs[i].addr, top->addr) < 0))
			top = &net->addrs[i];
	return top;
}

struct lookup {
	bool done;
	enum resolver_status status;
	char *txt;
};

static void on_txt(const struct resolver_answer *a, void *ctx)
{
	struct lookup *l = ctx;

	l->done = true;
	l->status = a->status;
	if (a->status == RESOLVER_OK && a->txt != NULL)
		l->txt = xstrdup(a->txt);
}

/* Link 2: true with the contact in to; false with the reason in why. */
static bool ask_zone(ncontact_t *c, const struct net_agg *net, struct buf *to, struct buf *why)
{
	const struct nagg_addr *a = top_addr(net);
	char name[ADDR_STRLEN * 2 + 300];
	addr_t addr;
	struct lookup l = { 0 };

	if (c->resolver == NULL) {
		buf_puts(why, "no notify_abuse_zone; ");
		return false;
	}
	if (time(NULL) < c->dns_paused_until) {
		buf_printf(why, "notify_abuse_zone %s paused after a failure; ", c->zone);
		return false;
	}
	if (a == NULL || addr_parse(a->addr, &addr) != 0 || addr_dnsbl_name(&addr, c->zone, name, sizeof(name)) != 0) {
		buf_printf(why, "notify_abuse_zone %s: no address to ask about; ", c->zone);
		return false;
	}
	resolver_query_t *rq = resolver_query_txt(c->resolver, name, on_txt, &l);
	/* the resolver's timers end every query; a loop with nothing to run would not */
	while (!l.done && event_base_loop(c->base, EVLOOP_ONCE) == 0)
		;
	if (!l.done) {
		resolver_cancel(rq);
		l.status = RESOLVER_ERROR;
	}
	bool found = false;
	if (l.status == RESOLVER_OK && l.txt != NULL) {
		found = take(net, NCONTACT_DNS, l.txt, to, why);
		if (found)
			log_info("network %s: contact %s from notify_abuse_zone (%s)", net->network, buf_cstr(to), name);
	} else {
		buf_printf(why, "notify_abuse_zone: %s %s; ", name, resolver_status_name(l.status));
		if (l.status != RESOLVER_NXDOMAIN && l.status != RESOLVER_NODATA) {
			c->dns_paused_until = time(NULL) + NCONTACT_DNS_PAUSE_S;
			log_warning("notify_abuse_zone %s: %s for %s: not asked for %d s", c->zone,
				    resolver_status_name(l.status), name, NCONTACT_DNS_PAUSE_S);
		}
	}
	free(l.txt);
	return found;
}

enum ncontact_source ncontact_find(ncontact_t *c, const struct net_agg *net, struct buf *to, struct buf *why)
{
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	size_t why_start = why->len;

	const char *cached = lru_get(c->none, net->netkey, strlen(net->netkey), now_ms);
	if (cached != NULL) {
		buf_puts(why, cached);
		return NCONTACT_NONE;
	}
	if (net->owned && net->abuse[0] != '\0') {
		if (take(net, NCONTACT_OWNERS, net->abuse, to, why))
			return NCONTACT_OWNERS;
	} else {
		buf_puts(why, net->owned ? "no abuse contact in owners_db; " : "no owner in owners_db; ");
	}
	if (ask_zone(c, net, to, why))
		return NCONTACT_DNS;
	const char *fallback = cfg_str(c->cfg, CFG_NOTIFY_FALLBACK_ADDRESS);
	if (fallback[0] != '\0') {
		if (take(net, NCONTACT_FALLBACK, fallback, to, why))
			return NCONTACT_FALLBACK;
	} else {
		buf_puts(why, "no notify_fallback_address");
	}
	while (why->len > why_start && (why->data[why->len - 1] == ' ' || why->data[why->len - 1] == ';'))
		buf_truncate(why, why->len - 1);
	lru_put(c->none, net->netkey, strlen(net->netkey), xstrdup(buf_cstr(why) + why_start),
		now_ms + NCONTACT_RECHECK_S * 1000ull);
	return NCONTACT_NONE;
}
