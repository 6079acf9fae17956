/*
 * log - the severity ladder, to syslog or to standard error.
 *
 * Levels, most to least severe: error, warning, notice, info, debug.  A
 * message is emitted when its level is at or above the configured one
 * (log_level).  Daemons in the background log to syslog (facility from
 * syslog_facility, default mail); in the foreground, and for relayguard-ctl,
 * to standard error with a timestamp.
 *
 * Every message is escaped before it is written: a byte below 0x20 or 0x7f
 * (CR, LF, ESC from a client, a DNS answer or a registry) becomes \xNN,
 * at every level, so that nothing untrusted can forge a line or drive a
 * terminal.  Bytes from 0x80 up pass (UTF-8).
 *
 * Floods: a warning or error repeated word for word is limited:
 * LOG_FLOOD_BURST identical lines per LOG_LIMIT_INTERVAL_MS, then counted,
 * and the next one logged says " (N more like this suppressed)".  Lines
 * that differ (each bad line of a file) all show; call sites whose lines
 * differ and can still flood use log_limited().  Lines at
 * notice, info and debug (decisions) are never limited; log_fatal() and
 * log_lines() are not either.
 *
 * Decisions are logged as one line of key=value pairs (Postfix style) built
 * with log_kv_*() into a struct buf; values with spaces, quotes or controls
 * are quoted and escaped so that a line stays one line and greppable.
 *
 * Secrets (a Redis password, a feed key in a zone name) must never be passed
 * here; callers hide them first.
 *
 * Thread-safe: each message is formatted privately and written with one
 * write(2) or one syslog(3) call.  log_open()/log_set_level() are meant for
 * startup and reload, from one thread.
 *
 * Nothing here exits except log_fatal(), which is for startup only: nothing
 * on a per-message path may call it.
 */
#ifndef RELAYGUARD_LOG_H
#define RELAYGUARD_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Where messages go: LOG_TO_STDERR (foreground, tools) or LOG_TO_SYSLOG. */
enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* Start logging as program ident (static string) to target; facility is a
 * syslog LOG_* facility value, ignored for stderr. */
void log_open(const char *ident, enum log_target target, int facility);
void log_set_level(enum log_level level);
/*
 * log_open() and log_set_level() for a daemon: ident "SYSLOG_NAME/PROGRAM"
 * (kept here; longer ones are cut), facility by name (mail when unknown).
 */
void log_open_daemon(const char *syslog_name, const char *program, const char *facility,
		     enum log_target target, enum log_level level);
/* The ident given to log_open() ("relayguard" before). */
const char *log_ident(void);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* Parse "error|warning|notice|info|debug"; 0 on success, -1 otherwise. */
int log_level_parse(const char *s, enum log_level *level_r) __attribute__((warn_unused_result));
const char *log_level_name(enum log_level level);
/* Parse a syslog facility name ("mail", "daemon", "local0".."local7", ...). */
int log_facility_parse(const char *s, int *facility_r) __attribute__((warn_unused_result));

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log each line of text (lines end with '\n'; empty ones are skipped). */
void log_lines(enum log_level level, const char *text);
/* Startup only: log at error level and exit(1). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Repeated warnings, rate-limited: one line per kind per interval.  A
 * struct log_limit is one kind (usually a static at the call site, shared by
 * every thread).  The first occurrence is logged at once; the ones that
 * follow within LOG_LIMIT_INTERVAL_MS are counted, not logged; the first
 * one after the interval is logged with " (N more like this suppressed
 * since the last one logged)" appended.  A flood of 1,000 refusals is then a handful of lines
 * that still say how many there were.  Thread-safe (a mutex per kind).
 */
#define LOG_LIMIT_INTERVAL_MS 10000u
/* Warnings or errors of one kind logged per interval before the rest are counted. */
#define LOG_FLOOD_BURST 5
/* Kinds tracked at once (a table; the stalest kind makes room) and probes per lookup. */
#define LOG_FLOOD_KINDS 256
#define LOG_FLOOD_PROBE 8

struct log_limit {
	pthread_mutex_t lock;
	bool started;		/* a line was logged: window_ms is its time */
	uint64_t window_ms;	/* monotonic time of the last logged line */
	unsigned long suppressed;	/* occurrences since, not logged */
};
#define LOG_LIMIT_INIT { PTHREAD_MUTEX_INITIALIZER, false, 0, 0 }

/*
 * The decision alone, on a given clock (for tests): true when an occurrence
 * at now_ms is to be logged, with *suppressed_r the count it should report
 * (then reset); false when it is counted instead.
 */
bool log_limit_pass(struct log_limit *l, uint64_t now_ms, unsigned long *suppressed_r);
/*
 * The flood limit's decision for a warning or error of this text at now_ms
 * (exposed for tests): true when it is to be logged, with *suppressed_r the
 * count of the same text not logged since (then reset).
 */
bool log_flood_pass(const char *text, uint64_t now_ms, unsigned long *suppressed_r);
/* Append text with every byte below 0x20 and 0x7f as \xNN. */
void log_escape(const char *text, struct buf *out);

/* log_msg() through the limit l (not through the flood limit). */
void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* key=value line building.  A leading space separates pairs after the first. */
void log_kv_str(struct buf *line, const char *key, const char *value);
void log_kv_int(struct buf *line, const char *key, long long value);
/* Append value quoted when needed: "a b" -> "\"a b\"", controls as \xNN. */
void log_kv_quote(struct buf *line, const char *value);

#endif
