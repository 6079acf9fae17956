/*
 * stats_history - the daemons' counters over time: a bounded, append-only
 * history that relayguard-ctl report reads.
 *
 * Files: {stats_history_dir}/history-YYYYMMDD.log, one per UTC day, shared
 * by every daemon of the host.  Each stats_history_interval every engine appends its
 * lines in one write() to an O_APPEND file (so lines of two processes never
 * mix), created with mode 0666 minus the daemon's umask.  Retention: days
 * older than stats_history_keep are deleted, and the oldest days go first
 * while the files take more than stats_history_max_size (today's file is
 * never deleted: once it alone is full, today's lines are dropped, with one
 * warning).  stats_history_keep = 0 or an empty stats_history_dir: no history.
 *
 * Line format (version 1), key=value pairs separated by single spaces; the
 * first two keys are always t (unix seconds) and src (program.pid.n, one
 * series of cumulative counters: a counter that goes down means a restart):
 *
 *   t=EPOCH src=SRC started=EPOCH checks=N skipped=N listed=N failed=N
 *   t=EPOCH src=SRC zone=NAME kind=K queries=N listed=N not_listed=N
 *                   errors=N timeouts=N state=unprobed|in_service|suspended
 *
 * Unknown keys are ignored (later versions may add some); values are
 * decimal, names have no spaces (zone display names, see engine_stats.h).
 *
 * Writer: engine thread only (one per engine).  Its cost on that thread is
 * one open/write/close per stats_history_interval and, once an hour, a readdir of
 * the folder: no waiting on the network, never a check's path.  Failures
 * cost one warning, never a check.  The reader is reentrant.
 */
#ifndef RELAYGUARD_STATS_HISTORY_H
#define RELAYGUARD_STATS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"

/* Longest line the reader accepts (a zone name is at most 253 bytes). */
#define STATS_HISTORY_LINE_MAX 1024
/* Longest src and zone name kept. */
#define STATS_HISTORY_NAME_MAX 256

typedef struct stats_history stats_history_t;

/* A history writer for cfg, or NULL when history is off.  The folder is
 * made at the first append.  Caller frees with stats_history_free(). */
stats_history_t *stats_history_new(const cfg_t *cfg);
void stats_history_free(stats_history_t **h);
/* Append lines (complete lines, each ending in '\n') to now's file, and
 * prune old files at most once an hour. */
void stats_history_append(stats_history_t *h, const struct buf *lines, time_t now);

enum zone_hstate { ZONE_H_UNPROBED, ZONE_H_IN_SERVICE, ZONE_H_SUSPENDED };

/* One parsed line. */
struct stats_history_rec {
	long long t;
	char src[STATS_HISTORY_NAME_MAX];
	bool is_zone;			/* a zone line; else an engine line */
	/* engine line */
	long long started;
	unsigned long long checks, skipped, listed, failed;
	/* zone line (listed above is the zone's listings) */
	char zone[STATS_HISTORY_NAME_MAX];
	char kind[16];
	unsigned long long queries, not_listed, errors, timeouts;
	enum zone_hstate state;
};

/*
 * Parse one line (len bytes, no '\n' needed, need not be NUL-terminated).
 * 0 and *rec filled, or -1 with *why_r a static text (a torn or foreign
 * line: t or src missing, a number that is not one, a line too long).
 */
int stats_history_parse(const char *line, size_t len, struct stats_history_rec *rec, const char **why_r);

/* Called for each good line of stats_history_read(); return nonzero to stop. */
typedef int stats_history_cb(const struct stats_history_rec *rec, void *ctx);

/*
 * Read every line with t >= since from the files of dir, oldest day first,
 * in file order.  Bad lines are counted in *bad_r (if not NULL) and the
 * first one described in *first_bad_r ("FILE:LINE: why"; caller frees;
 * NULL if none or first_bad_r is NULL).  Returns the number of files read,
 * or -1 with *error_r (caller frees) when dir cannot be listed.
 */
int stats_history_read(const char *dir, time_t since, stats_history_cb *cb, void *ctx, size_t *bad_r,
		       char **first_bad_r, char **error_r);

/* "unprobed", "in_service", "suspended". */
const char *stats_history_state_name(enum zone_hstate s);

#endif
