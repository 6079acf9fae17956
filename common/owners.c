/*
 * owners - the store of networks and contact objects, loading, lookup.
 * See owners.h for the contract and owners_int.h for the layout.  The
 * parsers are owners_rpsl.c (RPSL, ARIN) and owners_csv.c; the contact
 * resolution is owners_resolve.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "owners_int.h"

/* ---- strings ------------------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Find key (len bytes); returns the slot, whose keys[] is 0 when absent. */
static size_t map_slot(const owners_t *o, const struct owners_map *m, const char *key, size_t len)
{
	size_t i = hash_bytes(key, len) & (m->cap - 1);

	while (m->keys[i] != 0) {
		const char *k = owners_str(o, m->keys[i]);
		if (strncmp(k, key, len) == 0 && k[len] == '\0')
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return i;
}

static void map_init(struct owners_map *m)
{
	m->cap = 1024;
	m->n = 0;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
}

static void map_grow(owners_t *o, struct owners_map *m)
{
	struct owners_map old = *m;

	m->cap *= 2;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	for (size_t i = 0; i < old.cap; i++) {
		if (old.keys[i] == 0)
			continue;
		const char *k = owners_str(o, old.keys[i]);
		size_t s = map_slot(o, m, k, strlen(k));
		m->keys[s] = old.keys[i];
		m->vals[s] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

uint32_t owners_intern(owners_t *o, const char *s)
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

uint32_t owners_store(owners_t *o, const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || o->arena.len + len + 1 > UINT32_MAX)
		return 0;
	uint32_t off = (uint32_t)o->arena.len;
	buf_append(&o->arena, s, len + 1);
	return off;
}

uint32_t owners_handle_key(owners_t *o, const char *handle)
{
	char up[OWNERS_VALUE_MAX + 1];
	size_t i;

	for (i = 0; handle[i] != '\0' && i < OWNERS_VALUE_MAX; i++)
		up[i] = (char)(handle[i] >= 'a' && handle[i] <= 'z' ? handle[i] - 'a' + 'A' : handle[i]);
	up[i] = '\0';
	return owners_intern(o, up);
}

const struct owners_handle *owners_handle_find(const owners_t *o, uint32_t key)
{
	if (key == 0)
		return NULL;
	const char *s = owners_str(o, key);
	size_t slot = map_slot(o, &o->handles, s, strlen(s));
	return o->handles.keys[slot] != 0 ? &o->handle[o->handles.vals[slot] - 1] : NULL;
}

/* ---- objects ------------------------------------------------------------- */

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
	free(o->refused);
	free(o);
	*op = NULL;
}

void owners_bad_line(owners_t *o, const char *file, size_t line, const char *why)
{
	o->bad_lines++;
	if (++o->file_bad_lines <= OWNERS_WARN_MAX)
		log_warning("%s:%zu: %s, skipped", file, line, why);
}

uint32_t owners_mailbox(owners_t *o, const char *mb, const char *file, size_t line, uint32_t *refused_r)
{
	if (mb[0] == '\0')
		return 0;
	enum mailbox_status st = mailbox_check(mb);
	if (st == MAILBOX_OK)
		return owners_intern(o, mb);
	if (o->n_refused == o->cap_refused) {
		o->cap_refused = o->cap_refused ? o->cap_refused * 2 : 16;
		o->refused = xreallocarray(o->refused, o->cap_refused, sizeof(*o->refused));
	}
	o->refused[o->n_refused] = (struct owners_refused){
		.file = owners_intern(o, file),
		.line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line,
		.status = (uint8_t)st,
	};
	*refused_r = (uint32_t)++o->n_refused;
	log_debug("%s:%zu: contact refused: %s", file, line, mailbox_status_text(st));
	return 0;
}

/* The parsed range with LACNIC's "177.224/13": missing IPv4 octets are 0. */
static int parse_prefix(const char *s, addr_t *first_r, unsigned *plen_r)
{
	const char *slash = strchr(s, '/');
	char full[64];
	size_t dots = 0;

	if (slash == NULL || strchr(s, ':') != NULL)
		return addr_prefix_parse(s, true, first_r, plen_r);
	for (const char *p = s; p < slash; p++)
		dots += *p == '.';
	if (dots >= 3 || slash == s)
		return addr_prefix_parse(s, true, first_r, plen_r);
	int n = snprintf(full, sizeof(full), "%.*s%s%s", (int)(slash - s), s, dots == 0 ? ".0.0.0" : dots == 1 ? ".0.0" : ".0",
			 slash);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -1;
	return addr_prefix_parse(full, true, first_r, plen_r);
}

int owners_parse_network(const char *s, addr_t *first_r, addr_t *last_r)
{
	const char *dash = strchr(s, '-');
	unsigned plen;

	if (dash != NULL) {	/* no address has a '-' in it */
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
	if (parse_prefix(s, first_r, &plen) != 0)
		return -1;
	*last_r = *first_r;
	for (unsigned i = plen; i < addr_bits(first_r); i++)
		last_r->bytes[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
	return 0;
}

void owners_add_net(owners_t *o, const struct owners_net *net, const char *file)
{
	struct owners_rec r = { 0 };
	uint32_t refused = 0;

	if (owners_parse_network(net->range, &r.first, &r.last) != 0) {
		owners_bad_line(o, file, net->line, "network not understood");
		return;
	}
	if (o->n_rec >= OWNERS_RECORDS_MAX) {
		owners_bad_line(o, file, net->line, "too many networks");
		return;
	}
	r.netname = owners_store(o, net->netname);
	r.org = owners_handle_key(o, net->org);
	r.country = owners_intern(o, net->country);
	r.contact = owners_mailbox(o, net->mailbox, file, net->mailbox_line, &refused);
	if (refused != 0) {
		r.contact = refused - 1;
		r.why = OWNER_WHY_REFUSED;
	}
	r.u.ref.abuse_c = owners_handle_key(o, net->abuse_c);
	r.u.ref.irt = owners_handle_key(o, net->irt);
	r.u.ref.owner_c = owners_handle_key(o, net->owner_c);
	if (net->org_name[0] != '\0' && net->org[0] != '\0')	/* LACNIC owner: with ownerid: */
		owners_add_handle(o, net->org, "", 0, "", net->org_name, file);
	if (o->n_rec == o->cap_rec) {
		o->cap_rec = o->cap_rec ? o->cap_rec * 2 : 1024;
		o->rec = xreallocarray(o->rec, o->cap_rec, sizeof(*o->rec));
	}
	o->rec[o->n_rec++] = r;
}

void owners_add_handle(owners_t *o, const char *key, const char *mailbox, size_t mailbox_line,
		       const char *ref, const char *name, const char *file)
{
	uint32_t k = owners_handle_key(o, key);

	if (k == 0)
		return;
	const char *ks = owners_str(o, k);
	size_t slot = map_slot(o, &o->handles, ks, strlen(ks));
	if (o->handles.keys[slot] == 0) {
		if (o->n_handle == o->cap_handle) {
			o->cap_handle = o->cap_handle ? o->cap_handle * 2 : 256;
			o->handle = xreallocarray(o->handle, o->cap_handle, sizeof(*o->handle));
		}
		o->handle[o->n_handle] = (struct owners_handle){ 0 };
		o->handles.keys[slot] = k;
		o->handles.vals[slot] = (uint32_t)++o->n_handle;
		if (++o->handles.n * 2 > o->handles.cap)
			map_grow(o, &o->handles);
	}
	struct owners_handle *h = (struct owners_handle *)owners_handle_find(o, k);
	if (h->mailbox == 0 && h->refused == 0) {
		uint32_t refused = 0;
		h->mailbox = owners_mailbox(o, mailbox, file, mailbox_line, &refused);
		h->refused = refused;
	}
	if (h->ref == 0)
		h->ref = owners_handle_key(o, ref);
	if (h->name == 0)
		h->name = owners_intern(o, name);
}

/* ---- loading ------------------------------------------------------------- */

/* A file that is plainly another format: refuse it rather than load nothing. */
static const char *other_format(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] == '{' || line[0] == '[')
		return "JSON (RDAP?)";
	if (line[0] == '<')
		return "XML (ARIN bulk whois XML? use its text form, arin_db.txt)";
	return NULL;
}

static int load_error(char **error_r, const char *name, const char *what)
{
	struct buf e = BUF_INIT;

	buf_printf(&e, "%s: %s", name, what);
	*error_r = buf_detach(&e);
	return -1;
}

int owners_load_stream(owners_t *o, void *file, const char *name, bool csv, char **error_r)
{
	FILE *fp = file;
	char *line = xmalloc(OWNERS_LINE_MAX + 2);
	struct owners_obj *obj = owners_obj_new();
	size_t lineno = 0, nets = o->n_rec, handles = o->n_handle;
	bool skipping = false;	/* inside an over-long line */
	const char *other = NULL;

	o->file_bad_lines = 0;
	while (fgets(line, OWNERS_LINE_MAX + 2, fp) != NULL) {
		size_t len = strlen(line);
		bool whole = len > 0 && line[len - 1] == '\n';
		if (skipping) {
			skipping = !whole;
			continue;
		}
		lineno++;
		if (!whole && !feof(fp)) {
			owners_bad_line(o, name, lineno, "line too long");
			skipping = true;
			continue;
		}
		if (whole)
			line[--len] = '\0';
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			memmove(line, line + 3, len - 2);	/* a UTF-8 byte order mark (spreadsheets write one) */
		if (lineno == 1 && (other = other_format(line)) != NULL)
			break;
		if (csv)
			owners_csv_line(o, line, lineno, name);
		else
			owners_rpsl_line(o, obj, line, lineno, name);
	}
	if (!csv)
		owners_rpsl_end(o, obj, name);
	int failed = ferror(fp);
	free(line);
	owners_obj_free(&obj);
	if (failed)
		return load_error(error_r, name, "read error");
	if (other != NULL) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "%s is not an owners file format (RPSL, ARIN bulk whois text, CSV)", other);
		int rc = load_error(error_r, name, buf_cstr(&e));
		buf_free(&e);
		return rc;
	}
	if (lineno > 0 && o->n_rec == nets && o->n_handle == handles)
		log_warning("%s: %zu lines but no network and no contact: not RPSL, ARIN bulk whois or CSV "
			    "(a CSV file needs a name ending in .csv)?",
			    name, lineno);
	return 0;
}

int owners_load(owners_t *o, const char *path, char **error_r)
{
	FILE *fp = fopen(path, "r");
	size_t len = strlen(path);

	if (fp == NULL)
		return load_error(error_r, path, strerror(errno));
	bool csv = len > 4 && strcmp(path + len - 4, ".csv") == 0;
	int rc = owners_load_stream(o, fp, path, csv, error_r);
	fclose(fp);
	return rc;
}

void owners_finish(owners_t *o)
{
	if (o->finished)
		return;
	owners_resolve(o);
	o->finished = true;
}

/* ---- lookup -------------------------------------------------------------- */

void owners_format_range(const struct owners_rec *r, char out[OWNERS_NET_TEXT_MAX])
{
	char t1[ADDR_STRLEN], t2[ADDR_STRLEN];
	unsigned bits = addr_bits(&r->first), span = 0;

	for (unsigned i = 0; i < bits; i++) {
		if (addr_bit(&r->first, i) != addr_bit(&r->last, i)) {
			span = bits - i;
			break;
		}
	}
	if (r->first.family == AF_INET6)
		snprintf(out, OWNERS_NET_TEXT_MAX, "%s/%u", addr_format(&r->first, t1), 128 - span);
	else
		snprintf(out, OWNERS_NET_TEXT_MAX, "%s - %s", addr_format(&r->first, t1), addr_format(&r->last, t2));
}

bool owners_lookup(const owners_t *o, const addr_t *a, struct owner_info *info_r, unsigned *plen_r)
{
	uint32_t idx;

	if (!o->finished || !cidrset_lookup(o->set, a, &idx, plen_r))
		return false;
	const struct owners_rec *r = &o->rec[idx];
	const struct owners_handle *org = owners_handle_find(o, r->org);
	owners_format_range(r, info_r->network);
	info_r->netname = owners_str(o, r->netname);
	info_r->org = owners_str(o, r->org);
	info_r->org_name = owners_str(o, org != NULL ? org->name : 0);
	info_r->country = owners_str(o, r->country);
	info_r->abuse = owners_str(o, r->contact);
	info_r->via = (enum owner_via)r->via;
	info_r->via_handle = owners_str(o, r->contact != 0 ? r->u.res.via_handle : 0);
	info_r->inherited = r->contact != 0 && r->u.res.src != idx;
	info_r->inherited_from[0] = '\0';
	info_r->inherited_netname = "";
	if (info_r->inherited) {
		owners_format_range(&o->rec[r->u.res.src], info_r->inherited_from);
		info_r->inherited_netname = owners_str(o, o->rec[r->u.res.src].netname);
	}
	info_r->why = (enum owner_why)r->why;
	info_r->refused_file = "";
	info_r->refused_line = 0;
	info_r->refused_status = MAILBOX_OK;
	if (r->contact == 0 && r->why == OWNER_WHY_REFUSED && r->u.res.src < o->n_refused) {
		const struct owners_refused *x = &o->refused[r->u.res.src];
		info_r->refused_file = owners_str(o, x->file);
		info_r->refused_line = x->line;
		info_r->refused_status = (enum mailbox_status)x->status;
	}
	return true;
}

const char *owners_via_name(enum owner_via via)
{
	switch (via) {
	case OWNER_VIA_MAILBOX:
		return "abuse-mailbox";
	case OWNER_VIA_ABUSE_C:
		return "abuse-c";
	case OWNER_VIA_ORG:
		return "org";
	case OWNER_VIA_IRT:
		return "mnt-irt";
	case OWNER_VIA_OWNER_C:
		return "owner-c";
	case OWNER_VIA_NONE:
		break;
	}
	return "none";
}

/* Text from a loaded file, with anything but printable ASCII as '?'. */
static void put_clean(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		buf_putc(out, *s >= ' ' && *s < 0x7f ? *s : '?');
}

void owners_explain(const struct owner_info *info, struct buf *out)
{
	static const char *const why_text[] = {
		[OWNER_WHY_NONE] = "",
		[OWNER_WHY_NO_CONTACT] = ("no abuse-mailbox, abuse-c, org, mnt-irt or owner-c here or on an "
					  "enclosing network"),
		[OWNER_WHY_UNKNOWN_HANDLE] = "the handles it names are not in the owners files",
		[OWNER_WHY_NO_MAILBOX] = "the contacts it names have no mailbox",
		[OWNER_WHY_REFUSED] = "the mailbox found was refused",
	};

	if (info->abuse[0] == '\0') {
		buf_puts(out, "none: ");
		buf_puts(out, (unsigned)info->why < sizeof(why_text) / sizeof(why_text[0]) && info->why != OWNER_WHY_NONE
				      ? why_text[info->why]
				      : "unknown");
		if (info->why == OWNER_WHY_REFUSED && info->refused_line != 0) {
			buf_puts(out, " at ");
			put_clean(out, info->refused_file);
			buf_printf(out, ":%lu (%s)", info->refused_line, mailbox_status_text(info->refused_status));
		}
		return;
	}
	buf_puts(out, owners_via_name(info->via));
	if (info->via_handle[0] != '\0') {
		buf_putc(out, ' ');
		put_clean(out, info->via_handle);
	}
	if (info->inherited) {
		buf_puts(out, ", inherited from ");
		buf_puts(out, info->inherited_from);
		if (info->inherited_netname[0] != '\0') {
			buf_puts(out, " (");
			put_clean(out, info->inherited_netname);
			buf_putc(out, ')');
		}
	}
}

void owners_stats(const owners_t *o, struct owners_stats *st)
{
	st->objects = o->n_rec;
	st->handles = o->n_handle;
	st->prefixes = cidrset_count(o->set);
	st->bad_lines = o->bad_lines;
	st->no_abuse = o->no_abuse;
	st->inherited = o->inherited;
	st->refused = o->n_refused;
	st->memory = cidrset_memory(o->set) + o->arena.cap + o->cap_rec * sizeof(struct owners_rec) +
		     o->cap_handle * sizeof(struct owners_handle) +
		     o->cap_refused * sizeof(struct owners_refused) +
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
