/*
 * nagg - events counted per network and window, in memory.  See nagg.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "nagg.h"

/* Open-addressing index from a string to a position (+1; 0 = empty). */
struct sindex {
	char **keys;
	size_t *pos;
	size_t cap, n;
};

struct nagg {
	struct net_agg **nets;
	size_t n, cap;
	struct sindex index;	/* "WINDOW|NETKEY" -> position */
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t sindex_slot(const struct sindex *x, const char *key)
{
	size_t i = hash_str(key) & (x->cap - 1);

	while (x->keys[i] != NULL && strcmp(x->keys[i], key) != 0)
		i = (i + 1) & (x->cap - 1);
	return i;
}

static void sindex_put(struct sindex *x, char *key, size_t pos);

static void sindex_grow(struct sindex *x)
{
	struct sindex old = *x;

	x->cap = old.cap ? old.cap * 2 : 64;
	x->n = 0;
	x->keys = xcalloc(x->cap, sizeof(*x->keys));
	x->pos = xcalloc(x->cap, sizeof(*x->pos));
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i] != NULL)
			sindex_put(x, old.keys[i], old.pos[i]);
	free(old.keys);
	free(old.pos);
}

/* key is owned by the index from now on. */
static void sindex_put(struct sindex *x, char *key, size_t pos)
{
	if ((x->n + 1) * 2 > x->cap)
		sindex_grow(x);
	size_t s = sindex_slot(x, key);
	x->keys[s] = key;
	x->pos[s] = pos;
	x->n++;
}

/* Position + 1, or 0 when absent. */
static size_t sindex_get(const struct sindex *x, const char *key)
{
	if (x->cap == 0)
		return 0;
	size_t s = sindex_slot(x, key);
	return x->keys[s] != NULL ? x->pos[s] : 0;
}

static void sindex_free(struct sindex *x)
{
	for (size_t i = 0; i < x->cap; i++)
		free(x->keys[i]);
	free(x->keys);
	free(x->pos);
	memset(x, 0, sizeof(*x));
}

/* What a row's evidence and helo point to until they hold text: rows
 * cost no allocation for an empty string, and free() skips it. */
static char empty[1];

static void str_drop(char *s)
{
	if (s != empty)
		free(s);
}

/* Replace *dst (a row's string) by a copy of src. */
static void str_set(char **dst, const char *src)
{
	str_drop(*dst);
	*dst = *src ? xstrdup(src) : empty;
}

nagg_t *nagg_new(void)
{
	return xcalloc(1, sizeof(struct nagg));
}

static void net_free(struct net_agg *net)
{
	free(net->netkey);
	free(net->network);
	free(net->netname);
	free(net->org);
	free(net->country);
	free(net->abuse);
	for (size_t i = 0; i < net->n_addrs; i++) {
		str_drop(net->addrs[i].evidence);
		str_drop(net->addrs[i].helo);
	}
	free(net->addrs);
	for (size_t i = 0; i < net->n_hosts; i++)
		free(net->hosts[i].name);
	for (size_t i = 0; i < net->n_lists; i++)
		free(net->lists[i].name);
	free(net->hosts);
	free(net->lists);
	if (net->index != NULL) {
		sindex_free(net->index);
		free(net->index);
	}
	free(net);
}

void nagg_clear(nagg_t *n)
{
	for (size_t i = 0; i < n->n; i++)
		net_free(n->nets[i]);
	n->n = 0;
	sindex_free(&n->index);
}

void nagg_free(nagg_t **np)
{
	if (*np == NULL)
		return;
	nagg_clear(*np);
	free((*np)->nets);
	free(*np);
	*np = NULL;
}

static char *net_index_key(long long window, const char *netkey)
{
	struct buf k = BUF_INIT;

	buf_printf(&k, "%lld|%s", window, netkey);
	return buf_detach(&k);
}

/*
 * "WINDOW|NETKEY" into out[cap] without printf (this runs once per event:
 * snprintf was a few percent of a notifier's pass); false when it does not fit.
 */
static bool index_key_fits(char *out, size_t cap, long long window, const char *netkey)
{
	char num[24], *d = num + sizeof(num);
	unsigned long long u = window < 0 ? 0 - (unsigned long long)window : (unsigned long long)window;
	size_t klen = strlen(netkey);

	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (window < 0)
		*--d = '-';
	size_t dlen = (size_t)(num + sizeof(num) - d);
	if (dlen + 1 + klen + 1 > cap)
		return false;
	memcpy(out, d, dlen);
	out[dlen] = '|';
	memcpy(out + dlen + 1, netkey, klen + 1);
	return true;
}

/* Called once per event: the key goes on the stack when it fits. */
struct net_agg *nagg_find(const nagg_t *n, long long window, const char *netkey)
{
	char stack[256];
	char *key = stack;

	if (!index_key_fits(stack, sizeof(stack), window, netkey))
		key = net_index_key(window, netkey);
	size_t pos = sindex_get(&n->index, key);
	if (key != stack)
		free(key);
	return pos ? n->nets[pos - 1] : NULL;
}

struct net_agg *nagg_get(nagg_t *n, long long window, const struct nagg_owner *o)
{
	struct net_agg *net = nagg_find(n, window, o->netkey);

	if (net != NULL)
		return net;
	net = xcalloc(1, sizeof(*net));
	net->netkey = xstrdup(o->netkey);
	net->window = window;
	net->network = xstrdup(o->network ? o->network : o->netkey);
	net->netname = xstrdup(o->netname ? o->netname : "");
	net->org = xstrdup(o->org ? o->org : "");
	net->country = xstrdup(o->country ? o->country : "");
	net->abuse = xstrdup(o->abuse ? o->abuse : "");
	net->owned = o->owned;
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 64;
		n->nets = xreallocarray(n->nets, n->cap, sizeof(*n->nets));
	}
	net->seq = n->n;
	n->nets[n->n++] = net;
	sindex_put(&n->index, net_index_key(window, o->netkey), n->n);
	return net;
}

/*
 * Most networks of a batch have one or two addresses: up to
 * NAGG_SCAN_MAX of them are found by a scan, and the index is built only
 * when a network grows past that (it then holds every address).  The
 * first array holds two rows: a row is large (its evidence and HELO).
 */
#define NAGG_SCAN_MAX 8

struct nagg_addr *nagg_addr_get(struct net_agg *net, const char *addr)
{
	size_t pos = 0;

	if (net->index != NULL) {
		pos = sindex_get(net->index, addr);
	} else {
		for (size_t i = 0; i < net->n_addrs && pos == 0; i++)
			if (strcmp(net->addrs[i].addr, addr) == 0)
				pos = i + 1;
	}
	if (pos != 0)
		return &net->addrs[pos - 1];
	if (net->n_addrs == net->cap_addrs) {
		net->cap_addrs = net->cap_addrs ? net->cap_addrs * 2 : 2;
		net->addrs = xreallocarray(net->addrs, net->cap_addrs, sizeof(*net->addrs));
	}
	struct nagg_addr *a = &net->addrs[net->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->evidence = empty;
	a->helo = empty;
	if (str_copy(a->addr, addr, sizeof(a->addr)) != 0)
		a->addr[0] = '\0';
	if (net->index != NULL) {
		sindex_put(net->index, xstrdup(a->addr), net->n_addrs);
	} else if (net->n_addrs > NAGG_SCAN_MAX) {
		net->index = xcalloc(1, sizeof(struct sindex));
		for (size_t i = 0; i < net->n_addrs; i++)
			sindex_put(net->index, xstrdup(net->addrs[i].addr), i + 1);
	}
	return a;
}

/* The array holds a power of two of entries, at least 2: it grows when n reaches one. */
void nagg_count_add(struct nagg_count **counts, size_t *n, const char *name, long long by)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*counts)[i].name, name) == 0) {
			(*counts)[i].n += by;
			return;
		}
	}
	if (*n >= NAGG_COUNTS_MAX)
		return;
	if (*n == 0 || (*n >= 2 && (*n & (*n - 1)) == 0))
		*counts = xreallocarray(*counts, *n ? *n * 2 : 2, sizeof(**counts));
	(*counts)[*n].name = xstrdup(name);
	(*counts)[(*n)++].n = by;
}

void nagg_addr_set_helo(struct nagg_addr *a, const char *helo)
{
	if (a->helo != NULL && strcmp(a->helo, helo) == 0)
		return;
	str_set(&a->helo, strlen(helo) <= REPORT_NAME_MAX ? helo : "");
}

void nagg_addr_copy(struct nagg_addr *a, const struct nagg_addr *from)
{
	a->hits = from->hits;
	a->first = from->first;
	a->last = from->last;
	str_set(&a->evidence, from->evidence);
	str_set(&a->helo, from->helo);
}

/* The length of a token's "list=code" key: up to its ';' (the text). */
static size_t token_key(const char *t, size_t len)
{
	const char *semi = memchr(t, ';', len);

	return semi ? (size_t)(semi - t) : len;
}

/* The merge works on a copy of the evidence in a fixed array (the bound
 * it keeps); the row gets a new string only when a token was added. */
void nagg_evidence_merge(struct nagg_addr *a, const char *text)
{
	char evidence[NAGG_EVIDENCE_MAX];
	const char *s = text;
	bool added = false;

	if (str_copy(evidence, a->evidence ? a->evidence : "", sizeof(evidence)) != 0)
		evidence[0] = '\0';
	while (*s) {
		size_t len = strcspn(s, " ");
		size_t klen = token_key(s, len);
		if (len > 0) {
			bool have = false;
			for (const char *e = evidence; *e;) {
				size_t elen = strcspn(e, " ");
				if (token_key(e, elen) == klen && memcmp(e, s, klen) == 0)
					have = true;
				e += elen;
				e += *e == ' ';
			}
			size_t used = strlen(evidence);
			if (!have && used + len + 2 > sizeof(evidence))
				len = klen;	/* no room for the text: the list and its code */
			if (!have && used + len + 2 <= sizeof(evidence)) {
				if (used > 0)
					evidence[used++] = ' ';
				memcpy(evidence + used, s, len);
				evidence[used + len] = '\0';
				added = true;
			}
		}
		s += strcspn(s, " ");
		s += *s == ' ';
	}
	if (added)
		str_set(&a->evidence, evidence);
}

/* Append a TXT text as one evidence token tail: ';' and the text with
 * '%', ';', blanks, controls and 8-bit bytes as %XX. */
static void evidence_text(struct buf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	if (*text == '\0')
		return;
	buf_putc(out, ';');
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%' || *p == ';') {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		} else {
			buf_putc(out, (char)*p);
		}
	}
}

struct net_agg *nagg_add(nagg_t *n, long long window, const struct nagg_owner *owner,
			 const struct report_event *ev)
{
	struct net_agg *net = nagg_get(n, window, owner);
	char text[ADDR_STRLEN];
	struct buf evidence = BUF_INIT;

	struct nagg_addr *a = nagg_addr_get(net, addr_format(&ev->client, text));
	a->hits++;
	if (a->first == 0 || ev->time < a->first)
		a->first = ev->time;
	if (ev->time > a->last)
		a->last = ev->time;
	if (ev->helo[0] != '\0')
		nagg_addr_set_helo(a, ev->helo);
	for (size_t i = 0; i < ev->n_lists; i++) {
		uint32_t c = ev->lists[i].code;
		/* "list=a.b.c.d" without printf (once per list per event) */
		if (i > 0)
			buf_putc(&evidence, ' ');
		buf_puts(&evidence, ev->lists[i].name);
		for (int shift = 24; shift >= 0; shift -= 8) {
			unsigned o = (c >> shift) & 255;
			buf_putc(&evidence, shift == 24 ? '=' : '.');
			if (o >= 100)
				buf_putc(&evidence, (char)('0' + o / 100));
			if (o >= 10)
				buf_putc(&evidence, (char)('0' + o / 10 % 10));
			buf_putc(&evidence, (char)('0' + o % 10));
		}
		evidence_text(&evidence, ev->lists[i].text);
		nagg_count_add(&net->lists, &net->n_lists, ev->lists[i].name, 1);
	}
	nagg_evidence_merge(a, buf_cstr(&evidence));
	buf_free(&evidence);
	if (ev->host[0] != '\0')
		nagg_count_add(&net->hosts, &net->n_hosts, ev->host, 1);
	net->hits++;
	if (net->first == 0 || ev->time < net->first)
		net->first = ev->time;
	if (ev->time > net->last)
		net->last = ev->time;
	return net;
}

size_t nagg_count(const nagg_t *n)
{
	return n->n;
}

struct net_agg *nagg_at(const nagg_t *n, size_t i)
{
	return n->nets[i];
}

size_t nagg_rows(const nagg_t *n)
{
	size_t rows = n->n;

	for (size_t i = 0; i < n->n; i++)
		rows += n->nets[i]->n_addrs;
	return rows;
}
