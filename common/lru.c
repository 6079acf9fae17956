/* lru - bounded LRU cache with per-entry expiry; see lru.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lru.h"
#include "mem.h"

struct lru_entry {
	struct lru_entry *prev, *next;	/* recency list: head is most recent */
	struct lru_entry *chain;	/* next in the same bucket */
	uint64_t hash;
	uint64_t expires_ms;
	void *value;
	size_t key_len;
	unsigned char key[];		/* key_len bytes, copied */
};

struct lru {
	struct lru_entry **buckets;
	size_t mask;			/* bucket count - 1 (a power of two) */
	struct lru_entry *head, *tail;
	size_t count, capacity;
	lru_free_fn *free_value;
	uint64_t k0, k1;		/* SipHash key */
	uint64_t hits, misses, evictions;
};

/* ---- SipHash-2-4 (Aumasson & Bernstein), written from the paper ------- */

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

static uint64_t siphash(uint64_t k0, uint64_t k1, const unsigned char *p, size_t len)
{
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL,
	};
	size_t full = len & ~(size_t)7;
	uint64_t m, last = (uint64_t)(len & 0xff) << 56;

	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[full + i] << (8 * i);
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* A random hash key per cache; when the kernel has no entropy source for
 * us, fall back to clock and pid (still unpredictable enough from outside). */
static void lru_seed(lru_t *lru)
{
	uint64_t k[2];

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
		k[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)lru;
	}
	lru->k0 = k[0];
	lru->k1 = k[1];
}

/* ---- the cache ---------------------------------------------------------- */

lru_t *lru_new(size_t capacity, lru_free_fn *free_value)
{
	lru_t *lru = xcalloc(1, sizeof(*lru));
	size_t nbuckets = 8;

	if (capacity > LRU_CAPACITY_MAX)
		capacity = LRU_CAPACITY_MAX;
	/* Load factor at most 1: chains stay short on average. */
	while (nbuckets < capacity)
		nbuckets <<= 1;
	lru->buckets = xcalloc(nbuckets, sizeof(*lru->buckets));
	lru->mask = nbuckets - 1;
	lru->capacity = capacity;
	lru->free_value = free_value;
	lru_seed(lru);
	return lru;
}

static void release_value(lru_t *lru, void *value)
{
	if (lru->free_value != NULL && value != NULL)
		lru->free_value(value);
}

static void list_unlink(lru_t *lru, struct lru_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		lru->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		lru->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_push_front(lru_t *lru, struct lru_entry *e)
{
	e->prev = NULL;
	e->next = lru->head;
	if (lru->head != NULL)
		lru->head->prev = e;
	lru->head = e;
	if (lru->tail == NULL)
		lru->tail = e;
}

/* The link that points at key's entry (or at the NULL that ends its chain),
 * so that callers can both find and unhook in one walk. */
static struct lru_entry **find_link(lru_t *lru, const void *key, size_t key_len, uint64_t hash)
{
	struct lru_entry **link = &lru->buckets[hash & lru->mask];

	for (; *link != NULL; link = &(*link)->chain) {
		const struct lru_entry *e = *link;
		if (e->hash == hash && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
			break;
	}
	return link;
}

/* Unhook the entry *link points at, release its value and free it. */
static void drop_at(lru_t *lru, struct lru_entry **link)
{
	struct lru_entry *e = *link;

	*link = e->chain;
	list_unlink(lru, e);
	lru->count--;
	release_value(lru, e->value);
	free(e);
}

static void evict_tail(lru_t *lru)
{
	struct lru_entry *victim = lru->tail;

	drop_at(lru, find_link(lru, victim->key, victim->key_len, victim->hash));
	lru->evictions++;
}

void *lru_get(lru_t *lru, const void *key, size_t key_len, uint64_t now_ms)
{
	struct lru_entry **link, *e;
	uint64_t hash;

	if (lru->capacity == 0 || key_len > LRU_KEY_MAX) {
		lru->misses++;
		return NULL;
	}
	hash = siphash(lru->k0, lru->k1, key, key_len);
	link = find_link(lru, key, key_len, hash);
	e = *link;
	if (e == NULL) {
		lru->misses++;
		return NULL;
	}
	if (now_ms >= e->expires_ms) {
		drop_at(lru, link);
		lru->misses++;
		return NULL;
	}
	list_unlink(lru, e);
	list_push_front(lru, e);
	lru->hits++;
	return e->value;
}

void lru_put(lru_t *lru, const void *key, size_t key_len, void *value, uint64_t expires_ms)
{
	struct lru_entry **link, *e;
	uint64_t hash;

	if (lru->capacity == 0 || key_len > LRU_KEY_MAX) {
		release_value(lru, value);
		return;
	}
	hash = siphash(lru->k0, lru->k1, key, key_len);
	link = find_link(lru, key, key_len, hash);
	e = *link;
	if (e != NULL) {
		if (e->value != value)
			release_value(lru, e->value);
		e->value = value;
		e->expires_ms = expires_ms;
		list_unlink(lru, e);
		list_push_front(lru, e);
		return;
	}
	if (lru->count >= lru->capacity)
		evict_tail(lru);
	e = xmalloc(sizeof(*e) + key_len);
	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	e->hash = hash;
	e->value = value;
	e->expires_ms = expires_ms;
	/* Eviction may have changed the chain: link afresh at the bucket head. */
	e->chain = lru->buckets[hash & lru->mask];
	lru->buckets[hash & lru->mask] = e;
	list_push_front(lru, e);
	lru->count++;
}

bool lru_remove(lru_t *lru, const void *key, size_t key_len)
{
	struct lru_entry **link;

	if (lru->capacity == 0 || key_len > LRU_KEY_MAX)
		return false;
	link = find_link(lru, key, key_len, siphash(lru->k0, lru->k1, key, key_len));
	if (*link == NULL)
		return false;
	drop_at(lru, link);
	return true;
}

size_t lru_count(const lru_t *lru)
{
	return lru->count;
}

uint64_t lru_hits(const lru_t *lru)
{
	return lru->hits;
}

uint64_t lru_misses(const lru_t *lru)
{
	return lru->misses;
}

uint64_t lru_evictions(const lru_t *lru)
{
	return lru->evictions;
}

void lru_free(lru_t **lrup)
{
	lru_t *lru = *lrup;
	struct lru_entry *e, *next;

	if (lru == NULL)
		return;
	for (e = lru->head; e != NULL; e = next) {
		next = e->next;
		release_value(lru, e->value);
		free(e);
	}
	free(lru->buckets);
	free(lru);
	*lrup = NULL;
}
