/*
 * engine_setup - build an engine from a configuration and take it apart:
 * resolver, DNS list groups, file lists, Redis cache and lists, reports,
 * templates, scoring policy; plus engine_flush(), engine_health_sync() and
 * engine_cfg().  The top of the engine's files (engine_int.h): it hands
 * engine.c's callbacks down to dnsbl, zone_share and the ready event.
 * See engine.h.
 */
#include "config.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine_int.h"
#include "engine_stats.h"
#include "log.h"
#include "mem.h"
#include "redis_sentinel.h"

/* ---- setup ---------------------------------------------------------- */

static void add_source(engine_t *e, enum engine_source_kind kind, const char *name, int weight,
		       size_t index)
{
	const struct cfg_map *map = cfg_map(e->cfg, CFG_DNSBL_REPLY_MAP);
	const char *shown = cfg_map_get(map, name);
	struct engine_source *s;

	e->sources = xreallocarray(e->sources, e->n_sources + 1, sizeof(*e->sources));
	s = &e->sources[e->n_sources++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = xstrdup(name);
	s->display = xstrdup(shown != NULL ? shown : name);
	s->weight = weight;
	s->index = index;
}

/* One dnsbl_t for a group of DNS lists, and their sources. */
static int setup_dns_group(engine_t *e, enum engine_group g, enum cfg_id id, char **error_r)
{
	static const enum engine_source_kind kinds[GROUP_COUNT] = {
		ENGINE_SOURCE_DNSBL, ENGINE_SOURCE_RHSBL_HELO, ENGINE_SOURCE_RHSBL_SENDER
	};
	const struct cfg_sitelist *sites = cfg_sites(e->cfg, id);
	const struct cfg_codelist *codes = cfg_codes(e->cfg, CFG_DNSBL_ERROR_CODES);
	struct dnsbl_error_code *ec;

	if (sites->n == 0)
		return 0;
	ec = xcalloc(codes->n ? codes->n : 1, sizeof(*ec));
	for (size_t i = 0; i < codes->n; i++) {
		memcpy(ec[i].zone, codes->items[i].zone, sizeof(ec[i].zone));
		ec[i].filter = codes->items[i].filter;
	}
	struct dnsbl_opts opts = {
		.sites = sites->items,
		.n_sites = sites->n,
		.kind = g == GROUP_ADDR ? DNSBL_KIND_IP : DNSBL_KIND_DOMAIN,
		.error_codes = ec,
		.n_error_codes = codes->n,
		.want_txt = cfg_bool(e->cfg, CFG_DNSBL_TXT),
		.ipv6 = cfg_bool(e->cfg, CFG_DNSBL_IPV6),
		.probe_interval_ms = (unsigned)cfg_ms(e->cfg, CFG_DNSBL_PROBE_INTERVAL),
		.on_round = engine_on_round,
		.round_ctx = e,
	};
	int rc = dnsbl_new(e->base, e->resolver, &opts, &e->dnsbl[g], error_r);
	free(ec);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < sites->n; i++) {
		add_source(e, kinds[g], sites->items[i].zone, sites->items[i].weight, i);
		e->sources[e->n_sources - 1].health = dnsbl_site_health(e->dnsbl[g], i);
	}
	e->has_group[g] = g != GROUP_ADDR;
	return 0;
}

static int setup_file_lists(engine_t *e, char **error_r)
{
	const struct cfg_filelists *fl = cfg_file_lists(e->cfg, CFG_FILE_LISTS);
	bool strict = cfg_enum(e->cfg, CFG_LIST_BAD_LINE_ACTION) == CFG_BAD_LINE_ABORT;

	if (fl->n == 0)
		return 0;
	if (filelists_new(e->base, fl, strict, (size_t)cfg_int(e->cfg, CFG_FILE_LISTS_MAX_ENTRIES),
			  &e->files, error_r) != 0)
		return -1;
	for (size_t i = 0; i < fl->n; i++)
		add_source(e, ENGINE_SOURCE_FILE, fl->items[i].name, fl->items[i].weight, i);
	return 0;
}

static int setup_templates(engine_t *e, char **error_r)
{
	static const struct {
		enum cfg_id id;
		size_t offset;
	} tpls[] = {
		{ CFG_REJECT_MESSAGE, offsetof(engine_t, reject_tpl) },
		{ CFG_TEMPFAIL_MESSAGE, offsetof(engine_t, tempfail_tpl) },
		{ CFG_QUARANTINE_REASON, offsetof(engine_t, quarantine_tpl) },
	};

	for (size_t i = 0; i < sizeof(tpls) / sizeof(tpls[0]); i++) {
		char *why = NULL;
		verdict_template_t **slot = (verdict_template_t **)(void *)((char *)e + tpls[i].offset);
		if (verdict_template_compile(cfg_str(e->cfg, tpls[i].id), slot, &why) != 0) {
			struct buf msg = BUF_INIT;
			buf_printf(&msg, "%s: %s", cfg_name(tpls[i].id), why);
			free(why);
			*error_r = buf_detach(&msg);
			return -1;
		}
	}
	return 0;
}

/* redis_lists: sources answered by rlists on the Redis cache's connection. */
static int setup_rlists(engine_t *e, char **error_r)
{
	const struct cfg_sitelist *lists = cfg_sites(e->cfg, CFG_REDIS_LISTS);

	if (lists->n == 0)
		return 0;
	if (lists->n > RLISTS_LOOKUP_MAX) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "redis_lists: at most %d lists", RLISTS_LOOKUP_MAX);
		*error_r = buf_detach(&msg);
		return -1;
	}
	e->rlists = rlists_new(e->rcache, cfg_str(e->cfg, CFG_REDIS_PREFIX));
	for (size_t i = 0; i < lists->n; i++)
		add_source(e, ENGINE_SOURCE_REDIS_LIST, lists->items[i].zone, lists->items[i].weight, i);
	return 0;
}

static int setup_redis(engine_t *e, char **error_r)
{
	char *server = redis_target_from_cfg(e->cfg);	/* redis_server or the Sentinels */
	const struct cfg_sitelist *lists = cfg_sites(e->cfg, CFG_REDIS_LISTS);

	if (lists->n > 0 && *server == '\0') {
		free(server);
		*error_r = xstrdup("redis_lists: the lists live in Redis, but none of redis_server, "
				   "redis_sentinels and redis_cluster_nodes is set");
		return -1;
	}
	if (*server == '\0') {
		free(server);
		return 0;
	}
	struct rcache_opts ro = {
		.server = server,
		.sentinel_username = cfg_str(e->cfg, CFG_REDIS_SENTINEL_USERNAME),
		.sentinel_password = cfg_str(e->cfg, CFG_REDIS_SENTINEL_PASSWORD),
		.db = (int)cfg_int(e->cfg, CFG_REDIS_DB),
		.username = cfg_str(e->cfg, CFG_REDIS_USERNAME),
		.password = cfg_str(e->cfg, CFG_REDIS_PASSWORD),
		.prefix = cfg_str(e->cfg, CFG_REDIS_PREFIX),
		.timeout_ms = (unsigned)cfg_ms(e->cfg, CFG_REDIS_TIMEOUT),
	};
	int rc = rcache_new(e->base, &ro, &e->rcache, error_r);
	free(server);
	return rc != 0 ? -1 : setup_rlists(e, error_r);
}

/* Reports: a spool folder the embedded defaults cannot create is a warning. */
static int setup_report(engine_t *e, char **error_r)
{
	char *why = NULL;

	if (!cfg_bool(e->cfg, CFG_REPORT_ENABLE))
		return 0;
	if (report_new(e->base, e->cfg, &e->reporter, &why) == 0)
		return 0;
	if (cfg_is_set(e->cfg, CFG_REPORT_ENABLE)) {
		*error_r = why;
		return -1;
	}
	log_warning("%s; running without reports (set report_spool, or report_enable = no)", why);
	free(why);
	return 0;
}

static void setup_policy(engine_t *e)
{
	static const enum verdict_action actions[] = {
		[CFG_ACTION_REJECT] = VERDICT_REJECT,
		[CFG_ACTION_TEMPFAIL] = VERDICT_TEMPFAIL,
		[CFG_ACTION_TAG] = VERDICT_TAG,
		[CFG_ACTION_QUARANTINE] = VERDICT_QUARANTINE,
		[CFG_ACTION_LOG] = VERDICT_LOG,
	};

	e->policy.threshold = (int)cfg_int(e->cfg, CFG_DNSBL_THRESHOLD);
	e->policy.allowlist_threshold = (int)cfg_int(e->cfg, CFG_ALLOWLIST_THRESHOLD);
	e->policy.listed_action = actions[cfg_enum(e->cfg, CFG_DNSBL_ACTION)];
	e->policy.error_action = cfg_enum(e->cfg, CFG_LOOKUP_ERROR_ACTION) == CFG_LOOKUP_ERROR_TEMPFAIL
					 ? VERDICT_TEMPFAIL
					 : VERDICT_PASS;
	e->timeout_ms = cfg_ms(e->cfg, CFG_DNSBL_TIMEOUT);
	e->min_ttl_s = (unsigned)(cfg_ms(e->cfg, CFG_DNSBL_MIN_TTL) / 1000);
	e->max_ttl_s = (unsigned)(cfg_ms(e->cfg, CFG_DNSBL_MAX_TTL) / 1000);
	e->negative_ttl_s = (unsigned)(cfg_ms(e->cfg, CFG_DNSBL_NEGATIVE_TTL) / 1000);
}

int engine_new(struct event_base *base, cfg_t *cfg, engine_t **engine_r, char **error_r)
{
	return engine_new_opts(base, cfg, NULL, engine_r, error_r);
}

int engine_new_opts(struct event_base *base, cfg_t *cfg, const struct engine_opts *opts,
		    engine_t **engine_r, char **error_r)
{
	engine_t *e = xcalloc(1, sizeof(*e));
	struct buf servers = BUF_INIT;
	char public_server[ADDR_STRLEN + 8];

	*engine_r = NULL;
	e->base = base;
	e->cfg = cfg_ref(cfg);
	e->ready_ev = event_new(base, -1, 0, engine_deliver_ready, e);
	setup_policy(e);
	e->lru = lru_new((size_t)cfg_int(cfg, CFG_CACHE_SIZE), engine_cached_answer_free);
	/* "" (no dns_servers) = /etc/resolv.conf */
	cfgval_format_hostports(cfg_hostports(cfg, CFG_DNS_SERVERS), &servers);
	/* Two tries inside the one deadline: a lost UDP packet gets a second chance. */
	struct resolver_opts ro = {
		.servers = buf_cstr(&servers),
		.timeout_ms = (unsigned)(e->timeout_ms / 2 ? e->timeout_ms / 2 : 1),
		.tries = 2,
	};
	int rc = resolver_new(base, &ro, &e->resolver, error_r);
	buf_free(&servers);
	if (rc != 0 || setup_templates(e, error_r) != 0 ||
	    setup_dns_group(e, GROUP_ADDR, CFG_DNSBL_SITES, error_r) != 0 ||
	    setup_dns_group(e, GROUP_HELO, CFG_RHSBL_HELO_SITES, error_r) != 0 ||
	    setup_dns_group(e, GROUP_SENDER, CFG_RHSBL_SENDER_SITES, error_r) != 0 ||
	    setup_file_lists(e, error_r) != 0 || setup_redis(e, error_r) != 0 ||
	    ((opts == NULL || !opts->no_reports) && setup_report(e, error_r) != 0)) {
		engine_free(&e);
		return -1;
	}
	engine_health_setup(e, opts == NULL || !opts->health_read_only, engine_on_shared);
	engine_health_recount(e);
	if (e->dnsbl[GROUP_ADDR] != NULL &&
	    resolver_uses_public_server(e->resolver, public_server, sizeof(public_server)))
		log_warning("resolver %s is a public DNS service: large DNSBLs refuse queries from "
			    "public resolvers; use a local resolver (dns_servers)",
			    public_server);
	e->stats = engine_stats_writer_new(e, base);
	e->metrics = engine_metrics_new(e, base);
	*engine_r = e;
	return 0;
}

void engine_free(engine_t **ep)
{
	engine_t *e = *ep;

	if (e == NULL)
		return;
	*ep = NULL;
	if (e->delivering) {
		/* Called from a verdict callback: engine_deliver_ready() frees it. */
		e->free_pending = true;
		return;
	}
	engine_stats_writer_free(&e->stats);
	engine_metrics_free(&e->metrics);
	engine_lookups_free(e);
	e->ready_head = e->ready_tail = NULL;
	if (e->ready_ev != NULL)
		event_free(e->ready_ev);
	for (int g = 0; g < GROUP_COUNT; g++)
		dnsbl_free(&e->dnsbl[g]);
	rlists_free(&e->rlists);
	zone_share_free(&e->share);
	rcache_free(&e->rcache);
	report_free(&e->reporter);
	filelists_free(&e->files);
	resolver_free(&e->resolver);
	lru_free(&e->lru);
	for (size_t i = 0; i < e->n_sources; i++) {
		free(e->sources[i].name);
		free(e->sources[i].display);
	}
	free(e->sources);
	verdict_template_free(&e->reject_tpl);
	verdict_template_free(&e->tempfail_tpl);
	verdict_template_free(&e->quarantine_tpl);
	cfg_unref(&e->cfg);
	free(e);
}

bool engine_ready(const engine_t *e)
{
	return e->rcache == NULL || rcache_up(e->rcache);
}

struct flush_wait {
	engine_flush_cb *cb;
	void *ctx;
	struct event *ev;
};

static void flush_done(struct flush_wait *w)
{
	w->cb(w->ctx);
	if (w->ev != NULL)
		event_free(w->ev);
	free(w);
}

static void flush_pinged(int status, const struct rcache_reply *reply, void *ctx)
{
	(void)status;
	(void)reply;
	flush_done(ctx);
}

static void flush_now(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	flush_done(ctx);
}

void engine_flush(engine_t *e, engine_flush_cb *cb, void *ctx)
{
	struct flush_wait *w = xcalloc(1, sizeof(*w));
	static const char *const ping[] = { "PING" };
	static const size_t ping_len[] = { 4 };

	w->cb = cb;
	w->ctx = ctx;
	if (e->rcache != NULL && rcache_up(e->rcache)) {
		(void)rcache_command_argv(e->rcache, 1, ping, ping_len, flush_pinged, w);
		return;
	}
	w->ev = event_new(e->base, -1, 0, flush_now, w);
	event_active(w->ev, EV_TIMEOUT, 0);
}

void engine_health_sync(engine_t *e, engine_flush_cb *cb, void *ctx)
{
	if (e->share == NULL) {
		engine_flush(e, cb, ctx);	/* nothing to read: through the loop at once */
		return;
	}
	zone_share_refresh(e->share, cb, ctx);
}

const cfg_t *engine_cfg(const engine_t *e)
{
	return e->cfg;
}
