/*
 * policy_conn - one Postfix policy connection on a nonblocking socket (or a
 * pair of descriptors: standard input and output under spawn(8)).
 *
 * It reads requests with policy_proto, asks the engine, and writes one
 * "action=..." reply per request, in the order the requests came, also when
 * Postfix pipelines them and the engine answers out of order.
 *
 *   - Only requests whose protocol_state is the configured
 *     policy_check_state (CONNECT, HELO, MAIL or RCPT) are checked; any other
 *     state gets "action=DUNNO".
 *   - Postfix repeats the request for every recipient of a message with the
 *     same "instance": the answer for the last checked instance is reused, so
 *     a 50-recipient message costs one check (and one report).
 *   - sasl_username is passed to the engine, which skips authenticated
 *     clients (skip_authenticated).
 *   - A malformed request is logged and the connection closed without a
 *     reply, as the protocol wants.
 *   - Every request is logged at info as one key=value line.
 *
 * SPF (spf = tag|reject, at MAIL and RCPT, for clients the engine did not
 * skip, allowlist or refuse): after the engine's verdict, libspf2 checks the
 * sender (through spf_pool, off the loop).  spf = reject turns an SPF "fail"
 * into "action=550 5.7.1 SPF: explanation"; otherwise the result is added as
 * "action=PREPEND Received-SPF: ..." when the verdict itself adds nothing.
 * A policy reply carries one action: when the engine tags, its header wins
 * and gains " spf=RESULT".
 *
 * Replies: reject "action=550 5.7.1 text" (reject_code/reject_dsn), tempfail
 * "action=DEFER_IF_PERMIT 4.7.1 text", tag "action=PREPEND Header: value"
 * (tag_header), quarantine "action=HOLD reason" (quarantine_reason), log
 * "action=WARN value", pass "action=DUNNO".  Every text is cleaned
 * (verdict_clean_text) so that no CR/LF from a TXT record gets out.
 *
 * Threads: a connection, its engine holder and its event_base belong to one
 * thread (the worker's).
 */
#ifndef RELAYGUARD_POLICY_CONN_H
#define RELAYGUARD_POLICY_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct event_base;

/* Requests of one connection waiting for their answers before it stops reading. */
#define POLICY_CONN_PENDING_MAX 64
/* Bytes read at once. */
#define POLICY_CONN_READ_CHUNK 16384
/* Unsent reply bytes at which a connection stops reading (a peer that never reads). */
#define POLICY_CONN_OUT_MAX (256 * 1024)

/*
 * A refcounted holder of an engine, so that a reload can switch new requests
 * to a new engine while checks in flight finish on the old one.  The engine
 * is freed with the last reference.  One thread (the engine's).
 */
typedef struct policy_engine {
	engine_t *engine;
	struct spf_pool *spf;	/* SPF checks (spf = tag|reject), else NULL */
	unsigned refs;
	bool retired;		/* replaced by a reload: heap_release() when freed */
} policy_engine_t;

/* SPF threads per worker: SPF lookups block in libspf2, so they run beside the loop. */
#define POLICY_SPF_THREADS 2

/*
 * Take ownership of engine; refcount 1.  With spf = tag|reject in the
 * engine's config, also start the SPF thread pool that answers on base.
 * Returns 0, or -1 with *error_r (caller frees; engine freed too).
 */
int policy_engine_new(struct event_base *base, engine_t *engine, policy_engine_t **pe_r,
		      char **error_r) __attribute__((warn_unused_result));
policy_engine_t *policy_engine_ref(policy_engine_t *pe);
/* Drop a reference (engine_free on the last) and set *pe = NULL; NULL is a no-op. */
void policy_engine_unref(policy_engine_t **pe);
/*
 * A reload replaced *pe: drop the holder's reference like policy_engine_unref().
 * When the last check in flight lets it go, its memory is handed back to the
 * system at once (heap_release(): see common/heap.h for why a reload needs it).
 */
void policy_engine_retire(policy_engine_t **pe);

typedef struct policy_conn policy_conn_t;

/*
 * Called once when the connection ends by itself (peer closed, malformed
 * request, I/O error, idle timeout, policy_request_timeout, drain finished).
 * The callee must free
 * the connection with policy_conn_free() (it may do so inside the callback);
 * the connection does nothing after calling it.
 */
typedef void policy_conn_closed_cb(policy_conn_t *conn, void *ctx);

/*
 * Start serving in_fd/out_fd (the same descriptor for a socket) on base.
 * The connection owns the descriptors (closes them) and sets them
 * nonblocking.  peer (copied) names the client in logs.  *current is the
 * worker's slot of the current engine: read (and referenced) at every new
 * request, so a reload that replaces it takes effect at once; the slot must
 * outlive the connection.  idle_ms: close after this long without a byte
 * from the peer while no request is pending.  Never fails (aborts on OOM).
 */
policy_conn_t *policy_conn_new(struct event_base *base, int in_fd, int out_fd, const char *peer,
			       policy_engine_t **current, unsigned long long idle_ms,
			       policy_conn_closed_cb *closed, void *ctx);

/*
 * Close the connection when a request is not complete request_ms after its
 * first byte (policy_request_timeout; 0 = never).  The idle timeout restarts
 * on every byte, this one does not.  Closing is logged, rate-limited.
 */
void policy_conn_set_request_timeout(policy_conn_t *conn, unsigned long long request_ms);

/*
 * For eviction when every slot is taken: the monotonic time (clock_now_us)
 * of the last byte read or written when nothing is owed to the peer (no
 * request waiting for its reply, nothing unsent), else 0: a connection with
 * a request in flight must not be cut.  A connection in the middle of
 * reading a request counts as idle (Postfix writes a request at once).
 */
uint64_t policy_conn_idle_since(const policy_conn_t *conn);

/*
 * Drain: read no more; close (through the closed callback) once every
 * pending reply is written.  The callback may run inside this call when
 * nothing is pending.
 */
void policy_conn_drain(policy_conn_t *conn);

/* Cancel the checks in flight, close the descriptors, free, set *conn = NULL. */
void policy_conn_free(policy_conn_t **conn);

#endif
