/*
 * test_spf - the spf module without a DNS server: option checks, result
 * names, identities that need no lookup, the Received-SPF format and its
 * cleaning, and a refused server giving temperror at once.
 */
#include "config.h"

#include <errno.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spf.h"
#include "tap.h"
#include "verdict.h"

static const struct {
	const char *servers;
	unsigned timeout_ms;
	const char *receiver;
	bool good;
} new_cases[] = {
	{ "127.0.0.1", 0, "mx.example", true },
	{ "127.0.0.1:5353, [::1]:53, ::1", 500, "mx.example", true },
	{ "", 0, "mx.example", true },
	{ "127.0.0.1:0", 0, "mx.example", false },
	{ "127.0.0.1:65536", 0, "mx.example", false },
	{ "dns.example", 0, "mx.example", false },
	{ "127.0.0.1,", 0, "mx.example", false },
	{ "127.0.0.1,,127.0.0.2", 0, "mx.example", false },
	{ "[192.0.2.1]:53", 0, "mx.example", false },
	{ "127.0.0.1", 5, "mx.example", false },
	{ "127.0.0.1", 60001, "mx.example", false },
	{ "127.0.0.1", 0, "", false },
	{ "127.0.0.1", 0, "mx.example\r\nX-Bad: 1", false },
};

static void test_new(void)
{
	for (size_t i = 0; i < sizeof(new_cases) / sizeof(new_cases[0]); i++) {
		struct spf_opts o = { new_cases[i].servers, new_cases[i].timeout_ms,
				      new_cases[i].receiver };
		spf_t *spf = NULL;
		char *err = NULL;
		int rc = spf_new(&o, &spf, &err);
		if (new_cases[i].good)
			ok(rc == 0 && spf != NULL, "spf_new accepts servers \"%s\" timeout %u", o.servers,
			   o.timeout_ms);
		else
			ok(rc == -1 && spf == NULL && err != NULL && strlen(err) > 0,
			   "spf_new refuses case %zu (servers \"%s\" timeout %u)", i, o.servers,
			   o.timeout_ms);
		free(err);
		spf_free(&spf);
		ok(spf == NULL, "spf_free sets the pointer to NULL");
	}
	spf_free(NULL);
}

static void test_names(void)
{
	static const char *const want[] = { "none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror" };
	for (int r = SPF_RESULT_NONE; r <= SPF_RESULT_PERMERROR; r++)
		is_str(spf_result_name((enum spf_result)r), want[r], "result name %d", r);
	is_str(spf_result_name((enum spf_result)99), "unknown", "result name out of range");
}

/* Cases that need no DNS: loopback passes, bad identities give none. */
static const struct {
	const char *client, *helo, *sender;
	enum spf_result want;
	const char *want_header;	/* exact Received-SPF value */
} local_cases[] = {
	{ "127.0.0.1", "client.example", "s@example.org", SPF_RESULT_PASS,
	  "pass (mx.example: localhost is always allowed) client-ip=127.0.0.1; "
	  "envelope-from=\"s@example.org\"; helo=client.example; receiver=mx.example; "
	  "identity=mailfrom" },
	{ "::1", NULL, "<s@example.org>", SPF_RESULT_PASS,
	  "pass (mx.example: localhost is always allowed) client-ip=::1; "
	  "envelope-from=\"s@example.org\"; receiver=mx.example; identity=mailfrom" },
	{ "127.0.0.1", "client.example", "<>", SPF_RESULT_PASS,
	  "pass (mx.example: localhost is always allowed) client-ip=127.0.0.1; "
	  "envelope-from=\"postmaster@client.example\"; helo=client.example; "
	  "receiver=mx.example; identity=helo" },
	{ "192.0.2.5", NULL, NULL, SPF_RESULT_NONE,
	  "none (mx.example: no valid identity to check) client-ip=192.0.2.5; "
	  "receiver=mx.example; identity=helo" },
	{ "192.0.2.5", "[192.0.2.5]", "", SPF_RESULT_NONE,
	  "none (mx.example: no valid identity to check) client-ip=192.0.2.5; "
	  "envelope-from=\"postmaster@[192.0.2.5]\"; helo=\"[192.0.2.5]\"; "
	  "receiver=mx.example; identity=helo" },
	{ "192.0.2.5", "client.example", "s@localhost", SPF_RESULT_NONE,
	  "none (mx.example: no valid identity to check) client-ip=192.0.2.5; "
	  "envelope-from=\"s@localhost\"; helo=client.example; receiver=mx.example; "
	  "identity=mailfrom" },
	{ "192.0.2.5", "client.example", "s@a..example", SPF_RESULT_NONE, NULL },
	{ "192.0.2.5", "client.example", "s@", SPF_RESULT_NONE, NULL },
	{ "2001:db8::5", "bad\r\nX-Injected: 1", "s@x\r\n.example", SPF_RESULT_NONE,
	  "none (mx.example: no valid identity to check) client-ip=2001:db8::5; "
	  "envelope-from=\"s@x .example\"; helo=\"bad X-Injected: 1\"; receiver=mx.example; "
	  "identity=mailfrom" },
};

static void test_local(spf_t *spf)
{
	for (size_t i = 0; i < sizeof(local_cases) / sizeof(local_cases[0]); i++) {
		struct spf_outcome out;
		addr_t a;
		if (!ok(addr_parse(local_cases[i].client, &a) == 0, "parse %s", local_cases[i].client))
			continue;
		int rc = spf_check(spf, &a, local_cases[i].helo, local_cases[i].sender, &out);
		is_int(rc, 0, "check %zu returns 0", i);
		is_str(spf_result_name(out.result), spf_result_name(local_cases[i].want),
		       "check %zu (from %s): result", i, local_cases[i].client);
		if (local_cases[i].want_header != NULL)
			is_str(out.received_spf, local_cases[i].want_header, "check %zu: Received-SPF", i);
		ok(out.received_spf != NULL && strpbrk(out.received_spf, "\r\n") == NULL,
		   "check %zu: Received-SPF has no CR or LF", i);
		ok(out.explanation == NULL, "check %zu: no explanation", i);
		spf_outcome_clear(&out);
		ok(out.received_spf == NULL && out.explanation == NULL && out.result == SPF_RESULT_NONE,
		   "spf_outcome_clear zeroes");
	}
	spf_outcome_clear(NULL);
}

/* Huge inputs: the header stays within VERDICT_HEADER_MAX. */
static void test_long(spf_t *spf)
{
	char sender[2000], helo[1000];
	struct spf_outcome out;
	addr_t a;

	memset(sender, 'a', sizeof(sender) - 1);
	sender[sizeof(sender) - 1] = '\0';
	sender[100] = '@';
	memset(helo, 'h', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	ok(addr_parse("127.0.0.1", &a) == 0, "parse 127.0.0.1");
	is_int(spf_check(spf, &a, helo, sender, &out), 0, "long inputs: check returns 0");
	is_int(out.result, SPF_RESULT_NONE, "a 1899-byte domain is not a valid identity");
	ok(out.received_spf != NULL && strlen(out.received_spf) <= VERDICT_HEADER_MAX,
	   "Received-SPF of long inputs within %u bytes (%zu)", VERDICT_HEADER_MAX,
	   out.received_spf ? strlen(out.received_spf) : 0);
	spf_outcome_clear(&out);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * A UDP port on loopback that nothing listens on: the lookup is refused.
 * Port 9 (discard): below the ephemeral range, so no test running in
 * parallel can be bound there (a closed high port could be reused at once).
 */
static void test_refused(void)
{
	char servers[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	/* If something does serve port 9 here, say so instead of failing oddly. */
	if (s >= 0 && bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno == EADDRINUSE) {
		close(s);
		ok(false, "127.0.0.1:9/udp is in use on this machine");
		return;
	}
	if (s >= 0)
		close(s);
	snprintf(servers, sizeof(servers), "127.0.0.1:9");

	struct spf_opts o = { servers, 2000, "mx.example" };
	spf_t *spf = NULL;
	char *err = NULL;
	if (!ok(spf_new(&o, &spf, &err) == 0, "spf_new on %s", servers)) {
		free(err);
		return;
	}
	struct spf_outcome out;
	struct timespec t0;
	addr_t a;
	ok(addr_parse("192.0.2.5", &a) == 0, "parse 192.0.2.5");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(spf_check(spf, &a, "client.example", "s@refused.example", &out), 0,
	       "refused server: check returns 0");
	long ms = elapsed_ms(&t0);
	is_str(spf_result_name(out.result), "temperror", "refused server: temperror");
	ok(ms < 2000, "refused server: answered in %ld ms, within the timeout", ms);
	ok(out.received_spf != NULL && strncmp(out.received_spf, "temperror (mx.example: ", 23) == 0,
	   "temperror Received-SPF: %s", out.received_spf ? out.received_spf : "(null)");
	spf_outcome_clear(&out);
	spf_free(&spf);
}

int main(void)
{
	struct spf_opts o = { "127.0.0.1:9", 500, "mx.example" };
	spf_t *spf = NULL;
	char *err = NULL;

	test_new();
	test_names();
	if (ok(spf_new(&o, &spf, &err) == 0, "spf_new for the local cases")) {
		test_local(spf);
		test_long(spf);
		spf_free(&spf);
	}
	free(err);
	test_refused();
	return tap_done();
}
