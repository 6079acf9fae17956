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
 *     listing; error text and diagnosis from dnsbl_diag
 *   - any answer code outside 127.0.0.0/8       -> DNSBL_ERROR
 *   - the first answer code passing the site's filter -> DNSBL_LISTED,
 *     none passes                              -> DNSBL_NOT_LISTED
 *
 * Error-code logging: once per change of state of a zone, for the whole
 * process (dnsbl_diag_state_swap()): a warning with the diagnosis (meaning
 * and fix, the words of relayguard-ctl doctor) when a zone starts
 * answering an error code or switches to another one, a notice when it
 * answers normally again (a non-error A answer, NXDOMAIN or NODATA).
 * Timeouts and DNS failures change nothing: they say nothing about the
 * list's refusal.  Probe answers count like any other.
 *
 * TXT: the A answer decides; the TXT answer only decorates a listing.  With
 * want_txt the TXT query is sent IN PARALLEL with the A query (one round
 * trip under the engine's deadline instead of two).  When A says anything
 * but listed, the TXT query is cancelled and the result delivered at once.
 * When A says listed:
 *   - a TXT answer already in, or arriving within DNSBL_TXT_GRACE_MS after
 *     the A answer, gives the text (control characters replaced by spaces,
 *     cut to DNSBL_TXT_MAX bytes);
 *   - otherwise the listing is delivered when the grace ends, with txt NULL:
 *     a TXT query that failed (SERVFAIL, REFUSED, timeout, a malformed,
 *     truncated or wrong-type answer) or never answered never turns a
 *     listing into an error, a not-listed or a delay beyond the grace;
 *   - dnsbl_query_settle() delivers it at once, without text (the caller's
 *     deadline has come: the listing must stand, not become a timeout).
 * So a listing costs at most min(DNSBL_TXT_GRACE_MS, the caller's deadline)
 * more than its A answer.  A listing without text is logged at debug, and a
 * failed TXT query as a notice at most once per DNSBL_TXT_LOG_S per zone
 * (counting the ones in between); "no TXT record" (NXDOMAIN/NODATA for the
 * TXT, a list that publishes none) stays at debug.
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
 * inside dnsbl_query_addr()/_domain(); inside dnsbl_query_settle() when it
 * returns true; never after dnsbl_query_cancel().  The handle is
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
#include "metrics.h"
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
/*
 * Longest wait for the TXT answer of a listing after its A answer.  Both
 * queries leave together and usually come back together; 200 ms covers a
 * TXT answer a little slower than its A answer (a larger packet, another
 * resolver cache miss) without letting a lost one hold the verdict.
 */
#define DNSBL_TXT_GRACE_MS 200u
/* A failed TXT query of a listing is logged at most once per zone in this time. */
#define DNSBL_TXT_LOG_S 600u
/* Failed probe rounds in a row that suspend a zone. */
#define DNSBL_PROBE_FAILURES ZONE_FAILED_ROUNDS
/* Longest wait before another round for a zone not yet in service. */
#define DNSBL_PROBE_RETRY_MS 5000u
/* Smallest probe interval accepted (0 = no probes). */
#define DNSBL_PROBE_INTERVAL_MIN_MS 100u
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
	/* NOT_LISTED from an A answer none of whose codes passed the site's filter:
	 * the first of those codes (so a tool can say "127.0.0.5, filtered out"); else 0. */
	uint32_t filtered_code;
	/* LISTED or NOT_LISTED: TTL of the A answer (negative TTL for NXDOMAIN/NODATA), 0 if unknown. */
	uint32_t ttl;
	/* LISTED with want_txt and a non-empty TXT answer within the grace: its text; else
	 * NULL.  Valid during the callback only. */
	const char *txt;
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

/*
 * Does code count as an error code for zone under codes[0..n) (entries with
 * zone "" apply to every zone)?  The rule the queries use, for tools that
 * ask the resolver themselves (relayguard-ctl doctor).
 */
bool dnsbl_error_code_match(const struct dnsbl_error_code *codes, size_t n, const char *zone,
			    uint32_t code);

/* Forget a pending query: its callback is never called.  NULL: no-op. */
void dnsbl_query_cancel(dnsbl_query_t *q);

/*
 * The caller's deadline has come: if q's A answer has said listed and q only
 * waits for its TXT answer, cancel the TXT query, call the callback NOW
 * (inside this call) with the listing and txt NULL, free q and return true.
 * Otherwise (no A answer yet, NULL, or q's callback running) change nothing
 * and return false: the caller cancels q as usual.
 */
bool dnsbl_query_settle(dnsbl_query_t *q);

/* Counters of site, valid until dnsbl_free(); NULL for an index >= n_sites. */
struct dnsbl_stats {
	uint64_t queries, listed, not_listed, errors, timeouts;
	uint64_t latency_us_total, latency_us_max;
	bool suspended;
	/* for metrics_listen: listings by code, error-code answers by code, latency */
	struct metrics_codes listed_codes, refusal_codes;
	struct metrics_hist latency;
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
