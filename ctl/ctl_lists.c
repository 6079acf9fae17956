/*
 * ctl_lists - range lists in Redis (common/rlists):
 *
 *   relayguard-ctl import NAME FILE [--format auto|ip4set|ip4trie|ip6tset|ip6trie|cidr]
 *                        [--skip-bad-lines]
 *   relayguard-ctl lists
 *   relayguard-ctl drop NAME
 *
 * They connect with redis_server, redis_db, redis_password and redis_prefix
 * of the configuration; without redis_server they fail with a message.
 * import draws a progress bar when standard error is a terminal (reading:
 * lines read, bad lines, lines per second; storing: ranges sent, ranges per
 * second), nothing otherwise, and prints a one-line summary on standard
 * output.  Exit status: 0, 1 failure, 2 usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "redis_sentinel.h"
#include "rlists.h"

/* Width of the progress bar, in characters. */
#define CTL_BAR_WIDTH 40
/* The reading line is redrawn at most this often (seconds). */
#define CTL_BAR_REDRAW_S 0.1

/* The connection settings of cfg (borrowed strings); -1 without redis_server. */
static int conn_from_cfg(const cfg_t *cfg, const char *verb, struct rlists_conn_opts *conn_r)
{
	static char *target;	/* built once per run of the tool */

	free(target);
	target = redis_target_from_cfg(cfg);
	*conn_r = (struct rlists_conn_opts){
		.server = target,
		.sentinel_username = cfg_str(cfg, CFG_REDIS_SENTINEL_USERNAME),
		.sentinel_password = cfg_str(cfg, CFG_REDIS_SENTINEL_PASSWORD),
		.db = (int)cfg_int(cfg, CFG_REDIS_DB),
		.username = cfg_str(cfg, CFG_REDIS_USERNAME),
		.password = cfg_str(cfg, CFG_REDIS_PASSWORD),
		.prefix = cfg_str(cfg, CFG_REDIS_PREFIX),
	};
	if (conn_r->server[0] == '\0') {
		fprintf(stderr, "relayguard-ctl: %s: none of redis_server, redis_sentinels, redis_cluster_nodes is set in the configuration: "
				"range lists live in Redis\n", verb);
		return -1;
	}
	return 0;
}

/* The progress bar on a terminal: reading the file, then storing its ranges. */
struct bar {
	const char *name;
	int last_percent;	/* of the storing phase; -1 before it */
	double start;		/* when the import began (seconds, monotonic) */
	double drawn;		/* when the reading line was last drawn */
	bool reading_done;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(const char *name, const char *phase, int percent, const char *counts)
{
	int filled = percent * CTL_BAR_WIDTH / 100;

	/* the cursor goes back to the start of the line: a warning about a bad
	 * line, logged meanwhile, then starts at the left, not after the bar */
	fprintf(stderr, "\r%s %s [%.*s%*s] %3d%% %s\033[K\r", name, phase, filled,
		"########################################", CTL_BAR_WIDTH - filled, "", percent, counts);
	fflush(stderr);
}

/* Reading: lines read, bad lines, lines per second; at most every 100 ms. */
static void read_bar(const struct listfile_progress *p, void *ctx)
{
	struct bar *bar = ctx;
	double t = now_s(), took = t - bar->start;
	bool last = p->bytes >= p->total_bytes;
	char counts[160];

	if (!last && t - bar->drawn < CTL_BAR_REDRAW_S)
		return;
	bar->drawn = t;
	snprintf(counts, sizeof(counts), "%zu lines, %zu bad, %.0f lines/s", p->lines, p->bad_lines,
		 took > 0 ? (double)p->lines / took : 0.0);
	draw(bar->name, "reading", p->total_bytes ? (int)(p->bytes * 100 / p->total_bytes) : 100, counts);
	if (last) {
		fputc('\n', stderr);
		bar->reading_done = true;
	}
}

/* Storing: ranges sent to Redis, and their rate. */
static void progress_bar(size_t done, size_t total, void *ctx)
{
	struct bar *bar = ctx;
	int percent = total ? (int)(done * 100 / total) : 100;
	double took = now_s() - bar->start;
	char counts[160];

	if (percent == bar->last_percent)
		return;
	bar->last_percent = percent;
	snprintf(counts, sizeof(counts), "%zu/%zu ranges, %.0f ranges/s", done, total,
		 took > 0 ? (double)done / took : 0.0);
	draw(bar->name, "storing", percent, counts);
	if (done == total)
		fputc('\n', stderr);
}

static void human_bytes(long long n, char *out, size_t size)
{
	if (n < 0)
		snprintf(out, size, "?");
	else if (n >= 10LL << 20)
		snprintf(out, size, "%.1f MB", (double)n / (1 << 20));
	else if (n >= 10LL << 10)
		snprintf(out, size, "%.1f kB", (double)n / (1 << 10));
	else
		snprintf(out, size, "%lld B", n);
}

int ctl_import(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "skip-bad-lines", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct rlists_import_opts io = { .format = LISTFILE_AUTO };
	struct rlists_import_stats st;
	struct rlists_conn_opts conn;
	char *error = NULL, mem[32];
	int c;

	while ((c = getopt_long(argc, argv, "f:s", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (listfile_format_parse(optarg, &io.format) != 0)
				return ctl_usage_error("import", "--format %s: expected auto, ip4set, "
								 "ip4trie, ip6tset, ip6trie or cidr",
							optarg);
			break;
		case 's':
			io.skip_bad_lines = true;
			break;
		default:
			return ctl_usage_error("import", "unknown option");
		}
	}
	if (optind != argc - 2)
		return ctl_usage_error("import", "expected NAME FILE");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	if (conn_from_cfg(cfg, "import", &conn) != 0) {
		cfg_unref(&cfg);
		return CTL_FAIL;
	}
	struct bar bar = { argv[optind], -1, now_s(), 0, false };
	if (isatty(STDERR_FILENO)) {
		io.progress = progress_bar;
		io.read_progress = read_bar;
		io.progress_ctx = &bar;
	}
	int rc = rlists_import(&conn, argv[optind], argv[optind + 1], &io, &st, &error);
	cfg_unref(&cfg);
	if (rc != 0) {
		if ((bar.drawn > 0 && !bar.reading_done) || (bar.last_percent >= 0 && bar.last_percent < 100))
			fputc('\n', stderr);
		fprintf(stderr, "relayguard-ctl: import: %s\n", error);
		free(error);
		return CTL_FAIL;
	}
	human_bytes(st.memory_bytes, mem, sizeof(mem));
	printf("imported %s: %zu entries, %zu ranges, %zu texts, %zu bad lines skipped, %.2f s, "
	       "%s in Redis",
	       argv[optind], st.entries, st.ranges, st.texts, st.bad_lines, st.seconds, mem);
	if (st.memory_bytes >= 0 && st.ranges > 0)
		printf(" (%.1f bytes/range)", (double)st.memory_bytes / (double)st.ranges);
	putchar('\n');
	return CTL_OK;
}

static void human_age(long long seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		snprintf(out, size, "%llds", seconds);
	else if (seconds < 7200)
		snprintf(out, size, "%lldm", seconds / 60);
	else if (seconds < 172800)
		snprintf(out, size, "%lldh", seconds / 3600);
	else
		snprintf(out, size, "%lldd", seconds / 86400);
}

int ctl_lists(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct rlists_conn_opts conn;
	struct rlists_info *infos = NULL;
	size_t n = 0;
	char *error = NULL, age[32], mem[32];

	(void)argv;
	if (argc != 1)
		return ctl_usage_error("lists", "takes no arguments");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	int rc = conn_from_cfg(cfg, "lists", &conn) != 0 ? -1 : rlists_list(&conn, &infos, &n, &error);
	cfg_unref(&cfg);
	if (rc != 0) {
		if (error != NULL)
			fprintf(stderr, "relayguard-ctl: lists: %s\n", error);
		free(error);
		return CTL_FAIL;
	}
	printf("%-28s %10s %10s %6s %10s %-8s %s\n", "list", "entries", "ranges", "age", "memory",
	       "format", "source");
	for (size_t i = 0; i < n; i++) {
		human_age((long long)time(NULL) - infos[i].imported_at, age, sizeof(age));
		human_bytes(infos[i].memory_bytes, mem, sizeof(mem));
		printf("%-28s %10zu %10zu %6s %10s %-8s %s\n", infos[i].name, infos[i].entries,
		       infos[i].ranges, age, mem, infos[i].format, infos[i].source);
	}
	rlists_infos_free(&infos, n);
	return CTL_OK;
}

int ctl_drop(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct rlists_conn_opts conn;
	char *error = NULL;

	if (argc != 2)
		return ctl_usage_error("drop", "expected NAME");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	int rc = conn_from_cfg(cfg, "drop", &conn) != 0 ? -1 : rlists_drop(&conn, argv[1], &error);
	cfg_unref(&cfg);
	if (rc != 0) {
		if (error != NULL)
			fprintf(stderr, "relayguard-ctl: drop: %s\n", error);
		free(error);
		return CTL_FAIL;
	}
	printf("dropped %s\n", argv[1]);
	return CTL_OK;
}
