/* test_owners - RPSL, ARIN and CSV owners in each registry's real shape,
 * contacts found as the registries mean them, hostile entries refused. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox.h"
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

/* Load the named fixtures (under tests/data/owners) and finish. */
static owners_t *load_fixtures(const char *dir, const char *const *names)
{
	owners_t *o = owners_new();

	for (size_t i = 0; names[i] != NULL; i++) {
		struct buf p = BUF_INIT;
		char *err = NULL;
		buf_printf(&p, "%s/tests/data/owners/%s", dir, names[i]);
		if (!ok(owners_load(o, buf_cstr(&p), &err) == 0, "%s loads", names[i])) {
			tap_diag("%s", err);
			free(err);
		}
		buf_free(&p);
	}
	owners_finish(o);
	return o;
}

static const struct registry_case {
	const char *addr, *network, *netname, *abuse;
	enum owner_via via;
	const char *via_handle;
	const char *inherited_from;	/* "" = its own */
	enum owner_why why;
	const char *org_name;	/* NULL = not checked */
	const char *what;
} registry_cases[] = {
	/* RIPE, the model of RIPE whois' abuse-contact rules */
	{ "198.18.1.7", "198.18.1.0 - 198.18.1.255", "END1-NET", "abuse@lir1.example", OWNER_VIA_ORG, "ORG-LIR1-TEST",
	  "198.18.0.0 - 198.18.255.255", OWNER_WHY_NONE, "End User One",
	  "RIPE: ASSIGNED PA without a contact gets its ALLOCATED PA's organisation's abuse-c" },
	{ "198.18.2.5", "198.18.2.0 - 198.18.2.127", "END2-NET", "abuse@end2.example", OWNER_VIA_ABUSE_C, "OPS4-TEST",
	  "", OWNER_WHY_NONE, "", "RIPE: its own abuse-c, handle in another case" },
	{ "198.18.3.9", "198.18.3.0 - 198.18.3.255", "END3-NET", "irt@end3.example", OWNER_VIA_IRT, "IRT-TEST", "",
	  OWNER_WHY_NONE, NULL, "RIPE: mnt-irt IRT-TEST names irt: irt-test" },
	{ "198.18.200.1", "198.18.0.0 - 198.18.255.255", "NL-LIR1-20200101", "abuse@lir1.example", OWNER_VIA_ORG,
	  "ORG-LIR1-TEST", "", OWNER_WHY_NONE, "Example LIR B.V.", "RIPE: the allocation, organisation's abuse-c" },
	{ "198.18.5.5", "198.18.5.0 - 198.18.5.255", "SUB1-CUST", "abuse@sub.example", OWNER_VIA_ORG, "ORG-SUB1-TEST",
	  "198.18.4.0 - 198.18.7.255", OWNER_WHY_NONE, NULL, "RIPE: the nearest enclosing contact, not the LIR's" },
	{ "198.18.6.1", "198.18.4.0 - 198.18.7.255", "SUB1-NET", "abuse@sub.example", OWNER_VIA_ORG, "ORG-SUB1-TEST",
	  "", OWNER_WHY_NONE, "Sub Provider", "RIPE: SUB-ALLOCATED PA with its own organisation" },
	{ "198.18.8.8", "198.18.8.0 - 198.18.8.255", "HOSTILE1-NET", "abuse@lir1.example", OWNER_VIA_ORG,
	  "ORG-LIR1-TEST", "198.18.0.0 - 198.18.255.255", OWNER_WHY_NONE, NULL,
	  "RIPE: abuse-c mailbox 'root' refused, the enclosing contact used" },
	{ "198.19.0.1", "198.19.0.0 - 198.19.0.255", "UNKNOWN-C-NET", "", OWNER_VIA_NONE, "", "",
	  OWNER_WHY_UNKNOWN_HANDLE, NULL, "RIPE: an abuse-c no file defines" },
	{ "198.19.1.1", "198.19.1.0 - 198.19.1.255", "NOABUSE-ORG-NET", "", OWNER_VIA_NONE, "", "", OWNER_WHY_NO_MAILBOX,
	  "No Abuse GmbH", "RIPE: an organisation without abuse-c" },
	{ "198.19.2.1", "198.19.2.0 - 198.19.2.255", "BARE-NET", "", OWNER_VIA_NONE, "", "", OWNER_WHY_NO_CONTACT, NULL,
	  "RIPE: no contact named anywhere" },
	{ "2001:db8:1::9", "2001:db8:1::/48", "END1-V6", "abuse@lir1.example", OWNER_VIA_ORG, "ORG-LIR1-TEST",
	  "2001:db8::/32", OWNER_WHY_NONE, NULL, "RIPE: inet6num ASSIGNED inherits from ALLOCATED-BY-RIR" },
	{ "2001:db8:ffff::1", "2001:db8::/32", "NL-LIR1-V6", "abuse@lir1.example", OWNER_VIA_ORG, "ORG-LIR1-TEST", "",
	  OWNER_WHY_NONE, NULL, "RIPE: the IPv6 allocation" },
	/* APNIC, CRLF */
	{ "203.0.113.5", "203.0.113.0 - 203.0.113.255", "EXAMPLE-AU", "abuse@example-au.example", OWNER_VIA_ABUSE_C,
	  "AE123-AP", "", OWNER_WHY_NONE, NULL, "APNIC: abuse-c before mnt-irt" },
	{ "203.0.113.130", "203.0.113.128 - 203.0.113.191", "EXAMPLE-AU-IRT", "irt@example-au.example", OWNER_VIA_IRT,
	  "IRT-EXAMPLE-AU", "", OWNER_WHY_NONE, NULL, "APNIC: mnt-irt alone" },
	/* AFRINIC, CRLF */
	{ "192.0.2.200", "192.0.2.0 - 192.0.2.255", "EXAMPLE-ZA", "abuse@example-za.example", OWNER_VIA_IRT,
	  "IRT-EXAMPLE-ZA", "", OWNER_WHY_NONE, "Example (Pty) Ltd", "AFRINIC: organisation without abuse-c, then mnt-irt" },
	/* LACNIC */
	{ "198.51.100.7", "198.51.100.0 - 198.51.100.255", "", "noc@cliente.example", OWNER_VIA_ABUSE_C, "CLE", "",
	  OWNER_WHY_NONE, "Cliente Exemplo Ltda", "LACNIC: 198.51.100/24, abuse-c cle names nic-hdl CLE's e-mail" },
	{ "198.51.101.7", "198.51.101.0 - 198.51.101.255", "", "abuse@provedor.example", OWNER_VIA_ABUSE_C, "ABP",
	  "198.51.0.0 - 198.51.255.255", OWNER_WHY_NONE, "Cliente Sem Abuse",
	  "LACNIC: no abuse-c, an unknown owner-c: the inetnum-up's abuse-c" },
	{ "198.51.7.7", "198.51.0.0 - 198.51.255.255", "", "abuse@provedor.example", OWNER_VIA_ABUSE_C, "ABP", "",
	  OWNER_WHY_NONE, "Provedor Exemplo S.A.", "LACNIC: 198.51/16" },
	{ "2001:db8:100::1", "2001:db8:100::/48", "", "noc@cliente.example", OWNER_VIA_ABUSE_C, "CLE", "",
	  OWNER_WHY_NONE, NULL, "LACNIC: an IPv6 network under inetnum:" },
	{ "203.0.112.9", "203.0.112.0 - 203.0.112.255", "", "owner@so-owner.example", OWNER_VIA_OWNER_C, "SOC", "",
	  OWNER_WHY_NONE, "So Owner-c", "LACNIC: owner-c to a nic-hdl-br contact, when nothing else" },
	/* ARIN bulk whois */
	{ "100.64.0.5", "100.64.0.0 - 100.64.2.255", "EXAMPLE-NETS", "abuse@example-networks.example", OWNER_VIA_ORG,
	  "EXN-1", "", OWNER_WHY_NONE, "Example Networks, Inc.", "ARIN: the Org's OrgAbuseHandle POC's Mailbox" },
	{ "100.64.1.5", "100.64.1.0 - 100.64.1.255", "EXN-CUST-1", "abuse@example-networks.example", OWNER_VIA_ORG,
	  "EXN-1", "100.64.0.0 - 100.64.2.255", OWNER_WHY_NONE, "Customer One LLC",
	  "ARIN: a reassignment without abuse POC inherits its parent's" },
	{ "100.64.2.5", "100.64.2.0 - 100.64.2.127", "EXN-CUST-2", "jane.doe@customer-two.example", OWNER_VIA_ABUSE_C,
	  "CUST2ABUSE-ARIN", "", OWNER_WHY_NONE, NULL, "ARIN: the Net's own AbuseHandle" },
	{ "100.64.2.200", "100.64.0.0 - 100.64.2.255", "EXAMPLE-NETS", "abuse@example-networks.example", OWNER_VIA_ORG,
	  "EXN-1", "", OWNER_WHY_NONE, NULL, "ARIN: a NetRange that is not one prefix, its second prefix" },
	{ "2001:db8:2::1", "2001:db8:2::/48", "EXAMPLE-V6", "abuse@example-networks.example", OWNER_VIA_ORG, "EXN-1", "",
	  OWNER_WHY_NONE, NULL, "ARIN: V6NetHandle" },
	/* ARIN whois output */
	{ "100.65.3.4", "100.65.0.0 - 100.65.255.255", "WHOIS-EXAMPLE", "abuse@whois-example.example", OWNER_VIA_ORG,
	  "WEC-7", "", OWNER_WHY_NONE, "Whois Example Corp", "ARIN whois output: Organization (ID), OrgAbuseEmail" },
};

static void check_case(const owners_t *o, const struct registry_case *c)
{
	addr_t a;
	struct owner_info info;

	if (addr_parse(c->addr, &a) != 0)
		abort();
	if (!ok(owners_lookup(o, &a, &info, NULL), "%s: %s has an owner", c->what, c->addr))
		return;
	is_str(info.network, c->network, "%s: network", c->addr);
	is_str(info.netname, c->netname, "%s: netname", c->addr);
	is_str(info.abuse, c->abuse, "%s: contact", c->addr);
	is_int(info.via, c->via, "%s: found via %s", c->addr, owners_via_name(c->via));
	is_str(info.via_handle, c->via_handle, "%s: via handle", c->addr);
	ok(info.inherited == (c->inherited_from[0] != '\0'), "%s: inherited or not", c->addr);
	is_str(info.inherited_from, c->inherited_from, "%s: inherited from", c->addr);
	is_int(info.why, c->why, "%s: why none", c->addr);
	if (c->org_name != NULL)
		is_str(info.org_name, c->org_name, "%s: organisation name", c->addr);
}

static void test_registries(const char *dir)
{
	static const char *const files[] = { "ripe.db.inetnum", "ripe.db.contacts", "apnic.db", "afrinic.db",
					     "lacnic.db",	"arin_db.txt",	    "arin-whois.txt", NULL };
	owners_t *o = load_fixtures(dir, files);
	struct owners_stats st;

	owners_stats(o, &st);
	is_int(st.objects, 12 + 2 + 1 + 5 + 4 + 1, "every registry's networks are kept");
	is_int(st.bad_lines, 0, "no line of the registry fixtures is bad");
	is_int(st.refused, 1, "one contact refused (HOST1-TEST's 'root')");
	is_int(st.no_abuse, 3, "three RIPE networks without a contact");
	is_int(st.inherited, 6, "six networks inherit a contact");
	for (size_t i = 0; i < sizeof(registry_cases) / sizeof(registry_cases[0]); i++)
		check_case(o, &registry_cases[i]);
	owners_free(&o);
}

/* How a contact was found, or why none, in words. */
static void test_explain(const char *dir)
{
	static const char *const files[] = { "ripe.db.inetnum", "ripe.db.contacts", "hostile.db", NULL };
	static const struct {
		const char *addr, *text;
	} cases[] = {
		{ "198.18.2.5", "abuse-c OPS4-TEST" },
		{ "198.18.1.7", "org ORG-LIR1-TEST, inherited from 198.18.0.0 - 198.18.255.255 (NL-LIR1-20200101)" },
		{ "198.19.0.1", "none: the handles it names are not in the owners files" },
		{ "198.19.2.1",
		  "none: no abuse-mailbox, abuse-c, org, mnt-irt or owner-c here or on an enclosing network" },
		{ "192.0.2.20", "none: the mailbox found was refused at @/hostile.db:11 (starts with '-')" },
		{ "192.0.2.90", "none: the mailbox found was refused at @/hostile.db:46 (domain not fully qualified)" },
	};
	owners_t *o = load_fixtures(dir, files);
	struct buf want = BUF_INIT, got = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		addr_t a;
		struct owner_info info;
		const char *at = strchr(cases[i].text, '@');
		buf_reset(&want);
		buf_reset(&got);
		if (at != NULL && at[1] == '/') {	/* "@/" stands for the fixture folder */
			buf_append(&want, cases[i].text, (size_t)(at - cases[i].text));
			buf_printf(&want, "%s/tests/data/owners%s", dir, at + 1);
		} else {
			buf_puts(&want, cases[i].text);
		}
		if (addr_parse(cases[i].addr, &a) != 0 || !owners_lookup(o, &a, &info, NULL)) {
			ok(false, "explain %s: no owner", cases[i].addr);
			continue;
		}
		owners_explain(&info, &got);
		is_str(buf_cstr(&got), buf_cstr(&want), "explain %s", cases[i].addr);
	}
	buf_free(&want);
	buf_free(&got);
	owners_free(&o);
}

/* Nothing a hostile owners file holds is ever returned as a contact. */
static void test_hostile(const char *dir)
{
	static const char *const files[] = { "hostile.db", "hostile.csv", NULL };
	static const struct {
		const char *addr, *netname, *abuse;
		bool inherited;
	} cases[] = {
		{ "45.0.2.9", "Org2, Inc", "abuse@two.example", false },
		{ "45.0.3.9", "The \"Best\" ISP", "abuse@best.example", false },
		{ "45.0.4.9", "Spaced Owner", "abuse@spaced.example", false },
		{ "45.0.5.9", "Org5", "abuse@parent.example", true },
		{ "45.0.6.9", "Org6", "abuse@parent.example", true },
		{ "45.0.7.9", "Org7", "abuse@parent.example", true },
		{ "45.0.8.9", "Parent Org", "abuse@parent.example", false },
		{ "45.0.9.9", "Parent Org", "abuse@parent.example", false },
		{ "45.0.12.9", "Org12", "abuse@parent.example", true },
	};
	owners_t *o = load_fixtures(dir, files);
	struct owners_stats st;
	size_t seen = 0, bad = 0;

	owners_stats(o, &st);
	is_int(st.refused, 11 + 3, "11 RPSL and 3 CSV contacts refused");
	is_int(st.bad_lines, 4, "4 CSV rows refused (4 fields, unclosed quote, stray quote, text after quote)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		addr_t a;
		struct owner_info info;
		if (addr_parse(cases[i].addr, &a) != 0)
			abort();
		if (!ok(owners_lookup(o, &a, &info, NULL), "%s has an owner", cases[i].addr))
			continue;
		is_str(info.netname, cases[i].netname, "%s: owner column decoded", cases[i].addr);
		is_str(info.abuse, cases[i].abuse, "%s: contact", cases[i].addr);
		ok(info.inherited == cases[i].inherited, "%s: inherited %d", cases[i].addr, cases[i].inherited);
	}
	/* every address of the hostile RPSL networks: no contact, refused, with the line */
	for (unsigned h = 0; h < 256; h++) {
		addr_t a = { .family = AF_INET, .bytes = { 192, 0, 2, (uint8_t)h } };
		struct owner_info info;
		if (!owners_lookup(o, &a, &info, NULL))
			continue;
		seen++;
		bad += info.abuse[0] != '\0' || info.why != OWNER_WHY_REFUSED || info.refused_line == 0 ||
		       info.refused_status == MAILBOX_OK;
	}
	is_int(seen, 176, "the hostile networks cover 192.0.2.0 - 192.0.2.175");
	is_int(bad, 0, "none has a contact; each says which line was refused");
	for (unsigned h = 0; h < 65536; h += 7) {
		addr_t a = { .family = AF_INET, .bytes = { 45, 0, (uint8_t)(h >> 8), (uint8_t)h } };
		struct owner_info info;
		if (owners_lookup(o, &a, &info, NULL) && info.abuse[0] != '\0' && !mailbox_valid(info.abuse))
			bad++;
	}
	is_int(bad, 0, "every CSV contact returned is a valid mailbox");
	owners_free(&o);
}

static void put_v4(struct buf *b, uint32_t v)
{
	buf_printf(b, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

/* 300 nested networks, outermost first or last: the innermost inherits the
 * outermost's contact either way; ranges that overlap without nesting
 * still find the network that holds them. */
static void test_nesting(void)
{
	for (int reverse = 0; reverse < 2; reverse++) {
		struct buf text = BUF_INIT;
		owners_t *o = owners_new();
		char *err = NULL;
		const uint32_t base = 0x0a000000u;	/* 10.0.0.0 */

		for (int i = 0; i < 300; i++) {
			int k = reverse ? 299 - i : i;
			buf_puts(&text, "inetnum: ");
			put_v4(&text, base + (uint32_t)k);
			buf_puts(&text, " - ");
			put_v4(&text, base + 0xffffu - (uint32_t)k);
			buf_printf(&text, "\nnetname: N%d\n%s\n", k, k == 0 ? "abuse-mailbox: outer@nest.example\n" : "");
		}
		/* outermost first: the file is in the walk's order; innermost first: it is sorted */
		buf_puts(&text, "inetnum: 10.1.0.0/16\nnetname: HOLDER\nabuse-mailbox: holder@nest.example\n\n");
		for (int k = 0; k < 10; k++) {	/* overlapping, not nested, inside 10.1.0.0/16 */
			buf_puts(&text, "inetnum: ");
			put_v4(&text, base + 0x10000u + (uint32_t)k * 100);
			buf_puts(&text, " - ");
			put_v4(&text, base + 0x10000u + (uint32_t)k * 100 + 150);
			buf_printf(&text, "\nnetname: O%d\n\n", k);
		}
		FILE *fp = fmemopen(text.data, text.len, "r");
		is_int(owners_load_stream(o, fp, "nest", false, &err), 0, "nested networks load (%s)",
		       reverse ? "innermost first" : "outermost first");
		fclose(fp);
		owners_finish(o);
		addr_t a;
		struct owner_info info;
		if (addr_parse("10.0.128.0", &a) != 0)
			abort();
		ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.netname, "N299") == 0 &&
		   strcmp(info.abuse, "outer@nest.example") == 0 && info.inherited &&
		   strcmp(info.inherited_from, "10.0.0.0 - 10.0.255.255") == 0,
		   "the innermost of 300 inherits the outermost's contact");
		if (addr_parse("10.1.2.70", &a) != 0)
			abort();
		ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.netname, "O5") == 0 &&
		   strcmp(info.abuse, "holder@nest.example") == 0,
		   "an overlapping network inherits from the one that holds it");
		owners_free(&o);
		buf_free(&text);
	}
}

/* A CSV file from a spreadsheet: byte order mark, data on line 1, CRLF. */
static void test_csv_bom(void)
{
	static const char text[] = "\xef\xbb\xbf" "198.51.100.0/24,\"Bom, Inc\",abuse@bom.example\r\n";
	owners_t *o = owners_new();
	char *err = NULL;
	FILE *fp = fmemopen((void *)text, sizeof(text) - 1, "r");
	addr_t a;
	struct owner_info info;

	is_int(owners_load_stream(o, fp, "mem.csv", true, &err), 0, "a CSV file with a byte order mark loads");
	fclose(fp);
	owners_finish(o);
	if (addr_parse("198.51.100.1", &a) != 0)
		abort();
	ok(owners_lookup(o, &a, &info, NULL) && strcmp(info.abuse, "abuse@bom.example") == 0 &&
	   strcmp(info.netname, "Bom, Inc") == 0,
	   "its first line is data, not lost to the mark");
	owners_free(&o);
}

/* Formats that are not owners files are refused by name. */
static void test_other_formats(void)
{
	static const struct {
		const char *text, *name;
	} cases[] = {
		{ "{\"objectClassName\": \"ip network\"}\n", "JSON" },
		{ "<?xml version=\"1.0\"?>\n<bulkwhois/>\n", "XML" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		owners_t *o = owners_new();
		char *err = NULL;
		FILE *fp = fmemopen((void *)cases[i].text, strlen(cases[i].text), "r");
		is_int(owners_load_stream(o, fp, "mem", false, &err), -1, "%s is refused", cases[i].name);
		ok(err != NULL && strstr(err, cases[i].name) != NULL, "the error names %s: %s", cases[i].name,
		   err ? err : "(none)");
		free(err);
		fclose(fp);
		owners_free(&o);
	}
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
	test_registries(top != NULL ? top : ".");
	test_explain(top != NULL ? top : ".");
	test_hostile(top != NULL ? top : ".");
	test_other_formats();
	test_csv_bom();
	test_nesting();
	test_fallback();
	return tap_done();
}
