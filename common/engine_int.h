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

/* Settings the verdict builder needs (owned by engine.c). */
const struct verdict_policy *engine_policy(const engine_t *engine);
const verdict_template_t *engine_reject_template(const engine_t *engine);
const verdict_template_t *engine_tempfail_template(const engine_t *engine);
const char *engine_hostname(const engine_t *engine);

#endif
