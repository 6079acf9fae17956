/*
 * bench_engine - checks per second and latency of the core engine, in three
 * situations: every answer from the in-process cache, every answer from
 * Redis (the in-process cache disabled), and cold lookups (every address new)
 * against a local rbldnsd with Z zones, without TXT (cold) or with the TXT
 * queries sent beside the A queries (cold-txt, dnsbl_txt = yes).  Run by
 * bench/engine-bench.sh, which starts rbldnsd and redis-server.
 *
 * usage: bench_engine MODE DNS_PORT ZONES REDIS_PORT CONCURRENCY CHECKS
 *   MODE: memory | redis | cold | cold-txt
 * Clients are 198.18.x.y (RFC 2544 benchmark space, not skipped as special).
 * Prints one line: mode=... zones=... conc=... checks=... per_sec=... p50_us=... p99_us=...
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "mem.h"

struct bench {
	struct event_base *base;
	engine_t *engine;
	unsigned next;		/* next address index */
	unsigned addresses;	/* distinct addresses cycled through */
	unsigned started, done, total;
	unsigned *lat_us;
	unsigned n_lat;
	bool measure;
	unsigned not_redis;	/* watch: checks of this round not answered by Redis */
};

struct slot {
	struct bench *b;
	uint64_t t0;
};

static void start_one(struct slot *s);

static void on_verdict(const struct engine_verdict *v, void *ctx)
{
	struct slot *s = ctx;
	struct bench *b = s->b;

	if (v->layer != ENGINE_LAYER_REDIS)
		b->not_redis++;
	if (b->measure && b->n_lat < b->total)
		b->lat_us[b->n_lat++] = (unsigned)(clock_now_us() - s->t0);
	b->done++;
	if (b->started < b->total)
		start_one(s);
	else if (b->done == b->total)
		event_base_loopbreak(b->base);
}

static void start_one(struct slot *s)
{
	struct bench *b = s->b;
	struct engine_request req = { 0 };
	unsigned i = b->next++ % b->addresses;

	req.client.family = AF_INET;
	req.client.bytes[0] = 198;
	req.client.bytes[1] = (uint8_t)(18 + (i >> 16));
	req.client.bytes[2] = (uint8_t)(i >> 8);
	req.client.bytes[3] = (uint8_t)i;
	b->started++;
	s->t0 = clock_now_us();
	(void)engine_check(b->engine, &req, on_verdict, s);
}

/* Run total checks with conc in flight. */
static double run(struct bench *b, unsigned conc, unsigned total, bool measure)
{
	struct slot *slots = xcalloc(conc, sizeof(*slots));
	uint64_t t0 = clock_now_us();

	b->started = b->done = 0;
	b->total = total;
	b->measure = measure;
	b->n_lat = 0;
	for (unsigned i = 0; i < conc && i < total; i++) {
		slots[i].b = b;
		start_one(&slots[i]);
	}
	event_base_dispatch(b->base);
	free(slots);
	return (double)(clock_now_us() - t0) / 1e6;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

static void settle(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/*
 * watch: the pause of a failover, seen by checks.  The addresses (warmed
 * into Redis first) are checked in rounds, one round every 20 ms, for
 * seconds; a line per round where some check was not a Redis hit or took
 * 100 ms or more; then the time from the start of the first round with a
 * check not answered by Redis to the end of the last (the Redis pause) and
 * the slowest check (the pause in checks).  The caller starts a failover
 * while this runs.
 */
static void watch(struct bench *b, unsigned seconds)
{
	uint64_t t0 = clock_now_us(), first = 0, last = 0;
	unsigned worst = 0, rounds = 0, bad_rounds = 0;

	while (clock_now_us() - t0 < (uint64_t)seconds * 1000000u) {
		uint64_t r0 = clock_now_us();
		b->not_redis = 0;
		run(b, 16, b->addresses, true);
		unsigned slowest = 0;
		for (unsigned i = 0; i < b->n_lat; i++)
			slowest = b->lat_us[i] > slowest ? b->lat_us[i] : slowest;
		worst = slowest > worst ? slowest : worst;
		rounds++;
		if (b->not_redis > 0 || slowest >= 100000)
			printf("t=%llu ms: %u of %u checks not from Redis, slowest %u us\n",
			       (unsigned long long)((r0 - t0) / 1000), b->not_redis, b->addresses, slowest);
		if (b->not_redis > 0) {
			if (bad_rounds++ == 0)
				first = (r0 - t0) / 1000;
			last = (clock_now_us() - t0) / 1000;
		}
		uint64_t took = clock_now_us() - r0;
		if (took < 20000)
			settle(b->base, (unsigned)((20000 - took) / 1000));
	}
	printf("mode=watch rounds=%u rounds_with_misses=%u redis_pause_ms=%llu slowest_check_us=%u\n", rounds,
	       bad_rounds, bad_rounds > 0 ? (unsigned long long)(last - first) : 0ULL, worst);
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s memory|redis|cold|watch DNS_PORT ZONES REDIS_PORT|NAME@SENTINELS|cluster:NODES "
			"CONCURRENCY CHECKS|SECONDS\n",
			argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	unsigned zones = (unsigned)atoi(argv[3]);
	unsigned conc = (unsigned)atoi(argv[5]);
	unsigned checks = (unsigned)atoi(argv[6]);
	bool txt = strcmp(mode, "cold-txt") == 0;
	bool cold = txt || strcmp(mode, "cold") == 0, watching = strcmp(mode, "watch") == 0;
	bool redis = watching || strcmp(mode, "redis") == 0;
	struct buf text = BUF_INIT, sites = BUF_INIT;
	cfg_t *cfg = NULL;
	char *error = NULL;
	struct bench b = { 0 };

	log_open("bench_engine", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_WARNING);
	struct buf rline = BUF_INIT;
	const char *at = strchr(argv[4], '@');

	for (unsigned z = 1; z <= zones; z++)
		buf_printf(&sites, "%sz%u.test", z > 1 ? ", " : "", z);
	/* REDIS_PORT, NAME@HOST:PORT,... for the master NAME of those Sentinels,
	 * or cluster:HOST:PORT,... for the seed nodes of a Redis Cluster */
	if (redis && strncmp(argv[4], "cluster:", 8) == 0)
		buf_printf(&rline, "redis_cluster_nodes = %s\nredis_prefix = bench:", argv[4] + 8);
	else if (redis && at != NULL)
		buf_printf(&rline, "redis_sentinel_master = %.*s\nredis_sentinels = %s\nredis_prefix = bench:",
			   (int)(at - argv[4]), argv[4], at + 1);
	else if (redis)
		buf_printf(&rline, "redis_server = 127.0.0.1:%s\nredis_prefix = bench:", argv[4]);
	buf_printf(&text,
		   "dns_servers = 127.0.0.1:%s\ndnsbl_sites = %s\ndnsbl_timeout = 5s\n"
		   "dnsbl_probe_interval = 0\nreport_enable = no\ndnsbl_txt = %s\n"
		   "cache_size = %s\n%s\n",
		   argv[2], buf_cstr(&sites), txt ? "yes" : "no", redis ? "0" : "1000000", buf_cstr(&rline));
	buf_free(&rline);
	if (cfg_load_mem("bench.conf", text.data, text.len, &cfg, &error) != 0) {
		fprintf(stderr, "config: %s\n", error);
		return 1;
	}
	b.base = event_base_new();
	if (engine_new(b.base, cfg, &b.engine, &error) != 0) {
		fprintf(stderr, "engine: %s\n", error);
		return 1;
	}
	while (!engine_ready(b.engine))
		settle(b.base, 10);
	b.lat_us = xcalloc(checks, sizeof(*b.lat_us));
	if (cold) {
		/* Every check a new address: the whole run is cold lookups. */
		b.addresses = checks;
	} else if (watching) {
		/* 300 addresses warmed into Redis; CHECKS is the seconds to watch. */
		b.addresses = 300;
		b.lat_us = xreallocarray(b.lat_us, b.addresses, sizeof(*b.lat_us));
		run(&b, 16, b.addresses, false);
		settle(b.base, 300);
	} else {
		/* 10,000 addresses, looked up once to warm the caches, then cycled. */
		b.addresses = checks < 10000 ? checks : 10000;
		run(&b, 16, b.addresses, false);
		settle(b.base, 300);	/* let fire-and-forget Redis writes land */
	}
	if (watching) {
		watch(&b, checks);
	} else {
		double secs = run(&b, conc, checks, true);
		qsort(b.lat_us, b.n_lat, sizeof(*b.lat_us), cmp_uint);
		printf("mode=%s zones=%u conc=%u checks=%u per_sec=%.0f p50_us=%u p99_us=%u\n", mode, zones,
		       conc, checks, checks / secs, b.lat_us[b.n_lat / 2], b.lat_us[(size_t)(b.n_lat * 0.99)]);
	}
	free(b.lat_us);
	engine_free(&b.engine);
	event_base_free(b.base);
	cfg_unref(&cfg);
	buf_free(&text);
	buf_free(&sites);
	return 0;
}
