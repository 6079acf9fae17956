/*
 * dnsbl_diag - what a DNS list's answer says about the list and about our
 * resolver, and what the operator should do about it: the one place where
 * those words live, so that the daemons' log lines and `relayguard-ctl
 * doctor` say the same thing.
 *
 * Two jobs:
 *   1. dnsbl_diag_get() / dnsbl_diag_for_code(): a static table from a
 *      finding (a refusal or quota code, a zone that lists everything, a
 *      zone that does not answer ...) to its short name, its meaning and
 *      its fix.  Pure: no state, no I/O, thread-safe.
 *   2. dnsbl_diag_state_swap(): the last error code each zone answered, kept
 *      for the whole process, so that the daemons log a refusal once when a
 *      zone starts answering it and once when it stops, whatever the number
 *      of queries, engines or threads in between.
 *
 * Every text returned is static and may be kept for the life of the
 * process.  Texts never hold a zone name (a zone may carry an access key):
 * callers add the zone where they may show it.
 */
#ifndef RELAYGUARD_DNSBL_DIAG_H
#define RELAYGUARD_DNSBL_DIAG_H

#include <stdbool.h>
#include <stdint.h>

enum dnsbl_diag_id {
	DNSBL_DIAG_HEALTHY,		/* the RFC 5782 test entries answer as they must */
	DNSBL_DIAG_PUBLIC_RESOLVER,	/* 127.255.255.254: query via a public/open resolver refused */
	DNSBL_DIAG_QUOTA,		/* 127.255.255.255: excessive number of queries */
	DNSBL_DIAG_BAD_NAME,		/* 127.255.255.252: typing error in the DNSBL name or key */
	DNSBL_DIAG_IP_QUERY,		/* 127.0.1.255: a domain list asked about an IP address */
	DNSBL_DIAG_ERROR_CODE,		/* another code of dnsbl_error_codes */
	DNSBL_DIAG_LISTS_EVERYTHING,	/* the must-not-be-listed test entry is listed */
	DNSBL_DIAG_TEST_ENTRY_MISSING,	/* the must-be-listed test entry is not listed */
	DNSBL_DIAG_NO_IPV6,		/* the IPv6 test entry is not listed (a note) */
	DNSBL_DIAG_OUTSIDE,		/* an answer outside 127.0.0.0/8 */
	DNSBL_DIAG_TIMEOUT,		/* no answer in time */
	DNSBL_DIAG_SERVFAIL,		/* the resolver answered SERVFAIL */
	DNSBL_DIAG_REFUSED,		/* the resolver answered REFUSED */
	DNSBL_DIAG_DNS_ERROR,		/* any other failure (no server, malformed reply) */
	DNSBL_DIAG_COUNT
};

struct dnsbl_diag {
	enum dnsbl_diag_id id;
	const char *name;	/* short stable name for JSON and logs, e.g. "public-resolver" */
	bool problem;		/* true: it costs mail or protection; false: a note */
	/* The short text of a query result (struct dnsbl_result.error). */
	const char *error;
	/* One line: what the answer means (no trailing period). */
	const char *meaning;
	/* One line: what to do, naming the settings to change (no trailing period). */
	const char *fix;
};

/* The entry of id; an id out of range gives the DNSBL_DIAG_DNS_ERROR entry.  Never NULL. */
const struct dnsbl_diag *dnsbl_diag_get(enum dnsbl_diag_id id);

/*
 * The diagnosis of an answer code that matched dnsbl_error_codes: the
 * known codes of the big lists by value, any other code
 * DNSBL_DIAG_ERROR_CODE.  Never NULL.
 */
const struct dnsbl_diag *dnsbl_diag_for_code(uint32_t code);

/*
 * Process-wide memory of the last error code each zone answered (0 = it
 * answers normally; the state every zone starts in).  Stores code for
 * zone and returns true when that changed the stored value, with the old
 * one in *before_r: the caller then logs the change.  Returns false when
 * the zone was already in that state (another engine or thread logged it).
 * At most DNSBL_DIAG_ZONES_MAX zones are remembered; for further zones it
 * returns code != 0 with *before_r = 0 (refusals are still logged, only not
 * deduplicated between threads).  Thread-safe (one mutex, taken only on a change seen
 * by the caller: dnsbl keeps a per-site copy and calls this only when its
 * own copy differs).
 */
#define DNSBL_DIAG_ZONES_MAX 1024u
bool dnsbl_diag_state_swap(const char *zone, uint32_t code, uint32_t *before_r);

#endif
