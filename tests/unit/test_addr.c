/* test_addr - parsing, formatting, prefixes, ranges, DNSBL names, classes. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

static const struct {
	const char *in;
	const char *canonical;	/* NULL: must be refused */
} parse_cases[] = {
	{ "192.0.2.1", "192.0.2.1" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "256.1.1.1", NULL },
	{ "1.2.3", NULL },
	{ "1.2.3.4.5", NULL },
	{ "01.2.3.4", NULL },
	{ "1.2.3.4 ", NULL },
	{ "", NULL },
	{ "1..2.3", NULL },
	{ "2001:db8::1", "2001:db8::1" },
	{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
	{ "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329" },
	{ "::", "::" },
	{ "::1", "::1" },
	{ "1::", "1::" },
	{ "::ffff:192.0.2.7", "192.0.2.7" },
	{ "::FFFF:c000:0207", "192.0.2.7" },
	{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201" },
	{ "[2001:db8::5]", "2001:db8::5" },
	{ "IPv6:2001:db8::5", "2001:db8::5" },
	{ "ipv6:::1", "::1" },
	{ "fe80::1%eth0", NULL },
	{ "2001:db8:::1", NULL },
	{ "2001:db8::1::2", NULL },
	{ "12345::", NULL },
	{ "g::1", NULL },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	{ "1:2:3:4:5:6:7:8:9", NULL },
	{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		addr_t a;
		char out[ADDR_STRLEN];
		int rc = addr_parse(parse_cases[i].in, &a);
		if (parse_cases[i].canonical == NULL) {
			ok(rc == -1, "refused: \"%s\"", parse_cases[i].in);
		} else {
			ok(rc == 0, "parsed: \"%s\"", parse_cases[i].in);
			if (rc == 0)
				is_str(addr_format(&a, out), parse_cases[i].canonical,
				       "canonical form of %s", parse_cases[i].in);
		}
	}
	addr_t a;
	ok(addr_parse("::ffff:192.0.2.7", &a) == 0 && a.family == AF_INET,
	   "mapped IPv6 is stored as IPv4");
}

static const struct {
	const char *in;
	bool lenient;
	const char *want;	/* "addr/len" or NULL when refused */
} prefix_cases[] = {
	{ "10.0.0.0/8", false, "10.0.0.0/8" },
	{ "10.1.0.0/8", false, NULL },
	{ "10.1.0.0/8", true, "10.0.0.0/8" },
	{ "0.0.0.0/0", false, "0.0.0.0/0" },
	{ "192.0.2.1", false, "192.0.2.1/32" },
	{ "192.0.2.1/33", false, NULL },
	{ "192.0.2.1/", false, NULL },
	{ "192.0.2.1/08", false, NULL },
	{ "2001:db8::/32", false, "2001:db8::/32" },
	{ "::/0", false, "::/0" },
	{ "2001:db8::1/128", false, "2001:db8::1/128" },
	{ "2001:db8::1/129", false, NULL },
	{ "::ffff:192.0.2.0/120", false, "192.0.2.0/24" },
	{ "::ffff:192.0.2.0/64", false, NULL },
};

static void test_prefix(void)
{
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		addr_t a;
		unsigned plen;
		char out[ADDR_STRLEN], got[64];
		int rc = addr_prefix_parse(prefix_cases[i].in, prefix_cases[i].lenient, &a, &plen);
		if (prefix_cases[i].want == NULL) {
			ok(rc == -1, "prefix refused: %s", prefix_cases[i].in);
			continue;
		}
		snprintf(got, sizeof(got), "%s/%u", rc == 0 ? addr_format(&a, out) : "ERR", plen);
		is_str(got, prefix_cases[i].want, "prefix %s%s", prefix_cases[i].in,
		       prefix_cases[i].lenient ? " (lenient)" : "");
	}
	addr_t p, x;
	unsigned plen;
	(void)!addr_prefix_parse("198.51.100.0/24", false, &p, &plen);
	(void)!addr_parse("198.51.100.255", &x);
	ok(addr_in_prefix(&x, &p, plen), "last address inside /24");
	(void)!addr_parse("198.51.101.0", &x);
	ok(!addr_in_prefix(&x, &p, plen), "next address outside /24");
	(void)!addr_parse("::ffff:198.51.100.9", &x);
	ok(addr_in_prefix(&x, &p, plen), "mapped address inside IPv4 prefix");
	(void)!addr_prefix_parse("::/0", false, &p, &plen);
	ok(!addr_in_prefix(&x, &p, plen), "families never match each other");
}

struct split_ctx {
	char out[512];
};

static int collect(const addr_t *prefix, unsigned plen, void *vctx)
{
	struct split_ctx *ctx = vctx;
	char a[ADDR_STRLEN];
	size_t n = strlen(ctx->out);
	snprintf(ctx->out + n, sizeof(ctx->out) - n, "%s%s/%u", n ? " " : "", addr_format(prefix, a), plen);
	return 0;
}

static void split(const char *first, const char *last, const char *want)
{
	addr_t f, l;
	struct split_ctx ctx = { "" };
	(void)!addr_parse(first, &f);
	(void)!addr_parse(last, &l);
	int n = addr_range_split(&f, &l, collect, &ctx);
	if (want == NULL) {
		is_int(n, -1, "range %s-%s refused", first, last);
		return;
	}
	is_str(ctx.out, want, "range %s-%s", first, last);
}

static void test_range(void)
{
	split("203.0.113.10", "203.0.113.19", "203.0.113.10/31 203.0.113.12/30 203.0.113.16/30");
	split("0.0.0.0", "255.255.255.255", "0.0.0.0/0");
	split("192.0.2.5", "192.0.2.5", "192.0.2.5/32");
	split("10.0.0.0", "10.0.1.255", "10.0.0.0/23");
	split("255.255.255.254", "255.255.255.255", "255.255.255.254/31");
	split("2001:db8::", "2001:db8::ffff", "2001:db8::/112");
	split("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0");
	split("192.0.2.9", "192.0.2.1", NULL);
	split("192.0.2.1", "2001:db8::1", NULL);
}

static void test_dnsbl_name(void)
{
	addr_t a;
	char name[ADDR_QNAME_MAX];

	(void)!addr_parse("192.0.2.5", &a);
	ok(addr_dnsbl_name(&a, "test.bl", name, sizeof(name)) == 0, "IPv4 query name built");
	is_str(name, "5.2.0.192.test.bl", "IPv4 query name reverses octets");
	(void)!addr_parse("2001:db8:1:2:3:4:567:89ab", &a);
	ok(addr_dnsbl_name(&a, "bl.example", name, sizeof(name)) == 0, "IPv6 query name built");
	is_str(name, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example",
	       "IPv6 query name is RFC 5782 nibbles");
	ok(addr_dnsbl_name(&a, "bl.example", name, 40) == -1, "too small a buffer is refused");
}

static const struct {
	const char *in;
	enum addr_class cls;
	bool special;
} class_cases[] = {
	{ "127.0.0.1", ADDR_CLASS_LOOPBACK, true },
	{ "10.1.2.3", ADDR_CLASS_PRIVATE, true },
	{ "172.31.255.255", ADDR_CLASS_PRIVATE, true },
	{ "172.32.0.0", ADDR_CLASS_GLOBAL, false },
	{ "192.168.1.1", ADDR_CLASS_PRIVATE, true },
	{ "100.64.0.1", ADDR_CLASS_SHARED, true },
	{ "169.254.1.1", ADDR_CLASS_LINKLOCAL, true },
	{ "192.0.2.5", ADDR_CLASS_DOCUMENTATION, false },
	{ "8.8.8.8", ADDR_CLASS_GLOBAL, false },
	{ "224.0.0.1", ADDR_CLASS_MULTICAST, true },
	{ "0.1.2.3", ADDR_CLASS_UNSPECIFIED, true },
	{ "::1", ADDR_CLASS_LOOPBACK, true },
	{ "::", ADDR_CLASS_UNSPECIFIED, true },
	{ "fd00::1", ADDR_CLASS_PRIVATE, true },
	{ "fe80::1", ADDR_CLASS_LINKLOCAL, true },
	{ "2001:db8::1", ADDR_CLASS_DOCUMENTATION, false },
	{ "2a00:1450::1", ADDR_CLASS_GLOBAL, false },
	{ "ff02::1", ADDR_CLASS_MULTICAST, true },
	{ "::ffff:10.0.0.1", ADDR_CLASS_PRIVATE, true },
};

static void test_classify(void)
{
	for (size_t i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		addr_t a;
		(void)!addr_parse(class_cases[i].in, &a);
		is_str(addr_class_name(addr_classify(&a)), addr_class_name(class_cases[i].cls),
		       "class of %s", class_cases[i].in);
		ok(addr_is_special(&a) == class_cases[i].special, "%s is %sspecial", class_cases[i].in,
		   class_cases[i].special ? "" : "not ");
	}
}

/* The hand-written IPv4 formatting agrees with inet_ntop for every octet value. */
static void test_format_v4(void)
{
	int bad = 0;

	for (unsigned v = 0; v < 256 * 4; v++) {
		addr_t a = { .family = AF_INET };
		char ours[ADDR_STRLEN], theirs[INET_ADDRSTRLEN];
		a.bytes[0] = (uint8_t)(v % 256);
		a.bytes[1] = (uint8_t)(255 - v % 256);
		a.bytes[2] = (uint8_t)(v / 4);
		a.bytes[3] = (uint8_t)(v * 7);
		inet_ntop(AF_INET, a.bytes, theirs, sizeof(theirs));
		if (strcmp(addr_format(&a, ours), theirs) != 0 && bad++ == 0)
			tap_diag("%s != %s", ours, theirs);
	}
	is_int(bad, 0, "IPv4 text identical to inet_ntop for 1024 addresses");
}

int main(void)
{
	test_format_v4();
	test_parse();
	test_prefix();
	test_range();
	test_dnsbl_name();
	test_classify();
	return tap_done();
}
