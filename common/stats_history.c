/*
 * stats_history - the daemons' counters appended once per stats_interval to
 * one file per day, pruned by age and size; and the reader of those files.
 * See stats_history.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "mem.h"
#include "stats_history.h"

/* Prune at most this often (and whenever the day changes). */
#define HISTORY_PRUNE_EVERY_S 3600
/* Files a folder may hold that we look at (about 27 years of days). */
#define HISTORY_FILES_MAX 10000
/* "history-YYYYMMDD.log" */
#define HISTORY_NAME_LEN 20

struct stats_history {
	char *dir;
	long long keep_days;
	long long max_size;
	time_t last_prune;
	long long pruned_day;		/* the day (YYYYMMDD) of the last prune */
	long long full_day;		/* the day today's file was found full, or 0 */
	bool warned;			/* one warning per failure streak */
};

static long long day_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000LL + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The day of a file name "history-YYYYMMDD.log", or 0 if it is not one. */
static long long day_of_name(const char *name)
{
	long long d = 0;

	if (strlen(name) != HISTORY_NAME_LEN || strncmp(name, "history-", 8) != 0 || strcmp(name + 16, ".log") != 0)
		return 0;
	for (int i = 8; i < 16; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		d = d * 10 + (name[i] - '0');
	}
	return d;
}

stats_history_t *stats_history_new(const cfg_t *cfg)
{
	const char *dir = cfg_str(cfg, CFG_STATS_HISTORY_DIR);
	unsigned long long keep_ms = cfg_ms(cfg, CFG_STATS_HISTORY_KEEP);

	if (*dir == '\0' || keep_ms == 0)
		return NULL;
	stats_history_t *h = xcalloc(1, sizeof(*h));
	h->dir = xstrdup(dir);
	h->keep_days = (long long)((keep_ms + 86400000ULL - 1) / 86400000ULL);
	h->max_size = cfg_int(cfg, CFG_STATS_HISTORY_MAX_SIZE);
	return h;
}

void stats_history_free(stats_history_t **hp)
{
	stats_history_t *h = *hp;

	if (h == NULL)
		return;
	free(h->dir);
	free(h);
	*hp = NULL;
}

struct hfile {
	long long day;
	long long size;
};

static int hfile_cmp(const void *a, const void *b)
{
	const struct hfile *x = a, *y = b;
	return (x->day > y->day) - (x->day < y->day);
}

static void unlink_day(const stats_history_t *h, long long day)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/history-%08lld.log", h->dir, day);
	if (unlink(path) == 0)
		log_info("stats history: removed %s", path);
}

/* Delete the days older than stats_history_keep, then the oldest while over
 * stats_history_max_size.  Several daemons may prune at once: a file another
 * one removed first is simply gone. */
static void prune(stats_history_t *h, time_t now)
{
	DIR *d = opendir(h->dir);
	struct dirent *de;
	struct hfile *f = NULL;
	size_t n = 0;
	long long today = day_of(now), oldest_kept = day_of(now - (time_t)((h->keep_days - 1) * 86400)), total = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < HISTORY_FILES_MAX) {
		long long day = day_of_name(de->d_name);
		struct stat st;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", h->dir, de->d_name);
		if (day == 0 || stat(path, &st) != 0)
			continue;
		f = xreallocarray(f, n + 1, sizeof(*f));
		f[n++] = (struct hfile){ day, (long long)st.st_size };
	}
	closedir(d);
	qsort(f, n, sizeof(*f), hfile_cmp);
	for (size_t i = 0; i < n; i++)
		total += f[i].size;
	for (size_t i = 0; i < n && f[i].day != today; i++) {
		if (f[i].day < oldest_kept || total > h->max_size) {
			unlink_day(h, f[i].day);
			total -= f[i].size;
		}
	}
	free(f);
	h->last_prune = now;
	h->pruned_day = today;
}

static void warn_once(stats_history_t *h, const char *what, const char *path, int err)
{
	if (!h->warned)
		log_warning("stats history: %s %s: %s (relayguard-ctl report will miss these counters)", what, path,
			    strerror(err));
	h->warned = true;
}

void stats_history_append(stats_history_t *h, const struct buf *lines, time_t now)
{
	char path[4096];
	long long today = day_of(now);
	struct stat st;

	if (h == NULL || lines->len == 0)
		return;
	if (today != h->pruned_day || now - h->last_prune >= HISTORY_PRUNE_EVERY_S)
		prune(h, now);
	if (h->full_day == today)
		return;
	snprintf(path, sizeof(path), "%s/history-%08lld.log", h->dir, today);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0 && errno == ENOENT && daemon_mkdirs(h->dir, 0755) == 0)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		warn_once(h, "cannot open", path, errno);
		return;
	}
	if (fstat(fd, &st) == 0 && st.st_size + (long long)lines->len > h->max_size) {
		log_warning("stats history: %s holds stats_history_max_size (%lld bytes): no more history today",
			    path, h->max_size);
		h->full_day = today;
		close(fd);
		return;
	}
	/* One write: O_APPEND keeps the lines of concurrent daemons apart. */
	ssize_t w = write(fd, lines->data, lines->len);
	int err = errno;
	if (close(fd) != 0 && w >= 0) {
		w = -1;
		err = errno;
	}
	if (w != (ssize_t)lines->len) {
		warn_once(h, "cannot append to", path, w < 0 ? err : ENOSPC);
		return;
	}
	if (h->warned)
		log_notice("stats history: %s written again", path);
	h->warned = false;
}

/* ---- reader --------------------------------------------------------------- */

static const char *const state_names[] = { "unprobed", "in_service", "suspended" };

const char *stats_history_state_name(enum zone_hstate s)
{
	return (unsigned)s < 3 ? state_names[s] : "?";
}

/* A decimal number of exactly len bytes, no sign, no overflow. */
static int parse_u64(const char *v, size_t len, unsigned long long *r)
{
	unsigned long long n = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)v[i] - '0';
		if (d > 9 || n > (~0ULL - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*r = n;
	return 0;
}

static int copy_name(const char *v, size_t len, char *out, size_t size)
{
	if (len == 0 || len >= size)
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static inline bool key_is(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* One key=value of a line into rec; -1 for a value that does not parse. */
static int parse_pair(const char *k, size_t klen, const char *v, size_t vlen, struct stats_history_rec *rec)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{ "checks", offsetof(struct stats_history_rec, checks) },
		{ "skipped", offsetof(struct stats_history_rec, skipped) },
		{ "listed", offsetof(struct stats_history_rec, listed) },
		{ "failed", offsetof(struct stats_history_rec, failed) },
		{ "queries", offsetof(struct stats_history_rec, queries) },
		{ "not_listed", offsetof(struct stats_history_rec, not_listed) },
		{ "errors", offsetof(struct stats_history_rec, errors) },
		{ "timeouts", offsetof(struct stats_history_rec, timeouts) },
	};
	unsigned long long n;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (key_is(k, klen, nums[i].key))
			return parse_u64(v, vlen, (unsigned long long *)((char *)rec + nums[i].off));
	}
	if (key_is(k, klen, "t") || key_is(k, klen, "started")) {
		if (parse_u64(v, vlen, &n) != 0 || n > (unsigned long long)1 << 40)
			return -1;
		*(key_is(k, klen, "t") ? &rec->t : &rec->started) = (long long)n;
		return 0;
	}
	if (key_is(k, klen, "src"))
		return copy_name(v, vlen, rec->src, sizeof(rec->src));
	if (key_is(k, klen, "zone")) {
		rec->is_zone = true;
		return copy_name(v, vlen, rec->zone, sizeof(rec->zone));
	}
	if (key_is(k, klen, "kind"))
		return copy_name(v, vlen, rec->kind, sizeof(rec->kind));
	if (key_is(k, klen, "state")) {
		for (int s = 0; s < 3; s++) {
			if (vlen == strlen(state_names[s]) && memcmp(v, state_names[s], vlen) == 0) {
				rec->state = (enum zone_hstate)s;
				return 0;
			}
		}
		return -1;
	}
	return 0;	/* a key of a later version */
}

int stats_history_parse(const char *line, size_t len, struct stats_history_rec *rec, const char **why_r)
{
	size_t i = 0;

	memset(rec, 0, sizeof(*rec));
	rec->t = -1;
	rec->state = ZONE_H_IN_SERVICE;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len >= STATS_HISTORY_LINE_MAX) {
		*why_r = "line too long";
		return -1;
	}
	while (i < len) {
		size_t start = i, eq = 0;
		while (i < len && line[i] != ' ') {
			if (line[i] == '=' && eq == 0)
				eq = i;
			i++;
		}
		if (eq == 0 || eq == start) {
			*why_r = "expected key=value";
			return -1;
		}
		if (parse_pair(line + start, eq - start, line + eq + 1, i - eq - 1, rec) != 0) {
			*why_r = "a value that does not parse";
			return -1;
		}
		if (i < len)
			i++;	/* the space */
	}
	if (rec->t < 0 || rec->src[0] == '\0') {
		*why_r = "no t= or src=";
		return -1;
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The history file names of dir, sorted (so oldest day first); NULL on error. */
static char **list_files(const char *dir, size_t *n_r, char **error_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "%s: %s", dir, strerror(errno));
		*error_r = buf_detach(&e);
		return NULL;
	}
	while ((de = readdir(d)) != NULL && n < HISTORY_FILES_MAX) {
		if (day_of_name(de->d_name) == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*n_r = n;
	return names != NULL ? names : xcalloc(1, sizeof(*names));
}

struct read_ctx {
	time_t since;
	stats_history_cb *cb;
	void *ctx;
	size_t bad;
	char **first_bad;
	bool stop;
};

static void note_bad(struct read_ctx *rc, const char *path, size_t lineno, const char *why)
{
	if (rc->bad++ == 0 && rc->first_bad != NULL) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "%s:%zu: %s", path, lineno, why);
		*rc->first_bad = buf_detach(&e);
	}
}

/* One line of f into line (at most max bytes kept): its length, or -1 at the
 * end.  *cut_r: it was longer, or held a NUL byte (not a history line). */
static long read_line(FILE *f, char *line, size_t max, bool *cut_r)
{
	size_t n = 0;
	int c;

	*cut_r = false;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (c == '\0' || n >= max)
			*cut_r = true;
		else
			line[n++] = (char)c;
	}
	if (c == EOF && n == 0 && !*cut_r)
		return -1;
	line[n] = '\0';
	return (long)n;
}

static void read_file(const char *path, struct read_ctx *rc)
{
	FILE *f = fopen(path, "r");
	char line[STATS_HISTORY_LINE_MAX + 1];
	size_t lineno = 0;
	long len;
	bool cut;

	if (f == NULL)
		return;	/* pruned meanwhile */
	while (!rc->stop && (len = read_line(f, line, STATS_HISTORY_LINE_MAX, &cut)) >= 0) {
		struct stats_history_rec rec;
		const char *why;
		lineno++;
		if (cut)
			note_bad(rc, path, lineno, "line too long or not text");
		else if (len > 0 && stats_history_parse(line, (size_t)len, &rec, &why) != 0)
			note_bad(rc, path, lineno, why);
		else if (len > 0 && rec.t >= rc->since && rc->cb(&rec, rc->ctx) != 0)
			rc->stop = true;
	}
	fclose(f);
}

int stats_history_read(const char *dir, time_t since, stats_history_cb *cb, void *ctx, size_t *bad_r,
		       char **first_bad_r, char **error_r)
{
	struct read_ctx rc = { since, cb, ctx, 0, first_bad_r, false };
	size_t n = 0;
	int files = 0;
	long long since_day = since > 0 ? day_of(since) : 0;

	if (first_bad_r != NULL)
		*first_bad_r = NULL;
	char **names = list_files(dir, &n, error_r);
	if (names == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!rc.stop && day_of_name(names[i]) >= since_day) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			read_file(path, &rc);
			files++;
		}
		free(names[i]);
	}
	free(names);
	if (bad_r != NULL)
		*bad_r = rc.bad;
	return files;
}
