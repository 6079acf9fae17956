/*
 * resolver - asynchronous DNS: c-ares driven by a libevent event_base.
 *
 * A resolver_t owns one c-ares channel.  c-ares tells us which sockets it
 * wants watched (ARES_OPT_SOCK_STATE_CB); each becomes a libevent event, and
 * one timer follows ares_timeout() so retransmissions and per-try timeouts
 * happen without anyone calling into c-ares.  Nothing here blocks.
 *
 * Queries: resolver_query_a() and resolver_query_txt() start one lookup and
 * return a handle.  The callback runs exactly once, later, from the event
 * loop -- never inside resolver_query_*(): a failure c-ares reports at once
 * (a bad name, no usable server) is deferred through the loop.  After
 * resolver_cancel() the callback is never called.  The module frees the
 * handle after the callback returns or at cancel; the caller must not use a
 * handle after either.  Calling resolver_cancel() on the query whose callback
 * is running is a harmless no-op; cancelling any other pending query from
 * inside a callback is allowed.
 *
 * Timing: c-ares waits timeout_ms for the first try to each server, and
 * doubles the wait on every further round over the server list, so one
 * query with one server and tries = 3 may take 1 + 2 + 4 = 7 timeouts.
 * Callers that need an overall deadline keep their own timer and cancel:
 * cancel is O(1) (the c-ares query is left to finish in the background; its
 * late answer is dropped and its memory freed then, or at resolver_free()).
 *
 * A SERVFAIL or REFUSED answer ends the query at once with that status
 * (no failover to another server: it is the answer of the configured
 * resolver, and the caller must be able to tell it from silence); only
 * timeouts and unreachable servers move on to the next server.
 *
 * Thread-safety: a resolver and its queries belong to the thread running
 * its event_base: one resolver per event loop thread.  resolver_new() and
 * resolver_free() also touch c-ares' library-wide reference count, which
 * c-ares does not lock: create and free resolvers from one thread at a time.
 */
#ifndef RELAYGUARD_RESOLVER_H
#define RELAYGUARD_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct resolver resolver_t;
typedef struct resolver_query resolver_query_t;

/* Defaults used when a field of resolver_opts is 0. */
#define RESOLVER_DEFAULT_TIMEOUT_MS 2000u
#define RESOLVER_DEFAULT_TRIES 2u
/* Bounds for non-zero values. */
#define RESOLVER_TIMEOUT_MS_MIN 10u
#define RESOLVER_TIMEOUT_MS_MAX 60000u
#define RESOLVER_TRIES_MAX 10u
/* Longest servers string and most servers accepted. */
#define RESOLVER_SERVERS_MAX_LEN 1024u
#define RESOLVER_SERVERS_MAX 16u

struct resolver_opts {
	/*
	 * Comma-separated servers: "HOST", "HOST:PORT", "[V6]", "[V6]:PORT"
	 * or a bare IPv6 address; HOST is an IPv4 or IPv6 literal (no names).
	 * NULL or "" = the servers of /etc/resolv.conf.
	 */
	const char *servers;
	unsigned timeout_ms;	/* per try; 0 = RESOLVER_DEFAULT_TIMEOUT_MS */
	unsigned tries;		/* rounds over the servers; 0 = RESOLVER_DEFAULT_TRIES */
};

/*
 * Create a resolver on base (borrowed: it must outlive the resolver).
 * opts is only read during the call.  On success returns 0 and stores the
 * new resolver (caller frees with resolver_free()).  On error returns -1 and
 * stores a message in *error_r (caller frees with free()): a malformed
 * server list, a timeout or tries value out of bounds, or a c-ares
 * initialisation failure.  Sends nothing.
 */
int resolver_new(struct event_base *base, const struct resolver_opts *opts, resolver_t **res_r,
		 char **error_r) __attribute__((warn_unused_result));

/*
 * Free the resolver and set *res to NULL (NULL or *res NULL: no-op).
 * Pending queries are dropped: their callbacks are NEVER called, so a
 * caller with work in flight must cancel or forget its own state first.
 * Must not be called from inside a resolver callback.
 */
void resolver_free(resolver_t **res);

enum resolver_status {
	RESOLVER_OK,		/* answer with records of the asked type */
	RESOLVER_NXDOMAIN,	/* the name does not exist */
	RESOLVER_NODATA,	/* the name exists, no record of that type */
	RESOLVER_SERVFAIL,
	RESOLVER_REFUSED,
	RESOLVER_TIMEOUT,	/* every try timed out */
	RESOLVER_ERROR,		/* anything else: malformed reply, bad name, no server, ... */
};

/* Static lower-case name of a status ("ok", "nxdomain", "timeout", ...). */
const char *resolver_status_name(enum resolver_status status);

/* Most A records delivered from one answer (extra records are ignored). */
#define RESOLVER_MAX_A 16

struct resolver_answer {
	enum resolver_status status;
	size_t n_a;			/* A records in a[] (0 unless OK on an A query) */
	uint32_t a[RESOLVER_MAX_A];	/* addresses, host byte order */
	/*
	 * Smallest TTL of the answer records; for NXDOMAIN/NODATA the
	 * negative TTL from the SOA of the authority section (the smaller of
	 * its TTL and its minimum, RFC 2308) when present; else 0.
	 */
	uint32_t ttl;
	/*
	 * TXT queries: the strings of the first TXT record joined without
	 * separator, NUL-terminated (an embedded NUL byte becomes a space);
	 * NULL if none.  Valid only during the callback.  Untrusted bytes:
	 * clean them before logging or replying.
	 */
	const char *txt;
};

/* answer is valid only during the call; ctx is the caller's pointer. */
typedef void resolver_cb(const struct resolver_answer *answer, void *ctx);

/*
 * Start an A (or TXT) query for name (copied; a trailing dot is fine).
 * Never returns NULL and never calls cb before returning; see the top of
 * this file for the handle's lifetime.
 */
resolver_query_t *resolver_query_a(resolver_t *res, const char *name, resolver_cb *cb, void *ctx);
resolver_query_t *resolver_query_txt(resolver_t *res, const char *name, resolver_cb *cb, void *ctx);

/* Forget a pending query: its callback is never called.  NULL: no-op. */
void resolver_cancel(resolver_query_t *q);

struct buf;
/*
 * Read the answer message msg (len bytes, untrusted; NULL/0 for none) to an
 * A question, or a TXT question with txt_question, into ans, as the query
 * callbacks deliver it.  The caller sets ans->status from the transport
 * first (zero the rest).  OK: the records (an answer without records of the
 * asked type becomes NODATA, a malformed one ERROR); NXDOMAIN and NODATA:
 * the negative TTL; other statuses: left as they are.  ans->txt points into
 * txt (the caller's buffer, initialised and freed by the caller).  The
 * queries use it; it is public for the fuzz target (tests/fuzz/fuzz_dns_answer.c).
 */
void resolver_answer_parse(bool txt_question, const unsigned char *msg, size_t len,
			   struct resolver_answer *ans, struct buf *txt);

/*
 * True if one of the configured (or system) servers is a well-known public
 * resolver (Google, Cloudflare, Quad9, OpenDNS, IPv4 and IPv6); the address
 * is then written to which (truncated to which_size, may be NULL/0).  Big
 * DNSBLs refuse queries that come through those, so the engine warns.
 */
bool resolver_uses_public_server(const resolver_t *res, char *which, size_t which_size);

#endif
