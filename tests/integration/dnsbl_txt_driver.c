/*
 * dnsbl_txt_driver - "the A answer decides, TXT only decorates": the dnsbl
 * module and the engine against tests/integration/txt_dns.py, a DNSBL that
 * answers A 127.0.0.2 at once and then drops, garbles, fails or delays the
 * TXT answer (the cases are listed in txt_dns.py).  Started by
 * tests/integration/dnsbl_txt.sh; prints TAP.
 *
 * usage: dnsbl_txt_driver DNS_PORT
 *
 * Every listed case must come out listed, with no error, within a bound far
 * below the resolver's and the engine's timeouts (the grace is
 * DNSBL_TXT_GRACE_MS); the text is there only when the TXT answer came in
 * time.  Without the grace the dropped TXT alone took the whole c-ares
 * timeout and came out as "error: timeout".
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "dnsbl.h"
#include "engine.h"
#include "log.h"
#include "resolver.h"
#include "site.h"
#include "tests/unit/tap.h"

#define ZONE "txt.test"
/* Per try; c-ares alone would wait 2 + 4 s for a TXT answer that never comes. */
#define RESOLVER_TIMEOUT_MS 2000u
/* A verdict must come well within this (the grace is 200 ms; loaded CI machines are slow). */
#define BOUND_MS 1500u
/* Guard on every wait: beyond what c-ares would take without the fix. */
#define WAIT_MS 10000u

static struct event_base *base;
static const char *dns_port;

static const struct txt_case {
	const char *ip, *what;
	const char *txt;	/* expected text; NULL: none */
} cases[] = {
	{ "192.0.2.1", "TXT dropped", NULL },
	{ "192.0.2.2", "TXT rdata malformed", NULL },
	{ "192.0.2.3", "TXT answered with an A record", NULL },
	{ "192.0.2.4", "TXT answer cut short", NULL },
	{ "192.0.2.5", "TXT answer truncated (TC, no TCP)", NULL },
	{ "192.0.2.6", "TXT SERVFAIL", NULL },
	{ "192.0.2.7", "TXT after the grace", NULL },
	{ "192.0.2.8", "TXT in time", "Listed in txt.test: 192.0.2.8" },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* ---- the dnsbl module ---------------------------------------------------- */

struct got {
	int calls;
	enum dnsbl_status status;
	uint32_t code;
	bool txt_null;
	char txt[DNSBL_TXT_MAX + 1];
	char error[128];
	uint64_t at_us;
};

static void on_result(const struct dnsbl_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->status = r->status;
	g->code = r->code;
	g->txt_null = r->txt == NULL;
	snprintf(g->txt, sizeof(g->txt), "%s", r->txt ? r->txt : "");
	snprintf(g->error, sizeof(g->error), "%s", r->error ? r->error : "");
	g->at_us = clock_now_us();
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

/* Run the loop until *calls is at least 1 or ms pass. */
static void run_until(const int *calls, unsigned ms)
{
	bool expired = false;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t = evtimer_new(base, on_expire, &expired);

	evtimer_add(t, &tv);
	while ((calls == NULL || *calls < 1) && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

static dnsbl_query_t *ask(dnsbl_t *d, const char *ip, struct got *g)
{
	addr_t a;

	if (addr_parse(ip, &a) != 0)
		abort();
	return dnsbl_query_addr(d, 0, &a, on_result, g);
}

static void check_listed(const char *what, const struct got *g, const char *txt)
{
	if (!ok(g->calls == 1, "%s: one callback", what))
		return;
	if (!ok(g->status == DNSBL_LISTED, "%s: listed", what))
		tap_diag("  got %s, error \"%s\"", dnsbl_status_name(g->status), g->error);
	is_int(g->code, 0x7f000002, "%s: code 127.0.0.2", what);
	if (txt == NULL)
		ok(g->txt_null, "%s: no text", what);
	else if (!ok(!g->txt_null && strcmp(g->txt, txt) == 0, "%s: text \"%s\"", what, txt))
		tap_diag("  got \"%s\"", g->txt);
}

static void test_dnsbl_cases(dnsbl_t *d)
{
	for (size_t i = 0; i < N_CASES; i++) {
		struct got g = { 0 };
		uint64_t t0 = clock_now_us();

		ask(d, cases[i].ip, &g);
		run_until(&g.calls, WAIT_MS);
		unsigned ms = (unsigned)((g.at_us - t0) / 1000);
		check_listed(cases[i].what, &g, cases[i].txt);
		ok(g.calls == 1 && ms < BOUND_MS, "%s: delivered in %u ms (bound %u ms, resolver timeout %u ms)",
		   cases[i].what, ms, BOUND_MS, RESOLVER_TIMEOUT_MS);
		if (i == 0)	/* the dropped TXT gets its grace, no less */
			ok(ms + 20 >= DNSBL_TXT_GRACE_MS, "%s: the TXT answer had its grace (%u ms >= %u ms)",
			   cases[i].what, ms, DNSBL_TXT_GRACE_MS);
	}
	const struct dnsbl_stats *st = dnsbl_stats(d, 0);
	is_int(st->listed, N_CASES, "counters: every case counted as listed");
	is_int(st->errors, 0, "counters: no error");
	is_int(st->timeouts, 0, "counters: no timeout");

	struct got g = { 0 };
	ask(d, "192.0.2.9", &g);
	run_until(&g.calls, WAIT_MS);
	is_str(dnsbl_status_name(g.status), "not_listed", "control: 192.0.2.9 not listed");
}

/* The caller's deadline during the grace: the listing stands, at once. */
static void test_settle(dnsbl_t *d)
{
	struct got g = { 0 };
	dnsbl_query_t *q = ask(d, "192.0.2.1", &g);

	ok(!dnsbl_query_settle(q), "settle before the A answer: nothing to deliver yet");
	is_int(g.calls, 0, "settle before the A answer: no callback");
	/* Wait for the A answer only: the grace (200 ms) is still running after 100 ms. */
	uint64_t end = clock_now_ms() + WAIT_MS;
	while (dnsbl_stats(d, 0)->latency_us_total == 0 && clock_now_ms() < end)
		run_until(NULL, 5);
	run_until(NULL, 20);
	ok(g.calls == 0, "A answered, TXT dropped: the listing waits in its grace");
	ok(dnsbl_query_settle(q), "settle during the grace: delivered");
	check_listed("settled", &g, NULL);
	ok(!dnsbl_query_settle(NULL), "settle(NULL): false");
	run_until(NULL, DNSBL_TXT_GRACE_MS + 100);
	is_int(g.calls, 1, "settled: no second callback when the grace would have ended");
}

static void test_dnsbl(void)
{
	char servers[64], *error = NULL;
	resolver_t *res = NULL;
	dnsbl_t *d = NULL;
	struct site site;
	const char *serr;

	snprintf(servers, sizeof(servers), "127.0.0.1:%s", dns_port);
	struct resolver_opts ro = { servers, RESOLVER_TIMEOUT_MS, 2 };
	if (resolver_new(base, &ro, &res, &error) != 0 || site_parse(ZONE, &site, &serr) != 0) {
		printf("Bail out! resolver or site: %s\n", error ? error : serr);
		exit(1);
	}
	struct dnsbl_opts o = { .sites = &site, .n_sites = 1, .kind = DNSBL_KIND_IP, .want_txt = true };
	if (dnsbl_new(base, res, &o, &d, &error) != 0) {
		printf("Bail out! dnsbl: %s\n", error);
		exit(1);
	}
	test_dnsbl_cases(d);
	dnsbl_free(&d);
	if (dnsbl_new(base, res, &o, &d, &error) != 0)
		exit(1);
	test_settle(d);
	dnsbl_free(&d);
	resolver_free(&res);
}

/* ---- the engine ------------------------------------------------------------ */

static engine_t *make_engine(const char *timeout, cfg_t **cfg_r)
{
	struct buf text = BUF_INIT;
	char *error = NULL;
	engine_t *e = NULL;

	buf_printf(&text,
		   "dns_servers = 127.0.0.1:%s\ndnsbl_sites = " ZONE "\ndnsbl_timeout = %s\n"
		   "dnsbl_probe_interval = 0\nreport_enable = no\ncache_size = 0\n"
		   "lookup_error_action = tempfail\n",
		   dns_port, timeout);
	if (cfg_load_mem("txt-test.conf", text.data, text.len, cfg_r, &error) != 0 ||
	    engine_new(base, *cfg_r, &e, &error) != 0) {
		printf("Bail out! engine: %s\n", error);
		exit(1);
	}
	buf_free(&text);
	return e;
}

struct pending {
	struct engine_verdict *verdict;
};

static void on_verdict(const struct engine_verdict *v, void *ctx)
{
	struct pending *p = ctx;

	p->verdict = engine_verdict_copy(v);
	event_base_loopbreak(base);
}

/* One check; *ms_r its time. */
static struct engine_verdict *run_check(engine_t *e, const char *ip, unsigned *ms_r)
{
	struct pending p = { NULL };
	struct engine_request req = { 0 };
	uint64_t t0 = clock_now_us();

	if (addr_parse(ip, &req.client) != 0)
		abort();
	(void)engine_check(e, &req, on_verdict, &p);
	while (p.verdict == NULL)
		event_base_dispatch(base);
	*ms_r = (unsigned)((clock_now_us() - t0) / 1000);
	return p.verdict;
}

static void check_verdict(const char *what, const struct engine_verdict *v, const char *txt)
{
	const struct engine_source_result *r = &v->sources[0];

	is_str(verdict_action_name(v->action), "reject", "%s: reject", what);
	if (!ok(r->answer == ENGINE_LISTED, "%s: the source is listed", what))
		tap_diag("  got %s, error \"%s\"", engine_answer_name(r->answer), r->error ? r->error : "");
	ok(v->n_failed == 0 && r->error == NULL, "%s: no error", what);
	if (txt == NULL)
		ok(r->txt == NULL, "%s: no text", what);
	else
		ok(r->txt != NULL && strcmp(r->txt, txt) == 0, "%s: text \"%s\"", what, txt);
}

static void test_engine(void)
{
	cfg_t *cfg = NULL;
	engine_t *e = make_engine("5s", &cfg);
	char want[256];
	unsigned ms;

	for (size_t i = 0; i < N_CASES; i++) {
		char what[96];
		snprintf(what, sizeof(what), "engine, %s", cases[i].what);
		struct engine_verdict *v = run_check(e, cases[i].ip, &ms);
		check_verdict(what, v, cases[i].txt);
		snprintf(want, sizeof(want), "550 5.7.1 Service unavailable; client [%s] blocked using "
			 ZONE "%s%s", cases[i].ip, cases[i].txt ? ": " : "", cases[i].txt ? cases[i].txt : "");
		is_str(v->reply, want, "%s: the reply, {txt} %s", what, cases[i].txt ? "filled" : "empty");
		ok(ms < BOUND_MS, "%s: verdict in %u ms (bound %u ms, dnsbl_timeout 5 s)", what, ms, BOUND_MS);
		engine_verdict_free(&v);
	}
	engine_free(&e);
	cfg_unref(&cfg);

	/*
	 * The deadline (190 ms) comes before the end of the grace (A + 200 ms),
	 * whatever the A answer's time below 190 ms: libevent runs due timers in
	 * the order of their expiry, so this holds on a loaded machine too.
	 */
	e = make_engine("190ms", &cfg);
	struct engine_verdict *v = run_check(e, "192.0.2.1", &ms);
	check_verdict("deadline during the grace", v, NULL);
	ok(ms < 1000, "deadline during the grace: verdict at the deadline (%u ms for 190 ms)", ms);
	engine_verdict_free(&v);
	engine_free(&e);
	cfg_unref(&cfg);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DNS_PORT\n", argv[0]);
		return 2;
	}
	dns_port = argv[1];
	log_open("dnsbl_txt_driver", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_DEBUG);
	base = event_base_new();
	test_dnsbl();
	test_engine();
	event_base_free(base);
	return tap_done();
}
