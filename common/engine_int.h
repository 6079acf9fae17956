/*
 * engine_int - the engine's private structures, shared by engine.c (the
 * lookup machinery), engine_setup.c (building and freeing an engine from a
 * config), engine_verdict.c (scoring, replies, copies, logs) and
 * engine_stats.c (counters).
 * Nothing outside common/engine*.c includes this file.
 */
#ifndef RELAYGUARD_ENGINE_INT_H
#define RELAYGUARD_ENGINE_INT_H

#include <event2/util.h>

#include "buf.h"

#include "dnsbl.h"
#include "engine.h"
#include "filelists.h"
#include "lru.h"
#include "rcache.h"
#include "report.h"
#include "resolver.h"
#include "rlists.h"
#include "site.h"
#include "zone_share.h"

/* One configured source, resolved at engine_new() time. */
struct engine_source {
	enum engine_source_kind kind;
	char *name;		/* zone or list name */
	char *display;		/* shown to clients */
	int weight;
	size_t index;		/* site index in its dnsbl_t, or file list index */
	const struct zone_health *health;	/* DNS lists: the zone's health (in its dnsbl_t); else NULL */
};

/* What a finished lookup knows; the verdict is built from it. */
struct engine_outcome {
	const struct engine_request *req;
	struct engine_source_result *results;	/* one per source */
	size_t n_sources;
	enum engine_skip skip;
	enum engine_layer layer;
	unsigned elapsed_us;
};

/*
 * Score an outcome and fill *v with its verdict.  v borrows the outcome's
 * sources and the engine's names and settings (valid while the lookup and
 * the engine live: during the callback); only the reply and header texts
 * are allocated, and engine_verdict_release() frees them.  A caller that
 * keeps a verdict past the callback uses engine_verdict_copy().
 */
void engine_verdict_fill(const engine_t *engine, const struct engine_outcome *out, struct engine_verdict *v);
void engine_verdict_release(struct engine_verdict *v);

/* Counters of one engine, for relayguard-ctl stats (engine_stats.c). */
struct engine_counters {
	uint64_t checks;	/* engine_check() calls */
	uint64_t skipped;	/* verdicts with a skip reason */
	uint64_t listed;	/* verdicts at or above the threshold */
	uint64_t failed;	/* verdicts where every source failed */
	uint64_t lookups;	/* shared lookups started (checks minus joins and skips) */
};

/* What engine_stats.c reads of an engine. */
const struct engine_counters *engine_counters(const engine_t *engine);
size_t engine_n_sources(const engine_t *engine);
const struct engine_source *engine_source_at(const engine_t *engine, size_t i);
/* DNS statistics of source i, or NULL for sources that are not DNS lists. */
const struct dnsbl_stats *engine_source_dns_stats(const engine_t *engine, size_t i);
struct lru *engine_lru(const engine_t *engine);
struct rcache *engine_rcache(const engine_t *engine);

/* The periodic stats snapshot (engine_stats.c); NULL when stats_dir is empty. */
struct engine_stats_writer;
struct engine_stats_writer *engine_stats_writer_new(engine_t *engine, struct event_base *base);
void engine_stats_writer_free(struct engine_stats_writer **w);

/* The engine's share of metrics_listen (engine_metrics.c); NULL unless enabled. */
struct engine_metrics;
struct engine_metrics *engine_metrics_new(engine_t *engine, struct event_base *base);
void engine_metrics_free(struct engine_metrics **m);
/* Count one delivered verdict (NULL m: no-op). */
void engine_metrics_verdict(struct engine_metrics *m, const struct engine_verdict *v);

/* Settings the verdict builder needs (owned by engine.c). */
const struct verdict_policy *engine_policy(const engine_t *engine);
const verdict_template_t *engine_reject_template(const engine_t *engine);
const verdict_template_t *engine_tempfail_template(const engine_t *engine);
const verdict_template_t *engine_quarantine_template(const engine_t *engine);
const char *engine_hostname(const engine_t *engine);


/* ---- the engine itself (engine.c runs lookups, engine_setup.c builds it) ---- */

/* In-flight lookups are found through a small chained hash table. */
#define ENGINE_INFLIGHT_BUCKETS 1024u

/* Source groups that share a subject (and so one Redis round trip). */
enum engine_group { GROUP_ADDR, GROUP_HELO, GROUP_SENDER, GROUP_COUNT };

struct engine {
	struct event_base *base;
	cfg_t *cfg;
	resolver_t *resolver;
	dnsbl_t *dnsbl[GROUP_COUNT];	/* IP lists, HELO lists, sender lists; NULL if none */
	rcache_t *rcache;		/* NULL without redis_server */
	rlists_t *rlists;		/* NULL without redis_lists */
	report_t *reporter;		/* NULL unless report_enable */
	filelists_t *files;		/* NULL without file_lists */
	lru_t *lru;
	struct engine_source *sources;
	size_t n_sources;
	bool has_group[GROUP_COUNT];
	struct verdict_policy policy;
	verdict_template_t *reject_tpl;
	verdict_template_t *tempfail_tpl;
	verdict_template_t *quarantine_tpl;
	unsigned long long timeout_ms;
	unsigned min_ttl_s, max_ttl_s, negative_ttl_s;
	struct lookup *inflight[ENGINE_INFLIGHT_BUCKETS];	/* unfinished, by key */
	struct lookup *live;		/* every lookup not yet freed */
	/* Finished lookups wait here for one event to deliver them all: the
	 * callbacks leave engine_check() through the loop, and a busy loop
	 * delivers many verdicts per wake-up. */
	struct lookup *ready_head, *ready_tail;
	struct event *ready_ev;
	bool delivering;		/* inside engine_deliver_ready() */
	bool free_pending;		/* engine_free() came from a callback */
	struct engine_counters counters;
	struct engine_stats_writer *stats;
	zone_share_t *share;		/* zone health shared through Redis; NULL if not */
	size_t health_waiting;		/* lookups waiting for a first probe round */
	/* DNS zones not in service now; 0 (the steady state) keeps the health
	 * checks off the hot path.  Recounted after every event that may change
	 * a zone's state (a probe round, a read of the fleet's verdicts). */
	size_t zones_out;
	struct engine_metrics *metrics;	/* NULL unless the program serves metrics */
};


static inline enum engine_group group_of(enum engine_source_kind k)
{
	switch (k) {
	case ENGINE_SOURCE_RHSBL_HELO:
		return GROUP_HELO;
	case ENGINE_SOURCE_RHSBL_SENDER:
		return GROUP_SENDER;
	default:
		return GROUP_ADDR;
	}
}

/*
 * Keys built on the stack: an LRU key is kind, name, NUL, subject; the
 * in-flight key is the address text and, with domain lists, the HELO name
 * and the sender domain.  Longer keys (long HELO names) take the heap.
 */
#define ENGINE_KEY_STACK 512u
/* Sender domains on the stack up to this size (a DNS name is <= 253). */
#define ENGINE_DOMAIN_STACK 256u

/* A key being built: on the stack while it fits, then in spill. */
struct engine_key {
	char stack[ENGINE_KEY_STACK];
	struct buf spill;
	size_t len;
};

void engine_key_init(struct engine_key *k);
void engine_key_done(struct engine_key *k);
void engine_key_add(struct engine_key *k, const char *p, size_t n);
/* The key's bytes, NUL-terminated (the terminator is not counted in len). */
const char *engine_key_data(struct engine_key *k);
/* The LRU key of source s for subject: kind, name, NUL, subject. */
const char *engine_cache_key(const struct engine_source *s, const char *subject, struct engine_key *key);
/* The lower-cased domain of an envelope sender ("<u@Example.ORG>" -> "example.org"),
 * or NULL: in stack[size] when it fits, else in *heap_r (caller frees). */
char *engine_sender_domain(const char *sender, char *stack, size_t size, char **heap_r);
/* The same, always on the heap (caller frees); NULL when there is none. */
char *engine_sender_domain_dup(const char *sender);
/* A lower-cased copy (caller frees), or NULL for NULL or "". */
char *engine_lower_dup(const char *s);
unsigned engine_hash_str(const char *s);

/* engine.c: the LRU's value destructor; free every lookup (no callbacks). */
void engine_cached_answer_free(void *p);
void engine_lookups_free(engine_t *engine);
/* engine_health.c: does source i's answer count now (true for non-DNS sources)?
 * Is a first probe round out?  Discount the answers of zones not in service.
 * The dnsbl round callback; the shared health (after Redis is set up). */
bool engine_health_counts(const engine_t *engine, size_t i);
bool engine_health_first_pending(const engine_t *engine);
void engine_health_filter(const engine_t *engine, struct engine_source_result *results);
void engine_health_round(dnsbl_t *d, size_t site, void *ctx);
void engine_health_setup(engine_t *engine, bool publish);
void engine_health_recount(engine_t *engine);
/* engine.c: finish the lookups that waited for the first probe rounds. */
void engine_health_release(engine_t *engine);
/* engine.c: the ready event's callback (engine_setup.c creates the event). */
void engine_deliver_ready(evutil_socket_t fd, short what, void *arg);

#endif
