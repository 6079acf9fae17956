/*
 * nqueue - relayguard-notify's side of Redis: the report stream read as a
 * consumer group, the per-network counts shared by every notifier, and
 * the notice bookkeeping (who was told when, claims, the hourly rate, the
 * log of sent notices).  Keys (prefix = redis_prefix; the names are built
 * by common/report_keys, shared with the writer; see doc/reports.md):
 *
 *   {p}reports                  the stream (common/report); group "notify"
 *   {p}v3:net:<window>:<netkey> string: the network's counts as ncounts
 *                               records, appended by commits, compacted
 *                               by the notifier (ncounts.h); EXPIREs
 *   {p}v3:nets:<window>         zset netkey -> hits (relayguard-ctl networks)
 *   {p}told:<netkey>            set when told; lives notify_interval
 *   {p}notice:<id>              "claimed <consumer>" while one notifier
 *                               sends it, then "sent"
 *   {p}rate:<hour>              notices sent in that hour (fleet-wide)
 *   {p}notices                  list of JSON lines, newest first (1000)
 *
 * A batch is committed in chunks of networks, each one Lua script that
 * acknowledges the chunk's events (XACK) and adds their counts in the same
 * atomic step: a notifier that dies before a chunk's commit leaves its
 * events pending (claimed later by another after notify_claim_idle, or
 * read again by itself under the same consumer name) and none of their
 * counts; one that dies after leaves both done.  Every event belongs to
 * exactly one network, so to exactly one chunk.
 *
 * One nqueue is one stream.  With report_streams > 1 the notifier holds
 * one per stream (notify/nstreams.h); each keeps the counts of its own
 * events (partial counts, under its stream's tag), and the notice keys
 * are used through stream 0's only.
 *
 * Blocking hiredis with redis_timeout on every command.  Not thread-safe.
 */
#ifndef RELAYGUARD_NQUEUE_H
#define RELAYGUARD_NQUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "nagg.h"
#include "report.h"
#include "report_keys.h"

#define NQUEUE_GROUP REPORT_KEYS_GROUP
#define NQUEUE_NOTICES_KEEP 1000	/* entries of {p}notices */
#define NQUEUE_ID_MAX 64		/* bytes of a stream entry id */
/* Networks and events of one commit script: how long it holds Redis. */
#define NQUEUE_CHUNK_NETS 1000
#define NQUEUE_CHUNK_IDS 20000
/* A network's string is looked at for compaction each time it grows past
 * a multiple of this, and compacted at twice its last compacted size. */
#define NQUEUE_COMPACT_STEP 4096

typedef struct nqueue nqueue_t;

/* Where the next read comes from. */
enum nqueue_phase {
	NQUEUE_OWN_PENDING,	/* entries delivered to this consumer before (a restart) */
	NQUEUE_CLAIM,		/* others' entries idle longer than notify_claim_idle */
	NQUEUE_NEW,		/* never delivered */
};

/* Connect and create the group (if missing).  0, or -1 with *error_r (caller frees). */
int nqueue_open(const cfg_t *cfg, const char *consumer, nqueue_t **q_r, char **error_r)
	__attribute__((warn_unused_result));
/*
 * The same for stream index (0 .. report_streams - 1; nqueue_open() is
 * stream 0): its connection goes to the master of that stream's slot,
 * and nqueue_prefix() is that stream's tag, under which the commit keeps
 * the PARTIAL counts of the events read from it (notify/nstreams.h sums
 * them).  The notice keys (told, notice, rate, notices, untold) are
 * stream 0's: use them only through stream 0's queue.
 */
int nqueue_open_stream(const cfg_t *cfg, const char *consumer, unsigned index, nqueue_t **q_r, char **error_r)
	__attribute__((warn_unused_result));
/* Connect for the stream of that name, to look at it only (no group is created). */
int nqueue_open_name(const cfg_t *cfg, const char *stream, nqueue_t **q_r, char **error_r)
	__attribute__((warn_unused_result));
/*
 * Events of the stream the group "notify" has not finished: pending ones,
 * plus 1 when some were never delivered (the whole length when the group
 * does not exist); 0 when the stream does not exist; -1 when Redis failed.
 */
long long nqueue_backlog(nqueue_t *q);
void nqueue_close(nqueue_t **q);

/*
 * Read up to count entries of phase (NEW waits up to block_ms, 0 = not).
 * cb gets each entry's id and its event, or NULL for an entry that is
 * unreadable or was deleted (it must still be acknowledged).  Returns the
 * number of entries, or -1 with *error_r.  With one stream, a full read of
 * NEW entries sends the next read before counting (Redis builds it
 * meanwhile); the next NEW read or nqueue_commit_ahead() takes its reply.
 * Entries read ahead and never taken stay pending for this consumer.
 */
typedef void nqueue_entry_cb(const char *id, const struct report_event *ev, void *ctx);
long nqueue_read(nqueue_t *q, enum nqueue_phase phase, size_t count, int block_ms,
		 nqueue_entry_cb *cb, void *ctx, char **error_r);
/* Start the OWN_PENDING and CLAIM cursors over. */
void nqueue_rewind(nqueue_t *q);

/*
 * Acknowledge ids and add the counts of batch, atomically per chunk of
 * networks.  id_net[i]: the position in batch (net_agg.seq) of the network
 * ids[i] was counted in, or SIZE_MAX for an unreadable entry.  For every
 * network of the batch whose total reached min_hits, cb(window, netkey).
 * Networks whose string grew large are compacted before it returns.
 * Returns 0 or -1 with *error_r (the chunks that failed were not applied:
 * their events stay pending; the others were).
 */
typedef void nqueue_due_cb(long long window, const char *netkey, void *ctx);
int nqueue_commit(nqueue_t *q, const nagg_t *batch, char *const *ids, const size_t *id_net, size_t n_ids,
		  long long min_hits, nqueue_due_cb *cb, void *ctx, char **error_r)
	__attribute__((warn_unused_result));

/*
 * nqueue_commit(), overlapped with the next read: up to count NEW entries
 * (not waiting for new ones) are read first and handed to entry_cb while
 * Redis runs the commit, so the notifier's work on the next batch and
 * Redis's on this one happen at the same time.  *got_r: the entries read
 * ahead (0 none, -1 the read failed).  Returns as nqueue_commit().
 */
int nqueue_commit_ahead(nqueue_t *q, const nagg_t *batch, char *const *ids, const size_t *id_net, size_t n_ids,
			long long min_hits, nqueue_due_cb *cb, void *ctx, size_t count, nqueue_entry_cb *entry_cb,
			void *entry_ctx, long *got_r, char **error_r) __attribute__((warn_unused_result));

/*
 * The counts (nets zset scores) of n networks in this stream, one round
 * trip, each added to add_to[i] (a missing one adds 0).  -1 when Redis
 * failed (add_to partly updated), else 0.
 */
int nqueue_scores(nqueue_t *q, const long long *windows, char *const *netkeys, size_t n, long long *add_to);
/* Every network of window with hits >= min_hits in this stream: cb(window, netkey, hits, ctx). */
typedef void nqueue_hits_cb(long long window, const char *netkey, long long hits, void *ctx);
int nqueue_due_hits(nqueue_t *q, long long window, long long min_hits, nqueue_hits_cb *cb, void *ctx,
		    char **error_r) __attribute__((warn_unused_result));
/* Every network of window with at least min_hits: cb for each. */
int nqueue_due(nqueue_t *q, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx,
	       char **error_r) __attribute__((warn_unused_result));

/* The shared counts of one network, as a net_agg inside into (NULL when gone). */
struct net_agg *nqueue_load_net(nqueue_t *q, nagg_t *into, long long window, const char *netkey,
				char **error_r);

/* 1 when netkey was told within notify_interval, 0 when not, -1 on error. */
int nqueue_told(nqueue_t *q, const char *netkey);

/*
 * For a batch of notices, one round trip: told_r[i] as nqueue_told();
 * nets_r[i] as nqueue_load_net() (NULL when gone or on error).
 */
void nqueue_told_many(nqueue_t *q, char *const *netkeys, size_t n, int *told_r);
void nqueue_load_nets(nqueue_t *q, nagg_t *into, const long long *windows, char *const *netkeys, size_t n,
		      struct net_agg **nets_r);
/*
 * Claim notices ids[0..n) and count them in this hour's notify_rate, in
 * order, in one script: res_r[i] 1 = go ahead; 0 = sent already or another
 * notifier has it; 2 = the hour is full (nothing claimed); -1 = Redis
 * trouble.
 */
void nqueue_claim_send_many(nqueue_t *q, char *const *ids, size_t n, unsigned ttl_s, long long rate, int *res_r);
struct nqueue_sent_rec {
	const char *id, *netkey, *log_json;
};
/*
 * Record delivered notices, in one script: told (interval_s, 0 = not
 * kept), the sent marker (keep_s), the log line.  The number that failed
 * (0 or n: the script runs whole or not at all; the error in *error_r).
 */
size_t nqueue_sent_many(nqueue_t *q, const struct nqueue_sent_rec *recs, size_t n, long long interval_s,
			long long keep_s, char **error_r);
void nqueue_unclaim(nqueue_t *q, const char *id);
void nqueue_rate_give(nqueue_t *q);

/*
 * Read the stream without the group (relayguard-notify --dry-run): up to
 * count entries after cursor ("" = from the start); cursor is advanced.
 */
long nqueue_scan(nqueue_t *q, char cursor[NQUEUE_ID_MAX], size_t count, nqueue_entry_cb *cb,
		 void *ctx, char **error_r);

/* For relayguard-ctl: run a command (NULL-terminated strings); a redisReply
 * (caller frees with freeReplyObject) or NULL when the connection failed. */
void *nqueue_command(nqueue_t *q, const char *first, ...);
/* The prefix of the notifier's keys, "{redis_prefix}{{redis_prefix}reports}:"
 * (borrowed): the hash tag puts them in the stream's slot. */
const char *nqueue_prefix(const nqueue_t *q);
/* The report stream's key, "{redis_prefix}reports" (borrowed). */
const char *nqueue_stream(const nqueue_t *q);

#endif
