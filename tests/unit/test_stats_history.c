/*
 * test_stats_history - the stats history (common/stats_history): lines that
 * parse and lines that do not (a table), the reader's file:line for the
 * first bad line, its since filter and day order, lines past the limit,
 * and a writer whose folder cannot be made (no crash, nothing written).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats_history.h"
#include "tap.h"

static const struct {
	const char *line;
	int rc;			/* 0 parses, -1 refused */
	const char *why;	/* the reason when refused */
} cases[] = {
	{ "t=5 src=a.1.0 started=1 checks=10 skipped=1 listed=3 failed=2", 0, NULL },
	{ "t=5 src=a.1.0 zone=z.example kind=dnsbl queries=9 listed=3 not_listed=6 errors=0 timeouts=0 state=suspended",
	  0, NULL },
	{ "t=5 src=a.1.0 checks=1 later_key=whatever", 0, NULL },
	{ "t=5 src=a.1.0 checks=1\n", 0, NULL },
	{ "src=a.1.0 checks=1", -1, "no t= or src=" },
	{ "t=5 checks=1", -1, "no t= or src=" },
	{ "t=5 src=a.1.0 checks=-1", -1, "a value that does not parse" },
	{ "t=5 src=a.1.0 checks=18446744073709551616", -1, "a value that does not parse" },
	{ "t=5 src=a.1.0 state=sleeping", -1, "a value that does not parse" },
	{ "t=5 src= checks=1", -1, "a value that does not parse" },
	{ "t=5 src=a.1.0 checks", -1, "expected key=value" },
	{ "t=5 src=a.1.0  checks=1", -1, "expected key=value" },
	{ "=5 src=a", -1, "expected key=value" },
	{ "", -1, "no t= or src=" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stats_history_rec r;
		const char *why = NULL;
		int rc = stats_history_parse(cases[i].line, strlen(cases[i].line), &r, &why);
		is_int(rc, cases[i].rc, "parse \"%.*s\"", (int)strcspn(cases[i].line, "\n"), cases[i].line);
		if (rc != 0 && cases[i].why != NULL)
			is_str(why, cases[i].why, "  why");
	}
	struct stats_history_rec r;
	const char *why;
	const char *z = cases[1].line;
	ok(stats_history_parse(z, strlen(z), &r, &why) == 0 && r.is_zone && strcmp(r.zone, "z.example") == 0 &&
		   r.listed == 3 && r.queries == 9 && r.state == ZONE_H_SUSPENDED && r.t == 5,
	   "a zone line's fields");
	const char *e = cases[0].line;
	ok(stats_history_parse(e, strlen(e), &r, &why) == 0 && !r.is_zone && r.checks == 10 && r.failed == 2 &&
		   r.started == 1 && strcmp(r.src, "a.1.0") == 0,
	   "an engine line's fields");
	char long_line[STATS_HISTORY_LINE_MAX + 10];
	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, "t=1 src=a x=", 12);
	long_line[sizeof(long_line) - 1] = '\0';
	is_int(stats_history_parse(long_line, strlen(long_line), &r, &why), -1, "a line past the limit");
	is_str(why, "line too long", "  why");
}

struct seen {
	size_t n;
	long long first_t, last_t;
};

static int count(const struct stats_history_rec *r, void *ctx)
{
	struct seen *s = ctx;
	if (s->n++ == 0)
		s->first_t = r->t;
	s->last_t = r->t;
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_read(const char *dir)
{
	struct seen s = { 0 };
	size_t bad = 0;
	char *first_bad = NULL, *err = NULL, big[3000];

	/* 1765000000 is 2025-12-06 */
	write_file(dir, "history-20251207.log", "t=1765090000 src=a.1.0 checks=3\nbroken\n");
	write_file(dir, "history-20251206.log", "t=1765000000 src=a.1.0 checks=1\nt=1765000060 src=a.1.0 checks=2\n");
	write_file(dir, "notes.txt", "t=1 src=ignored\n");
	memset(big, 'y', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	write_file(dir, "history-20251208.log", big);
	int files = stats_history_read(dir, 0, count, &s, &bad, &first_bad, &err);
	is_int(files, 3, "three day files read (not notes.txt)");
	is_int((int)s.n, 3, "three good lines");
	ok(s.first_t == 1765000000 && s.last_t == 1765090000, "oldest day first, in file order");
	is_int((int)bad, 2, "two bad lines: a torn one and one past the limit");
	ok(first_bad != NULL && strstr(first_bad, "history-20251207.log:2: ") != NULL, "the first named FILE:LINE: %s",
	   first_bad ? first_bad : "(none)");
	free(first_bad);
	s = (struct seen){ 0 };
	files = stats_history_read(dir, 1765000030, count, &s, NULL, NULL, &err);
	ok(files == 3 && s.n == 2 && s.first_t == 1765000060, "since: earlier lines are left out");
	s = (struct seen){ 0 };
	files = stats_history_read(dir, 1765086400, count, &s, NULL, NULL, &err);
	ok(files == 2 && s.n == 1, "since: earlier days are not even opened");
	err = NULL;
	is_int(stats_history_read("/nonexistent/rg-history", 0, count, &s, NULL, NULL, &err), -1, "a missing folder");
	ok(err != NULL && strstr(err, "/nonexistent/rg-history: ") != NULL, "  named in the error");
	free(err);
}

static void test_unwritable(const char *dir)
{
	char conf[600], blocker[512];
	cfg_t *cfg;
	char *err = NULL;
	struct buf lines = BUF_INIT;

	/* a regular file where the folder should be: neither mkdir nor open can work */
	snprintf(blocker, sizeof(blocker), "%s/blocker", dir);
	write_file(dir, "blocker", "");
	snprintf(conf, sizeof(conf), "stats_history_dir = %s/sub\n", blocker);
	if (!ok(cfg_load_mem("test", conf, strlen(conf), &cfg, &err) == 0, "config"))
		return;
	stats_history_t *h = stats_history_new(cfg);
	ok(h != NULL, "history on by default (stats_history_keep 30d)");
	buf_puts(&lines, "t=1 src=a.1.0 checks=1\n");
	stats_history_append(h, &lines, 1765000000);
	stats_history_append(h, &lines, 1765000001);
	struct stat st;
	ok(stat(blocker, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "an unwritable folder: nothing written, "
										"no crash");
	stats_history_free(&h);
	ok(h == NULL, "free sets NULL");
	cfg_unref(&cfg);
	snprintf(conf, sizeof(conf), "stats_history_dir = %s\nstats_history_keep = 0\n", dir);
	ok(cfg_load_mem("test", conf, strlen(conf), &cfg, &err) == 0 && stats_history_new(cfg) == NULL,
	   "stats_history_keep = 0: no history");
	cfg_unref(&cfg);
	buf_free(&lines);
}

int main(void)
{
	char dir[] = "/tmp/test_stats_history.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return tap_skip_all("cannot make a temporary folder");
	test_parse();
	test_read(dir);
	test_unwritable(dir);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
