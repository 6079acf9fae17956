/*
 * engine_metrics - the engines' counters for metrics_listen (Prometheus).
 *
 * Each engine counts on its own thread, without locks, and every
 * ENGINE_METRICS_PUBLISH_MS (and when it is freed) copies its counters
 * into a slot of a process-wide registry under a mutex.  A scrape reads
 * the slots under the same mutex: it never waits for an engine, and an
 * engine never waits for a scrape longer than a copy.  Counters of freed
 * engines (a reload, a worker gone) are kept, so totals never go back.
 *
 * Only a program that serves metrics calls engine_metrics_enable() (before
 * it creates its engines); other engines (relayguard-ctl) count nothing.
 *
 * engine_metrics_collect() is a metrics_collect_fn (metrics_http.h):
 * callable from any thread.  The metric names are listed in
 * relayguard.conf(5), METRICS.
 */
#ifndef RELAYGUARD_ENGINE_METRICS_H
#define RELAYGUARD_ENGINE_METRICS_H

#include "buf.h"
#include "cfg.h"
#include "metrics_http.h"

/* How stale a scrape may be: each engine publishes this often. */
#define ENGINE_METRICS_PUBLISH_MS 1000

/* Let engines created from now on count for the metrics. */
void engine_metrics_enable(void);

/*
 * For a daemon, before it creates its engines: when cfg's metrics_listen
 * has an address for program ("policyd", "milter"), enable the engines' metrics and bind the listener (metrics_http_new(),
 * with engine_metrics_collect); the caller starts it after detaching and
 * frees it at exit.  0 with *m_r (NULL without metrics_listen), or -1 with
 * *error_r (caller frees).
 */
int engine_metrics_listen(const cfg_t *cfg, const char *program, metrics_http_t **m_r, char **error_r)
	__attribute__((warn_unused_result));

/* Append every family of the engines' metrics to out; ctx unused. */
void engine_metrics_collect(struct buf *out, void *ctx);

#endif
