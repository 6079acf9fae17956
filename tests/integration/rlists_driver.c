/*
 * rlists_driver - drives common/rlists and the engine against the real
 * redis-server started by tests/integration/rlists.sh.  Prints plain lines
 * that the script compares (it speaks TAP, not this program).
 *
 *   rlists_driver lookup SERVER PREFIX ADDR NAME...
 *       one rlists_lookup: per list "NAME listed CODE TEXT", "NAME not-listed"
 *       or "NAME error MESSAGE"
 *   rlists_driver hammer SERVER PREFIX NAME MILLISECONDS ADDR...
 *       RLD_CLIENTS lookups always in flight for the time given, cycling
 *       through the addresses, which must all be listed; prints
 *       "lookups N listed L misses M errors E"; it stops early once the file
 *       named by the environment variable RLD_STOP_FILE exists
 *   rlists_driver engine CONFIG ADDR
 *       two engine checks of ADDR one after the other: per redis_lists source
 *       and check "N NAME ANSWER LAYER CODE", then "score S"
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "rcache.h"
#include "rlists.h"

/* Lookups kept in flight by hammer: ten clients. */
#define RLD_CLIENTS 10
/* How long to wait for the Redis connection. */
#define RLD_CONNECT_MS 3000u

static struct event_base *base;

static void code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff, (code >> 8) & 0xff,
		 code & 0xff);
}

static rcache_t *connect_or_die(const char *server, const char *prefix)
{
	struct rcache_opts ro = { .server = server, .prefix = prefix, .timeout_ms = 2000 };
	rcache_t *rc = NULL;
	char *error = NULL;
	struct timeval tick = { 0, 10000 };
	uint64_t until = clock_now_ms() + RLD_CONNECT_MS;

	if (rcache_new(base, &ro, &rc, &error) != 0) {
		fprintf(stderr, "rcache_new: %s\n", error);
		exit(2);
	}
	while (!rcache_up(rc) && clock_now_ms() < until) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	if (!rcache_up(rc)) {
		fprintf(stderr, "redis %s not reachable\n", server);
		exit(2);
	}
	return rc;
}

/* ---- lookup ------------------------------------------------------------- */

struct one {
	const char *const *names;
	bool done;
};

static void one_cb(const struct rlists_result *res, size_t n, void *ctx)
{
	struct one *o = ctx;
	char code[16];

	for (size_t i = 0; i < n; i++) {
		if (res[i].answer == RLISTS_LISTED) {
			code_text(res[i].code, code);
			printf("%s listed %s %s\n", o->names[i], code, res[i].text ? res[i].text : "");
		} else if (res[i].answer == RLISTS_NOT_LISTED) {
			printf("%s not-listed\n", o->names[i]);
		} else {
			printf("%s error %s\n", o->names[i], res[i].error);
		}
	}
	o->done = true;
	event_base_loopbreak(base);
}

static int do_lookup(int argc, char **argv)
{
	addr_t a;

	if (argc < 6 || addr_parse(argv[4], &a) != 0)
		return 2;
	rcache_t *rc = connect_or_die(argv[2], argv[3]);
	rlists_t *rl = rlists_new(rc, argv[3]);
	struct one o = { (const char *const *)argv + 5, false };
	(void)rlists_lookup(rl, &a, o.names, (size_t)argc - 5, one_cb, &o);
	while (!o.done)
		event_base_dispatch(base);
	rlists_free(&rl);
	rcache_free(&rc);
	return 0;
}

/* ---- hammer ------------------------------------------------------------- */

struct hammer {
	rlists_t *rl;
	const char *name;
	addr_t *addrs;
	size_t n_addrs, next;
	uint64_t until;
	unsigned long lookups, listed, misses, errors;
	int in_flight;
	const char *stop_file;	/* RLD_STOP_FILE: stop once it exists */
};

static void hammer_send(struct hammer *h);

static void hammer_cb(const struct rlists_result *res, size_t n, void *ctx)
{
	struct hammer *h = ctx;

	h->in_flight--;
	h->lookups++;
	if (n == 1 && res[0].answer == RLISTS_LISTED) {
		h->listed++;
	} else if (n == 1 && res[0].answer == RLISTS_NOT_LISTED) {
		h->misses++;
	} else {
		h->errors++;
		if (h->errors <= 3)
			fprintf(stderr, "hammer: %s\n", n == 1 ? res[0].error : "no result");
	}
	if (clock_now_ms() < h->until && (h->stop_file == NULL || access(h->stop_file, F_OK) != 0))
		hammer_send(h);
	else if (h->in_flight == 0)
		event_base_loopbreak(base);
}

static void hammer_send(struct hammer *h)
{
	const char *names[1] = { h->name };

	h->in_flight++;
	(void)rlists_lookup(h->rl, &h->addrs[h->next++ % h->n_addrs], names, 1, hammer_cb, h);
}

static int do_hammer(int argc, char **argv)
{
	struct hammer h = { .name = argv[4], .stop_file = getenv("RLD_STOP_FILE") };

	if (argc < 7)
		return 2;
	rcache_t *rc = connect_or_die(argv[2], argv[3]);
	h.rl = rlists_new(rc, argv[3]);
	h.n_addrs = (size_t)argc - 6;
	h.addrs = calloc(h.n_addrs, sizeof(*h.addrs));
	for (size_t i = 0; i < h.n_addrs; i++)
		if (h.addrs == NULL || addr_parse(argv[6 + i], &h.addrs[i]) != 0)
			return 2;
	h.until = clock_now_ms() + strtoull(argv[5], NULL, 10);
	for (int i = 0; i < RLD_CLIENTS; i++)
		hammer_send(&h);
	event_base_dispatch(base);
	printf("lookups %lu listed %lu misses %lu errors %lu\n", h.lookups, h.listed, h.misses,
	       h.errors);
	free(h.addrs);
	rlists_free(&h.rl);
	rcache_free(&rc);
	return 0;
}

/* ---- engine ------------------------------------------------------------- */

struct engine_run {
	int round;
	bool done;
};

static void verdict_cb(const struct engine_verdict *v, void *ctx)
{
	struct engine_run *run = ctx;
	char code[16];

	for (size_t i = 0; i < v->n_sources; i++) {
		const struct engine_source_result *r = &v->sources[i];
		if (r->kind != ENGINE_SOURCE_REDIS_LIST)
			continue;
		code_text(r->code, code);
		printf("%d %s %s %s %s%s%s\n", run->round, r->name, engine_answer_name(r->answer),
		       engine_layer_name(r->layer), r->answer == ENGINE_LISTED ? code : "-",
		       r->error ? " " : "", r->error ? r->error : "");
	}
	printf("%d score %d\n", run->round, v->score);
	run->done = true;
	event_base_loopbreak(base);
}

static int do_engine(int argc, char **argv)
{
	struct engine_request req = { 0 };
	engine_t *engine = NULL;
	cfg_t *cfg = NULL;
	char *error = NULL;
	struct timeval tick = { 0, 10000 };

	if (argc != 4 || addr_parse(argv[3], &req.client) != 0)
		return 2;
	if (cfg_load_default(argv[2], &cfg, &error) != 0 ||
	    engine_new(base, cfg, &engine, &error) != 0) {
		fprintf(stderr, "%s\n", error);
		free(error);
		cfg_unref(&cfg);
		return 2;
	}
	uint64_t until = clock_now_ms() + RLD_CONNECT_MS;
	while (!engine_ready(engine) && clock_now_ms() < until) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	for (int round = 1; round <= 2; round++) {
		struct engine_run run = { round, false };
		(void)engine_check(engine, &req, verdict_cb, &run);
		while (!run.done)
			event_base_dispatch(base);
	}
	engine_free(&engine);
	cfg_unref(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	log_open("rlists_driver", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_WARNING);
	base = event_base_new();
	if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		rc = do_lookup(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "hammer") == 0)
		rc = do_hammer(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "engine") == 0)
		rc = do_engine(argc, argv);
	else
		fprintf(stderr, "usage: rlists_driver lookup|hammer|engine ...\n");
	event_base_free(base);
	return rc;
}
