/* log - the severity ladder, to syslog or standard error; see log.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* Longest ident log_open_daemon() builds. */
#define LOG_IDENT_MAX 128

static const char *log_ident_name = "relayguard";
static enum log_target log_target = LOG_TO_STDERR;
static volatile enum log_level log_threshold = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int level_priority[] = {
	[LOG_LVL_ERROR] = LOG_ERR,
	[LOG_LVL_WARNING] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "mail", LOG_MAIL },	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

void log_open(const char *ident, enum log_target target, int facility)
{
	log_ident_name = ident;
	log_target = target;
	if (target == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void log_open_daemon(const char *syslog_name, const char *program, const char *facility,
		     enum log_target target, enum log_level level)
{
	static char ident[LOG_IDENT_MAX];
	int f = LOG_MAIL;

	snprintf(ident, sizeof(ident), "%s/%s", syslog_name, program);
	if (log_facility_parse(facility, &f) != 0)
		f = LOG_MAIL;
	log_open(ident, target, f);
	log_set_level(level);
}

const char *log_ident(void)
{
	return log_ident_name;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

enum log_level log_get_level(void)
{
	return log_threshold;
}

bool log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

int log_level_parse(const char *s, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_LVL_DEBUG ? level_names[level] : "unknown";
}

int log_facility_parse(const char *s, int *facility_r)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(s, facilities[i].name) == 0) {
			*facility_r = facilities[i].value;
			return 0;
		}
	}
	return -1;
}

void log_escape(const char *text, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			buf_printf(out, "\\x%02x", *p);
		else
			buf_putc(out, (char)*p);
	}
}

/* Write one finished message (escaped, one line) to the target. */
static void emit(enum log_level level, const char *text)
{
	struct buf line = BUF_INIT;

	if (log_target == LOG_TO_SYSLOG) {
		syslog(level_priority[level], "%s: %s", level_names[level], text);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(&line, "%s.%03ld %s[%ld]: %s: %s\n", stamp, ts.tv_nsec / 1000000L, log_ident_name,
		   (long)getpid(), level_names[level], text);
	(void)!write(STDERR_FILENO, line.data, line.len);
	buf_free(&line);
}

/*
 * The kind of a warning for the flood limit: its whole text.  The same line
 * again and again (Redis refusing every write) is one kind; lines that differ
 * (bad lines of a file, each with its file:line) are not held back.  Sites
 * whose lines differ and still flood (refused peers) use log_limited().
 * FNV-1a.
 */
static uint64_t flood_key(const char *text)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = text; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

struct flood_slot {
	uint64_t key;		/* 0: free */
	uint64_t window_ms;	/* start of the kind's current interval */
	unsigned n;		/* lines logged in it */
	unsigned long suppressed;	/* lines not logged since the last one logged */
};
static struct flood_slot flood[LOG_FLOOD_KINDS];
static pthread_mutex_t flood_lock = PTHREAD_MUTEX_INITIALIZER;

bool log_flood_pass(const char *text, uint64_t now_ms, unsigned long *suppressed_r)
{
	uint64_t key = flood_key(text);
	struct flood_slot *s = NULL, *oldest = &flood[key % LOG_FLOOD_KINDS];
	bool pass = true;

	*suppressed_r = 0;
	pthread_mutex_lock(&flood_lock);
	for (unsigned i = 0; i < LOG_FLOOD_PROBE; i++) {
		struct flood_slot *c = &flood[(key + i) % LOG_FLOOD_KINDS];
		if (c->key == key || c->key == 0) {
			s = c;
			break;
		}
		if (c->window_ms < oldest->window_ms)
			oldest = c;
	}
	if (s == NULL || s->key == 0) {	/* a new kind (taking the stalest slot near it) */
		s = s != NULL ? s : oldest;
		*s = (struct flood_slot){ key, now_ms, 1, 0 };
	} else if (now_ms - s->window_ms >= LOG_LIMIT_INTERVAL_MS) {
		*suppressed_r = s->suppressed;
		s->window_ms = now_ms;
		s->n = 1;
		s->suppressed = 0;
	} else if (s->n < LOG_FLOOD_BURST) {
		s->n++;
		*suppressed_r = s->suppressed;
		s->suppressed = 0;
	} else {
		s->suppressed++;
		pass = false;
	}
	pthread_mutex_unlock(&flood_lock);
	return pass;
}

/* Format, escape, rate-limit warnings and errors (limited), emit. */
static void vmsg(enum log_level level, bool limited, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void vmsg(enum log_level level, bool limited, const char *fmt, va_list ap)
{
	struct buf raw = BUF_INIT, line = BUF_INIT;
	unsigned long suppressed = 0;

	if (!log_enabled(level))
		return;
	buf_vprintf(&raw, fmt, ap);
	log_escape(buf_cstr(&raw), &line);
	if (!limited || level > LOG_LVL_WARNING ||
	    log_flood_pass(buf_cstr(&raw), clock_now_ms(), &suppressed)) {
		if (suppressed > 0)
			buf_printf(&line, " (%lu more like this suppressed)", suppressed);
		emit(level, buf_cstr(&line));
	}
	buf_free(&raw);
	buf_free(&line);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	vmsg(level, true, fmt, ap);
}

/* log_msg() without the flood limit (the caller limits, or it must show). */
static void msg_unlimited(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_unlimited(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(level, false, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOG_AT(fn, lvl)                      \
	void fn(const char *fmt, ...)        \
	{                                    \
		va_list ap;                  \
		va_start(ap, fmt);           \
		log_vmsg(lvl, fmt, ap);      \
		va_end(ap);                  \
	}
LOG_AT(log_error, LOG_LVL_ERROR)
LOG_AT(log_warning, LOG_LVL_WARNING)
LOG_AT(log_notice, LOG_LVL_NOTICE)
LOG_AT(log_info, LOG_LVL_INFO)
LOG_AT(log_debug, LOG_LVL_DEBUG)
#undef LOG_AT

void log_lines(enum log_level level, const char *text)
{
	while (text != NULL && *text != '\0') {
		const char *nl = strchr(text, '\n');
		int len = nl != NULL ? (int)(nl - text) : (int)strlen(text);
		if (len > 0)
			msg_unlimited(level, "%.*s", len, text);
		text = nl != NULL ? nl + 1 : NULL;
	}
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(LOG_LVL_ERROR, false, fmt, ap);
	va_end(ap);
	exit(1);
}

void log_kv_quote(struct buf *line, const char *value)
{
	bool plain = value[0] != '\0';

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p >= 0x7f) {
			plain = false;
			break;
		}
	}
	if (plain) {
		buf_puts(line, value);
		return;
	}
	buf_putc(line, '"');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(line, '\\');
			buf_putc(line, (char)*p);
		} else if (*p < ' ' || *p == 0x7f) {
			buf_printf(line, "\\x%02x", *p);
		} else {
			buf_putc(line, (char)*p);
		}
	}
	buf_putc(line, '"');
}

void log_kv_str(struct buf *line, const char *key, const char *value)
{
	if (line->len > 0)
		buf_putc(line, ' ');
	buf_puts(line, key);
	buf_putc(line, '=');
	log_kv_quote(line, value != NULL ? value : "");
}

void log_kv_int(struct buf *line, const char *key, long long value)
{
	if (line->len > 0)
		buf_putc(line, ' ');
	buf_printf(line, "%s=%lld", key, value);
}

bool log_limit_pass(struct log_limit *l, uint64_t now_ms, unsigned long *suppressed_r)
{
	bool pass;

	pthread_mutex_lock(&l->lock);
	pass = !l->started || now_ms - l->window_ms >= LOG_LIMIT_INTERVAL_MS;
	if (pass) {
		*suppressed_r = l->suppressed;
		l->suppressed = 0;
		l->started = true;
		l->window_ms = now_ms;
	} else {
		l->suppressed++;
	}
	pthread_mutex_unlock(&l->lock);
	return pass;
}

void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	unsigned long suppressed = 0;
	va_list ap;

	if (!log_enabled(level) || !log_limit_pass(l, clock_now_ms(), &suppressed))
		return;
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (suppressed > 0)
		buf_printf(&line, " (%lu more like this suppressed since the last one logged)",
			   suppressed);
	msg_unlimited(level, "%s", buf_cstr(&line));
	buf_free(&line);
}
