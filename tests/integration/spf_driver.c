/*
 * spf_driver - the spf and spf_pool modules against a real rbldnsd serving
 * tests/data/spf/spf.test.generic (started by spf.sh).  Prints TAP.
 *
 * usage: spf_driver PORT
 *
 * The server that never answers is made here: a UDP socket bound on
 * loopback and never read.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spf.h"
#include "spf_pool.h"
#include "tests/unit/tap.h"

#define RECEIVER "mx.example"
/* Timeout of the lookups to the silent server, and the slack allowed. */
#define DEAD_TIMEOUT_MS 600
#define SLACK_MS 300
/* Checks run through the pool, and checks cancelled. */
#define POOL_JOBS 50
#define POOL_CANCELLED 10

static const struct {
	const char *client, *helo, *sender;
	const char *want;		/* result name */
	const char *header_has;		/* a substring of Received-SPF, or NULL */
	const char *exp_has;		/* a substring of the explanation, or NULL */
} cases[] = {
	{ "192.0.2.5", "client.example", "s@pass.spf.test", "pass",
	  "pass (" RECEIVER ": domain of s@pass.spf.test designates 192.0.2.5 as permitted "
	  "sender) client-ip=192.0.2.5; envelope-from=\"s@pass.spf.test\"; helo=client.example; "
	  "receiver=" RECEIVER "; identity=mailfrom", NULL },
	{ "198.51.100.1", "client.example", "<s@pass.spf.test>", "fail", NULL,
	  "pass.spf.test does not designate 198.51.100.1 as a permitted sender" },
	{ "192.0.2.5", "client.example", "s@fail.spf.test", "fail", "fail (" RECEIVER ": domain of ",
	  "fail.spf.test does not designate 192.0.2.5" },
	{ "192.0.2.5", "client.example", "s@softfail.spf.test", "softfail",
	  "softfail (" RECEIVER ": domain of transitioning s@softfail.spf.test", NULL },
	{ "192.0.2.5", "client.example", "s@neutral.spf.test", "neutral",
	  "neutral (" RECEIVER ": 192.0.2.5 is neither permitted nor denied", NULL },
	{ "192.0.2.5", "client.example", "s@include.spf.test", "pass", NULL, NULL },
	{ "198.51.100.1", "client.example", "s@include.spf.test", "fail", NULL, NULL },
	{ "198.51.100.7", "client.example", "s@a.spf.test", "pass", NULL, NULL },
	{ "198.51.100.8", "client.example", "s@a.spf.test", "fail", NULL, NULL },
	{ "198.51.100.25", "client.example", "s@mx.spf.test", "pass", NULL, NULL },
	{ "198.51.100.26", "client.example", "s@mx.spf.test", "fail", NULL, NULL },
	{ "192.0.2.77", "client.example", "s@redirect.spf.test", "pass", NULL, NULL },
	{ "198.51.100.1", "client.example", "s@redirect.spf.test", "fail", NULL, NULL },
	{ "2001:db8:5::1", "client6.example", "s@ip6.spf.test", "pass", "client-ip=2001:db8:5::1;",
	  NULL },
	{ "2001:db8:6::1", "client6.example", "s@ip6.spf.test", "fail", NULL, NULL },
	{ "192.0.2.5", "client.example", "s@two.spf.test", "permerror",
	  "permerror (" RECEIVER ": error in processing during lookup of s@two.spf.test", NULL },
	{ "192.0.2.5", "client.example", "s@bad.spf.test", "permerror", NULL, NULL },
	{ "192.0.2.5", "client.example", "s@exp.spf.test", "fail", NULL,
	  "You are not welcome here, 192.0.2.5. X-Injected: yes end" },
	{ "192.0.2.5", "client.example", "s@nospf.spf.test", "none",
	  "none (" RECEIVER ": domain of s@nospf.spf.test does not designate", NULL },
	{ "192.0.2.5", "client.example", "s@nothing.spf.test", "none", NULL, NULL },
	{ "192.0.2.5", "client.example", "s@many.spf.test", "permerror", NULL, NULL },
	{ "192.0.2.5", "client.example", "s@chain1.spf.test", "permerror",
	  "too many DNS lookups", NULL },
	{ "192.0.2.5", "client.example", "s@short1.spf.test", "pass", NULL, NULL },
	/* null sender: the HELO identity */
	{ "192.0.2.9", "helo.spf.test", "<>", "pass",
	  "envelope-from=\"postmaster@helo.spf.test\"; helo=helo.spf.test; receiver=" RECEIVER
	  "; identity=helo", NULL },
	{ "192.0.2.10", "helo.spf.test", NULL, "fail", "identity=helo", NULL },
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void check_one(spf_t *spf, size_t i)
{
	struct spf_outcome out;
	addr_t a;

	if (!ok(addr_parse(cases[i].client, &a) == 0, "case %zu: parse %s", i, cases[i].client))
		return;
	is_int(spf_check(spf, &a, cases[i].helo, cases[i].sender, &out), 0, "case %zu: returns 0", i);
	is_str(spf_result_name(out.result), cases[i].want, "case %zu: %s from %s is %s", i,
	       cases[i].sender ? cases[i].sender : "<>", cases[i].client, cases[i].want);
	const char *h = out.received_spf ? out.received_spf : "";
	char prefix[32], ip[64];
	snprintf(prefix, sizeof(prefix), "%s (" RECEIVER ": ", cases[i].want);
	snprintf(ip, sizeof(ip), "client-ip=%s;", cases[i].client);
	ok(strncmp(h, prefix, strlen(prefix)) == 0 && strstr(h, ip) != NULL &&
		   strstr(h, "receiver=" RECEIVER) != NULL && strpbrk(h, "\r\n") == NULL,
	   "case %zu: Received-SPF starts \"%s\", has %s and receiver=, no CR/LF", i, prefix, ip);
	if (cases[i].header_has != NULL && !ok(strstr(h, cases[i].header_has) != NULL,
					       "case %zu: Received-SPF has \"%s\"", i, cases[i].header_has))
		tap_diag("  got: %s", h);
	if (cases[i].exp_has != NULL) {
		const char *e = out.explanation ? out.explanation : "";
		if (!ok(strstr(e, cases[i].exp_has) != NULL, "case %zu: explanation has \"%s\"", i,
			cases[i].exp_has))
			tap_diag("  got: %s", e);
		ok(strpbrk(e, "\r\n\t\x01") == NULL, "case %zu: explanation has no control bytes", i);
	} else if (out.result != SPF_RESULT_FAIL) {
		ok(out.explanation == NULL, "case %zu: no explanation unless fail", i);
	}
	spf_outcome_clear(&out);
}

/* A UDP socket that is never read: a server that never answers. */
static int silent_server(unsigned *port_r)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	*port_r = ntohs(sin.sin_port);
	return s;
}

static spf_t *make_spf(const char *servers, unsigned timeout_ms)
{
	struct spf_opts o = { servers, timeout_ms, RECEIVER };
	spf_t *spf = NULL;
	char *err = NULL;

	if (!ok(spf_new(&o, &spf, &err) == 0, "spf_new on %s", servers))
		tap_diag("  %s", err ? err : "?");
	free(err);
	return spf;
}

static void test_silent(unsigned dead_port, unsigned port)
{
	char servers[96];
	struct spf_outcome out;
	struct timespec t0;
	addr_t a;

	ok(addr_parse("192.0.2.5", &a) == 0, "parse 192.0.2.5");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", dead_port);
	spf_t *spf = make_spf(servers, DEAD_TIMEOUT_MS);
	if (spf == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(spf_check(spf, &a, "client.example", "s@pass.spf.test", &out), 0,
	       "silent server: returns 0");
	long ms = ms_since(&t0);
	is_str(spf_result_name(out.result), "temperror", "silent server: temperror");
	ok(ms >= DEAD_TIMEOUT_MS - 50 && ms <= DEAD_TIMEOUT_MS + SLACK_MS,
	   "silent server: gave up after %ld ms (timeout %d ms)", ms, DEAD_TIMEOUT_MS);
	ok(out.received_spf && strncmp(out.received_spf, "temperror (", 11) == 0,
	   "silent server: Received-SPF starts \"temperror (\"");
	spf_outcome_clear(&out);
	spf_free(&spf);

	/* the silent server first, the real one second: c-ares moves on */
	snprintf(servers, sizeof(servers), "127.0.0.1:%u,127.0.0.1:%u", dead_port, port);
	spf = make_spf(servers, 2 * DEAD_TIMEOUT_MS);
	if (spf == NULL)
		return;
	is_int(spf_check(spf, &a, "client.example", "s@pass.spf.test", &out), 0,
	       "failover: returns 0");
	is_str(spf_result_name(out.result), "pass", "failover: the second server answers: pass");
	spf_outcome_clear(&out);
	spf_free(&spf);
}

/* ---- the pool --------------------------------------------------------- */

struct pool_test {
	struct event_base *base;
	pthread_t loop_thread;
	bool in_check;		/* set around spf_pool_check() */
	int done, wrong_thread, inside_call, wrong_result, cancelled_called;
};

struct pool_ctx {
	struct pool_test *t;
	const char *want;
	bool cancelled;
};

static void pool_cb(const struct spf_outcome *out, void *arg)
{
	struct pool_ctx *c = arg;
	struct pool_test *t = c->t;

	if (!pthread_equal(pthread_self(), t->loop_thread))
		t->wrong_thread++;
	if (t->in_check)
		t->inside_call++;
	if (c->cancelled)
		t->cancelled_called++;
	if (strcmp(spf_result_name(out->result), c->want) != 0 || out->received_spf == NULL)
		t->wrong_result++;
	if (++t->done == POOL_JOBS)
		event_base_loopbreak(t->base);
}

static void pool_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	event_base_loopbreak(arg);
}

static spf_job_t *pool_submit(spf_pool_t *pool, struct pool_test *t, struct pool_ctx *c, size_t i)
{
	addr_t a;
	size_t k = i % (sizeof(cases) / sizeof(cases[0]));

	if (addr_parse(cases[k].client, &a) != 0)
		return NULL;
	c->t = t;
	c->want = cases[k].want;
	t->in_check = true;
	spf_job_t *j = spf_pool_check(pool, &a, cases[k].helo, cases[k].sender, pool_cb, c);
	t->in_check = false;
	return j;
}

static void test_pool(unsigned port)
{
	char servers[64];
	struct spf_opts o = { servers, 2000, RECEIVER };
	struct pool_test t = { 0 };
	struct pool_ctx ctx[POOL_JOBS + POOL_CANCELLED] = { { 0 } };
	spf_job_t *jobs[POOL_JOBS + POOL_CANCELLED];
	spf_pool_t *pool = NULL;
	char *err = NULL;

	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
	t.base = event_base_new();
	t.loop_thread = pthread_self();
	if (!ok(spf_pool_new(t.base, &o, 4, &pool, &err) == 0, "spf_pool_new with 4 threads")) {
		tap_diag("  %s", err ? err : "?");
		free(err);
		event_base_free(t.base);
		return;
	}
	/* interleave: every sixth job is cancelled at once */
	size_t n = 0, kept = 0;
	for (size_t i = 0; i < POOL_JOBS + POOL_CANCELLED; i++) {
		bool cancel = i % 6 == 5 && n - kept < POOL_CANCELLED;
		if (!cancel && kept == POOL_JOBS)
			cancel = true;
		jobs[i] = pool_submit(pool, &t, &ctx[i], i);
		n++;
		if (cancel) {
			ctx[i].cancelled = true;
			spf_pool_cancel(jobs[i]);
		} else {
			kept++;
		}
	}
	ok(t.done == 0, "no callback ran inside spf_pool_check()");
	struct event *timer = evtimer_new(t.base, pool_timeout, t.base);
	struct timeval tv = { 20, 0 };
	evtimer_add(timer, &tv);
	event_base_loop(t.base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* let late deliveries of cancelled jobs show themselves, if any */
	struct timeval grace = { 0, 300000 };
	event_base_loopexit(t.base, &grace);
	event_base_loop(t.base, EVLOOP_NO_EXIT_ON_EMPTY);
	is_int(t.done, POOL_JOBS, "pool: %d checks completed", POOL_JOBS);
	is_int(t.wrong_thread, 0, "pool: every callback on the loop thread");
	is_int(t.inside_call, 0, "pool: no callback inside spf_pool_check()");
	is_int(t.wrong_result, 0, "pool: every result as expected");
	is_int(t.cancelled_called, 0, "pool: no callback for the %d cancelled jobs", POOL_CANCELLED);
	event_free(timer);
	spf_pool_free(&pool);
	ok(pool == NULL, "spf_pool_free sets the pointer to NULL");
	event_base_free(t.base);
}

/* Free with jobs queued and running on a silent server: no callbacks. */
static void test_pool_free_pending(unsigned dead_port)
{
	char servers[64];
	struct spf_opts o = { servers, DEAD_TIMEOUT_MS, RECEIVER };
	struct pool_test t = { 0 };
	struct pool_ctx ctx[5] = { { 0 } };
	spf_pool_t *pool = NULL;
	char *err = NULL;
	struct timespec t0;

	snprintf(servers, sizeof(servers), "127.0.0.1:%u", dead_port);
	t.base = event_base_new();
	t.loop_thread = pthread_self();
	if (!ok(spf_pool_new(t.base, &o, 2, &pool, &err) == 0, "spf_pool_new on the silent server")) {
		free(err);
		event_base_free(t.base);
		return;
	}
	for (size_t i = 0; i < 5; i++)
		pool_submit(pool, &t, &ctx[i], 0);
	usleep(100 * 1000);	/* two jobs are running by now */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	spf_pool_free(&pool);
	long ms = ms_since(&t0);
	event_base_loop(t.base, EVLOOP_NONBLOCK);
	is_int(t.done, 0, "pool freed with pending jobs: no callback");
	ok(ms <= DEAD_TIMEOUT_MS + SLACK_MS, "pool freed in %ld ms (running checks finish first)", ms);
	event_base_free(t.base);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return tap_skip_all("usage: spf_driver PORT");
	unsigned port = (unsigned)atoi(argv[1]), dead_port = 0;
	char servers[64];

	evthread_use_pthreads();	/* before any event_base, see spf_pool.h */
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
	spf_t *spf = make_spf(servers, 2000);
	if (spf != NULL) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			check_one(spf, i);
		spf_free(&spf);
	}
	int dead = silent_server(&dead_port);
	if (ok(dead >= 0, "bind the silent server")) {
		test_silent(dead_port, port);
		test_pool_free_pending(dead_port);
		close(dead);
	}
	test_pool(port);
	return tap_done();
}
