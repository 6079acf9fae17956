/*
 * relayguard-notify - turns report events into one notice per offending
 * network, sent to its abuse contact.  See relayguard-notify(8).
 *
 * With redis_server: reads {prefix}reports as a member of the consumer
 * group "notify" (several notifiers may run), counts each batch per
 * network and commits counts and acknowledgements in one atomic step
 * (nqueue), then sends the notices of networks that reached
 * notify_min_hits and were not told within notify_interval.  A notice is
 * claimed in Redis before it is sent, so two notifiers never both send it.
 * Without redis_server: nspool.c, on the spool journal.
 *
 * usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "notify_metrics.h"
#include "nqueue.h"

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
	size_t n_ids;
};

struct run {
	struct notifier *n;
	nqueue_t *q;
	struct batchbuf bufs[2];	/* one committed while the other is read */
	struct batchbuf *cur;		/* where on_entry counts */
	struct due *due;
	size_t n_due, cap_due;
	long long max_window;	/* newest window seen */
	struct outgoing *out;	/* delivered, not yet flushed and recorded */
	size_t n_out, cap_out;
	struct buf scratch;
};

static struct notifier *the_notifier;

static void on_signal(int sig)
{
	(void)sig;
	if (the_notifier != NULL)
		the_notifier->stop = 1;
}

/* ---- Redis back end ------------------------------------------------------ */

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

	r->cur->ids[r->cur->n_ids++] = xstrdup(id);
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
	nagg_add(r->cur->nagg, w, &owner, ev);
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

	buf_printf(&key, "%suntold:%s", nqueue_prefix(r->q), net->netkey);
	buf_printf(&val, "%lld\t%s", (long long)time(NULL), why);
	snprintf(ttl, sizeof(ttl), "%lld", r->n->interval_s > 0 ? r->n->interval_s : r->n->window_s);
	redisReply *rep = nqueue_command(r->q, "SET", buf_cstr(&key), buf_cstr(&val), "NX", "EX", ttl, NULL);
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
		size_t bad = nqueue_sent_many(r->q, recs, r->n_out, n->interval_s,
					      2 * n->window_s + n->interval_s + 3600, &serr);
		if (bad > 0)
			log_warning("%zu notices delivered but not recorded: %s", bad, serr);
		free(serr);
		free(recs);
	}
	for (size_t i = 0; i < r->n_out; i++) {
		struct outgoing *o = &r->out[i];
		if (flushed != 0) {
			nqueue_unclaim(r->q, o->id);
			nqueue_rate_give(r->q);
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

	nqueue_told_many(r->q, keys, n, told);
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
	notify_render(n, net, idc, &msg);
	if (deliver_send(n->deliver, idc, n->sender, net->abuse, cfg_str(n->cfg, CFG_NOTIFY_BCC), &msg, &err) != 0) {
		log_warning("notice %s for %s to %s not delivered: %s", idc, net->netkey, net->abuse, err);
		nqueue_unclaim(r->q, idc);
		nqueue_rate_give(r->q);
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
	nqueue_load_nets(r->q, scratch, wins, keys, m, nets);
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
	nqueue_claim_send_many(r->q, idp, c, (unsigned)(cfg_ms(nf->cfg, CFG_NOTIFY_CLAIM_IDLE) / 1000), nf->rate, claim);
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
		if (nqueue_due(r->q, w, r->n->min_hits, add_due, r, &err) != 0) {
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

	long got = nqueue_read(r->q, phase, NOTIFY_BATCH, block_ms, on_entry, r, &err);
	if (got > 0 && nqueue_commit(r->q, b->nagg, b->ids, b->n_ids, r->n->min_hits, add_due, r, &err) != 0)
		got = -1;
	if (got < 0) {
		log_warning("%s", err);
		free(err);
	}
	batch_clear(b);
	if (got > 0)
		send_due(r);
	return got;
}

/* The first read of new entries (may wait block_ms): entries read into r->cur, or -1. */
static long one_batch_read(struct run *r, int block_ms)
{
	char *err = NULL;

	long got = nqueue_read(r->q, NQUEUE_NEW, NOTIFY_BATCH, block_ms, on_entry, r, &err);
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
		last = nqueue_read(r->q, NQUEUE_NEW, NOTIFY_BATCH, 0, on_entry, r, &err);
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
 * reading and counting of the next (nqueue_commit_ahead).  Entries
 * committed, or -1.  A batch read ahead and not committed (stop, or a
 * failed commit) stays pending in the group: read again after a restart,
 * or claimed after notify_claim_idle.
 */
static long new_batches(struct run *r, int block_ms)
{
	long total = 0;

	long got = one_batch_read(r, block_ms);
	while (got > 0) {
		got += fill_batch(r, got);
		struct batchbuf *b = r->cur;
		char *err = NULL;
		long ahead = 0;
		r->cur = b == &r->bufs[0] ? &r->bufs[1] : &r->bufs[0];
		/* stopping: commit what is read, read nothing more */
		int rc = r->n->stop ? nqueue_commit(r->q, b->nagg, b->ids, b->n_ids, r->n->min_hits, add_due, r, &err)
				    : nqueue_commit_ahead(r->q, b->nagg, b->ids, b->n_ids, r->n->min_hits, add_due, r,
							  NOTIFY_BATCH, on_entry, r, &ahead, &err);
		batch_clear(b);
		if (rc != 0) {
			log_warning("%s", err);
			free(err);
			batch_clear(r->cur);
			return -1;
		}
		total += got;
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
	nqueue_close(&r->q);
	for (int i = 0; i < 2; i++) {
		if (r->bufs[i].nagg != NULL)
			batch_clear(&r->bufs[i]);
		nagg_free(&r->bufs[i].nagg);
		free(r->bufs[i].ids);
	}
	buf_free(&r->scratch);
}

/*
 * After a Redis error: connect again.  The server may be gone (a failover
 * promoted its replica: Sentinel names the new master), or on a Redis
 * Cluster the stream's slot may have moved (MOVED): nqueue_open() asks
 * again where the stream is.  The batch in memory is kept; its events stay
 * pending in the group until committed, so nothing is lost or counted twice.
 */
static void run_reopen(struct run *r)
{
	nqueue_t *q = NULL;
	char *err = NULL;

	if (nqueue_open(r->n->cfg, r->n->consumer, &q, &err) != 0) {
		log_warning("redis: cannot connect again (retrying): %s", err);
		free(err);
		return;
	}
	nqueue_close(&r->q);
	r->q = q;
	log_notice("redis: connected again to the report stream");
}

static int run_redis(struct notifier *n)
{
	struct run r = { .n = n };
	char *err = NULL;

	for (int i = 0; i < 2; i++) {
		r.bufs[i].nagg = nagg_new();
		r.bufs[i].ids = xcalloc(NOTIFY_COMMIT_MAX, sizeof(char *));
	}
	r.cur = &r.bufs[0];
	int status = 0;
	time_t last_scan = 0;

	if (nqueue_open(n->cfg, n->consumer, &r.q, &err) != 0) {
		log_error("%s", err);
		free(err);
		run_free(&r);
		return 1;
	}
	/* First what this consumer had before a restart, then others' stale work. */
	while (!n->stop && one_batch(&r, NQUEUE_OWN_PENDING, 0) > 0)
		;
	while (!n->stop) {
		long claimed = one_batch(&r, NQUEUE_CLAIM, 0);
		long got = new_batches(&r, n->once ? 0 : NOTIFY_BLOCK_MS);
		if (got < 0 || claimed < 0) {
			if (n->once) {
				status = 1;
				break;
			}
			sleep(1);
			run_reopen(&r);
		}
		notify_metrics_publish(n);
		n->rate_exhausted = false;	/* try again: the hour may have turned */
		if (time(NULL) - last_scan >= NOTIFY_DUE_SCAN_S || (n->once && got == 0 && claimed == 0)) {
			scan_due(&r);
			last_scan = time(NULL);
		}
		if (n->once && got == 0 && claimed == 0)
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

static int run_dry_redis(struct notifier *n)
{
	struct run r = { .n = n };
	char cursor[NQUEUE_ID_MAX] = "";
	char *err = NULL;
	long got;

	r.bufs[0].nagg = nagg_new();
	r.cur = &r.bufs[0];
	if (nqueue_open(n->cfg, n->consumer, &r.q, &err) != 0) {
		log_error("%s", err);
		free(err);
		run_free(&r);
		return 1;
	}
	while ((got = nqueue_scan(r.q, cursor, NOTIFY_BATCH, dry_entry, &r, &err)) > 0)
		;
	nsuppress_refresh(n->suppress);
	if (got < 0) {
		log_error("%s", err);
		free(err);
	}
	for (size_t i = 0; i < nagg_count(r.cur->nagg); i++) {
		struct net_agg *net = nagg_at(r.cur->nagg, i);
		char id[NOTICE_ID_MAX];
		struct buf msg = BUF_INIT, to = BUF_INIT, why = BUF_INIT;
		if (net->hits < n->min_hits || nqueue_told(r.q, net->netkey) == 1)
			continue;
		enum notify_to what = notify_recipient(n, net, &to, &why);
		if (what != NOTIFY_TO_SEND) {
			notify_log_untold(net, what, buf_cstr(&why));
		} else {
			free(net->abuse);
			net->abuse = xstrdup(buf_cstr(&to));
			notify_render(n, net, id, &msg);
			printf("%s\n", buf_cstr(&msg));
			n->notices++;
		}
		buf_free(&msg);
		buf_free(&to);
		buf_free(&why);
	}
	run_free(&r);
	return got < 0;
}

/* ---- setup --------------------------------------------------------------- */

static int load_owners(struct notifier *n)
{
	const struct cfg_strlist *dbs = cfg_list(n->cfg, CFG_OWNERS_DB);
	struct owners_stats st;
	char *err = NULL;
	clock_t t0 = clock();

	n->owners = owners_new();
	for (size_t i = 0; i < dbs->n; i++) {
		if (owners_load(n->owners, dbs->items[i], &err) != 0) {
			log_error("owners_db: %s", err);
			free(err);
			return -1;
		}
	}
	owners_finish(n->owners);
	owners_stats(n->owners, &st);
	log_info("owners: %zu networks, %zu contacts, %zu prefixes, %zu without abuse contact, "
		 "%zu bad lines, %zu KiB, %.2f s",
		 st.objects, st.handles, st.prefixes, st.no_abuse, st.bad_lines, st.memory / 1024,
		 (double)(clock() - t0) / CLOCKS_PER_SEC);
	return 0;
}

static char *expand_hostname(const cfg_t *cfg, const char *from);

/* conf/notice.txt, built in (notify/notice_default.inc is made from it by make). */
static const char default_template[] =
#include "notice_default.inc"
	;

/*
 * notify_template: "" = the built-in template.  The default path
 * ($sysconfdir/relayguard/notice.txt, installed by make install) missing
 * is not an error either: the built-in template is used and that is
 * logged.  Any other path that cannot be read is an error: the site asked
 * for that file.
 */
static int load_template(struct notifier *n)
{
	const char *path = cfg_str(n->cfg, CFG_NOTIFY_TEMPLATE);
	struct buf text = BUF_INIT;
	char chunk[4096];
	size_t got;
	const char *why;

	if (path[0] == '\0') {
		buf_puts(&text, default_template);
		path = "(built in)";
	} else {
		FILE *fp = fopen(path, "r");
		if (fp == NULL && errno == ENOENT && strcmp(path, cfg_default_text(CFG_NOTIFY_TEMPLATE)) == 0) {
			log_notice("notify_template %s does not exist: using the built-in template", path);
			buf_puts(&text, default_template);
		} else if (fp == NULL) {
			log_error("notify_template %s: cannot open: %m", path);
			return -1;
		} else {
			while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len <= NOTICE_TEMPLATE_MAX)
				buf_append(&text, chunk, got);
			fclose(fp);
		}
	}
	if (notice_template_check(buf_cstr(&text), &why) != 0) {
		log_error("notify_template %s: %s", path, why);
		buf_free(&text);
		return -1;
	}
	n->template_text = buf_detach(&text);
	return 0;
}

/*
 * The envelope sender: notify_envelope_sender, or the address of
 * notify_from ("Name <a@b>" -> a@b); $myhostname expanded.  It must be
 * safe (deliver_sender_ok): it reaches sendmail's command line and MAIL FROM.
 */
static int setup_sender(struct notifier *n)
{
	const char *es = cfg_str(n->cfg, CFG_NOTIFY_ENVELOPE_SENDER);
	const char *why;

	if (es[0] != '\0') {
		n->sender = expand_hostname(n->cfg, es);
	} else {
		const char *lt = strrchr(n->from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		n->sender = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : xstrdup(n->from);
	}
	if (!deliver_sender_ok(n->sender, &why)) {
		log_error("%s %s: not usable as the envelope sender: %s", es[0] ? "notify_envelope_sender" : "notify_from", n->sender,
			  why);
		return -1;
	}
	return 0;
}

/* from with $myhostname (or ${myhostname}) replaced. */
static char *expand_hostname(const cfg_t *cfg, const char *from)
{
	struct buf out = BUF_INIT;

	for (const char *p = from; *p; p++) {
		if (strncmp(p, "${myhostname}", 13) == 0) {
			buf_puts(&out, cfg_str(cfg, CFG_MYHOSTNAME));
			p += 12;
		} else if (strncmp(p, "$myhostname", 11) == 0) {
			buf_puts(&out, cfg_str(cfg, CFG_MYHOSTNAME));
			p += 10;
		} else {
			buf_putc(&out, *p);
		}
	}
	return buf_detach(&out);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]\n"
		     "  -c FILE          configuration file (default %s)\n"
		     "  --once           handle what is queued now, send the notices, exit\n"
		     "  --dry-run        print the notices that are due instead of sending them\n"
		     "                   (reads without consuming; implies --once)\n"
		     "  --consumer NAME  this notifier's name in the consumer group (default myhostname)\n"
		     "  -v               debug messages\n",
		     DEFAULT_CONFIG_FILE);
}

static int parse_args(int argc, char **argv, struct notifier *n, const char **config_r)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },	   { "dry-run", no_argument, NULL, 'd' },
		{ "consumer", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config_r = optarg; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'o': n->once = true; break;
		case 'd': n->dry_run = n->once = true; break;
		case 'n': n->consumer = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Root only when asked (allow_root), else the user; no file others may write. */
static int notify_privileges(const cfg_t *cfg)
{
	char *err = NULL;

	if (daemon_startup_checks(cfg) != 0)
		return -1;
	if (daemon_drop_privileges(cfg_str(cfg, CFG_USER), cfg_str(cfg, CFG_GROUP), NULL, NULL, &err) != 0) {
		log_lines(LOG_LVL_ERROR, err);
		free(err);
		return -1;
	}
	return 0;
}

static int setup(struct notifier *n, const char *config)
{
	char *err = NULL;

	if (cfg_load_default(config, &n->cfg, &err) != 0) {
		fprintf(stderr, "relayguard-notify: %s\n", err);
		free(err);
		return -1;
	}
	if (notify_privileges(n->cfg) != 0)
		return -1;
	n->window_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_WINDOW) / 1000);
	n->interval_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_INTERVAL) / 1000);
	n->min_hits = cfg_int(n->cfg, CFG_NOTIFY_MIN_HITS);
	n->rate = cfg_int(n->cfg, CFG_NOTIFY_RATE);
	n->from = expand_hostname(n->cfg, cfg_str(n->cfg, CFG_NOTIFY_FROM));
	if (n->consumer == NULL)
		n->consumer = cfg_str(n->cfg, CFG_MYHOSTNAME);
	if (setup_sender(n) != 0 || load_owners(n) != 0 || load_template(n) != 0)
		return -1;
	if (ncontact_new(n->cfg, &n->contacts, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	n->suppress = nsuppress_new(cfg_str(n->cfg, CFG_NOTIFY_SUPPRESS));
	nsuppress_refresh(n->suppress);
	if (!n->dry_run &&
	    deliver_new(cfg_str(n->cfg, CFG_NOTIFY_TRANSPORT), cfg_str(n->cfg, CFG_MYHOSTNAME), &n->deliver, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct notifier n = { 0 };
	const char *config = NULL;
	int status;

	umask(DAEMON_UMASK);	/* notify.state and the outbox: not for others */
	log_open("relayguard-notify", LOG_TO_STDERR, 0);
	if (parse_args(argc, argv, &n, &config) != 0)
		return 2;
	the_notifier = &n;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&n, config) != 0 || notify_metrics_start(&n) != 0) {
		status = 1;
	} else {
		bool redis = *cfg_str(n.cfg, CFG_REDIS_SERVER) != '\0' ||
			     *cfg_str(n.cfg, CFG_REDIS_SENTINELS) != '\0' ||
			     *cfg_str(n.cfg, CFG_REDIS_CLUSTER_NODES) != '\0';
		if (n.dry_run && redis)
			status = run_dry_redis(&n);
		else if (redis)
			status = run_redis(&n);
		else
			status = nspool_run(&n);
		log_info("events=%llu unreadable=%llu notices=%llu deferred=%llu failed=%llu", n.events,
			 n.bad_events, n.notices, n.deferred, n.failed);
	}
	notify_metrics_stop();
	deliver_free(&n.deliver);
	owners_free(&n.owners);
	ncontact_free(&n.contacts);
	nsuppress_free(&n.suppress);
	free(n.template_text);
	free(n.from);
	free(n.sender);
	cfg_unref(&n.cfg);
	return status;
}
