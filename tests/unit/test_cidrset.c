/* test_cidrset - the prefix trie: edges, families, replace, walk order, brute-force cross-check. */
#include "config.h"

#include <string.h>

#include "addr.h"
#include "buf.h"
#include "cidrset.h"
#include "tap.h"

/* Sizes of the randomized cross-check. */
#define RANDOM_PREFIXES 3000
#define RANDOM_LOOKUPS 40000
/* Large enough that both families pass cidrset's slot-table threshold (65536). */
#define LARGE_PREFIXES 300000
#define LARGE_LOOKUPS 100000

static void must_prefix(const char *s, addr_t *a, unsigned *plen)
{
	if (addr_prefix_parse(s, true, a, plen) != 0) {
		printf("Bail out! bad test prefix %s\n", s);
		exit(1);
	}
}

static void insert_str(cidrset_t *set, const char *s, uint32_t value)
{
	addr_t a;
	unsigned plen;

	must_prefix(s, &a, &plen);
	(void)cidrset_insert(set, &a, plen, value);
}

/* Lookup text: "VALUE/PLEN" or "-" when not found. */
static const char *lookup_str(const cidrset_t *set, const char *addr, char *out, size_t size)
{
	addr_t a;
	uint32_t v;
	unsigned plen;

	if (addr_parse(addr, &a) != 0)
		return "bad address";
	if (!cidrset_lookup(set, &a, &v, &plen))
		return "-";
	snprintf(out, size, "%u/%u", v, plen);
	return out;
}

static const struct {
	const char *prefix;
	uint32_t value;
} edge_prefixes[] = {
	{ "0.0.0.0/0", 1 },
	{ "10.0.0.0/8", 2 },
	{ "10.1.0.0/16", 3 },
	{ "10.1.2.0/24", 4 },
	{ "10.1.2.3/32", 5 },
	{ "10.1.2.128/25", 6 },
	{ "192.0.2.255/32", 7 },
	{ "255.255.255.255/32", 8 },
	{ "2001:db8::/32", 20 },
	{ "2001:db8:1::/48", 21 },
	{ "2001:db8:1::1/128", 22 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 23 },
	{ "::/128", 24 },
	{ "10.200.0.0/13", 9 },	/* host bits set: stored as 10.200.0.0/13 */
};

static const struct {
	const char *addr;
	const char *want;
} edge_lookups[] = {
	{ "1.2.3.4", "1/0" },
	{ "0.0.0.0", "1/0" },
	{ "10.0.0.1", "2/8" },
	{ "10.1.9.9", "3/16" },
	{ "10.1.2.4", "4/24" },
	{ "10.1.2.3", "5/32" },
	{ "10.1.2.200", "6/25" },
	{ "10.1.2.127", "4/24" },
	{ "192.0.2.255", "7/32" },
	{ "192.0.2.254", "1/0" },
	{ "255.255.255.255", "8/32" },
	{ "10.207.255.255", "9/13" },
	{ "10.208.0.0", "2/8" },
	{ "::ffff:10.1.2.3", "5/32" },	/* mapped: an IPv4 address */
	{ "2001:db8::5", "20/32" },
	{ "2001:db8:1::1", "22/128" },
	{ "2001:db8:1::2", "21/48" },
	{ "2001:db9::", "-" },	/* 0.0.0.0/0 never covers IPv6 */
	{ "::", "24/128" },
	{ "::1", "-" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "23/128" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "-" },
};

static void test_edges(void)
{
	cidrset_t *set = cidrset_new();
	char out[64];

	ok(cidrset_count(set) == 0, "new set is empty");
	ok(!cidrset_lookup(set, &(addr_t){ .family = AF_INET }, NULL, NULL), "empty set finds nothing");
	for (size_t i = 0; i < sizeof(edge_prefixes) / sizeof(edge_prefixes[0]); i++)
		insert_str(set, edge_prefixes[i].prefix, edge_prefixes[i].value);
	is_int(cidrset_count(set), sizeof(edge_prefixes) / sizeof(edge_prefixes[0]), "count");
	for (size_t i = 0; i < sizeof(edge_lookups) / sizeof(edge_lookups[0]); i++)
		is_str(lookup_str(set, edge_lookups[i].addr, out, sizeof(out)), edge_lookups[i].want,
		       "lookup %s", edge_lookups[i].addr);

	addr_t a;
	unsigned plen;
	uint32_t v = 0;
	must_prefix("10.1.2.0/24", &a, &plen);
	ok(cidrset_find_exact(set, &a, plen, &v) && v == 4, "find_exact 10.1.2.0/24");
	ok(!cidrset_find_exact(set, &a, 23, NULL), "find_exact /23 absent");
	ok(!cidrset_find_exact(set, &a, 20, NULL), "find_exact on a branch point is absent");
	must_prefix("10.200.0.0/13", &a, &plen);
	ok(cidrset_find_exact(set, &a, 13, NULL), "host bits were cleared on insert");
	must_prefix("::/0", &a, &plen);
	ok(!cidrset_find_exact(set, &a, 0, NULL), "::/0 not stored by 0.0.0.0/0");
	is_int(cidrset_insert(set, &a, 129, 1), -1, "plen 129 refused");
	must_prefix("1.2.3.4", &a, &plen);
	is_int(cidrset_insert(set, &a, 33, 1), -1, "plen 33 refused");

	/* Replace keeps the count and changes the value. */
	must_prefix("10.1.2.3/32", &a, &plen);
	is_int(cidrset_insert(set, &a, plen, 55), 1, "insert of a stored prefix replaces");
	is_str(lookup_str(set, "10.1.2.3", out, sizeof(out)), "55/32", "replaced value found");
	must_prefix("::/0", &a, &plen);
	is_int(cidrset_insert(set, &a, 0, 30), 0, "::/0 is new");
	is_str(lookup_str(set, "::1", out, sizeof(out)), "30/0", "::/0 covers ::1");
	is_str(lookup_str(set, "9.9.9.9", out, sizeof(out)), "1/0", "IPv4 /0 unchanged");
	is_int(cidrset_count(set), sizeof(edge_prefixes) / sizeof(edge_prefixes[0]) + 1,
	       "count after replace and one insert");
	ok(cidrset_memory(set) > 0, "memory reported");
	cidrset_free(&set);
	ok(set == NULL, "free sets the pointer to NULL");
	cidrset_free(&set);
}

/* A prefix that becomes a branch point's value later, and a value on a fork. */
static void test_split_then_fill(void)
{
	cidrset_t *set = cidrset_new();
	char out[64];

	insert_str(set, "192.0.2.0/32", 1);
	insert_str(set, "192.0.2.128/32", 2);	/* fork at 192.0.2.0/24 */
	insert_str(set, "192.0.2.0/24", 3);	/* exactly the fork: gets a value */
	insert_str(set, "192.0.0.0/16", 4);	/* above the fork */
	is_int(cidrset_count(set), 4, "four prefixes");
	is_str(lookup_str(set, "192.0.2.1", out, sizeof(out)), "3/24", "fork holds its value");
	is_str(lookup_str(set, "192.0.2.128", out, sizeof(out)), "2/32", "leaf below fork");
	is_str(lookup_str(set, "192.0.3.1", out, sizeof(out)), "4/16", "parent above fork");
	cidrset_free(&set);
}

struct walk_ctx {
	struct buf out;
	int stop_after;
};

static int walk_collect(const addr_t *prefix, unsigned plen, uint32_t value, void *vctx)
{
	struct walk_ctx *ctx = vctx;
	char s[ADDR_STRLEN];

	buf_printf(&ctx->out, "%s%s/%u=%u", ctx->out.len ? " " : "", addr_format(prefix, s), plen,
		   value);
	return --ctx->stop_after == 0 ? 42 : 0;
}

static void test_walk(void)
{
	static const char *const order[] = {
		"2001:db8::/32", "10.0.0.0/8", "::/0", "10.0.0.1/32", "0.0.0.0/0",
		"10.0.0.0/32", "9.255.255.255/32", "2001:db8::/48", "128.0.0.0/1",
	};
	cidrset_t *set = cidrset_new();
	struct walk_ctx ctx = { BUF_INIT, -1 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		insert_str(set, order[i], (uint32_t)i);
	is_int(cidrset_walk(set, walk_collect, &ctx), 0, "walk returns 0");
	is_str(buf_cstr(&ctx.out),
	       "0.0.0.0/0=4 9.255.255.255/32=6 10.0.0.0/8=1 10.0.0.0/32=5 10.0.0.1/32=3 "
	       "128.0.0.0/1=8 ::/0=2 2001:db8::/32=0 2001:db8::/48=7",
	       "walk: address order, IPv4 first, prefix before its insides");
	buf_reset(&ctx.out);
	ctx.stop_after = 3;
	is_int(cidrset_walk(set, walk_collect, &ctx), 42, "walk stops and returns cb's value");
	is_str(buf_cstr(&ctx.out), "0.0.0.0/0=4 9.255.255.255/32=6 10.0.0.0/8=1", "walk stopped after 3");
	buf_free(&ctx.out);
	cidrset_free(&set);
}

/* ---- randomized cross-check against a linear scan ------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Addresses from a small space so that prefixes nest and overlap often. */
static void random_addr(addr_t *a)
{
	uint64_t x = rng();

	memset(a, 0, sizeof(*a));
	if (x & 1) {
		a->family = AF_INET;
		a->bytes[0] = (uint8_t)(10 + ((x >> 1) & 1));
		a->bytes[1] = (uint8_t)((x >> 2) & 3);
		a->bytes[2] = (uint8_t)(x >> 8);
		a->bytes[3] = (uint8_t)(x >> 16);
	} else {
		a->family = AF_INET6;
		a->bytes[0] = 0x20;
		a->bytes[1] = 0x01;
		a->bytes[2] = (uint8_t)((x >> 1) & 1);
		for (unsigned i = 3; i < 16; i++)
			a->bytes[i] = (uint8_t)(x >> (8 + (i % 7) * 8)) & (i < 6 ? 0x3 : 0xff);
	}
}

struct ref {
	addr_t prefix;
	unsigned plen;
	uint32_t value;
};

static bool ref_lookup(const struct ref *refs, size_t n, const addr_t *a, uint32_t *v_r,
		       unsigned *plen_r)
{
	bool found = false;

	for (size_t i = 0; i < n; i++)
		if (addr_in_prefix(a, &refs[i].prefix, refs[i].plen) &&
		    (!found || refs[i].plen > *plen_r)) {
			found = true;
			*v_r = refs[i].value;
			*plen_r = refs[i].plen;
		}
	return found;
}

static void test_random(void)
{
	static struct ref refs[RANDOM_PREFIXES];
	size_t n = 0;
	int wrong_insert = 0, wrong_lookup = 0;
	cidrset_t *set = cidrset_new();

	for (size_t i = 0; i < RANDOM_PREFIXES; i++) {
		addr_t a;
		random_addr(&a);
		unsigned plen = (unsigned)(rng() % (addr_bits(&a) + 1));
		if (a.family == AF_INET && plen < 8)
			plen += 8;
		addr_mask(&a, plen);
		uint32_t value = (uint32_t)rng();
		size_t j;
		for (j = 0; j < n; j++)
			if (refs[j].plen == plen && addr_cmp(&refs[j].prefix, &a) == 0)
				break;
		int want = j < n ? 1 : 0;
		if (cidrset_insert(set, &a, plen, value) != want)
			wrong_insert++;
		refs[j] = (struct ref){ a, plen, value };
		if (j == n)
			n++;
	}
	is_int(wrong_insert, 0, "random inserts report new/replaced like the reference");
	is_int(cidrset_count(set), n, "random set count matches the reference");
	for (size_t i = 0; i < RANDOM_LOOKUPS; i++) {
		addr_t a;
		uint32_t v1 = 0, v2 = 0;
		unsigned p1 = 0, p2 = 0;
		random_addr(&a);
		if (i % 3 == 0) {
			/* An address inside a stored prefix, to get hits at every length. */
			const struct ref *r = &refs[rng() % n];
			if (r->prefix.family == a.family) {
				addr_t in = a;
				a = r->prefix;
				for (unsigned b = r->plen; b < addr_bits(&a); b++)
					if (addr_bit(&in, b))
						a.bytes[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
			}
		}
		bool f1 = cidrset_lookup(set, &a, &v1, &p1);
		bool f2 = ref_lookup(refs, n, &a, &v2, &p2);
		if (f1 != f2 || v1 != v2 || p1 != p2) {
			char s[ADDR_STRLEN];
			if (wrong_lookup++ < 5)
				tap_diag("lookup %s: trie %d %u/%u, reference %d %u/%u",
					 addr_format(&a, s), f1, v1, p1, f2, v2, p2);
		}
	}
	is_int(wrong_lookup, 0, "%d random lookups agree with a linear scan", RANDOM_LOOKUPS);
	int wrong_exact = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;
		if (!cidrset_find_exact(set, &refs[i].prefix, refs[i].plen, &v) || v != refs[i].value)
			wrong_exact++;
	}
	is_int(wrong_exact, 0, "every stored prefix found exactly");
	cidrset_free(&set);
}

struct order_ctx {
	addr_t prev;
	unsigned prev_plen;
	size_t seen;
	int bad;
};

static int walk_order(const addr_t *prefix, unsigned plen, uint32_t value, void *vctx)
{
	struct order_ctx *ctx = vctx;

	if (ctx->seen > 0) {
		int c = addr_cmp(&ctx->prev, prefix);
		if (c > 0 || (c == 0 && ctx->prev_plen >= plen))
			ctx->bad++;
	}
	ctx->prev = *prefix;
	ctx->prev_plen = plen;
	ctx->seen++;
	return 0;
}

static void test_random_walk(void)
{
	cidrset_t *set = cidrset_new();
	struct order_ctx ctx = { .seen = 0 };

	for (size_t i = 0; i < RANDOM_PREFIXES; i++) {
		addr_t a;
		random_addr(&a);
		unsigned plen = (unsigned)(rng() % (addr_bits(&a) + 1));
		addr_mask(&a, plen);
		(void)cidrset_insert(set, &a, plen, 0);
	}
	is_int(cidrset_walk(set, walk_order, &ctx), 0, "random walk completes");
	is_int(ctx.seen, cidrset_count(set), "walk visits every prefix once");
	is_int(ctx.bad, 0, "walk is in (address, length) order");
	cidrset_free(&set);
}

/* ---- a large set (slot tables in use) against a per-length probe ------------
 *
 * The reference keeps the prefixes of each length in a sorted array and
 * answers a lookup by masking the address to every length, longest first,
 * and searching that array: simple enough to trust, fast enough for 100k.
 */
struct lenref {
	struct ref *items;
	size_t n;
};

static int ref_cmp(const void *a, const void *b)
{
	return addr_cmp(&((const struct ref *)a)->prefix, &((const struct ref *)b)->prefix);
}

static bool probe_lookup(struct lenref by_len[2][129], const addr_t *a, uint32_t *v_r,
			 unsigned *plen_r)
{
	int fam = a->family == AF_INET6;

	for (int plen = (int)addr_bits(a); plen >= 0; plen--) {
		if (by_len[fam][plen].n == 0)
			continue;
		struct ref key = { *a, 0, 0 };
		addr_mask(&key.prefix, (unsigned)plen);
		const struct ref *hit = bsearch(&key, by_len[fam][plen].items, by_len[fam][plen].n,
						sizeof(struct ref), ref_cmp);
		if (hit != NULL) {
			*v_r = hit->value;
			*plen_r = (unsigned)plen;
			return true;
		}
	}
	return false;
}

/* Lengths of the large set: mostly hosts, many /24 and /64, a few short ones. */
static unsigned large_plen(const addr_t *a)
{
	unsigned pick = (unsigned)(rng() % 100);

	if (a->family == AF_INET)
		return pick < 60 ? 32 : pick < 85 ? 24 : pick < 97 ? 16 + pick % 8 : pick % 16;
	return pick < 60 ? 128 : pick < 85 ? 64 : pick < 97 ? 48 : pick % 48;
}

static void test_large(void)
{
	static struct lenref by_len[2][129];
	cidrset_t *set = cidrset_new();
	int wrong = 0;

	for (size_t i = 0; i < LARGE_PREFIXES; i++) {
		addr_t a;
		random_addr(&a);
		if (a.family == AF_INET)
			a.bytes[0] = (uint8_t)rng();	/* spread over many slots */
		unsigned plen = large_plen(&a);
		addr_mask(&a, plen);
		uint32_t value = (uint32_t)i;
		if (cidrset_find_exact(set, &a, plen, NULL))
			continue;	/* keep the first value: the reference holds one */
		if (cidrset_insert(set, &a, plen, value) != 0)
			wrong++;
		struct lenref *l = &by_len[a.family == AF_INET6][plen];
		if ((l->n & (l->n - 1)) == 0)	/* grow at powers of two */
			l->items = realloc(l->items, (l->n ? 2 * l->n : 1) * sizeof(*l->items));
		l->items[l->n++] = (struct ref){ a, plen, value };
		(void)cidrset_insert(set, &a, plen, value);	/* replace with the same value */
	}
	size_t total = 0;
	for (int f = 0; f < 2; f++)
		for (int p = 0; p <= 128; p++) {
			if (by_len[f][p].n > 0)
				qsort(by_len[f][p].items, by_len[f][p].n, sizeof(struct ref), ref_cmp);
			total += by_len[f][p].n;
		}
	is_int(wrong, 0, "large set: every new prefix inserted as new");
	is_int(cidrset_count(set), total, "large set count matches the reference");
	for (size_t i = 0; i < LARGE_LOOKUPS; i++) {
		addr_t a;
		uint32_t v1 = 0, v2 = 0;
		unsigned p1 = 0, p2 = 0;
		random_addr(&a);
		if (a.family == AF_INET)
			a.bytes[0] = (uint8_t)rng();
		bool f1 = cidrset_lookup(set, &a, &v1, &p1);
		bool f2 = probe_lookup(by_len, &a, &v2, &p2);
		if (f1 != f2 || v1 != v2 || p1 != p2) {
			char s[ADDR_STRLEN];
			if (wrong++ < 5)
				tap_diag("lookup %s: trie %d %u/%u, reference %d %u/%u",
					 addr_format(&a, s), f1, v1, p1, f2, v2, p2);
		}
	}
	is_int(wrong, 0, "%d lookups in a %d-prefix set agree with the reference", LARGE_LOOKUPS,
	       LARGE_PREFIXES);
	for (int f = 0; f < 2; f++)
		for (int p = 0; p <= 128; p++)
			free(by_len[f][p].items);
	cidrset_free(&set);
}

/* cidrset_set_max_entries(): at the limit, past it, and a value replaced at it. */
static void test_max_entries(void)
{
	cidrset_t *set = cidrset_new();
	addr_t a;
	unsigned plen;
	uint32_t v;

	cidrset_set_max_entries(set, 3);
	insert_str(set, "192.0.2.0/24", 1);
	insert_str(set, "2001:db8::/32", 2);
	must_prefix("198.51.100.0/24", &a, &plen);
	is_int(cidrset_insert(set, &a, plen, 3), 0, "max 3: the third prefix is stored");
	must_prefix("203.0.113.0/24", &a, &plen);
	is_int(cidrset_insert(set, &a, plen, 4), CIDRSET_FULL, "max 3: a fourth is refused");
	is_int(cidrset_count(set), 3, "max 3: the set keeps 3 prefixes");
	ok(!cidrset_lookup(set, &a, NULL, NULL), "max 3: the refused prefix is not in the set");
	must_prefix("192.0.2.0/24", &a, &plen);
	is_int(cidrset_insert(set, &a, plen, 9), 1, "max 3: a stored prefix may change its value");
	ok(cidrset_lookup(set, &a, &v, NULL) && v == 9, "max 3: ... and has it");
	cidrset_free(&set);
}

int main(void)
{
	test_max_entries();
	test_edges();
	test_split_then_fill();
	test_walk();
	test_random();
	test_random_walk();
	test_large();
	return tap_done();
}
