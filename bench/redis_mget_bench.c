/*
 * redis_mget_bench - the floor under bench_engine's "Redis hit" row: a
 * client that does nothing but the row's Redis traffic.  CONCURRENCY MGETs
 * of the five cache keys of one address (the keys bench_engine's checks
 * read, bench:v2:c:{198.18.x.y}:zN.test) kept in flight, COUNT in all, on
 * one connection to a standalone server, or on one connection per master of
 * a Redis Cluster with each MGET sent to the master of its slot.  No
 * engine, no redirection, no timeouts: what any client pays on this machine
 * for the same commands, to tell our overhead from the cluster's.
 *
 * usage: redis_mget_bench PORT|cluster:PORT,PORT,... CONCURRENCY COUNT ADAPTER
 *   ADAPTER: redis_ev (ours: one write per loop turn) or hiredis (its
 *   libevent adapter: a write event per write)
 * Prints: target=... conc=... count=... per_sec=... nodes=...
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "clock.h"
#include "redis_ev.h"
#include "redis_slot.h"

#define NODES_MAX 16
#define ADDRESSES 10000	/* as bench_engine: 10,000 addresses cycled */

static struct {
	struct event_base *base;
	redisAsyncContext *node[NODES_MAX];
	int port[NODES_MAX];
	size_t n;
	uint16_t slot_node[REDIS_SLOTS];	/* index into node */
	unsigned next, started, done, total;
	bool hiredis_adapter;
} B;

static void send_one(void);

static void reply_cb(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ac;
	(void)priv;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 5) {
		fprintf(stderr, "unexpected reply (type %d): %s\n", reply ? reply->type : -1,
			reply && reply->str ? reply->str : "");
		exit(1);
	}
	if (++B.done == B.total)
		event_base_loopbreak(B.base);
	else if (B.started < B.total)
		send_one();
}

static void send_one(void)
{
	unsigned i = B.next++ % ADDRESSES;
	char subject[32], keys[5][64];
	const char *argv[6] = { "MGET" };
	size_t lens[6] = { 4 };

	snprintf(subject, sizeof(subject), "198.%u.%u.%u", 18 + (i >> 16), (i >> 8) & 255, i & 255);
	for (int z = 0; z < 5; z++) {
		lens[z + 1] = (size_t)snprintf(keys[z], sizeof(keys[z]), "bench:v2:c:{%s}:z%d.test", subject, z + 1);
		argv[z + 1] = keys[z];
	}
	redisAsyncContext *ac = B.node[B.slot_node[redis_slot(keys[0], lens[1])]];
	B.started++;
	if (redisAsyncCommandArgv(ac, reply_cb, NULL, 6, argv, lens) != REDIS_OK) {
		fprintf(stderr, "cannot send\n");
		exit(1);
	}
}

/* CLUSTER SLOTS from the first port: the masters and their slots. */
static void map_read(int port)
{
	redisContext *c = redisConnect("127.0.0.1", port);
	redisReply *r = c && !c->err ? redisCommand(c, "CLUSTER SLOTS") : NULL;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "CLUSTER SLOTS on %d failed\n", port);
		exit(1);
	}
	for (size_t k = 0; k < r->elements; k++) {
		redisReply *range = r->element[k];
		if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
		    range->element[0]->type != REDIS_REPLY_INTEGER || range->element[1]->type != REDIS_REPLY_INTEGER ||
		    range->element[0]->integer < 0 || range->element[1]->integer >= REDIS_SLOTS ||
		    range->element[2]->type != REDIS_REPLY_ARRAY || range->element[2]->elements < 2 ||
		    range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
			fprintf(stderr, "CLUSTER SLOTS on %d: unexpected reply shape\n", port);
			exit(1);
		}
		int p = (int)range->element[2]->element[1]->integer;
		size_t i;
		for (i = 0; i < B.n && B.port[i] != p; i++)
			;
		if (i == B.n) {
			if (B.n == NODES_MAX) {
				fprintf(stderr, "more than %d masters\n", NODES_MAX);
				exit(1);
			}
			B.port[B.n++] = p;
		}
		for (long long s = range->element[0]->integer; s <= range->element[1]->integer; s++)
			B.slot_node[s] = (uint16_t)i;
	}
	freeReplyObject(r);
	redisFree(c);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s PORT|cluster:PORT,... CONCURRENCY COUNT redis_ev|hiredis\n", argv[0]);
		return 2;
	}
	unsigned conc = (unsigned)atoi(argv[2]);
	B.total = (unsigned)atoi(argv[3]);
	B.hiredis_adapter = strcmp(argv[4], "hiredis") == 0;
	B.base = event_base_new();
	if (strncmp(argv[1], "cluster:", 8) == 0) {
		map_read(atoi(argv[1] + 8));
	} else {
		B.port[0] = atoi(argv[1]);
		B.n = 1;
	}
	for (size_t i = 0; i < B.n; i++) {
		B.node[i] = redisAsyncConnect("127.0.0.1", B.port[i]);
		if (B.node[i] == NULL || B.node[i]->err ||
		    (B.hiredis_adapter ? redisLibeventAttach(B.node[i], B.base) != REDIS_OK
				       : redis_ev_attach(B.node[i], B.base) != 0)) {
			fprintf(stderr, "cannot connect to %d\n", B.port[i]);
			return 1;
		}
	}
	uint64_t t0 = clock_now_us();
	for (unsigned i = 0; i < conc && i < B.total; i++)
		send_one();
	event_base_dispatch(B.base);
	double secs = (double)(clock_now_us() - t0) / 1e6;
	printf("target=%s conc=%u count=%u per_sec=%.0f nodes=%zu adapter=%s\n", argv[1], conc, B.total,
	       B.total / secs, B.n, argv[4]);
	for (size_t i = 0; i < B.n; i++)
		redisAsyncFree(B.node[i]);
	event_base_free(B.base);
	return 0;
}
