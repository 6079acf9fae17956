/*
 * bench_cidrset - memory and lookup speed of a cidrset holding DNSBL-shaped data.
 *
 * Usage: bench_cidrset [-n PREFIXES] [-l LOOKUPS] [-s SEED]
 *
 * Builds a set of PREFIXES (default 1,000,000) prefixes shaped like real
 * DNSBL data: 90% IPv4 (of those 70% /32, 25% /24, 5% /16../23) and 10% IPv6
 * (/128, /64 and /48), clustered in a few thousand /16s (IPv4) and /32s (IPv6) as
 * abusive hosts are.  Then looks up LOOKUPS addresses (default 10,000,000):
 * half drawn from inside stored prefixes (hits), half uniformly random over
 * the IPv4 space or 2000::/4 (mostly misses), once on one thread and once on
 * one thread per CPU (lookups may run concurrently).  Prints
 *   prefixes=N bytes=M bytes_per_prefix=X
 *   lookups=N seconds=S lookups_per_sec=R threads=T hits=H
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cidrset.h"
#include "mem.h"

/* Distinct /16 (IPv4) and /32 (IPv6) networks the listed hosts cluster in. */
#define BENCH_V4_CLUSTERS 4096
#define BENCH_V6_CLUSTERS 1024
#define BENCH_MAX_THREADS 64

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	/* xorshift64*: fast, good enough to spread benchmark keys. */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static void random_v4(struct rng *r, addr_t *a, const uint32_t *clusters)
{
	uint32_t x = (uint32_t)rng_next(r);
	uint32_t net = clusters[rng_next(r) % BENCH_V4_CLUSTERS];

	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->bytes[0] = (uint8_t)(net >> 8);
	a->bytes[1] = (uint8_t)net;
	a->bytes[2] = (uint8_t)(x >> 8);
	a->bytes[3] = (uint8_t)x;
}

static void random_v6(struct rng *r, addr_t *a, const uint32_t *clusters)
{
	uint64_t x = rng_next(r), y = rng_next(r);
	uint32_t net = clusters[rng_next(r) % BENCH_V6_CLUSTERS];

	a->family = AF_INET6;
	for (unsigned i = 0; i < 4; i++)
		a->bytes[i] = (uint8_t)(net >> (24 - 8 * i));
	for (unsigned i = 4; i < 16; i++)
		a->bytes[i] = (uint8_t)((i < 10 ? x : y) >> (8 * (i % 8)));
}

/* One prefix of the DNSBL-like mix. */
static unsigned random_prefix(struct rng *r, addr_t *a, const uint32_t *c4, const uint32_t *c6)
{
	unsigned pick = (unsigned)(rng_next(r) % 1000);

	if (pick >= 900) {
		random_v6(r, a, c6);
		return pick < 960 ? 128 : pick < 990 ? 64 : 48;
	}
	random_v4(r, a, c4);
	if (pick < 630)
		return 32;
	if (pick < 855)
		return 24;
	return 16 + (unsigned)(rng_next(r) % 8);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
	const cidrset_t *set;
	const addr_t *queries;
	size_t n;
	size_t hits;
};

static void *run_lookups(void *arg)
{
	struct job *job = arg;
	size_t hits = 0;

	for (size_t i = 0; i < job->n; i++) {
		uint32_t v;
		hits += cidrset_lookup(job->set, &job->queries[i], &v, NULL);
	}
	job->hits = hits;
	return NULL;
}

static void bench_lookups(const cidrset_t *set, const addr_t *queries, size_t n, unsigned threads)
{
	struct job jobs[BENCH_MAX_THREADS];
	pthread_t tid[BENCH_MAX_THREADS];
	size_t per = n / threads, hits = 0;

	double t0 = now();
	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct job){ set, queries + i * per, i + 1 == threads ? n - i * per : per, 0 };
		if (pthread_create(&tid[i], NULL, run_lookups, &jobs[i]) != 0) {
			perror("pthread_create");
			exit(1);
		}
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		hits += jobs[i].hits;
	}
	double secs = now() - t0;
	printf("lookups=%zu seconds=%.3f lookups_per_sec=%.0f threads=%u hits=%zu\n", n, secs,
	       (double)n / secs, threads, hits);
}

/* Insert until the set holds n distinct prefixes, remembered in stored/plens. */
static void build_set(struct rng *r, cidrset_t *set, addr_t *stored, unsigned *plens, size_t n,
		      const uint32_t *c4, const uint32_t *c6)
{
	size_t nstored = 0;

	while (nstored < n) {
		addr_t a;
		unsigned plen = random_prefix(r, &a, c4, c6);
		addr_mask(&a, plen);
		if (cidrset_insert(set, &a, plen, (uint32_t)nstored) == 0) {
			stored[nstored] = a;
			plens[nstored++] = plen;
		}
	}
}

/* Queries: even ones inside a stored prefix, odd ones anywhere; then shuffled. */
static void make_queries(struct rng *r, addr_t *queries, size_t n, const addr_t *stored,
			 const unsigned *plens, size_t nstored, const uint32_t *c4,
			 const uint32_t *c6)
{
	for (size_t i = 0; i < n; i++) {
		addr_t *q = &queries[i];
		if (i % 2 == 0) {
			size_t k = rng_next(r) % nstored;
			addr_t host;
			if (stored[k].family == AF_INET)
				random_v4(r, &host, c4);
			else
				random_v6(r, &host, c6);
			*q = stored[k];
			for (unsigned b = plens[k]; b < addr_bits(q); b++)
				if (addr_bit(&host, b))
					q->bytes[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
		} else {
			/* Anywhere in the family's space: mostly misses. */
			uint64_t x = rng_next(r), y = rng_next(r);
			memset(q, 0, sizeof(*q));
			q->family = x % 10 == 0 ? AF_INET6 : AF_INET;
			for (unsigned b = 0; b < addr_bits(q) / 8; b++)
				q->bytes[b] = (uint8_t)((b < 8 ? y : x) >> (8 * (b % 8)));
			if (q->family == AF_INET6)
				q->bytes[0] = (uint8_t)(0x20 | (q->bytes[0] & 0x0f));	/* 2000::/4 */
		}
	}
	/* Shuffle so that consecutive queries do not share cache lines by construction. */
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_next(r) % i;
		addr_t tmp = queries[i - 1];
		queries[i - 1] = queries[j];
		queries[j] = tmp;
	}
}

int main(int argc, char **argv)
{
	size_t nprefixes = 1000000, nlookups = 10000000;
	uint64_t seed = 20261129;
	int opt;

	while ((opt = getopt(argc, argv, "n:l:s:")) != -1) {
		if (opt == 'n')
			nprefixes = strtoul(optarg, NULL, 10);
		else if (opt == 'l')
			nlookups = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: %s [-n prefixes] [-l lookups] [-s seed]\n", argv[0]);
			return 2;
		}
	}
	struct rng r = { seed | 1 };
	uint32_t c4[BENCH_V4_CLUSTERS], c6[BENCH_V6_CLUSTERS];
	for (size_t i = 0; i < BENCH_V4_CLUSTERS; i++)
		c4[i] = (uint32_t)(rng_next(&r) % 0xdf00) + 0x0100;	/* 1.0/16 .. 223.255/16 */
	for (size_t i = 0; i < BENCH_V6_CLUSTERS; i++)
		c6[i] = 0x20000000u | (uint32_t)(rng_next(&r) % 0x10000000);	/* 2000::/4 */

	cidrset_t *set = cidrset_new();
	addr_t *stored = xreallocarray(NULL, nprefixes, sizeof(*stored));
	unsigned *plens = xreallocarray(NULL, nprefixes, sizeof(*plens));
	double t0 = now();
	build_set(&r, set, stored, plens, nprefixes, c4, c6);
	double build = now() - t0;
	size_t bytes = cidrset_memory(set);
	printf("prefixes=%zu bytes=%zu bytes_per_prefix=%.1f build_seconds=%.3f\n",
	       cidrset_count(set), bytes, (double)bytes / (double)cidrset_count(set), build);
	addr_t *queries = xreallocarray(NULL, nlookups, sizeof(*queries));
	make_queries(&r, queries, nlookups, stored, plens, nprefixes, c4, c6);

	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > BENCH_MAX_THREADS)
		ncpu = BENCH_MAX_THREADS;
	bench_lookups(set, queries, nlookups, 1);
	if (ncpu > 1)
		bench_lookups(set, queries, nlookups, (unsigned)ncpu);

	free(queries);
	free(stored);
	free(plens);
	cidrset_free(&set);
	return 0;
}
