/*
 * report_keys - the Redis key names of the report queue, in one place for
 * the writer (common/report: the stream, the event marker, the dedupe key)
 * and the readers (notify/: the consumer group and the notifier's keys;
 * relayguard-ctl queue, networks, notices).  The schema and its versions
 * are in doc/redis-schema.md; doc/reports.md says what each key holds.
 *
 * Every key is in the stream's hash slot (one slot per script on a Redis
 * Cluster): the stream "{prefix}reports" has no tag, so its slot is the
 * hash of its whole name; every other key carries that name as its tag:
 *
 *   {prefix}reports                         the stream, group "notify"
 *   {prefix}rep:{{prefix}reports}:id:ID     event marker (report.c)
 *   {prefix}rep:{{prefix}reports}:seen:IP   client dedupe (report.c)
 *   {prefix}{{prefix}reports}:KIND...       the notifier's keys, KIND below
 *
 * report_streams = N > 1 (doc/redis-schema.md, "Several report streams"):
 * stream 0 keeps the name above; stream i (1..N-1) is
 * "{prefix}reports:I.S", S the first number that puts its slot in the
 * middle half of its own N-th of the slot space (report_keys_stream_at),
 * so that on a Cluster made with equal slot ranges per master the N
 * streams sit on different masters.  A client's events always go to the
 * stream of its routing network (IPv4 /24, IPv6 /48: report_keys_pick),
 * with its marker and dedupe key tagged with that stream's name.  The
 * notifier's per-network counts of stream i are PARTIAL counts tagged with
 * stream i's name (report_keys_tagged_for); told:, untold:, notice:, rate:
 * and notices stay under stream 0's tag whatever N is, so "one notice per
 * network per interval" is decided in one slot.  With N = 1 every name is
 * exactly the one above.
 *
 * Functions append to out (struct buf) and never fail.  Thread-safe.
 */
#ifndef RELAYGUARD_REPORT_KEYS_H
#define RELAYGUARD_REPORT_KEYS_H

#include "addr.h"
#include "buf.h"

/* The consumer group every notifier reads the stream in. */
#define REPORT_KEYS_GROUP "notify"

/*
 * The kinds of the notifier's keys, after its prefix (report_keys_tagged).
 * Macros, not functions, because the notifier's Lua scripts build some of
 * these names inside Redis from the same strings.
 */
#define REPORT_KEYS_NET "v3:net:"	/* string per window and network: counts and facts (notify/ncounts.h) */
#define REPORT_KEYS_NETS "v3:nets:"	/* zset per window: netkey -> hits */
#define REPORT_KEYS_TOLD "told:"	/* per network: told within notify_interval */
#define REPORT_KEYS_UNTOLD "untold:"	/* per network: "nobody told" logged this interval */
#define REPORT_KEYS_NOTICE "notice:"	/* per notice id: claimed / sent */
#define REPORT_KEYS_RATE "rate:"	/* per hour: notices sent (notify_rate) */
#define REPORT_KEYS_NOTICES "notices"	/* list: JSON lines of sent notices */
#define REPORT_KEYS_STREAMS "streams"	/* string: the report_streams the notifiers last read (absent: 1) */

/* report_streams: at most this many streams. */
#define REPORT_STREAMS_MAX 64

/* The stream (0 .. n-1) a client's events go to, from its routing network
 * (IPv4 /24, IPv6 /48); 0 when n <= 1. */
unsigned report_keys_pick(const addr_t *client, unsigned n);
/* Stream i of n: "{prefix}reports" for i == 0, else "{prefix}reports:I.S"
 * (see above; a search of about 2n CRC16s: callers keep the name). */
void report_keys_stream_at(const char *prefix, unsigned i, unsigned n, struct buf *out);
/* The notifier's key prefix for the counts of stream: "{prefix}{STREAM}:". */
void report_keys_tagged_for(const char *prefix, const char *stream, struct buf *out);
/* The marker and dedupe keys of an event queued on stream (its name as their tag). */
void report_keys_event_for(const char *prefix, const char *stream, const char *id, const char *client,
			   struct buf *mark, struct buf *seen);

/* The stream: "{prefix}reports" (stream 0). */
void report_keys_stream(const char *prefix, struct buf *out);
/* The notifier's key prefix: "{prefix}{{prefix}reports}:" (the stream's name as tag). */
void report_keys_tagged(const char *prefix, struct buf *out);
/*
 * The keys of one event's emit script: the stream, the marker
 * "{prefix}rep:{{prefix}reports}:id:ID" and the dedupe key
 * "{prefix}rep:{{prefix}reports}:seen:CLIENT", each appended to its buffer.
 */
void report_keys_event(const char *prefix, const char *id, const char *client, struct buf *stream,
		       struct buf *mark, struct buf *seen);

/* The notifier's keys; kp is report_keys_tagged()'s prefix. */
void report_keys_net(const char *kp, long long window, const char *netkey, struct buf *out);
void report_keys_nets(const char *kp, long long window, struct buf *out);
void report_keys_told(const char *kp, const char *netkey, struct buf *out);
void report_keys_untold(const char *kp, const char *netkey, struct buf *out);
void report_keys_notice(const char *kp, const char *id, struct buf *out);
void report_keys_rate(const char *kp, long long hour, struct buf *out);
void report_keys_notices(const char *kp, struct buf *out);
void report_keys_streams(const char *kp, struct buf *out);

#endif
