/*
 * cidrset - path-compressed binary trie of prefixes with longest-prefix match.
 *
 * Each family has its own trie.  A node is a prefix (key, plen); it may carry
 * a value (a stored prefix) or be a pure branch point created where two
 * stored prefixes diverge.  A node's children hold the keys whose bit at
 * position plen is 0 and 1.  Since nodes are never removed and every branch
 * point has two children, a trie with n stored prefixes has at most 2n - 1
 * nodes.
 *
 * Keys are kept as two host-order 64-bit words (IPv4 in the top 32 bits of
 * hi), so the bit tests and prefix comparisons are a shift and a mask.  To
 * save memory an IPv4 node holds its 32-bit key inline, and IPv6 keys live in
 * an array parallel to the nodes.
 */
#include "config.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "cidrset.h"
#include "mem.h"

#define NIL UINT32_MAX
/* Smallest node array allocated, in nodes. */
#define CIDRSET_MIN_CAP 16u
/* Walk stack: at most one pending sibling per prefix length 0..128, plus two. */
#define CIDRSET_WALK_DEPTH 260
/* A slot entry with this bit holds a best node (or SLOT_NONE), not a start node. */
#define SLOT_BEST 0x80000000u
#define SLOT_NONE 0x7fffffffu

struct key {
	uint64_t hi, lo;
};

struct node {
	uint32_t child[2];
	uint32_t value;
	uint32_t key4;		/* IPv4 trie only: the key, host order */
	uint8_t plen;
	uint8_t has_value;
};

/*
 * Slot table sizes: a family holding at least min_prefixes gets a table on
 * its first bits address bits, at most 8 bytes per prefix when it is made.
 */
static const struct {
	size_t min_prefixes;
	unsigned bits;
} slot_sizes[] = {
	{ (size_t)1 << 19, 20 },
	{ (size_t)1 << 17, 18 },
	{ (size_t)1 << 15, 16 },
};

struct trie {
	struct node *nodes;
	struct key *keys6;	/* IPv6 trie only: keys6[i] is node i's key */
	uint32_t used, cap;
	uint32_t *slots;	/* 2^slot_bits entries once the trie is large, else NULL */
	unsigned slot_bits;	/* 0 without a slot table */
	uint32_t root;
	unsigned width;		/* 32 or 128 */
	size_t count;
};

struct cidrset {
	struct trie v4, v6;
	size_t max_entries;	/* cidrset_set_max_entries(); 0: none */
};

/* The most nodes one insert creates: a branch point and a leaf. */
#define CIDRSET_INSERT_NODES 2u

/* ---- keys ---------------------------------------------------------------- */

static struct key key_from_addr(const addr_t *a)
{
	struct key k;
	uint64_t w[2];

	memcpy(w, a->bytes, sizeof(w));
	k.hi = be64toh(w[0]);
	k.lo = be64toh(w[1]);
	if (a->family == AF_INET) {
		/* addr.h promises zero bytes past an IPv4 address; do not rely on it. */
		k.hi &= 0xffffffff00000000ull;
		k.lo = 0;
	}
	return k;
}

static void key_to_addr(struct key k, unsigned width, addr_t *a_r)
{
	memset(a_r, 0, sizeof(*a_r));
	a_r->family = width == 32 ? AF_INET : AF_INET6;
	for (unsigned i = 0; i < 8; i++)
		a_r->bytes[i] = (uint8_t)(k.hi >> (56 - 8 * i));
	for (unsigned i = 0; i < 8; i++)
		a_r->bytes[8 + i] = (uint8_t)(k.lo >> (56 - 8 * i));
	if (width == 32)
		memset(a_r->bytes + 4, 0, 12);
}

/* A 64-bit mask of the top n bits, n in 0..64. */
static inline uint64_t mask64(unsigned n)
{
	return n == 0 ? 0 : ~0ull << (64 - n);
}

static inline struct key key_mask(struct key k, unsigned plen)
{
	if (plen <= 64) {
		k.hi &= mask64(plen);
		k.lo = 0;
	} else {
		k.lo &= mask64(plen - 64);
	}
	return k;
}

static inline unsigned key_bit(struct key k, unsigned i)
{
	return i < 64 ? (unsigned)(k.hi >> (63 - i)) & 1u : (unsigned)(k.lo >> (127 - i)) & 1u;
}

/* Do a and b agree on their first plen bits? */
static inline bool key_match(struct key a, struct key b, unsigned plen)
{
	if (plen <= 64)
		return ((a.hi ^ b.hi) & mask64(plen)) == 0;
	return a.hi == b.hi && ((a.lo ^ b.lo) & mask64(plen - 64)) == 0;
}

/* Number of leading bits a and b share, at most 128. */
static unsigned key_common(struct key a, struct key b)
{
	if (a.hi != b.hi)
		return (unsigned)__builtin_clzll(a.hi ^ b.hi);
	if (a.lo != b.lo)
		return 64 + (unsigned)__builtin_clzll(a.lo ^ b.lo);
	return 128;
}

static inline struct key node_key(const struct trie *t, uint32_t i)
{
	if (t->keys6 != NULL)
		return t->keys6[i];
	return (struct key){ (uint64_t)t->nodes[i].key4 << 32, 0 };
}

/* ---- trie ------------------------------------------------------------------ */

static void trie_init(struct trie *t, unsigned width)
{
	memset(t, 0, sizeof(*t));
	t->root = NIL;
	t->width = width;
}

static void trie_free(struct trie *t)
{
	free(t->nodes);
	free(t->keys6);
	free(t->slots);
}

/*
 * Room for CIDRSET_INSERT_NODES more nodes, growing the arrays (which may
 * move them); false when that would pass CIDRSET_MAX_NODES.  Checked before
 * an insert touches the trie, so that a full set is left unchanged.
 */
static bool trie_room(struct trie *t)
{
	if (t->cap - t->used >= CIDRSET_INSERT_NODES)
		return true;
	/* Grow by half, not double: capacity counts in cidrset_memory(). */
	uint64_t cap = t->cap < CIDRSET_MIN_CAP ? CIDRSET_MIN_CAP : (uint64_t)t->cap + t->cap / 2;
	if (cap > CIDRSET_MAX_NODES)
		cap = CIDRSET_MAX_NODES;
	if (cap - t->used < CIDRSET_INSERT_NODES)
		return false;
	t->nodes = xreallocarray(t->nodes, (size_t)cap, sizeof(*t->nodes));
	if (t->width == 128)
		t->keys6 = xreallocarray(t->keys6, (size_t)cap, sizeof(*t->keys6));
	t->cap = (uint32_t)cap;
	return true;
}

/* A new node with no children, in the room trie_room() made. */
static uint32_t trie_node_new(struct trie *t, struct key k, unsigned plen, bool has_value,
			      uint32_t value)
{
	uint32_t i = t->used++;
	struct node *n = &t->nodes[i];
	n->child[0] = n->child[1] = NIL;
	n->value = has_value ? value : 0;
	n->key4 = (uint32_t)(k.hi >> 32);
	n->plen = (uint8_t)plen;
	n->has_value = has_value;
	if (t->keys6 != NULL)
		t->keys6[i] = k;
	if (has_value)
		t->count++;
	return i;
}

/* Make the link that pointed at old (the root, or parent's child[side]) point at new. */
static void trie_relink(struct trie *t, uint32_t parent, unsigned side, uint32_t new)
{
	if (parent == NIL)
		t->root = new;
	else
		t->nodes[parent].child[side] = new;
}

/*
 * Store k/plen.  *changed_r is the shallowest node that was created or that
 * gained a value (the slots below it may need refreshing), or NIL when only
 * a value was replaced.
 */
static int trie_insert(struct trie *t, struct key k, unsigned plen, uint32_t value,
		       uint32_t *changed_r)
{
	uint32_t parent = NIL, cur = t->root;
	unsigned side = 0;

	k = key_mask(k, plen);
	*changed_r = NIL;
	while (cur != NIL) {
		struct key nk = node_key(t, cur);
		unsigned nplen = t->nodes[cur].plen;
		unsigned common = key_common(k, nk);
		if (common > plen)
			common = plen;
		if (common > nplen)
			common = nplen;
		if (common == nplen && nplen == plen) {
			struct node *n = &t->nodes[cur];
			int replaced = n->has_value;
			if (!n->has_value) {
				t->count++;
				*changed_r = cur;
			}
			n->has_value = 1;
			n->value = value;
			return replaced;
		}
		if (common == nplen) {
			/* cur is a proper prefix of k: go down, or hang k below it. */
			unsigned b = key_bit(k, nplen);
			if (t->nodes[cur].child[b] == NIL) {
				uint32_t leaf = trie_node_new(t, k, plen, true, value);
				t->nodes[cur].child[b] = leaf;
				*changed_r = leaf;
				return 0;
			}
			parent = cur;
			side = b;
			cur = t->nodes[cur].child[b];
			continue;
		}
		if (common == plen) {
			/* k is a proper prefix of cur: k goes between parent and cur. */
			uint32_t mid = trie_node_new(t, k, plen, true, value);
			t->nodes[mid].child[key_bit(nk, plen)] = cur;
			trie_relink(t, parent, side, mid);
			*changed_r = mid;
			return 0;
		}
		/* k and cur diverge at bit common: a branch point with both below. */
		uint32_t fork = trie_node_new(t, key_mask(k, common), common, false, 0);
		uint32_t leaf = trie_node_new(t, k, plen, true, value);
		t->nodes[fork].child[key_bit(k, common)] = leaf;
		t->nodes[fork].child[key_bit(nk, common)] = cur;
		trie_relink(t, parent, side, fork);
		*changed_r = fork;
		return 0;
	}
	t->root = trie_node_new(t, k, plen, true, value);
	*changed_r = t->root;
	return 0;
}

/* ---- slots ------------------------------------------------------------------
 *
 * A large trie gets a direct table on the first slot_bits bits of the
 * address, so that a lookup skips the top levels (a cache miss each) and
 * starts right at the first node deeper than the slot.  For slot s, with
 *   start = the first node of plen >= slot_bits on the path of s, if its key
 *           begins with s (else the descent could match nothing there), and
 *   best  = the deepest valued node of plen < slot_bits that holds s,
 * the entry is start when there is one, else SLOT_BEST | best (or SLOT_NONE).
 * A lookup that starts at start and finds nothing below falls back to
 * trie_best_above(), a walk over the top levels, which stay in cache.
 * Entries name nodes, not values, so replacing a value needs no refresh.
 */

/* The slot number of a key: its first t->slot_bits bits. */
static inline uint32_t key_slot(const struct trie *t, struct key k)
{
	return (uint32_t)(k.hi >> (64 - t->slot_bits));
}

/* The deepest valued node of plen < slot_bits holding k, or NIL. */
static uint32_t trie_best_above(const struct trie *t, struct key k)
{
	uint32_t cur = t->root, best = NIL;

	while (cur != NIL) {
		const struct node *n = &t->nodes[cur];
		if (n->plen >= t->slot_bits || !key_match(k, node_key(t, cur), n->plen))
			break;
		if (n->has_value)
			best = cur;
		cur = n->child[key_bit(k, n->plen)];
	}
	return best;
}

static void slot_refresh(struct trie *t, uint32_t s)
{
	struct key k = { (uint64_t)s << (64 - t->slot_bits), 0 };
	uint32_t cur = t->root, best = NIL, start = NIL;

	while (cur != NIL) {
		const struct node *n = &t->nodes[cur];
		struct key nk = node_key(t, cur);
		if (n->plen >= t->slot_bits) {
			if (key_slot(t, nk) == s)
				start = cur;
			break;
		}
		if (!key_match(k, nk, n->plen))
			break;
		if (n->has_value)
			best = cur;
		cur = n->child[key_bit(k, n->plen)];
	}
	t->slots[s] = start != NIL ? start : SLOT_BEST | (best == NIL ? SLOT_NONE : best);
}

/* Bring the slots up to date after an insert that changed node changed. */
static void slot_update(struct trie *t, uint32_t changed)
{
	unsigned want = 0;

	for (size_t i = 0; i < sizeof(slot_sizes) / sizeof(slot_sizes[0]) && want == 0; i++)
		if (t->count >= slot_sizes[i].min_prefixes)
			want = slot_sizes[i].bits;
	if (want > t->slot_bits) {
		free(t->slots);
		t->slot_bits = want;
		t->slots = xreallocarray(NULL, (size_t)1 << want, sizeof(*t->slots));
		for (uint32_t s = 0; s < (1u << want); s++)
			slot_refresh(t, s);
		return;
	}
	if (t->slots == NULL || changed == NIL)
		return;
	/* Only slots under the changed node can see a different path. */
	unsigned plen = t->nodes[changed].plen;
	uint32_t first = key_slot(t, node_key(t, changed));
	uint32_t n = plen >= t->slot_bits ? 1 : 1u << (t->slot_bits - plen);
	for (uint32_t s = first; s < first + n; s++)
		slot_refresh(t, s);
}

/* Decode a slot entry that holds a best node rather than a start node. */
static inline uint32_t slot_best(uint32_t e)
{
	return (e & ~SLOT_BEST) == SLOT_NONE ? NIL : e & ~SLOT_BEST;
}

/*
 * trie_lookup() for the IPv4 trie on plain 32-bit words: the hot path of a
 * large list, so no 128-bit key handling and no key array.
 */
static uint32_t trie_lookup4(const struct trie *t, uint32_t a)
{
	uint32_t cur = t->root, best = NIL;

	if (t->slots != NULL) {
		uint32_t e = t->slots[a >> (32 - t->slot_bits)];
		if (e & SLOT_BEST)
			return slot_best(e);
		cur = e;
	}
	while (cur != NIL) {
		const struct node *n = &t->nodes[cur];
		unsigned plen = n->plen;
		uint32_t mask = plen == 0 ? 0 : ~0u << (32 - plen);
		if (((a ^ n->key4) & mask) != 0)
			break;
		if (n->has_value)
			best = cur;
		if (plen == 32)
			break;
		cur = n->child[(a >> (31 - plen)) & 1u];
	}
	if (best == NIL && t->slots != NULL)
		best = trie_best_above(t, (struct key){ (uint64_t)a << 32, 0 });
	return best;
}

/* The most specific valued node holding k, or NIL. */
static uint32_t trie_lookup(const struct trie *t, struct key k)
{
	uint32_t cur = t->root, best = NIL;

	if (t->slots != NULL) {
		uint32_t e = t->slots[key_slot(t, k)];
		if (e & SLOT_BEST)
			return slot_best(e);
		cur = e;
	}
	while (cur != NIL) {
		const struct node *n = &t->nodes[cur];
		if (!key_match(k, node_key(t, cur), n->plen))
			break;
		if (n->has_value)
			best = cur;
		if (n->plen == t->width)
			break;
		cur = n->child[key_bit(k, n->plen)];
	}
	if (best == NIL && t->slots != NULL)
		best = trie_best_above(t, k);
	return best;
}

static uint32_t trie_find_exact(const struct trie *t, struct key k, unsigned plen)
{
	uint32_t cur = t->root;

	k = key_mask(k, plen);
	while (cur != NIL) {
		const struct node *n = &t->nodes[cur];
		if (n->plen > plen || !key_match(k, node_key(t, cur), n->plen))
			return NIL;
		if (n->plen == plen)
			return n->has_value ? cur : NIL;
		cur = n->child[key_bit(k, n->plen)];
	}
	return NIL;
}

/* Pre-order, child 0 first: address order with a prefix before its insides. */
static int trie_walk(const struct trie *t, cidrset_walk_cb *cb, void *ctx)
{
	uint32_t stack[CIDRSET_WALK_DEPTH];
	unsigned depth = 0;

	if (t->root != NIL)
		stack[depth++] = t->root;
	while (depth > 0) {
		uint32_t cur = stack[--depth];
		const struct node *n = &t->nodes[cur];
		if (n->has_value) {
			addr_t a;
			key_to_addr(node_key(t, cur), t->width, &a);
			int rc = cb(&a, n->plen, n->value, ctx);
			if (rc != 0)
				return rc;
		}
		/* Children have longer plen, so the stack never exceeds width + 2. */
		if (n->child[1] != NIL)
			stack[depth++] = n->child[1];
		if (n->child[0] != NIL)
			stack[depth++] = n->child[0];
	}
	return 0;
}

/* ---- the set ---------------------------------------------------------------- */

static struct trie *set_trie(cidrset_t *set, const addr_t *a)
{
	return a->family == AF_INET ? &set->v4 : &set->v6;
}

static const struct trie *set_ctrie(const cidrset_t *set, const addr_t *a)
{
	return a->family == AF_INET ? &set->v4 : &set->v6;
}

cidrset_t *cidrset_new(void)
{
	cidrset_t *set = xmalloc(sizeof(*set));

	trie_init(&set->v4, 32);
	trie_init(&set->v6, 128);
	set->max_entries = 0;
	return set;
}

void cidrset_free(cidrset_t **set)
{
	if (*set == NULL)
		return;
	trie_free(&(*set)->v4);
	trie_free(&(*set)->v6);
	free(*set);
	*set = NULL;
}

void cidrset_set_max_entries(cidrset_t *set, size_t max)
{
	set->max_entries = max;
}

int cidrset_insert(cidrset_t *set, const addr_t *prefix, unsigned plen, uint32_t value)
{
	if ((prefix->family != AF_INET && prefix->family != AF_INET6) || plen > addr_bits(prefix))
		return -1;
	struct trie *t = set_trie(set, prefix);
	/* at the limit only a prefix already present may change (its value) */
	if (set->max_entries != 0 && cidrset_count(set) >= set->max_entries &&
	    !cidrset_find_exact(set, prefix, plen, NULL))
		return CIDRSET_FULL;
	if (!trie_room(t))
		return CIDRSET_FULL;
	uint32_t changed;
	int rc = trie_insert(t, key_from_addr(prefix), plen, value, &changed);
	slot_update(t, changed);
	return rc;
}

bool cidrset_lookup(const cidrset_t *set, const addr_t *a, uint32_t *value_r, unsigned *plen_r)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	const struct trie *t = set_ctrie(set, a);
	uint32_t i;
	if (a->family == AF_INET)
		i = trie_lookup4(t, (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
					    (uint32_t)a->bytes[2] << 8 | a->bytes[3]);
	else
		i = trie_lookup(t, key_from_addr(a));
	if (i == NIL)
		return false;
	if (value_r != NULL)
		*value_r = t->nodes[i].value;
	if (plen_r != NULL)
		*plen_r = t->nodes[i].plen;
	return true;
}

bool cidrset_find_exact(const cidrset_t *set, const addr_t *prefix, unsigned plen,
			uint32_t *value_r)
{
	if ((prefix->family != AF_INET && prefix->family != AF_INET6) || plen > addr_bits(prefix))
		return false;
	const struct trie *t = set_ctrie(set, prefix);
	uint32_t i = trie_find_exact(t, key_from_addr(prefix), plen);
	if (i == NIL)
		return false;
	if (value_r != NULL)
		*value_r = t->nodes[i].value;
	return true;
}

size_t cidrset_count(const cidrset_t *set)
{
	return set->v4.count + set->v6.count;
}

static size_t trie_memory(const struct trie *t)
{
	size_t per_node = sizeof(struct node) + (t->width == 128 ? sizeof(struct key) : 0);

	size_t slots = t->slots != NULL ? ((size_t)1 << t->slot_bits) * sizeof(*t->slots) : 0;

	return (size_t)t->cap * per_node + slots;
}

size_t cidrset_memory(const cidrset_t *set)
{
	return sizeof(*set) + trie_memory(&set->v4) + trie_memory(&set->v6);
}

int cidrset_walk(const cidrset_t *set, cidrset_walk_cb *cb, void *ctx)
{
	int rc = trie_walk(&set->v4, cb, ctx);

	return rc != 0 ? rc : trie_walk(&set->v6, cb, ctx);
}

/* ---- ranges ---------------------------------------------------------------------
 *
 * The walk hands out prefixes in address order, each before the prefixes
 * inside it.  A stack of the prefixes enclosing the current one says whose
 * value covers the gap before the next prefix: the innermost open one.
 * Addresses are numbers here (struct key as a 128-bit integer, IPv4 in lo).
 */

struct open_prefix {
	struct key last;
	uint32_t value;
};

struct ranges {
	cidrset_range_cb *cb;
	void *ctx;
	unsigned width;
	struct open_prefix stack[CIDRSET_WALK_DEPTH];	/* nested: at most one per length */
	unsigned depth;
	struct key cursor;	/* first address not yet handed out */
	bool cursor_end;	/* the cursor ran past the family's last address */
};

static int num_cmp(struct key a, struct key b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct key num_inc(struct key a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static struct key num_dec(struct key a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

static void num_to_addr(struct key n, unsigned width, addr_t *a_r)
{
	if (width == 32)
		n = (struct key){ n.lo << 32, 0 };
	key_to_addr(n, width, a_r);
}

static int ranges_emit(struct ranges *r, struct key first, struct key last, uint32_t value)
{
	addr_t a, b;

	num_to_addr(first, r->width, &a);
	num_to_addr(last, r->width, &b);
	return r->cb(&a, &b, value, r->ctx);
}

/* Hand out the rest of the innermost open prefix and close it. */
static int ranges_pop(struct ranges *r)
{
	struct open_prefix *top = &r->stack[--r->depth];
	int rc = 0;

	if (!r->cursor_end && num_cmp(r->cursor, top->last) <= 0) {
		rc = ranges_emit(r, r->cursor, top->last, top->value);
		r->cursor = num_inc(top->last);
		r->cursor_end = num_cmp(r->cursor, top->last) < 0;
	}
	return rc;
}

static int ranges_prefix(const addr_t *prefix, unsigned plen, uint32_t value, void *vctx)
{
	struct ranges *r = vctx;
	struct key first = key_from_addr(prefix), last;
	int rc = 0;

	if (r->width == 32)
		first = (struct key){ 0, first.hi >> 32 };
	last = first;
	unsigned host = r->width - plen;
	if (host >= 64) {
		last.lo = ~0ull;
		last.hi |= host == 64 ? 0 : ~0ull >> (128 - host);
	} else if (host > 0) {
		last.lo |= ~0ull >> (64 - host);
	}
	while (rc == 0 && r->depth > 0 && num_cmp(r->stack[r->depth - 1].last, first) < 0)
		rc = ranges_pop(r);
	if (rc == 0 && r->depth > 0 && num_cmp(r->cursor, first) < 0)
		rc = ranges_emit(r, r->cursor, num_dec(first), r->stack[r->depth - 1].value);
	r->stack[r->depth++] = (struct open_prefix){ last, value };
	r->cursor = first;
	return rc;
}

static int trie_walk_ranges(const struct trie *t, struct ranges *r)
{
	r->width = t->width;
	r->depth = 0;
	r->cursor_end = false;
	int rc = trie_walk(t, ranges_prefix, r);
	while (rc == 0 && r->depth > 0)
		rc = ranges_pop(r);
	return rc;
}

int cidrset_walk_ranges(const cidrset_t *set, cidrset_range_cb *cb, void *ctx)
{
	struct ranges r = { .cb = cb, .ctx = ctx };
	int rc = trie_walk_ranges(&set->v4, &r);

	return rc != 0 ? rc : trie_walk_ranges(&set->v6, &r);
}
