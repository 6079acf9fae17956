/*
 * test_rlists - the pure parts of common/rlists: list names, the address
 * encoding of the range index (its order must be the address order, IPv4
 * inside ::ffff:0:0/96), members, keys, and the reading of the lookup
 * script's untrusted reply.  The Redis parts are in tests/integration/rlists.sh.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rlists.h"
#include "tap.h"

static const struct {
	const char *name;
	bool ok;
} name_cases[] = {
	{ "drop", true },
	{ "bl.example.org", true },
	{ "my_list-2", true },
	{ "", false },
	{ "Upper", false },	/* the import lower-cases; stored names never have upper case */
	{ "a:b", false },	/* ':' would make keys ambiguous */
	{ "a b", false },
	{ "a*2", false },
	{ "a\x01", false },
};

static const struct {
	const char *addr;
	const char *hex;
} hex_cases[] = {
	{ "0.0.0.0", "00000000000000000000ffff00000000" },
	{ "192.0.2.1", "00000000000000000000ffffc0000201" },
	{ "255.255.255.255", "00000000000000000000ffffffffffff" },
	{ "::", "00000000000000000000000000000000" },
	{ "::1", "00000000000000000000000000000001" },
	{ "2001:db8::ff", "20010db80000000000000000000000ff" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffffffffffffffffffffffffffffffff" },
	{ "::ffff:10.1.2.3", "00000000000000000000ffff0a010203" },	/* parsed as IPv4 */
};

/* Pairs in address order: their hex must sort the same way. */
static const char *const order_cases[][2] = {
	{ "::1", "0.0.0.0" },
	{ "0.0.0.255", "0.0.1.0" },
	{ "10.255.255.255", "11.0.0.0" },
	{ "255.255.255.255", "::1:0:0:0" },
	{ "2001:db8::", "2001:db8::1" },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::" },
};

static void test_names(void)
{
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++)
		ok(rlists_name_ok(name_cases[i].name) == name_cases[i].ok, "name \"%s\" is %s",
		   name_cases[i].name, name_cases[i].ok ? "accepted" : "refused");
	char longname[RLISTS_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	longname[RLISTS_NAME_MAX] = '\0';
	ok(rlists_name_ok(longname), "a name of RLISTS_NAME_MAX bytes is accepted");
	longname[RLISTS_NAME_MAX] = 'a';
	longname[RLISTS_NAME_MAX + 1] = '\0';
	ok(!rlists_name_ok(longname), "one byte more is refused");
}

static void test_hex(void)
{
	char hex[RLISTS_HEX_LEN + 1], hb[RLISTS_HEX_LEN + 1];
	addr_t a, b;

	for (size_t i = 0; i < sizeof(hex_cases) / sizeof(hex_cases[0]); i++) {
		if (!ok(addr_parse(hex_cases[i].addr, &a) == 0, "parse %s", hex_cases[i].addr))
			continue;
		rlists_addr_hex(&a, hex);
		is_str(hex, hex_cases[i].hex, "hex of %s", hex_cases[i].addr);
	}
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		if (addr_parse(order_cases[i][0], &a) != 0 || addr_parse(order_cases[i][1], &b) != 0) {
			ok(false, "parse %s and %s", order_cases[i][0], order_cases[i][1]);
			continue;
		}
		rlists_addr_hex(&a, hex);
		rlists_addr_hex(&b, hb);
		ok(strcmp(hex, hb) < 0, "%s sorts before %s", order_cases[i][0], order_cases[i][1]);
	}
}

static void test_member_and_keys(void)
{
	struct buf out = BUF_INIT;
	addr_t a, b;

	if (addr_parse("192.0.2.0", &a) != 0 || addr_parse("192.0.2.255", &b) != 0)
		abort();
	rlists_member_format(&a, &b, 0x7f000004u, 17, &out);
	is_str(buf_cstr(&out),
	       "00000000000000000000ffffc0000200:00000000000000000000ffffc00002ff:7f000004:17",
	       "a member: first, last, code, text id");
	/* The lookup script reads fixed positions: first 1-32, last 34-65, code 67-74. */
	is_int(strchr(buf_cstr(&out) + 66, ':') - buf_cstr(&out), 74, "the text id starts at 76");
	buf_reset(&out);
	rlists_key(&out, "rg:", "bl.test", "");
	is_str(buf_cstr(&out), "rg:v2:{rl}:l:bl.test", "index key");
	buf_reset(&out);
	rlists_key(&out, "", "bl.test", ":m");
	is_str(buf_cstr(&out), "v2:{rl}:l:bl.test:m", "metadata key without a prefix");
	buf_reset(&out);
	rlists_key(&out, "rg:", NULL, NULL);
	is_str(buf_cstr(&out), "rg:v2:{rl}:lists", "the set of names");
	buf_free(&out);
}

/* Reply elements as the script returns them, and garbage. */
static void test_element_parse(void)
{
	struct rcache_reply listed_parts[2] = {
		{ .type = RCACHE_REPLY_INTEGER, .integer = 0x7f000003 },
		{ .type = RCACHE_REPLY_STRING, .str = "Open proxy $", .len = 12 },
	};
	struct rcache_reply notext_parts[2] = {
		{ .type = RCACHE_REPLY_INTEGER, .integer = 0x7f000002 },
		{ .type = RCACHE_REPLY_STRING, .str = "", .len = 0 },
	};
	struct rcache_reply big_parts[2] = {
		{ .type = RCACHE_REPLY_INTEGER, .integer = 0x100000000LL },
		{ .type = RCACHE_REPLY_STRING, .str = "", .len = 0 },
	};
	struct rcache_reply nul_parts[2] = {
		{ .type = RCACHE_REPLY_INTEGER, .integer = 2 },
		{ .type = RCACHE_REPLY_STRING, .str = "a\0b", .len = 3 },
	};
	const struct {
		const char *what;
		struct rcache_reply el;
		int rc;
		enum rlists_answer answer;
		uint32_t code;
		const char *text;
	} cases[] = {
		{ "0 is not listed", { .type = RCACHE_REPLY_INTEGER, .integer = 0 }, 0,
		  RLISTS_NOT_LISTED, 0, NULL },
		{ "-1 is a missing list", { .type = RCACHE_REPLY_INTEGER, .integer = -1 }, -2,
		  RLISTS_ERROR, 0, NULL },
		{ "another integer is garbage", { .type = RCACHE_REPLY_INTEGER, .integer = 7 }, -1,
		  RLISTS_ERROR, 0, NULL },
		{ "[code, text] is listed",
		  { .type = RCACHE_REPLY_ARRAY, .element = listed_parts, .elements = 2 }, 0,
		  RLISTS_LISTED, 0x7f000003, "Open proxy $" },
		{ "an empty text is no text",
		  { .type = RCACHE_REPLY_ARRAY, .element = notext_parts, .elements = 2 }, 0,
		  RLISTS_LISTED, 0x7f000002, NULL },
		{ "a code above 32 bits is garbage",
		  { .type = RCACHE_REPLY_ARRAY, .element = big_parts, .elements = 2 }, -1,
		  RLISTS_ERROR, 0, NULL },
		{ "a NUL in the text is garbage",
		  { .type = RCACHE_REPLY_ARRAY, .element = nul_parts, .elements = 2 }, -1,
		  RLISTS_ERROR, 0, NULL },
		{ "a one-element array is garbage",
		  { .type = RCACHE_REPLY_ARRAY, .element = listed_parts, .elements = 1 }, -1,
		  RLISTS_ERROR, 0, NULL },
		{ "a string is garbage", { .type = RCACHE_REPLY_STRING, .str = "0", .len = 1 }, -1,
		  RLISTS_ERROR, 0, NULL },
		{ "nil is garbage", { .type = RCACHE_REPLY_NIL }, -1, RLISTS_ERROR, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum rlists_answer answer = RLISTS_ERROR;
		uint32_t code = 0;
		const char *text = NULL;
		int rc = rlists_element_parse(&cases[i].el, &answer, &code, &text);
		is_int(rc, cases[i].rc, "%s: status", cases[i].what);
		if (rc != 0 || cases[i].rc != 0)
			continue;
		is_int(answer, cases[i].answer, "%s: answer", cases[i].what);
		is_int(code, cases[i].code, "%s: code", cases[i].what);
		is_str(text, cases[i].text, "%s: text", cases[i].what);
	}
}

int main(void)
{
	test_names();
	test_hex();
	test_member_and_keys();
	test_element_parse();
	return tap_done();
}
