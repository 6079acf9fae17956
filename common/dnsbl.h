/*
 * dnsbl - one DNS-based list query per zone: IP lists (RFC 5782 reversed
 * octets or nibbles) and domain lists (RHSBL), with answer-code filters,
 * error codes, health probes and per-zone counters.
 *
 * A dnsbl_t holds a set of zones ("sites", struct site: zone, filter,
 * weight) of ONE kind.  The engine fans one dnsbl_query_*() out per zone
 * under its own deadline and cancels what is left; this module provides the
 * per-zone building block.
 *
 * Verdict of one query, in this order:
 *   - zone suspended by the health probes, IPv6 client with ipv6 = false,
 *     wrong kind of query for this dnsbl_t  -> DNSBL_SKIPPED (no DNS sent)
 *   - NXDOMAIN or NODATA                       -> DNSBL_NOT_LISTED
 *   - SERVFAIL, REFUSED, timeout, other failure -> DNSBL_ERROR
 *   - any answer code matching a configured error code (global, zone "",
 *     or for this zone)                         -> DNSBL_ERROR, never a
 *     listing; logged as a warning at most once per DNSBL_ERROR_CODE_LOG_S
 *     per zone, with a hint to use a local resolver
 *   - any answer code outside 127.0.0.0/8       -> DNSBL_ERROR
 *   - the first answer code passing the site's filter -> DNSBL_LISTED,
 *     none passes                              -> DNSBL_NOT_LISTED
 *
 * TXT: with want_txt the TXT query is sent IN PARALLEL with the A query (one
 * round trip under the engine's deadline instead of two).  When the A answer
 * says listed, the result waits for the TXT answer and carries its text
 * (control characters replaced by spaces, cut to DNSBL_TXT_MAX bytes); when
 * A says anything else the TXT query is cancelled and the result delivered
 * at once.  A failed TXT query leaves txt NULL and the listing stands.
 *
 * Health (RFC 5782 section 5): with probe_interval_ms > 0, every zone is
 * probed from inside dnsbl_new() (so the first round travels with the first
 * queries) and then every interval: IP lists with 2.0.0.127.ZONE (must be
 * listed) and 1.0.0.127.ZONE (must not be); domain lists with test.ZONE and
 * invalid.ZONE.  "Listed" for a probe means an A answer in 127.0.0.0/8 that
 * is not an error code, whatever the site's filter.  A round ends:
 *   - DEAD: the must-not-be-listed name listed (a list answering "listed"
 *     for everything);
 *   - FAILED: a probe error (failure, timeout, error code) or the
 *     must-be-listed name not listed;
 *   - PASS otherwise;
 * with a reason naming the probe and its answer, and feeds the zone's
 * zone_health (states, rules and log lines: zone_health.h).  A zone that is
 * not yet in service after a round gets an early one after
 * min(interval, DNSBL_PROBE_RETRY_MS).  Without probes a zone is in service.
 * Only SUSPENDED zones are skipped here (no DNS sent); UNPROBED zones are
 * queried, and it is for the caller to discount their answers
 * (zone_health_counts).  After every round, on_round (if set) is called
 * from the loop.  Probes are not counted in the per-site counters.
 *
 * Counters (struct dnsbl_stats) per site cover the queries sent to DNS
 * (SKIPPED ones and invalid names are not sent and not counted):
 * queries = sent; listed/not_listed/errors = delivered verdicts (a cancelled
 * query has none); timeouts = the errors that were timeouts (also
 * counted in errors); latency = time from start to the A answer, for every
 * A answer received (cancelled queries have none).
 *
 * Callbacks: exactly once per query, always from the event loop, never
 * inside dnsbl_query_*(); never after dnsbl_query_cancel().  The handle is
 * freed by the module after the callback returns or at cancel.
 * dnsbl_query_cancel() on the query whose callback is running is a no-op;
 * cancelling another query from inside a callback is fine.  dnsbl_free()
 * must not be called from inside a dnsbl callback.
 *
 * Thread-safety: a dnsbl_t belongs to the thread of its event_base (the
 * same one as its resolver).
 */
#ifndef RELAYGUARD_DNSBL_H
#define RELAYGUARD_DNSBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "resolver.h"
#include "site.h"
#include "zone_health.h"

struct event_base;

typedef struct dnsbl dnsbl_t;
typedef struct dnsbl_query dnsbl_query_t;

/* Most sites and error codes one dnsbl_t accepts. */
#define DNSBL_SITES_MAX 64u
#define DNSBL_ERROR_CODES_MAX 64u
/* Longest TXT text delivered (longer text is cut). */
#define DNSBL_TXT_MAX 512u
/* Failed probe rounds in a row that suspend a zone. */
#define DNSBL_PROBE_FAILURES ZONE_FAILED_ROUNDS
/* Longest wait before another round for a zone not yet in service. */
#define DNSBL_PROBE_RETRY_MS 5000u
/* Smallest probe interval accepted (0 = no probes). */
#define DNSBL_PROBE_INTERVAL_MIN_MS 100u
/* An error-code answer is logged at most once per zone in this time. */
#define DNSBL_ERROR_CODE_LOG_S 600u
/* Longest domain label and name (RFC 1035), checked with the zone added. */
#define DNSBL_LABEL_MAX 63u
#define DNSBL_NAME_MAX 253u

struct dnsbl_error_code {
	char zone[SITE_ZONE_MAX + 1];	/* "" = all zones; else lower-case, no trailing dot */
	struct site_filter filter;	/* answer codes that mean an error */
};

enum dnsbl_kind { DNSBL_KIND_IP, DNSBL_KIND_DOMAIN };

/* A probe round of site ended (its zone_health may have changed). */
typedef void dnsbl_round_cb(dnsbl_t *d, size_t site, void *ctx);

struct dnsbl_opts {
	const struct site *sites;	/* 1..DNSBL_SITES_MAX sites; index = position */
	size_t n_sites;
	enum dnsbl_kind kind;
	const struct dnsbl_error_code *error_codes;	/* 0..DNSBL_ERROR_CODES_MAX */
	size_t n_error_codes;
	bool want_txt;			/* also fetch the TXT of listings */
	bool ipv6;			/* query IP lists for IPv6 clients */
	unsigned probe_interval_ms;	/* 0 = no probes; else >= DNSBL_PROBE_INTERVAL_MIN_MS */
	dnsbl_round_cb *on_round;	/* NULL = not told */
	void *round_ctx;
};

/*
 * Create a dnsbl_t on base, sending through res (both borrowed: they must
 * outlive it).  Copies what it needs from opts.  Starts the first probe
 * round (through the loop) when probes are enabled.  Returns 0 and stores
 * the new object (caller frees with dnsbl_free()), or -1 with a message in
 * *error_r (caller frees with free()): no sites, too many sites or error
 * codes, a probe interval below the minimum, a zone too long to query.
 */
int dnsbl_new(struct event_base *base, resolver_t *res, const struct dnsbl_opts *opts,
	      dnsbl_t **dnsbl_r, char **error_r) __attribute__((warn_unused_result));

/* Free it, cancelling pending queries and probes (their callbacks are
 * never called), and set *dnsbl to NULL.  NULL or *dnsbl NULL: no-op. */
void dnsbl_free(dnsbl_t **dnsbl);

enum dnsbl_status {
	DNSBL_NOT_LISTED,
	DNSBL_LISTED,
	DNSBL_ERROR,
	DNSBL_SKIPPED,	/* suspended zone, IPv6 disabled, or wrong kind */
};

/* Static lower-case name ("not_listed", "listed", "error", "skipped"). */
const char *dnsbl_status_name(enum dnsbl_status status);

struct dnsbl_result {
	enum dnsbl_status status;
	size_t site;		/* the site index the query was for */
	uint32_t code;		/* LISTED: first answer code that passed the filter, host order; else 0 */
	/* LISTED or NOT_LISTED: TTL of the A answer (negative TTL for NXDOMAIN/NODATA), 0 if unknown. */
	uint32_t ttl;
	const char *txt;	/* LISTED with want_txt: the TXT text; else NULL.  Valid during the callback only. */
	/* ERROR and SKIPPED: why, static text (may be kept), e.g. "SERVFAIL", "REFUSED",
	 * "timeout", "answer outside 127.0.0.0/8", "zone suspended", "invalid domain",
	 * "error code 127.255.255.254 (query refused: use a local resolver)" (the known
	 * Spamhaus codes), "configured error code (the list refused the query)".  NULL otherwise. */
	const char *error;
};

/* result is valid only during the call. */
typedef void dnsbl_cb(const struct dnsbl_result *result, void *ctx);

/*
 * Query site (an index below n_sites) of an IP list for address a (copied).
 * Never returns NULL.  On a domain list: SKIPPED.  An IPv6 address with
 * ipv6 = false: SKIPPED.  A site index out of range: ERROR "no such site".
 */
dnsbl_query_t *dnsbl_query_addr(dnsbl_t *d, size_t site, const addr_t *a, dnsbl_cb *cb, void *ctx);

/*
 * Query site of a domain list for domain (copied; untrusted).  The name is
 * lower-cased and one trailing dot dropped; an IP literal, an empty label,
 * a character other than letters, digits, '-' and '_', a label over
 * DNSBL_LABEL_MAX or a total over DNSBL_NAME_MAX with the zone -> ERROR
 * "invalid domain".  On an IP list: SKIPPED.  Never returns NULL.
 */
dnsbl_query_t *dnsbl_query_domain(dnsbl_t *d, size_t site, const char *domain, dnsbl_cb *cb,
				  void *ctx);

/* Forget a pending query: its callback is never called.  NULL: no-op. */
void dnsbl_query_cancel(dnsbl_query_t *q);

/* Counters of site, valid until dnsbl_free(); NULL for an index >= n_sites. */
struct dnsbl_stats {
	uint64_t queries, listed, not_listed, errors, timeouts;
	uint64_t latency_us_total, latency_us_max;
	bool suspended;
};
const struct dnsbl_stats *dnsbl_stats(const dnsbl_t *d, size_t site);

/* Is site suspended by the health probes now?  False for a bad index. */
bool dnsbl_site_suspended(const dnsbl_t *d, size_t site);

/* The health of site (valid until dnsbl_free()); NULL for a bad index. */
const struct zone_health *dnsbl_site_health(const dnsbl_t *d, size_t site);

/* The zone of site (valid until dnsbl_free()); NULL for a bad index. */
const char *dnsbl_site_zone(const dnsbl_t *d, size_t site);

/* Is a probe round running for a zone that has not passed one yet?  Cheap. */
bool dnsbl_first_rounds_pending(const dnsbl_t *d);

/* The fleet's view of site (zone_health_shared): host NULL = nobody holds
 * it dead.  Ignored for a bad index or without probes. */
void dnsbl_site_shared(dnsbl_t *d, size_t site, const char *host, const char *why, int64_t at_ms);

#endif
