/* test_dnsbl_diag - the diagnosis table, the code mapping, the per-zone state. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "dnsbl_diag.h"
#include "tap.h"

/* Answer codes and the diagnosis each must get. */
static const struct {
	uint32_t code;
	enum dnsbl_diag_id id;
	const char *name;
	const char *in_error;	/* part of the result's error text */
} codes[] = {
	{ 0x7ffffffeu, DNSBL_DIAG_PUBLIC_RESOLVER, "public-resolver", "127.255.255.254" },
	{ 0x7fffffffu, DNSBL_DIAG_QUOTA, "quota", "127.255.255.255" },
	{ 0x7ffffffcu, DNSBL_DIAG_BAD_NAME, "bad-zone-name", "127.255.255.252" },
	{ 0x7f0001ffu, DNSBL_DIAG_IP_QUERY, "ip-query-on-domain-list", "127.0.1.255" },
	{ 0x7ffffffdu, DNSBL_DIAG_ERROR_CODE, "error-code", "configured error code" },	/* .253 */
	{ 0x7f000a03u, DNSBL_DIAG_ERROR_CODE, "error-code", "configured error code" },	/* 127.0.10.3 */
	{ 0x7f000063u, DNSBL_DIAG_ERROR_CODE, "error-code", "configured error code" },	/* 127.0.0.99 */
};

/* Which findings cost mail (problem) and which are notes. */
static const struct {
	enum dnsbl_diag_id id;
	bool problem;
	const char *fix_names;	/* a setting the fix must name, or NULL */
} severity[] = {
	{ DNSBL_DIAG_HEALTHY, false, NULL },
	{ DNSBL_DIAG_PUBLIC_RESOLVER, true, "dns_servers" },
	{ DNSBL_DIAG_QUOTA, true, "dnsbl_reply_map" },
	{ DNSBL_DIAG_BAD_NAME, true, "dnsbl_sites" },
	{ DNSBL_DIAG_IP_QUERY, true, "rhsbl_helo_sites" },
	{ DNSBL_DIAG_ERROR_CODE, true, "dns_servers" },
	{ DNSBL_DIAG_LISTS_EVERYTHING, true, NULL },
	{ DNSBL_DIAG_TEST_ENTRY_MISSING, true, NULL },
	{ DNSBL_DIAG_NO_IPV6, false, "dnsbl_ipv6" },
	{ DNSBL_DIAG_OUTSIDE, true, "dns_servers" },
	{ DNSBL_DIAG_TIMEOUT, true, "dns_servers" },
	{ DNSBL_DIAG_SERVFAIL, true, NULL },
	{ DNSBL_DIAG_REFUSED, true, "dns_servers" },
	{ DNSBL_DIAG_DNS_ERROR, true, "dns_servers" },
};

static void test_table(void)
{
	is_int(sizeof(severity) / sizeof(severity[0]), DNSBL_DIAG_COUNT, "every diagnosis has a severity case");
	for (int id = 0; id < DNSBL_DIAG_COUNT; id++) {
		const struct dnsbl_diag *d = dnsbl_diag_get((enum dnsbl_diag_id)id);
		ok(d->id == (enum dnsbl_diag_id)id && d->name && d->meaning && d->fix,
		   "diagnosis %d (%s) is complete and in its place", id, d->name ? d->name : "?");
		ok(id == DNSBL_DIAG_HEALTHY || (d->error != NULL && *d->error),
		   "diagnosis %s has an error text", d->name);
		for (int k = 0; k < id; k++)
			if (strcmp(dnsbl_diag_get((enum dnsbl_diag_id)k)->name, d->name) == 0)
				ok(false, "diagnosis name %s is unique", d->name);
		size_t ml = strlen(d->meaning), fl = strlen(d->fix);
		ok(ml > 0 && d->meaning[ml - 1] != '.' && fl > 0 && d->fix[fl - 1] != '.',
		   "%s: texts have no trailing period (callers join them)", d->name);
	}
	for (size_t i = 0; i < sizeof(severity) / sizeof(severity[0]); i++) {
		const struct dnsbl_diag *d = dnsbl_diag_get(severity[i].id);
		ok(d->problem == severity[i].problem, "%s is %s", d->name,
		   severity[i].problem ? "a problem" : "a note");
		if (severity[i].fix_names != NULL)
			ok(strstr(d->fix, severity[i].fix_names) != NULL, "the fix of %s names %s", d->name,
			   severity[i].fix_names);
	}
	ok(dnsbl_diag_get(DNSBL_DIAG_COUNT) == dnsbl_diag_get(DNSBL_DIAG_DNS_ERROR),
	   "an id out of range gives the DNS error entry, never NULL");
	ok(strstr(dnsbl_diag_get(DNSBL_DIAG_PUBLIC_RESOLVER)->fix, "dnsbl_reply_map") != NULL,
	   "the public-resolver fix offers the keyed service with dnsbl_reply_map hiding the key");
	ok(strstr(dnsbl_diag_get(DNSBL_DIAG_PUBLIC_RESOLVER)->fix, "use a local recursive resolver") != NULL,
	   "the public-resolver fix says: a local recursive resolver");
}

static void test_codes(void)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const struct dnsbl_diag *d = dnsbl_diag_for_code(codes[i].code);
		ok(d->id == codes[i].id, "code %08x -> %s (got %s)", (unsigned)codes[i].code, codes[i].name,
		   d->name);
		ok(strstr(d->error, codes[i].in_error) != NULL, "code %08x: error text names %s",
		   (unsigned)codes[i].code, codes[i].in_error);
	}
	/* dnsbl_result.error of the refusal code, as tests and logs have known it */
	is_str(dnsbl_diag_for_code(0x7ffffffeu)->error,
	       "error code 127.255.255.254 (query refused: use a local resolver)",
	       "the result text of 127.255.255.254 is unchanged");
}

static void test_state(void)
{
	uint32_t before = 7;

	ok(!dnsbl_diag_state_swap("a.test", 0, &before) && before == 0,
	   "a zone starts normal: a normal answer is no change");
	ok(dnsbl_diag_state_swap("a.test", 0x7ffffffeu, &before) && before == 0,
	   "the first refusal is a change (from normal)");
	ok(!dnsbl_diag_state_swap("a.test", 0x7ffffffeu, &before) && before == 0x7ffffffeu,
	   "the same refusal again is no change");
	ok(!dnsbl_diag_state_swap("b.test", 0, &before), "another zone has its own state");
	ok(dnsbl_diag_state_swap("a.test", 0x7fffffffu, &before) && before == 0x7ffffffeu,
	   "another code is a change, with the old code");
	ok(dnsbl_diag_state_swap("a.test", 0, &before) && before == 0x7fffffffu,
	   "a normal answer ends the refusal: a change");
	ok(!dnsbl_diag_state_swap("a.test", 0, &before), "and stays ended");
}

/* Many threads report the same refusal of one zone: exactly one sees the change. */
#define THREADS 8
static int changes;
static pthread_mutex_t changes_lock = PTHREAD_MUTEX_INITIALIZER;

static void *racer(void *arg)
{
	uint32_t before;

	for (int i = 0; i < 1000; i++) {
		if (dnsbl_diag_state_swap("race.test", 0x7ffffffeu, &before)) {
			pthread_mutex_lock(&changes_lock);
			changes++;
			pthread_mutex_unlock(&changes_lock);
		}
	}
	return arg;
}

static void test_threads(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, racer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	is_int(changes, 1, "%d threads x 1000 refusals of one zone: one change to log", THREADS);
}

/* Past DNSBL_DIAG_ZONES_MAX zones: refusals are still reported, normal answers never. */
static void test_limit(void)
{
	char zone[32];
	uint32_t before;

	for (unsigned i = 0; i < DNSBL_DIAG_ZONES_MAX; i++) {
		snprintf(zone, sizeof(zone), "z%u.test", i);
		(void)dnsbl_diag_state_swap(zone, 0, &before);
	}
	ok(dnsbl_diag_state_swap("over.test", 0x7ffffffeu, &before) && before == 0,
	   "a zone past the limit: its refusal is still reported");
	ok(dnsbl_diag_state_swap("over.test", 0x7ffffffeu, &before),
	   "... every time (not remembered)");
	ok(!dnsbl_diag_state_swap("over.test", 0, &before), "... and a normal answer never");
}

int main(void)
{
	test_table();
	test_codes();
	test_state();
	test_threads();
	test_limit();
	return tap_done();
}
