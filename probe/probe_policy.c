/*
 * probe_policy - allowed targets, per-host lock, rate limits; see
 * probe_policy.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "probe_policy.h"

#define JOURNAL_LINE_MAX 128

int probe_policy_allowed(const struct cfg_netlist *allowed, const addr_t *a, const char **why_r)
{
	if (allowed == NULL || allowed->n == 0) {
		*why_r = "probe_allowed_targets is not set: relayguard-probe contacts only networks listed there";
		return -1;
	}
	if (!cfg_netlist_match(allowed, a)) {
		*why_r = "outside probe_allowed_targets: not contacted";
		return -1;
	}
	return 0;
}

int probe_policy_same_network(const addr_t *a, const addr_t *b)
{
	addr_t x = *a, y = *b;
	unsigned plen = a->family == AF_INET ? 24 : 48;

	if (a->family != b->family)
		return 0;
	addr_mask(&x, plen);
	addr_mask(&y, plen);
	return addr_cmp(&x, &y) == 0;
}

static int mkdir_p(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int probe_policy_mkdirs(const char *dir)
{
	char p[4096];

	if (mkdir_p(dir) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/lock", dir);
	if (mkdir_p(p) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/results", dir);
	return mkdir_p(p);
}

/* Count the journal against the limits; keep recent lines in kept. */
static int check_journal(FILE *f, const addr_t *a, const struct probe_limits *l, time_t now, struct buf *kept,
			 char *why, size_t why_size)
{
	char line[JOURNAL_LINE_MAX], text[ADDR_STRLEN];
	long long keep_s = l->host_interval_s > 3600 ? l->host_interval_s : 3600;
	long long global = 0, network = 0;
	int refused = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		long long t;
		addr_t b;
		if (sscanf(line, "%lld %45s", &t, text) != 2 || addr_parse(text, &b) != 0)
			continue;
		if (t > now || now - t > keep_s)
			continue;
		buf_puts(kept, line);
		if (line[strlen(line) - 1] != '\n')
			buf_putc(kept, '\n');
		if (now - t < 3600) {
			global++;
			network += probe_policy_same_network(a, &b);
		}
		if (!refused && addr_cmp(a, &b) == 0 && now - t < l->host_interval_s) {
			snprintf(why, why_size, "probed %llds ago; probe_host_interval is %llds", (long long)(now - t),
				 l->host_interval_s);
			refused = 1;
		}
	}
	if (!refused && network >= l->network_rate) {
		snprintf(why, why_size, "probe_network_rate reached: %lld probes into its network in the last hour",
			 network);
		refused = 1;
	}
	if (!refused && global >= l->global_rate) {
		snprintf(why, why_size, "probe_global_rate reached: %lld probes in the last hour", global);
		refused = 1;
	}
	return refused ? -1 : 0;
}

/* Under the journal lock: check the limits, then record this probe. */
static int take_place(const char *dir, const addr_t *a, const struct probe_limits *l, time_t now, char *why,
		      size_t why_size)
{
	char path[4096], tmp[4096], text[ADDR_STRLEN];
	struct buf kept;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/journal.lock", dir);
	int lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	buf_init(&kept);
	snprintf(path, sizeof(path), "%s/journal", dir);
	FILE *f = fopen(path, "re");
	int refused = check_journal(f, a, l, now, &kept, why, why_size);
	if (f != NULL)
		fclose(f);
	if (refused == 0) {
		buf_printf(&kept, "%lld %s\n", (long long)now, addr_format(a, text));
		snprintf(tmp, sizeof(tmp), "%s/journal.tmp", dir);
		FILE *w = fopen(tmp, "we");
		if (w == NULL || fwrite(kept.data, 1, kept.len, w) != kept.len || fclose(w) != 0 ||
		    rename(tmp, path) != 0)
			snprintf(why, why_size, "%s: %s", path, strerror(errno));
		else
			rc = 0;
	}
	buf_free(&kept);
	close(lfd);
	return rc;
}

int probe_policy_acquire(const char *dir, const addr_t *a, const struct probe_limits *l, time_t now,
			 int *lock_fd_r, char *why, size_t why_size)
{
	char path[4096], text[ADDR_STRLEN];

	*lock_fd_r = -1;
	snprintf(path, sizeof(path), "%s/lock/%s", dir, addr_format(a, text));
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(why, why_size, "a probe of this host is already running");
		close(fd);
		return -1;
	}
	if (take_place(dir, a, l, now, why, why_size) != 0) {
		close(fd);
		return -1;
	}
	*lock_fd_r = fd;
	return 0;
}

void probe_policy_release(int *lock_fd)
{
	if (*lock_fd >= 0)
		close(*lock_fd);
	*lock_fd = -1;
}
