/*
 * dnsbl_driver - the resolver and dnsbl modules against a real rbldnsd.
 *
 * Usage: dnsbl_driver PORT RBLDNSD_PID DEAD_FILE FIXED_FILE [MAIN SECOND
 *        OUTSIDE REFUSED DEAD RHSBL UNSERVED]
 * PORT is rbldnsd's on 127.0.0.1; DEAD_FILE is the dataset of the dead
 * zone, which the driver replaces with FIXED_FILE before sending SIGHUP to
 * RBLDNSD_PID (the rbldnsd tests/integration/dnsbl.sh started).  Zone names
 * default to the ones dnsbl.sh serves.  Prints TAP.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dnsbl.h"
#include "resolver.h"
#include "site.h"
#include "tests/unit/tap.h"

/* Guard on every wait, far above any expected answer time. */
#define WAIT_MS 5000u

enum zone_role { Z_MAIN, Z_SECOND, Z_OUTSIDE, Z_REFUSED, Z_DEAD, Z_RHSBL, Z_UNSERVED, Z_COUNT };
static const char *zones[Z_COUNT] = { "test.bl", "second.bl", "outside.bl", "refused.bl",
				      "dead.bl", "rhsbl.bl", "nozone.bl" };

static struct event_base *base;
static bool in_start;		/* inside dnsbl_query_*() */
static int callbacks_inside;	/* callbacks that ran inside dnsbl_query_*() */

struct got {
	int calls;
	enum dnsbl_status status;
	uint32_t code, ttl, filtered;
	size_t site;
	bool txt_null;
	char txt[DNSBL_TXT_MAX + 1];
	char error[160];
	uint64_t at_us;
	dnsbl_query_t *cancel_other;	/* cancel this from the callback */
	struct got *other;
};

static void on_result(const struct dnsbl_result *r, void *arg)
{
	struct got *g = arg;

	if (in_start)
		callbacks_inside++;
	g->calls++;
	g->status = r->status;
	g->code = r->code;
	g->filtered = r->filtered_code;
	g->ttl = r->ttl;
	g->site = r->site;
	g->txt_null = r->txt == NULL;
	snprintf(g->txt, sizeof(g->txt), "%s", r->txt ? r->txt : "");
	snprintf(g->error, sizeof(g->error), "%s", r->error ? r->error : "");
	g->at_us = clock_now_us();
	if (g->cancel_other != NULL && g->other->calls == 0)
		dnsbl_query_cancel(g->cancel_other);
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

/* Run the loop until *calls reaches want or ms pass. */
static void run_until(const int *calls, int want, unsigned ms)
{
	bool expired = false;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t = evtimer_new(base, on_expire, &expired);

	evtimer_add(t, &tv);
	while ((calls == NULL || *calls < want) && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

static bool suspended_is(const dnsbl_t *d, size_t site, bool want, unsigned ms)
{
	uint64_t end = clock_now_ms() + ms;

	while (dnsbl_site_suspended(d, site) != want && clock_now_ms() < end)
		run_until(NULL, 0, 50);
	return dnsbl_site_suspended(d, site) == want;
}

static dnsbl_query_t *ask_addr(dnsbl_t *d, size_t site, const char *ip, struct got *g)
{
	addr_t a;

	if (addr_parse(ip, &a) != 0) {
		tap_diag("bad test address %s", ip);
		abort();
	}
	in_start = true;
	dnsbl_query_t *q = dnsbl_query_addr(d, site, &a, on_result, g);
	in_start = false;
	return q;
}

static dnsbl_query_t *ask_domain(dnsbl_t *d, size_t site, const char *name, struct got *g)
{
	in_start = true;
	dnsbl_query_t *q = dnsbl_query_domain(d, site, name, on_result, g);
	in_start = false;
	return q;
}

struct expect {
	enum dnsbl_status status;
	uint32_t code;		/* LISTED: the code; NOT_LISTED: the code the filter left out (0 = none) */
	const char *txt;	/* substring of the text; NULL: text must be NULL */
	const char *error;	/* substring of the error (ERROR/SKIPPED) */
	uint32_t ttl;		/* 0: not checked */
};

static void check(const char *what, const struct got *g, const struct expect *e)
{
	char code[16];

	snprintf(code, sizeof(code), "%u.%u.%u.%u", e->code >> 24, (e->code >> 16) & 255u,
		 (e->code >> 8) & 255u, e->code & 255u);
	if (!ok(g->calls == 1, "%s: one callback", what))
		return;
	is_str(dnsbl_status_name(g->status), dnsbl_status_name(e->status), "%s: status", what);
	if (e->status == DNSBL_LISTED)
		is_int(g->code, e->code, "%s: code %s", what, code);
	is_int(g->filtered, e->status == DNSBL_NOT_LISTED ? e->code : 0, "%s: filtered code %s", what,
	       e->status == DNSBL_NOT_LISTED && e->code ? code : "none");
	if (e->txt == NULL)
		ok(g->txt_null, "%s: no TXT", what);
	else if (!ok(!g->txt_null && strstr(g->txt, e->txt) != NULL, "%s: TXT has \"%s\"", what, e->txt))
		tap_diag("  got \"%s\"", g->txt);
	if (e->error != NULL && !ok(strstr(g->error, e->error) != NULL, "%s: error \"%s\"", what, e->error))
		tap_diag("  got \"%s\"", g->error);
	if (e->ttl != 0)
		is_int(g->ttl, e->ttl, "%s: ttl", what);
}

static const struct addr_case {
	size_t site;	/* index in ip_sites */
	const char *ip;
	struct expect e;
} addr_cases[] = {
	{ 0, "192.0.2.5", { DNSBL_LISTED, 0x7f000002, "Listed in test.bl, see http://test.bl/lookup?ip=192.0.2.5", NULL, 60 } },
	{ 0, "192.0.2.6", { DNSBL_LISTED, 0x7f000003, "Open relay 192.0.2.6", NULL, 60 } },
	{ 0, "198.51.100.9", { DNSBL_LISTED, 0x7f000003, "Open relay range, 198.51.100.9 listed", NULL, 0 } },
	{ 0, "203.0.113.15", { DNSBL_LISTED, 0x7f000002, "203.0.113.15", NULL, 0 } },
	{ 0, "198.51.100.77", { DNSBL_NOT_LISTED, 0, NULL, NULL, 60 } },
	{ 0, "192.0.2.99", { DNSBL_NOT_LISTED, 0, NULL, NULL, 60 } },
	{ 0, "::ffff:192.0.2.5", { DNSBL_LISTED, 0x7f000002, "ip=192.0.2.5", NULL, 0 } },
	{ 0, "2001:db8:1::5", { DNSBL_LISTED, 0x7f000002, " listed in test.bl", NULL, 60 } },
	{ 0, "2001:db8:2::5", { DNSBL_LISTED, 0x7f000004, "Open proxy", NULL, 0 } },
	{ 0, "2001:db8:64:1::5", { DNSBL_LISTED, 0x7f000002, "(ip6tset)", NULL, 0 } },
	{ 0, "2001:db8:64:1::99", { DNSBL_NOT_LISTED, 0, NULL, NULL, 0 } },
	{ 0, "2001:db8:9::1", { DNSBL_NOT_LISTED, 0, NULL, NULL, 60 } },
	{ 1, "192.0.2.5", { DNSBL_NOT_LISTED, 0x7f00000a, NULL, NULL, 60 } },	/* filter mismatch */
	{ 1, "192.0.2.8", { DNSBL_LISTED, 0x7f000004, NULL, NULL, 0 } },	/* 127.0.0.10 + .4 */
	{ 1, "192.0.2.11", { DNSBL_LISTED, 0x7f000003, "tab here 192.0.2.11", NULL, 0 } },
	{ 1, "192.0.2.9", { DNSBL_ERROR, 0, NULL, "configured error code", 0 } },
	{ 1, "192.0.2.99", { DNSBL_NOT_LISTED, 0, NULL, NULL, 120 } },	/* SOA minimum */
	{ 2, "192.0.2.5", { DNSBL_ERROR, 0, NULL, "answer outside 127.0.0.0/8", 0 } },
	{ 2, "192.0.2.9", { DNSBL_LISTED, 0x7f000063, NULL, NULL, 0 } },	/* not this zone's code */
	{ 3, "192.0.2.5", { DNSBL_ERROR, 0, NULL, "error code 127.255.255.254 (query refused: use a local resolver)", 0 } },
	{ 3, "192.0.2.6", { DNSBL_ERROR, 0, NULL, "error code 127.255.255.254", 0 } },
	{ 4, "192.0.2.5", { DNSBL_ERROR, 0, NULL, "REFUSED", 0 } },
	{ 9, "192.0.2.5", { DNSBL_ERROR, 0, NULL, "no such site", 0 } },
};

/* One query at a time: each case's answer is checked alone. */
static void test_addr_cases(dnsbl_t *d)
{
	uint64_t want_listed = 0, want_not = 0, want_err = 0, n0 = 0;

	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct got g = { 0 };
		char what[128];

		snprintf(what, sizeof(what), "%s in site %zu", c->ip, c->site);
		ask_addr(d, c->site, c->ip, &g);
		run_until(&g.calls, 1, WAIT_MS);
		check(what, &g, &c->e);
		is_int(g.site, c->site, "%s: result names its site", what);
		if (c->site == 0) {
			n0++;
			want_listed += c->e.status == DNSBL_LISTED;
			want_not += c->e.status == DNSBL_NOT_LISTED;
			want_err += c->e.status == DNSBL_ERROR;
		}
	}
	const struct dnsbl_stats *st = dnsbl_stats(d, 0);
	is_int(st->queries, n0, "counters: queries of site 0");
	is_int(st->listed, want_listed, "counters: listed of site 0");
	is_int(st->not_listed, want_not, "counters: not listed of site 0");
	is_int(st->errors, want_err, "counters: errors of site 0");
	ok(st->latency_us_total > 0 && st->latency_us_max > 0 &&
		   st->latency_us_max <= st->latency_us_total,
	   "counters: latency total %llu us, max %llu us", (unsigned long long)st->latency_us_total,
	   (unsigned long long)st->latency_us_max);
	is_int(dnsbl_stats(d, 3)->errors, 2, "counters: errors of the refusing zone");
	is_int(dnsbl_stats(d, 4)->errors, 1, "counters: errors of the unserved zone");
	is_int(dnsbl_stats(d, 4)->timeouts, 0, "counters: REFUSED is not a timeout");
	ok(dnsbl_stats(d, 9) == NULL, "counters: NULL for a bad site index");
}

/* The engine's shape: every site at once, then wait for all. */
static void test_fan_out(dnsbl_t *d, size_t n_sites)
{
	struct got g[8] = { { 0 } };
	int total = 0;

	for (size_t i = 0; i < n_sites; i++)
		ask_addr(d, i, "192.0.2.5", &g[i]);
	uint64_t end = clock_now_ms() + WAIT_MS;
	while (clock_now_ms() < end) {
		total = 0;
		for (size_t i = 0; i < n_sites; i++)
			total += g[i].calls;
		if (total == (int)n_sites)
			break;
		run_until(NULL, 0, 20);
	}
	is_int(total, n_sites, "fan-out: one answer per site");
	is_str(dnsbl_status_name(g[0].status), "listed", "fan-out: site 0 listed");
	is_str(dnsbl_status_name(g[1].status), "not_listed", "fan-out: site 1 filtered out");
}

static const struct domain_case {
	const char *name;
	struct expect e;
} domain_cases[] = {
	{ "bad.example", { DNSBL_LISTED, 0x7f000002, "Domain bad.example listed in rhsbl.bl", NULL, 60 } },
	{ "BAD.Example.", { DNSBL_LISTED, 0x7f000002, "Domain bad.example listed", NULL, 0 } },
	{ "x.y.spam.example", { DNSBL_LISTED, 0x7f000003, "Spam domain", NULL, 0 } },
	{ "spam.example", { DNSBL_LISTED, 0x7f000003, "Spam domain", NULL, 0 } },
	{ "good.example", { DNSBL_NOT_LISTED, 0, NULL, NULL, 60 } },
	{ "under_score.example", { DNSBL_NOT_LISTED, 0, NULL, NULL, 0 } },
	{ "192.0.2.5", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "2001:db8::1", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "a..b", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ ".a.b", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "a.b..", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ ".", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "bad example", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "bad\r\n.example", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
	{ "[192.0.2.5]", { DNSBL_ERROR, 0, NULL, "invalid domain", 0 } },
};

static void test_domain_one(dnsbl_t *d, const char *name, const char *what, const struct expect *e)
{
	struct got g = { 0 };

	ask_domain(d, 0, name, &g);
	run_until(&g.calls, 1, WAIT_MS);
	check(what, &g, e);
}

static void test_domains(dnsbl_t *d)
{
	static const struct expect not_listed = { DNSBL_NOT_LISTED, 0, NULL, NULL, 0 };
	static const struct expect invalid = { DNSBL_ERROR, 0, NULL, "invalid domain", 0 };
	char name[400], what[64];

	for (size_t i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		snprintf(what, sizeof(what), "domain \"%.40s\"", domain_cases[i].name);
		for (char *p = what; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';	/* keep the TAP line one line */
		test_domain_one(d, domain_cases[i].name, what, &domain_cases[i].e);
	}
	/* Label limit: 63 passes, 64 does not. */
	memset(name, 'a', DNSBL_LABEL_MAX);
	strcpy(name + DNSBL_LABEL_MAX, ".example");
	test_domain_one(d, name, "63-byte label", &not_listed);
	memset(name, 'a', DNSBL_LABEL_MAX + 1);
	strcpy(name + DNSBL_LABEL_MAX + 1, ".example");
	test_domain_one(d, name, "64-byte label", &invalid);
	/* Total limit with the zone: exactly DNSBL_NAME_MAX passes, one more does not. */
	size_t room = DNSBL_NAME_MAX - 1 - strlen(zones[Z_RHSBL]);
	for (size_t i = 0; i < room; i++)
		name[i] = (i % 50 == 49) ? '.' : 'b';
	name[room] = '\0';
	test_domain_one(d, name, "name of 253 bytes with the zone", &not_listed);
	name[room] = 'c';
	name[room + 1] = '\0';
	test_domain_one(d, name, "name of 254 bytes with the zone", &invalid);
	strcpy(name + room + 1, ".");
	test_domain_one(d, name, "name of 254 bytes with the zone and a trailing dot", &invalid);

	struct got g = { 0 };
	ask_addr(d, 0, "192.0.2.5", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("address on a domain list", &g, &(struct expect){ DNSBL_SKIPPED, 0, NULL, "not an IP list", 0 });
}

static void test_ip4only(dnsbl_t *d)
{
	struct got g = { 0 };

	ask_addr(d, 0, "2001:db8:1::5", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("IPv6 client with ipv6 off", &g, &(struct expect){ DNSBL_SKIPPED, 0, NULL, "IPv6", 0 });
	memset(&g, 0, sizeof(g));
	ask_addr(d, 0, "192.0.2.5", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("listed without want_txt", &g, &(struct expect){ DNSBL_LISTED, 0x7f000002, NULL, NULL, 0 });
	memset(&g, 0, sizeof(g));
	ask_domain(d, 0, "bad.example", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("domain on an IP list", &g, &(struct expect){ DNSBL_SKIPPED, 0, NULL, "not a domain list", 0 });
	is_int(dnsbl_stats(d, 0)->queries, 1, "skipped queries are not counted");
}

static void test_cancel(dnsbl_t *d)
{
	struct got a = { 0 }, b = { 0 }, c = { 0 };

	dnsbl_query_cancel(ask_addr(d, 0, "192.0.2.5", &a));
	dnsbl_query_cancel(ask_addr(d, 9, "192.0.2.5", &a));	/* an immediate result */
	run_until(NULL, 0, 300);
	is_int(a.calls, 0, "cancel: no callback after cancel");

	/* Two answers in flight together: the first to arrive cancels the other. */
	b.other = &c;
	c.other = &b;
	dnsbl_query_t *qb = ask_addr(d, 0, "192.0.2.6", &b);
	dnsbl_query_t *qc = ask_addr(d, 0, "192.0.2.5", &c);
	b.cancel_other = qc;
	c.cancel_other = qb;
	run_until(NULL, 0, 300);
	is_int(b.calls + c.calls, 1, "cancel from inside another callback: only one answer");
	dnsbl_query_cancel(NULL);
}

/* A server that never answers: a bound UDP socket nobody reads. */
static void test_timeout(int blackhole_port)
{
	enum { TIMEOUT_MS = 200, TRIES = 2 };
	/* c-ares doubles the wait each round: 200 + 400 ms. */
	const unsigned expected_ms = TIMEOUT_MS + 2 * TIMEOUT_MS;
	char servers[64];
	resolver_t *res = NULL;
	dnsbl_t *d = NULL;
	char *error = NULL;
	struct site site;
	const char *serr;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d", blackhole_port);
	struct resolver_opts ro = { servers, TIMEOUT_MS, TRIES };
	if (!ok(resolver_new(base, &ro, &res, &error) == 0, "resolver on the silent server")) {
		free(error);
		return;
	}
	if (site_parse(zones[Z_MAIN], &site, &serr) != 0)
		abort();
	struct dnsbl_opts o = { .sites = &site, .n_sites = 1, .kind = DNSBL_KIND_IP, .want_txt = true };
	if (dnsbl_new(base, res, &o, &d, &error) != 0)
		abort();
	struct got g = { 0 };
	uint64_t t0 = clock_now_us();
	ask_addr(d, 0, "192.0.2.5", &g);
	run_until(&g.calls, 1, WAIT_MS);
	unsigned elapsed = (unsigned)((g.at_us - t0) / 1000);
	check("silent server", &g, &(struct expect){ DNSBL_ERROR, 0, NULL, "timeout", 0 });
	ok(g.calls == 1 && elapsed >= expected_ms - 50 && elapsed <= expected_ms + 400,
	   "timeout after %u ms (expected about %u ms)", elapsed, expected_ms);
	is_int(dnsbl_stats(d, 0)->timeouts, 1, "counters: one timeout");
	is_int(dnsbl_stats(d, 0)->errors, 1, "counters: the timeout is an error");

	/* The engine's overall deadline: cancel a query that is still waiting. */
	memset(&g, 0, sizeof(g));
	dnsbl_query_t *q = ask_addr(d, 0, "192.0.2.6", &g);
	run_until(NULL, 0, 100);
	dnsbl_query_cancel(q);
	run_until(NULL, 0, expected_ms + 200);
	is_int(g.calls, 0, "deadline cancel: no callback, not even at the c-ares timeout");

	/* Freeing with queries in flight: no callback, no leak (ASan checks). */
	ask_addr(d, 0, "192.0.2.7", &g);
	dnsbl_free(&d);
	ok(d == NULL, "dnsbl_free sets NULL");
	run_until(NULL, 0, 50);
	is_int(g.calls, 0, "dnsbl_free: pending callbacks never called");
	resolver_free(&res);
}

/* Replace the dead zone's dataset and make rbldnsd reload it. */
static int repair_dead_zone(const char *dead_file, const char *fixed_file, pid_t pid)
{
	char tmp[4096], chunk[4096];
	size_t n;
	FILE *in = fopen(fixed_file, "r");
	FILE *out;

	snprintf(tmp, sizeof(tmp), "%s.tmp", dead_file);
	out = fopen(tmp, "w");
	if (in == NULL || out == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(in);
	if (fclose(out) != 0 || chmod(tmp, 0644) != 0 || rename(tmp, dead_file) != 0)
		return -1;
	/* rbldnsd reloads on a changed mtime: make sure it differs within the second. */
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { time(NULL) + 5, 0 } };
	if (utimensat(AT_FDCWD, dead_file, ts, 0) != 0)
		return -1;
	return kill(pid, SIGHUP);
}

static void test_health(resolver_t *res, pid_t pid, const char *dead_file, const char *fixed_file)
{
	struct site sites[3];
	const char *names[3] = { zones[Z_MAIN], zones[Z_DEAD], zones[Z_UNSERVED] };
	const char *serr;
	dnsbl_t *d = NULL;
	char *error = NULL;

	for (size_t i = 0; i < 3; i++)
		if (site_parse(names[i], &sites[i], &serr) != 0)
			abort();
	struct dnsbl_opts o = { .sites = sites, .n_sites = 3, .kind = DNSBL_KIND_IP,
				.probe_interval_ms = 150 };
	if (!ok(dnsbl_new(base, res, &o, &d, &error) == 0, "dnsbl with health probes")) {
		free(error);
		return;
	}
	is_int(dnsbl_site_health(d, 0)->state, ZONE_UNPROBED, "before its first round a zone is not yet probed");
	ok(dnsbl_first_rounds_pending(d), "the first round is out from dnsbl_new() on");
	ok(!zone_health_counts(dnsbl_site_health(d, 0)), "not yet probed: its answers do not count");
	ok(suspended_is(d, 1, true, 2000), "dead list suspended by the first probes");
	ok(strstr(dnsbl_site_health(d, 1)->why, "1.0.0.127.dead.bl listed 127.0.0.2") != NULL,
	   "dead list: the reason names the probe and its answer");
	ok(dnsbl_stats(d, 1)->suspended, "dead list: stats say suspended");
	ok(suspended_is(d, 2, true, 3000), "unserved zone suspended after %u failed rounds",
	   DNSBL_PROBE_FAILURES);
	ok(!dnsbl_site_suspended(d, 0), "healthy zone stays in service");
	ok(!dnsbl_site_suspended(d, 7), "bad index is not suspended");

	struct got g = { 0 };
	ask_addr(d, 1, "192.0.2.6", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("query to the suspended zone", &g, &(struct expect){ DNSBL_SKIPPED, 0, NULL, "suspended", 0 });
	is_int(dnsbl_stats(d, 1)->queries, 0, "suspended zone: nothing sent");

	ok(repair_dead_zone(dead_file, fixed_file, pid) == 0, "dead zone rewritten, rbldnsd sent SIGHUP");
	ok(suspended_is(d, 1, false, 5000), "repaired zone resumed by the probes");
	memset(&g, 0, sizeof(g));
	ask_addr(d, 1, "192.0.2.5", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("repaired zone lists its entry", &g, &(struct expect){ DNSBL_LISTED, 0x7f000002, NULL, NULL, 0 });
	memset(&g, 0, sizeof(g));
	ask_addr(d, 1, "192.0.2.6", &g);
	run_until(&g.calls, 1, WAIT_MS);
	check("repaired zone no longer lists everything", &g, &(struct expect){ DNSBL_NOT_LISTED, 0, NULL, NULL, 0 });
	dnsbl_free(&d);
}

static void test_new_errors(resolver_t *res)
{
	struct site site, longsite;
	const char *serr;
	char *error = NULL;
	dnsbl_t *d = NULL;

	if (site_parse(zones[Z_MAIN], &site, &serr) != 0)
		abort();
	longsite = site;
	memset(longsite.zone, 'z', 200);
	strcpy(longsite.zone + 200, ".example");
	static const struct {
		const char *what;
		size_t n_sites;
		bool long_zone, ipv6;
		unsigned probe;
		const char *error;
	} cases[] = {
		{ "no sites", 0, false, false, 0, "sites" },
		{ "too many sites", DNSBL_SITES_MAX + 1, false, false, 0, "sites" },
		{ "probe interval too short", 1, false, false, DNSBL_PROBE_INTERVAL_MIN_MS - 1, "probe interval" },
		{ "zone too long for IPv6 names", 1, true, true, 0, "too long" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dnsbl_opts o = { .sites = cases[i].long_zone ? &longsite : &site,
					.n_sites = cases[i].n_sites, .ipv6 = cases[i].ipv6,
					.probe_interval_ms = cases[i].probe };
		error = NULL;
		ok(dnsbl_new(base, res, &o, &d, &error) == -1 && error != NULL &&
			   strstr(error, cases[i].error) != NULL,
		   "dnsbl_new refuses: %s (%s)", cases[i].what, error ? error : "no error");
		free(error);
	}
	struct dnsbl_opts o = { .sites = &longsite, .n_sites = 1, .ipv6 = false };
	ok(dnsbl_new(base, res, &o, &d, &error) == 0, "the same zone is fine for IPv4 names");
	dnsbl_free(&d);
	dnsbl_free(&d);
	ok(d == NULL, "dnsbl_free twice is harmless");
}

static int bind_blackhole(int *port_r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	*port_r = ntohs(sin.sin_port);
	return fd;
}

static dnsbl_t *make_dnsbl(resolver_t *res, const char *const *names, size_t n,
			   enum dnsbl_kind kind, bool txt, bool ipv6, unsigned probe)
{
	static const struct { const char *zone, *filter; } codes[] = {
		{ "", "127.255.255.[252;254;255]" },
		{ "second.bl", "127.0.0.99" },
	};
	struct dnsbl_error_code ec[2];
	struct site sites[8];
	const char *serr;
	char *error = NULL;
	dnsbl_t *d = NULL;

	for (size_t i = 0; i < n; i++)
		if (site_parse(names[i], &sites[i], &serr) != 0) {
			tap_diag("site %s: %s", names[i], serr);
			abort();
		}
	for (size_t i = 0; i < 2; i++) {
		snprintf(ec[i].zone, sizeof(ec[i].zone), "%s", codes[i].zone);
		if (site_filter_parse(codes[i].filter, &ec[i].filter, &serr) != 0)
			abort();
	}
	struct dnsbl_opts o = { sites, n, kind, ec, 2, txt, ipv6, probe, NULL, NULL };
	if (dnsbl_new(base, res, &o, &d, &error) != 0) {
		tap_diag("dnsbl_new: %s", error);
		abort();
	}
	return d;
}

int main(int argc, char **argv)
{
	char servers[64], site1[64], which[64];
	char *error = NULL;
	resolver_t *res = NULL;
	int blackhole_port = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: %s PORT RBLDNSD_PID DEAD_FILE FIXED_FILE [ZONES...]\n", argv[0]);
		return 2;
	}
	for (int i = 5; i < argc && i - 5 < Z_COUNT; i++)
		zones[i - 5] = argv[i];
	base = event_base_new();
	int blackhole = bind_blackhole(&blackhole_port);
	if (blackhole < 0) {
		printf("Bail out! cannot bind a UDP socket on 127.0.0.1\n");
		return 1;
	}
	snprintf(servers, sizeof(servers), "127.0.0.1:%s", argv[1]);
	struct resolver_opts ro = { servers, 500, 2 };
	if (resolver_new(base, &ro, &res, &error) != 0) {
		printf("Bail out! resolver: %s\n", error);
		return 1;
	}
	ok(!resolver_uses_public_server(res, which, sizeof(which)), "127.0.0.1 is not a public resolver");

	snprintf(site1, sizeof(site1), "%s=127.0.0.[2..4]", zones[Z_SECOND]);
	const char *ip_names[] = { zones[Z_MAIN], site1, zones[Z_OUTSIDE], zones[Z_REFUSED],
				   zones[Z_UNSERVED] };
	dnsbl_t *ip = make_dnsbl(res, ip_names, 5, DNSBL_KIND_IP, true, true, 0);
	test_addr_cases(ip);
	test_fan_out(ip, 5);
	test_cancel(ip);
	dnsbl_free(&ip);

	dnsbl_t *ip4 = make_dnsbl(res, &zones[Z_MAIN], 1, DNSBL_KIND_IP, false, false, 0);
	test_ip4only(ip4);
	dnsbl_free(&ip4);

	dnsbl_t *rhs = make_dnsbl(res, &zones[Z_RHSBL], 1, DNSBL_KIND_DOMAIN, true, false, 150);
	test_domains(rhs);
	run_until(NULL, 0, 500);
	ok(!dnsbl_site_suspended(rhs, 0), "domain list passes its TEST/INVALID probes");
	dnsbl_free(&rhs);

	test_timeout(blackhole_port);
	test_health(res, (pid_t)atoi(argv[2]), argv[3], argv[4]);
	test_new_errors(res);
	is_int(callbacks_inside, 0, "no callback ever ran inside dnsbl_query_*()");

	resolver_free(&res);
	event_base_free(base);
	close(blackhole);
	return tap_done();
}
