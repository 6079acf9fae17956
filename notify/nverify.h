/*
 * nverify - notify_verify: before a notice goes out, relayguard-notify
 * probes the network's reported hosts with relayguard-probe's own steps
 * (probe_run_host(): probe_allowed_targets before any socket, the stored
 * result within probe_ttl, the per-host lock, the rate limits) and puts
 * the evidence in the notice (nevidence.h).  With
 * notify_require_confirmation = yes only confirmed hosts stay in the
 * notice, and a network without one gets none.
 *
 * Bounded time (the notifier must not hang on a probe):
 *   - at most notify_verify_hosts hosts per notice, the most active first;
 *     the others are not probed (without notify_require_confirmation they
 *     stay in the notice without evidence, with it they are dropped);
 *   - stored results first: a host probed within probe_ttl costs a Redis
 *     GET or a file read, never a connection;
 *   - notify_verify_budget of probing per sending pass
 *     (nverify_pass_begin()): once it is used up, a notice whose hosts
 *     would need a new probe is put off (NVERIFY_WAIT: the caller releases
 *     its claim, the next pass tries again with what is stored by then);
 *     a notice whose probing has begun is finished, so a pass lasts at
 *     most the budget plus notify_verify_hosts probes;
 *   - each probe runs within its own timeouts (probe_connect_timeout,
 *     probe_read_timeout, probe_canary_wait, probe_read_max; see
 *     relayguard-probe(8)).
 * A host outside probe_allowed_targets is never contacted: it is
 * "refused" (in the notice without evidence, or dropped when
 * confirmation is required).
 *
 * Log lines: each probe (probe_run_host's line); with
 * notify_require_confirmation, each host dropped ("host H of network N
 * dropped from the notice: RESULT") and each network left without a notice,
 * once per network and window in this process.
 *
 * Ownership: nverify_new() borrows cfg (the caller keeps it referenced
 * until nverify_free()); it starts the probe's canary listener when
 * probe_canary is set.  Single-threaded, like the notifier.
 */
#ifndef RELAYGUARD_NVERIFY_H
#define RELAYGUARD_NVERIFY_H

#include "cfg.h"
#include "nagg.h"
#include "nevidence.h"

typedef struct nverify nverify_t;

struct nverify_stats {
	unsigned long long probes[NEV__COUNT];	/* probes run, by result (NEV_OPEN_RELAY .. NEV_NOT_TESTED) */
	unsigned long long cached;		/* stored results reused */
	unsigned long long refused;		/* hosts outside probe_allowed_targets */
	unsigned long long limited;		/* hosts not probed: a rate limit or the host's lock */
	unsigned long long waited;		/* notices put off to the next pass (notify_verify_budget) */
	unsigned long long hosts_dropped;	/* hosts left out of a notice (notify_require_confirmation) */
	unsigned long long networks_unconfirmed; /* networks without a confirmed host: no notice */
};

enum nverify_decision {
	NVERIFY_SEND,	/* render out->net with out->ev */
	NVERIFY_DROP,	/* no confirmed host (notify_require_confirmation): no notice, logged */
	NVERIFY_WAIT,	/* notify_verify_budget used up: try again next pass */
};

/* What to render for one notice (nverify_notice_free() it after rendering). */
struct nverify_notice {
	struct net_agg *net;	/* the network itself, or its copy holding the confirmed hosts only */
	struct nevidence ev;
	nagg_t *kept;		/* owns that copy; NULL when net is the caller's */
};

/*
 * notify_verify = no: 0 and *v_r = NULL (every other function accepts
 * NULL).  Else the probe's settings (probe_setup()), its state folder and
 * its canary: 0, or -1 with *error_r (caller frees).  stored_only
 * (relayguard-notify --dry-run): no host is contacted and no canary
 * started; stored results are used, other hosts are "not-probed".
 */
int nverify_new(const cfg_t *cfg, bool stored_only, nverify_t **v_r, char **error_r)
	__attribute__((warn_unused_result));
void nverify_free(nverify_t **v);
/* A sending pass starts: notify_verify_budget counts from now. */
void nverify_pass_begin(nverify_t *v);
/* Verify net's hosts (net is not changed); see the decisions above. */
enum nverify_decision nverify_net(nverify_t *v, struct net_agg *net, struct nverify_notice *out);
void nverify_notice_free(struct nverify_notice *nn);
/* The counters (zeros for NULL). */
void nverify_stats(const nverify_t *v, struct nverify_stats *st);

#endif
