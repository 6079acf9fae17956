/* test_mailbox - which contacts are one RFC 5321 mailbox we may mail. */
#include "config.h"

#include <string.h>

#include "mailbox.h"
#include "tap.h"

static const struct {
	const char *in;
	enum mailbox_status want;
	const char *what;
} cases[] = {
	{ "abuse@example.net", MAILBOX_OK, "a plain mailbox" },
	{ "Abuse.Desk+rg@Mail.Example.NET", MAILBOX_OK, "dots, plus, upper case" },
	{ "o'brien!x#y$z%a&b*c=d?e^f_g`h{i|j}k~l/m@example.net", MAILBOX_OK, "every atext byte" },
	{ "\"john..doe\"@example.net", MAILBOX_OK, "a quoted local part with dots" },
	{ "abuse@xn--bcher-kva.example", MAILBOX_OK, "an IDN domain in A-label form" },
	{ "abuse@a-b.c-d.example", MAILBOX_OK, "hyphens inside labels" },
	{ "abuse@3com.example", MAILBOX_OK, "a label starting with a digit" },
	{ "", MAILBOX_EMPTY, "empty" },
	{ NULL, MAILBOX_EMPTY, "NULL" },
	{ "root", MAILBOX_NO_DOMAIN, "a local name" },
	{ "postmaster", MAILBOX_NO_DOMAIN, "another local name" },
	{ "root@localhost", MAILBOX_NOT_FQDN, "a single-label domain" },
	{ "-oQ/tmp@evil.example", MAILBOX_LEADING_DASH, "a sendmail option" },
	{ "-oQ/tmp", MAILBOX_LEADING_DASH, "a bare sendmail option" },
	{ "a@one.example,b@two.example", MAILBOX_LIST, "a comma list" },
	{ "a@one.example;b@two.example", MAILBOX_LIST, "a semicolon list" },
	{ "a,b@one.example", MAILBOX_LIST, "a comma in the local part" },
	{ "root,admin", MAILBOX_LIST, "a list of local names" },
	{ "a@b@one.example", MAILBOX_LIST, "two @" },
	{ "a@one.example b@two.example", MAILBOX_BAD_BYTE, "a space-separated list" },
	{ "a@one.example, b@two.example", MAILBOX_LIST, "a comma list with a space" },
	{ "Abuse <abuse@one.example>", MAILBOX_BAD_BYTE, "a display name" },
	{ "abuse@example.net\r\nBcc: x@evil.example", MAILBOX_BAD_BYTE, "CR LF header injection" },
	{ "abuse@example.net\n", MAILBOX_BAD_BYTE, "a trailing LF" },
	{ "ab\tuse@example.net", MAILBOX_BAD_BYTE, "a tab" },
	{ "abus\xc3\xa9@example.net", MAILBOX_BAD_BYTE, "an 8-bit local part" },
	{ "abuse@ex\x7f" "ample.net", MAILBOX_BAD_BYTE, "DEL" },
	{ "\"a b\"@example.net", MAILBOX_BAD_BYTE, "a quoted space" },
	{ "\"a@b\"@example.net", MAILBOX_BAD_LOCAL, "an @ inside quotes" },
	{ "\"a\\\"b\"@example.net", MAILBOX_BAD_LOCAL, "a backslash escape" },
	{ "\"abuse@example.net", MAILBOX_BAD_LOCAL, "an unclosed quote" },
	{ "\"\"@example.net", MAILBOX_BAD_LOCAL, "an empty quoted string" },
	{ "ab\"use@example.net", MAILBOX_BAD_LOCAL, "a quote inside an atom" },
	{ "<abuse@example.net>", MAILBOX_BAD_LOCAL, "angle brackets" },
	{ ".abuse@example.net", MAILBOX_BAD_LOCAL, "a leading dot" },
	{ "abuse.@example.net", MAILBOX_BAD_LOCAL, "a trailing dot in the local part" },
	{ "ab..use@example.net", MAILBOX_BAD_LOCAL, "two dots" },
	{ "@example.net", MAILBOX_BAD_LOCAL, "no local part" },
	{ "abuse@", MAILBOX_BAD_DOMAIN, "no domain after @" },
	{ "abuse@[192.0.2.1]", MAILBOX_LITERAL, "an IPv4 literal" },
	{ "abuse@[IPv6:2001:db8::1]", MAILBOX_LITERAL, "an IPv6 literal" },
	{ "abuse@192.0.2.1", MAILBOX_BAD_DOMAIN, "a bare address as domain" },
	{ "abuse@example.net.", MAILBOX_BAD_DOMAIN, "a trailing dot in the domain" },
	{ "abuse@-example.net", MAILBOX_BAD_DOMAIN, "a label starting with '-'" },
	{ "abuse@example-.net", MAILBOX_BAD_DOMAIN, "a label ending with '-'" },
	{ "abuse@exa_mple.net", MAILBOX_BAD_DOMAIN, "an underscore" },
	{ "abuse@example..net", MAILBOX_BAD_DOMAIN, "an empty label" },
};

/* A mailbox of the given local and domain lengths, "lll@d...d.example". */
static void make(char *out, size_t local, size_t label, size_t labels)
{
	char *p = out;
	memset(p, 'l', local);
	p += local;
	*p++ = '@';
	for (size_t i = 0; i < labels; i++) {
		memset(p, 'd', label);
		p += label;
		*p++ = '.';
	}
	strcpy(p, "example");
}

static void test_limits(void)
{
	char s[600];

	make(s, MAILBOX_LOCAL_MAX, 3, 1);
	is_int(mailbox_check(s), MAILBOX_OK, "a local part of MAILBOX_LOCAL_MAX bytes");
	make(s, MAILBOX_LOCAL_MAX + 1, 3, 1);
	is_int(mailbox_check(s), MAILBOX_TOO_LONG, "one byte more");
	make(s, 1, MAILBOX_LABEL_MAX, 1);
	is_int(mailbox_check(s), MAILBOX_OK, "a label of MAILBOX_LABEL_MAX bytes");
	make(s, 1, MAILBOX_LABEL_MAX + 1, 1);
	is_int(mailbox_check(s), MAILBOX_BAD_DOMAIN, "one byte more");
	make(s, 1, 60, 3);	/* 1 + 1 + 3 * 61 + 7 = 192 */
	is_int(mailbox_check(s), MAILBOX_OK, "a 192-byte mailbox");
	make(s, 10, 60, 4);	/* 10 + 1 + 244 + 7 = 262 */
	is_int(mailbox_check(s), MAILBOX_TOO_LONG, "over MAILBOX_MAX");
	make(s, 10, 60, 4);
	s[5] = '\n';	/* the bytes are checked before the length */
	is_int(mailbox_check(s), MAILBOX_BAD_BYTE, "a long one with a LF is refused for the LF");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mailbox_check(cases[i].in), cases[i].want, "%s (%s)", cases[i].what,
		       mailbox_status_text(cases[i].want));
	ok(mailbox_valid("abuse@example.net") && !mailbox_valid("root"), "mailbox_valid");
	ok(strcmp(mailbox_status_text(MAILBOX_STATUS_COUNT), "unknown") == 0, "an unknown status has a text");
	for (int st = 0; st < MAILBOX_STATUS_COUNT; st++)
		ok(mailbox_status_text((enum mailbox_status)st)[0] != '\0', "status %d has a text", st);
	test_limits();
	return tap_done();
}
