/*
 * test_resolver - option parsing and errors, public-resolver detection,
 * deferred immediate failures, cancel.  Needs no DNS server: nothing here
 * waits for an answer from the network.
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"
#include "tap.h"

static const struct {
	const char *servers;
	unsigned timeout_ms, tries;
	bool valid;
	const char *error_part;	/* substring of the error when invalid */
} opt_cases[] = {
	{ "127.0.0.1", 0, 0, true, NULL },
	{ "127.0.0.1:5353", 500, 3, true, NULL },
	{ "127.0.0.1:5353,[::1]:5353", 0, 0, true, NULL },
	{ "::1", 0, 0, true, NULL },
	{ "[::1]", 0, 0, true, NULL },
	{ " 127.0.0.1 , 127.0.0.2:53 ", 0, 0, true, NULL },
	{ "", 0, 0, true, NULL },
	{ NULL, 0, 0, true, NULL },
	{ "127.0.0.1:65535", RESOLVER_TIMEOUT_MS_MIN, RESOLVER_TRIES_MAX, true, NULL },
	{ "127.0.0.1", RESOLVER_TIMEOUT_MS_MAX, 1, true, NULL },
	{ "dns.example", 0, 0, false, "no host names" },
	{ "127.0.0.1:0", 0, 0, false, "port" },
	{ "127.0.0.1:65536", 0, 0, false, "port" },
	{ "127.0.0.1:53x", 0, 0, false, "port" },
	{ "127.0.0.1:", 0, 0, false, "port" },
	{ "[::1]:", 0, 0, false, "port" },
	{ "[::1]x", 0, 0, false, "port" },
	{ "[127.0.0.1]:53", 0, 0, false, "[IPv6]" },
	{ "[::1", 0, 0, false, "[IPv6]" },
	{ "::g", 0, 0, false, "IPv6" },
	{ "256.0.0.1", 0, 0, false, "IPv4" },
	{ "127.0.0.1,,127.0.0.2", 0, 0, false, "empty item" },
	{ "127.0.0.1,", 0, 0, false, "comma" },
	{ ",127.0.0.1", 0, 0, false, "empty item" },
	{ "127.0.0.1", RESOLVER_TIMEOUT_MS_MIN - 1, 0, false, "timeout" },
	{ "127.0.0.1", RESOLVER_TIMEOUT_MS_MAX + 1, 0, false, "timeout" },
	{ "127.0.0.1", 0, RESOLVER_TRIES_MAX + 1, false, "tries" },
};

static void test_options(struct event_base *base)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		struct resolver_opts o = { opt_cases[i].servers, opt_cases[i].timeout_ms,
					   opt_cases[i].tries };
		resolver_t *res = NULL;
		char *error = NULL;
		int rc = resolver_new(base, &o, &res, &error);
		const char *s = opt_cases[i].servers ? opt_cases[i].servers : "(null)";

		if (opt_cases[i].valid) {
			ok(rc == 0 && res != NULL, "accepted: \"%s\" %u ms %u tries", s,
			   opt_cases[i].timeout_ms, opt_cases[i].tries);
			if (rc != 0)
				tap_diag("  error: %s", error);
		} else {
			ok(rc == -1 && res == NULL && error != NULL &&
				   strstr(error, opt_cases[i].error_part) != NULL,
			   "refused: \"%s\" %u ms %u tries (%s)", s, opt_cases[i].timeout_ms,
			   opt_cases[i].tries, error ? error : "no error");
		}
		resolver_free(&res);
		ok(res == NULL, "resolver_free sets NULL");
		free(error);
	}
	char long_list[RESOLVER_SERVERS_MAX_LEN + 16];
	memset(long_list, '1', sizeof(long_list) - 1);
	long_list[sizeof(long_list) - 1] = '\0';
	struct resolver_opts o = { long_list, 0, 0 };
	resolver_t *res = NULL;
	char *error = NULL;
	ok(resolver_new(base, &o, &res, &error) == -1 && strstr(error, "too long") != NULL,
	   "a server list over RESOLVER_SERVERS_MAX_LEN is refused");
	free(error);

	/* RESOLVER_SERVERS_MAX servers pass, one more does not. */
	char list[RESOLVER_SERVERS_MAX_LEN] = "";
	for (unsigned i = 0; i < RESOLVER_SERVERS_MAX; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s127.0.0.%u",
			 i ? "," : "", i + 1);
	o.servers = list;
	ok(resolver_new(base, &o, &res, &error) == 0, "%u servers accepted", RESOLVER_SERVERS_MAX);
	resolver_free(&res);
	strcat(list, ",127.0.1.1");
	error = NULL;
	ok(resolver_new(base, &o, &res, &error) == -1 && strstr(error, "too many") != NULL,
	   "%u servers refused", RESOLVER_SERVERS_MAX + 1);
	free(error);
}

static const struct {
	const char *servers;
	const char *public;	/* NULL: none is public */
} public_cases[] = {
	{ "127.0.0.1", NULL },
	{ "8.8.8.8", "8.8.8.8" },
	{ "127.0.0.1,1.1.1.1:53", "1.1.1.1" },
	{ "9.9.9.9", "9.9.9.9" },
	{ "149.112.112.112", "149.112.112.112" },
	{ "208.67.222.222", "208.67.222.222" },
	{ "[2001:4860:4860::8888]:53", "2001:4860:4860::8888" },
	{ "2606:4700:4700::1111", "2606:4700:4700::1111" },
	{ "2620:fe::fe", "2620:fe::fe" },
	{ "8.8.8.9,::1", NULL },
};

static void test_public(struct event_base *base)
{
	for (size_t i = 0; i < sizeof(public_cases) / sizeof(public_cases[0]); i++) {
		struct resolver_opts o = { public_cases[i].servers, 0, 0 };
		resolver_t *res = NULL;
		char *error = NULL;
		char which[64] = "";

		if (!ok(resolver_new(base, &o, &res, &error) == 0, "resolver for %s",
			public_cases[i].servers)) {
			free(error);
			continue;
		}
		bool pub = resolver_uses_public_server(res, which, sizeof(which));
		if (public_cases[i].public != NULL) {
			ok(pub, "%s is a public resolver", public_cases[i].servers);
			is_str(which, public_cases[i].public, "which public resolver");
		} else {
			ok(!pub, "%s has no public resolver", public_cases[i].servers);
		}
		resolver_free(&res);
	}
	struct resolver_opts o = { "8.8.4.4", 0, 0 };
	resolver_t *res = NULL;
	char *error = NULL;
	char small[4];
	if (resolver_new(base, &o, &res, &error) == 0) {
		ok(resolver_uses_public_server(res, small, sizeof(small)) && strcmp(small, "8.8") == 0,
		   "which is cut to its size");
		ok(resolver_uses_public_server(res, NULL, 0), "which may be NULL");
	}
	resolver_free(&res);
	free(error);
}

static const struct {
	enum resolver_status status;
	const char *name;
} name_cases[] = {
	{ RESOLVER_OK, "ok" }, { RESOLVER_NXDOMAIN, "nxdomain" }, { RESOLVER_NODATA, "nodata" },
	{ RESOLVER_SERVFAIL, "servfail" }, { RESOLVER_REFUSED, "refused" },
	{ RESOLVER_TIMEOUT, "timeout" }, { RESOLVER_ERROR, "error" }, { (enum resolver_status)99, "unknown" },
};

struct seen {
	int calls;
	enum resolver_status status;
	bool returned;		/* resolver_query_*() had returned when the callback ran */
};

static void record(const struct resolver_answer *ans, void *ctx)
{
	struct seen *s = ctx;

	s->calls++;
	s->status = ans->status;
}

static void record_returned(const struct resolver_answer *ans, void *ctx)
{
	struct seen *s = ctx;

	record(ans, ctx);
	ok(s->returned, "the callback did not run inside resolver_query_a()");
}

/* A name c-ares refuses at once (a label over 63 bytes) must fail through the loop. */
static void test_immediate(struct event_base *base)
{
	struct resolver_opts o = { "127.0.0.1:9", 50, 1 };
	resolver_t *res = NULL;
	char *error = NULL;
	char name[100];
	struct seen a = { 0 }, b = { 0 };

	if (!ok(resolver_new(base, &o, &res, &error) == 0, "resolver on 127.0.0.1:9")) {
		free(error);
		return;
	}
	memset(name, 'x', 80);
	strcpy(name + 80, ".example");
	resolver_query_t *qa = resolver_query_a(res, name, record_returned, &a);
	a.returned = true;
	resolver_query_t *qb = resolver_query_a(res, name, record, &b);
	ok(qa != NULL && qb != NULL, "handles returned");
	is_int(a.calls, 0, "no callback before the loop runs");
	resolver_cancel(qb);
	event_base_loop(base, EVLOOP_NONBLOCK);
	is_int(a.calls, 1, "deferred failure delivered once");
	is_int(a.status, RESOLVER_ERROR, "a bad name is an error");
	is_int(b.calls, 0, "cancelled deferred failure never delivered");
	resolver_cancel(NULL);
	resolver_free(&res);
}

/* A pending query dropped by resolver_free: no callback, no leak. */
static void test_free_pending(struct event_base *base)
{
	struct resolver_opts o = { "127.0.0.1:9", 1000, 1 };
	resolver_t *res = NULL;
	char *error = NULL;
	struct seen a = { 0 };

	if (!ok(resolver_new(base, &o, &res, &error) == 0, "resolver for free-pending")) {
		free(error);
		return;
	}
	(void)resolver_query_a(res, "pending.example", record, &a);
	(void)resolver_query_txt(res, "pending.example", record, &a);
	resolver_free(&res);
	event_base_loop(base, EVLOOP_NONBLOCK);
	is_int(a.calls, 0, "resolver_free calls no pending callback");
	resolver_free(&res);
	ok(res == NULL, "resolver_free(NULL) is a no-op");
}

int main(void)
{
	struct event_base *base = event_base_new();

	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++)
		is_str(resolver_status_name(name_cases[i].status), name_cases[i].name,
		       "status name %s", name_cases[i].name);
	test_options(base);
	test_public(base);
	test_immediate(base);
	test_free_pending(base);
	event_base_free(base);
	return tap_done();
}
