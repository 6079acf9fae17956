/*
 * owners - RPSL and CSV owners into a cidrset.  See owners.h.
 *
 * Storage: every string lives in one arena (a growing byte array of
 * NUL-terminated strings, offset 0 is "").  Strings that repeat (org
 * handles, abuse mailboxes, references, countries) are interned through an
 * open-addressing table of arena offsets, so a registry where ten thousand
 * networks share one abuse mailbox stores it once.  Records refer to
 * strings by 32-bit offset.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidrset.h"
#include "log.h"
#include "mem.h"
#include "owners.h"

/* An inetnum/inet6num object or CSV row. */
struct rec {
	uint32_t netname, org, country, abuse;
	uint32_t ref_c, ref_irt;	/* abuse-c, mnt-irt handles (interned), 0 = none */
	addr_t first, last;
};

/* A role/person/irt/organisation object: where its abuse mail goes. */
struct handle {
	uint32_t abuse;		/* abuse-mailbox, 0 = none */
	uint32_t ref;		/* abuse-c of an organisation, 0 = none */
};

/* Open-addressing map from an interned string to a uint32 (0 = empty slot). */
struct strmap {
	uint32_t *keys;		/* arena offsets */
	uint32_t *vals;
	size_t cap, n;		/* cap a power of two */
};

struct owners {
	cidrset_t *set;
	struct buf arena;
	struct strmap interned;	/* string -> itself */
	struct strmap handles;	/* handle name -> index + 1 into handle[] */
	struct rec *rec;
	size_t n_rec, cap_rec;
	struct handle *handle;
	size_t n_handle, cap_handle;
	size_t prefixes, bad_lines, no_abuse;
};

/* One RPSL object being read: the attributes we keep. */
enum attr { A_CLASS_KEY, A_NETNAME, A_ORG, A_COUNTRY, A_ABUSE, A_ABUSE_C, A_MNT_IRT, A_COUNT };
struct object {
	char cls[32];
	char val[A_COUNT][OWNERS_VALUE_MAX + 1];
	size_t line;
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static const char *str_at(const owners_t *o, uint32_t off)
{
	return o->arena.data + off;
}

static void map_grow(owners_t *o, struct strmap *m);

/* Find key (len bytes); returns the slot, whose keys[] is 0 when absent. */
static size_t map_slot(const owners_t *o, const struct strmap *m, const char *key, size_t len)
{
	size_t i = hash_bytes(key, len) & (m->cap - 1);

	while (m->keys[i] != 0) {
		const char *k = str_at(o, m->keys[i]);
		if (strncmp(k, key, len) == 0 && k[len] == '\0')
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return i;
}

static void map_init(struct strmap *m)
{
	m->cap = 1024;
	m->n = 0;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
}

static void map_grow(owners_t *o, struct strmap *m)
{
	struct strmap old = *m;

	m->cap *= 2;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	for (size_t i = 0; i < old.cap; i++) {
		if (old.keys[i] == 0)
			continue;
		const char *k = str_at(o, old.keys[i]);
		size_t s = map_slot(o, m, k, strlen(k));
		m->keys[s] = old.keys[i];
		m->vals[s] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

/* The arena offset of s, stored once.  "" is 0. */
static uint32_t intern(owners_t *o, const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return 0;
	size_t slot = map_slot(o, &o->interned, s, len);
	if (o->interned.keys[slot] != 0)
		return o->interned.keys[slot];
	if (o->arena.len + len + 1 > UINT32_MAX)
		return 0;	/* 4 GB of strings: keep the record, lose the text */
	uint32_t off = (uint32_t)o->arena.len;
	buf_append(&o->arena, s, len + 1);
	o->interned.keys[slot] = off;
	if (++o->interned.n * 2 > o->interned.cap)
		map_grow(o, &o->interned);
	return off;
}

/* A string not worth interning (a netname is nearly always unique). */
static uint32_t store(owners_t *o, const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || o->arena.len + len + 1 > UINT32_MAX)
		return 0;
	uint32_t off = (uint32_t)o->arena.len;
	buf_append(&o->arena, s, len + 1);
	return off;
}

owners_t *owners_new(void)
{
	owners_t *o = xcalloc(1, sizeof(*o));

	o->set = cidrset_new();
	buf_putc(&o->arena, '\0');	/* offset 0 = "" */
	map_init(&o->interned);
	map_init(&o->handles);
	return o;
}

void owners_free(owners_t **op)
{
	owners_t *o = *op;

	if (o == NULL)
		return;
	cidrset_free(&o->set);
	buf_free(&o->arena);
	free(o->interned.keys);
	free(o->interned.vals);
	free(o->handles.keys);
	free(o->handles.vals);
	free(o->rec);
	free(o->handle);
	free(o);
	*op = NULL;
}

/* ---- records into the trie ---------------------------------------------- */

/* log2 of the number of addresses in first..last, for "which is smaller". */
static unsigned span_bits(const struct rec *r)
{
	unsigned bits = addr_bits(&r->first);

	for (unsigned i = 0; i < bits; i++) {
		if (addr_bit(&r->first, i) != addr_bit(&r->last, i))
			return bits - i;
	}
	return 0;
}

struct insert_ctx {
	owners_t *o;
	uint32_t idx;
	unsigned span;
};

static int insert_prefix(const addr_t *prefix, unsigned plen, void *arg)
{
	struct insert_ctx *c = arg;
	uint32_t old;

	if (cidrset_find_exact(c->o->set, prefix, plen, &old) && span_bits(&c->o->rec[old]) < c->span)
		return 0;	/* a smaller object holds this prefix already */
	if (cidrset_insert(c->o->set, prefix, plen, c->idx) == 0)
		c->o->prefixes++;
	return 0;
}

static int add_record(owners_t *o, const struct rec *r)
{
	if (o->n_rec >= OWNERS_RECORDS_MAX)
		return -1;
	if (o->n_rec == o->cap_rec) {
		o->cap_rec = o->cap_rec ? o->cap_rec * 2 : 1024;
		o->rec = xreallocarray(o->rec, o->cap_rec, sizeof(*o->rec));
	}
	o->rec[o->n_rec] = *r;
	struct insert_ctx c = { o, (uint32_t)o->n_rec, span_bits(r) };
	if (addr_range_split(&r->first, &r->last, insert_prefix, &c) < 0)
		return -1;
	o->n_rec++;
	return 0;
}

/* "a - b", "a-b", "p/len" or "a" into first..last. */
static int parse_network(const char *s, addr_t *first_r, addr_t *last_r)
{
	const char *dash = strchr(s, '-');
	unsigned plen;

	if (dash != NULL && strchr(s, ':') == NULL) {
		size_t l1 = (size_t)(dash - s);
		while (l1 > 0 && s[l1 - 1] == ' ')
			l1--;
		const char *b = dash + 1;
		while (*b == ' ')
			b++;
		if (addr_parse_n(s, l1, first_r) != 0 || addr_parse(b, last_r) != 0 ||
		    first_r->family != last_r->family || addr_cmp(first_r, last_r) > 0)
			return -1;
		return 0;
	}
	if (addr_prefix_parse(s, true, first_r, &plen) != 0)
		return -1;
	*last_r = *first_r;
	for (unsigned i = plen; i < addr_bits(first_r); i++)
		last_r->bytes[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
	return 0;
}

/* ---- RPSL ---------------------------------------------------------------- */

static void bad_line(owners_t *o, const char *name, size_t line, const char *why)
{
	if (++o->bad_lines <= OWNERS_WARN_MAX)
		log_warning("%s:%zu: %s, skipped", name, line, why);
}

static void add_handle(owners_t *o, const char *name, uint32_t abuse, uint32_t ref)
{
	uint32_t key = intern(o, name);
	size_t slot = map_slot(o, &o->handles, name, strlen(name));

	if (key == 0)
		return;
	if (o->handles.keys[slot] == 0) {
		if (o->n_handle == o->cap_handle) {
			o->cap_handle = o->cap_handle ? o->cap_handle * 2 : 256;
			o->handle = xreallocarray(o->handle, o->cap_handle, sizeof(*o->handle));
		}
		o->handles.keys[slot] = key;
		o->handles.vals[slot] = (uint32_t)++o->n_handle;
		if (++o->handles.n * 2 > o->handles.cap)
			map_grow(o, &o->handles);
	}
	struct handle *h = &o->handle[o->handles.vals[map_slot(o, &o->handles, name, strlen(name))] - 1];
	h->abuse = abuse;
	h->ref = ref;
}

static void object_end(owners_t *o, struct object *obj, const char *name)
{
	const char *key = obj->val[A_CLASS_KEY];

	if (obj->cls[0] == '\0')
		return;
	if (strcmp(obj->cls, "inetnum") == 0 || strcmp(obj->cls, "inet6num") == 0) {
		struct rec r = { 0 };
		if (parse_network(key, &r.first, &r.last) != 0) {
			bad_line(o, name, obj->line, "network not understood");
		} else {
			r.netname = store(o, obj->val[A_NETNAME]);
			r.org = intern(o, obj->val[A_ORG]);
			r.country = intern(o, obj->val[A_COUNTRY]);
			r.abuse = intern(o, obj->val[A_ABUSE]);
			r.ref_c = intern(o, obj->val[A_ABUSE_C]);
			r.ref_irt = intern(o, obj->val[A_MNT_IRT]);
			if (add_record(o, &r) != 0)
				bad_line(o, name, obj->line, "object not stored");
		}
	} else if (strcmp(obj->cls, "role") == 0 || strcmp(obj->cls, "person") == 0 ||
		   strcmp(obj->cls, "irt") == 0 || strcmp(obj->cls, "organisation") == 0) {
		/* role/person are found by nic-hdl (kept in A_CLASS_KEY for them) */
		if (key[0] != '\0' && (obj->val[A_ABUSE][0] != '\0' || obj->val[A_ABUSE_C][0] != '\0'))
			add_handle(o, key, intern(o, obj->val[A_ABUSE]), intern(o, obj->val[A_ABUSE_C]));
	}
	memset(obj->cls, 0, sizeof(obj->cls));
	for (int i = 0; i < A_COUNT; i++)
		obj->val[i][0] = '\0';
}

/* Which slot an attribute goes to, for the object's class; -1 = not kept. */
static int attr_slot(const struct object *obj, const char *attr)
{
	static const struct {
		const char *name;
		enum attr slot;
	} attrs[] = {
		{ "netname", A_NETNAME },	{ "org", A_ORG },	  { "country", A_COUNTRY },
		{ "abuse-mailbox", A_ABUSE },	{ "abuse-c", A_ABUSE_C }, { "mnt-irt", A_MNT_IRT },
	};
	bool person = strcmp(obj->cls, "role") == 0 || strcmp(obj->cls, "person") == 0;

	if (person && strcmp(attr, "nic-hdl") == 0)
		return A_CLASS_KEY;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcmp(attr, attrs[i].name) == 0)
			return (int)attrs[i].slot;
	return -1;
}

/* "name:   value" -> attr and trimmed value; -1 when not an attribute line. */
static int split_attr(char *line, char **attr_r, char **val_r)
{
	char *colon = strchr(line, ':');

	if (colon == NULL || colon == line)
		return -1;
	for (char *p = line; p < colon; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      (*p >= 'A' && *p <= 'Z')))
			return -1;
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	}
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	char *end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	char *hash = strstr(v, " #");	/* end-of-line remark */
	if (hash != NULL) {
		*hash = '\0';
		while (hash > v && hash[-1] == ' ')
			*--hash = '\0';
	}
	*attr_r = line;
	*val_r = v;
	return 0;
}

/* Keep at most OWNERS_VALUE_MAX bytes of a value: a longer one is cut, not refused. */
static void copy_value(char dst[OWNERS_VALUE_MAX + 1], const char *val)
{
	if (str_copy(dst, val, OWNERS_VALUE_MAX + 1) != 0)
		log_debug("owners: value cut to %d bytes", OWNERS_VALUE_MAX);
}

static void rpsl_line(owners_t *o, struct object *obj, char *line, size_t lineno, const char *name)
{
	char *attr, *val;

	if (line[0] == '\0' || line[0] == '\r') {
		object_end(o, obj, name);
		return;
	}
	if (line[0] == '%' || line[0] == '#' || line[0] == ' ' || line[0] == '\t' || line[0] == '+')
		return;
	if (split_attr(line, &attr, &val) != 0) {
		bad_line(o, name, lineno, "not an attribute line");
		return;
	}
	if (obj->cls[0] == '\0') {
		if (str_copy(obj->cls, attr, sizeof(obj->cls)) != 0)
			return;
		obj->line = lineno;
		if (strcmp(attr, "role") != 0 && strcmp(attr, "person") != 0)
			copy_value(obj->val[A_CLASS_KEY], val);
		return;
	}
	int slot = attr_slot(obj, attr);
	/* the first occurrence wins: an object may list several abuse-c */
	if (slot >= 0 && obj->val[slot][0] == '\0')
		copy_value(obj->val[slot], val);
}

/* ---- CSV ----------------------------------------------------------------- */

static void csv_line(owners_t *o, char *line, size_t lineno, const char *name)
{
	char *f[3];
	size_t n = 0;
	struct rec r = { 0 };

	if (line[0] == '#' || line[0] == '\0' || line[0] == '\r')
		return;
	line[strcspn(line, "\r")] = '\0';
	for (char *p = line; n < 3; n++) {
		f[n] = p;
		char *comma = strchr(p, ',');
		if (comma == NULL) {
			n++;
			break;
		}
		*comma = '\0';
		p = comma + 1;
	}
	for (size_t i = 0; i < n; i++) {
		while (*f[i] == ' ')
			f[i]++;
		size_t l = strlen(f[i]);
		while (l > 0 && f[i][l - 1] == ' ')
			f[i][--l] = '\0';
	}
	if (n < 3 || parse_network(f[0], &r.first, &r.last) != 0) {
		if (lineno != 1)	/* line 1 may be a header */
			bad_line(o, name, lineno, "expected network,owner,abuse_address");
		return;
	}
	if (strlen(f[1]) > OWNERS_VALUE_MAX || strlen(f[2]) > OWNERS_VALUE_MAX) {
		bad_line(o, name, lineno, "field too long");
		return;
	}
	r.netname = store(o, f[1]);
	r.abuse = intern(o, f[2]);
	if (add_record(o, &r) != 0)
		bad_line(o, name, lineno, "row not stored");
}

/* ---- loading ------------------------------------------------------------- */

int owners_load_stream(owners_t *o, void *file, const char *name, bool csv, char **error_r)
{
	FILE *fp = file;
	char *line = xmalloc(OWNERS_LINE_MAX + 2);
	struct object *obj = xcalloc(1, sizeof(*obj));
	size_t lineno = 0;
	bool skipping = false;	/* inside an over-long line */

	while (fgets(line, OWNERS_LINE_MAX + 2, fp) != NULL) {
		size_t len = strlen(line);
		bool whole = len > 0 && line[len - 1] == '\n';
		if (skipping) {
			skipping = !whole;
			continue;
		}
		lineno++;
		if (!whole && !feof(fp)) {
			bad_line(o, name, lineno, "line too long");
			skipping = true;
			continue;
		}
		if (whole)
			line[--len] = '\0';
		if (csv)
			csv_line(o, line, lineno, name);
		else
			rpsl_line(o, obj, line, lineno, name);
	}
	if (!csv)
		object_end(o, obj, name);
	int failed = ferror(fp);
	free(line);
	free(obj);
	if (failed) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "%s: read error", name);
		*error_r = buf_detach(&e);
		return -1;
	}
	return 0;
}

int owners_load(owners_t *o, const char *path, char **error_r)
{
	FILE *fp = fopen(path, "r");
	size_t len = strlen(path);

	if (fp == NULL) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "%s: %s", path, strerror(errno));
		*error_r = buf_detach(&e);
		return -1;
	}
	bool csv = len > 4 && strcmp(path + len - 4, ".csv") == 0;
	int rc = owners_load_stream(o, fp, path, csv, error_r);
	fclose(fp);
	return rc;
}

/* The abuse mailbox a handle leads to, following at most depth references. */
static uint32_t handle_abuse(const owners_t *o, uint32_t name, unsigned depth)
{
	if (name == 0 || depth == 0)
		return 0;
	const char *s = str_at(o, name);
	size_t slot = map_slot(o, &o->handles, s, strlen(s));
	if (o->handles.keys[slot] == 0)
		return 0;
	const struct handle *h = &o->handle[o->handles.vals[slot] - 1];
	return h->abuse != 0 ? h->abuse : handle_abuse(o, h->ref, depth - 1);
}

void owners_finish(owners_t *o)
{
	o->no_abuse = 0;
	for (size_t i = 0; i < o->n_rec; i++) {
		struct rec *r = &o->rec[i];
		if (r->abuse == 0)
			r->abuse = handle_abuse(o, r->ref_c, OWNERS_REF_DEPTH);
		if (r->abuse == 0)
			r->abuse = handle_abuse(o, r->ref_irt, OWNERS_REF_DEPTH);
		if (r->abuse == 0)
			r->abuse = handle_abuse(o, r->org, OWNERS_REF_DEPTH);
		if (r->abuse == 0)
			o->no_abuse++;
	}
}

bool owners_lookup(const owners_t *o, const addr_t *a, struct owner_info *info_r, unsigned *plen_r)
{
	uint32_t idx;
	char t1[ADDR_STRLEN], t2[ADDR_STRLEN];

	if (!cidrset_lookup(o->set, a, &idx, plen_r))
		return false;
	const struct rec *r = &o->rec[idx];
	if (r->first.family == AF_INET6) {
		snprintf(info_r->network, sizeof(info_r->network), "%s/%u", addr_format(&r->first, t1),
			 128 - span_bits(r));
	} else {
		snprintf(info_r->network, sizeof(info_r->network), "%s - %s", addr_format(&r->first, t1),
			 addr_format(&r->last, t2));
	}
	info_r->netname = str_at(o, r->netname);
	info_r->org = str_at(o, r->org);
	info_r->country = str_at(o, r->country);
	info_r->abuse = str_at(o, r->abuse);
	return true;
}

void owners_stats(const owners_t *o, struct owners_stats *st)
{
	st->objects = o->n_rec;
	st->handles = o->n_handle;
	st->prefixes = cidrset_count(o->set);
	st->bad_lines = o->bad_lines;
	st->no_abuse = o->no_abuse;
	st->memory = cidrset_memory(o->set) + o->arena.cap + o->cap_rec * sizeof(struct rec) +
		     o->cap_handle * sizeof(struct handle) +
		     (o->interned.cap + o->handles.cap) * 2 * sizeof(uint32_t);
}

void owners_fallback_network(const addr_t *a, struct buf *out)
{
	addr_t net = *a;
	char text[ADDR_STRLEN];
	unsigned plen = a->family == AF_INET ? 24 : 48;

	addr_mask(&net, plen);
	buf_printf(out, "%s/%u", addr_format(&net, text), plen);
}
