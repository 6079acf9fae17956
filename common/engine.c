/*
 * engine - one check: skip, caches, sources under one deadline, remember;
 * in-flight sharing.  See engine.h for the contract.  Scoring and the
 * verdict itself are in engine_verdict.c, what the caches keep in
 * engine_cache.c, the threaded wrapper in engine_thread.c.  The engine's
 * files call each other one way only (engine_int.h).
 *
 * A check joins a "lookup": the shared work for one subject (client address
 * plus, when domain lists are configured, the HELO name and sender domain).
 * A lookup answers what it can at once (file lists, the in-process LRU),
 * asks Redis for the rest in one round trip per subject, sends the misses to
 * DNS in parallel, and finishes when every source has answered or the one
 * deadline (dnsbl_timeout) fires.  Finishing always goes through the event
 * loop, so no callback runs inside engine_check().
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "dnsbl.h"
#include "engine_int.h"
#include "filelists.h"
#include "mem.h"
#include "rcache.h"
#include "report.h"
#include "rlists.h"

struct engine_check {
	struct lookup *lookup;
	engine_cb *cb;		/* NULL once cancelled */
	void *ctx;
	struct engine_request req;	/* own copies of the strings, in strs */
	struct engine_check *next;
	char strs[];		/* the request's strings, in the same allocation */
};

/* One DNS or Redis operation of a lookup, the context of its callback. */
struct lookup_op {
	struct lookup *lookup;
	unsigned source;	/* index into engine->sources (DNS ops) */
	enum engine_group group;	/* Redis ops */
	dnsbl_query_t *query;
	rcache_req_t *rreq;
	/* The answer came before its zone's first round passed: remember it at
	 * delivery if the zone is in service then.  (Packed so that a lookup of
	 * five zones stays in malloc's small sizes.) */
	unsigned remember_ttl;
	bool remember_later;
};

struct lookup {
	engine_t *engine;
	struct lookup *hnext;
	struct lookup *live_prev, *live_next;
	char *key;
	unsigned bucket;
	addr_t client;
	char client_text[ADDR_STRLEN];
	/* addr text (client_text), HELO name, sender domain (owned); NULL if absent */
	char *subject[GROUP_COUNT];
	/* The four per-source arrays live in the lookup's own allocation. */
	struct engine_source_result *results;
	bool *answered;			/* results[i] is final */
	char **txt;			/* owned texts behind results[i].txt */
	struct lookup_op *dns_ops;	/* one per source */
	struct lookup_op redis_ops[GROUP_COUNT];
	rlists_req_t *rlreq;		/* every redis_lists source in one request */
	size_t pending;			/* DNS queries and Redis requests outstanding */
	struct event *deadline;
	struct lookup *ready_next;	/* on engine->ready_* once finished */
	struct engine_check *waiters;
	enum engine_skip skip;
	enum engine_layer layer;
	uint64_t start_us;
	bool starting;		/* in lookup_run(): answers take start_us as their time */
	bool shared;		/* in the in-flight table */
	bool finished;
	bool health_wait;	/* waits (one pending) for the first probe rounds */
	bool remember_later;	/* some dns_ops[].remember_later is set */
};

/* ---- small helpers ---------------------------------------------------- */

static size_t opt_size(const char *s)
{
	return s != NULL && *s ? strlen(s) + 1 : 0;
}

/* Copy s (size n from opt_size(), 0 for none) to *pos; NULL when n is 0. */
static const char *put_str(char **pos, const char *s, size_t n)
{
	char *d = *pos;

	if (n == 0)
		return NULL;
	memcpy(d, s, n);
	*pos += n;
	return d;
}

/* A check with copies of the request's strings, all in one allocation. */
static struct engine_check *check_new(const struct engine_request *src)
{
	size_t nh = opt_size(src->helo), ns = opt_size(src->sender);
	size_t nu = opt_size(src->sasl_user), nq = opt_size(src->queue_id);
	struct engine_check *c = xmalloc(sizeof(*c) + nh + ns + nu + nq);
	char *pos = c->strs;

	memset(c, 0, sizeof(*c));
	c->req.client = src->client;
	c->req.helo = put_str(&pos, src->helo, nh);
	c->req.sender = put_str(&pos, src->sender, ns);
	c->req.sasl_user = put_str(&pos, src->sasl_user, nu);
	c->req.queue_id = put_str(&pos, src->queue_id, nq);
	c->req.look_ahead = src->look_ahead;
	return c;
}

static void result_set(struct lookup *lk, size_t i, enum engine_answer answer, uint32_t code,
		       const char *txt, const char *error, enum engine_layer layer)
{
	struct engine_source_result *r = &lk->results[i];

	r->answer = answer;
	r->code = code;
	r->filtered_code = 0;	/* the callers that know one set it after */
	free(lk->txt[i]);
	lk->txt[i] = txt != NULL && *txt ? xstrdup(txt) : NULL;
	r->txt = lk->txt[i];
	r->error = error;
	r->layer = layer;
	r->latency_us = lk->starting ? 0 : (unsigned)(clock_now_us() - lk->start_us);
	lk->answered[i] = true;
	if (layer > lk->layer)
		lk->layer = layer;
}

/* Remember a fresh answer in both caches, now or (zone not yet probed) at delivery.
 * Inlined: a call here cost 20 instructions per DNS answer (doc/PERFORMANCE.md). */
static inline __attribute__((always_inline)) void remember(struct lookup *lk, size_t i, unsigned dns_ttl)
{
	const struct engine_source *s = &lk->engine->sources[i];

	if (engine_cache_remember(lk->engine, s, lk->subject[group_of(s->kind)], &lk->results[i],
				  dns_ttl) == ENGINE_CACHE_LATER) {
		lk->dns_ops[i].remember_later = true;
		lk->dns_ops[i].remember_ttl = dns_ttl;
		lk->remember_later = true;
	}
}

/* ---- finishing ------------------------------------------------------ */

/* Take a lookup out of the in-flight table: no new check joins it. */
static void lookup_unlink(struct lookup *lk)
{
	struct lookup **pp;

	if (!lk->shared)
		return;
	for (pp = &lk->engine->inflight[lk->bucket]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == lk) {
			*pp = lk->hnext;
			break;
		}
	}
	lk->shared = false;
}

/* Cancel what is still outstanding; with why != NULL mark those sources as errors. */
static void lookup_cancel_ops(struct lookup *lk, const char *why)
{
	engine_t *e = lk->engine;

	for (int g = 0; g < GROUP_COUNT; g++) {
		if (lk->redis_ops[g].rreq != NULL) {
			rcache_cancel(lk->redis_ops[g].rreq);
			lk->redis_ops[g].rreq = NULL;
			lk->pending--;
		}
	}
	if (lk->rlreq != NULL) {
		rlists_cancel(lk->rlreq);
		lk->rlreq = NULL;
		lk->pending--;
	}
	if (lk->health_wait) {
		lk->health_wait = false;
		e->health_waiting--;
		lk->pending--;
	}
	for (size_t i = 0; i < e->n_sources; i++) {
		if (lk->dns_ops[i].query != NULL) {
			dnsbl_query_cancel(lk->dns_ops[i].query);
			lk->dns_ops[i].query = NULL;
			lk->pending--;
		}
		if (why != NULL && !lk->answered[i])
			result_set(lk, i, ENGINE_ERROR, 0, NULL, why, ENGINE_LAYER_LOOKUP);
	}
}

static void lookup_free(struct lookup *lk);

void engine_lookups_free(engine_t *e)
{
	while (e->live != NULL)
		lookup_free(e->live);
}

static void lookup_free(struct lookup *lk)
{
	struct engine_check *c, *next;

	lookup_unlink(lk);
	lookup_cancel_ops(lk, NULL);
	if (lk->live_prev != NULL)
		lk->live_prev->live_next = lk->live_next;
	else
		lk->engine->live = lk->live_next;
	if (lk->live_next != NULL)
		lk->live_next->live_prev = lk->live_prev;
	for (c = lk->waiters; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	if (lk->deadline != NULL)
		event_free(lk->deadline);
	for (size_t i = 0; i < lk->engine->n_sources; i++)
		free(lk->txt[i]);
	for (int g = GROUP_ADDR + 1; g < GROUP_COUNT; g++)	/* the address text is in lk */
		free(lk->subject[g]);
	free(lk);
}

/*
 * A listed verdict becomes one report event per lookup (not per waiter),
 * on behalf of its first waiter that decides something: a look-ahead alone
 * reports nothing, or a milter session would be reported twice (once by its
 * connect-time prefetch, once by the check at its reject stage) whenever
 * report_dedupe_window does not fold the two.
 */
static void lookup_report(struct lookup *lk, const struct engine_score *sc)
{
	engine_t *e = lk->engine;
	const char *lists[REPORT_LISTS_MAX], *texts[REPORT_LISTS_MAX];
	uint32_t codes[REPORT_LISTS_MAX];
	size_t n = 0;
	const struct engine_check *by = lk->waiters;

	while (by != NULL && by->req.look_ahead)
		by = by->next;
	if (e->reporter == NULL || lk->skip != ENGINE_SKIP_NONE || by == NULL)
		return;
	if (sc->score < e->policy.threshold || sc->allowlisted)
		return;
	for (size_t i = 0; i < e->n_sources && n < REPORT_LISTS_MAX; i++) {
		if (lk->results[i].answer == ENGINE_LISTED && lk->results[i].weight > 0) {
			lists[n] = lk->results[i].display;
			texts[n] = lk->results[i].txt;
			codes[n++] = lk->results[i].code;
		}
	}
	struct report_event_in ev = { .client = &lk->client, .helo = by->req.helo,
				      .sender = by->req.sender, .score = sc->score,
				      .action = verdict_action_name(sc->action), .n_lists = n,
				      .lists = lists, .codes = codes, .texts = texts };
	report_emit(e->reporter, &ev);
}

/* Deliver the verdict to every waiter, report it, then free the lookup. */
static void lookup_deliver(struct lookup *lk)
{
	engine_t *e = lk->engine;

	if (e->zones_out > 0)	/* a zone's health at this moment decides */
		engine_health_filter(e, lk->results);
	for (size_t i = 0; lk->remember_later && i < e->n_sources; i++) {
		if (lk->dns_ops[i].remember_later && engine_health_counts(e, i))
			remember(lk, i, lk->dns_ops[i].remember_ttl);
	}
	/* One score for every waiter and the report: the answers are the same. */
	struct engine_score sc;
	size_t n = lk->skip == ENGINE_SKIP_NONE ? e->n_sources : 0;
	engine_score_compute(e, lk->results, n, lk->skip, &sc);
	for (struct engine_check *c = lk->waiters; c != NULL && !e->free_pending; c = c->next) {
		if (c->cb == NULL)
			continue;
		struct engine_outcome out = {
			.req = &c->req,
			.results = lk->results,
			.n_sources = n,
			.skip = lk->skip,
			.layer = lk->layer,
			.elapsed_us = (unsigned)(clock_now_us() - lk->start_us),
			.score = &sc,
		};
		struct engine_verdict v;
		engine_verdict_fill(e, &out, &v);
		if (v.skip != ENGINE_SKIP_NONE)
			e->counters.skipped++;
		else if (v.n_answered == 0 && v.n_failed > 0)
			e->counters.failed++;
		else if (v.score >= e->policy.threshold && !v.allowlisted)
			e->counters.listed++;
		engine_metrics_verdict(e->metrics, &v);
		c->cb(&v, c->ctx);
		engine_verdict_release(&v);
	}
	lookup_report(lk, &sc);
	lookup_free(lk);
}

/* Every source has answered, or the deadline fired: finish through the loop. */
static void lookup_finish(struct lookup *lk)
{
	engine_t *e = lk->engine;

	if (lk->finished)
		return;
	lk->finished = true;
	lookup_unlink(lk);
	if (e->ready_tail != NULL)
		e->ready_tail->ready_next = lk;
	else
		e->ready_head = lk;
	e->ready_tail = lk;
	event_active(e->ready_ev, EV_TIMEOUT, 0);
}

void engine_deliver_ready(evutil_socket_t fd, short what, void *arg)
{
	engine_t *e = arg;
	struct lookup *lk = e->ready_head;

	(void)fd;
	(void)what;
	/* Take the whole list: callbacks may start checks that finish at once. */
	e->ready_head = e->ready_tail = NULL;
	e->delivering = true;
	while (lk != NULL && !e->free_pending) {
		struct lookup *next = lk->ready_next;
		lookup_deliver(lk);
		lk = next;
	}
	e->delivering = false;
	/* A callback dropped the last reference to the engine: free it now. */
	if (e->free_pending)
		engine_free(&e);
}

/*
 * The deadline: a zone whose A answer said listed and that only waits for
 * its TXT answer is a listing, delivered now without text (dns_answered()
 * runs inside dnsbl_query_settle()); what has no answer yet is a timeout.
 */
static void lookup_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;
	engine_t *e = lk->engine;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < e->n_sources; i++)
		(void)dnsbl_query_settle(lk->dns_ops[i].query);
	lookup_cancel_ops(lk, "timeout");
	lookup_finish(lk);
}

static void lookup_op_done(struct lookup *lk)
{
	if (--lk->pending == 0)
		lookup_finish(lk);
}

/* Finish the lookups that waited for the first probe rounds, once none is out. */
static void health_release(engine_t *e)
{
	if (engine_health_first_pending(e))
		return;
	for (struct lookup *lk = e->live; lk != NULL && e->health_waiting > 0; lk = lk->live_next) {
		if (lk->health_wait) {
			lk->health_wait = false;
			e->health_waiting--;
			lookup_op_done(lk);
		}
	}
}

void engine_on_round(dnsbl_t *d, size_t site, void *ctx)
{
	engine_t *e = ctx;

	engine_health_round(e, d, site);
	health_release(e);
}

void engine_on_shared(zone_share_t *zs, void *ctx)
{
	engine_t *e = ctx;

	engine_health_apply_shared(e, zs);
	/* A shared suspension may settle the last zone lookups wait for. */
	health_release(e);
}

/* ---- DNS ----------------------------------------------------------------- */

static void dns_answered(const struct dnsbl_result *res, void *arg)
{
	struct lookup_op *op = arg;
	struct lookup *lk = op->lookup;
	size_t i = op->source;

	op->query = NULL;
	switch (res->status) {
	case DNSBL_LISTED:
		result_set(lk, i, ENGINE_LISTED, res->code, res->txt, NULL, ENGINE_LAYER_LOOKUP);
		remember(lk, i, res->ttl);
		break;
	case DNSBL_NOT_LISTED:
		result_set(lk, i, ENGINE_NOT_LISTED, 0, NULL, NULL, ENGINE_LAYER_LOOKUP);
		lk->results[i].filtered_code = res->filtered_code;
		remember(lk, i, res->ttl);
		break;
	case DNSBL_SKIPPED:
		result_set(lk, i, ENGINE_SKIPPED, 0, NULL, res->error ? res->error : "skipped",
			   ENGINE_LAYER_NONE);
		break;
	default:
		result_set(lk, i, ENGINE_ERROR, 0, NULL, res->error ? res->error : "lookup failed",
			   ENGINE_LAYER_LOOKUP);
		break;
	}
	lookup_op_done(lk);
}

/* Send every source of group g that has no answer yet to DNS. */
static void lookup_start_dns(struct lookup *lk, enum engine_group g)
{
	engine_t *e = lk->engine;

	for (size_t i = 0; i < e->n_sources; i++) {
		const struct engine_source *s = &e->sources[i];
		struct lookup_op *op = &lk->dns_ops[i];

		if (group_of(s->kind) != g || lk->answered[i] || s->kind == ENGINE_SOURCE_REDIS_LIST)
			continue;
		op->lookup = lk;
		op->source = (unsigned)i;
		if (g == GROUP_ADDR)
			op->query = dnsbl_query_addr(e->dnsbl[g], s->index, &lk->client, dns_answered, op);
		else
			op->query = dnsbl_query_domain(e->dnsbl[g], s->index, lk->subject[g], dns_answered, op);
		if (op->query != NULL)
			lk->pending++;
		else
			result_set(lk, i, ENGINE_ERROR, 0, NULL, "query not started", ENGINE_LAYER_NONE);
	}
}

/* ---- Redis ------------------------------------------------------------- */

static void redis_answered(int status, const struct rcache_entry *entries, size_t n, void *arg)
{
	struct lookup_op *op = arg;
	struct lookup *lk = op->lookup;
	engine_t *e = lk->engine;
	size_t k = 0;
	struct engine_key key;
	uint64_t now_ms = 0;	/* read once, at the first answer */

	engine_key_init(&key);
	op->rreq = NULL;
	for (size_t i = 0; i < e->n_sources && status == 0; i++) {
		const struct engine_source *s = &e->sources[i];
		if (group_of(s->kind) != op->group || lk->answered[i] ||
		    s->kind == ENGINE_SOURCE_REDIS_LIST)
			continue;
		if (k >= n)
			break;
		const struct rcache_entry *re = &entries[k++];
		if (re->state != RCACHE_LISTED && re->state != RCACHE_NOT_LISTED)
			continue;
		enum engine_answer a = re->state == RCACHE_LISTED ? ENGINE_LISTED : ENGINE_NOT_LISTED;
		result_set(lk, i, a, re->code, re->txt, NULL, ENGINE_LAYER_REDIS);
		/* Keep it close for a while; Redis keeps the authoritative TTL. */
		engine_cache_keep(e, s, lk->subject[op->group], a, re->code, re->txt, &key, &now_ms);
	}
	engine_key_done(&key);
	lookup_start_dns(lk, op->group);
	lookup_op_done(lk);
}

/* Ask Redis for the unanswered sources of group g in one round trip. */
static bool lookup_start_redis(struct lookup *lk, enum engine_group g)
{
	engine_t *e = lk->engine;
	/*
	 * One MGET holds every source a group asks Redis for: those are the
	 * group's DNS lists (file lists answer locally, redis_lists go to
	 * rlists), and dnsbl_new() refuses more than DNSBL_SITES_MAX of them.
	 * The bound in the loop below is never reached; engine.sh checks a
	 * group at the limit (all from Redis) and one past it (refused).
	 */
	_Static_assert(DNSBL_SITES_MAX <= RCACHE_SOURCES_MAX, "a DNS group's sources fit one MGET");
	const char *names[RCACHE_SOURCES_MAX];
	size_t n = 0;

	if (e->rcache == NULL || !rcache_up(e->rcache))
		return false;
	for (size_t i = 0; i < e->n_sources && n < sizeof(names) / sizeof(names[0]); i++) {
		const struct engine_source *s = &e->sources[i];
		if (group_of(s->kind) == g && !lk->answered[i] && s->kind != ENGINE_SOURCE_REDIS_LIST)
			names[n++] = s->name;
	}
	if (n == 0)
		return true;
	struct lookup_op *op = &lk->redis_ops[g];
	op->lookup = lk;
	op->group = g;
	op->rreq = rcache_get(e->rcache, lk->subject[g], names, n, redis_answered, op);
	if (op->rreq == NULL)
		return false;
	lk->pending++;
	return true;
}

/* ---- Redis range lists ------------------------------------------------- */

static void rlists_answered(const struct rlists_result *res, size_t n, void *arg)
{
	struct lookup *lk = arg;
	engine_t *e = lk->engine;
	const struct cfg_sitelist *sites = cfg_sites(e->cfg, CFG_REDIS_LISTS);
	size_t k = 0;

	lk->rlreq = NULL;
	for (size_t i = 0; i < e->n_sources && k < n; i++) {
		const struct engine_source *s = &e->sources[i];
		if (s->kind != ENGINE_SOURCE_REDIS_LIST || lk->answered[i])
			continue;
		const struct rlists_result *r = &res[k++];
		if (r->answer == RLISTS_ERROR) {
			result_set(lk, i, ENGINE_ERROR, 0, NULL, r->error, ENGINE_LAYER_LOOKUP);
			continue;
		}
		/* The filter, as dnsbl applies it to a DNS answer. */
		if (r->answer == RLISTS_LISTED && site_filter_match(&sites->items[s->index].filter, r->code)) {
			result_set(lk, i, ENGINE_LISTED, r->code, r->text, NULL, ENGINE_LAYER_LOOKUP);
		} else {
			result_set(lk, i, ENGINE_NOT_LISTED, 0, NULL, NULL, ENGINE_LAYER_LOOKUP);
			if (r->answer == RLISTS_LISTED)
				lk->results[i].filtered_code = r->code;
		}
		remember(lk, i, 0);	/* no TTL in a list: the minimum, like a DNS answer */
	}
	lookup_op_done(lk);
}

/* Every unanswered redis_lists source in one round trip. */
static void lookup_start_rlists(struct lookup *lk)
{
	engine_t *e = lk->engine;
	const char *names[RLISTS_LOOKUP_MAX];
	size_t n = 0;

	if (e->rlists == NULL)
		return;
	for (size_t i = 0; i < e->n_sources && n < RLISTS_LOOKUP_MAX; i++) {
		const struct engine_source *s = &e->sources[i];
		if (s->kind == ENGINE_SOURCE_REDIS_LIST && !lk->answered[i])
			names[n++] = s->name;
	}
	if (n == 0)
		return;
	lk->rlreq = rlists_lookup(e->rlists, &lk->client, names, n, rlists_answered, lk);
	lk->pending++;
}

/* ---- starting a lookup -------------------------------------------------- */

/* Answer a source from a file list or the LRU; false if it needs a lookup. */
static bool answer_locally(struct lookup *lk, size_t i, struct engine_key *key, uint64_t now_ms)
{
	engine_t *e = lk->engine;
	const struct engine_source *s = &e->sources[i];
	const char *subject = lk->subject[group_of(s->kind)];

	if (subject == NULL) {
		result_set(lk, i, ENGINE_SKIPPED, 0, NULL,
			   s->kind == ENGINE_SOURCE_RHSBL_HELO ? "no HELO name" : "no sender domain",
			   ENGINE_LAYER_NONE);
		return true;
	}
	if (s->kind == ENGINE_SOURCE_FILE) {
		struct buf txt = BUF_INIT;
		uint32_t code;
		if (filelists_lookup(e->files, s->index, &lk->client, &code, &txt))
			result_set(lk, i, ENGINE_LISTED, code, buf_cstr(&txt), NULL, ENGINE_LAYER_NONE);
		else
			result_set(lk, i, ENGINE_NOT_LISTED, 0, NULL, NULL, ENGINE_LAYER_NONE);
		buf_free(&txt);
		return true;
	}
	const struct engine_cached *c = engine_cache_get(e, s, subject, key, now_ms);
	if (c == NULL)
		return false;
	result_set(lk, i, c->answer, c->code, c->txt, NULL, ENGINE_LAYER_LRU);
	return true;
}

static enum engine_skip skip_reason(const engine_t *e, const struct engine_request *req)
{
	if (req->sasl_user != NULL && *req->sasl_user && cfg_bool(e->cfg, CFG_SKIP_AUTHENTICATED))
		return ENGINE_SKIP_AUTHENTICATED;
	if (cfg_netlist_match(cfg_netlist(e->cfg, CFG_ALLOW_NETWORKS), &req->client))
		return ENGINE_SKIP_ALLOW_NETWORKS;
	if (cfg_bool(e->cfg, CFG_SKIP_SPECIAL) && addr_is_special(&req->client))
		return ENGINE_SKIP_SPECIAL;
	return ENGINE_SKIP_NONE;
}

/* Round n up to a multiple of the strictest alignment. */
static size_t align_up(size_t n)
{
	size_t a = _Alignof(max_align_t);

	return (n + a - 1) / a * a;
}

/* A lookup with its per-source arrays and its key in one allocation. */
static struct lookup *lookup_alloc(size_t n_sources, const char *key, size_t key_len)
{
	size_t n = n_sources ? n_sources : 1;
	size_t off_results = align_up(sizeof(struct lookup));
	size_t off_ops = off_results + align_up(n * sizeof(struct engine_source_result));
	size_t off_txt = off_ops + align_up(n * sizeof(struct lookup_op));
	size_t off_answered = off_txt + align_up(n * sizeof(char *));
	size_t off_key = off_answered + n * sizeof(bool);
	char *base = xcalloc(1, off_key + (key != NULL ? key_len + 1 : 0));
	struct lookup *lk = (struct lookup *)base;

	lk->results = (struct engine_source_result *)(base + off_results);
	lk->dns_ops = (struct lookup_op *)(base + off_ops);
	lk->txt = (char **)(base + off_txt);
	lk->answered = (bool *)(base + off_answered);
	if (key != NULL) {
		lk->key = base + off_key;
		memcpy(lk->key, key, key_len + 1);
	}
	return lk;
}

/* key (key_len bytes, NUL-terminated) or NULL; text: the client's text;
 * sender_dom: req's sender domain if known. */
static struct lookup *lookup_new(engine_t *e, const struct engine_request *req, const char *text,
				 const char *key, size_t key_len, const char *sender_dom)
{
	struct lookup *lk = lookup_alloc(e->n_sources, key, key_len);

	lk->engine = e;
	lk->live_next = e->live;
	if (e->live != NULL)
		e->live->live_prev = lk;
	e->live = lk;
	lk->client = req->client;
	lk->start_us = clock_now_us();
	memcpy(lk->client_text, text, strlen(text) + 1);
	lk->subject[GROUP_ADDR] = lk->client_text;
	if (e->has_group[GROUP_HELO])
		lk->subject[GROUP_HELO] = engine_lower_dup(req->helo);
	if (e->has_group[GROUP_SENDER])
		lk->subject[GROUP_SENDER] = sender_dom != NULL ? xstrdup(sender_dom)
							      : engine_sender_domain_dup(req->sender);
	for (size_t i = 0; i < e->n_sources; i++) {
		struct engine_source_result *r = &lk->results[i];
		r->name = e->sources[i].name;
		r->display = e->sources[i].display;
		r->kind = e->sources[i].kind;
		r->weight = e->sources[i].weight;
		r->answer = ENGINE_SKIPPED;
	}
	if (key != NULL) {
		lk->bucket = engine_hash_str(key) % ENGINE_INFLIGHT_BUCKETS;
		lk->hnext = e->inflight[lk->bucket];
		e->inflight[lk->bucket] = lk;
		lk->shared = true;
	}
	return lk;
}

static void lookup_run(struct lookup *lk)
{
	engine_t *e = lk->engine;
	struct engine_key key;
	bool need[GROUP_COUNT] = { false, false, false };
	uint64_t now_ms = lk->start_us / 1000u;	/* one clock reading per lookup */

	engine_key_init(&key);
	lk->starting = true;
	for (size_t i = 0; i < e->n_sources; i++) {
		if (!answer_locally(lk, i, &key, now_ms))
			need[group_of(e->sources[i].kind)] = true;
	}
	lk->starting = false;
	engine_key_done(&key);
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (need[g] && !lookup_start_redis(lk, (enum engine_group)g))
			lookup_start_dns(lk, (enum engine_group)g);
	}
	lookup_start_rlists(lk);
	/* A zone's first probe round is out: its answers count only once it passes,
	 * so wait for it too, under the same deadline. */
	if (e->zones_out > 0 && engine_health_first_pending(e)) {
		lk->health_wait = true;
		e->health_waiting++;
		lk->pending++;
	}
	if (lk->pending == 0) {
		lookup_finish(lk);
		return;
	}
	struct timeval tv = { (time_t)(e->timeout_ms / 1000), (suseconds_t)(e->timeout_ms % 1000) * 1000 };
	lk->deadline = evtimer_new(e->base, lookup_deadline, lk);
	evtimer_add(lk->deadline, &tv);
}

static struct lookup *lookup_find(engine_t *e, const char *key)
{
	unsigned b = engine_hash_str(key) % ENGINE_INFLIGHT_BUCKETS;

	for (struct lookup *lk = e->inflight[b]; lk != NULL; lk = lk->hnext) {
		if (!lk->finished && strcmp(lk->key, key) == 0)
			return lk;
	}
	return NULL;
}

/* The subject of a lookup: every input some configured source reads. */
static const char *inflight_key(const engine_t *e, const struct engine_request *req, const char *text,
				struct engine_key *key, const char *sender_dom)
{
	engine_key_add(key, text, strlen(text));
	if (e->has_group[GROUP_HELO]) {
		engine_key_add(key, "|", 1);
		if (req->helo != NULL)
			engine_key_add(key, req->helo, strlen(req->helo));
	}
	if (e->has_group[GROUP_SENDER]) {
		engine_key_add(key, "|", 1);
		if (sender_dom != NULL)
			engine_key_add(key, sender_dom, strlen(sender_dom));
	}
	return engine_key_data(key);
}

engine_check_t *engine_check(engine_t *e, const struct engine_request *req, engine_cb *cb, void *ctx)
{
	struct engine_check *c = check_new(req);
	struct lookup *lk;
	enum engine_skip skip = skip_reason(e, req);
	char text[ADDR_STRLEN];

	addr_format(&req->client, text);
	c->cb = cb;
	c->ctx = ctx;
	e->counters.checks++;
	if (skip != ENGINE_SKIP_NONE) {
		lk = lookup_new(e, req, text, NULL, 0, NULL);
		lk->skip = skip;
		lk->waiters = c;
		c->lookup = lk;
		lookup_finish(lk);
		return c;
	}

	struct engine_key key;
	char dom_stack[ENGINE_DOMAIN_STACK], *dom_heap = NULL;
	const char *dom = NULL;
	if (e->has_group[GROUP_SENDER])
		dom = engine_sender_domain(req->sender, dom_stack, sizeof(dom_stack), &dom_heap);
	engine_key_init(&key);
	const char *kd = inflight_key(e, req, text, &key, dom);
	lk = lookup_find(e, kd);
	if (lk != NULL) {
		c->next = lk->waiters;
		lk->waiters = c;
		c->lookup = lk;
	} else {
		lk = lookup_new(e, req, text, kd, key.len, dom);
		e->counters.lookups++;
		lk->waiters = c;
		c->lookup = lk;
		lookup_run(lk);
	}
	engine_key_done(&key);
	free(dom_heap);
	return c;
}

void engine_check_cancel(engine_check_t *check)
{
	if (check != NULL)
		check->cb = NULL;
}

