/* test_owners - RPSL and CSV owners, abuse references, most specific match. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "owners.h"
#include "tap.h"

static const struct {
	const char *addr;
	const char *network;	/* NULL: no owner */
	const char *netname;
	const char *abuse;
	const char *what;
} lookup_cases[] = {
	{ "192.0.2.1", "192.0.2.0 - 192.0.2.255", "NET-A", "abuse@net-a.example", "abuse-c to a role" },
	{ "192.0.2.130", "192.0.2.128 - 192.0.2.191", "NET-B-SUB", "irt@net-b.example",
	  "the more specific network, mnt-irt to an irt" },
	{ "192.0.2.192", "192.0.2.0 - 192.0.2.255", "NET-A", "abuse@net-a.example",
	  "just past the specific one" },
	{ "2001:db8:1::5", "2001:db8::/32", "NET-C6", "abuse6@net-c.example", "inet6num, own abuse-mailbox" },
	{ "198.51.100.77", "198.51.100.0 - 198.51.100.255", "NET-D", "abuse@net-d.example",
	  "org to an organisation, its abuse-c to a role" },
	{ "198.18.0.9", "198.18.0.0 - 198.18.0.255", "NET-NOABUSE", "", "an owner without abuse contact" },
	{ "203.0.113.5", NULL, NULL, NULL, "no owner" },
	{ "2001:db9::1", NULL, NULL, NULL, "no IPv6 owner" },
	{ "10.20.1.1", "10.20.0.0 - 10.20.255.255", "Example CSV Net", "abuse@csv.example", "CSV prefix" },
	{ "10.20.30.40", "10.20.30.0 - 10.20.30.255", "Sub CSV Net", "noc@sub.example", "CSV range, more specific" },
};

static void test_fixture(const char *dir)
{
	owners_t *o = owners_new();
	struct buf p1 = BUF_INIT, p2 = BUF_INIT;
	char *err = NULL;
	struct owners_stats st;

	buf_printf(&p1, "%s/tests/data/owners/registry.db", dir);
	buf_printf(&p2, "%s/tests/data/owners/owners.csv", dir);
	is_int(owners_load(o, buf_cstr(&p1), &err), 0, "the RPSL fixture loads");
	is_int(owners_load(o, buf_cstr(&p2), &err), 0, "the CSV fixture loads");
	owners_finish(o);
	owners_stats(o, &st);
	is_int(st.objects, 7, "five RPSL networks and two CSV rows");
	is_int(st.handles, 4, "two roles, an irt and an organisation kept");
	is_int(st.bad_lines, 2, "the broken inetnum and the bad CSV row are counted");
	is_int(st.no_abuse, 1, "one owner has no abuse contact");
	ok(st.memory > 0, "memory is counted");
	for (size_t i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		addr_t a;
		struct owner_info info;
		if (addr_parse(lookup_cases[i].addr, &a) != 0)
			abort();
		bool found = owners_lookup(o, &a, &info, NULL);
		if (lookup_cases[i].network == NULL) {
			ok(!found, "%s: %s", lookup_cases[i].what, lookup_cases[i].addr);
			continue;
		}
		ok(found, "%s: %s has an owner", lookup_cases[i].what, lookup_cases[i].addr);
		if (!found)
			continue;
		is_str(info.network, lookup_cases[i].network, "%s: network", lookup_cases[i].addr);
		is_str(info.netname, lookup_cases[i].netname, "%s: netname", lookup_cases[i].addr);
		is_str(info.abuse, lookup_cases[i].abuse, "%s: abuse", lookup_cases[i].addr);
	}
	addr_t a;
	struct owner_info info;
	if (addr_parse("192.0.2.1", &a) != 0)
		abort();
	if (owners_lookup(o, &a, &info, NULL)) {
		is_str(info.country, "NL", "country");
		is_str(info.org, "ORG-A1-TEST", "org");
	}
	buf_free(&p1);
	buf_free(&p2);
	owners_free(&o);
	ok(o == NULL, "free sets NULL");
}

static void test_edges(void)
{
	owners_t *o = owners_new();
	char *err = NULL;
	struct buf text = BUF_INIT;
	struct owners_stats st;

	/* same exact prefix from two objects: the smaller range keeps it */
	buf_puts(&text, "inetnum: 192.0.2.0 - 192.0.3.255\nnetname: BIG\n\n"
			"inetnum: 192.0.2.0 - 192.0.2.255\nnetname: SMALL\n\n"
			"inetnum: 192.0.2.0 - 192.0.3.255\nnetname: BIG-AGAIN\n\n");
	/* a line of OWNERS_LINE_MAX bytes is read, one longer is skipped */
	buf_puts(&text, "inetnum: 198.51.100.0 - 198.51.100.255\nnetname: ");
	for (size_t i = strlen("netname: "); i < OWNERS_LINE_MAX; i++)
		buf_putc(&text, 'n');
	buf_puts(&text, "\nabuse-mailbox: a@b.example\n\ninetnum: 203.0.113.0 - 203.0.113.255\nremarks: ");
	for (size_t i = strlen("remarks: "); i < OWNERS_LINE_MAX + 1; i++)
		buf_putc(&text, 'r');
	buf_puts(&text, "\nnetname: LONG\n");	/* no blank line at the end of the file */
	FILE *fp = fmemopen(text.data, text.len, "r");
	is_int(owners_load_stream(o, fp, "mem", false, &err), 0, "the stream loads");
	fclose(fp);
	owners_finish(o);
	owners_stats(o, &st);
	is_int(st.bad_lines, 1, "only the over-long line is bad");
	addr_t a;
	struct owner_info info;
	if (addr_parse("192.0.2.9", &a) != 0)
		abort();
	ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.netname, "SMALL") == 0,
	   "the smaller range keeps an exact prefix it shares");
	if (addr_parse("192.0.3.9", &a) != 0)
		abort();
	ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.netname, "BIG-AGAIN") == 0,
	   "the later of two equal ranges wins");
	if (addr_parse("198.51.100.1", &a) != 0)
		abort();
	ok(owners_lookup(o, &a, &info, NULL) && strlen(info.netname) == OWNERS_VALUE_MAX,
	   "a long value is cut to OWNERS_VALUE_MAX");
	if (addr_parse("203.0.113.1", &a) != 0)
		abort();
	ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.netname, "LONG") == 0,
	   "the object around an over-long line survives, also without a final blank line");
	owners_free(&o);
	buf_free(&text);

	o = owners_new();
	is_int(owners_load(o, "/nonexistent/owners.db", &err), -1, "a missing file is an error");
	ok(err != NULL && strstr(err, "/nonexistent/owners.db") != NULL, "naming it");
	free(err);
	owners_free(&o);
}

static void test_fallback(void)
{
	static const struct {
		const char *addr, *net;
	} cases[] = {
		{ "203.0.113.77", "203.0.113.0/24" },
		{ "2001:db8:aaaa:bbbb::1", "2001:db8:aaaa::/48" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		addr_t a;
		struct buf out = BUF_INIT;
		if (addr_parse(cases[i].addr, &a) != 0)
			abort();
		owners_fallback_network(&a, &out);
		is_str(buf_cstr(&out), cases[i].net, "fallback group of %s", cases[i].addr);
		buf_free(&out);
	}
}

int main(void)
{
	const char *top = getenv("top_srcdir");

	log_set_level(LOG_LVL_ERROR);
	test_fixture(top != NULL ? top : ".");
	test_edges();
	test_fallback();
	return tap_done();
}
