/*
 * milter_recent - clients checked lately, so that the milter can skip the
 * connect-time prefetch for them: their answers are in the engine's cache
 * already, and the hand-off to the engine thread is most of what a warm
 * check costs.
 *
 * A direct-mapped table of MILTER_RECENT_SLOTS addresses: a collision
 * forgets the older client, which only brings its prefetch back.  An entry
 * lasts ttl_ms from its last note.  A table made with ttl_ms 0 remembers
 * nothing.  Thread-safe (one mutex; libmilter runs a thread per connection).
 */
#ifndef RELAYGUARD_MILTER_RECENT_H
#define RELAYGUARD_MILTER_RECENT_H

#include <stdbool.h>

#include "addr.h"

#define MILTER_RECENT_SLOTS 1024

typedef struct milter_recent milter_recent_t;

milter_recent_t *milter_recent_new(unsigned long long ttl_ms);
void milter_recent_free(milter_recent_t **recent);
/* Was a noted within the last ttl_ms? */
bool milter_recent_hit(milter_recent_t *recent, const addr_t *a);
/* a has just been checked with every source answering. */
void milter_recent_note(milter_recent_t *recent, const addr_t *a);

#endif
