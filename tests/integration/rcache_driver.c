/*
 * rcache_driver - drive common/rcache against a real redis-server, one
 * command per line on standard input, so that tests/integration/rcache.sh
 * can kill, stop and restart Redis between (or during) steps.
 *
 *   rcache_driver --server 127.0.0.1:PORT [--db N] [--prefix P] [--timeout MS]
 *   (the password, if any, comes from the environment: RG_REDIS_PASSWORD)
 *
 * Each command prints TAP lines without numbers ("ok - ..." / "not ok - ...",
 * the shell numbers them), diagnostics ("# ..."), and finally "done".
 * Log lines go to standard error.  Commands:
 *   up MS                       connected within MS ms
 *   down MS                     still not connected after MS ms
 *   get SUBJECT SRC[,SRC] EXP   one get; EXP is the entries joined by '|',
 *                               each "-" (miss) or its value encoding
 *   put SUBJECT SRC TTL VALUE   rcache_put, then read it back
 *   putonly SUBJECT SRC TTL VALUE  rcache_put alone (for a Redis that is down)
 *   fail SUBJECT SRC MAXMS      a get answers -1 within MAXMS ms
 *   burst MS MAXMS SUBJECT SRC  keep gets in flight for MS ms (the shell kills
 *                               Redis meanwhile); every answer within MAXMS
 *   cancel SUBJECT SRC          cancel a get in flight: never answered
 *   refree SUBJECT SRC          free the cache with gets in flight, make a new one
 *   stats                       print "stats hits=.. misses=.. ..."
 *   quit
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "rcache.h"

#define LINE_MAX_LEN 4096
#define BURST_INFLIGHT 4
#define TICK_MS 10

static struct event_base *base;
static rcache_t *rc;
static unsigned long ticks;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tap(bool good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool good, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", good ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	ticks++;
}

/* Run the loop until pred() holds or max_ms passed; the ticker wakes it. */
static bool run_until(bool (*pred)(void *), void *arg, unsigned max_ms)
{
	uint64_t deadline = now_ms() + max_ms;

	while (pred == NULL || !pred(arg)) {
		if (now_ms() >= deadline)
			return false;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return true;
}

static bool is_up(void *arg)
{
	return rcache_up(rc);
}

/* ---- one get ---------------------------------------------------------- */

struct getres {
	bool done;
	int status;
	uint64_t started, took;
	struct buf text;	/* entries as EXP text */
};

static void get_cb(int status, const struct rcache_entry *entries, size_t n, void *ctx)
{
	struct getres *g = ctx;

	g->done = true;
	g->status = status;
	g->took = now_ms() - g->started;
	for (size_t i = 0; status == 0 && i < n; i++) {
		if (i > 0)
			buf_putc(&g->text, '|');
		if (rcache_value_format(&entries[i], &g->text) != 0)
			buf_putc(&g->text, '-');
	}
}

static bool get_done(void *arg)
{
	return ((struct getres *)arg)->done;
}

/* Split "a,b,c" in place into at most max pointers. */
static size_t split_sources(char *list, const char **out, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(list, ","); tok != NULL && n < max; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

static void do_get(struct getres *g, const char *subject, char *list)
{
	const char *sources[RCACHE_SOURCES_MAX];
	size_t n = split_sources(list, sources, RCACHE_SOURCES_MAX);

	g->started = now_ms();
	(void)rcache_get(rc, subject, sources, n, get_cb, g);
	if (g->done)
		tap(false, "callback ran inside rcache_get");
	(void)run_until(get_done, g, 10000);
}

static void cmd_get(char *subject, char *list, const char *expect)
{
	struct getres g = { false, 0, 0, 0, BUF_INIT };

	do_get(&g, subject, list);
	tap(g.done && g.status == 0 && strcmp(buf_cstr(&g.text), expect) == 0,
	    "get %s: %s", subject, expect);
	if (!g.done || g.status != 0 || strcmp(buf_cstr(&g.text), expect) != 0)
		printf("#   done=%d status=%d got '%s'\n", g.done, g.status, buf_cstr(&g.text));
	buf_free(&g.text);
}

static void cmd_put(char *subject, char *source, const char *ttl, const char *value,
		    bool readback)
{
	struct rcache_entry e;
	size_t txt_len;
	char *txt;
	struct getres g = { false, 0, 0, 0, BUF_INIT };
	char src_copy[RCACHE_SOURCE_MAX + 1];

	if (rcache_value_parse(value, strlen(value), &e, &txt_len) != 0) {
		tap(false, "put: bad value '%s' in the script", value);
		return;
	}
	txt = e.txt != NULL ? strndup(e.txt, txt_len) : NULL;
	e.txt = txt;
	rcache_put(rc, subject, source, &e, (unsigned)strtoul(ttl, NULL, 10));
	free(txt);
	if (!readback)
		return;
	/* The same connection answers in order: once this get is back, the
	 * SET has been applied. */
	snprintf(src_copy, sizeof(src_copy), "%s", source);
	do_get(&g, subject, src_copy);
	tap(g.done && g.status == 0 && strcmp(buf_cstr(&g.text), value) == 0,
	    "put %s %s reads back", source, subject);
	buf_free(&g.text);
}

static void cmd_fail(char *subject, char *list, unsigned maxms)
{
	struct getres g = { false, 0, 0, 0, BUF_INIT };
	unsigned long before;

	do_get(&g, subject, list);
	tap(g.done && g.status == -1 && g.took <= maxms, "get fails within %u ms (took %llu)",
	    maxms, (unsigned long long)g.took);
	before = ticks;
	(void)run_until(NULL, NULL, 100);
	/* 10 ticks when idle; a loop blocked by the failing get would see 0 or 1,
	 * and a loaded machine may delay a few */
	tap(ticks - before >= 2, "the loop keeps running (%lu ticks in 100 ms)", ticks - before);
	buf_free(&g.text);
}

/* ---- burst: gets in flight while the shell kills Redis ---------------- */

struct burst {
	const char *subject;
	const char *sources[RCACHE_SOURCES_MAX];
	size_t n;
	struct getres slot[BURST_INFLIGHT];
	bool stopping;
	unsigned long ok, failed, issued;
	uint64_t worst;
};

static void burst_issue(struct burst *b, size_t i)
{
	struct getres *g = &b->slot[i];

	buf_reset(&g->text);
	g->done = false;
	g->started = now_ms();
	b->issued++;
	(void)rcache_get(rc, b->subject, b->sources, b->n, get_cb, g);
}

/* Collect answered slots; reissue unless stopping.  True when all idle. */
static bool burst_poll(void *arg)
{
	struct burst *b = arg;
	bool idle = true;

	for (size_t i = 0; i < BURST_INFLIGHT; i++) {
		struct getres *g = &b->slot[i];
		if (g->done && g->started != 0) {
			if (g->status == 0)
				b->ok++;
			else
				b->failed++;
			if (g->took > b->worst)
				b->worst = g->took;
			g->started = 0;
			if (!b->stopping)
				burst_issue(b, i);
		}
		idle &= g->started == 0;
	}
	return b->stopping && idle;
}

static void cmd_burst(unsigned ms, unsigned maxms, char *subject, char *list)
{
	struct burst b;
	unsigned long before = ticks;

	memset(&b, 0, sizeof(b));
	b.subject = subject;
	b.n = split_sources(list, b.sources, RCACHE_SOURCES_MAX);
	for (size_t i = 0; i < BURST_INFLIGHT; i++)
		burst_issue(&b, i);
	/* Poll after every loop turn until the time is up, then drain. */
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE);
		(void)burst_poll(&b);
	}
	b.stopping = true;
	bool drained = run_until(burst_poll, &b, maxms + 1000);
	tap(drained, "burst: every one of %lu gets was answered", b.issued);
	tap(b.worst <= maxms, "burst: every answer within %u ms (worst %llu)", maxms,
	    (unsigned long long)b.worst);
	tap(b.ok > 0, "burst: gets succeeded before the kill (%lu)", b.ok);
	tap(b.failed > 0, "burst: gets failed after the kill (%lu)", b.failed);
	tap(ticks - before >= ms / TICK_MS / 2, "burst: the loop kept running (%lu ticks)",
	    ticks - before);
	for (size_t i = 0; i < BURST_INFLIGHT; i++)
		buf_free(&b.slot[i].text);
}

static void cmd_cancel(char *subject, char *list)
{
	const char *sources[RCACHE_SOURCES_MAX];
	size_t n = split_sources(list, sources, RCACHE_SOURCES_MAX);
	struct getres g = { false, 0, now_ms(), 0, BUF_INIT };
	rcache_req_t *req = rcache_get(rc, subject, sources, n, get_cb, &g);

	/* Cancel before the loop runs (after it, the answer may already have
	 * been delivered and the handle be gone): hiredis still holds the
	 * request, sends it, and the reply must be dropped safely. */
	rcache_cancel(req);
	(void)run_until(NULL, NULL, 200);
	tap(!g.done, "a cancelled get in flight is never answered");
	buf_free(&g.text);
}

static void cmd_refree(char *subject, char *list, const struct rcache_opts *opts)
{
	const char *sources[RCACHE_SOURCES_MAX];
	size_t n = split_sources(list, sources, RCACHE_SOURCES_MAX);
	struct getres g[3];
	char *error = NULL;
	bool answered = false;

	memset(g, 0, sizeof(g));
	for (size_t i = 0; i < 3; i++)
		(void)rcache_get(rc, subject, sources, n, get_cb, &g[i]);
	rcache_free(&rc);	/* the gets are still held by hiredis */
	(void)run_until(NULL, NULL, 100);
	for (size_t i = 0; i < 3; i++) {
		answered |= g[i].done;
		buf_free(&g[i].text);
	}
	tap(!answered, "rcache_free with gets in flight: none is answered");
	if (rcache_new(base, opts, &rc, &error) != 0) {
		tap(false, "rcache_new again: %s", error);
		free(error);
		exit(1);
	}
	tap(run_until(is_up, NULL, 3000), "a new cache connects after the free");
}

static void cmd_stats(void)
{
	struct rcache_stats s;

	rcache_stats(rc, &s);
	printf("stats hits=%llu misses=%llu errors=%llu garbage=%llu timeouts=%llu puts=%llu "
	       "dropped=%llu reconnects=%llu\n",
	       (unsigned long long)s.hits, (unsigned long long)s.misses,
	       (unsigned long long)s.errors, (unsigned long long)s.garbage,
	       (unsigned long long)s.timeouts, (unsigned long long)s.puts,
	       (unsigned long long)s.puts_dropped, (unsigned long long)s.reconnects);
}

/* Run one script line; false on quit. */
static bool run_command(char *line, const struct rcache_opts *opts)
{
	char *cmd = strtok(line, " \n");
	char *a1 = strtok(NULL, " \n"), *a2 = strtok(NULL, " \n"), *a3 = strtok(NULL, "\n");

	if (cmd == NULL)
		return true;
	if (strcmp(cmd, "quit") == 0)
		return false;
	if (strcmp(cmd, "up") == 0 && a1 != NULL) {
		unsigned ms = (unsigned)strtoul(a1, NULL, 10);
		tap(run_until(is_up, NULL, ms), "connected within %u ms", ms);
	} else if (strcmp(cmd, "down") == 0 && a1 != NULL) {
		unsigned ms = (unsigned)strtoul(a1, NULL, 10);
		tap(!run_until(is_up, NULL, ms), "still not connected after %u ms", ms);
	} else if (strcmp(cmd, "get") == 0 && a3 != NULL) {
		cmd_get(a1, a2, a3);
	} else if ((strcmp(cmd, "put") == 0 || strcmp(cmd, "putonly") == 0) && a3 != NULL) {
		char *ttl = strtok(a3, " "), *value = strtok(NULL, "\n");
		if (value != NULL)
			cmd_put(a1, a2, ttl, value, strcmp(cmd, "put") == 0);
		else
			tap(false, "put needs SUBJECT SRC TTL VALUE");
	} else if (strcmp(cmd, "fail") == 0 && a3 != NULL) {
		cmd_fail(a1, a2, (unsigned)strtoul(a3, NULL, 10));
	} else if (strcmp(cmd, "burst") == 0 && a3 != NULL) {
		char *subject = strtok(a3, " "), *list = strtok(NULL, " \n");
		if (list != NULL)
			cmd_burst((unsigned)strtoul(a1, NULL, 10), (unsigned)strtoul(a2, NULL, 10),
				  subject, list);
		else
			tap(false, "burst needs MS MAXMS SUBJECT SRC");
	} else if (strcmp(cmd, "cancel") == 0 && a2 != NULL) {
		cmd_cancel(a1, a2);
	} else if (strcmp(cmd, "refree") == 0 && a2 != NULL) {
		cmd_refree(a1, a2, opts);
	} else if (strcmp(cmd, "stats") == 0) {
		cmd_stats();
	} else {
		tap(false, "unknown or incomplete command '%s'", cmd);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' }, { "db", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' }, { "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct rcache_opts opts = { .password = getenv("RG_REDIS_PASSWORD"), .prefix = "rg:", .timeout_ms = 200 };
	char line[LINE_MAX_LEN], *error = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opts.server = optarg; break;
		case 'd': opts.db = atoi(optarg); break;
		case 'p': opts.prefix = optarg; break;
		case 't': opts.timeout_ms = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	log_open("rcache_driver", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_DEBUG);
	base = event_base_new();
	struct event *ticker = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	struct timeval tv = { 0, TICK_MS * 1000 };
	event_add(ticker, &tv);
	if (rcache_new(base, &opts, &rc, &error) != 0) {
		printf("not ok - rcache_new: %s\ndone\n", error);
		free(error);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		bool more = run_command(line, &opts);
		printf("done\n");
		fflush(stdout);
		if (!more)
			break;
	}
	rcache_free(&rc);
	event_free(ticker);
	event_base_free(base);
	return 0;
}
