/* test_log - rate-limited warnings (log_limit_pass) and key=value quoting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "tap.h"

static void test_limit(void)
{
	struct log_limit l = LOG_LIMIT_INIT;
	unsigned long sup = 99;
	int logged = 0;

	ok(log_limit_pass(&l, 1000, &sup), "the first occurrence is logged");
	is_int(sup, 0, "... with nothing suppressed");
	/* a flood: 1,000 more within the interval */
	for (int i = 0; i < 1000; i++)
		logged += log_limit_pass(&l, 1001 + (uint64_t)i, &sup);
	is_int(logged, 0, "1,000 more within the interval: none logged");
	ok(!log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS - 1, &sup), "still inside the interval: counted");
	ok(log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS, &sup), "the first after the interval is logged");
	is_int(sup, 1001, "... reporting the 1,001 suppressed");
	ok(!log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS + 1, &sup), "a new interval starts there");
	ok(log_limit_pass(&l, 1000 + 5 * LOG_LIMIT_INTERVAL_MS, &sup), "much later: logged");
	is_int(sup, 1, "... reporting the one suppressed since");
}

static void test_quote(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "\"\"" },
		{ "a b", "\"a b\"" },
		{ "cr\rlf\n", "\"cr\\x0dlf\\x0a\"" },
		{ "esc\x1b[31m", "\"esc\\x1b[31m\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		log_kv_quote(&b, cases[i].in);
		is_str(buf_cstr(&b), cases[i].out, "quote case %zu", i);
		buf_free(&b);
	}
}

static void test_flood(void)
{
	static const char text[] = "report queue: Redis refused an event: OOM command not allowed";
	unsigned long sup = 0;
	int logged = 0;

	/* 220 a second for 10 s, as Redis at maxmemory noeviction did */
	for (int i = 0; i < 2200; i++)
		logged += log_flood_pass(text, 50000 + (uint64_t)i * 1000 / 220, &sup);
	is_int(logged, LOG_FLOOD_BURST, "2,200 identical warnings in 10 s: %d lines", LOG_FLOOD_BURST);
	ok(log_flood_pass(text, 50000 + LOG_LIMIT_INTERVAL_MS, &sup), "the next interval: logged again");
	is_int(sup, 2200 - LOG_FLOOD_BURST, "... with the count of the suppressed ones");
	ok(log_flood_pass("another warning", 50001 + LOG_LIMIT_INTERVAL_MS, &sup),
	   "another text is not held back by the flood");
	/* 30 bad lines of a file, each with its line number: every one shows */
	logged = 0;
	for (int i = 0; i < 30; i++) {
		char t[64];
		snprintf(t, sizeof(t), "list.txt:%d: not an address", i + 1);
		logged += log_flood_pass(t, 90000, &sup);
	}
	is_int(logged, 30, "30 different lines at once: all 30 logged");
}

/* What log_warning() writes to standard error, as lines. */
static void test_written(void)
{
	char path[] = "/tmp/rg-log-XXXXXX", text[8192];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;
	size_t n;
	int lines = 0;

	if (!ok(fd >= 0 && saved >= 0, "temp file"))
		return;
	dup2(fd, STDERR_FILENO);
	log_open("test", LOG_TO_STDERR, 0);
	log_warning("client_address '%s' is not an address", "1.2.3.4\r\x1b[31mX\n");
	for (int i = 0; i < 1000; i++)
		log_warning("report queue: Redis refused an event: %s", "OOM command not allowed");
	log_info("decision %d", 1);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f != NULL)
		fclose(f);
	unlink(path);
	close(fd);
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	ok(strstr(text, "'1.2.3.4\\x0d\\x1b[31mX\\x0a' is not") != NULL, "CR, ESC and LF written escaped");
	ok(strchr(text, '\r') == NULL && strchr(text, '\x1b') == NULL, "no raw control byte reaches the log");
	is_int(lines, 1 + LOG_FLOOD_BURST + 1, "1,000 identical warnings: %d lines, the decision line too", LOG_FLOOD_BURST);
}

int main(void)
{
	test_limit();
	test_quote();
	test_flood();
	test_written();
	return tap_done();
}
