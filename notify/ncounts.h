/*
 * ncounts - a network's counts in Redis as ONE string (key schema v3,
 * doc/redis-schema.md): lines of TAB-separated fields that commits
 * APPEND and the notifier reads back and compacts.
 *
 *   c  CLEN TAG                       compaction header, first line of a
 *                                     compacted string: its length then,
 *                                     and a tag no other compaction uses
 *   f  NETWORK NETNAME ORG COUNTRY ABUSE OWNED       the network's facts
 *   a  ADDR HITS FIRST LAST HELO EVIDENCE            counts of one address
 *   h  HOST N                                        a reporting host's count
 *   L  LIST N                                        a list's count
 *
 * Why one string: a commit then costs Redis one APPEND per network, however
 * many addresses, hosts and lists it brings, and no Lua work per field (a
 * hash with a field per address cost Redis about 25 µs per network).  The
 * records of one address or name are summed when read: HITS and N add up,
 * FIRST is the least, LAST the greatest, HELO the last non-empty one,
 * EVIDENCE merged token by token (nagg_evidence_merge).  A network's
 * hits, first and last follow from its addresses.
 *
 * Fields never hold TAB or LF (the writer turns them into spaces, as the
 * notice does with every control byte); other bytes are kept.  The reader is strict about numbers and field counts and
 * skips (and counts) a line it cannot read; unknown record letters are
 * skipped too (a later version may add some).  Not thread-safe only as
 * far as the nagg_t it fills.
 */
#ifndef RELAYGUARD_NCOUNTS_H
#define RELAYGUARD_NCOUNTS_H

#include <stddef.h>

#include "buf.h"
#include "nagg.h"

#define NCOUNTS_LINE_MAX 4096	/* bytes of one line; longer lines are skipped */

/* The records of net's addresses, hosts and lists (what a commit appends). */
void ncounts_delta(const struct net_agg *net, struct buf *out);
/* The facts record of net (appended once, when the string is new). */
void ncounts_facts(const struct net_agg *net, struct buf *out);
/*
 * net compacted: the header (CLEN = the length of the whole result, tag
 * as given: no TAB or LF), the facts, one record per address, host and list.
 */
void ncounts_compact(const struct net_agg *net, const char *tag, struct buf *out);

/*
 * Read the string s (len bytes) of netkey in window into `into`: the
 * network (created when missing) with the sums of every record, or NULL
 * when s holds no record at all.  *bad_r (may be NULL): lines skipped.
 */
struct net_agg *ncounts_load(nagg_t *into, long long window, const char *netkey, const char *s, size_t len,
			     size_t *bad_r);

/* The first line of s (without its LF): the compaction check compares it. */
size_t ncounts_first_line(const char *s, size_t len);

#endif
