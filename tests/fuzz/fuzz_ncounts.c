/* fuzz_ncounts - a network's counts string (notify/ncounts) as Redis may
 * hold it, on untrusted bytes: no crash; whatever is read, compacted and
 * read again gives the same sums (the compaction loses nothing). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ncounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sums of a network that compaction must keep.  Unsigned: each count
 * is held at LLONG_MAX by the reader, but several of them may add up past
 * it, and only equality matters here (wrapping is defined, the same counts
 * give the same sum). */
static void sums(const struct net_agg *net, unsigned long long *hits, unsigned long long *hosts,
		 unsigned long long *lists)
{
	*hits = (unsigned long long)net->hits;
	*hosts = *lists = 0;
	for (size_t i = 0; i < net->n_hosts; i++)
		*hosts += (unsigned long long)net->hosts[i].n;
	for (size_t i = 0; i < net->n_lists; i++)
		*lists += (unsigned long long)net->lists[i].n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nagg_t *a = nagg_new(), *b = nagg_new();
	size_t bad;
	struct net_agg *net = ncounts_load(a, 7, "192.0.2.0-192.0.2.255", (const char *)data, size, &bad);

	if (net != NULL) {
		struct buf out = BUF_INIT;
		ncounts_compact(net, "fuzz", &out);
		size_t first = ncounts_first_line(out.data, out.len);
		if (first >= out.len || out.data[first] != '\n')
			abort();	/* the header is one whole line */
		struct net_agg *again = ncounts_load(b, 7, net->netkey, out.data, out.len, &bad);
		unsigned long long h1, o1, l1, h2, o2, l2;
		sums(net, &h1, &o1, &l1);
		if (again == NULL)
			abort();
		sums(again, &h2, &o2, &l2);
		/* (addresses may merge: TAB and LF in a field are written as spaces) */
		if (bad != 0 || h1 != h2 || o1 != o2 || l1 != l2 || again->n_addrs > net->n_addrs)
			abort();
		buf_free(&out);
	}
	nagg_free(&a);
	nagg_free(&b);
	return 0;
}
