/*
 * probe_run - one host from the gate to the stored result: what
 * relayguard-probe does per address, and what a notifier calls before it
 * accuses a host (notify_verify, next step of issue 17).
 *
 * Order: the gate (probe_allowed_targets, before any socket), a stored
 * result younger than probe_ttl and of a mode at least as strong (unless
 * force), the per-host lock and rate limits, the relay and proxy tests, the
 * stored result (probe_results).  The caller has run probe_setup() and, for
 * deliver mode or the proxy test, started s->canary.
 *
 * Returns PROBE_RUN_PROBED or PROBE_RUN_CACHED with *r filled (caller
 * probe_result_free()s it), or PROBE_RUN_REFUSED (the gate) or
 * PROBE_RUN_LIMITED (a limit, the lock, the state folder) with the reason
 * in why and *r empty.  Logs one line per probe.  Blocking: up to a few
 * timeouts of the settings.  Not thread-safe (the canary is shared).
 */
#ifndef RELAYGUARD_PROBE_RUN_H
#define RELAYGUARD_PROBE_RUN_H

#include "cfg.h"
#include "probe.h"
#include "probe_policy.h"

enum probe_run_status { PROBE_RUN_PROBED, PROBE_RUN_CACHED, PROBE_RUN_REFUSED, PROBE_RUN_LIMITED };

enum probe_run_status probe_run_host(const cfg_t *cfg, const struct probe_settings *s, const struct probe_limits *l,
				     const addr_t *a, bool force, struct probe_result *r, char *why, size_t why_size);

/*
 * The stored result of a when it is younger than probe_ttl and of a mode
 * at least as strong as s asks (the step probe_run_host() takes first):
 * true with *r filled, else false with *r empty (probe_result_init()ed by
 * the caller; free it with probe_result_free() either way).  Opens no
 * socket to a: the notifier uses it to tell what costs no probing time.
 */
bool probe_run_cached(const cfg_t *cfg, const struct probe_settings *s, const addr_t *a, struct probe_result *r);

#endif
