/*
 * ctl_stats - `relayguard-ctl stats`: the counters the running daemons leave
 * in stats_dir (format: common/engine_stats.h), per process and per zone,
 * with zones summed over every live process.  Snapshots of processes that
 * are gone are ignored (and named with -v).  Each zone's health state
 * (in service, suspended, not yet probed) is shown as the processes see it,
 * and for a zone that is not in service everywhere, why (the first reason
 * read).
 *
 * Exit status: 0, or 1 when stats_dir is unset or holds no live snapshot.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctl.h"
#include "mem.h"

/* Longest snapshot line we read; longer ones are cut (zone names are <= 253). */
#define STATS_LINE_MAX 2048
/* Zones summed over all processes. */
#define STATS_ZONES_MAX 256

struct zone_sum {
	char name[256];
	char kind[16];
	unsigned long long queries, listed, not_listed, errors, timeouts, lat_total, lat_max;
	unsigned n_state[3];	/* processes that see it unprobed, in service, suspended */
	char why_state[16];	/* the state of why[] */
	char why[400];		/* a reason for a state other than in service */
};

static const char *const state_names[3] = { "unprobed", "in_service", "suspended" };
static const char *const state_labels[3] = { "not yet probed", "in service", "suspended" };

/* The value of key in a "k=v k=v" line, copied to out; false if absent. */
static bool field(const char *line, const char *key, char *out, size_t outsz)
{
	size_t klen = strlen(key);

	for (const char *p = line; (p = strstr(p, key)) != NULL; p += klen) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, " \n");
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static unsigned long long num(const char *line, const char *key)
{
	char v[32];
	return field(line, key, v, sizeof(v)) ? strtoull(v, NULL, 10) : 0;
}

static struct zone_sum *zone_slot(struct zone_sum *zones, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	}
	if (*n >= STATS_ZONES_MAX)
		return NULL;
	struct zone_sum *z = &zones[(*n)++];
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	return z;
}

static void add_zone(struct zone_sum *zones, size_t *n, const char *line)
{
	char name[256];
	struct zone_sum *z;

	if (!field(line, "zone", name, sizeof(name)) || (z = zone_slot(zones, n, name)) == NULL)
		return;
	(void)field(line, "kind", z->kind, sizeof(z->kind));
	z->queries += num(line, "queries");
	z->listed += num(line, "listed");
	z->not_listed += num(line, "not_listed");
	z->errors += num(line, "errors");
	z->timeouts += num(line, "timeouts");
	z->lat_total += num(line, "latency_us_total");
	if (num(line, "latency_us_max") > z->lat_max)
		z->lat_max = num(line, "latency_us_max");
	char state[16] = "";
	const char *why = strstr(line, " reason=");
	/* Older snapshots have only suspended=0|1. */
	if (!field(line, "state", state, sizeof(state)))
		snprintf(state, sizeof(state), "%s", num(line, "suspended") ? "suspended" : "in_service");
	for (int s = 0; s < 3; s++) {
		if (strcmp(state, state_names[s]) != 0)
			continue;
		z->n_state[s]++;
		if (s != 1 && why != NULL && z->why[0] == '\0') {
			snprintf(z->why, sizeof(z->why), "%.*s", (int)strcspn(why + 8, "\n"), why + 8);
			snprintf(z->why_state, sizeof(z->why_state), "%s", state_labels[s]);
		}
	}
}

/* "in service", "suspended", or "2 suspended, 1 in service" when processes differ. */
static void state_text(const struct zone_sum *z, char *out, size_t size)
{
	size_t len = 0, kinds = 0;

	out[0] = '\0';
	for (int s = 2; s >= 0; s--)
		kinds += z->n_state[s] > 0;
	for (int s = 2; s >= 0 && kinds > 0; s--) {
		if (z->n_state[s] == 0)
			continue;
		if (kinds == 1)
			snprintf(out, size, "%s", state_labels[s]);
		else if (len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%u %s", len ? ", " : "", z->n_state[s],
						state_labels[s]);
	}
}

/* Read one snapshot; returns false when its process is gone. */
static bool read_snapshot(const char *path, const struct ctl_ctx *ctx, struct zone_sum *zones, size_t *nz)
{
	FILE *f = fopen(path, "r");
	char line[STATS_LINE_MAX];
	bool live = true;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "program=", 8) == 0) {
			long pid = (long)num(line, "pid");
			time_t age = time(NULL) - (time_t)num(line, "written");
			char prog[64] = "?";
			(void)field(line, "program", prog, sizeof(prog));
			live = pid > 0 && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH);
			if (!live) {
				if (ctx->verbose)
					fprintf(stderr, "relayguard-ctl: stats: %s: process %ld is gone, ignored\n",
						path, pid);
				break;
			}
			printf("%s[%ld] snapshot %llds old\n", prog, pid, (long long)age);
		} else if (strncmp(line, "zone=", 5) == 0) {
			add_zone(zones, nz, line);
		} else {
			printf("  %s", line);
		}
	}
	fclose(f);
	return live;
}

int ctl_stats(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct zone_sum *zones;
	size_t nz = 0, live = 0;
	struct dirent *de;
	DIR *d;

	if (argc != 1)
		return ctl_usage_error("stats", "no arguments expected");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	const char *dir = cfg_str(cfg, CFG_STATS_DIR);
	if (*dir == '\0' || (d = opendir(dir)) == NULL) {
		fprintf(stderr, "relayguard-ctl: stats: %s%s%s\n", *dir ? dir : "stats_dir is empty",
			*dir ? ": " : "", *dir ? strerror(errno) : " (no daemon writes counters)");
		cfg_unref(&cfg);
		return CTL_FAIL;
	}
	zones = xcalloc(STATS_ZONES_MAX, sizeof(*zones));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 7 || strcmp(de->d_name + len - 6, ".stats") != 0)
			continue;
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/%s", dir, de->d_name);
		if (read_snapshot(buf_cstr(&path), ctx, zones, &nz))
			live++;
		buf_free(&path);
	}
	closedir(d);
	if (live == 0) {
		fprintf(stderr, "relayguard-ctl: stats: no running daemon left counters in %s\n", dir);
		free(zones);
		cfg_unref(&cfg);
		return CTL_FAIL;
	}
	printf("\n%-32s %-12s %10s %9s %9s %8s %8s %9s %9s %s\n", "zone", "kind", "queries", "listed",
	       "clean", "errors", "timeouts", "avg_ms", "max_ms", "state");
	for (size_t i = 0; i < nz; i++) {
		const struct zone_sum *z = &zones[i];
		char state[80];
		state_text(z, state, sizeof(state));
		printf("%-32s %-12s %10llu %9llu %9llu %8llu %8llu %9.2f %9.2f %s\n", z->name, z->kind,
		       z->queries, z->listed, z->not_listed, z->errors, z->timeouts,
		       z->queries ? z->lat_total / 1000.0 / (double)z->queries : 0.0, z->lat_max / 1000.0,
		       state);
	}
	for (size_t i = 0; i < nz; i++) {
		if (zones[i].why[0] != '\0')
			printf("%s %s: %s\n", zones[i].name, zones[i].why_state, zones[i].why);
	}
	free(zones);
	cfg_unref(&cfg);
	return CTL_OK;
}
