/*
 * ctl_doctor - `relayguard-ctl doctor [--json]`: ask every configured DNS
 * list its RFC 5782 test questions through the configured resolver, and
 * say what is wrong before it costs mail.
 *
 * Per zone (dnsbl_sites; rhsbl_helo_sites and rhsbl_sender_sites, a zone in
 * both asked once), all in parallel under one deadline, dnsbl_timeout, with
 * the resolver settings the engine uses:
 *   IP lists      2.0.0.127.ZONE must be listed, 1.0.0.127.ZONE must not;
 *                 with dnsbl_ipv6 = yes also ::FFFF:7F00:2 (listed) and
 *                 ::FFFF:7F00:1 (not listed) as nibbles (RFC 5782 section 5)
 *   domain lists  test.ZONE must be listed, invalid.ZONE must not
 * "Listed" means an A answer in 127.0.0.0/8 that is not an error code
 * (dnsbl_error_codes, the same rule as the daemons), whatever the zone's
 * filter.  The findings and their words come from dnsbl_diag, as in the
 * daemons' log lines.  A zone shown under dnsbl_reply_map is printed by its
 * mapped name: the zone may carry an access key.
 *
 * Exit status: 0 every zone healthy (notes allowed), 1 a problem found,
 * 2 cannot run (bad config, no zones, the resolver cannot start).
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "ctl.h"
#include "dnsbl.h"
#include "dnsbl_diag.h"
#include "json.h"
#include "mem.h"
#include "resolver.h"

/* Test queries of one zone, findings per zone (one per diagnosis). */
#define DOCTOR_TESTS_MAX 4u
#define DOCTOR_FINDINGS_MAX 8u
/* A test name in front of the zone: at most 32 nibbles and their dots. */
#define DOCTOR_QNAME_MAX (DNSBL_NAME_MAX + 80u)

/* The RFC 5782 test names (section 5), in query form. */
struct test_spec {
	const char *label;	/* as the RFC writes it */
	const char *prefix;	/* in front of ".ZONE" */
	bool must_list;
	bool ipv6;
};
static const struct test_spec ip4_tests[] = {
	{ "127.0.0.2", "2.0.0.127", true, false },
	{ "127.0.0.1", "1.0.0.127", false, false },
};
static const struct test_spec ip6_tests[] = {
	{ "::FFFF:7F00:2", "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", true, true },
	{ "::FFFF:7F00:1", "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", false, true },
};
static const struct test_spec domain_tests[] = {
	{ "TEST", "test", true, false },
	{ "INVALID", "invalid", false, false },
};

struct doctor;

struct test_run {
	const struct test_spec *spec;
	struct zone_run *zone;
	char qname[DOCTOR_QNAME_MAX + 1];
	resolver_query_t *query;	/* NULL once answered or cancelled */
	bool answered;
	enum resolver_status status;
	size_t n_a;
	uint32_t a[RESOLVER_MAX_A];
	uint64_t us;
};

struct finding {
	const struct dnsbl_diag *diag;
	const char *test;	/* the test's label */
	uint32_t code;		/* the error or listing code, 0 = none */
};

struct zone_run {
	struct doctor *doc;
	const char *zone;	/* as configured (borrowed from the cfg) */
	const char *shown;	/* the dnsbl_reply_map name, or zone */
	bool ip;
	char settings[64];	/* "dnsbl_sites", "rhsbl_helo_sites, rhsbl_sender_sites" */
	struct test_run tests[DOCTOR_TESTS_MAX];
	size_t n_tests;
	struct finding findings[DOCTOR_FINDINGS_MAX];
	size_t n_findings;
	uint64_t slowest_us;
	bool any_answer;
};

struct doctor {
	const cfg_t *cfg;
	struct event_base *base;
	resolver_t *res;
	struct dnsbl_error_code *codes;
	size_t n_codes;
	struct zone_run *zones;
	size_t n_zones;
	size_t pending;
	uint64_t start_us;
};

static void code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff);
}

/* ---- zones ------------------------------------------------------------ */

static struct zone_run *zone_find(struct doctor *doc, const char *zone, bool ip)
{
	for (size_t i = 0; i < doc->n_zones; i++)
		if (doc->zones[i].ip == ip && strcmp(doc->zones[i].zone, zone) == 0)
			return &doc->zones[i];
	return NULL;
}

static void zone_add_tests(struct zone_run *z, const struct test_spec *specs, size_t n)
{
	for (size_t i = 0; i < n && z->n_tests < DOCTOR_TESTS_MAX; i++)
		z->tests[z->n_tests++].spec = &specs[i];
}

/* Every zone of one setting, a zone already taken from another setting once. */
static void zones_collect(struct doctor *doc, enum cfg_id id, bool ip)
{
	const struct cfg_sitelist *sites = cfg_sites(doc->cfg, id);
	const struct cfg_map *map = cfg_map(doc->cfg, CFG_DNSBL_REPLY_MAP);

	for (size_t i = 0; i < sites->n; i++) {
		const char *zone = sites->items[i].zone;
		struct zone_run *z = zone_find(doc, zone, ip);
		if (z != NULL) {
			size_t len = strlen(z->settings);
			snprintf(z->settings + len, sizeof(z->settings) - len, ", %s", cfg_name(id));
			continue;
		}
		doc->zones = xreallocarray(doc->zones, doc->n_zones + 1, sizeof(*doc->zones));
		z = &doc->zones[doc->n_zones++];
		memset(z, 0, sizeof(*z));
		z->doc = doc;
		z->zone = zone;
		z->shown = cfg_map_get(map, zone) ? cfg_map_get(map, zone) : zone;
		z->ip = ip;
		snprintf(z->settings, sizeof(z->settings), "%s", cfg_name(id));
		if (!ip) {
			zone_add_tests(z, domain_tests, 2);
			continue;
		}
		zone_add_tests(z, ip4_tests, 2);
		if (cfg_bool(doc->cfg, CFG_DNSBL_IPV6))
			zone_add_tests(z, ip6_tests, 2);
	}
}

/* ---- queries ---------------------------------------------------------- */

static void on_answer(const struct resolver_answer *ans, void *arg)
{
	struct test_run *t = arg;

	t->query = NULL;
	t->answered = true;
	t->status = ans->status;
	t->us = clock_now_us() - t->zone->doc->start_us;
	t->n_a = ans->n_a < RESOLVER_MAX_A ? ans->n_a : RESOLVER_MAX_A;
	memcpy(t->a, ans->a, t->n_a * sizeof(t->a[0]));
	if (--t->zone->doc->pending == 0)
		event_base_loopbreak(t->zone->doc->base);
}

/* Send every test query, wait for the answers or the deadline, cancel the rest. */
static void queries_run(struct doctor *doc)
{
	uint64_t timeout_ms = cfg_ms(doc->cfg, CFG_DNSBL_TIMEOUT);
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000 * 1000) };

	doc->start_us = clock_now_us();
	for (size_t i = 0; i < doc->n_zones; i++) {
		struct zone_run *z = &doc->zones[i];
		for (size_t k = 0; k < z->n_tests; k++) {
			struct test_run *t = &z->tests[k];
			t->zone = z;
			snprintf(t->qname, sizeof(t->qname), "%s.%s", t->spec->prefix, z->zone);
			doc->pending++;
			t->query = resolver_query_a(doc->res, t->qname, on_answer, t);
		}
	}
	event_base_loopexit(doc->base, &tv);
	event_base_dispatch(doc->base);
	for (size_t i = 0; i < doc->n_zones; i++) {
		for (size_t k = 0; k < doc->zones[i].n_tests; k++) {
			struct test_run *t = &doc->zones[i].tests[k];
			if (t->answered)
				continue;
			resolver_cancel(t->query);
			t->query = NULL;
			t->status = RESOLVER_TIMEOUT;	/* what the engine would call it */
		}
	}
}

/* ---- judging ---------------------------------------------------------- */

static void zone_add_finding(struct zone_run *z, const struct dnsbl_diag *dg, const struct test_run *t,
			     uint32_t code)
{
	for (size_t i = 0; i < z->n_findings; i++)
		if (z->findings[i].diag == dg)
			return;		/* one per diagnosis: the first test that showed it */
	if (z->n_findings < DOCTOR_FINDINGS_MAX)
		z->findings[z->n_findings++] = (struct finding){ dg, t->spec->label, code };
}

static bool zone_has(const struct zone_run *z, enum dnsbl_diag_id id)
{
	for (size_t i = 0; i < z->n_findings; i++)
		if (z->findings[i].diag->id == id)
			return true;
	return false;
}

/*
 * One test: a failure, an error code, an answer outside 127/8, or whether
 * it is listed as the RFC says it must (not) be.
 */
static void test_judge(struct zone_run *z, const struct test_run *t)
{
	struct doctor *doc = z->doc;
	bool listed = false;

	switch (t->status) {
	case RESOLVER_OK: break;
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA: break;
	case RESOLVER_TIMEOUT: zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_TIMEOUT), t, 0); return;
	case RESOLVER_SERVFAIL: zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_SERVFAIL), t, 0); return;
	case RESOLVER_REFUSED: zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_REFUSED), t, 0); return;
	default: zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_DNS_ERROR), t, 0); return;
	}
	for (size_t i = 0; i < t->n_a; i++) {
		if (dnsbl_error_code_match(doc->codes, doc->n_codes, z->zone, t->a[i])) {
			zone_add_finding(z, dnsbl_diag_for_code(t->a[i]), t, t->a[i]);
			return;
		}
	}
	for (size_t i = 0; i < t->n_a; i++) {
		if (t->a[i] >> 24 != 127) {
			zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_OUTSIDE), t, t->a[i]);
			return;
		}
	}
	listed = t->status == RESOLVER_OK && t->n_a > 0;
	if (!t->spec->must_list && listed)
		zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_LISTS_EVERYTHING), t, t->a[0]);
	else if (t->spec->must_list && !listed && !t->spec->ipv6)
		zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_TEST_ENTRY_MISSING), t, 0);
	else if (t->spec->must_list && !listed && !zone_has(z, DNSBL_DIAG_TEST_ENTRY_MISSING))
		zone_add_finding(z, dnsbl_diag_get(DNSBL_DIAG_NO_IPV6), t, 0);	/* IPv4 fine, IPv6 not */
}

static bool zone_judge(struct zone_run *z)
{
	bool problem = false;

	for (size_t k = 0; k < z->n_tests; k++) {
		const struct test_run *t = &z->tests[k];
		if (t->answered) {
			z->any_answer = true;
			if (t->us > z->slowest_us)
				z->slowest_us = t->us;
		}
		test_judge(z, t);
	}
	for (size_t i = 0; i < z->n_findings; i++)
		problem |= z->findings[i].diag->problem;
	return problem;
}

/* ---- output ----------------------------------------------------------- */

/* What one test got, in words: "listed 127.0.0.2", "nxdomain", "timeout". */
static void test_answer_text(const struct test_run *t, struct buf *out)
{
	char code[16];

	if (t->status != RESOLVER_OK || t->n_a == 0) {
		buf_puts(out, resolver_status_name(t->status));
		return;
	}
	for (size_t i = 0; i < t->n_a; i++) {
		code_text(t->a[i], code);
		buf_printf(out, "%s%s", i ? "," : "answered ", code);
	}
}

static const char *zone_verdict(const struct zone_run *z, bool problem)
{
	if (problem)
		return "PROBLEM";
	return z->n_findings > 0 ? "healthy, with a note" : "healthy";
}

static void print_zone_text(const struct zone_run *z, bool problem)
{
	struct buf line = BUF_INIT;
	char code[16];

	printf("\nzone %s (%s%s): %s", z->shown, z->settings,
	       z->shown != z->zone ? "; its dnsbl_reply_map name" : "", zone_verdict(z, problem));
	if (z->any_answer)
		printf(", %.1f ms\n", z->slowest_us / 1000.0);
	else
		printf(", no answer\n");
	for (size_t k = 0; k < z->n_tests; k++) {
		const struct test_run *t = &z->tests[k];
		buf_reset(&line);
		test_answer_text(t, &line);
		printf("  %-14s %-18s ", t->spec->label, t->spec->must_list ? "must be listed" : "must not be listed");
		if (t->answered)
			printf("%-36s %8.1f ms\n", buf_cstr(&line), t->us / 1000.0);
		else
			printf("%s\n", buf_cstr(&line));
	}
	for (size_t i = 0; i < z->n_findings; i++) {
		const struct finding *f = &z->findings[i];
		code[0] = '\0';
		if (f->code != 0)
			code_text(f->code, code);
		printf("  %s %s (%s%s%s): %s\n    fix: %s\n", f->diag->problem ? "problem" : "note",
		       f->diag->name, f->test, code[0] ? " answered " : "", code, f->diag->meaning,
		       f->diag->fix);
	}
	buf_free(&line);
}

static void json_code(struct buf *out, uint32_t code)
{
	char text[16];

	code_text(code, text);
	json_str(out, code != 0 ? text : NULL);
}

static void print_zone_json(struct buf *out, const struct zone_run *z, bool problem)
{
	buf_putc(out, '{');
	json_key(out, "zone");
	json_str(out, z->shown);
	json_key(out, "kind");
	json_str(out, z->ip ? "dnsbl" : "rhsbl");
	json_key(out, "settings");
	json_str(out, z->settings);
	json_key(out, "healthy");
	buf_puts(out, problem ? "false" : "true");
	json_key(out, "ms");
	if (z->any_answer)
		buf_printf(out, "%.3f", z->slowest_us / 1000.0);
	else
		buf_puts(out, "null");
	json_key(out, "tests");
	buf_putc(out, '[');
	for (size_t k = 0; k < z->n_tests; k++) {
		const struct test_run *t = &z->tests[k];
		buf_puts(out, k ? ",{" : "{");
		json_key(out, "name");
		json_str(out, t->spec->label);
		json_key(out, "must_be_listed");
		buf_puts(out, t->spec->must_list ? "true" : "false");
		json_key(out, "status");
		json_str(out, resolver_status_name(t->status));
		json_key(out, "codes");
		buf_putc(out, '[');
		for (size_t i = 0; i < t->n_a; i++) {
			if (i)
				buf_putc(out, ',');
			json_code(out, t->a[i]);
		}
		buf_putc(out, ']');
		json_key(out, "ms");
		if (t->answered)
			buf_printf(out, "%.3f", t->us / 1000.0);
		else
			buf_puts(out, "null");
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, "findings");
	buf_putc(out, '[');
	for (size_t i = 0; i < z->n_findings; i++) {
		const struct finding *f = &z->findings[i];
		buf_puts(out, i ? ",{" : "{");
		json_key(out, "id");
		json_str(out, f->diag->name);
		json_key(out, "problem");
		buf_puts(out, f->diag->problem ? "true" : "false");
		json_key(out, "test");
		json_str(out, f->test);
		json_key(out, "code");
		json_code(out, f->code);
		json_key(out, "meaning");
		json_str(out, f->diag->meaning);
		json_key(out, "fix");
		json_str(out, f->diag->fix);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

/* ---- setup ------------------------------------------------------------ */

/* The resolver exactly as the engine builds it (engine_setup.c). */
static int doctor_resolver(struct doctor *doc, struct buf *servers, char **error_r)
{
	uint64_t timeout_ms = cfg_ms(doc->cfg, CFG_DNSBL_TIMEOUT);

	cfgval_format_hostports(cfg_hostports(doc->cfg, CFG_DNS_SERVERS), servers);
	struct resolver_opts ro = {
		.servers = buf_cstr(servers),
		.timeout_ms = (unsigned)(timeout_ms / 2 ? timeout_ms / 2 : 1),
		.tries = 2,
	};
	return resolver_new(doc->base, &ro, &doc->res, error_r);
}

static void doctor_codes(struct doctor *doc)
{
	const struct cfg_codelist *codes = cfg_codes(doc->cfg, CFG_DNSBL_ERROR_CODES);

	doc->n_codes = codes->n;
	doc->codes = xcalloc(codes->n ? codes->n : 1, sizeof(*doc->codes));
	for (size_t i = 0; i < codes->n; i++) {
		memcpy(doc->codes[i].zone, codes->items[i].zone, sizeof(doc->codes[i].zone));
		doc->codes[i].filter = codes->items[i].filter;
	}
}

static void print_header_text(const struct doctor *doc, const char *servers, const char *public)
{
	printf("resolver: %s\n", *servers ? servers : "the servers of /etc/resolv.conf (dns_servers is empty)");
	if (public != NULL)
		printf("  note: %s is a public DNS service: large lists refuse queries that come "
		       "through it\n", public);
	printf("deadline: dnsbl_timeout = %llu ms; %zu zone%s asked in parallel\n",
	       cfg_ms(doc->cfg, CFG_DNSBL_TIMEOUT), doc->n_zones, doc->n_zones == 1 ? "" : "s");
}

/* Run the tests, print the report; returns the exit status. */
static int doctor_report(struct doctor *doc, const char *servers, bool json)
{
	char public[ADDR_STRLEN + 8];
	bool is_public = resolver_uses_public_server(doc->res, public, sizeof(public));
	size_t problems = 0;
	struct buf out = BUF_INIT;

	queries_run(doc);
	if (json) {
		buf_putc(&out, '{');
		json_key(&out, "resolver");
		json_str(&out, servers);
		json_key(&out, "public_resolver");
		json_str(&out, is_public ? public : NULL);
		json_key(&out, "zones");
		buf_putc(&out, '[');
	} else {
		print_header_text(doc, servers, is_public ? public : NULL);
	}
	for (size_t i = 0; i < doc->n_zones; i++) {
		bool problem = zone_judge(&doc->zones[i]);
		problems += problem;
		if (json) {
			if (i)
				buf_putc(&out, ',');
			print_zone_json(&out, &doc->zones[i], problem);
		} else {
			print_zone_text(&doc->zones[i], problem);
		}
	}
	if (json) {
		buf_putc(&out, ']');
		json_key(&out, "problems");
		buf_printf(&out, "%zu}\n", problems);
		fputs(buf_cstr(&out), stdout);
	} else {
		printf("\n%zu of %zu zone%s healthy%s\n", doc->n_zones - problems, doc->n_zones,
		       doc->n_zones == 1 ? "" : "s", problems ? "; fix the problems above" : "");
	}
	buf_free(&out);
	return problems > 0 ? CTL_FAIL : CTL_OK;
}

int ctl_doctor(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor doc = { 0 };
	struct buf servers = BUF_INIT;
	char *error = NULL;
	bool json = false;
	int c, status = CTL_USAGE;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return ctl_usage_error("doctor", "unknown option");
		json = true;
	}
	if (optind != argc)
		return ctl_usage_error("doctor", "takes no arguments");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_USAGE;
	doc.cfg = cfg;
	zones_collect(&doc, CFG_DNSBL_SITES, true);
	zones_collect(&doc, CFG_RHSBL_HELO_SITES, false);
	zones_collect(&doc, CFG_RHSBL_SENDER_SITES, false);
	doc.base = event_base_new();
	if (doc.n_zones == 0) {
		fprintf(stderr, "relayguard-ctl: doctor: no DNS lists configured "
				"(dnsbl_sites, rhsbl_helo_sites, rhsbl_sender_sites)\n");
	} else if (doc.base == NULL || doctor_resolver(&doc, &servers, &error) != 0) {
		fprintf(stderr, "relayguard-ctl: doctor: cannot start the resolver: %s\n",
			error ? error : "no event loop");
		free(error);
	} else {
		doctor_codes(&doc);
		status = doctor_report(&doc, buf_cstr(&servers), json);
	}
	resolver_free(&doc.res);
	if (doc.base != NULL)
		event_base_free(doc.base);
	free(doc.codes);
	free(doc.zones);
	buf_free(&servers);
	cfg_unref(&cfg);
	return status;
}
