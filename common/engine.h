/*
 * engine - the one place where a decision about an SMTP client is made.
 *
 * engine_check() takes a request (client address; optional HELO name,
 * sender, authenticated user) and calls back with a verdict:
 *
 *   1. skip     authenticated clients (skip_authenticated), allow_networks,
 *               special addresses (skip_special: loopback, private, ...)
 *   2. sources  local list files (CIDR sets, answered at once); every other
 *               source through the in-process LRU, then Redis (all sources
 *               of the request in ONE round trip), then the network: DNSBL
 *               zones, RHSBL zones for the HELO name and sender domain, all in
 *               parallel under ONE deadline (dnsbl_timeout)
 *   3. score    the sum of the weights of the sources that matched;
 *               verdict_decide() turns it into an action
 *   4. remember fresh answers go to both caches, TTL from DNS clamped to
 *               [dnsbl_min_ttl, dnsbl_max_ttl]; negative ones dnsbl_negative_ttl
 *
 * Concurrent checks of the same subject share one in-flight lookup.
 *
 * Threads: an engine belongs to the thread that runs its event_base; every
 * call here except the engine_thread_*() wrapper must come from that thread.
 * The engine_thread_*() wrapper runs an engine in a thread of its own, for
 * callers that block (libmilter's per-connection threads).
 *
 * Ownership: the engine holds a reference to its cfg_t; a verdict passed to a
 * callback is valid only during the callback (engine_verdict_copy() keeps it).
 */
#ifndef RELAYGUARD_ENGINE_H
#define RELAYGUARD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cfg.h"
#include "verdict.h"

struct event_base;

typedef struct engine engine_t;
typedef struct engine_check engine_check_t;

struct engine_request {
	addr_t client;
	const char *helo;	/* may be NULL or "" */
	const char *sender;	/* envelope sender address, may be NULL or "" (null sender) */
	const char *sasl_user;	/* non-empty = authenticated */
	const char *queue_id;	/* for reply templates and logs; may be NULL */
	bool look_ahead;	/* only warm the caches (the milter's connect-time prefetch):
				   a listing is reported by the check that decides, not by this one */
};

enum engine_source_kind {
	ENGINE_SOURCE_DNSBL,	/* dnsbl_sites: the client address */
	ENGINE_SOURCE_RHSBL_HELO,	/* rhsbl_helo_sites: the HELO name */
	ENGINE_SOURCE_RHSBL_SENDER,	/* rhsbl_sender_sites: the sender domain */
	ENGINE_SOURCE_FILE,	/* file_lists */
	ENGINE_SOURCE_REDIS_LIST,	/* redis_lists (imported with relayguard-ctl import) */
};

enum engine_answer {
	ENGINE_NOT_LISTED,
	ENGINE_LISTED,
	ENGINE_ERROR,
	ENGINE_SKIPPED,		/* not asked: suspended zone, no HELO, IPv6 disabled ... */
};

/* Where an answer came from. */
enum engine_layer { ENGINE_LAYER_NONE, ENGINE_LAYER_LRU, ENGINE_LAYER_REDIS, ENGINE_LAYER_LOOKUP };

struct engine_source_result {
	const char *name;	/* zone or list name as configured (may hold a key: never in replies) */
	const char *display;	/* name shown to clients (dnsbl_reply_map) */
	enum engine_source_kind kind;
	enum engine_answer answer;
	enum engine_layer layer;
	int weight;		/* the configured weight; counts only when listed */
	uint32_t code;		/* 127.x.y.z, host order, when listed */
	/* not listed because the answer's code fell outside the source's filter:
	 * that code (fresh lookups only: caches keep no code for a negative); else 0 */
	uint32_t filtered_code;
	const char *txt;	/* reply text with $ expanded, or NULL */
	const char *error;	/* why, when answer is ENGINE_ERROR or ENGINE_SKIPPED */
	unsigned latency_us;	/* time to this answer */
};

enum engine_skip {
	ENGINE_SKIP_NONE,
	ENGINE_SKIP_AUTHENTICATED,
	ENGINE_SKIP_ALLOW_NETWORKS,
	ENGINE_SKIP_SPECIAL,
};

/*
 * The verdict is the whole contract between the engine and a door: a door
 * reads its action, reply, header and quarantine reason, all rendered here
 * from the templates by one fields builder (engine_verdict.c), and turns
 * them into its protocol's words.  A door never fills a template, never
 * recomputes the score and never decides whether SPF applies.
 */
struct engine_verdict {
	enum verdict_action action;
	enum engine_skip skip;
	bool allowlisted;	/* score at or below allowlist_threshold */
	int score;
	size_t n_answered, n_failed;
	size_t n_sources;
	const struct engine_source_result *sources;
	const char *first_list;	/* display name of the first listed source, or NULL */
	const char *reply;	/* "550 5.7.1 text" for reject/tempfail, else NULL */
	int reply_code;		/* 550 / 450 or 0 */
	const char *reply_dsn;	/* "5.7.1" or NULL */
	const char *reply_text;	/* the templated text alone, cleaned */
	const char *header;	/* tag header value for tag/quarantine/log, else NULL */
	/* quarantine_reason rendered with every template field, cleaned and cut
	 * to VERDICT_REPLY_MAX; for a quarantine verdict only, else NULL */
	const char *quarantine_reason;
	/*
	 * Whether SPF is to be checked for this request: spf is not "no", the
	 * request is not authenticated (sasl_user: the login, not the address,
	 * vouches for the sender, whatever skip_authenticated says), and the
	 * engine neither skipped, allowlisted nor refused the client (the action
	 * is pass, tag or log).  The door decides only when: once the envelope
	 * sender is known (policy: MAIL or RCPT; milter: MAIL FROM).
	 */
	bool spf_applies;
	enum engine_layer layer;	/* the slowest layer any source needed */
	unsigned elapsed_us;
};

typedef void engine_cb(const struct engine_verdict *verdict, void *ctx);

/*
 * Create an engine on base with the settings of cfg (a reference is taken).
 * Loads file lists, starts the resolver, the Redis cache and the health
 * probes.  Returns 0, or -1 with *error_r (caller frees).
 */
int engine_new(struct event_base *base, cfg_t *cfg, engine_t **engine_r, char **error_r)
	__attribute__((warn_unused_result));
/* Variations for tools. */
struct engine_opts {
	bool no_reports;	/* never emit report events (relayguard-ctl check explains, it does not report) */
	bool health_read_only;	/* read the fleet's zone health, publish none (relayguard-ctl) */
};
int engine_new_opts(struct event_base *base, cfg_t *cfg, const struct engine_opts *opts,
		    engine_t **engine_r, char **error_r) __attribute__((warn_unused_result));

/*
 * Cancel every check in flight (their callbacks are not called) and free.
 * May be called from inside a verdict callback (a reload dropping the last
 * reference): the engine is then freed when the callback returns.
 */
void engine_free(engine_t **engine);

/*
 * Make the engines of this process append their counters to the stats
 * history (stats_history_dir, common/stats_history.h).  The daemons call it
 * once at start, before their first engine; tools, tests and benches do not,
 * so their checks never count in relayguard-ctl report.  Thread-safe.
 */
void engine_keep_history(void);

/*
 * Start a check.  The request's strings are copied.  The callback is never
 * called from inside engine_check(); it is called exactly once unless the
 * check is cancelled.  Never fails: internal errors become verdicts.
 */
engine_check_t *engine_check(engine_t *engine, const struct engine_request *req, engine_cb *cb,
			     void *ctx);
/* The callback will not be called; the shared lookup goes on for others. */
void engine_check_cancel(engine_check_t *check);

/* True when every cache the engine is configured with is connected (Redis). */
bool engine_ready(const engine_t *engine);

/*
 * Call cb (through the loop) once every cache write sent so far has been
 * applied (Redis answers in order: a PING behind them is answered last).
 * For short-lived programs that exit right after a check.  Without Redis,
 * cb comes at once.  Returns nothing: a Redis failure also ends the wait.
 */
typedef void engine_flush_cb(void *ctx);
void engine_flush(engine_t *engine, engine_flush_cb *cb, void *ctx);

/*
 * Zone health (common/zone_health.h): the state of source i's zone, valid
 * until engine_free(); NULL for a source that is not a DNS list or a bad
 * index.  An answer counts only while its zone is in service.
 */
struct zone_health;
const struct zone_health *engine_source_health(const engine_t *engine, size_t i);

/*
 * Read the fleet's shared zone health from Redis now and call cb (through
 * the loop) once it is applied or the read failed; at once without Redis or
 * probes.  For one-shot programs, so that they decide as the daemons do.
 */
void engine_health_sync(engine_t *engine, engine_flush_cb *cb, void *ctx);

/* The configuration the engine runs on (borrowed). */
const cfg_t *engine_cfg(const engine_t *engine);

/* Human/JSON helpers for logs and relayguard-ctl. */
const char *engine_answer_name(enum engine_answer a);
const char *engine_layer_name(enum engine_layer l);
const char *engine_skip_name(enum engine_skip s);
const char *engine_kind_name(enum engine_source_kind k);
/* One key=value decision line (no newline) for the log. */
void engine_verdict_log_line(const struct engine_verdict *v, const struct engine_request *req,
			     struct buf *out);

/*
 * The reply to an SPF "fail" under spf = reject, the same in every door:
 * *code_r and *dsn_r are reject_code and reject_dsn (dsn borrowed from cfg),
 * and "SPF: " and the domain's explanation (explanation may be NULL:
 * ENGINE_SPF_DEFAULT_TEXT) are appended to text, raw: the door cleans it as
 * it cleans every reply text.
 */
#define ENGINE_SPF_DEFAULT_TEXT "sender not permitted by SPF"
void engine_spf_reject_reply(const cfg_t *cfg, const char *explanation, int *code_r,
			     const char **dsn_r, struct buf *text);

/* A deep copy of a verdict that outlives the callback; free with engine_verdict_free. */
struct engine_verdict *engine_verdict_copy(const struct engine_verdict *v);
void engine_verdict_free(struct engine_verdict **v);

/*
 * The blocking wrapper: an engine running on its own thread and event loop.
 * engine_thread_check() may be called from any thread; it submits the
 * request and waits at most timeout_ms.  Returns 0 with *verdict_r (caller
 * frees with engine_verdict_free), or -1 on timeout or shutdown (the check
 * goes on and its verdict is dropped).
 */
typedef struct engine_thread engine_thread_t;
int engine_thread_start(cfg_t *cfg, engine_thread_t **et_r, char **error_r)
	__attribute__((warn_unused_result));
int engine_thread_check(engine_thread_t *et, const struct engine_request *req, unsigned timeout_ms,
			struct engine_verdict **verdict_r) __attribute__((warn_unused_result));
void engine_thread_stop(engine_thread_t **et);

#endif
