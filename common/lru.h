/*
 * lru - a bounded least-recently-used cache with per-entry expiry.
 *
 * Keys are arbitrary bytes (embedded NULs allowed, at most LRU_KEY_MAX);
 * the cache copies them.  Values are opaque pointers.  Get and put are O(1):
 * a hash table (SipHash with a per-cache random key, so that clients cannot
 * aim many keys at one bucket) plus a doubly linked recency list.
 *
 * Time is the caller's: every expiry is an absolute millisecond stamp on the
 * caller's clock, and an entry is fresh while now_ms < expires_ms.  Expired
 * entries are dropped when a lookup meets them and otherwise age out of the
 * recency list; lru_count() includes expired entries not yet met.
 *
 * Ownership: lru_put() takes ownership of the value.  The cache releases a
 * value with free_value (given to lru_new) when it is replaced, evicted,
 * expired, removed, or when the cache is freed.  With free_value NULL the
 * cache never releases values (they are owned elsewhere).
 *
 * Not thread-safe: one cache per engine thread.
 */
#ifndef RELAYGUARD_LRU_H
#define RELAYGUARD_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest capacity lru_new() accepts (keeps the bucket array sane). */
#define LRU_CAPACITY_MAX ((size_t)1 << 26)
/* Longest key cached; a longer key is never stored (put releases the value,
 * get misses). */
#define LRU_KEY_MAX 1024

typedef struct lru lru_t;
typedef void lru_free_fn(void *value);

/*
 * A new empty cache for at most capacity entries (capacity is clamped to
 * LRU_CAPACITY_MAX).  Capacity 0 disables caching: every get misses and
 * every put releases its value at once.  Never returns NULL (aborts on OOM).
 * Caller frees with lru_free().
 */
lru_t *lru_new(size_t capacity, lru_free_fn *free_value);

/*
 * Look key up.  Returns the value, or NULL when it is missing or expired
 * (an expired entry is dropped and its value released).  A hit becomes the
 * most recent entry.  The value stays owned by the cache and lives until the
 * next lru_put(), lru_remove() or lru_free() on this cache, or the next
 * lru_get() that meets it expired.  Counts a hit or a miss.
 */
void *lru_get(lru_t *lru, const void *key, size_t key_len, uint64_t now_ms);

/*
 * Store value under key until expires_ms, as the most recent entry.  Takes
 * ownership of value.  An existing entry for key is replaced (its old value
 * released unless it is the same pointer).  When the cache is full the least
 * recent entry is evicted (counted in lru_evictions()).
 */
void lru_put(lru_t *lru, const void *key, size_t key_len, void *value, uint64_t expires_ms);

/* Drop key and release its value.  Returns true when it was present. */
bool lru_remove(lru_t *lru, const void *key, size_t key_len);

/* Entries held now (expired ones not yet dropped included). */
size_t lru_count(const lru_t *lru);
/* Counters since lru_new(): lookups that found a fresh entry, lookups that
 * did not, and entries evicted because the cache was full. */
uint64_t lru_hits(const lru_t *lru);
uint64_t lru_misses(const lru_t *lru);
uint64_t lru_evictions(const lru_t *lru);

/* Release every value and the cache; sets *lru to NULL.  NULL is a no-op. */
void lru_free(lru_t **lru);

#endif
