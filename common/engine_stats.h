/*
 * engine_stats - the counters of a running engine as a text snapshot, the
 * format relayguard-ctl stats reads.  One record per line, key=value pairs
 * separated by single spaces; the first key names the record:
 *
 *   program=relayguard-policyd pid=4242 started=EPOCH written=EPOCH
 *   checks=N lookups=N skipped=N listed=N failed=N
 *   cache=memory entries=N hits=N misses=N
 *   cache=redis up=0|1 state=up|down|refused hits=N misses=N errors=N timeouts=N
 *                                                              (with Redis)
 *   reports redis=none|up|down|refused backlog=N spool_pending_bytes=N
 *           oldest=EPOCH|0 spooled=N replayed=N dropped=N     (report_enable)
 *   zone=NAME kind=dnsbl|rhsbl-helo|rhsbl-sender queries=N listed=N not_listed=N
 *        errors=N timeouts=N latency_us_total=N latency_us_max=N suspended=0|1
 *        state=unprobed|in_service|suspended since=EPOCH reason=TEXT
 *
 * reason is always the last key of a zone line and runs to the end of the
 * line (it holds spaces: which probe said what, or the host that shared a
 * dead verdict; see common/zone_health.h).  suspended=1 is state=suspended.
 *
 * Zone names are the display names (dnsbl_reply_map), so a feed key in a
 * zone name does not end up in a world-readable file.  Daemons write the
 * snapshot every stats_interval to stats_dir (see engine_int.h); the engine
 * does it by itself, the doors need not.  Engine thread only.
 */
#ifndef RELAYGUARD_ENGINE_STATS_H
#define RELAYGUARD_ENGINE_STATS_H

#include <time.h>

#include "buf.h"
#include "engine.h"

/* Append the snapshot of engine (started: when it started) to out. */
void engine_stats_format(const engine_t *engine, time_t started, struct buf *out);

/* Append the history lines of engine at now (format: stats_history.h), src
 * naming its series, to out.  The engine also appends them by itself every
 * stats_history_interval and when it is freed. */
void engine_stats_history_format(const engine_t *engine, const char *src, time_t started, time_t now,
				 struct buf *out);

#endif
