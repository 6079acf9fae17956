/* test_lru - eviction order, expiry, replace, tiny capacities, binary keys,
 * counters, a randomized cross-check against a naive model, and size bounds. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "mem.h"
#include "tap.h"

static size_t values_live;	/* allocated by new_value, not yet released */

static void *new_value(int v)
{
	int *p = xmalloc(sizeof(*p));
	*p = v;
	values_live++;
	return p;
}

static void free_value(void *p)
{
	values_live--;
	free(p);
}

/* The value under a one-letter key, or -1 when lru_get misses. */
static int get_s(lru_t *lru, const char *key, uint64_t now)
{
	int *p = lru_get(lru, key, strlen(key), now);
	return p != NULL ? *p : -1;
}

static void put_s(lru_t *lru, const char *key, int v, uint64_t expires)
{
	lru_put(lru, key, strlen(key), new_value(v), expires);
}

static const struct {
	const char *ops;	/* p<k> = put k, g<k> = get k (a hit), m<k> = get k (a miss) */
	const char *name;
} order_cases[] = {
	{ "pa pb pc pd ma gb gc gd", "the least recent of four goes first (capacity 3)" },
	{ "pa pb pc ga pd mb ga gc gd", "a get makes an entry most recent" },
	{ "pa pb pc pa pd mb ga gc gd", "a replace makes an entry most recent" },
	{ "pa pb pc pd pe ma mb gc gd ge", "two evictions in order" },
};

static void test_order(void)
{
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		lru_t *lru = lru_new(3, free_value);
		const char *s = order_cases[i].ops;
		bool good = true;
		for (; *s != '\0'; s += s[2] == ' ' ? 3 : 2) {
			char key[2] = { s[1], '\0' };
			if (s[0] == 'p')
				put_s(lru, key, s[1], 1000);
			else if (s[0] == 'g')
				good &= get_s(lru, key, 0) == s[1];
			else
				good &= get_s(lru, key, 0) == -1;
		}
		ok(good, "%s", order_cases[i].name);
		lru_free(&lru);
		ok(lru == NULL, "lru_free sets the pointer to NULL");
	}
	is_int(values_live, 0, "every value released after the order cases");
}

static void test_expiry(void)
{
	lru_t *lru = lru_new(10, free_value);

	put_s(lru, "k", 7, 100);
	is_int(get_s(lru, "k", 0), 7, "fresh at 0");
	is_int(get_s(lru, "k", 99), 7, "fresh at 99 (expires at 100)");
	is_int(get_s(lru, "k", 100), -1, "expired at 100");
	is_int(lru_count(lru), 0, "the expired entry is dropped when met");
	is_int(values_live, 0, "its value released");
	put_s(lru, "k", 8, 200);
	is_int(get_s(lru, "k", 150), 8, "a new put after expiry is fresh");
	put_s(lru, "k", 9, 50);
	is_int(get_s(lru, "k", 150), -1, "a replace also replaces the expiry");
	lru_free(&lru);
	is_int(values_live, 0, "nothing leaked");
}

static void test_replace(void)
{
	lru_t *lru = lru_new(4, free_value);
	void *same;

	put_s(lru, "x", 1, 1000);
	put_s(lru, "x", 2, 1000);
	is_int(lru_count(lru), 1, "replace keeps one entry");
	is_int(values_live, 1, "the old value is released on replace");
	is_int(get_s(lru, "x", 0), 2, "the new value is returned");
	same = lru_get(lru, "x", 1, 0);
	lru_put(lru, "x", 1, same, 2000);
	is_int(values_live, 1, "putting the same pointer again does not release it");
	is_int(get_s(lru, "x", 1500), 2, "and still reads back");
	ok(lru_remove(lru, "x", 1), "remove finds the key");
	ok(!lru_remove(lru, "x", 1), "a second remove does not");
	is_int(values_live, 0, "remove releases the value");
	lru_free(&lru);
}

static void test_tiny(void)
{
	lru_t *lru = lru_new(0, free_value);

	put_s(lru, "a", 1, 1000);
	is_int(values_live, 0, "capacity 0: put releases the value at once");
	is_int(get_s(lru, "a", 0), -1, "capacity 0: get misses");
	is_int(lru_count(lru), 0, "capacity 0: holds nothing");
	ok(!lru_remove(lru, "a", 1), "capacity 0: nothing to remove");
	lru_free(&lru);

	lru = lru_new(1, free_value);
	put_s(lru, "a", 1, 1000);
	is_int(get_s(lru, "a", 0), 1, "capacity 1: holds one");
	put_s(lru, "b", 2, 1000);
	is_int(get_s(lru, "a", 0), -1, "capacity 1: the second put evicts the first");
	is_int(get_s(lru, "b", 0), 2, "capacity 1: the second is there");
	is_int(lru_count(lru), 1, "capacity 1: count stays 1");
	is_int(lru_evictions(lru), 1, "capacity 1: one eviction counted");
	lru_free(&lru);
	is_int(values_live, 0, "nothing leaked");
}

static const struct {
	const char *key;
	size_t len;
} binary_keys[] = {
	{ "a", 1 }, { "a\0", 2 }, { "a\0b", 3 }, { "a\0c", 3 }, { "\0", 1 }, { "", 0 },
	{ "\0\0\0\0\0\0\0\0\0", 9 }, { "\0\0\0\0\0\0\0\0", 8 },
};

static void test_binary_keys(void)
{
	size_t n = sizeof(binary_keys) / sizeof(binary_keys[0]);
	lru_t *lru = lru_new(n, free_value);
	bool good = true;
	char longkey[LRU_KEY_MAX + 1];

	for (size_t i = 0; i < n; i++)
		lru_put(lru, binary_keys[i].key, binary_keys[i].len, new_value((int)i), 1000);
	is_int(lru_count(lru), n, "keys that differ only after a NUL are distinct");
	for (size_t i = 0; i < n; i++) {
		int *p = lru_get(lru, binary_keys[i].key, binary_keys[i].len, 0);
		good &= p != NULL && *p == (int)i;
	}
	ok(good, "each binary key reads back its own value");

	memset(longkey, 'k', sizeof(longkey));
	lru_put(lru, longkey, LRU_KEY_MAX, new_value(1), 1000);
	ok(lru_get(lru, longkey, LRU_KEY_MAX, 0) != NULL, "a key of LRU_KEY_MAX bytes is cached");
	lru_put(lru, longkey, LRU_KEY_MAX + 1, new_value(2), 1000);
	ok(lru_get(lru, longkey, LRU_KEY_MAX + 1, 0) == NULL, "a longer key is not");
	lru_free(&lru);
	is_int(values_live, 0, "the refused value was released");
}

static void test_counters(void)
{
	lru_t *lru = lru_new(2, free_value);

	put_s(lru, "a", 1, 100);
	put_s(lru, "b", 2, 1000);
	(void)get_s(lru, "a", 0);	/* hit */
	(void)get_s(lru, "b", 0);	/* hit */
	(void)get_s(lru, "c", 0);	/* miss */
	(void)get_s(lru, "a", 500);	/* expired: miss */
	put_s(lru, "c", 3, 1000);
	put_s(lru, "d", 4, 1000);	/* evicts b */
	is_int(lru_hits(lru), 2, "hits counted");
	is_int(lru_misses(lru), 2, "misses counted, an expired entry included");
	is_int(lru_evictions(lru), 1, "an expired drop is not an eviction; a full put is");
	lru_free(&lru);
}

/* The naive model: an array searched linearly, recency as a stamp. */
#define MODEL_CAP 16
#define MODEL_KEYS 40
struct model_entry {
	int key, value;
	uint64_t expires, used;
	bool live;
};

static int model_find(struct model_entry *m, int key)
{
	for (int i = 0; i < MODEL_CAP; i++)
		if (m[i].live && m[i].key == key)
			return i;
	return -1;
}

static void model_put(struct model_entry *m, int key, int value, uint64_t exp, uint64_t tick)
{
	int slot = model_find(m, key);

	if (slot < 0) {
		for (int i = 0; i < MODEL_CAP; i++)
			if (!m[i].live) {
				slot = i;
				break;
			}
	}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < MODEL_CAP; i++)
			if (m[i].used < m[slot].used)
				slot = i;
	}
	m[slot] = (struct model_entry){ key, value, exp, tick, true };
}

static void test_model(void)
{
	struct model_entry model[MODEL_CAP] = { { 0, 0, 0, 0, false } };
	lru_t *lru = lru_new(MODEL_CAP, free_value);
	unsigned seed = 12345;
	size_t mismatches = 0, hits = 0;
	uint64_t now = 0;

	for (uint64_t tick = 1; tick <= 200000; tick++) {
		int key = rand_r(&seed) % MODEL_KEYS, op = rand_r(&seed) % 10;
		unsigned char kb[4] = { (unsigned char)key, 0, 0, (unsigned char)(key >> 8) };
		now += (uint64_t)(rand_r(&seed) % 3);
		if (op < 5) {
			int v = rand_r(&seed);
			uint64_t exp = now + 1 + (uint64_t)(rand_r(&seed) % 400);
			lru_put(lru, kb, sizeof(kb), new_value(v), exp);
			model_put(model, key, v, exp, tick);
		} else if (op < 9) {
			int *got = lru_get(lru, kb, sizeof(kb), now);
			int slot = model_find(model, key);
			if (slot >= 0 && now >= model[slot].expires) {
				model[slot].live = false;
				slot = -1;
			}
			if (slot >= 0)
				model[slot].used = tick;
			if ((slot < 0) != (got == NULL) || (got != NULL && *got != model[slot].value))
				mismatches++;
			hits += got != NULL;
		} else {
			int slot = model_find(model, key);
			if (lru_remove(lru, kb, sizeof(kb)) != (slot >= 0))
				mismatches++;
			if (slot >= 0)
				model[slot].live = false;
		}
		size_t live = 0;
		for (int i = 0; i < MODEL_CAP; i++)
			live += model[i].live;
		if (live != lru_count(lru))
			mismatches++;
	}
	is_int(mismatches, 0, "200000 random operations agree with the naive model");
	ok(hits > 1000, "the random run exercised hits (%zu)", hits);
	is_int(values_live, lru_count(lru), "live values match live entries");
	lru_free(&lru);
	is_int(values_live, 0, "nothing leaked after the random run");
}

static void test_bound(void)
{
	lru_t *lru = lru_new(10000, free);
	size_t peak = 0;

	for (uint32_t i = 0; i < 1000000; i++) {
		lru_put(lru, &i, sizeof(i), xmalloc(8), UINT64_MAX);
		if (lru_count(lru) > peak)
			peak = lru_count(lru);
	}
	is_int(peak, 10000, "1M puts into a 10k cache never hold more than 10k");
	is_int(lru_count(lru), 10000, "and it ends full");
	is_int(lru_evictions(lru), 1000000 - 10000, "every extra put evicted one");
	uint32_t last = 999999, first = 0, edge = 1000000 - 10000;
	ok(lru_get(lru, &last, sizeof(last), 0) != NULL, "the newest key is there");
	ok(lru_get(lru, &edge, sizeof(edge), 0) != NULL, "the oldest kept key is there");
	ok(lru_get(lru, &first, sizeof(first), 0) == NULL, "the first key is long gone");
	lru_free(&lru);
}

int main(void)
{
	test_order();
	test_expiry();
	test_replace();
	test_tiny();
	test_binary_keys();
	test_counters();
	test_model();
	test_bound();
	return tap_done();
}
