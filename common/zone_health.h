/*
 * zone_health - the health state of one DNS list zone: this process's probe
 * rounds and the fleet's shared verdict merged into one state, with the
 * reason, and a log line at every change.  No I/O: dnsbl feeds it probe
 * rounds, zone_share feeds it what other servers published in Redis.
 *
 * States:
 *   ZONE_UNPROBED    no probe round of ours has passed yet (at start, or the
 *                    first rounds failed); the zone's answers do not count
 *   ZONE_IN_SERVICE  its answers count
 *   ZONE_SUSPENDED   its answers do not count, from any layer
 *
 * The state, first rule that applies:
 *   1. our last round said DEAD (the must-not-be-listed name is listed: a
 *      list that answers "listed" for everything)          -> SUSPENDED
 *   2. ZONE_FAILED_ROUNDS rounds of ours failed in a row (timeouts, errors,
 *      the test entry not listed)                          -> SUSPENDED
 *   3. another server of the fleet published a fresh DEAD verdict for the
 *      zone (zone_health_shared)                           -> SUSPENDED
 *   4. no round of ours has passed yet                     -> UNPROBED
 *   5. otherwise                                           -> IN_SERVICE
 * So a dead verdict from any server suspends the zone everywhere until that
 * server's own later round passes (it then publishes "alive") or its verdict
 * goes stale (zone_share); a server that merely cannot reach a zone (rule 2)
 * suspends it for itself only, because the others may reach it fine.
 * Suspending wrongly costs a list's hits; counting a dead list rejects
 * innocent mail: in doubt, the rules suspend.
 *
 * Without probes (zone_health_init with probed = false) a zone is in
 * service from the start and stays so, whatever the fleet says: there is no
 * round of ours to lift a shared verdict.
 *
 * Times are wall-clock milliseconds (they travel between servers).
 * Thread-safety: none; a zone_health belongs to its dnsbl_t's thread.
 */
#ifndef RELAYGUARD_ZONE_HEALTH_H
#define RELAYGUARD_ZONE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "site.h"

/* Longest reason kept (longer ones are cut), with its NUL. */
#define ZONE_WHY_MAX 320u
/* Longest server name ("myhostname/program") kept, with its NUL. */
#define ZONE_HOST_MAX 128u
/* Failed probe rounds in a row that suspend a zone. */
#define ZONE_FAILED_ROUNDS 3u

enum zone_state { ZONE_UNPROBED, ZONE_IN_SERVICE, ZONE_SUSPENDED };

/* What one probe round of ours found. */
enum zone_round { ZONE_ROUND_PASS, ZONE_ROUND_FAILED, ZONE_ROUND_DEAD };

/* Read the fields, change them only through the functions below. */
struct zone_health {
	char zone[SITE_ZONE_MAX + 1];
	enum zone_state state;
	char why[ZONE_WHY_MAX];		/* why the zone is in this state */
	int64_t since_ms;		/* when it entered this state */
	bool probed;			/* health probes run for this zone */
	/* our own rounds */
	bool passed;			/* a round has passed since start */
	bool dead;			/* the last round said DEAD */
	unsigned failures;		/* failed rounds in a row */
	char round_why[ZONE_WHY_MAX];	/* what the last round found */
	/* the fleet's */
	bool shared_dead;
	char shared_host[ZONE_HOST_MAX];
	int64_t shared_at_ms;
	char shared_why[ZONE_WHY_MAX];
};

/* Start: UNPROBED when probed, else IN_SERVICE.  zone is copied (cut). */
void zone_health_init(struct zone_health *h, const char *zone, bool probed, int64_t now_ms);

/*
 * One round of ours ended with r; why says which probe said what (copied,
 * cut to ZONE_WHY_MAX).  Returns true when the state changed (then logged:
 * a warning for SUSPENDED, a notice otherwise).  Ignored without probes.
 */
bool zone_health_round(struct zone_health *h, enum zone_round r, const char *why, int64_t now_ms);

/*
 * The fleet's view: host published a fresh DEAD verdict at at_ms with why,
 * or host NULL: no other server holds the zone dead.  Strings are copied.
 * Returns true when the state changed (logged).  Ignored without probes.
 */
bool zone_health_shared(struct zone_health *h, const char *host, const char *why, int64_t at_ms,
			int64_t now_ms);

/* Do the zone's answers count?  The hot path's test: one field read. */
static inline bool zone_health_counts(const struct zone_health *h)
{
	return h->state == ZONE_IN_SERVICE;
}

/* printf into a reason buffer of ZONE_WHY_MAX bytes, cut when longer. */
void zone_why_printf(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "unprobed", "in_service", "suspended": for logs and stats files. */
const char *zone_state_name(enum zone_state s);
/* "not yet probed", "in service", "suspended": for people. */
const char *zone_state_label(enum zone_state s);

#endif
