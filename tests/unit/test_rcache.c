/* test_rcache - the value codec, option checking, and the behaviour with no
 * Redis at all (fail fast through the loop, cancel, free with pending
 * requests).  Real-server behaviour is tests/integration/rcache.sh. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "rcache.h"
#include "redis_auth.h"
#include "tap.h"

static const struct {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	int rc;
	enum rcache_state state;
	uint32_t code;
	const char *txt;	/* NULL: none */
} parse_cases[] = {
	{ "N", 0, 0, RCACHE_NOT_LISTED, 0, NULL },
	{ "E", 0, 0, RCACHE_ERROR_ENTRY, 0, NULL },
	{ "L127.0.0.2", 0, 0, RCACHE_LISTED, 0x7f000002, NULL },
	{ "L127.0.0.4 Listed, see http://x/?1", 0, 0, RCACHE_LISTED, 0x7f000004, "Listed, see http://x/?1" },
	{ "L0.0.0.0", 0, 0, RCACHE_LISTED, 0, NULL },
	{ "L255.255.255.255 \xc3\xa9", 0, 0, RCACHE_LISTED, 0xffffffff, "\xc3\xa9" },
	{ "", 0, -1, RCACHE_MISS, 0, NULL },
	{ "X", 0, -1, RCACHE_MISS, 0, NULL },
	{ "n", 0, -1, RCACHE_MISS, 0, NULL },
	{ "NN", 0, -1, RCACHE_MISS, 0, NULL },
	{ "N\0", 2, -1, RCACHE_MISS, 0, NULL },
	{ "E ", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.256", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.02", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.0002", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2.5", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2 ", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2x", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2 a\tb", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2 a\0b", 14, -1, RCACHE_MISS, 0, NULL },
	{ "L127.0.0.2 a\x7f", 0, -1, RCACHE_MISS, 0, NULL },
	{ "L-1.0.0.2", 0, -1, RCACHE_MISS, 0, NULL },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		size_t len = parse_cases[i].len ? parse_cases[i].len : strlen(parse_cases[i].in);
		struct rcache_entry e = { RCACHE_MISS, 1, "untouched" };
		size_t txt_len = 99;
		int rc = rcache_value_parse(parse_cases[i].in, len, &e, &txt_len);
		if (parse_cases[i].rc != 0) {
			ok(rc == -1 && e.code == 1, "refused without a partial result: \"%s\"",
			   parse_cases[i].in);
			continue;
		}
		char *txt = e.txt != NULL ? strndup(e.txt, txt_len) : NULL;
		ok(rc == 0 && e.state == parse_cases[i].state && e.code == parse_cases[i].code,
		   "parsed: \"%s\"", parse_cases[i].in);
		is_str(txt, parse_cases[i].txt, "txt of \"%s\"", parse_cases[i].in);
		free(txt);
	}
}

static void test_limits(void)
{
	char v[RCACHE_VALUE_MAX + 2], big[RCACHE_TXT_MAX + 10];
	struct rcache_entry e;
	size_t txt_len;
	struct buf out = BUF_INIT;

	memcpy(v, "L127.0.0.2 ", 11);
	memset(v + 11, 't', RCACHE_TXT_MAX);
	ok(rcache_value_parse(v, 11 + RCACHE_TXT_MAX, &e, &txt_len) == 0 &&
		   txt_len == RCACHE_TXT_MAX,
	   "a txt of RCACHE_TXT_MAX bytes is read");
	v[11 + RCACHE_TXT_MAX] = 't';
	ok(rcache_value_parse(v, 12 + RCACHE_TXT_MAX, &e, &txt_len) == -1,
	   "one byte more is refused");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[3] = '\n';
	e = (struct rcache_entry){ RCACHE_LISTED, 0x7f00000a, big };
	ok(rcache_value_format(&e, &out) == 0, "format a long txt with a newline");
	is_int(out.len, strlen("L127.0.0.10 ") + RCACHE_TXT_MAX, "the txt is cut to RCACHE_TXT_MAX");
	ok(out.data[strlen("L127.0.0.10 ") + 3] == '?', "the newline became '?'");
	ok(rcache_value_parse(out.data, out.len, &e, &txt_len) == 0, "and the result reads back");
	buf_reset(&out);
	e = (struct rcache_entry){ RCACHE_LISTED, 0x7f000002, "" };
	ok(rcache_value_format(&e, &out) == 0 && strcmp(buf_cstr(&out), "L127.0.0.2") == 0,
	   "an empty txt is written as none");
	buf_reset(&out);
	e = (struct rcache_entry){ RCACHE_MISS, 0, NULL };
	ok(rcache_value_format(&e, &out) == -1 && out.len == 0, "a miss is not storable");
	buf_free(&out);
}

static const struct {
	struct rcache_opts opts;
	bool good;
	const char *name;
} opts_cases[] = {
	{ { .server = "127.0.0.1:6379", .prefix = "rg:", .timeout_ms = 100 }, true, "IPv4:port" },
	{ { .server = "localhost:6379" }, true, "localhost:port" },
	{ { .server = "[::1]:6379", .db = 2, .password = "pw", .prefix = "rg:", .timeout_ms = 100 },
	  true, "[IPv6]:port" },
	{ { .server = "127.0.0.1:6379", .username = "rg", .password = "pw" }, true, "an ACL user" },
	{ { .server = "unix:/nonexistent/redis.sock", .prefix = "" }, true, "unix:/path" },
	{ { .server = "redis.example:6379" }, false, "a host name (would block on DNS)" },
	{ { .server = "127.0.0.1" }, false, "no port" },
	{ { .server = "127.0.0.1:0" }, false, "port 0" },
	{ { .server = "127.0.0.1:65536" }, false, "port 65536" },
	{ { .server = "127.0.0.1:+5" }, false, "a signed port" },
	{ { .server = "::1:6379" }, false, "IPv6 without brackets" },
	{ { .server = "[]:6379" }, false, "empty brackets" },
	{ { .server = "unix:" }, false, "empty socket path" },
	{ { .server = NULL }, false, "no server" },
	{ { .server = "127.0.0.1:6379", .db = -1 }, false, "negative db" },
	{ { .server = "127.0.0.1:6379", .prefix = "a b" }, false, "space in the prefix" },
	{ { .server = "127.0.0.1:6379", .timeout_ms = RCACHE_TIMEOUT_MAX_MS + 1 }, false, "timeout too long" },
	{ { .server = "sentinel:mymaster@127.0.0.1:1,[::1]:2", .sentinel_password = "spw" }, true, "Sentinels" },
	{ { .server = "sentinel:mymaster@" }, false, "no Sentinel" },
	{ { .server = "sentinel:@127.0.0.1:1" }, false, "no master name" },
	{ { .server = "sentinel:m@redis.example:26379" }, false, "a Sentinel host name" },
};

static void test_opts(struct event_base *base)
{
	for (size_t i = 0; i < sizeof(opts_cases) / sizeof(opts_cases[0]); i++) {
		rcache_t *rc = NULL;
		char *error = NULL;
		int r = rcache_new(base, &opts_cases[i].opts, &rc, &error);
		if (opts_cases[i].good) {
			ok(r == 0 && rc != NULL, "accepted: %s", opts_cases[i].name);
		} else {
			ok(r == -1 && error != NULL && error[0] != '\0', "refused: %s (%s)",
			   opts_cases[i].name, error != NULL ? error : "no message");
			ok(error == NULL || strstr(error, "pw") == NULL, "no password in the message");
		}
		free(error);
		rcache_free(&rc);
		ok(rc == NULL, "rcache_free sets NULL (%s)", opts_cases[i].name);
	}
}

struct result {
	int calls, status;
	size_t n;
};

static void on_get(int status, const struct rcache_entry *entries, size_t n, void *ctx)
{
	struct result *res = ctx;
	res->calls++;
	res->status = status;
	res->n = n;
}

static void free_inside_cb(int status, const struct rcache_entry *entries, size_t n, void *ctx)
{
	rcache_free(ctx);
}

static void test_down(struct event_base *base)
{
	const struct rcache_opts opts = { .server = "unix:/nonexistent/redis.sock", .prefix = "t:", .timeout_ms = 50 };
	const char *sources[] = { "a.example", "b.example" };
	const char *bad_sources[] = { "a:b" };
	struct result r1 = { 0, 9, 9 }, r2 = { 0, 9, 9 }, r3 = { 0, 9, 9 }, r4 = { 0, 9, 9 };
	rcache_t *rc = NULL;
	char *error = NULL;
	struct rcache_stats st;

	log_set_level(LOG_LVL_ERROR);	/* the "cannot connect" warning is expected */
	if (!ok(rcache_new(base, &opts, &rc, &error) == 0, "new with a missing socket")) {
		free(error);
		return;
	}
	ok(!rcache_up(rc), "not up");
	(void)rcache_get(rc, "192.0.2.1", sources, 2, on_get, &r1);
	rcache_req_t *cancelled = rcache_get(rc, "192.0.2.1", sources, 2, on_get, &r2);
	(void)rcache_get(rc, "192.0.2.1", bad_sources, 1, on_get, &r3);
	(void)rcache_get(rc, "192.0.2.1", NULL, 0, on_get, &r4);
	ok(r1.calls == 0 && r3.calls == 0 && r4.calls == 0, "no callback inside rcache_get");
	rcache_cancel(cancelled);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ok(r1.calls == 1 && r1.status == -1, "down: status -1 on the next loop turn");
	is_int(r2.calls, 0, "a cancelled request is never answered");
	ok(r3.calls == 1 && r3.status == -1, "a source with ':' is refused with -1");
	ok(r4.calls == 1 && r4.status == 0 && r4.n == 0, "zero sources: status 0, n 0");
	struct rcache_entry e = { RCACHE_NOT_LISTED, 0, NULL };
	rcache_put(rc, "192.0.2.1", "a.example", &e, 60);
	rcache_stats(rc, &st);
	is_int(st.errors, 2, "two failed gets counted");
	is_int(st.puts_dropped, 1, "a put while down is dropped and counted");

	struct result r5 = { 0, 9, 9 };
	(void)rcache_get(rc, "192.0.2.2", sources, 1, on_get, &r5);
	(void)rcache_get(rc, "192.0.2.2", sources, 1, free_inside_cb, &rc);
	(void)rcache_get(rc, "192.0.2.3", sources, 1, on_get, &r5);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ok(rc == NULL, "rcache_free from inside a callback");
	is_int(r5.calls, 1, "a request pending at free is not answered after it");
	rcache_free(&rc);
	log_set_level(LOG_LVL_INFO);
}

/* The AUTH command of each form of credentials (redis_auth.h). */
static void test_auth_argv(void)
{
	struct redis_auth a = { 0 };
	const char *argv[3];
	size_t lens[3];

	is_int(redis_auth_argv(&a, argv, lens), 0, "no password: no AUTH");
	is_int(redis_auth_argv(NULL, argv, lens), 0, "no credentials: no AUTH");
	redis_auth_set(&a, "", "pw");
	ok(redis_auth_argv(&a, argv, lens) == 2 && strcmp(argv[0], "AUTH") == 0 && strcmp(argv[1], "pw") == 0 &&
		   lens[1] == 2, "a password alone: AUTH password");
	ok(redis_auth_in(&a, "ERR pw") && !redis_auth_in(&a, "ERR p"), "a reply holding the password is seen");
	redis_auth_clear(&a);
	redis_auth_set(&a, "rg", "secret");
	ok(redis_auth_argv(&a, argv, lens) == 3 && strcmp(argv[1], "rg") == 0 && strcmp(argv[2], "secret") == 0 &&
		   lens[1] == 2 && lens[2] == 6, "an ACL user: AUTH user password");
	is_str(redis_auth_settings(&a), "redis_username/redis_password", "settings named");
	redis_auth_clear(&a);
	ok(a.user == NULL && a.password == NULL, "cleared");
	is_str(redis_auth_settings(&a), "redis_password", "without a user, the password alone is named");
}

int main(void)
{
	struct event_base *base = event_base_new();

	log_open("test_rcache", LOG_TO_STDERR, 0);
	test_parse();
	test_limits();
	test_opts(base);
	test_down(base);
	test_auth_argv();
	event_base_free(base);
	return tap_done();
}
