/*
 * engine_int - the engine's private structures, shared by engine.c (the
 * lookup machinery) and engine_verdict.c (scoring, replies, copies, logs).
 * Nothing outside common/engine*.c includes this file.
 */
#ifndef RELAYGUARD_ENGINE_INT_H
#define RELAYGUARD_ENGINE_INT_H

#include "engine.h"
#include "site.h"

/* One configured source, resolved at engine_new() time. */
struct engine_source {
	enum engine_source_kind kind;
	char *name;		/* zone or list name */
	char *display;		/* shown to clients */
	int weight;
	size_t index;		/* site index in its dnsbl_t, or file list index */
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
 * Score an outcome and build its verdict: a deep, owned structure (every
 * string and the source array copied), freed with engine_verdict_free().
 */
struct engine_verdict *engine_verdict_build(const engine_t *engine, const struct engine_outcome *out);

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

/* Settings the verdict builder needs (owned by engine.c). */
const struct verdict_policy *engine_policy(const engine_t *engine);
const verdict_template_t *engine_reject_template(const engine_t *engine);
const verdict_template_t *engine_tempfail_template(const engine_t *engine);
const char *engine_hostname(const engine_t *engine);

#endif
