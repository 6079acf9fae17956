/* test_policy_proto - the policy request parser: forms, limits, pieces, pipelining. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "policy_proto.h"
#include "tap.h"

#define REQ "request=smtpd_access_policy\n"

/* Whole inputs: status of the first feed and one attribute to look at. */
static const struct {
	const char *name;
	const char *in;
	enum policy_status want;
	const char *attr;	/* attribute to read, or NULL */
	const char *value;	/* its expected value (NULL = absent) */
} cases[] = {
	{ "minimal request", REQ "\n", POLICY_REQUEST, "request", "smtpd_access_policy" },
	{ "typical attributes", REQ "protocol_state=RCPT\nclient_address=192.0.2.5\n"
	  "instance=1a2b.5f3c.1\n\n", POLICY_REQUEST, "client_address", "192.0.2.5" },
	{ "CRLF line ends", "request=smtpd_access_policy\r\nhelo_name=x.example\r\n\r\n",
	  POLICY_REQUEST, "helo_name", "x.example" },
	{ "empty value", REQ "sender=\n\n", POLICY_REQUEST, "sender", "" },
	{ "'=' in a value", REQ "ccert_subject=CN=a=b\n\n", POLICY_REQUEST, "ccert_subject", "CN=a=b" },
	{ "unknown attribute kept", REQ "future_thing=42\n\n", POLICY_REQUEST, "future_thing", "42" },
	{ "absent attribute", REQ "\n", POLICY_REQUEST, "sender", NULL },
	{ "repeated name keeps the last", REQ "sender=a@x\nsender=b@x\n\n", POLICY_REQUEST,
	  "sender", "b@x" },
	{ "IPv6 client", REQ "client_address=2001:db8::5\n\n", POLICY_REQUEST, "client_address",
	  "2001:db8::5" },
	{ "spaces in a value", REQ "client_name=a b \n\n", POLICY_REQUEST, "client_name", "a b " },
	{ "request= last", "sender=s@x\nrequest=smtpd_access_policy\n\n", POLICY_REQUEST,
	  "sender", "s@x" },
	{ "partial request", REQ "sender=a", POLICY_NEED_MORE, NULL, NULL },
	{ "missing request=", "sender=a@x\n\n", POLICY_ERROR, NULL, NULL },
	{ "empty request", "\n", POLICY_ERROR, NULL, NULL },
	{ "wrong request=", "request=junk\n\n", POLICY_ERROR, NULL, NULL },
	{ "line without '='", REQ "garbage\n\n", POLICY_ERROR, NULL, NULL },
	{ "empty name", REQ "=value\n\n", POLICY_ERROR, NULL, NULL },
	{ "bad name byte", REQ "na me=v\n\n", POLICY_ERROR, NULL, NULL },
	{ "bare CR line is not an end", REQ "\r\r\n\n", POLICY_ERROR, NULL, NULL },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_parser_t *p = policy_parser_new();
		const char *err = NULL;
		size_t used = 0;
		enum policy_status st = policy_parser_feed(p, cases[i].in, strlen(cases[i].in),
							    &used, &err);
		is_int(st, cases[i].want, "%s: status", cases[i].name);
		if (st == POLICY_ERROR)
			ok(err != NULL && *err != '\0', "%s: a reason (%s)", cases[i].name,
			   err ? err : "none");
		else
			is_int(used, strlen(cases[i].in), "%s: every byte used", cases[i].name);
		if (cases[i].attr != NULL)
			is_str(policy_parser_get(p, cases[i].attr), cases[i].value, "%s: %s",
			       cases[i].name, cases[i].attr);
		policy_parser_free(&p);
		ok(p == NULL, "%s: free sets NULL", cases[i].name);
	}
}

/* A NUL byte cannot be written in the table's strings. */
static void test_nul(void)
{
	static const char in[] = REQ "sender=a\0b\n\n";
	policy_parser_t *p = policy_parser_new();
	size_t used;
	const char *err = NULL;

	is_int(policy_parser_feed(p, in, sizeof(in) - 1, &used, &err), POLICY_ERROR,
	       "NUL byte refused");
	ok(err != NULL && strstr(err, "NUL") != NULL, "reason names the NUL");
	policy_parser_free(&p);
}

/* Build a request with one line of value_len bytes of value. */
static void long_line(struct buf *b, size_t line_len, bool crlf)
{
	buf_puts(b, REQ "x=");
	for (size_t i = 2; i < line_len; i++)
		buf_putc(b, 'v');
	buf_puts(b, crlf ? "\r\n\r\n" : "\n\n");
}

static void test_line_limit(void)
{
	static const struct {
		size_t len;
		bool crlf;
		enum policy_status want;
	} lim[] = {
		{ POLICY_LINE_MAX, false, POLICY_REQUEST },
		{ POLICY_LINE_MAX, true, POLICY_REQUEST },
		{ POLICY_LINE_MAX + 1, false, POLICY_ERROR },
		{ POLICY_LINE_MAX + 1, true, POLICY_ERROR },
	};
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct buf b = BUF_INIT;
		policy_parser_t *p = policy_parser_new();
		size_t used;
		const char *err = NULL;

		long_line(&b, lim[i].len, lim[i].crlf);
		is_int(policy_parser_feed(p, b.data, b.len, &used, &err), lim[i].want,
		       "line of %zu bytes%s", lim[i].len, lim[i].crlf ? " + CRLF" : "");
		if (lim[i].want == POLICY_ERROR)
			ok(err != NULL && strstr(err, "line longer") != NULL, "reason: %s",
			   err ? err : "none");
		policy_parser_free(&p);
		buf_free(&b);
	}
}

static void test_attr_limit(void)
{
	for (size_t n = POLICY_ATTRS_MAX; n <= POLICY_ATTRS_MAX + 1; n++) {
		struct buf b = BUF_INIT;
		policy_parser_t *p = policy_parser_new();
		size_t used;
		const char *err = NULL;

		buf_puts(&b, REQ);
		for (size_t i = 1; i < n; i++)
			buf_printf(&b, "a%zu=%zu\n", i, i);
		buf_puts(&b, "\n");
		enum policy_status st = policy_parser_feed(p, b.data, b.len, &used, &err);
		is_int(st, n <= POLICY_ATTRS_MAX ? POLICY_REQUEST : POLICY_ERROR,
		       "%zu attributes", n);
		if (st == POLICY_REQUEST)
			is_int(policy_parser_count(p), n, "count of %zu attributes", n);
		else
			ok(err != NULL && strstr(err, "attributes") != NULL, "reason: %s",
			   err ? err : "none");
		policy_parser_free(&p);
		buf_free(&b);
	}
}

/* Requests of exactly POLICY_REQUEST_MAX bytes and one more. */
static void test_size_limit(void)
{
	for (size_t size = POLICY_REQUEST_MAX; size <= POLICY_REQUEST_MAX + 1; size++) {
		struct buf b = BUF_INIT;
		policy_parser_t *p = policy_parser_new();
		size_t used, i = 0;
		const char *err = NULL;

		buf_puts(&b, REQ);
		/* fill with lines "fNN=vvv...\n" of 1000 bytes, the last one sized to fit */
		while (b.len + 1 < size) {
			size_t room = size - 1 - b.len;	/* bytes left before the final "\n" */
			size_t line = room > 1000 ? 1000 : room;
			if (line < 6) {	/* too short for a line of its own: grow the last one */
				buf_truncate(&b, b.len - 1);
				for (size_t k = 0; k < line; k++)
					buf_putc(&b, 'w');
				buf_putc(&b, '\n');
				break;
			}
			buf_printf(&b, "f%02zu=", i++ % 100);
			for (size_t k = 5; k < line; k++)
				buf_putc(&b, 'v');
			buf_putc(&b, '\n');
		}
		buf_putc(&b, '\n');
		is_int(b.len, size, "built a request of %zu bytes", size);
		enum policy_status st = policy_parser_feed(p, b.data, b.len, &used, &err);
		is_int(st, size <= POLICY_REQUEST_MAX ? POLICY_REQUEST : POLICY_ERROR,
		       "request of %zu bytes", size);
		if (st == POLICY_ERROR)
			ok(err != NULL && strstr(err, "request longer") != NULL, "reason: %s",
			   err ? err : "none");
		policy_parser_free(&p);
		buf_free(&b);
	}
}

static const char pipelined[] =
	REQ "instance=one\nsender=a@x\n\n"
	"request=smtpd_access_policy\r\ninstance=two\r\nsender=\r\n\r\n"
	REQ "instance=three\nccert_subject=a=b\n\n";
static const char *const pipelined_instances[] = { "one", "two", "three" };

/* Feed in pieces of step bytes, collect the instances of complete requests. */
static size_t feed_in_steps(size_t step, const char **got, size_t max)
{
	policy_parser_t *p = policy_parser_new();
	size_t n = 0, off = 0, len = sizeof(pipelined) - 1;
	static char seen[8][16];

	while (off < len) {
		size_t piece = len - off < step ? len - off : step;
		size_t at = 0;
		while (at < piece) {
			size_t used;
			enum policy_status st =
				policy_parser_feed(p, pipelined + off + at, piece - at, &used, NULL);
			at += used;
			if (st == POLICY_ERROR) {
				policy_parser_free(&p);
				return 0;
			}
			if (st == POLICY_REQUEST && n < max) {
				const char *inst = policy_parser_get(p, "instance");
				snprintf(seen[n], sizeof(seen[n]), "%s", inst ? inst : "(none)");
				got[n] = seen[n];
				n++;
			}
		}
		off += piece;
	}
	policy_parser_free(&p);
	return n;
}

static void test_pieces(void)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, sizeof(pipelined) };
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		const char *got[8] = { 0 };
		size_t n = feed_in_steps(steps[s], got, 8);
		is_int(n, 3, "pipelined in pieces of %zu: three requests", steps[s]);
		for (size_t i = 0; i < 3 && i < n; i++)
			is_str(got[i], pipelined_instances[i], "pieces of %zu: request %zu in order",
			       steps[s], i + 1);
	}
}

/* One feed of everything stops after the first request and says where. */
static void test_used(void)
{
	policy_parser_t *p = policy_parser_new();
	size_t used;
	const char *first_end = strstr(pipelined, "\n\n") + 2;

	is_int(policy_parser_feed(p, pipelined, sizeof(pipelined) - 1, &used, NULL), POLICY_REQUEST,
	       "first of pipelined requests");
	is_int(used, first_end - pipelined, "used stops at the first empty line");
	is_str(policy_parser_get(p, "sender"), "a@x", "first request's sender");
	is_int(policy_parser_feed(p, first_end, strlen(first_end), &used, NULL), POLICY_REQUEST,
	       "second request");
	is_str(policy_parser_get(p, "sender"), "", "second request's empty sender");
	is_str(policy_parser_get(p, "ccert_subject"), NULL, "nothing left of the first request");
	policy_parser_free(&p);
}

/* After an error every feed fails with the same reason. */
static void test_sticky(void)
{
	policy_parser_t *p = policy_parser_new();
	size_t used;
	const char *e1 = NULL, *e2 = NULL;

	is_int(policy_parser_feed(p, "junk\n", 5, &used, &e1), POLICY_ERROR, "junk refused");
	is_int(policy_parser_feed(p, REQ "\n", strlen(REQ) + 1, &used, &e2), POLICY_ERROR,
	       "error is sticky");
	ok(e1 != NULL && e2 != NULL && strcmp(e1, e2) == 0, "same reason");
	is_int(policy_parser_count(p), 0, "no request after an error");
	policy_parser_free(&p);
}

int main(void)
{
	test_cases();
	test_nul();
	test_line_limit();
	test_attr_limit();
	test_size_limit();
	test_pieces();
	test_used();
	test_sticky();
	return tap_done();
}
