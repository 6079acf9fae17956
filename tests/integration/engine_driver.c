/*
 * engine_driver - drives the real engine against a real rbldnsd (and, when
 * given, a real redis-server) started by tests/integration/engine.sh; prints
 * TAP.  Zones: tests/data/engine/ (bl1.test weight 2 with the filter
 * 127.0.0.[2..4], bl2.test weight 1, wl.test weight -5, dom.test for HELO).
 *
 * usage: engine_driver DNS_PORT BLACKHOLE_PORT QUERY_LOG [REDIS_PORT]
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "dnsbl.h"
#include "engine.h"
#include "filelists.h"
#include "log.h"
#include "mem.h"
#include "rcache.h"
#include "tests/unit/tap.h"

/* Longer than FILELISTS_POLL_MS: a changed file is seen by then. */
#define FILE_POLL_WAIT_MS (FILELISTS_POLL_MS + 600)

static const char *dns_port, *blackhole_port, *query_log, *redis_port;

/* How many A queries for name rbldnsd has logged so far (TXT goes alongside). */
static int queries_for(const char *name)
{
	FILE *f = fopen(query_log, "r");
	char line[1024];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, name) != NULL && strstr(line, " A ") != NULL)
			n++;
	}
	fclose(f);
	return n;
}

static cfg_t *make_cfg(const char *extra)
{
	struct buf text = BUF_INIT;
	cfg_t *cfg = NULL;
	char *error = NULL;

	buf_printf(&text,
		   "dns_servers = 127.0.0.1:%s\n"
		   "dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1, wl.test=127.0.10.[0..255]*-5\n"
		   "rhsbl_helo_sites = dom.test*2\n"
		   "dnsbl_threshold = 2\n"
		   "allowlist_threshold = -1\n"
		   "dnsbl_timeout = 2s\n"
		   "dnsbl_probe_interval = 0\n"
		   "dnsbl_reply_map = bl2.test=Second-List\n"
		   "report_enable = no\n"
		   "%s",
		   dns_port, extra);
	if (cfg_load_mem("engine-test.conf", text.data, text.len, &cfg, &error) != 0) {
		printf("Bail out! config: %s\n", error);
		exit(1);
	}
	buf_free(&text);
	return cfg;
}

/* ---- running checks on our own loop ------------------------------------ */

struct pending {
	struct event_base *base;
	struct engine_verdict *verdict;
	int outstanding;
};

static void on_verdict(const struct engine_verdict *v, void *ctx)
{
	struct pending *p = ctx;

	if (p->verdict == NULL)
		p->verdict = engine_verdict_copy(v);
	if (--p->outstanding == 0)
		event_base_loopbreak(p->base);
}

/* Run n identical checks at once; returns the first verdict (caller frees). */
static struct engine_verdict *run_checks(engine_t *e, struct event_base *base, const char *ip,
					 const char *helo, int n)
{
	struct pending p = { base, NULL, n };
	struct engine_request req = { .helo = helo };

	if (addr_parse(ip, &req.client) != 0) {
		printf("Bail out! bad address %s\n", ip);
		exit(1);
	}
	for (int i = 0; i < n; i++)
		(void)engine_check(e, &req, on_verdict, &p);
	event_base_dispatch(base);
	return p.verdict;
}

static struct engine_verdict *run_check(engine_t *e, struct event_base *base, const char *ip,
					const char *helo)
{
	return run_checks(e, base, ip, helo, 1);
}

static void wait_ms(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static const struct engine_source_result *source(const struct engine_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->n_sources; i++) {
		if (strcmp(v->sources[i].name, name) == 0)
			return &v->sources[i];
	}
	return NULL;
}

static void test_scoring(engine_t *e, struct event_base *base)
{
	struct engine_verdict *v;

	v = run_check(e, base, "192.0.2.5", NULL);
	is_str(verdict_action_name(v->action), "reject", "192.0.2.5 listed in bl1 (weight 2) is rejected");
	is_int(v->score, 2, "its score is bl1's weight");
	is_str(v->reply, "550 5.7.1 Service unavailable; client [192.0.2.5] blocked using bl1.test: "
			 "Open relay 192.0.2.5 listed in bl1",
	       "reply text from the default template, with the TXT text");
	is_str(engine_layer_name(v->layer), "lookup", "first check went to DNS");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.6", NULL);
	is_int(v->score, 3, "192.0.2.6: bl1 (2) + bl2 (1) add up to 3");
	ok(v->sources != NULL && source(v, "bl1.test")->code == 0x7f000003, "bl1 answered 127.0.0.3");
	is_str(v->first_list, "bl1.test", "the first listed source is named");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.20", NULL);
	is_int(v->score, -2, "192.0.2.20: 2 + 1 - 5 (allowlist) = -2");
	is_str(verdict_action_name(v->action), "pass", "an allowlisted client passes");
	ok(v->allowlisted, "and is marked allowlisted");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.30", NULL);
	is_str(engine_answer_name(source(v, "bl1.test")->answer), "not-listed",
	       "a code outside the filter is not a listing");
	is_str(verdict_action_name(v->action), "pass", "so 192.0.2.30 passes");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.40", NULL);
	is_str(engine_answer_name(source(v, "bl1.test")->answer), "error",
	       "127.255.255.254 (query refused) is an error, never a listing");
	is_int(v->n_failed, 1, "one source failed");
	is_str(verdict_action_name(v->action), "pass", "a partial answer is scored on what answered");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.99", NULL);
	is_int(v->score, 0, "an unlisted client scores 0");
	is_str(verdict_action_name(v->action), "pass", "and passes");
	ok(v->reply == NULL, "with no reply text");
	engine_verdict_free(&v);

	v = run_check(e, base, "198.51.100.77", NULL);
	is_int(v->score, 0, "an exclusion inside a listed range is not listed");
	engine_verdict_free(&v);

	v = run_check(e, base, "2001:db8:1::5", NULL);
	is_int(v->score, 2, "IPv6 client listed through its nibble name");
	engine_verdict_free(&v);

	v = run_check(e, base, "192.0.2.99", "mail.bad.example");
	is_int(v->score, 2, "HELO name listed in the domain list dom.test");
	is_str(verdict_action_name(v->action), "reject", "and rejected on its weight");
	engine_verdict_free(&v);

	v = run_check(e, base, "127.0.0.1", NULL);
	is_str(engine_skip_name(v->skip), "special", "loopback is skipped (skip_special)");
	is_int((long long)v->n_sources, 0, "no source asked for a skipped client");
	engine_verdict_free(&v);
}

static void test_cache_and_sharing(engine_t *e, struct event_base *base)
{
	struct engine_verdict *v;
	int before = queries_for("5.2.0.192.bl1.test");

	v = run_check(e, base, "192.0.2.5", NULL);
	is_str(engine_layer_name(v->layer), "memory", "a repeated check is answered from memory");
	is_int(queries_for("5.2.0.192.bl1.test"), before, "and sends no DNS query");
	engine_verdict_free(&v);

	v = run_checks(e, base, "203.0.113.7", NULL, 10);
	is_int(queries_for("7.113.0.203.bl1.test"), 1, "10 concurrent checks of one address share one query");
	engine_verdict_free(&v);
}

static void test_reply_map_and_tag(struct event_base *base)
{
	cfg_t *cfg = make_cfg("dnsbl_action = tag\n"
			      "dnsbl_sites = bl2.test*2\n");
	engine_t *e = NULL;
	char *error = NULL;

	if (!ok(engine_new(base, cfg, &e, &error) == 0, "engine for tag mode"))
		tap_diag("%s", error);
	struct engine_verdict *v = run_check(e, base, "192.0.2.6", NULL);
	is_str(verdict_action_name(v->action), "tag", "tag mode tags");
	ok(v->header != NULL && strstr(v->header, "Second-List") != NULL &&
		   strstr(v->header, "bl2.test") == NULL,
	   "the header shows the mapped name, never the zone");
	ok(v->header != NULL && strchr(v->header, '\n') == NULL, "the header is one line");
	engine_verdict_free(&v);
	engine_free(&e);
	cfg_unref(&cfg);
}

static void test_deadline(struct event_base *base)
{
	struct buf extra = BUF_INIT;
	cfg_t *cfg;
	engine_t *e = NULL;
	char *error = NULL;

	/* A server that never answers: the one deadline must hold. */
	buf_printf(&extra, "dns_servers = 127.0.0.1:%s\ndnsbl_timeout = 700ms\n"
		   "lookup_error_action = tempfail\n", blackhole_port);
	cfg = make_cfg(buf_cstr(&extra));
	if (!ok(engine_new(base, cfg, &e, &error) == 0, "engine on a silent server"))
		tap_diag("%s", error);
	uint64_t t0 = clock_now_us();
	struct engine_verdict *v = run_check(e, base, "192.0.2.5", NULL);
	uint64_t ms = (clock_now_us() - t0) / 1000;
	/* Without the deadline c-ares alone would take 350 + 700 ms (two tries). */
	ok(ms >= 650 && ms < 1000, "the check returned at the deadline (%llu ms for 700 ms)",
	   (unsigned long long)ms);
	is_int(v->n_failed, 3, "every source failed");
	is_str(source(v, "bl1.test")->error, "timeout", "with timeout");
	is_str(verdict_action_name(v->action), "tempfail", "lookup_error_action = tempfail applies");
	engine_verdict_free(&v);
	engine_free(&e);
	cfg_unref(&cfg);
	buf_free(&extra);
}

static void test_thread_wrapper(void)
{
	cfg_t *cfg = make_cfg("");
	engine_thread_t *et = NULL;
	char *error = NULL;
	struct engine_verdict *v = NULL;
	struct engine_request req = { 0 };

	if (!ok(engine_thread_start(cfg, &et, &error) == 0, "engine thread started"))
		tap_diag("%s", error);
	(void)!addr_parse("192.0.2.6", &req.client);
	ok(engine_thread_check(et, &req, 3000, &v) == 0, "a blocking check returns a verdict");
	is_int(v ? v->score : -99, 3, "with the same score as the asynchronous engine");
	engine_verdict_free(&v);
	engine_thread_stop(&et);
	ok(et == NULL, "engine thread stopped");
	cfg_unref(&cfg);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}


/*
 * Wait (at most FILE_POLL_PATIENCE_MS) until ip scores want: a busy machine
 * may run the poll timer late, so the test waits for the effect, not a time.
 */
#define FILE_POLL_PATIENCE_MS 15000
static bool wait_for_score(engine_t *e, struct event_base *base, const char *ip, int want)
{
	uint64_t until = clock_now_ms() + FILE_POLL_PATIENCE_MS;

	for (;;) {
		struct engine_verdict *v = run_check(e, base, ip, NULL);
		int score = v->score;
		engine_verdict_free(&v);
		if (score == want)
			return true;
		if (clock_now_ms() > until)
			return false;
		wait_ms(base, 200);
	}
}

static void test_file_lists(struct event_base *base)
{
	struct buf path = BUF_INIT, extra = BUF_INIT;
	const char *slash = strrchr(query_log, '/');
	engine_t *e = NULL;
	char *error = NULL;

	buf_append(&path, query_log, slash ? (size_t)(slash - query_log) : 0);
	buf_puts(&path, "/local.list");
	write_file(buf_cstr(&path), ":127.0.0.5:Local block of $\n192.0.2.77\n");
	buf_printf(&extra, "file_lists = local:%s*3\n", buf_cstr(&path));
	cfg_t *cfg = make_cfg(buf_cstr(&extra));
	if (!ok(engine_new(base, cfg, &e, &error) == 0, "engine with a file list"))
		tap_diag("%s", error);
	struct engine_verdict *v = run_check(e, base, "192.0.2.77", NULL);
	is_int(v->score, 3, "a file list entry scores its weight");
	is_str(v->reply, "550 5.7.1 Service unavailable; client [192.0.2.77] blocked using local: "
			 "Local block of 192.0.2.77",
	       "with the file's text, $ expanded");
	engine_verdict_free(&v);

	/* The file changes: the engine notices within its poll interval. */
	write_file(buf_cstr(&path), "192.0.2.78\n");
	ok(wait_for_score(e, base, "192.0.2.77", 0), "a changed file is reloaded: the old entry is gone");
	v = run_check(e, base, "192.0.2.78", NULL);
	is_int(v->score, 3, "and the new entry is listed");
	engine_verdict_free(&v);

	/* A file that disappears keeps its last contents. */
	unlink(buf_cstr(&path));
	wait_ms(base, FILE_POLL_WAIT_MS);
	v = run_check(e, base, "192.0.2.78", NULL);
	is_int(v->score, 3, "a deleted file keeps its last contents");
	engine_verdict_free(&v);
	engine_free(&e);
	cfg_unref(&cfg);

	/* A broken file at start is a clear error. */
	write_file(buf_cstr(&path), "192.0.2.1\nnot-an-address\n");
	buf_reset(&extra);
	buf_printf(&extra, "file_lists = local:%s\nlist_bad_line_action = abort\n", buf_cstr(&path));
	cfg = make_cfg(buf_cstr(&extra));
	ok(engine_new(base, cfg, &e, &error) == -1 && error != NULL && strstr(error, "local.list:2") != NULL,
	   "a bad line with list_bad_line_action = abort stops the engine, naming file:line");
	if (error)
		tap_diag("%s", error);
	free(error);
	cfg_unref(&cfg);
	buf_free(&path);
	buf_free(&extra);
}

/* The engine leaves its counters in stats_dir; relayguard-ctl stats reads them. */
static void test_stats(struct event_base *base)
{
	struct buf dir = BUF_INIT, extra = BUF_INIT, conf = BUF_INIT, cmd = BUF_INIT, out = BUF_INIT;
	const char *slash = strrchr(query_log, '/');
	const char *builddir = getenv("top_builddir");
	engine_t *e = NULL;
	char *error = NULL, line[512];

	buf_append(&dir, query_log, slash ? (size_t)(slash - query_log) : 0);
	buf_puts(&dir, "/stats");
	buf_printf(&extra, "stats_dir = %s\nstats_interval = 1s\n", buf_cstr(&dir));
	cfg_t *cfg = make_cfg(buf_cstr(&extra));
	if (!ok(engine_new(base, cfg, &e, &error) == 0, "engine with stats_dir"))
		tap_diag("%s", error);
	struct engine_verdict *v = run_check(e, base, "192.0.2.5", NULL);
	engine_verdict_free(&v);
	v = run_check(e, base, "192.0.2.5", NULL);
	engine_verdict_free(&v);
	wait_ms(base, 1300);

	buf_printf(&conf, "%s/stats.conf", buf_cstr(&dir));
	write_file(buf_cstr(&conf), buf_cstr(&extra));
	buf_printf(&cmd, "%s/ctl/relayguard-ctl -c %s stats", builddir ? builddir : ".", buf_cstr(&conf));
	FILE *p = popen(buf_cstr(&cmd), "r");
	while (p != NULL && fgets(line, sizeof(line), p) != NULL)
		buf_puts(&out, line);
	int status = p != NULL ? pclose(p) : -1;
	is_int(status, 0, "relayguard-ctl stats finds the running engine");
	const char *bl1 = strstr(buf_cstr(&out), "\nbl1.test");
	unsigned long long queries = 0, listed = 0;
	ok(strstr(buf_cstr(&out), "checks=2 ") != NULL && bl1 != NULL &&
		   sscanf(bl1, " bl1.test dnsbl %llu %llu", &queries, &listed) == 2 && queries == 1 && listed == 1,
	   "two checks, one DNS query to bl1.test (the second from memory)");
	ok(strstr(buf_cstr(&out), "cache=memory entries=") != NULL &&
		   strstr(buf_cstr(&out), "hits=3") != NULL,
	   "memory cache hits counted (3 zones)");
	ok(bl1 != NULL && strstr(bl1, " in service\n") != NULL, "bl1.test is healthy");
	if (!ok(strstr(buf_cstr(&out), "bl2.test ") == NULL, "the mapped name, not the zone, for bl2.test"))
		tap_diag("%s", buf_cstr(&out));
	engine_free(&e);
	buf_reset(&cmd);
	buf_printf(&cmd, "ls %s | grep -c '\\.stats$'", buf_cstr(&dir));
	p = popen(buf_cstr(&cmd), "r");
	line[0] = '\0';
	if (p != NULL && fgets(line, sizeof(line), p) != NULL)
		line[strcspn(line, "\n")] = '\0';
	if (p != NULL)
		pclose(p);
	is_str(line, "0", "the snapshot is removed when the engine stops");
	cfg_unref(&cfg);
	buf_free(&dir);
	buf_free(&extra);
	buf_free(&conf);
	buf_free(&cmd);
	buf_free(&out);
}

static void test_redis(struct event_base *base)
{
	struct buf extra = BUF_INIT;
	cfg_t *cfg;
	engine_t *e1 = NULL, *e2 = NULL;
	char *error = NULL;

	buf_printf(&extra, "redis_server = 127.0.0.1:%s\nredis_prefix = t:\n", redis_port);
	cfg = make_cfg(buf_cstr(&extra));
	if (!ok(engine_new(base, cfg, &e1, &error) == 0, "engine with Redis"))
		tap_diag("%s", error);
	/* Let the connection come up. */
	struct timeval tv = { 0, 300000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	struct engine_verdict *v = run_check(e1, base, "192.0.2.6", NULL);
	is_int(v->score, 3, "first engine: looked up");
	engine_verdict_free(&v);
	/* Give the fire-and-forget writes a moment. */
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);

	/* A second engine (another mail server of the fleet) shares the answers. */
	int before = queries_for("6.2.0.192.bl2.test");
	if (!ok(engine_new(base, cfg, &e2, &error) == 0, "second engine with Redis"))
		tap_diag("%s", error);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	v = run_check(e2, base, "192.0.2.6", NULL);
	is_str(engine_layer_name(v->layer), "redis", "second engine answered from Redis");
	is_int(v->score, 3, "with the same score");
	is_int(queries_for("6.2.0.192.bl2.test"), before, "and no DNS query");
	engine_verdict_free(&v);
	engine_free(&e1);
	engine_free(&e2);
	cfg_unref(&cfg);
	buf_free(&extra);
}

/*
 * A group at the limit of one Redis read: DNSBL_SITES_MAX zones (m1.test ..
 * m64.test, engine.sh) all answered from Redis by a second engine, in one
 * MGET (RCACHE_SOURCES_MAX); one zone more is refused when the engine is
 * built, so no group's sources ever fall past the read.
 */
static cfg_t *limit_cfg(unsigned n_zones)
{
	struct buf text = BUF_INIT;
	cfg_t *cfg = NULL;
	char *error = NULL;

	buf_printf(&text, "dns_servers = 127.0.0.1:%s\nredis_server = 127.0.0.1:%s\nredis_prefix = lim:\n"
		   "dnsbl_threshold = 100\ndnsbl_timeout = 3s\ndnsbl_probe_interval = 0\n"
		   "report_enable = no\ndnsbl_sites = ", dns_port, redis_port);
	for (unsigned i = 1; i <= n_zones; i++)
		buf_printf(&text, "%sm%u.test", i > 1 ? ", " : "", i);
	buf_puts(&text, "\n");
	if (cfg_load_mem("engine-limit.conf", text.data, text.len, &cfg, &error) != 0) {
		printf("Bail out! config: %s\n", error);
		exit(1);
	}
	buf_free(&text);
	return cfg;
}

static void test_redis_at_limit(struct event_base *base)
{
	_Static_assert(DNSBL_SITES_MAX == RCACHE_SOURCES_MAX, "the test's zones are both limits");
	cfg_t *cfg = limit_cfg(DNSBL_SITES_MAX);
	engine_t *e1 = NULL, *e2 = NULL;
	char *error = NULL;
	struct timeval tv = { 0, 300000 };

	if (!ok(engine_new(base, cfg, &e1, &error) == 0, "engine with %u zones in one group", DNSBL_SITES_MAX))
		tap_diag("%s", error);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	struct engine_verdict *v = run_check(e1, base, "192.0.2.6", NULL);
	is_int(v->score, (int)DNSBL_SITES_MAX, "every zone answered listed (through DNS)");
	engine_verdict_free(&v);
	event_base_loopexit(base, &tv);	/* the fire-and-forget writes */
	event_base_dispatch(base);

	int before = queries_for("6.2.0.192.m64.test");
	if (!ok(engine_new(base, cfg, &e2, &error) == 0, "second engine at the limit"))
		tap_diag("%s", error);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	v = run_check(e2, base, "192.0.2.6", NULL);
	size_t from_redis = 0;
	for (size_t i = 0; i < v->n_sources; i++)
		from_redis += v->sources[i].layer == ENGINE_LAYER_REDIS;
	is_int((int)from_redis, (int)DNSBL_SITES_MAX, "all %u zones answered from Redis", DNSBL_SITES_MAX);
	is_int(v->score, (int)DNSBL_SITES_MAX, "with the same score");
	is_int(queries_for("6.2.0.192.m64.test"), before, "the last zone of the group asked no DNS");
	engine_verdict_free(&v);
	engine_free(&e1);
	engine_free(&e2);
	cfg_unref(&cfg);

	cfg = limit_cfg(DNSBL_SITES_MAX + 1);
	error = NULL;
	ok(engine_new(base, cfg, &e1, &error) != 0 && e1 == NULL, "%u zones in one group are refused",
	   DNSBL_SITES_MAX + 1);
	ok(error != NULL && strstr(error, "65 dnsbl sites, expected 1..64") != NULL, "with a clear error: %s",
	   error != NULL ? error : "(none)");
	free(error);
	cfg_unref(&cfg);
}

int main(int argc, char **argv)
{
	struct event_base *base;
	engine_t *e = NULL;
	char *error = NULL;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DNS_PORT BLACKHOLE_PORT QUERY_LOG [REDIS_PORT]\n", argv[0]);
		return 2;
	}
	dns_port = argv[1];
	blackhole_port = argv[2];
	query_log = argv[3];
	redis_port = argc > 4 ? argv[4] : NULL;
	log_open("engine_driver", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_NOTICE);
	base = event_base_new();
	cfg_t *cfg = make_cfg("");
	if (!ok(engine_new(base, cfg, &e, &error) == 0, "engine created"))
		tap_diag("%s", error);
	test_scoring(e, base);
	test_cache_and_sharing(e, base);
	engine_free(&e);
	cfg_unref(&cfg);
	test_reply_map_and_tag(base);
	test_deadline(base);
	test_thread_wrapper();
	test_file_lists(base);
	test_stats(base);
	if (redis_port != NULL) {
		test_redis(base);
		test_redis_at_limit(base);
	}
	event_base_free(base);
	return tap_done();
}
