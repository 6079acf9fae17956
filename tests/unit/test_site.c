/* test_site - the postscreen site syntax: zones, filters, weights, errors. */
#include "config.h"

#include <string.h>

#include "site.h"
#include "tap.h"

/* Good sites: the parse result in normalized form, and zone/weight. */
static const struct {
	const char *in;
	const char *normalized;
	const char *zone;
	int weight;
} good[] = {
	{ "zen.example.org=127.0.0.[2..11]*3", "zen.example.org=127.0.0.[2..11]*3", "zen.example.org", 3 },
	{ "bl.example.net*2", "bl.example.net*2", "bl.example.net", 2 },
	{ "wl.example.org=127.0.[0..255].[1..3]*-2", "wl.example.org=127.0.[0..255].[1..3]*-2", "wl.example.org", -2 },
	{ "list.example=127.0.0.[2;4;7]", "list.example=127.0.0.[2;4;7]", "list.example", 1 },
	{ "list.example=127.0.0.[1;3..5]", "list.example=127.0.0.[1;3..5]", "list.example", 1 },
	{ "list.example=127.0.0.[1;2;3]", "list.example=127.0.0.[1..3]", "list.example", 1 },
	{ "list.example=127.0.0.[5..5]", "list.example=127.0.0.5", "list.example", 1 },
	{ "list.example=127.0.0.[7;1]", "list.example=127.0.0.[1;7]", "list.example", 1 },
	{ "Zen.Example.ORG", "zen.example.org", "zen.example.org", 1 },
	{ "zen.example.org.", "zen.example.org", "zen.example.org", 1 },
	{ "bl.example*0", "bl.example*0", "bl.example", 0 },
	{ "bl.example*+4", "bl.example*4", "bl.example", 4 },
	{ "bl.example*1", "bl.example", "bl.example", 1 },
	{ "bl.example*100000", "bl.example*100000", "bl.example", 100000 },
	{ "bl.example*-100000", "bl.example*-100000", "bl.example", -100000 },
	{ "mylist", "mylist", "mylist", 1 },
	{ "key_1-x.dq.example", "key_1-x.dq.example", "key_1-x.dq.example", 1 },
	{ "bl.example=0.0.0.0", "bl.example=0.0.0.0", "bl.example", 1 },
	{ "bl.example=255.255.255.255", "bl.example=255.255.255.255", "bl.example", 1 },
	{ "bl.example=127.0.0.[0..255]", "bl.example=127.0.0.[0..255]", "bl.example", 1 },
};

/* Bad sites and the exact message. */
static const struct {
	const char *in;
	const char *error;
} bad[] = {
	{ "", "site is empty" },
	{ "=127.0.0.2", "zone name is empty" },
	{ ".", "zone name is empty" },
	{ "*2", "zone name is empty" },
	{ "a..b", "zone name has an empty label" },
	{ ".a", "zone name has an empty label" },
	{ "a..", "zone name has an empty label" },
	{ "1..=127.0.0.2", "zone name has an empty label" },
	{ "bl example", "zone name may hold only letters, digits, '-', '_' and '.'" },
	{ "bl/example", "zone name may hold only letters, digits, '-', '_' and '.'" },
	{ "bl.example=", "filter is empty after '='" },
	{ "bl.example=*2", "filter is empty after '='" },
	{ "bl.example=127.0.0", "filter must have four octet patterns separated by '.'" },
	{ "bl.example=127.0.0.2.1", "filter must have four octet patterns separated by '.'" },
	{ "bl.example=127.0.0.x", "filter octet must be a number 0..255, [a..b] or [a;b]" },
	{ "bl.example=127.0.0.02", "filter octet must be a number 0..255, [a..b] or [a;b]" },
	{ "bl.example=127.0.0.-1", "filter octet must be a number 0..255, [a..b] or [a;b]" },
	{ "bl.example=127.0.0.2x", "filter octet must be a number 0..255, [a..b] or [a;b]" },
	{ "bl.example=127.0.0.256", "filter octet value must be 0..255" },
	{ "bl.example=127.0.0.1000", "filter octet value must be 0..255" },
	{ "bl.example=127.0.0.[1..300]", "filter octet value must be 0..255" },
	{ "bl.example=127.0.0.[5..2]", "filter range [a..b] needs a <= b" },
	{ "bl.example=127.0.0.[]", "filter '[' needs items a or a..b separated by ';' and a closing ']'" },
	{ "bl.example=127.0.0.[1;]", "filter '[' needs items a or a..b separated by ';' and a closing ']'" },
	{ "bl.example=127.0.0.[1", "filter '[' needs items a or a..b separated by ';' and a closing ']'" },
	{ "bl.example=127.0.0.[1,2]", "filter '[' needs items a or a..b separated by ';' and a closing ']'" },
	{ "bl.example=127.0.0.[1...2]", "filter octet must be a number 0..255, [a..b] or [a;b]" },
	{ "bl.example=127.0.0.1..2", "filter must have four octet patterns separated by '.'" },
	{ "bl.example*", "weight must be an integer from -100000 to 100000" },
	{ "bl.example*-", "weight must be an integer from -100000 to 100000" },
	{ "bl.example*2x", "weight must be an integer from -100000 to 100000" },
	{ "bl.example*100001", "weight must be an integer from -100000 to 100000" },
	{ "bl.example*99999999999999999999", "weight must be an integer from -100000 to 100000" },
	{ "bl.example*2*3", "weight must be an integer from -100000 to 100000" },
	{ "bl.example=127.0.0.2=3", "filter octet must be a number 0..255, [a..b] or [a;b]" },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct site s;
		struct buf out = BUF_INIT;
		const char *error = NULL;
		int rc = site_parse(good[i].in, &s, &error);
		ok(rc == 0, "parses: %s", good[i].in);
		if (rc != 0) {
			tap_diag("  error: %s", error);
			continue;
		}
		site_format(&s, &out);
		is_str(buf_cstr(&out), good[i].normalized, "normalized: %s", good[i].in);
		is_str(s.zone, good[i].zone, "zone of %s", good[i].in);
		is_int(s.weight, good[i].weight, "weight of %s", good[i].in);
		ok(strcmp(s.text, good[i].in) == 0, "text as written: %s", good[i].in);
		buf_free(&out);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct site s;
		const char *error = NULL;
		ok(site_parse(bad[i].in, &s, &error) == -1, "refused: \"%s\"", bad[i].in);
		is_str(error, bad[i].error, "message for \"%s\"", bad[i].in);
	}
}

static void test_limits(void)
{
	char zone[400], label[80];
	struct site s;
	const char *error = NULL;

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(zone, sizeof(zone), "%s.%s.%s.%.61s", label, label, label, label);
	is_int(strlen(zone), 253, "a zone of 253 bytes is built");
	ok(site_parse(zone, &s, &error) == 0, "zone of exactly 253 bytes accepted");
	snprintf(zone, sizeof(zone), "%s.%s.%s.%.62s", label, label, label, label);
	ok(site_parse(zone, &s, &error) == -1, "zone of 254 bytes refused");
	is_str(error, "zone name is longer than 253 bytes", "message for a 254-byte zone");
	snprintf(zone, sizeof(zone), "%sa.example", label);
	ok(site_parse(zone, &s, &error) == -1, "label of 64 bytes refused");
	is_str(error, "zone label is longer than 63 bytes", "message for a 64-byte label");
	memset(zone, 'a', sizeof(zone) - 1);
	zone[sizeof(zone) - 1] = '\0';
	ok(site_parse(zone, &s, &error) == -1, "399-byte site refused");
	is_str(error, "site is too long", "message for an over-long site");
}

static const struct {
	const char *filter;
	uint32_t code;
	bool match;
} matches[] = {
	{ "127.0.0.[2..11]", 0x7f000002, true },
	{ "127.0.0.[2..11]", 0x7f00000b, true },
	{ "127.0.0.[2..11]", 0x7f00000c, false },
	{ "127.0.0.[2..11]", 0x7f000001, false },
	{ "127.0.0.[2..11]", 0x7e000002, false },
	{ "127.0.[0..255].[1..3]", 0x7f00ff03, true },
	{ "127.0.[0..255].[1..3]", 0x7f00ff04, false },
	{ "127.0.0.[2;4;7]", 0x7f000004, true },
	{ "127.0.0.[2;4;7]", 0x7f000005, false },
	{ "127.0.0.[1;3..5]", 0x7f000005, true },
	{ "127.0.0.[1;3..5]", 0x7f000002, false },
	{ "127.255.255.[252..255]", 0x7ffffffe, true },
	{ "255.255.255.255", 0xffffffff, true },
	{ "0.0.0.0", 0x00000000, true },
	{ "0.0.0.0", 0x00000001, false },
};

static void test_match(void)
{
	struct site_filter f;
	struct site s;
	const char *error;

	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		if (!ok(site_filter_parse(matches[i].filter, &f, &error) == 0, "filter parses: %s", matches[i].filter))
			continue;
		ok(site_filter_match(&f, matches[i].code) == matches[i].match, "%s %s %08x", matches[i].filter,
		   matches[i].match ? "matches" : "does not match", (unsigned)matches[i].code);
	}
	ok(site_parse("bl.example", &s, &error) == 0 && s.filter.any, "no filter: any");
	ok(site_filter_match(&s.filter, 0x7f000063), "no filter matches every code");
	ok(site_filter_parse("", &f, &error) == -1, "empty bare filter refused");
	is_str(error, "filter is empty after '='", "message for an empty bare filter");
	ok(site_filter_parse("127.0.0.2", &f, &error) == 0 && !f.any, "a bare filter is not 'any'");
}

int main(void)
{
	test_good();
	test_bad();
	test_limits();
	test_match();
	return tap_done();
}
