/*
 * milter_recent - clients checked lately, and how their check ended, so that
 * the milter can skip the connect-time prefetch for them (their answers are
 * in the engine's cache already, and the hand-off to the engine thread is
 * most of what a warm check costs), and, with milter_early_accept, accept a
 * client that passed without asking the engine at all.
 *
 * A direct-mapped table of MILTER_RECENT_SLOTS addresses: a collision
 * forgets the older client, which only brings its prefetch back.  An entry
 * lasts ttl_ms from its last note; the caller keeps ttl_ms within the time
 * the engine's own caches keep the answers.  A table made with ttl_ms 0
 * remembers nothing.  Thread-safe (one mutex; libmilter runs a thread per
 * connection).
 */
#ifndef RELAYGUARD_MILTER_RECENT_H
#define RELAYGUARD_MILTER_RECENT_H

#include <stdbool.h>

#include "addr.h"

#define MILTER_RECENT_SLOTS 1024

typedef struct milter_recent milter_recent_t;

milter_recent_t *milter_recent_new(unsigned long long ttl_ms);
void milter_recent_free(milter_recent_t **recent);
enum milter_recent_state {
	MILTER_RECENT_UNKNOWN,	/* not checked lately (or forgotten) */
	MILTER_RECENT_CHECKED,	/* checked, every source answered */
	MILTER_RECENT_PASSED,	/* that check was a pass */
};

enum milter_recent_state milter_recent_get(milter_recent_t *recent, const addr_t *a);
/* a has just been checked with every source answering; passed: the verdict was a pass. */
void milter_recent_note(milter_recent_t *recent, const addr_t *a, bool passed);

#endif
