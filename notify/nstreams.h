/*
 * nstreams - the report_streams report streams as one queue for
 * relayguard-notify and relayguard-ctl: one nqueue (its own connections,
 * to the master of its stream's slot; the group "notify" on each) per
 * stream, read round-robin by the caller, and the sums of the per-network
 * PARTIAL counts the streams' commits keep apart (doc/redis-schema.md,
 * "Several report streams").
 *
 * Why partial counts: a commit must acknowledge its events and add their
 * counts in one script, so in the events' stream's slot; an owner network
 * whose addresses fall in several /24s (or /48s) has events in several
 * streams, so its counts are the sum of one partial per stream.  The
 * notice keys (told, untold, notice, rate, notices) are stream 0's alone
 * (nstreams_home()), so "one notice per network per interval" is decided
 * in one slot whatever report_streams is.  With report_streams = 1 this is
 * one nqueue and every call is the nqueue call it wraps.
 *
 * Ownership: the set owns its queues; a queue returned by nstreams_at() or
 * nstreams_home() lives until nstreams_reopen() of that index or
 * nstreams_close().  Not thread-safe.
 */
#ifndef RELAYGUARD_NSTREAMS_H
#define RELAYGUARD_NSTREAMS_H

#include <stddef.h>

#include "cfg.h"
#include "nagg.h"
#include "nqueue.h"

typedef struct nstreams nstreams_t;

/* Open every stream (nqueue_open_stream).  0, or -1 with *error_r (caller frees). */
int nstreams_open(const cfg_t *cfg, const char *consumer, nstreams_t **s_r, char **error_r)
	__attribute__((warn_unused_result));
void nstreams_close(nstreams_t **s);
/* A new connection for stream i (after a failed read or commit); the old
 * queue is closed only when the new one is open.  0, or -1 with *error_r. */
int nstreams_reopen(nstreams_t *s, size_t i, char **error_r) __attribute__((warn_unused_result));

/*
 * Check a change of report_streams (the notifier, once at start).  The
 * number the notifiers last read is kept under stream 0's tag (the key
 * "streams"; absent means 1).  When it differs, every stream of the old
 * layout that the new one does not read must be finished (nothing pending
 * or unread in the group "notify"): else -1, with *error_r saying which
 * stream holds how much and what to do.  When they are finished the new
 * number is recorded.  0 when the layout is the one recorded or the
 * change is safe.
 */
int nstreams_check_layout(nstreams_t *s, char **error_r) __attribute__((warn_unused_result));

/* The report_streams the notifiers last recorded (by nstreams_check_layout):
 * 1..REPORT_STREAMS_MAX, 1 when none is recorded, 0 when Redis did not answer. */
unsigned nstreams_recorded(nstreams_t *s);

size_t nstreams_count(const nstreams_t *s);
nqueue_t *nstreams_at(const nstreams_t *s, size_t i);
/* Stream 0's queue: the one the notice keys live with. */
nqueue_t *nstreams_home(const nstreams_t *s);

/* Every network of window whose summed hits reach min_hits: cb for each (once). */
int nstreams_due(nstreams_t *s, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx,
		 char **error_r) __attribute__((warn_unused_result));
/*
 * After a commit of batch to any stream: cb for each network of batch
 * whose summed hits (every stream's partial, one pipelined round trip per
 * stream) reach min_hits.  Nothing with one stream (the commit script
 * decides that alone).  Whether it was told already is the caller's
 * check, as for every due network.
 */
void nstreams_due_batch(nstreams_t *s, const nagg_t *batch, long long min_hits, nqueue_due_cb *cb, void *ctx);
/*
 * nqueue_load_nets() over every stream: nets_r[i] is the network with
 * the partial counts of all streams summed in into (ncounts_load merges
 * them), or NULL when no stream has it.
 */
void nstreams_load_nets(nstreams_t *s, nagg_t *into, const long long *windows, char *const *netkeys, size_t n,
			struct net_agg **nets_r);
/*
 * The networks of window with the most summed hits, most first: cb for the
 * first top of them (top < 0: all).  For relayguard-ctl networks and
 * report; with one stream the ZREVRANGE it always was.  0, or -1 with
 * *error_r.
 */
int nstreams_top(nstreams_t *s, long long window, long top, nqueue_hits_cb *cb, void *ctx, char **error_r)
	__attribute__((warn_unused_result));
/* The same for one network (relayguard-ctl networks); NULL when no stream has it. */
struct net_agg *nstreams_load_net(nstreams_t *s, nagg_t *into, long long window, const char *netkey);

#endif
