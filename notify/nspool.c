/*
 * nspool - relayguard-notify without Redis: the spool journal is the
 * queue, read by this one notifier (it holds the spool's reader lock).
 *
 * Everything the notifier knows lives in one state file,
 * notify_state_dir/notify.state, rewritten atomically (temporary file,
 * fsync, rename) after every step: the journal position it has counted up
 * to, the counts per network, who was told when, the notices sent (by
 * stable id), this hour's rate, and the log relayguard-ctl notices shows.
 * The position and the counts are written together, so an event is
 * counted exactly once across a crash.  The notices of a round are
 * delivered first, made final with one deliver_flush() (one disk flush for
 * all of them), and only then written to the state as sent, with one
 * state save: a crash before that save repeats them (the outbox transport
 * then finds each file and writes no second copy); no crash leaves a
 * notice recorded as sent without its file on disk.
 *
 * The state file format (one record per line, fields separated by TAB;
 * tabs and newlines in values become spaces) is described in
 * doc/reports.md next to the Redis keys it mirrors.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "notify.h"
#include "notify_metrics.h"
#include "spool.h"

#define NSPOOL_STATE_FILE "notify.state"
#define NSPOOL_LINE_MAX 8192
#define NSPOOL_LOG_KEEP 1000u
#define NSPOOL_FIELDS_MAX 12
#define NSPOOL_ROUND_RECORDS 100000u	/* journal records per round */

struct kv {
	char *key;
	long long v;
};

struct kvlist {
	struct kv *items;
	size_t n, cap;
};

struct state {
	struct spool_pos pos;
	nagg_t *nets;
	struct kvlist told;	/* netkey -> time told */
	struct kvlist sent;	/* notice id -> time sent */
	struct kvlist rate;	/* hour -> notices */
	struct kvlist untold;	/* netkey -> time "no notice" was logged (notify_interval) */
	char **log;		/* JSON lines, oldest first */
	size_t n_log;
	char *path;
};

static struct kv *kv_find(struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

static void kv_set(struct kvlist *l, const char *key, long long v)
{
	struct kv *kv = kv_find(l, key);

	if (kv == NULL) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
		}
		kv = &l->items[l->n++];
		kv->key = xstrdup(key);
	}
	kv->v = v;
}

/* Drop entries older than min_v. */
static void kv_prune(struct kvlist *l, long long min_v)
{
	size_t o = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i].v >= min_v)
			l->items[o++] = l->items[i];
		else
			free(l->items[i].key);
	}
	l->n = o;
}

static void kv_free(struct kvlist *l)
{
	kv_prune(l, (long long)1 << 62);
	free(l->items);
}

static void log_add(struct state *st, const char *line)
{
	if (st->n_log == NSPOOL_LOG_KEEP) {
		free(st->log[0]);
		memmove(st->log, st->log + 1, (NSPOOL_LOG_KEEP - 1) * sizeof(*st->log));
		st->n_log--;
	}
	st->log = xreallocarray(st->log, st->n_log + 1, sizeof(*st->log));
	st->log[st->n_log++] = xstrdup(line);
}

/* ---- the state file ------------------------------------------------------ */

static void put(FILE *fp, const char *s)
{
	fputc('\t', fp);
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, fp);
}

static void write_net(FILE *fp, const struct net_agg *net)
{
	fprintf(fp, "net\t%lld", net->window);
	put(fp, net->netkey);
	put(fp, net->network);
	put(fp, net->netname);
	put(fp, net->org);
	put(fp, net->country);
	put(fp, net->abuse);
	fprintf(fp, "\t%d\t%lld\t%lld\t%lld\n", net->owned, net->hits, net->first, net->last);
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		fprintf(fp, "addr\t%s\t%lld\t%lld\t%lld", a->addr, a->hits, a->first, a->last);
		put(fp, a->helo);
		put(fp, a->evidence);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < net->n_hosts; i++) {
		fputs("host", fp);
		put(fp, net->hosts[i].name);
		fprintf(fp, "\t%lld\n", net->hosts[i].n);
	}
	for (size_t i = 0; i < net->n_lists; i++) {
		fputs("list", fp);
		put(fp, net->lists[i].name);
		fprintf(fp, "\t%lld\n", net->lists[i].n);
	}
}

static int state_save(const struct state *st)
{
	struct buf tmp = BUF_INIT;
	int rc = -1;

	buf_printf(&tmp, "%s.tmp", st->path);
	FILE *fp = fopen(buf_cstr(&tmp), "w");
	if (fp == NULL)
		goto out;
	fprintf(fp, "pos\t%llu\t%llu\n", (unsigned long long)st->pos.gen, (unsigned long long)st->pos.offset);
	for (size_t i = 0; i < nagg_count(st->nets); i++)
		write_net(fp, nagg_at(st->nets, i));
	const struct {
		const char *tag;
		const struct kvlist *l;
	} lists[] = { { "told", &st->told }, { "sent", &st->sent }, { "rate", &st->rate }, { "untold", &st->untold } };
	for (size_t k = 0; k < 4; k++)
		for (size_t i = 0; i < lists[k].l->n; i++)
			fprintf(fp, "%s\t%s\t%lld\n", lists[k].tag, lists[k].l->items[i].key, lists[k].l->items[i].v);
	for (size_t i = 0; i < st->n_log; i++)
		fprintf(fp, "log\t%s\n", st->log[i]);
	bool ok = fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fclose(fp) != 0 || !ok || rename(buf_cstr(&tmp), st->path) != 0)
		unlink(buf_cstr(&tmp));
	else
		rc = 0;
out:
	if (rc != 0)
		log_error("state %s: cannot write: %s", st->path, strerror(errno));
	buf_free(&tmp);
	return rc;
}

/* Split line at tabs into f[]; returns the count. */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line; n < max;) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static void state_line(struct state *st, char *line, struct net_agg **cur)
{
	char *f[NSPOOL_FIELDS_MAX];
	size_t n = split(line, f, NSPOOL_FIELDS_MAX);

	if (strcmp(f[0], "pos") == 0 && n == 3) {
		st->pos.gen = strtoull(f[1], NULL, 10);
		st->pos.offset = strtoull(f[2], NULL, 10);
	} else if (strcmp(f[0], "net") == 0 && n == 12) {
		struct nagg_owner o = { f[2], f[3], f[4], f[5], f[6], f[7], atoi(f[8]) != 0 };
		*cur = nagg_get(st->nets, atoll(f[1]), &o);
		(*cur)->hits = atoll(f[9]);
		(*cur)->first = atoll(f[10]);
		(*cur)->last = atoll(f[11]);
	} else if (strcmp(f[0], "addr") == 0 && n == 7 && *cur != NULL) {
		struct nagg_addr *a = nagg_addr_get(*cur, f[1]);
		a->hits = atoll(f[2]);
		a->first = atoll(f[3]);
		a->last = atoll(f[4]);
		nagg_addr_set_helo(a, f[5]);
		nagg_evidence_merge(a, f[6]);
	} else if ((strcmp(f[0], "host") == 0 || strcmp(f[0], "list") == 0) && n == 3 && *cur != NULL) {
		if (f[0][0] == 'h')
			nagg_count_add(&(*cur)->hosts, &(*cur)->n_hosts, f[1], atoll(f[2]));
		else
			nagg_count_add(&(*cur)->lists, &(*cur)->n_lists, f[1], atoll(f[2]));
	} else if (n == 3 && (strcmp(f[0], "told") == 0 || strcmp(f[0], "sent") == 0 || strcmp(f[0], "rate") == 0)) {
		kv_set(f[0][0] == 't' ? &st->told : f[0][0] == 's' ? &st->sent : &st->rate, f[1], atoll(f[2]));
	} else if (n == 3 && strcmp(f[0], "untold") == 0) {
		kv_set(&st->untold, f[1], atoll(f[2]));
	} else if (strcmp(f[0], "log") == 0 && n >= 2) {
		log_add(st, f[1]);
	}
}

static int state_load(struct state *st)
{
	FILE *fp = fopen(st->path, "r");
	char *line = xmalloc(NSPOOL_LINE_MAX);
	struct net_agg *cur = NULL;

	if (fp == NULL) {
		free(line);
		return errno == ENOENT ? 0 : -1;
	}
	while (fgets(line, NSPOOL_LINE_MAX, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		state_line(st, line, &cur);
	}
	fclose(fp);
	free(line);
	return 0;
}

/* ---- one round ----------------------------------------------------------- */

struct round {
	struct notifier *n;
	struct state *st;
	bool untold_changed;	/* an untold mark to save */
	struct buf scratch;
};

static int count_record(const char *rec, size_t len, uint64_t end, void *ctx)
{
	struct round *r = ctx;
	struct report_event ev;
	struct nagg_owner owner;
	const char *why;

	(void)end;
	if (report_event_parse(rec, len, &ev, &why) != 0) {
		r->n->bad_events++;
		return 0;
	}
	r->n->events++;
	notify_metrics_event(ev.time);
	notify_owner(r->n, &ev.client, &owner, &r->scratch);
	nagg_add(r->st->nets, ev.time / r->n->window_s, &owner, &ev);
	return 0;
}

static bool due(struct round *r, const struct net_agg *net, const char *id, long long now)
{
	const struct kv *told = kv_find(&r->st->told, net->netkey);

	/* who can be told is decided when sending (notify_recipient) */
	return net->hits >= r->n->min_hits && kv_find(&r->st->sent, id) == NULL &&
	       (told == NULL || now - told->v >= r->n->interval_s);
}

/* A network that gets no notice: logged once per notify_interval (the state remembers it). */
static void untold_once(struct round *r, const struct net_agg *net, enum notify_to what, const char *why, long long now)
{
	const struct kv *seen = kv_find(&r->st->untold, net->netkey);
	long long ival = r->n->interval_s > 0 ? r->n->interval_s : r->n->window_s;

	if (seen != NULL && now - seen->v < ival)
		return;
	kv_set(&r->st->untold, net->netkey, now);
	r->untold_changed = true;
	notify_log_untold(net, what, why);
}

/* Deliver one due notice; true when it went to the transport. */
static bool send_one(struct round *r, struct net_agg *net, char id[NOTICE_ID_MAX], long long now)
{
	struct notifier *n = r->n;
	struct buf msg = BUF_INIT, to = BUF_INIT, why = BUF_INIT;
	char *err = NULL;
	bool sent = false;

	enum notify_to what = notify_recipient(n, net, &to, &why);
	if (what != NOTIFY_TO_SEND) {
		untold_once(r, net, what, buf_cstr(&why), now);
		goto out;
	}
	free(net->abuse);
	net->abuse = xstrdup(buf_cstr(&to));
	if (notify_render_verified(n, net, id, &msg) != NOTIFY_RENDERED)
		goto out;	/* notify_verify: nothing confirmed, or the budget: a later round looks again */
	if (n->dry_run) {
		printf("%s\n", buf_cstr(&msg));
		n->notices++;
	} else if (deliver_send(n->deliver, id, n->sender, net->abuse, cfg_str(n->cfg, CFG_NOTIFY_BCC), &msg,
				&err) != 0) {
		log_warning("notice %s for %s to %s not delivered: %s", id, net->netkey, net->abuse, err);
		n->failed++;
	} else {
		sent = true;
	}
out:
	free(err);
	buf_free(&msg);
	buf_free(&to);
	buf_free(&why);
	return sent;
}

/* The notices delivered this round (indexes into st->nets), made final and recorded. */
static void record_sent(struct round *r, const size_t *idx, size_t n_idx, long long now, const char *hour)
{
	struct notifier *n = r->n;
	char *err = NULL;

	if (n_idx == 0)
		return;
	if (deliver_flush(n->deliver, &err) != 0) {
		log_warning("%zu notices not delivered: %s", n_idx, err);
		n->failed += n_idx;
		free(err);
		return;
	}
	for (size_t k = 0; k < n_idx; k++) {
		const struct net_agg *net = nagg_at(r->st->nets, idx[k]);
		char id[NOTICE_ID_MAX];
		struct buf line = BUF_INIT;
		struct kv *used = kv_find(&r->st->rate, hour);
		notice_id(net, id);
		kv_set(&r->st->rate, hour, used ? used->v + 1 : 1);
		kv_set(&r->st->told, net->netkey, now);
		kv_set(&r->st->sent, id, now);
		notify_log_json(net, id, net->abuse, &line);
		log_add(r->st, buf_cstr(&line));
		buf_free(&line);
		n->notices++;
		log_info("notice %s sent: network=%s to=%s addresses=%zu hits=%lld", id, net->network, net->abuse,
			 net->n_addrs, net->hits);
	}
	if (state_save(r->st) != 0)
		log_warning("%zu notices sent but not recorded", n_idx);
}

static void send_notices(struct round *r)
{
	struct notifier *n = r->n;
	long long now = (long long)time(NULL);
	char hour[24];
	size_t *idx = NULL, n_idx = 0;

	snprintf(hour, sizeof(hour), "%lld", now / 3600);
	nsuppress_refresh(n->suppress);
	nverify_pass_begin(n->verify);
	for (size_t i = 0; i < nagg_count(r->st->nets); i++) {
		struct net_agg *net = nagg_at(r->st->nets, i);
		char id[NOTICE_ID_MAX];
		notice_id(net, id);
		if (!due(r, net, id, now))
			continue;
		const struct kv *used = kv_find(&r->st->rate, hour);
		if ((used != NULL ? used->v : 0) + (long long)n_idx >= n->rate) {
			n->deferred++;
			continue;
		}
		if (send_one(r, net, id, now)) {
			idx = xreallocarray(idx, n_idx + 1, sizeof(*idx));
			idx[n_idx++] = i;
		}
		if (n_idx >= NOTIFY_FLUSH_MAX) {
			record_sent(r, idx, n_idx, now, hour);
			n_idx = 0;
		}
	}
	bool saved = n_idx > 0;
	record_sent(r, idx, n_idx, now, hour);
	if (!n->dry_run && !saved && r->untold_changed)
		(void)state_save(r->st);
	r->untold_changed = false;
	free(idx);
}

/* Forget windows, told marks and sent ids that can no longer matter. */
static void prune(struct round *r)
{
	long long now = (long long)time(NULL);
	long long oldest_w = now / r->n->window_s - 1;
	nagg_t *keep = nagg_new();

	for (size_t i = 0; i < nagg_count(r->st->nets); i++) {
		struct net_agg *net = nagg_at(r->st->nets, i);
		if (net->window < oldest_w)
			continue;
		/* copy through the text form the state file already knows */
		struct nagg_owner o = { net->netkey, net->network, net->netname, net->org,
					net->country, net->abuse, net->owned };
		struct net_agg *c = nagg_get(keep, net->window, &o);
		c->hits = net->hits;
		c->first = net->first;
		c->last = net->last;
		for (size_t j = 0; j < net->n_addrs; j++)
			nagg_addr_copy(nagg_addr_get(c, net->addrs[j].addr), &net->addrs[j]);
		for (size_t j = 0; j < net->n_hosts; j++)
			nagg_count_add(&c->hosts, &c->n_hosts, net->hosts[j].name, net->hosts[j].n);
		for (size_t j = 0; j < net->n_lists; j++)
			nagg_count_add(&c->lists, &c->n_lists, net->lists[j].name, net->lists[j].n);
	}
	nagg_free(&r->st->nets);
	r->st->nets = keep;
	kv_prune(&r->st->told, now - r->n->interval_s);
	kv_prune(&r->st->sent, now - 2 * r->n->window_s - r->n->interval_s);
	kv_prune(&r->st->rate, now / 3600 - 1);
	kv_prune(&r->st->untold, now - (r->n->interval_s > 0 ? r->n->interval_s : r->n->window_s));
}

static int one_round(struct round *r, spool_t *sp)
{
	struct state *st = r->st;
	struct spool_pos file_pos;
	const char *why;
	uint64_t next;

	if (spool_pos_load(sp, &file_pos, &why) != 0) {
		log_error("spool %s: %s", spool_dir(sp), why);
		return -1;
	}
	/* The journal was truncated after our last save: continue where it was. */
	if (file_pos.gen > st->pos.gen)
		st->pos = file_pos;
	long got = spool_read(sp, st->pos.offset, NSPOOL_ROUND_RECORDS, count_record, r, &next, &why);
	if (got < 0) {
		log_error("spool %s: %s", spool_dir(sp), why);
		return -1;
	}
	if (r->n->dry_run) {
		send_notices(r);
		return 0;
	}
	st->pos.offset = next;
	prune(r);
	if (state_save(st) != 0)
		return -1;
	if (spool_pos_save(sp, &st->pos, &file_pos, &why) != 0)
		log_warning("spool %s: %s", spool_dir(sp), why);
	else
		st->pos = file_pos;
	send_notices(r);
	return 0;
}

static void state_free(struct state *st)
{
	nagg_free(&st->nets);
	kv_free(&st->told);
	kv_free(&st->sent);
	kv_free(&st->rate);
	kv_free(&st->untold);
	for (size_t i = 0; i < st->n_log; i++)
		free(st->log[i]);
	free(st->log);
	free(st->path);
}

int nspool_run(struct notifier *n)
{
	struct state st = { .nets = nagg_new() };
	struct round r = { .n = n, .st = &st };
	spool_t *sp = NULL;
	char *err = NULL;
	const char *why;
	int status = 0;
	const char *dir = cfg_str(n->cfg, CFG_NOTIFY_STATE_DIR);
	struct buf path = BUF_INIT;

	buf_printf(&path, "%s/" NSPOOL_STATE_FILE, dir);
	st.path = buf_detach(&path);
	if ((mkdir(dir, 0750) != 0 && errno != EEXIST) || state_load(&st) != 0) {
		log_error("notify_state_dir %s: %s", dir, strerror(errno));
		state_free(&st);
		return 1;
	}
	if (spool_open(cfg_str(n->cfg, CFG_REPORT_SPOOL), &sp, &err) != 0) {
		log_error("%s", err);
		free(err);
		state_free(&st);
		return 1;
	}
	int locked = spool_reader_lock(sp, &why);
	if (locked != 1) {
		log_error("spool %s: %s", spool_dir(sp),
			  locked == 0 ? "another relayguard-notify reads this spool" : why);
		status = 1;
	}
	while (status == 0 && !n->stop) {
		if (one_round(&r, sp) != 0)
			status = n->once ? 1 : 0;
		notify_metrics_publish(n);
		if (n->once)
			break;
		sleep(1);
	}
	spool_close(&sp);
	buf_free(&r.scratch);
	state_free(&st);
	return status;
}
