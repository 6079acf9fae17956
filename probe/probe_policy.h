/*
 * probe_policy - who may be probed, and how often.
 *
 * probe_policy_allowed() is the gate every target passes BEFORE any socket
 * is opened: the address must fall inside probe_allowed_targets, which must
 * be set (an empty list allows nothing).
 *
 * probe_policy_acquire() then takes, for one host:
 *   - the per-host lock: STATE_DIR/lock/ADDRESS held with flock() for the
 *     whole probe, so one probe at a time per host, across processes;
 *   - a place in the rate limits, from the journal STATE_DIR/journal (one
 *     line "EPOCH ADDRESS" per probe started, read and rewritten under
 *     STATE_DIR/journal.lock): no probe of the host within host_interval;
 *     at most network_rate probes per hour into its /24 (IPv4) or /48
 *     (IPv6); at most global_rate per hour in all.
 * A refusal says which limit, in why_r.  Lines of the journal that do not
 * parse are dropped (it is our own file; a torn write loses one line).
 */
#ifndef RELAYGUARD_PROBE_POLICY_H
#define RELAYGUARD_PROBE_POLICY_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "cfgval.h"

struct probe_limits {
	long long host_interval_s;
	long long network_rate;		/* per hour */
	long long global_rate;		/* per hour */
};

/* 0 when a may be contacted; -1 and a reason. */
int probe_policy_allowed(const struct cfg_netlist *allowed, const addr_t *a, const char **why_r)
	__attribute__((warn_unused_result));
/* Is b in the same rate-limit network as a (/24, /48)? */
int probe_policy_same_network(const addr_t *a, const addr_t *b);
/*
 * Lock the host and take a place in the limits at time now.  0 and
 * *lock_fd_r (release it with probe_policy_release), or -1 with a reason in
 * why (why_size bytes): a limit, a probe of the host already running, or a
 * state-directory error.
 */
int probe_policy_acquire(const char *state_dir, const addr_t *a, const struct probe_limits *l, time_t now,
			 int *lock_fd_r, char *why, size_t why_size) __attribute__((warn_unused_result));
void probe_policy_release(int *lock_fd);
/* Create STATE_DIR and its lock/ and results/ folders (0700 is not needed:
 * nothing secret); 0 or -1 with errno. */
int probe_policy_mkdirs(const char *state_dir) __attribute__((warn_unused_result));

#endif
