/*
 * ncounts - a network's counts as one Redis string.  See ncounts.h.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ncounts.h"

#define NCOUNTS_FIELDS_MAX 8

/*
 * Append s as one field: TAB and LF become spaces (what the notice makes
 * of every control byte anyway); other bytes stay as they came, so the
 * notice cleans them as it cleans a HELO name straight from an event.
 */
static void put_field(struct buf *out, const char *s)
{
	size_t start = out->len;

	buf_puts(out, s);
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '\t' || out->data[i] == '\n')
			out->data[i] = ' ';
}

/* TAB and v in decimal (no printf: a commit writes a few per address). */
static void put_num(struct buf *out, long long v)
{
	char num[24], *d = num + sizeof(num);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--d = '-';
	*--d = '\t';
	buf_append(out, d, (size_t)(num + sizeof(num) - d));
}

static void put_tab_field(struct buf *out, const char *s)
{
	buf_putc(out, '\t');
	put_field(out, s);
}

static void put_counts(struct buf *out, char kind, const struct nagg_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_putc(out, kind);
		put_tab_field(out, c[i].name);
		put_num(out, c[i].n);
		buf_putc(out, '\n');
	}
}

void ncounts_delta(const struct net_agg *net, struct buf *out)
{
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		buf_putc(out, 'a');
		put_tab_field(out, a->addr);
		put_num(out, a->hits);
		put_num(out, a->first);
		put_num(out, a->last);
		put_tab_field(out, a->helo ? a->helo : "");
		put_tab_field(out, a->evidence ? a->evidence : "");
		buf_putc(out, '\n');
	}
	put_counts(out, 'h', net->hosts, net->n_hosts);
	put_counts(out, 'L', net->lists, net->n_lists);
}

void ncounts_facts(const struct net_agg *net, struct buf *out)
{
	buf_putc(out, 'f');
	put_tab_field(out, net->network);
	put_tab_field(out, net->netname);
	put_tab_field(out, net->org);
	put_tab_field(out, net->country);
	put_tab_field(out, net->abuse);
	put_tab_field(out, net->owned ? "1" : "0");
	buf_putc(out, '\n');
}

void ncounts_compact(const struct net_agg *net, const char *tag, struct buf *out)
{
	struct buf body = BUF_INIT;
	char num[24];

	ncounts_facts(net, &body);
	ncounts_delta(net, &body);
	/* CLEN counts the header too, whose length depends on CLEN's digits */
	size_t fixed = 2 + 1 + strlen(tag) + 1 + body.len, total = fixed;
	for (int round = 0; round < 3; round++)
		total = fixed + (size_t)snprintf(num, sizeof(num), "%zu", total);
	buf_printf(out, "c\t%zu\t", total);
	put_field(out, tag);
	buf_putc(out, '\n');
	buf_append(out, body.data, body.len);
	buf_free(&body);
}

size_t ncounts_first_line(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl ? (size_t)(nl - s) : len;
}

/* A decimal without sign or other bytes, at most LLONG_MAX (what put_num writes). */
static bool parse_num(const char *s, long long *v_r)
{
	long long v = 0;
	size_t n = 0;

	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		if (v > (LLONG_MAX - (s[n] - '0')) / 10)
			return false;
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0 || s[n] != '\0')
		return false;
	*v_r = v;
	return true;
}

/* Split line (NUL-terminated, modified) at TABs: the number of fields. */
static size_t split(char *line, char **f)
{
	size_t n = 0;

	for (char *p = line; n < NCOUNTS_FIELDS_MAX;) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			return n;
		*p++ = '\0';
	}
	return NCOUNTS_FIELDS_MAX + 1;	/* too many */
}

/* a + b, held at LLONG_MAX: counts from Redis are not trusted to stay small. */
static long long sat_add(long long a, long long b)
{
	return a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

/* nagg_count_add() with the sum held at LLONG_MAX. */
static void count_add(struct nagg_count **counts, size_t *n, const char *name, long long by)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*counts)[i].name, name) == 0) {
			(*counts)[i].n = sat_add((*counts)[i].n, by);
			return;
		}
	nagg_count_add(counts, n, name, by);
}

static bool apply_addr(struct net_agg *net, char **f, size_t nf)
{
	long long hits, first, last;

	if (nf != 7 || f[1][0] == '\0' || strlen(f[1]) >= ADDR_STRLEN || !parse_num(f[2], &hits) ||
	    !parse_num(f[3], &first) || !parse_num(f[4], &last))
		return false;
	struct nagg_addr *a = nagg_addr_get(net, f[1]);
	a->hits = sat_add(a->hits, hits);
	if (first != 0 && (a->first == 0 || first < a->first))
		a->first = first;
	if (last > a->last)
		a->last = last;
	if (f[5][0] != '\0')
		nagg_addr_set_helo(a, f[5]);
	nagg_evidence_merge(a, f[6]);
	net->hits = sat_add(net->hits, hits);
	if (first != 0 && (net->first == 0 || first < net->first))
		net->first = first;
	if (last > net->last)
		net->last = last;
	return true;
}

/* One line into net; false when it cannot be read. */
static bool apply_line(struct net_agg *net, char *line)
{
	char *f[NCOUNTS_FIELDS_MAX];
	size_t nf = split(line, f);
	long long n;

	if (nf > NCOUNTS_FIELDS_MAX || f[0][0] == '\0' || f[0][1] != '\0')
		return false;
	switch (f[0][0]) {
	case 'a': return apply_addr(net, f, nf);
	case 'h':
	case 'L':
		if (nf != 3 || f[1][0] == '\0' || !parse_num(f[2], &n))
			return false;
		if (f[0][0] == 'h')
			count_add(&net->hosts, &net->n_hosts, f[1], n);
		else
			count_add(&net->lists, &net->n_lists, f[1], n);
		return true;
	case 'f': return nf == 7;
	case 'c': return nf == 3 && parse_num(f[1], &n);
	default: return true;	/* a record of a later version: not ours to read */
	}
}

/* The facts line of s, copied into line (empty when none): who the network is. */
static void find_facts(const char *s, size_t len, char *line, size_t cap)
{
	line[0] = '\0';
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(s + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (s + at)) : len - at;
		if (l > 2 && s[at] == 'f' && s[at + 1] == '\t' && l < cap) {
			memcpy(line, s + at, l);
			line[l] = '\0';
		}
		at += l + 1;
	}
}

struct net_agg *ncounts_load(nagg_t *into, long long window, const char *netkey, const char *s, size_t len,
			     size_t *bad_r)
{
	char line[NCOUNTS_LINE_MAX], *f[NCOUNTS_FIELDS_MAX];
	struct nagg_owner o = { netkey, netkey, "", "", "", "", false };
	struct net_agg *net = NULL;
	size_t bad = 0;

	find_facts(s, len, line, sizeof(line));
	if (line[0] != '\0' && split(line, f) == 7) {
		o = (struct nagg_owner){ netkey, f[1], f[2], f[3], f[4], f[5], strcmp(f[6], "1") == 0 };
	}
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(s + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (s + at)) : len - at;
		char text[NCOUNTS_LINE_MAX];
		if (l == 0 || l >= sizeof(text) || memchr(s + at, '\0', l) != NULL) {
			bad += l > 0;
		} else {
			if (net == NULL)
				net = nagg_get(into, window, &o);
			memcpy(text, s + at, l);
			text[l] = '\0';
			bad += !apply_line(net, text);
		}
		at += l + 1;
	}
	if (bad_r != NULL)
		*bad_r = bad;
	return net;
}
