/*
 * cidrset - a set of IPv4 and IPv6 prefixes, each with a 32-bit value, and
 * longest-prefix match.
 *
 * The set is a path-compressed binary (Patricia) trie per address family;
 * IPv4 and IPv6 never share a root, so 0.0.0.0/0 does not cover any IPv6
 * address and ::/0 does not cover any IPv4 address.  IPv4-mapped IPv6
 * addresses are IPv4 addresses already (see addr.h), so they match the IPv4
 * prefixes.  Nodes live in one array per family and link to each other by
 * 32-bit index, which keeps a large set compact (about 55 bytes per prefix
 * for a million DNSBL-shaped prefixes, see doc/PERFORMANCE.md).  A large
 * family also gets a table indexed by the first address bits, so that a
 * lookup skips the top of the trie.
 *
 * Prefixes cannot be removed; the whole set is freed at once.
 *
 * Ownership: the caller owns the set it gets from cidrset_new() and frees it
 * with cidrset_free().  Every addr_t argument is only read during the call.
 *
 * Thread-safety: not thread-safe for writes.  Once built, any number of
 * threads may call the const functions (lookup, find_exact, count, memory,
 * walk) concurrently: none of them changes the set, not even a cache.
 *
 * Out-of-memory aborts (mem.h); no function here fails for lack of memory.
 * A set that reaches its size limit refuses new prefixes (CIDRSET_FULL).
 */
#ifndef RELAYGUARD_CIDRSET_H
#define RELAYGUARD_CIDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Most nodes one family's trie may hold (an index is 31 bits, one value spare). */
#define CIDRSET_MAX_NODES 0x7ffffffeu

typedef struct cidrset cidrset_t;

/* A new empty set; caller frees with cidrset_free(). */
cidrset_t *cidrset_new(void);
/* Free the set and set *set to NULL; *set may be NULL already. */
void cidrset_free(cidrset_t **set);

/* cidrset_insert(): the set is full (it is then unchanged). */
#define CIDRSET_FULL (-2)

/*
 * At most max prefixes in the set (both families together; 0, the default:
 * no limit but CIDRSET_MAX_NODES).  Prefixes already stored stay.
 */
void cidrset_set_max_entries(cidrset_t *set, size_t max);

/*
 * Store prefix/plen with value.  Host bits of prefix beyond plen are ignored.
 * plen must be at most 32 for AF_INET and 128 for AF_INET6.  Returns 0 when
 * the prefix is new, 1 when it was present and its value was replaced, -1
 * when plen is too long for the family or the family is neither AF_INET nor
 * AF_INET6, CIDRSET_FULL when a new prefix would pass the set's maximum or
 * its family's trie would pass CIDRSET_MAX_NODES (in each case the set is
 * unchanged).  Never ends the process: a list being reloaded is refused by
 * its loader, and the running one stays.
 */
int cidrset_insert(cidrset_t *set, const addr_t *prefix, unsigned plen, uint32_t value);

/*
 * Longest-prefix match: find the most specific stored prefix holding a.
 * Returns true and fills *value_r and *plen_r (either may be NULL), or
 * false when no prefix holds a (the out-parameters are then untouched).
 */
bool cidrset_lookup(const cidrset_t *set, const addr_t *a, uint32_t *value_r, unsigned *plen_r);

/* Is exactly prefix/plen stored (host bits ignored)?  *value_r may be NULL. */
bool cidrset_find_exact(const cidrset_t *set, const addr_t *prefix, unsigned plen,
			uint32_t *value_r);

/* Number of prefixes stored (both families). */
size_t cidrset_count(const cidrset_t *set);
/* Bytes allocated for the set, its node arrays counted at their capacity. */
size_t cidrset_memory(const cidrset_t *set);

/*
 * Call cb for every stored prefix: in address order, IPv4 before IPv6, a
 * prefix before the more specific prefixes inside it.  prefix is only valid
 * during the call.  The set must not be changed from inside cb.  A non-zero
 * return from cb stops the walk and is returned; otherwise returns 0.
 */
typedef int cidrset_walk_cb(const addr_t *prefix, unsigned plen, uint32_t value, void *ctx);
int cidrset_walk(const cidrset_t *set, cidrset_walk_cb *cb, void *ctx);

/*
 * The stored prefixes as sorted, non-overlapping inclusive ranges (IPv4
 * first): every address held by some prefix lies in exactly one range, whose
 * value is that of the most specific prefix holding it.  Neighbouring ranges
 * with equal values are not joined.  first and last are only valid during
 * the call; the set must not be changed from inside cb.  A non-zero return
 * from cb stops the walk and is returned; otherwise returns 0.
 */
typedef int cidrset_range_cb(const addr_t *first, const addr_t *last, uint32_t value, void *ctx);
int cidrset_walk_ranges(const cidrset_t *set, cidrset_range_cb *cb, void *ctx);

#endif
