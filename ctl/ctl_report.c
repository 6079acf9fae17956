/*
 * ctl_report - `relayguard-ctl report --html FILE [--since TIME]`: gathers
 * what relayguard did since TIME and hands it to report_html:
 *
 *   - verdicts, listings per zone and zones' health, from the daemons'
 *     stats history (common/stats_history.h): the counters are cumulative
 *     per series (program.pid.n), so each line counts its difference with
 *     the series' previous line; a series seen first after since counts
 *     from 0 if it started after since, else it is only the baseline;
 *   - the top offending networks (owner, contact, told), notices sent per
 *     day: the notifier's own state (Redis keys, or notify.state), the
 *     same sources as `relayguard-ctl networks` and `notices`.
 *
 * FILE is written through a temporary file and renamed, so a reader never
 * sees half a page; "-" writes to standard output.
 * Exit status: 0, 1 (a source or FILE failed; message on stderr), 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgval.h"
#include "ctl.h"
#include "mem.h"
#include "notify/nagg.h"
#include "notify/nqueue.h"
#include "notify/nstreams.h"
#include "report_keys.h"
#include "report_html.h"
#include "stats_history.h"

/* Networks shown, at most. */
#define REPORT_NETS_TOP 20
/* Zones drawn, at most; the lines of more zones are left out. */
#define REPORT_ZONES_MAX 64
/* Series of counters followed while reading (program.pid.n x zones). */
#define REPORT_SERIES_BUCKETS 4096
/* Time buckets of the charts, at most. */
#define REPORT_BUCKETS_MAX 60
/* Notice days shown, at most. */
#define REPORT_DAYS_MAX 400
#define REPORT_LINE_MAX 8192

/* The previous line of one series. */
struct series {
	struct series *next;
	char *key;		/* src, or src TAB zone */
	long long started;	/* of the src (engine lines) */
	unsigned long long checks, skipped, listed, failed, queries, not_listed, errors, timeouts;
};

struct gather {
	struct report_data *d;
	struct series *table[REPORT_SERIES_BUCKETS];
	long long min_t;	/* pass 1: the time of the first line in the period */
	bool pass2;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % REPORT_SERIES_BUCKETS;
}

/* The series of key; *fresh_r when it is seen for the first time. */
static struct series *series_get(struct gather *g, const char *key, bool *fresh_r)
{
	unsigned h = hash(key);

	for (struct series *s = g->table[h]; s != NULL; s = s->next) {
		if (strcmp(s->key, key) == 0) {
			*fresh_r = false;
			return s;
		}
	}
	struct series *s = xcalloc(1, sizeof(*s));
	s->key = xstrdup(key);
	s->next = g->table[h];
	g->table[h] = s;
	*fresh_r = true;
	return s;
}

/* cur - prev, or cur after a restart of the series (a counter went down). */
static double delta(unsigned long long cur, unsigned long long prev)
{
	return (double)(cur >= prev ? cur - prev : cur);
}

static struct report_zone *zone_of(struct report_data *d, const char *name, const char *kind)
{
	for (size_t i = 0; i < d->n_zones; i++) {
		if (strcmp(d->zones[i].name, name) == 0)
			return &d->zones[i];
	}
	if (d->n_zones >= REPORT_ZONES_MAX)
		return NULL;
	d->zones = xreallocarray(d->zones, d->n_zones + 1, sizeof(*d->zones));
	struct report_zone *z = &d->zones[d->n_zones++];
	memset(z, 0, sizeof(*z));
	z->name = xstrdup(name);
	z->kind = xstrdup(kind[0] ? kind : "dnsbl");
	z->state = xcalloc(d->n_buckets ? d->n_buckets : 1, 1);
	return z;
}

static void count_zone(struct gather *g, const struct stats_history_rec *r, const struct series *s, bool counts,
		       size_t b)
{
	static const unsigned char rank[] = { [ZONE_H_IN_SERVICE] = REPORT_Z_IN_SERVICE,
					      [ZONE_H_UNPROBED] = REPORT_Z_UNPROBED,
					      [ZONE_H_SUSPENDED] = REPORT_Z_SUSPENDED };
	struct report_zone *z = zone_of(g->d, r->zone, r->kind);

	if (z == NULL)
		return;
	if (counts) {
		z->queries += (unsigned long long)delta(r->queries, s->queries);
		z->listed += (unsigned long long)delta(r->listed, s->listed);
		z->errors += (unsigned long long)delta(r->errors, s->errors);
		z->timeouts += (unsigned long long)delta(r->timeouts, s->timeouts);
	}
	/* the worst state seen in the bucket: suspended > unprobed > in service */
	if (rank[r->state] > z->state[b])
		z->state[b] = rank[r->state];
}

static int history_line(const struct stats_history_rec *r, void *ctx)
{
	struct gather *g = ctx;
	struct report_data *d = g->d;
	char key[2 * STATS_HISTORY_NAME_MAX + 2];
	bool fresh;

	if (!g->pass2) {
		/* the first line in the period: files are read oldest day first and
		 * lines are appended as time goes, so this is where the period's data
		 * starts (give or take the lines of two daemons racing) */
		g->min_t = r->t;
		return 1;
	}
	if (r->t < (long long)d->start)
		return 0;
	size_t b = (size_t)((r->t - (long long)d->start) / d->bucket_s);
	if (b >= d->n_buckets)
		b = d->n_buckets - 1;
	snprintf(key, sizeof(key), "%s%s%s", r->src, r->is_zone ? "\t" : "", r->is_zone ? r->zone : "");
	struct series *s = series_get(g, key, &fresh);
	if (!r->is_zone)
		s->started = r->started;
	/* a series first seen now: counts from 0 if its process started in the period */
	long long started = s->started;
	if (r->is_zone) {
		bool f2;
		started = series_get(g, r->src, &f2)->started;
	}
	bool counts = !fresh || started >= (long long)d->since;
	if (r->is_zone) {
		count_zone(g, r, s, counts, b);
	} else if (counts) {
		double listed = delta(r->listed, s->listed), failed = delta(r->failed, s->failed),
		       skipped = delta(r->skipped, s->skipped), checks = delta(r->checks, s->checks);
		double passed = checks - listed - failed - skipped;
		d->listed[b] += listed;
		d->failed[b] += failed;
		d->skipped[b] += skipped;
		d->passed[b] += passed > 0 ? passed : 0;
	}
	s->checks = r->checks;
	s->skipped = r->skipped;
	s->listed = r->listed;
	s->failed = r->failed;
	s->queries = r->queries;
	s->not_listed = r->not_listed;
	s->errors = r->errors;
	s->timeouts = r->timeouts;
	return 0;
}

/* The bucket length: the smallest of a few round ones giving <= REPORT_BUCKETS_MAX columns. */
static long long bucket_for(long long span)
{
	static const long long steps[] = { 10, 30, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (span / steps[i] < REPORT_BUCKETS_MAX)
			return steps[i];
	}
	return 2592000;
}

static void free_series(struct gather *g)
{
	for (size_t i = 0; i < REPORT_SERIES_BUCKETS; i++) {
		for (struct series *s = g->table[i], *next; s != NULL; s = next) {
			next = s->next;
			free(s->key);
			free(s);
		}
		g->table[i] = NULL;
	}
}

/* Read the history: its first line in the period (where the charts start),
 * then every line.  0; a history that cannot be read is said on the page. */
static int gather_history(const cfg_t *cfg, struct report_data *d, char **note_r)
{
	struct gather g = { .d = d, .min_t = -1 };
	char *err = NULL, *bad = NULL;
	const char *dir = cfg_str(cfg, CFG_STATS_HISTORY_DIR);

	d->history_dir = dir;
	if (*dir == '\0') {
		*note_r = xstrdup("stats_history_dir is empty: no history is kept");
		return 0;
	}
	int files = stats_history_read(dir, d->since, history_line, &g, NULL, NULL, &err);
	if (files < 0) {
		/* no folder yet: an empty report, said on the page */
		*note_r = err;
		return 0;
	}
	long long first = g.min_t >= 0 ? g.min_t : (long long)d->generated;
	d->bucket_s = bucket_for((long long)d->generated - first);
	d->start = (time_t)(first - first % d->bucket_s);
	d->n_buckets = g.min_t >= 0 ? (size_t)(((long long)d->generated - d->start) / d->bucket_s + 1) : 0;
	if (d->n_buckets > REPORT_BUCKETS_MAX + 1)
		d->n_buckets = REPORT_BUCKETS_MAX + 1;
	size_t n = d->n_buckets ? d->n_buckets : 1;
	d->passed = xcalloc(n, sizeof(double));
	d->listed = xcalloc(n, sizeof(double));
	d->failed = xcalloc(n, sizeof(double));
	d->skipped = xcalloc(n, sizeof(double));
	if (d->n_buckets > 0) {
		g.pass2 = true;
		files = stats_history_read(dir, d->since, history_line, &g, &d->history_bad, &bad, &err);
		if (files < 0) {
			*note_r = err;
			files = 0;
		}
	}
	d->history_files = (size_t)files;
	if (bad != NULL) {
		free(*note_r);
		*note_r = bad;
	}
	free_series(&g);
	return 0;
}

/* ---- the notifier's state ------------------------------------------------- */

static void net_from_redis(nstreams_t *qs, long long w, const char *netkey, long long hits, struct report_net *n)
{
	struct buf told = BUF_INIT, untold = BUF_INIT;
	nagg_t *one = nagg_new();
	nqueue_t *q = nstreams_home(qs);	/* told and untold are stream 0's */

	report_keys_told(nqueue_prefix(q), netkey, &told);
	report_keys_untold(nqueue_prefix(q), netkey, &untold);
	/* summed over every stream; a row without its facts still has its hits */
	const struct net_agg *net = nstreams_load_net(qs, one, w, netkey);
	redisReply *t = nqueue_command(q, "EXISTS", buf_cstr(&told), NULL);
	redisReply *u = nqueue_command(q, "GET", buf_cstr(&untold), NULL);
	n->network = xstrdup(netkey);
	n->netname = xstrdup(net != NULL ? net->netname : "");
	n->abuse = xstrdup(net != NULL ? net->abuse : "");
	n->hits = hits;
	/* the untold marker is "TIME TAB reason" (relayguard-notify) */
	const char *why = u != NULL && u->type == REDIS_REPLY_STRING ? strchr(u->str, '\t') : NULL;
	n->told = t != NULL && t->type == REDIS_REPLY_INTEGER && t->integer > 0 ? REPORT_TOLD_YES :
		  why != NULL ? REPORT_TOLD_NOBODY : REPORT_TOLD_NO;
	n->why = xstrdup(why != NULL && n->told == REPORT_TOLD_NOBODY ? why + 1 : "");
	if (t)
		freeReplyObject(t);
	if (u)
		freeReplyObject(u);
	nagg_free(&one);
	buf_free(&told);
	buf_free(&untold);
}

static void add_day(struct report_data *d, long long t)
{
	long long day = t - t % 86400;

	if (t < (long long)d->since)
		return;
	for (size_t i = 0; i < d->n_days; i++) {
		if (d->days[i] == day) {
			d->day_counts[i]++;
			return;
		}
	}
	if (d->n_days >= REPORT_DAYS_MAX)
		return;
	/* keep the days in order: the list is newest first, insert where it belongs */
	size_t at = d->n_days;
	while (at > 0 && d->days[at - 1] > day)
		at--;
	d->days = xreallocarray(d->days, d->n_days + 1, sizeof(*d->days));
	d->day_counts = xreallocarray(d->day_counts, d->n_days + 1, sizeof(*d->day_counts));
	memmove(d->days + at + 1, d->days + at, (d->n_days - at) * sizeof(*d->days));
	memmove(d->day_counts + at + 1, d->day_counts + at, (d->n_days - at) * sizeof(*d->day_counts));
	d->days[at] = day;
	d->day_counts[at] = 1;
	d->n_days++;
}

/* "time":N of one notice log entry (JSON written by relayguard-notify). */
static long long notice_time(const char *json)
{
	const char *p = strstr(json, "\"time\":");
	return p != NULL ? atoll(p + 7) : -1;
}

struct top_ctx {
	nstreams_t *qs;
	struct report_data *d;
};

static void top_one(long long w, const char *netkey, long long hits, void *ctx)
{
	struct top_ctx *c = ctx;

	if (c->d->n_nets < REPORT_NETS_TOP)
		net_from_redis(c->qs, w, netkey, hits, &c->d->nets[c->d->n_nets++]);
}

static int notifier_redis(const cfg_t *cfg, struct report_data *d)
{
	nstreams_t *qs = NULL;
	char *err = NULL;
	struct buf key = BUF_INIT;
	long long win = (long long)(cfg_ms(cfg, CFG_NOTIFY_WINDOW) / 1000);
	long long w = (long long)d->generated / (win > 0 ? win : 1);

	if (nstreams_open(cfg, "relayguard-ctl", &qs, &err) != 0) {
		fprintf(stderr, "relayguard-ctl: report: %s\n", err);
		free(err);
		return -1;
	}
	struct top_ctx c = { qs, d };
	d->nets = xcalloc(REPORT_NETS_TOP + 1, sizeof(*d->nets));
	if (nstreams_top(qs, w, REPORT_NETS_TOP, top_one, &c, &err) != 0) {
		fprintf(stderr, "relayguard-ctl: report: %s\n", err);	/* the page says "no networks" */
		free(err);
	}
	nqueue_t *q = nstreams_home(qs);
	report_keys_notices(nqueue_prefix(q), &key);
	redisReply *r = nqueue_command(q, "LRANGE", buf_cstr(&key), "0", "-1", NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				add_day(d, notice_time(r->element[i]->str));
	}
	if (r)
		freeReplyObject(r);
	buf_free(&key);
	nstreams_close(&qs);
	return 0;
}

static void net_free(struct report_net *n)
{
	free(n->network);
	free(n->netname);
	free(n->abuse);
	free(n->why);
}

/* A key of notify.state's "told" or "untold" lines. */
struct marks {
	char **keys;
	size_t n;
};

static void marks_add(struct marks *m, const char *key)
{
	m->keys = xreallocarray(m->keys, m->n + 1, sizeof(*m->keys));
	m->keys[m->n++] = xstrdup(key);
}

static bool marks_has(const struct marks *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], key) == 0)
			return true;
	}
	return false;
}

static void marks_free(struct marks *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
}

static int net_cmp(const void *a, const void *b)
{
	const struct report_net *x = a, *y = b;
	return (x->hits < y->hits) - (x->hits > y->hits);
}

/* Spool mode: notify.state's "net" lines of the latest window (net TAB
 * window TAB netkey TAB network TAB netname TAB org TAB country TAB abuse TAB
 * owned TAB hits TAB first TAB last), "told" and "untold" marks, "log" lines. */
static int notifier_spool(const cfg_t *cfg, struct report_data *d)
{
	struct buf path = BUF_INIT;
	char *line = xmalloc(REPORT_LINE_MAX);
	struct marks told = { 0 }, untold = { 0 };
	long long *wins = NULL, latest = 0;

	buf_printf(&path, "%s/notify.state", cfg_str(cfg, CFG_NOTIFY_STATE_DIR));
	FILE *fp = fopen(buf_cstr(&path), "r");
	while (fp != NULL && fgets(line, REPORT_LINE_MAX, fp) != NULL) {
		char *f[16];
		size_t n = 0;
		line[strcspn(line, "\n")] = '\0';
		for (char *p = line; p != NULL && n < 16;) {
			f[n++] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (strcmp(f[0], "log") == 0 && n >= 2) {
			add_day(d, notice_time(f[1]));
		} else if (n == 3 && (strcmp(f[0], "told") == 0 || strcmp(f[0], "untold") == 0)) {
			marks_add(f[0][0] == 't' ? &told : &untold, f[1]);
		} else if (strcmp(f[0], "net") == 0 && n == 12) {
			d->nets = xreallocarray(d->nets, d->n_nets + 1, sizeof(*d->nets));
			wins = xreallocarray(wins, d->n_nets + 1, sizeof(*wins));
			wins[d->n_nets] = atoll(f[1]);
			latest = wins[d->n_nets] > latest ? wins[d->n_nets] : latest;
			d->nets[d->n_nets++] = (struct report_net){ xstrdup(f[2]), xstrdup(f[4]), xstrdup(f[7]),
								    atoll(f[9]), REPORT_TOLD_NO, xstrdup("") };
		}
	}
	if (fp != NULL)
		fclose(fp);
	size_t kept = 0;
	for (size_t i = 0; i < d->n_nets; i++) {
		struct report_net *net = &d->nets[i];
		if (wins[i] != latest) {
			net_free(net);
			continue;
		}
		net->told = marks_has(&told, net->network) ? REPORT_TOLD_YES :
			    marks_has(&untold, net->network) ? REPORT_TOLD_NOBODY : REPORT_TOLD_NO;
		if (net->told == REPORT_TOLD_NOBODY) {
			free(net->why);
			net->why = xstrdup("no contact, or notify_suppress (see relayguard-notify's log)");
		}
		d->nets[kept++] = *net;
	}
	d->n_nets = kept;
	if (kept > 0)
		qsort(d->nets, kept, sizeof(*d->nets), net_cmp);
	for (size_t i = REPORT_NETS_TOP; i < d->n_nets; i++)
		net_free(&d->nets[i]);
	if (d->n_nets > REPORT_NETS_TOP)
		d->n_nets = REPORT_NETS_TOP;
	marks_free(&told);
	marks_free(&untold);
	free(wins);
	buf_free(&path);
	free(line);
	return 0;
}

/* ---- the verb --------------------------------------------------------------- */

/* TIME of --since: a duration back from now (90m, 2h, 7d), @EPOCH, or a UTC
 * date YYYY-MM-DD with an optional [T ]HH:MM[:SS].  0, or -1. */
static int parse_since(const char *s, time_t now, time_t *since_r)
{
	unsigned long long ms;
	const char *why;
	struct tm tm;
	char *end;

	if (s[0] == '@') {
		long long t = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end != '\0' || t < 0)
			return -1;
		*since_r = (time_t)t;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL) {
		if (*end == 'T' || *end == ' ') {
			const char *rest = end + 1;
			end = strptime(rest, "%H:%M:%S", &tm);
			if (end == NULL)
				end = strptime(rest, "%H:%M", &tm);
		}
		if (end == NULL || *end != '\0')
			return -1;
		*since_r = timegm(&tm);
		return 0;
	}
	/* a bare number would be seconds to cfgval: ask for a unit, it reads better */
	if (s[0] == '\0' || (s[strlen(s) - 1] >= '0' && s[strlen(s) - 1] <= '9') ||
	    cfgval_parse_duration(s, &ms, &why) != 0 || ms / 1000 > (unsigned long long)now)
		return -1;
	*since_r = now - (time_t)(ms / 1000);
	return 0;
}

static void data_free(struct report_data *d)
{
	for (size_t i = 0; i < d->n_zones; i++) {
		free(d->zones[i].name);
		free(d->zones[i].kind);
		free(d->zones[i].state);
	}
	for (size_t i = 0; i < d->n_nets; i++)
		net_free(&d->nets[i]);
	free(d->zones);
	free(d->nets);
	free(d->passed);
	free(d->listed);
	free(d->failed);
	free(d->skipped);
	free(d->days);
	free(d->day_counts);
}

/* Write text to path atomically ("-": standard output).  0, or -1 after a message. */
static int write_page(const char *path, const struct buf *text)
{
	struct buf tmp = BUF_INIT;
	FILE *f;

	if (strcmp(path, "-") == 0)
		return fwrite(text->data, 1, text->len, stdout) == text->len && fflush(stdout) == 0 ? 0 : -1;
	buf_printf(&tmp, "%s.tmp", path);
	f = fopen(buf_cstr(&tmp), "w");
	if (f == NULL || fwrite(text->data, 1, text->len, f) != text->len || fclose(f) != 0 ||
	    rename(buf_cstr(&tmp), path) != 0) {
		fprintf(stderr, "relayguard-ctl: report: cannot write %s: %s\n", path, strerror(errno));
		(void)remove(buf_cstr(&tmp));
		buf_free(&tmp);
		return -1;
	}
	buf_free(&tmp);
	return 0;
}

static int parse_args(int argc, char **argv, const char **html_r, time_t now, time_t *since_r)
{
	static const struct option longs[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*html_r = NULL;
	*since_r = now - 7 * 86400;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 'H') {
			*html_r = optarg;
		} else if (c == 's') {
			if (parse_since(optarg, now, since_r) != 0) {
				ctl_usage_error("report", "--since %s: expected a duration back from now (90m, 2h, 7d), "
							  "@EPOCH, or a UTC date YYYY-MM-DD[THH:MM[:SS]]", optarg);
				return -1;
			}
		} else {
			ctl_usage_error("report", "expected --html FILE [--since TIME]");
			return -1;
		}
	}
	if (*html_r == NULL || optind != argc) {
		ctl_usage_error("report", "expected --html FILE [--since TIME]");
		return -1;
	}
	return 0;
}

int ctl_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct report_data d = { 0 };
	const char *html;
	char *note = NULL;
	char host[256];

	d.generated = time(NULL);
	if (parse_args(argc, argv, &html, d.generated, &d.since) != 0)
		return CTL_USAGE;
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	snprintf(host, sizeof(host), "%s", cfg_str(cfg, CFG_MYHOSTNAME));
	if (host[0] == '\0' && gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "this host");
	host[sizeof(host) - 1] = '\0';
	d.host = host;
	(void)gather_history(cfg, &d, &note);
	d.history_note = note;
	bool redis = cfg_has_redis(cfg);
	d.nets_source = redis ? "the notifier's current notify_window, from Redis" :
				"the notifier's state file (notify_state_dir)";
	d.notices_source = redis ? "the notifier's log of notices in Redis (its latest entries)" :
				   "the notifier's log of notices in its state file";
	int rc = redis ? notifier_redis(cfg, &d) : notifier_spool(cfg, &d);
	struct buf page = BUF_INIT;
	report_html_write(&d, &page);
	if (write_page(html, &page) != 0)
		rc = -1;
	else if (ctx->verbose || d.history_bad > 0)
		fprintf(stderr, "relayguard-ctl: report: %zu history files, %zu unreadable lines%s%s\n",
			d.history_files, d.history_bad, note ? ": " : "", note ? note : "");
	buf_free(&page);
	free(note);
	data_free(&d);
	cfg_unref(&cfg);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}
