/*
 * notify - relayguard-notify's pass on Redis: reads {prefix}reports as a
 * member of the consumer group "notify" (several notifiers may run),
 * counts each batch per network and commits counts and acknowledgements
 * together, atomically per chunk of networks (nqueue), then sends the
 * notices of networks that reached notify_min_hits and were not told
 * within notify_interval.  A notice is claimed in Redis before it is
 * sent, so two notifiers never both send it.  Without redis_server the
 * pass is nspool.c's, on the spool journal.  See notify.h.
 *
 * With report_streams = N > 1 (notify/nstreams.h) the streams are read
 * round-robin: per round, each stream's claims and one filled batch of
 * its new entries, committed as partial counts in that stream's slot;
 * the networks due are then decided on the partial counts summed, and
 * their notices sent at the end of the round, from stream 0's notice
 * keys.  With one stream the pass is what it always was.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "notify_metrics.h"
#include "nqueue.h"
#include "nstreams.h"

/* A network to consider for a notice. */
struct due {
	long long window;
	char *netkey;
};

/* A notice handed to the transport; recorded as sent after deliver_flush(). */
struct outgoing {
	char id[NOTICE_ID_MAX];
	char *netkey, *network, *to, *logline;
	size_t n_addrs;
	long long hits;
};

/* Due networks whose Redis steps are sent in one round trip. */
#define NOTIFY_PIPE 256

/* A batch of stream entries: their counts and their ids (to acknowledge). */
struct batchbuf {
	nagg_t *nagg;
	char **ids;
	size_t *id_net;	/* the network (net_agg.seq) each id was counted in; SIZE_MAX: unreadable */
	size_t n_ids;
};

struct run {
	struct notifier *n;
	nstreams_t *qs;			/* report_streams queues */
	size_t lane;			/* the stream being read and committed */
	bool defer;			/* several streams: due notices wait for the end of the round */
	struct batchbuf bufs[2];	/* one committed while the other is read */
	struct batchbuf *cur;		/* where on_entry counts */
	struct due *due;
	size_t n_due, cap_due;
	long long max_window;	/* newest window seen */
	struct outgoing *out;	/* delivered, not yet flushed and recorded */
	size_t n_out, cap_out;
	struct buf scratch;
};

/* ---- Redis back end ------------------------------------------------------ */

/* Stream 0's queue: told, untold, notice, rate and notices live with it. */
static nqueue_t *home(const struct run *r)
{
	return nstreams_home(r->qs);
}

/* The queue of the stream being read. */
static nqueue_t *lane(const struct run *r)
{
	return nstreams_at(r->qs, r->lane);
}

static void add_due(long long window, const char *netkey, void *ctx)
{
	struct run *r = ctx;

	/* whether anyone can be told is decided at sending time (ncontact);
	 * duplicates are dropped once, by uniq_due(), not here: a scan adds
	 * every network over the threshold, and a search per add was quadratic */
	if (r->n_due == r->cap_due) {
		r->cap_due = r->cap_due ? r->cap_due * 2 : 64;
		r->due = xreallocarray(r->due, r->cap_due, sizeof(*r->due));
	}
	r->due[r->n_due].window = window;
	r->due[r->n_due++].netkey = xstrdup(netkey);
}

static int cmp_due(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	int c = strcmp(x->netkey, y->netkey);

	return c != 0 ? c : (x->window > y->window) - (x->window < y->window);
}

/* Sort the due networks and drop repeated (window, netkey) pairs. */
static void uniq_due(struct run *r)
{
	size_t o = 0;

	if (r->n_due > 1)
		qsort(r->due, r->n_due, sizeof(*r->due), cmp_due);
	for (size_t i = 0; i < r->n_due; i++) {
		if (o > 0 && cmp_due(&r->due[o - 1], &r->due[i]) == 0)
			free(r->due[i].netkey);
		else
			r->due[o++] = r->due[i];
	}
	r->n_due = o;
}

static void clear_due(struct run *r)
{
	for (size_t i = 0; i < r->n_due; i++)
		free(r->due[i].netkey);
	r->n_due = 0;
}

static void on_entry(const char *id, const struct report_event *ev, void *ctx)
{
	struct run *r = ctx;
	struct notifier *n = r->n;
	struct nagg_owner owner;

	size_t at = r->cur->n_ids++;
	r->cur->ids[at] = xstrdup(id);
	r->cur->id_net[at] = SIZE_MAX;
	if (ev == NULL) {
		n->bad_events++;
		return;
	}
	n->events++;
	notify_metrics_event(ev->time);
	notify_owner(n, &ev->client, &owner, &r->scratch);
	long long w = ev->time / n->window_s;
	if (w > r->max_window)
		r->max_window = w;
	r->cur->id_net[at] = nagg_add(r->cur->nagg, w, &owner, ev)->seq;
}

/*
 * A network that gets no notice: logged once per notify_interval across
 * the fleet (the {p}untold:<netkey> marker, which relayguard-ctl networks
 * --untold lists with its reason).
 */
static void untold_once(struct run *r, const struct net_agg *net, enum notify_to what, const char *why)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	char ttl[24];

	report_keys_untold(nqueue_prefix(home(r)), net->netkey, &key);
	buf_printf(&val, "%lld\t%s", (long long)time(NULL), why);
	snprintf(ttl, sizeof(ttl), "%lld", r->n->interval_s > 0 ? r->n->interval_s : r->n->window_s);
	redisReply *rep = nqueue_command(home(r), "SET", buf_cstr(&key), buf_cstr(&val), "NX", "EX", ttl, NULL);
	if (rep != NULL && rep->type == REDIS_REPLY_STATUS)
		notify_log_untold(net, what, why);
	if (rep != NULL)
		freeReplyObject(rep);
	buf_free(&key);
	buf_free(&val);
}

static bool in_flight(const struct run *r, const char *netkey)
{
	for (size_t i = 0; i < r->n_out; i++)
		if (strcmp(r->out[i].netkey, netkey) == 0)
			return true;
	return false;
}

/*
 * Make the delivered notices final and record them as sent.  The order is
 * the crash-safety argument: deliver (files not yet durable) -> one
 * deliver_flush() (data, names and folder on disk) -> the "sent" records
 * in Redis.  A crash before the flush loses nothing: the notices are not
 * recorded, their claims expire (notify_claim_idle) and another pass sends
 * them again.  A crash between the flush and the records sends them again
 * too (the outbox finds each file and writes no second copy).  No order of
 * events records a notice as sent whose file is not on disk.
 */
static void record_batch(struct run *r)
{
	struct notifier *n = r->n;
	char *err = NULL;

	if (r->n_out == 0)
		return;
	int flushed = deliver_flush(n->deliver, &err);
	if (flushed != 0)
		log_warning("%zu notices not delivered: %s", r->n_out, err);
	if (flushed == 0) {
		struct nqueue_sent_rec *recs = xcalloc(r->n_out, sizeof(*recs));
		char *serr = NULL;
		for (size_t i = 0; i < r->n_out; i++)
			recs[i] = (struct nqueue_sent_rec){ r->out[i].id, r->out[i].netkey, r->out[i].logline };
		size_t bad = nqueue_sent_many(home(r), recs, r->n_out, n->interval_s,
					      2 * n->window_s + n->interval_s + 3600, &serr);
		if (bad > 0)
			log_warning("%zu notices delivered but not recorded: %s", bad, serr);
		free(serr);
		free(recs);
	}
	for (size_t i = 0; i < r->n_out; i++) {
		struct outgoing *o = &r->out[i];
		if (flushed != 0) {
			nqueue_unclaim(home(r), o->id);
			nqueue_rate_give(home(r));
			n->failed++;
		} else {
			n->notices++;
			log_info("notice %s sent: network=%s to=%s addresses=%zu hits=%lld", o->id, o->network, o->to,
				 o->n_addrs, o->hits);
		}
		free(o->netkey);
		free(o->network);
		free(o->to);
		free(o->logline);
	}
	r->n_out = 0;
	free(err);
}

static void add_outgoing(struct run *r, const struct net_agg *net, const char *id, const char *to)
{
	struct buf line = BUF_INIT;

	if (r->n_out == r->cap_out) {
		r->cap_out = r->cap_out ? r->cap_out * 2 : 64;
		r->out = xreallocarray(r->out, r->cap_out, sizeof(*r->out));
	}
	struct outgoing *o = &r->out[r->n_out++];
	snprintf(o->id, sizeof(o->id), "%s", id);
	o->netkey = xstrdup(net->netkey);
	o->network = xstrdup(net->network);
	o->to = xstrdup(to);
	notify_log_json(net, id, to, &line);
	o->logline = buf_detach(&line);
	o->n_addrs = net->n_addrs;
	o->hits = net->hits;
	if (r->n_out >= NOTIFY_FLUSH_MAX)
		record_batch(r);
}

/* The networks of keys[0..n) worth loading: not told, not being told, each once. */
static size_t keep_untold(struct run *r, char **keys, long long *wins, size_t n)
{
	int *told = xcalloc(n ? n : 1, sizeof(*told));
	size_t m = 0;

	nqueue_told_many(home(r), keys, n, told);
	for (size_t i = 0; i < n; i++) {
		/* told within notify_interval, or Redis trouble: later */
		bool skip = told[i] != 0 || in_flight(r, keys[i]);
		for (size_t k = 0; k < m && !skip; k++)
			skip = strcmp(keys[k], keys[i]) == 0;	/* one netkey due in two windows */
		if (!skip) {
			keys[m] = keys[i];
			wins[m++] = wins[i];
		}
	}
	free(told);
	return m;
}

/* Render and hand one claimed notice to the transport. */
static void send_claimed(struct run *r, struct net_agg *net, const char *id)
{
	struct notifier *n = r->n;
	struct buf msg = BUF_INIT;
	char idc[NOTICE_ID_MAX], *err = NULL;

	snprintf(idc, sizeof(idc), "%s", id);
	if (notify_render_verified(n, net, idc, &msg) != NOTIFY_RENDERED) {
		/* notify_verify: no notice now (no host confirmed, or the budget); a later pass looks again */
		nqueue_unclaim(home(r), idc);
		nqueue_rate_give(home(r));
		buf_free(&msg);
		return;
	}
	if (deliver_send(n->deliver, idc, n->sender, net->abuse, cfg_str(n->cfg, CFG_NOTIFY_BCC), &msg, &err) != 0) {
		log_warning("notice %s for %s to %s not delivered: %s", idc, net->netkey, net->abuse, err);
		nqueue_unclaim(home(r), idc);
		nqueue_rate_give(home(r));
		n->failed++;
	} else {
		add_outgoing(r, net, idc, net->abuse);
	}
	free(err);
	buf_free(&msg);
}

/*
 * The notices of due[from .. from + n), if they are due.  The Redis steps
 * (told?, the counts, the claim) go out for the whole chunk at once: one
 * round trip per step instead of one per notice.  False when notices must
 * stop for now (notify_rate).
 */
static bool notice_chunk(struct run *r, size_t from, size_t n)
{
	struct notifier *nf = r->n;
	char **keys = xcalloc(n, sizeof(*keys));
	long long *wins = xcalloc(n, sizeof(*wins));
	struct net_agg **nets = xcalloc(n, sizeof(*nets)), **cand = xcalloc(n, sizeof(*cand));
	char (*ids)[NOTICE_ID_MAX] = xcalloc(n, sizeof(*ids));
	char **idp = xcalloc(n, sizeof(*idp));
	int *claim = xcalloc(n, sizeof(*claim));
	nagg_t *scratch = nagg_new();
	size_t c = 0;
	bool go_on = true;

	for (size_t i = 0; i < n; i++) {
		keys[i] = r->due[from + i].netkey;
		wins[i] = r->due[from + i].window;
	}
	size_t m = keep_untold(r, keys, wins, n);
	nstreams_load_nets(r->qs, scratch, wins, keys, m, nets);
	for (size_t i = 0; i < m; i++) {
		struct buf to = BUF_INIT, why = BUF_INIT;
		if (nets[i] != NULL && nets[i]->hits >= nf->min_hits) {	/* else gone, or not there yet */
			enum notify_to what = notify_recipient(nf, nets[i], &to, &why);
			if (what != NOTIFY_TO_SEND) {
				untold_once(r, nets[i], what, buf_cstr(&why));
			} else {
				free(nets[i]->abuse);
				nets[i]->abuse = xstrdup(buf_cstr(&to));
				notice_id(nets[i], ids[c]);
				idp[c] = ids[c];
				cand[c++] = nets[i];
			}
		}
		buf_free(&to);
		buf_free(&why);
	}
	nqueue_claim_send_many(home(r), idp, c, (unsigned)(cfg_ms(nf->cfg, CFG_NOTIFY_CLAIM_IDLE) / 1000), nf->rate, claim);
	for (size_t k = 0; k < c; k++) {
		if (claim[k] == 1) {
			send_claimed(r, cand[k], ids[k]);
		} else if (claim[k] == 2) {	/* the hour is full: nothing was claimed */
			nf->deferred++;
			if (go_on)
				log_notice("notify_rate (%lld per hour) reached: the notice for %s waits", nf->rate,
					   cand[k]->netkey);
			nf->rate_exhausted = true;
			go_on = false;
		}	/* 0, -1: sent already, another notifier is sending it, or Redis trouble */
	}
	nagg_free(&scratch);
	free(keys);
	free(wins);
	free(nets);
	free(cand);
	free(ids);
	free(idp);
	free(claim);
	return go_on;
}

static void send_due(struct run *r)
{
	uniq_due(r);
	nsuppress_refresh(r->n->suppress);
	nverify_pass_begin(r->n->verify);
	for (size_t i = 0; i < r->n_due && !r->n->rate_exhausted; i += NOTIFY_PIPE)
		if (!notice_chunk(r, i, r->n_due - i < NOTIFY_PIPE ? r->n_due - i : NOTIFY_PIPE))
			break;
	record_batch(r);
	clear_due(r);
}

/* Every network over the threshold in the current and the last window. */
static int scan_due(struct run *r)
{
	long long now_w = (long long)time(NULL) / r->n->window_s;
	long long top = r->max_window > now_w ? r->max_window : now_w;
	char *err = NULL;

	for (long long w = top - 1; w <= top; w++) {
		if (nstreams_due(r->qs, w, r->n->min_hits, add_due, r, &err) != 0) {
			log_warning("%s", err);
			free(err);
			return -1;
		}
	}
	send_due(r);
	return 0;
}

static void batch_clear(struct batchbuf *b)
{
	nagg_clear(b->nagg);
	for (size_t i = 0; i < b->n_ids; i++)
		free(b->ids[i]);
	b->n_ids = 0;
}

/* Read one batch of phase, commit it, send what became due.  Entries read, or -1. */
static long one_batch(struct run *r, enum nqueue_phase phase, int block_ms)
{
	struct batchbuf *b = r->cur;
	char *err = NULL;

	long got = nqueue_read(lane(r), phase, NOTIFY_BATCH, block_ms, on_entry, r, &err);
	if (got > 0 &&
	    nqueue_commit(lane(r), b->nagg, b->ids, b->id_net, b->n_ids, r->n->min_hits, add_due, r, &err) != 0)
		got = -1;
	if (got > 0)
		nstreams_due_batch(r->qs, b->nagg, r->n->min_hits, add_due, r);
	if (got < 0) {
		log_warning("%s", err);
		free(err);
	}
	batch_clear(b);
	if (got > 0 && !r->defer)
		send_due(r);
	return got;
}

/* The first read of new entries (may wait block_ms): entries read into r->cur, or -1. */
static long one_batch_read(struct run *r, int block_ms)
{
	char *err = NULL;

	long got = nqueue_read(lane(r), NQUEUE_NEW, NOTIFY_BATCH, block_ms, on_entry, r, &err);
	if (got < 0) {
		log_warning("%s", err);
		free(err);
		batch_clear(r->cur);
	}
	return got;
}

/*
 * More new entries into r->cur while the last read was full (the stream
 * has more) and the batch is small enough (NOTIFY_COMMIT_ROWS,
 * NOTIFY_COMMIT_MAX).  last: the size of the read before.  Entries added.
 * A failed read ends the filling: what is read is committed.
 */
static long fill_batch(struct run *r, long last)
{
	long added = 0;

	while (!r->n->stop && last == (long)NOTIFY_BATCH && r->cur->n_ids + NOTIFY_BATCH <= NOTIFY_COMMIT_MAX &&
	       nagg_rows(r->cur->nagg) < NOTIFY_COMMIT_ROWS) {
		char *err = NULL;
		last = nqueue_read(lane(r), NQUEUE_NEW, NOTIFY_BATCH, 0, on_entry, r, &err);
		if (last < 0) {
			log_warning("%s", err);
			free(err);
			break;
		}
		added += last;
	}
	return added;
}

/*
 * New entries, batch after batch, each batch's commit overlapped with the
 * reading and counting of the next (nqueue_commit_ahead), at most
 * max_commits batches (so that a busy stream leaves the others their
 * turn).  Entries committed, or -1.  A batch read ahead and not committed (stop, or a
 * failed commit) stays pending in the group: read again after a restart,
 * or claimed after notify_claim_idle.
 */
static long new_batches(struct run *r, int block_ms, long max_commits)
{
	long total = 0, commits = 0;

	long got = one_batch_read(r, block_ms);
	while (got > 0) {
		got += fill_batch(r, got);
		struct batchbuf *b = r->cur;
		char *err = NULL;
		long ahead = 0;
		bool last = r->n->stop || ++commits >= max_commits;
		r->cur = b == &r->bufs[0] ? &r->bufs[1] : &r->bufs[0];
		/* stopping, or this stream's share of the round is done: commit
		 * what is read, read nothing more */
		int rc = last ? nqueue_commit(lane(r), b->nagg, b->ids, b->id_net, b->n_ids, r->n->min_hits,
						    add_due, r, &err)
				    : nqueue_commit_ahead(lane(r), b->nagg, b->ids, b->id_net, b->n_ids, r->n->min_hits,
							  add_due, r, NOTIFY_BATCH, on_entry, r, &ahead, &err);
		if (rc == 0)
			nstreams_due_batch(r->qs, b->nagg, r->n->min_hits, add_due, r);
		batch_clear(b);
		if (rc != 0) {
			log_warning("%s", err);
			free(err);
			batch_clear(r->cur);
			return -1;
		}
		total += got;
		if (!r->defer)
			send_due(r);
		got = ahead;
	}
	return got < 0 ? -1 : total;
}

static void run_free(struct run *r)
{
	clear_due(r);
	free(r->due);
	free(r->out);
	nstreams_close(&r->qs);
	for (int i = 0; i < 2; i++) {
		if (r->bufs[i].nagg != NULL)
			batch_clear(&r->bufs[i]);
		nagg_free(&r->bufs[i].nagg);
		free(r->bufs[i].ids);
		free(r->bufs[i].id_net);
	}
	buf_free(&r->scratch);
}

/*
 * After a failed read or commit, a new connection to the master of the
 * stream being read: through the Sentinels when they are configured,
 * since a failover moves the master (the old one is killed, or demoted to
 * a replica that answers READONLY) and hiredis never reconnects by
 * itself; on a Redis Cluster the stream's slot may have moved (MOVED):
 * nqueue_open_stream() asks again where the stream is.  What this
 * consumer read and did not commit is pending in the group: read again
 * here, or claimed by another notifier after notify_claim_idle.
 */
static void reconnect(struct run *r)
{
	char *err = NULL;

	if (nstreams_reopen(r->qs, r->lane, &err) != 0) {
		log_warning("report stream %s: cannot reconnect: %s (trying again in 1 s)", nqueue_stream(lane(r)), err);
		free(err);
		return;
	}
	log_notice("report stream %s: reconnected to the Redis master", nqueue_stream(lane(r)));
	while (!r->n->stop && one_batch(r, NQUEUE_OWN_PENDING, 0) > 0)
		;
}

/*
 * One round over the streams: each one's claims of others' stale work and
 * its new entries.  An idle stream waits NOTIFY_BLOCK_MS / report_streams
 * for new entries, so an idle round waits about NOTIFY_BLOCK_MS.  *idle_r:
 * no stream had anything.  -1 when a stream failed (after its reconnect).
 */
static int one_round(struct run *r, bool *idle_r)
{
	struct notifier *n = r->n;
	size_t count = nstreams_count(r->qs);
	/* one stream: batch after batch as long as it has entries; several:
	 * one filled batch each per round, then the notices, which so see
	 * what every stream brought in this round (the partial counts summed) */
	long share = count == 1 ? LONG_MAX : 1;
	int status = 0;

	*idle_r = true;
	for (r->lane = 0; r->lane < count && !n->stop; r->lane++) {
		long claimed = one_batch(r, NQUEUE_CLAIM, 0);
		long got = new_batches(r, n->once ? 0 : (int)(NOTIFY_BLOCK_MS / count), share);
		if (got != 0 || claimed != 0)
			*idle_r = false;
		if (got < 0 || claimed < 0) {
			status = -1;
			if (n->once)
				break;
			sleep(1);
			reconnect(r);
		}
	}
	r->lane = 0;
	if (r->n_due > 0)
		send_due(r);
	return status;
}

int notify_run_redis(struct notifier *n)
{
	struct run r = { .n = n };
	char *err = NULL;

	for (int i = 0; i < 2; i++) {
		r.bufs[i].nagg = nagg_new();
		r.bufs[i].ids = xcalloc(NOTIFY_COMMIT_MAX, sizeof(char *));
		r.bufs[i].id_net = xcalloc(NOTIFY_COMMIT_MAX, sizeof(size_t));
	}
	r.cur = &r.bufs[0];
	int status = 0;
	time_t last_scan = 0;

	if (nstreams_open(n->cfg, n->consumer, &r.qs, &err) != 0 || nstreams_check_layout(r.qs, &err) != 0) {
		log_error("%s", err);
		free(err);
		run_free(&r);
		return 1;
	}
	/* First what this consumer had before a restart, then others' stale work. */
	r.defer = nstreams_count(r.qs) > 1;
	for (r.lane = 0; r.lane < nstreams_count(r.qs); r.lane++)
		while (!n->stop && one_batch(&r, NQUEUE_OWN_PENDING, 0) > 0)
			;
	r.lane = 0;
	if (r.n_due > 0)
		send_due(&r);
	while (!n->stop) {
		bool idle;
		if (one_round(&r, &idle) != 0 && n->once) {
			status = 1;
			break;
		}
		notify_metrics_publish(n);
		n->rate_exhausted = false;	/* try again: the hour may have turned */
		if (time(NULL) - last_scan >= NOTIFY_DUE_SCAN_S || (n->once && idle)) {
			scan_due(&r);
			last_scan = time(NULL);
		}
		if (n->once && idle)
			break;
	}
	run_free(&r);
	return status;
}

/* --dry-run on Redis: the whole stream counted in memory, nothing written. */
static void dry_entry(const char *id, const struct report_event *ev, void *ctx)
{
	struct run *r = ctx;
	struct nagg_owner owner;

	(void)id;
	if (ev == NULL)
		return;
	r->n->events++;
	notify_owner(r->n, &ev->client, &owner, &r->scratch);
	nagg_add(r->cur->nagg, ev->time / r->n->window_s, &owner, ev);
}

int notify_run_dry_redis(struct notifier *n)
{
	struct run r = { .n = n };
	char cursor[NQUEUE_ID_MAX] = "";
	char *err = NULL;
	long got;

	r.bufs[0].nagg = nagg_new();
	r.cur = &r.bufs[0];
	if (nstreams_open(n->cfg, n->consumer, &r.qs, &err) != 0) {
		log_error("%s", err);
		free(err);
		run_free(&r);
		return 1;
	}
	got = 0;
	for (size_t i = 0; i < nstreams_count(r.qs) && got >= 0; i++) {
		cursor[0] = '\0';
		while ((got = nqueue_scan(nstreams_at(r.qs, i), cursor, NOTIFY_BATCH, dry_entry, &r, &err)) > 0)
			;
	}
	nsuppress_refresh(n->suppress);
	if (got < 0) {
		log_error("%s", err);
		free(err);
	}
	for (size_t i = 0; i < nagg_count(r.cur->nagg); i++) {
		struct net_agg *net = nagg_at(r.cur->nagg, i);
		char id[NOTICE_ID_MAX];
		struct buf msg = BUF_INIT, to = BUF_INIT, why = BUF_INIT;
		if (net->hits < n->min_hits || nqueue_told(nstreams_home(r.qs), net->netkey) == 1)
			continue;
		enum notify_to what = notify_recipient(n, net, &to, &why);
		if (what != NOTIFY_TO_SEND) {
			notify_log_untold(net, what, buf_cstr(&why));
		} else {
			free(net->abuse);
			net->abuse = xstrdup(buf_cstr(&to));
			if (notify_render_verified(n, net, id, &msg) == NOTIFY_RENDERED) {
				printf("%s\n", buf_cstr(&msg));
				n->notices++;
			}
		}
		buf_free(&msg);
		buf_free(&to);
		buf_free(&why);
	}
	run_free(&r);
	return got < 0;
}
