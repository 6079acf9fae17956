/*
 * report - report events: one per listed client, queued for
 * relayguard-notify on a Redis Stream, or in the local spool journal while
 * Redis is not configured or not reachable.
 *
 * An event holds: a unique id, the time, the client address, the HELO
 * name, the lists that matched with their codes and TXT texts, the score, the action and
 * the reporting host (myhostname); the sender domain only with
 * report_sender_domain = yes.  Never a recipient.
 *
 * The queue (doc/reports.md; key names in report_keys.h): the stream {prefix}reports, XADD with
 * MAXLEN ~ report_queue_max.  One Lua script does, atomically:
 *   SET {prefix}rep:{{prefix}reports}:id:<event id> NX EX REPORT_MARKER_TTL_S (else: already queued)
 *   SET {prefix}rep:{{prefix}reports}:seen:<client> NX EX report_dedupe_window (else: deduped)
 *   (the braces make them a Redis Cluster hash tag: the slot of the stream)
 *   XADD {prefix}reports MAXLEN ~ max * field value ...
 * so that replaying an event is idempotent and a client is reported once
 * per window across the fleet.  With report_streams = N > 1 the stream,
 * marker and dedupe key are those of stream report_keys_pick(client, N)
 * (report_keys.h): always the same for a client, so all of the above
 * holds per client as with one stream.  Each process also remembers the clients it
 * reported (in memory, REPORT_DEDUPE_ENTRIES at most) for the window.
 *
 * Spool: with report_spool set, events that cannot go to Redis (not
 * configured, down, no answer) are appended to the journal (common/spool),
 * synced every REPORT_SYNC_MS or REPORT_SYNC_BATCH records.  With Redis
 * configured, the journal is replayed into the stream while Redis is up,
 * REPORT_REPLAY_BATCH events at a time, by one process at a time.  Events
 * sent but not yet answered when report_free() runs are spooled too (their
 * replay is a no-op if Redis had them).
 *
 * Threads: a report_t belongs to the thread running its event_base.
 */
#ifndef RELAYGUARD_REPORT_H
#define RELAYGUARD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "cfg.h"
#include "site.h"

struct event_base;

/* Named limits. */
#define REPORT_ID_MAX 127		/* bytes of an event id */
#define REPORT_NAME_MAX 255		/* HELO name, host name, sender domain */
#define REPORT_ACTION_MAX 15
#define REPORT_LISTS_MAX 16		/* matched lists kept per event */
#define REPORT_TEXT_MAX 255		/* bytes of a list's TXT text kept per event */
#define REPORT_FIELDS_MAX 10		/* field/value pairs of an event */
#define REPORT_DEDUPE_ENTRIES 65536	/* clients remembered per process */
#define REPORT_MARKER_TTL_S (14u * 86400u) /* how long an event id is remembered */
#define REPORT_SYNC_MS 100u
#define REPORT_SYNC_BATCH 64u
#define REPORT_REPLAY_MS 500u
#define REPORT_REPLAY_BATCH 256u

typedef struct report report_t;

/* What the engine hands over; everything is copied. */
struct report_event_in {
	const addr_t *client;
	const char *helo;	/* NULL or "" when none */
	const char *sender;	/* the domain is kept only with report_sender_domain=yes */
	int score;
	const char *action;	/* "reject", "tempfail", ... */
	size_t n_lists;
	const char *const *lists;	/* display names */
	const uint32_t *codes;	/* 127.x.y.z host order, one per list */
	const char *const *texts;	/* NULL, or one TXT text per list (NULL or "" for none) */
};

/* A decoded event: plain bounded fields, copy freely. */
struct report_list {
	char name[SITE_ZONE_MAX + 1];
	uint32_t code;
	char text[REPORT_TEXT_MAX + 1];	/* the list's TXT text, "" when none */
};
struct report_event {
	char id[REPORT_ID_MAX + 1];
	long long time;		/* unix seconds */
	addr_t client;
	char helo[REPORT_NAME_MAX + 1];
	char host[REPORT_NAME_MAX + 1];
	char domain[REPORT_NAME_MAX + 1];	/* "" unless reported */
	int score;
	char action[REPORT_ACTION_MAX + 1];
	size_t n_lists;
	struct report_list lists[REPORT_LISTS_MAX];
};

/* Counters since report_new(). */
struct report_stats {
	uint64_t emitted;	/* report_emit() calls */
	uint64_t deduped_local;	/* dropped by the per-process memory */
	uint64_t queued;	/* XADDed by this process (live or replayed) */
	uint64_t deduped_fleet;	/* refused by the fleet-wide key */
	uint64_t duplicates;	/* replays Redis already had */
	uint64_t spooled;	/* written to the journal */
	uint64_t replayed;	/* journal records handed to Redis */
	uint64_t dropped;	/* lost: no Redis and no spool, or a full spool */
};

/*
 * Start reporting on base for cfg (borrowed: it must outlive the reporter).
 * Redis stream when redis_server is set (an own connection), else / while
 * down the spool journal in report_spool.  Returns 0 and *r, or -1 with
 * *error_r (caller frees): the spool folder cannot be created or opened,
 * or a bad Redis setting.
 */
int report_new(struct event_base *base, const cfg_t *cfg, report_t **r, char **error_r)
	__attribute__((warn_unused_result));
/* Spool what is unanswered, sync, close, free; *r = NULL (NULL is a no-op). */
void report_free(report_t **r);

/* Queue an event.  Never blocks, never fails the check (a loss is logged). */
void report_emit(report_t *r, const struct report_event_in *ev);

/* Events sent to Redis and not yet answered, plus journal records not yet
 * replayed (0 without Redis: the journal is then the queue). */
size_t report_backlog(const report_t *r);
void report_stats(const report_t *r, struct report_stats *stats_r);

/* Where the queue stands, for relayguard-ctl stats. */
struct report_queue_info {
	const char *redis;		/* "none", or rcache_state() of the stream's connection */
	uint64_t spool_pending_bytes;	/* journal bytes its reader has not taken yet */
	long long oldest;		/* unix time of the oldest event waiting there, 0: none */
};
/* Reads the journal's first waiting record: for a periodic snapshot, not per event. */
void report_queue_info(report_t *r, struct report_queue_info *info_r);

/*
 * The codec shared with relayguard-notify.  An event is REPORT_FIELDS_MAX
 * field/value pairs at most: id, t, client, helo, host, score, action,
 * lists ("name=127.0.0.2 other=127.0.0.4"), domain (only when not empty),
 * txt (only when a list gave a text: the texts of the lists in their order,
 * separated by TABs, "" for a list without one; an older reader ignores it).
 * Values are percent-encoded: '%', '=', white space, controls and bytes
 * >= 0x7f become %XX, so a value is one printable token.
 *
 * report_event_fields(): the pairs of ev as keys_r[i] (static strings) and
 * vals[i] (appended to the caller's bufs, which it frees); returns the count.
 * report_event_set(): decode one untrusted pair into ev (unknown keys are
 * ignored); -1 for a bad value.  report_event_check(): are the required
 * fields (id, t, client) there?
 * report_event_format(): the journal line "k=v\tk=v..." (no newline).
 * report_event_parse(): the reverse, on len untrusted bytes; 0, or -1 with
 * *error_r a static description.
 */
size_t report_event_fields(const struct report_event *ev, const char *keys_r[REPORT_FIELDS_MAX],
			   struct buf vals[REPORT_FIELDS_MAX]);
int report_event_set(struct report_event *ev, const char *key, size_t klen, const char *val,
		     size_t vlen) __attribute__((warn_unused_result));
int report_event_check(const struct report_event *ev, const char **error_r)
	__attribute__((warn_unused_result));
void report_event_format(const struct report_event *ev, struct buf *out);
int report_event_parse(const char *line, size_t len, struct report_event *ev_r, const char **error_r)
	__attribute__((warn_unused_result));

/*
 * Fill ev from the engine's input: a new id ("<unix ms hex>.<pid>.<seq>@host"),
 * the time now, lists cut to REPORT_LISTS_MAX, names cut to their limits.
 * with_domain keeps the sender's domain.
 */
void report_event_build(struct report_event *ev, const struct report_event_in *in, const char *host,
			bool with_domain);

#endif
