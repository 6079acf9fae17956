/*
 * fuzz_cidrset - inserts and lookups decoded from the input, each lookup
 * cross-checked against a linear scan; then the walks must agree with it.
 *
 * Input: a sequence of operations.  One byte: bit 0 insert (1) or lookup (0),
 * bit 1 IPv6, bits 2..7 the low bits of the plen; then 4 (IPv4) or 16 (IPv6)
 * address bytes; an insert takes a value byte after them.  To make nesting
 * likely the address bytes are mostly small.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cidrset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most prefixes one input may insert: keeps the linear scan fast. */
#define FUZZ_MAX_PREFIXES 512

struct ref {
	addr_t prefix;
	unsigned plen;
	uint32_t value;
};

static struct ref refs[FUZZ_MAX_PREFIXES];
static size_t nrefs;

static bool ref_lookup(const addr_t *a, uint32_t *v_r, unsigned *plen_r)
{
	bool found = false;

	for (size_t i = 0; i < nrefs; i++)
		if (addr_in_prefix(a, &refs[i].prefix, refs[i].plen) &&
		    (!found || refs[i].plen > *plen_r)) {
			found = true;
			*v_r = refs[i].value;
			*plen_r = refs[i].plen;
		}
	return found;
}

static void check_lookup(const cidrset_t *set, const addr_t *a)
{
	uint32_t v1 = 0, v2 = 0;
	unsigned p1 = 0, p2 = 0;

	if (cidrset_lookup(set, a, &v1, &p1) != ref_lookup(a, &v2, &p2) || v1 != v2 || p1 != p2)
		abort();
}

static int count_prefix(const addr_t *prefix, unsigned plen, uint32_t value, void *ctx)
{
	uint32_t v;

	if (!cidrset_find_exact(ctx, prefix, plen, &v) || v != value)
		abort();
	return 0;
}

static int check_range(const addr_t *first, const addr_t *last, uint32_t value, void *ctx)
{
	uint32_t v1, v2;

	check_lookup(ctx, first);
	check_lookup(ctx, last);
	if (addr_cmp(first, last) > 0 || !cidrset_lookup(ctx, first, &v1, NULL) || v1 != value ||
	    !cidrset_lookup(ctx, last, &v2, NULL) || v2 != value)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cidrset_t *set = cidrset_new();
	size_t pos = 0;

	nrefs = 0;
	while (pos < size) {
		uint8_t op = data[pos++];
		addr_t a;
		memset(&a, 0, sizeof(a));
		a.family = op & 2 ? AF_INET6 : AF_INET;
		size_t n = a.family == AF_INET ? 4 : 16;
		if (pos + n + (op & 1) > size)
			break;
		for (size_t i = 0; i < n; i++)
			a.bytes[i] = data[pos++];
		if (!(op & 1)) {
			check_lookup(set, &a);
			continue;
		}
		unsigned plen = (op >> 2) % (addr_bits(&a) + 1);
		if (a.family == AF_INET6)
			plen = (op >> 2) * 2 + (data[pos] & 3);	/* 0..129, clamped: reaches /128 */
		if (plen > addr_bits(&a))
			plen = addr_bits(&a);
		uint32_t value = data[pos++];
		addr_mask(&a, plen);
		size_t j;
		for (j = 0; j < nrefs; j++)
			if (refs[j].plen == plen && addr_cmp(&refs[j].prefix, &a) == 0)
				break;
		if (j == nrefs && nrefs == FUZZ_MAX_PREFIXES)
			break;
		if (cidrset_insert(set, &a, plen, value) != (j < nrefs))
			abort();
		refs[j] = (struct ref){ a, plen, value };
		if (j == nrefs)
			nrefs++;
	}
	if (cidrset_count(set) != nrefs)
		abort();
	if (cidrset_walk(set, count_prefix, set) != 0 || cidrset_walk_ranges(set, check_range, set) != 0)
		abort();
	cidrset_free(&set);
	return 0;
}
