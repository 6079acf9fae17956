/*
 * report_driver - drives common/report (and the engine's report hook) for
 * tests/integration/report.sh and notify.sh.
 *
 * usage: report_driver CONFIG emit ADDR...     report_emit() each address
 *                                               (lists bl1.test, bl2.test),
 *                                               wait until nothing is in flight
 *        report_driver CONFIG engine ADDR...   engine_check() each address,
 *                                               then let the loop settle
 *        report_driver CONFIG emit-slow ADDR...  the same, one every DRIVER_GAP_MS
 *        report_driver CONFIG drain            replay the journal until empty
 * Prints one line: "emitted=N queued=N spooled=N replayed=N deduped_local=N
 * deduped_fleet=N duplicates=N dropped=N" (report modes) or "listed=N"
 * (engine mode).  Exit 0, or 1 on a setup error or when the wait timed out.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "mem.h"
#include "report.h"

#define DRIVER_WAIT_MS 15000u
#define DRIVER_TICK_MS 50u
#define DRIVER_SETTLE_MS 700u
#define DRIVER_GAP_MS 20u

struct driver {
	struct event_base *base;
	report_t *rep;
	uint64_t deadline;
	uint64_t quiet_since;	/* drain: backlog empty since */
	bool timed_out;
	size_t verdicts_left;
	size_t listed;
	uint64_t settle_until;
	char **slow;		/* emit-slow: addresses still to emit */
	int n_slow;
};

static void emit_one(report_t *rep, const char *text)
{
	static const char *const lists[] = { "bl1.test", "bl2.test" };
	static const uint32_t codes[] = { 0x7f000002, 0x7f000003 };
	addr_t a;

	if (addr_parse(text, &a) != 0) {
		fprintf(stderr, "bad address %s\n", text);
		return;
	}
	struct report_event_in in = { .client = &a, .helo = "helo.example", .score = 3,
				      .action = "reject", .n_lists = 2, .lists = lists,
				      .codes = codes };
	report_emit(rep, &in);
}

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;

	(void)fd;
	(void)what;
	if (d->n_slow > 0) {
		emit_one(d->rep, d->slow[0]);
		d->slow++;
		d->n_slow--;
	}
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	if (now > d->deadline) {
		d->timed_out = true;
		event_base_loopbreak(d->base);
		return;
	}
	if (d->rep != NULL) {
		/* Empty for a few ticks in a row: the replay timer had its turn. */
		if (report_backlog(d->rep) != 0 || d->n_slow > 0) {
			d->quiet_since = 0;
		} else if (d->quiet_since == 0) {
			d->quiet_since = now;
		} else if (now - d->quiet_since >= 3 * 500u) {
			event_base_loopbreak(d->base);
		}
	} else if (d->verdicts_left == 0) {
		if (d->settle_until == 0)
			d->settle_until = now + DRIVER_SETTLE_MS;
		else if (now >= d->settle_until)
			event_base_loopbreak(d->base);
	}
}

static void verdict_cb(const struct engine_verdict *v, void *ctx)
{
	struct driver *d = ctx;

	d->verdicts_left--;
	if (v->action != VERDICT_PASS)
		d->listed++;
}

static void run(struct driver *d)
{
	struct timeval tv = { 0, DRIVER_TICK_MS * 1000 };
	struct event *t = event_new(d->base, -1, EV_PERSIST, tick, d);

	d->deadline = clock_now_ms() + DRIVER_WAIT_MS;
	evtimer_add(t, &tv);
	event_base_dispatch(d->base);
	event_free(t);
}

static int report_mode(struct driver *d, cfg_t *cfg, bool emit, int n, char **addrs)
{
	char *err = NULL;
	struct event *slow = NULL;
	struct report_stats st;

	if (report_new(d->base, cfg, &d->rep, &err) != 0) {
		fprintf(stderr, "report_new: %s\n", err);
		free(err);
		return 1;
	}
	/* Let the connection come up first, as a daemon's would. */
	struct timeval up = { 0, 300000 };
	event_base_loopexit(d->base, &up);
	event_base_dispatch(d->base);
	for (int i = 0; emit && d->slow == NULL && i < n; i++)
		emit_one(d->rep, addrs[i]);
	if (d->slow != NULL) {
		struct timeval gap = { 0, DRIVER_GAP_MS * 1000 };
		slow = event_new(d->base, -1, EV_PERSIST, slow_cb, d);
		evtimer_add(slow, &gap);
	}
	run(d);
	if (slow != NULL)
		event_free(slow);
	report_stats(d->rep, &st);
	report_free(&d->rep);
	printf("emitted=%llu queued=%llu spooled=%llu replayed=%llu deduped_local=%llu "
	       "deduped_fleet=%llu duplicates=%llu dropped=%llu\n",
	       (unsigned long long)st.emitted, (unsigned long long)st.queued,
	       (unsigned long long)st.spooled, (unsigned long long)st.replayed,
	       (unsigned long long)st.deduped_local, (unsigned long long)st.deduped_fleet,
	       (unsigned long long)st.duplicates, (unsigned long long)st.dropped);
	return d->timed_out ? 1 : 0;
}

static int engine_mode(struct driver *d, cfg_t *cfg, int n, char **addrs)
{
	engine_t *e = NULL;
	char *err = NULL;

	if (engine_new(d->base, cfg, &e, &err) != 0) {
		fprintf(stderr, "engine_new: %s\n", err);
		free(err);
		return 1;
	}
	struct timeval up = { 0, 300000 };
	event_base_loopexit(d->base, &up);
	event_base_dispatch(d->base);
	for (int i = 0; i < n; i++) {
		struct engine_request req = { .helo = "helo.example", .sender = "<a@sender.example>" };
		if (addr_parse(addrs[i], &req.client) != 0) {
			fprintf(stderr, "bad address %s\n", addrs[i]);
			engine_free(&e);
			return 1;
		}
		d->verdicts_left++;
		engine_check(e, &req, verdict_cb, d);
	}
	run(d);
	engine_free(&e);
	printf("listed=%zu\n", d->listed);
	return d->timed_out ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct driver d = { 0 };
	cfg_t *cfg = NULL;
	char *err = NULL;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CONFIG emit|engine|drain [ADDR...]\n", argv[0]);
		return 1;
	}
	log_open("report_driver", LOG_TO_STDERR, 0);
	if (cfg_load(argv[1], &cfg, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return 1;
	}
	d.base = event_base_new();
	if (strcmp(argv[2], "emit-slow") == 0) {
		d.slow = argv + 3;
		d.n_slow = argc - 3;
	}
	if (strcmp(argv[2], "engine") == 0)
		rc = engine_mode(&d, cfg, argc - 3, argv + 3);
	else
		rc = report_mode(&d, cfg, strncmp(argv[2], "emit", 4) == 0, argc - 3, argv + 3);
	cfg_unref(&cfg);
	event_base_free(d.base);
	return rc;
}
