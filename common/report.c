/*
 * report - report events to the Redis Stream or the spool journal.
 * See report.h for the contract; the event codec is in report_event.c.
 *
 * An event in flight to Redis is held in a struct sending until Redis
 * answers.  No answer (down, timeout) sends a live event to the journal; a
 * replayed one stays in the journal (its position is not saved) and is
 * tried again later.  Replays are idempotent thanks to the per-event marker
 * key, so "in doubt" always means "send again".
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "lru.h"
#include "mem.h"
#include "rcache.h"
#include "redis_sentinel.h"
#include "report.h"
#include "report_keys.h"
#include "spool.h"

/* Estimated journal bytes per event: bounds the journal at report_queue_max events. */
#define REPORT_SPOOL_BYTES_PER_EVENT 512u
/* Log one lost event in this many (the first always). */
#define REPORT_LOSS_LOG_EVERY 1000u

/*
 * KEYS: stream, event marker, client dedupe key.  ARGV: marker TTL,
 * dedupe window (s, 0 = none), MAXLEN, then the field/value pairs.
 * Returns 0 (event already queued), 1 (client deduped), 2 (queued).
 */
static const char emit_script[] =
	"if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 0 end\n"
	"if tonumber(ARGV[2]) > 0 and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) "
	"then return 1 end\n"
	"redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))\n"
	"return 2\n";

struct sending {
	report_t *r;
	struct report_event ev;
	unsigned stream;		/* the index of the stream it went to */
	rcache_req_t *req;
	bool replay;
	struct sending *prev, *next;
};

struct report {
	struct event_base *base;
	const cfg_t *cfg;
	rcache_t *rc;			/* NULL without redis_server */
	spool_t *spool;			/* NULL without report_spool */
	lru_t *seen;			/* client -> reported, for the window */
	uint64_t window_ms;
	unsigned min_replicas;		/* report_min_replicas: WAIT for them after each event */
	unsigned long long queue_max;
	bool with_domain;
	char *prefix;
	char **streams;			/* report_streams names (report_keys_stream_at) */
	unsigned n_streams;
	struct sending *sending;
	size_t n_sending;
	struct event *sync_ev;		/* fsync batch timer */
	struct event *replay_ev;	/* periodic replay */
	bool replaying;
	size_t replay_left;
	bool replay_failed;
	struct spool_pos replay_to;
	struct report_stats st;
};

static char seen_mark;	/* the value stored in r->seen: only presence counts */

static void seen_release(void *v)
{
	(void)v;
}

static void note_loss(report_t *r, const struct report_event *ev, const char *why)
{
	char addr[ADDR_STRLEN];

	r->st.dropped++;
	if (r->st.dropped % REPORT_LOSS_LOG_EVERY == 1)
		log_warning("report for %s lost: %s (%llu lost so far)", addr_format(&ev->client, addr), why,
			    (unsigned long long)r->st.dropped);
}

/* ---- the journal --------------------------------------------------------- */

static void sync_cb(evutil_socket_t fd, short what, void *arg)
{
	report_t *r = arg;
	const char *why;

	(void)fd;
	(void)what;
	if (r->spool != NULL && spool_sync(r->spool, &why) != 0)
		log_warning("report spool %s: %s: %s", spool_dir(r->spool), why, strerror(errno));
}

static void spool_event(report_t *r, const struct report_event *ev)
{
	struct buf line = BUF_INIT;
	const char *why;

	if (r->spool == NULL) {
		note_loss(r, ev, "Redis unavailable and no report_spool");
		return;
	}
	if (spool_size(r->spool) >= r->queue_max * REPORT_SPOOL_BYTES_PER_EVENT) {
		note_loss(r, ev, "report spool full (report_queue_max)");
		return;
	}
	report_event_format(ev, &line);
	if (spool_append(r->spool, line.data, line.len, &why) != 0) {
		note_loss(r, ev, why);
	} else {
		r->st.spooled++;
		if (spool_unsynced(r->spool) >= REPORT_SYNC_BATCH) {
			sync_cb(-1, 0, r);
		} else if (!evtimer_pending(r->sync_ev, NULL)) {
			struct timeval tv = { 0, REPORT_SYNC_MS * 1000 };
			evtimer_add(r->sync_ev, &tv);
		}
	}
	buf_free(&line);
}

/* ---- Redis --------------------------------------------------------------- */

static void sending_unlink(struct sending *s)
{
	report_t *r = s->r;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		r->sending = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	r->n_sending--;
}

static void replay_one_done(report_t *r, bool ok);

/* The event is in Redis (ok) or must stay in / go to the journal. */
static void sending_done(struct sending *s, bool ok)
{
	report_t *r = s->r;

	sending_unlink(s);
	if (s->replay)
		replay_one_done(r, ok);
	else if (!ok)
		spool_event(r, &s->ev);
	free(s);
}

/* WAIT's answer: the replicas that have the event.  Fewer than
 * report_min_replicas means a failover could lose it (the master that took
 * it may be demoted and resynced), so the journal keeps it and the replay
 * sends it again; the marker key makes that idempotent. */
static void wait_reply(int status, const struct rcache_reply *reply, void *ctx)
{
	struct sending *s = ctx;
	bool ok = status == 0 && reply->type == RCACHE_REPLY_INTEGER &&
		  reply->integer >= (long long)s->r->min_replicas;

	if (!ok)
		log_debug("report queue: an event not confirmed by %u replica(s): kept in the spool",
			  s->r->min_replicas);
	sending_done(s, ok);
}

/* Ask for report_min_replicas confirmations of what this connection wrote. */
static void send_wait(report_t *r, struct sending *s)
{
	char n[16], ms[16];
	unsigned wait_ms = (unsigned)cfg_ms(r->cfg, CFG_REDIS_TIMEOUT) / 2;

	snprintf(n, sizeof(n), "%u", r->min_replicas);
	snprintf(ms, sizeof(ms), "%u", wait_ms > 0 ? wait_ms : 1);
	const char *argv[] = { "WAIT", n, ms };
	size_t lens[] = { 4, strlen(n), strlen(ms) };
	const char *stream = r->streams[s->stream];
	/* On a cluster, WAIT must reach the master that took the event: the
	 * one of its stream's slot. */
	s->req = rcache_command_route(r->rc, stream, strlen(stream), 3, argv, lens, wait_reply, s);
}

static void emit_reply(int status, const struct rcache_reply *reply, void *ctx)
{
	struct sending *s = ctx;
	report_t *r = s->r;
	bool ok = status == 0 && reply->type == RCACHE_REPLY_INTEGER;

	if (ok) {
		if (reply->integer == 2)
			r->st.queued++;
		else if (reply->integer == 1)
			r->st.deduped_fleet++;
		else
			r->st.duplicates++;
	} else if (status == 0 && reply->type == RCACHE_REPLY_ERROR) {
		log_warning("report queue: Redis refused an event: %.200s", reply->str);
	}
	if (ok && r->min_replicas > 0)
		send_wait(r, s);
	else
		sending_done(s, ok);
}

/* Send ev with the emit script; false when it could not even be sent. */
static bool send_event(report_t *r, const struct report_event *ev, bool replay)
{
	const char *keys[REPORT_FIELDS_MAX];
	struct buf vals[REPORT_FIELDS_MAX];
	struct buf k_stream = BUF_INIT, k_mark = BUF_INIT, k_seen = BUF_INIT, nums[3];
	unsigned stream = report_keys_pick(&ev->client, r->n_streams);
	const char *argv[10 + 2 * REPORT_FIELDS_MAX];
	size_t lens[10 + 2 * REPORT_FIELDS_MAX];
	char addr[ADDR_STRLEN];
	int argc = 0;

	if (r->rc == NULL || !rcache_up(r->rc))
		return false;
	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_init(&vals[i]);
	for (size_t i = 0; i < 3; i++)
		buf_init(&nums[i]);
	size_t n = report_event_fields(ev, keys, vals);
	/* the same client always goes to the same stream, so its marker and
	 * dedupe key (tagged with that stream's name) are always the same keys */
	buf_puts(&k_stream, r->streams[stream]);
	report_keys_event_for(r->prefix, r->streams[stream], ev->id, addr_format(&ev->client, addr), &k_mark,
			      &k_seen);
	buf_printf(&nums[0], "%u", REPORT_MARKER_TTL_S);
	buf_printf(&nums[1], "%llu", (unsigned long long)(r->window_ms / 1000u));
	buf_printf(&nums[2], "%llu", r->queue_max);
	const struct buf *args[] = { &k_stream, &k_mark, &k_seen, &nums[0], &nums[1], &nums[2] };
	argv[argc] = "EVAL";
	lens[argc++] = 4;
	argv[argc] = emit_script;
	lens[argc++] = sizeof(emit_script) - 1;
	argv[argc] = "3";
	lens[argc++] = 1;
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		argv[argc] = buf_cstr(args[i]);
		lens[argc++] = args[i]->len;
	}
	for (size_t i = 0; i < n; i++) {
		argv[argc] = keys[i];
		lens[argc++] = strlen(keys[i]);
		argv[argc] = buf_cstr(&vals[i]);
		lens[argc++] = vals[i].len;
	}
	struct sending *s = xcalloc(1, sizeof(*s));
	s->r = r;
	s->ev = *ev;
	s->stream = stream;
	s->replay = replay;
	s->next = r->sending;
	if (r->sending != NULL)
		r->sending->prev = s;
	r->sending = s;
	r->n_sending++;
	s->req = rcache_command_argv(r->rc, argc, argv, lens, emit_reply, s);
	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_free(&vals[i]);
	for (size_t i = 0; i < 3; i++)
		buf_free(&nums[i]);
	buf_free(&k_stream);
	buf_free(&k_mark);
	buf_free(&k_seen);
	return true;
}

/* ---- replay -------------------------------------------------------------- */

static void replay_finish(report_t *r)
{
	const char *why;

	if (!r->replay_failed && spool_pos_save(r->spool, &r->replay_to, NULL, &why) != 0)
		log_warning("report spool %s: %s: %s", spool_dir(r->spool), why, strerror(errno));
	spool_reader_unlock(r->spool);
	r->replaying = false;
}

static void replay_one_done(report_t *r, bool ok)
{
	if (!ok)
		r->replay_failed = true;
	else
		r->st.replayed++;
	if (--r->replay_left == 0)
		replay_finish(r);
}

static int replay_record(const char *rec, size_t len, uint64_t end, void *ctx)
{
	report_t *r = ctx;
	struct report_event ev;
	const char *why;

	(void)end;
	if (report_event_parse(rec, len, &ev, &why) != 0) {
		log_warning("report spool %s: unreadable record skipped: %s", spool_dir(r->spool), why);
		return 0;
	}
	if (!send_event(r, &ev, true)) {
		r->replay_failed = true;
		return 1;
	}
	r->replay_left++;
	return 0;
}

/* One round: up to REPORT_REPLAY_BATCH journal records into the stream. */
static void replay_cb(evutil_socket_t fd, short what, void *arg)
{
	report_t *r = arg;
	struct spool_pos pos;
	const char *why;
	uint64_t next;

	(void)fd;
	(void)what;
	if (r->replaying || r->rc == NULL || r->spool == NULL || !rcache_up(r->rc))
		return;
	int locked = spool_reader_lock(r->spool, &why);
	if (locked != 1) {
		if (locked < 0)
			log_warning("report spool %s: %s: %s", spool_dir(r->spool), why, strerror(errno));
		return;
	}
	if (spool_pos_load(r->spool, &pos, &why) != 0) {
		log_warning("report spool %s: %s", spool_dir(r->spool), why);
		spool_reader_unlock(r->spool);
		return;
	}
	if (pos.offset > spool_size(r->spool))
		pos.offset = 0;
	r->replaying = true;
	r->replay_failed = false;
	r->replay_left = 0;
	long n = spool_read(r->spool, pos.offset, REPORT_REPLAY_BATCH, replay_record, r, &next, &why);
	r->replay_to.gen = pos.gen;
	r->replay_to.offset = next;
	if (n < 0)
		log_warning("report spool %s: %s: %s", spool_dir(r->spool), why, strerror(errno));
	if (n < 0 || r->replay_left == 0) {
		if (n < 0 || next == pos.offset)
			r->replay_failed = true;	/* nothing to save */
		replay_finish(r);
	}
}

/* ---- public -------------------------------------------------------------- */

void report_emit(report_t *r, const struct report_event_in *in)
{
	struct report_event ev;
	uint8_t key[17];
	uint64_t now = clock_now_ms();

	r->st.emitted++;
	key[0] = in->client->family;
	memcpy(key + 1, in->client->bytes, 16);
	if (r->window_ms > 0) {
		if (lru_get(r->seen, key, sizeof(key), now) != NULL) {
			r->st.deduped_local++;
			return;
		}
		lru_put(r->seen, key, sizeof(key), &seen_mark, now + r->window_ms);
	}
	report_event_build(&ev, in, cfg_str(r->cfg, CFG_MYHOSTNAME), r->with_domain);
	if (!send_event(r, &ev, false))
		spool_event(r, &ev);
}

static int setup_redis(report_t *r, char **error_r)
{
	char *server = redis_target_from_cfg(r->cfg);	/* redis_server or the Sentinels */

	if (*server == '\0') {
		free(server);
		return 0;
	}
	struct rcache_opts ro = {
		.server = server,
		.sentinel_username = cfg_str(r->cfg, CFG_REDIS_SENTINEL_USERNAME),
		.sentinel_password = cfg_str(r->cfg, CFG_REDIS_SENTINEL_PASSWORD),
		.db = (int)cfg_int(r->cfg, CFG_REDIS_DB),
		.username = cfg_str(r->cfg, CFG_REDIS_USERNAME),
		.password = cfg_str(r->cfg, CFG_REDIS_PASSWORD),
		.prefix = r->prefix,
		.timeout_ms = (unsigned)cfg_ms(r->cfg, CFG_REDIS_TIMEOUT),
	};
	int rc = rcache_new(r->base, &ro, &r->rc, error_r);
	free(server);
	if (rc != 0)
		return -1;
	struct timeval tv = { 0, REPORT_REPLAY_MS * 1000 };
	r->replay_ev = event_new(r->base, -1, EV_PERSIST, replay_cb, r);
	evtimer_add(r->replay_ev, &tv);
	return 0;
}

int report_new(struct event_base *base, const cfg_t *cfg, report_t **rp, char **error_r)
{
	report_t *r = xcalloc(1, sizeof(*r));
	const char *dir = cfg_str(cfg, CFG_REPORT_SPOOL);

	*rp = NULL;
	r->base = base;
	r->cfg = cfg;
	r->window_ms = cfg_ms(cfg, CFG_REPORT_DEDUPE_WINDOW);
	r->min_replicas = (unsigned)cfg_int(cfg, CFG_REPORT_MIN_REPLICAS);
	r->queue_max = (unsigned long long)cfg_int(cfg, CFG_REPORT_QUEUE_MAX);
	r->with_domain = cfg_bool(cfg, CFG_REPORT_SENDER_DOMAIN);
	r->prefix = xstrdup(cfg_str(cfg, CFG_REDIS_PREFIX));
	r->n_streams = (unsigned)cfg_int(cfg, CFG_REPORT_STREAMS);
	r->streams = xcalloc(r->n_streams, sizeof(*r->streams));
	for (unsigned i = 0; i < r->n_streams; i++) {
		struct buf name = BUF_INIT;
		report_keys_stream_at(r->prefix, i, r->n_streams, &name);
		r->streams[i] = buf_detach(&name);
	}
	r->seen = lru_new(REPORT_DEDUPE_ENTRIES, seen_release);
	r->sync_ev = evtimer_new(base, sync_cb, r);
	if ((*dir != '\0' && spool_open(dir, &r->spool, error_r) != 0) || setup_redis(r, error_r) != 0) {
		report_free(&r);
		return -1;
	}
	*rp = r;
	return 0;
}

void report_free(report_t **rp)
{
	report_t *r = *rp;

	if (r == NULL)
		return;
	/* Unanswered live events go to the journal: a later replay is a
	 * no-op for those Redis already has. */
	while (r->sending != NULL) {
		struct sending *s = r->sending;
		sending_unlink(s);
		rcache_cancel(s->req);
		if (!s->replay)
			spool_event(r, &s->ev);
		free(s);
	}
	if (r->replaying) {
		r->replay_failed = true;
		r->replay_left = 0;
		replay_finish(r);
	}
	if (r->replay_ev != NULL)
		event_free(r->replay_ev);
	if (r->sync_ev != NULL)
		event_free(r->sync_ev);
	rcache_free(&r->rc);
	spool_close(&r->spool);
	lru_free(&r->seen);
	for (unsigned i = 0; i < r->n_streams; i++)
		free(r->streams[i]);
	free(r->streams);
	free(r->prefix);
	free(r);
	*rp = NULL;
}

size_t report_backlog(const report_t *r)
{
	size_t n = r->n_sending;

	if (r->rc != NULL && r->spool != NULL) {
		struct spool_pos pos;
		const char *why;
		if (spool_pos_load(r->spool, &pos, &why) == 0 && spool_size(r->spool) > pos.offset)
			n += 1;	/* at least one record waits; exact counts need a scan */
	}
	return n;
}

void report_stats(const report_t *r, struct report_stats *stats_r)
{
	*stats_r = r->st;
}

static int first_time(const char *rec, size_t len, uint64_t end, void *ctx)
{
	struct report_event ev;
	const char *why;

	(void)end;
	if (report_event_parse(rec, len, &ev, &why) == 0)
		*(long long *)ctx = ev.time;
	return 0;
}

void report_queue_info(report_t *r, struct report_queue_info *info_r)
{
	struct spool_pos pos;
	const char *why;
	uint64_t next;

	info_r->redis = r->rc != NULL ? rcache_state(r->rc) : "none";
	info_r->spool_pending_bytes = 0;
	info_r->oldest = 0;
	if (r->spool == NULL || spool_pos_load(r->spool, &pos, &why) != 0 ||
	    spool_size(r->spool) <= pos.offset)
		return;
	info_r->spool_pending_bytes = spool_size(r->spool) - pos.offset;
	(void)spool_read(r->spool, pos.offset, 1, first_time, &info_r->oldest, &next, &why);
}
