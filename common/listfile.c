/*
 * listfile - rbldnsd datasets and plain CIDR lists into a cidrset.
 *
 * The cidrset maps each prefix to the index of a (code, text) pair, or to
 * EXCLUDED.  Texts are interned in a hash set so that the thousands of
 * entries under one default share a single copy; pairs are appended as they
 * appear, with the current default pair reused.
 *
 * The file is read whole into memory and parsed line by line through a
 * bounded cursor; lines are never copied before their length is checked.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cidrset.h"
#include "lfsyntax.h"
#include "listfile.h"
#include "log.h"
#include "mem.h"

#define EXCLUDED UINT32_MAX
#define NO_TEXT UINT32_MAX
#define NO_PAIR UINT32_MAX
/* Initial size of the text hash (slots, a power of two). */
#define TEXT_HASH_MIN 64u

struct pair {
	uint32_t code;
	uint32_t text;		/* index into texts, or NO_TEXT */
};

struct listfile {
	cidrset_t *set;
	struct pair *pairs;
	uint32_t npairs, pairs_cap;
	char **texts;
	uint32_t ntexts, texts_cap;
	uint32_t *hash;		/* text index + 1, 0 = empty slot */
	uint32_t hash_cap;
	size_t entries, bad_lines;
	unsigned ttl;
};

/* Parser state for one load. */
struct loader {
	listfile_t *list;
	const char *name;
	const struct listfile_opts *opts;
	size_t lineno;
	uint32_t def_code, def_text, def_pair;
	bool have_default;	/* a default line was read (ip6tset keeps the first) */
	char *vars[10];		/* $0..$9, first assignment, or NULL */
	char *base;		/* $= template, or NULL */
	uint32_t maxrange4;	/* $MAXRANGE4 in addresses, 0 = none */
	size_t dropped;		/* entries $MAXRANGE4 dropped */
	char *error;		/* first bad line, when aborting */
};

/* ---- texts and pairs ------------------------------------------------------ */

static uint32_t text_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void text_rehash(listfile_t *l, uint32_t cap)
{
	free(l->hash);
	l->hash = xcalloc(cap, sizeof(*l->hash));
	l->hash_cap = cap;
	for (uint32_t i = 0; i < l->ntexts; i++) {
		uint32_t h = text_hash(l->texts[i], strlen(l->texts[i])) & (cap - 1);
		while (l->hash[h] != 0)
			h = (h + 1) & (cap - 1);
		l->hash[h] = i + 1;
	}
}

/* The index of the text s[0..len), stored once. */
static uint32_t text_intern(listfile_t *l, const char *s, size_t len)
{
	if ((l->ntexts + 1) * 2 > l->hash_cap)
		text_rehash(l, l->hash_cap ? l->hash_cap * 2 : TEXT_HASH_MIN);
	uint32_t h = text_hash(s, len) & (l->hash_cap - 1);
	for (; l->hash[h] != 0; h = (h + 1) & (l->hash_cap - 1)) {
		const char *t = l->texts[l->hash[h] - 1];
		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return l->hash[h] - 1;
	}
	if (l->ntexts == l->texts_cap) {
		l->texts_cap = l->texts_cap ? l->texts_cap * 2 : 16;
		l->texts = xreallocarray(l->texts, l->texts_cap, sizeof(*l->texts));
	}
	l->texts[l->ntexts] = xstrndup(s, len);
	l->hash[h] = l->ntexts + 1;
	return l->ntexts++;
}

static uint32_t pair_add(listfile_t *l, uint32_t code, uint32_t text)
{
	if (l->npairs > 0 && l->pairs[l->npairs - 1].code == code &&
	    l->pairs[l->npairs - 1].text == text)
		return l->npairs - 1;
	if (l->npairs == l->pairs_cap) {
		l->pairs_cap = l->pairs_cap ? l->pairs_cap * 2 : 16;
		l->pairs = xreallocarray(l->pairs, l->pairs_cap, sizeof(*l->pairs));
	}
	l->pairs[l->npairs] = (struct pair){ code, text };
	return l->npairs++;
}

/* ---- small parsers ---------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void addr_from_v4(addr_t *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->bytes[0] = (uint8_t)(v >> 24);
	a->bytes[1] = (uint8_t)(v >> 16);
	a->bytes[2] = (uint8_t)(v >> 8);
	a->bytes[3] = (uint8_t)v;
}

/* ---- loading ------------------------------------------------------------------ */

/* Record a bad line: fail the load, or log (the first few) and count it. */
static int bad_line(struct loader *ld, const char *why)
{
	if (ld->opts->abort_on_bad_line) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s:%zu: %s", ld->name, ld->lineno, why);
		ld->error = buf_detach(&b);
		return -1;
	}
	if (ld->list->bad_lines++ < LISTFILE_BAD_LINES_LOGGED)
		log_warning("%s:%zu: %s", ld->name, ld->lineno, why);
	return 0;
}

/* Refuse the whole file, whatever list_bad_line_action says. */
static int refuse(struct loader *ld, const char *why)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s:%zu: %s", ld->name, ld->lineno, why);
	ld->error = buf_detach(&b);
	return -1;
}

/* An entry the file itself asks to drop ($MAXRANGE4): logged, not a bad line. */
static int dropped_line(struct loader *ld, const char *why)
{
	if (ld->dropped++ < LISTFILE_BAD_LINES_LOGGED)
		log_warning("%s:%zu: %s", ld->name, ld->lineno, why);
	return 0;
}

/* The raw text s[0..len) ("" = none) as a text index; see texts_finalize(). */
static uint32_t raw_text(struct loader *ld, const char *s, size_t len)
{
	return len == 0 ? NO_TEXT : text_intern(ld->list, s, len);
}

/* "$MAXRANGE4 ...": it may only shrink. */
static int do_maxrange(struct loader *ld, const char *s, size_t len)
{
	uint32_t r;

	if (lfsyntax_maxrange(s, len, &r) != 0)
		return bad_line(ld, "bad $MAXRANGE4 value");
	if (ld->maxrange4 != 0 && ld->maxrange4 < r)
		return dropped_line(ld, "$MAXRANGE4 may not grow: ignored");
	ld->maxrange4 = r;
	return 0;
}

/*
 * A special line, s[0..len) after its "$" (or "#$", ";$", ":$").  commented:
 * it came as "#$" or ";$", which rbldns reads and older tools take for a
 * comment, so an unknown one is ignored rather than a bad line.
 */
static int do_special(struct loader *ld, const char *s, size_t len, bool commented)
{
	size_t arg;

	switch (lfsyntax_special(s, len, &arg)) {
	case LFSYNTAX_SPECIAL_VAR: {
		char **slot = s[0] == '=' ? &ld->base : &ld->vars[s[0] - '0'];
		if (arg == len)
			return bad_line(ld, "empty substitution");
		if (*slot == NULL)	/* rbldnsd keeps the first assignment */
			*slot = xstrndup(s + arg, len - arg < LISTFILE_TEXT_MAX ? len - arg
									 : LISTFILE_TEXT_MAX);
		return 0;
	}
	case LFSYNTAX_SPECIAL_TTL:
		if (lfsyntax_ttl(s + arg, len - arg, &ld->list->ttl) != 0)
			return bad_line(ld, "bad $TTL value");
		return 0;
	case LFSYNTAX_SPECIAL_MAXRANGE4:
		return do_maxrange(ld, s + arg, len - arg);
	case LFSYNTAX_SPECIAL_DATASET:
		return refuse(ld, "a combined dataset ($DATASET) is not supported: give each "
				  "section its own file in file_lists");
	case LFSYNTAX_SPECIAL_IGNORED:
		return 0;
	default:
		return commented ? 0 : bad_line(ld, "invalid or unrecognized special entry");
	}
}

struct insert_ctx {
	struct loader *ld;
	uint32_t value;
	bool octets;		/* ip4set: store at /8, /16, /24, /32 only */
	bool full;		/* the set refused a prefix: the list is too large */
};

/*
 * Is prefix/plen stored, and with which value?  A longest-prefix lookup of
 * its first address answers most cases in one fast walk; only when a longer
 * prefix sits there does the exact search run.
 */
static bool prefix_stored(const cidrset_t *set, const addr_t *prefix, unsigned plen,
			  uint32_t *value_r)
{
	unsigned found;

	if (!cidrset_lookup(set, prefix, value_r, &found) || found < plen)
		return false;
	return found == plen || cidrset_find_exact(set, prefix, plen, value_r);
}

static void insert_one(struct insert_ctx *ctx, const addr_t *prefix, unsigned plen)
{
	cidrset_t *set = ctx->ld->list->set;
	uint32_t old;

	/*
	 * The first line for a prefix wins (rbldnsd's tries keep the first and
	 * warn), except that in ip4set an exclusion beats a listing of the same
	 * prefix in any order (rbldnsd sorts it first and stops there).
	 */
	if (prefix_stored(set, prefix, plen, &old) &&
	    !(ctx->octets && ctx->value == EXCLUDED && old != EXCLUDED))
		return;
	if (cidrset_insert(set, prefix, plen, ctx->value) == CIDRSET_FULL)
		ctx->full = true;
}

static int insert_prefix(const addr_t *prefix, unsigned plen, void *vctx)
{
	struct insert_ctx *ctx = vctx;

	if (!ctx->octets || plen % 8 == 0) {
		insert_one(ctx, prefix, plen);
		return ctx->full ? 1 : 0;	/* 1 stops the split */
	}
	/* ip4set keeps octet-aligned pieces: a /20 is sixteen /24s, and the most
	 * specific piece is the most specific octet boundary, not the CIDR. */
	unsigned wide = (plen + 7) & ~7u;
	uint32_t base = (uint32_t)prefix->bytes[0] << 24 | (uint32_t)prefix->bytes[1] << 16 |
			(uint32_t)prefix->bytes[2] << 8 | prefix->bytes[3];
	for (uint32_t i = 0; i < 1u << (wide - plen) && !ctx->full; i++) {
		addr_t piece;
		addr_from_v4(&piece, base + (i << (32 - wide)));
		insert_one(ctx, &piece, wide);
	}
	return ctx->full ? 1 : 0;
}

/* The value index for an entry with this code and text. */
static uint32_t entry_value(struct loader *ld, uint32_t code, uint32_t text)
{
	if (code == ld->def_code && text == ld->def_text) {
		if (ld->def_pair == NO_PAIR)
			ld->def_pair = pair_add(ld->list, code, text);
		return ld->def_pair;
	}
	return pair_add(ld->list, code, text);
}

/* What one entry line says, before it is stored. */
struct entry {
	addr_t first, last;
	bool octets;
	size_t used;		/* bytes of the address */
};

/*
 * In an "auto" file: is this entry IPv4?  Yes when the part before any ":"
 * holds a ".", "/" or "-" ("0/0", "1.2.3.4:5:text"), or has no ":" at all.
 */
static bool looks_v4(const char *s, size_t len)
{
	for (size_t i = 0; i < len && !is_space(s[i]) && s[i] != '#' && s[i] != ';'; i++) {
		if (s[i] == '.' || s[i] == '/' || s[i] == '-')
			return true;
		if (s[i] == ':')
			return false;
	}
	return true;
}

static int entry_ip4(struct loader *ld, const char *s, size_t len, bool set, struct entry *e,
		     const char **why_r)
{
	uint32_t a, b;
	unsigned bits;

	if (lfsyntax_ip4(s, len, set, &e->used, &a, &b, &bits, why_r) != 0)
		return -1;
	if (ld->maxrange4 != 0 && ld->maxrange4 <= b - a)
		return 1;
	e->octets = set;
	addr_from_v4(&e->first, a);
	addr_from_v4(&e->last, b);
	return 0;
}

static int entry_ip6(const char *s, size_t len, bool tset, bool exclude, struct entry *e,
		     const char **why_r)
{
	uint8_t a6[16];
	unsigned bits;

	if (lfsyntax_ip6(s, len, !tset, &e->used, a6, &bits, why_r) != 0)
		return -1;
	if (tset && bits != (exclude ? 128u : 64u)) {
		*why_r = exclude ? "invalid address for exclusion (should be 128 bits)"
				 : "invalid address for regular entry (should be 64 bits)";
		return -1;
	}
	e->octets = false;
	memset(&e->first, 0, sizeof(e->first));
	e->first.family = AF_INET6;
	memcpy(e->first.bytes, a6, 16);
	e->last = e->first;
	for (unsigned i = bits; i < 128; i++)
		e->last.bytes[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
	return 0;
}

/*
 * The address of an entry line by format: 0; 1 when $MAXRANGE4 drops it;
 * -1 with *why_r.
 */
static int entry_addr(struct loader *ld, const char *s, size_t len, bool exclude,
		      struct entry *e, const char **why_r)
{
	enum listfile_format fmt = ld->opts->format;
	struct entry other;
	const char *why;

	switch (fmt) {
	case LISTFILE_AUTO:
		return looks_v4(s, len) ? entry_ip4(ld, s, len, true, e, why_r)
					: entry_ip6(s, len, false, exclude, e, why_r);
	case LISTFILE_IP4SET:
	case LISTFILE_IP4TRIE: {
		int rc = entry_ip4(ld, s, len, fmt == LISTFILE_IP4SET, e, why_r);
		if (rc < 0 && entry_ip6(s, len, false, false, &other, &why) == 0)
			*why_r = fmt == LISTFILE_IP4SET ? "IPv6 entry in an ip4set list"
							: "IPv6 entry in an ip4trie list";
		return rc;
	}
	default: {
		bool tset = fmt == LISTFILE_IP6TSET;
		int rc = entry_ip6(s, len, tset, exclude, e, why_r);
		if (rc < 0 && lfsyntax_ip4(s, len, true, &other.used, &(uint32_t){ 0 },
					   &(uint32_t){ 0 }, &(unsigned){ 0 }, &why) == 0)
			*why_r = tset ? "IPv4 entry in an ip6tset list" : "IPv4 entry in an ip6trie list";
		return rc;
	}
	}
}

/* The code and text of an entry from its value field s[0..len) (may be empty). */
static int entry_code_text(struct loader *ld, const char *s, size_t len, uint32_t *code_r,
			   uint32_t *text_r, const char **why_r)
{
	enum lfsyntax_value_kind kind;
	size_t off, tlen;
	uint32_t code;

	*code_r = ld->def_code;
	*text_r = ld->def_text;
	/* ip6tset has one value for all: an entry's own is ignored. */
	if (len == 0 || s[0] == '#' || s[0] == ';' || ld->opts->format == LISTFILE_IP6TSET)
		return 0;
	if (lfsyntax_value(s, len, &kind, &code, &off, &tlen, why_r) != 0)
		return -1;
	if (kind != LFSYNTAX_TEXT)
		*code_r = code;
	if (kind != LFSYNTAX_CODE)
		*text_r = raw_text(ld, s + off, tlen);
	return 0;
}

/* The list is too large: the load fails, whatever abort_on_bad_line says. */
static int too_large(struct loader *ld)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s:%zu: list too large: more than %zu prefixes", ld->name, ld->lineno,
		   cidrset_count(ld->list->set));
	ld->error = buf_detach(&b);
	return -1;
}

/* An entry line (after "!" for an exclusion), trimmed and not empty. */
static int do_entry(struct loader *ld, const char *s, size_t len, bool exclude)
{
	struct entry e;
	const char *why;
	uint32_t code, text;
	int rc = entry_addr(ld, s, len, exclude, &e, &why);

	if (rc > 0)
		return dropped_line(ld, "too large range ignored ($MAXRANGE4)");
	if (rc < 0)
		return bad_line(ld, why);
	struct insert_ctx ctx = { ld, EXCLUDED, e.octets, false };
	if (!exclude) {
		size_t rest = e.used;
		while (rest < len && is_space(s[rest]))
			rest++;
		if (entry_code_text(ld, s + rest, len - rest, &code, &text, &why) != 0)
			return bad_line(ld, why);
		ctx.value = entry_value(ld, code, text);
	}
	if (addr_range_split(&e.first, &e.last, insert_prefix, &ctx) < 0)
		return ctx.full ? too_large(ld) : bad_line(ld, "bad range");
	ld->list->entries++;
	return 0;
}

/* A ":A:TXT" default line. */
static int do_default(struct loader *ld, const char *s, size_t len)
{
	enum lfsyntax_value_kind kind;
	size_t off, tlen;
	uint32_t code;
	const char *why;

	/* ip6tset keeps its first default and does not read the others. */
	if (ld->opts->format == LISTFILE_IP6TSET && ld->have_default)
		return 0;
	if (lfsyntax_value(s, len, &kind, &code, &off, &tlen, &why) != 0)
		return bad_line(ld, why);
	ld->def_code = code;
	/* ":A" alone: rbldnsd's built-in default text, which is none. */
	ld->def_text = kind == LFSYNTAX_CODE ? NO_TEXT : raw_text(ld, s + off, tlen);
	ld->def_pair = NO_PAIR;
	ld->have_default = true;
	return 0;
}

/*
 * A plain CIDR list line: one network, then nothing, a "#" comment, or a
 * "; text" comment that becomes the entry's text (Spamhaus DROP/EDROP:
 * "1.10.16.0/20 ; SBL256894").  A "{...}" line is a JSON DROP line.
 */
static int do_cidr_line(struct loader *ld, const char *s, size_t len);

/*
 * A line of Spamhaus' JSON DROP files: {"cidr":"1.10.16.0/20","sblid":
 * "SBL256894",...} is read as "1.10.16.0/20 ; SBL256894"; an object without
 * "cidr" (the closing metadata line) is skipped.
 */
static int do_json_line(struct loader *ld, const char *s, size_t len)
{
	char cidr[ADDR_STRLEN + 8], sblid[LFSYNTAX_TEMPLATE_MAX + 1];
	struct buf line = BUF_INIT;

	if (lfsyntax_json_drop(s, len, cidr, sizeof(cidr), sblid, sizeof(sblid)) != 0)
		return bad_line(ld, "bad JSON DROP line");
	if (cidr[0] == '\0')
		return 0;
	buf_printf(&line, "%s%s%s", cidr, sblid[0] != '\0' ? " ; " : "", sblid);
	int rc = memchr(cidr, ';', strlen(cidr)) != NULL || memchr(cidr, '#', strlen(cidr)) != NULL
			 ? bad_line(ld, "bad address or CIDR")
			 : do_cidr_line(ld, buf_cstr(&line), line.len);
	buf_free(&line);
	return rc;
}

static int do_cidr_line(struct loader *ld, const char *s, size_t len)
{
	char tmp[ADDR_STRLEN + 8];
	size_t tok = 0, rest;
	addr_t first, last;
	unsigned plen;
	uint32_t text = NO_TEXT;

	while (tok < len && !is_space(s[tok]) && s[tok] != '#' && s[tok] != ';')
		tok++;
	if (tok >= sizeof(tmp))
		return bad_line(ld, "bad address or CIDR");
	memcpy(tmp, s, tok);
	tmp[tok] = '\0';
	if (addr_prefix_parse(tmp, false, &first, &plen) != 0)
		return bad_line(ld, addr_prefix_parse(tmp, true, &first, &plen) == 0
					    ? "invalid range (non-zero host part)"
					    : "bad address or CIDR");
	for (rest = tok; rest < len && is_space(s[rest]);)
		rest++;
	if (rest < len && s[rest] == ';') {
		struct buf t = BUF_INIT;
		for (rest++; rest < len && is_space(s[rest]);)
			rest++;
		/* The comment is text, not a template: a "$" in it stays a "$". */
		for (size_t i = rest; i < len && i - rest < LFSYNTAX_TEMPLATE_MAX; i++) {
			if (s[i] == '$')
				buf_putc(&t, '$');
			buf_putc(&t, s[i]);
		}
		text = raw_text(ld, buf_cstr(&t), t.len);
		buf_free(&t);
	} else if (rest < len && s[rest] != '#') {
		return bad_line(ld, "text after the network");
	}
	last = first;
	for (unsigned i = plen; i < addr_bits(&first); i++)
		last.bytes[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
	struct insert_ctx ctx = { ld, entry_value(ld, LISTFILE_DEFAULT_CODE, text), false, false };
	if (addr_range_split(&first, &last, insert_prefix, &ctx) < 0 && ctx.full)
		return too_large(ld);
	ld->list->entries++;
	return 0;
}

/* One line s[0..len), without its line end. */
static int do_line(struct loader *ld, const char *s, size_t len)
{
	enum listfile_format fmt = ld->opts->format;

	/* CRLF: rbldnsd keeps the CR (and so refuses "1.2.3.4\r"); a file saved
	 * on Windows means the same without it. */
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > LISTFILE_LINE_MAX)
		return bad_line(ld, "line too long");
	if (memchr(s, '\0', len) != NULL)
		return bad_line(ld, "NUL byte in line");
	while (len > 0 && is_space(*s))
		s++, len--;
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (fmt == LISTFILE_CIDR)
		return s[0] == '#' || s[0] == ';' ? 0
		       : s[0] == '{'		   ? do_json_line(ld, s, len)
						   : do_cidr_line(ld, s, len);
	if (s[0] == '$')
		return do_special(ld, s + 1, len - 1, false);
	if (len > 1 && s[1] == '$' && (s[0] == '#' || s[0] == ';' || s[0] == ':'))
		return do_special(ld, s + 2, len - 2, s[0] != ':');
	if (s[0] == '#' || s[0] == ';')
		return 0;
	/* "::1" is an IPv6 entry, not a default with an empty A value. */
	if (s[0] == ':' && (len == 1 || s[1] != ':' || fmt == LISTFILE_IP4SET ||
			    fmt == LISTFILE_IP4TRIE || fmt == LISTFILE_IP6TSET))
		return do_default(ld, s, len);
	if (s[0] == '!') {
		size_t skip = 1;
		while (skip < len && is_space(s[skip]))
			skip++;
		return do_entry(ld, s + skip, len - skip, true);
	}
	return do_entry(ld, s, len, false);
}

/*
 * rbldnsd substitutes $n and $= when it answers, with the first value each
 * got anywhere in the file; the raw texts are turned into final templates
 * here, once the whole file is read.
 */
static void texts_finalize(struct loader *ld)
{
	listfile_t *l = ld->list;
	char **raw = l->texts;
	uint32_t nraw = l->ntexts, *map = xreallocarray(NULL, nraw + 1, sizeof(*map));
	struct buf out = BUF_INIT;

	l->texts = NULL;
	l->ntexts = l->texts_cap = 0;
	free(l->hash);
	l->hash = NULL;
	l->hash_cap = 0;
	for (uint32_t i = 0; i <= nraw; i++) {
		buf_reset(&out);
		lfsyntax_flatten(i < nraw ? raw[i] : "", ld->vars, ld->base, &out);
		map[i] = out.len == 0 ? NO_TEXT : text_intern(l, buf_cstr(&out), out.len);
	}
	for (uint32_t i = 0; i < l->npairs; i++)
		l->pairs[i].text = map[l->pairs[i].text == NO_TEXT ? nraw : l->pairs[i].text];
	for (uint32_t i = 0; i < nraw; i++)
		free(raw[i]);
	free(raw);
	free(map);
	buf_free(&out);
}

static void loader_free(struct loader *ld)
{
	for (size_t i = 0; i < 10; i++)
		free(ld->vars[i]);
	free(ld->base);
}

int listfile_load_mem(const char *name, const char *data, size_t len,
		      const struct listfile_opts *opts, listfile_t **list_r, char **error_r)
{
	struct loader ld = {
		.list = xcalloc(1, sizeof(listfile_t)), .name = name, .opts = opts,
		.def_code = LISTFILE_DEFAULT_CODE, .def_text = NO_TEXT, .def_pair = NO_PAIR,
	};
	size_t pos = 0;
	int rc = 0;

	ld.list->set = cidrset_new();
	cidrset_set_max_entries(ld.list->set, opts->max_entries);
	while (pos < len && rc == 0) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		ld.lineno++;
		rc = do_line(&ld, data + pos, end - pos);
		pos = end + 1;
		if (opts->progress != NULL && (ld.lineno % LISTFILE_PROGRESS_LINES == 0 || pos >= len))
			opts->progress(&(struct listfile_progress){ ld.lineno, ld.list->bad_lines,
								    pos < len ? pos : len, len },
				       opts->progress_ctx);
	}
	if (rc == 0)
		texts_finalize(&ld);
	loader_free(&ld);
	if (rc != 0) {
		*error_r = ld.error;
		listfile_free(&ld.list);
		return -1;
	}
	if (ld.list->bad_lines > LISTFILE_BAD_LINES_LOGGED)
		log_warning("%s: %zu bad lines skipped, only the first %d logged", name,
			    ld.list->bad_lines, LISTFILE_BAD_LINES_LOGGED);
	*list_r = ld.list;
	return 0;
}

static int read_whole(const char *path, struct buf *out, char **error_r)
{
	struct buf err = BUF_INIT;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		buf_printf(&err, "%s: %s", path, strerror(errno));
		*error_r = buf_detach(&err);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > LISTFILE_FILE_MAX) {
			buf_printf(&err, "%s: file too large (more than %zu bytes)", path,
				   LISTFILE_FILE_MAX);
			break;
		}
		buf_append(out, chunk, n);
	}
	if (err.len == 0 && ferror(f))
		buf_printf(&err, "%s: %s", path, strerror(errno));
	fclose(f);
	if (err.len > 0) {
		*error_r = buf_detach(&err);
		return -1;
	}
	return 0;
}

int listfile_load(const char *path, const struct listfile_opts *opts, listfile_t **list_r,
		  char **error_r)
{
	struct buf data = BUF_INIT;

	if (read_whole(path, &data, error_r) != 0) {
		buf_free(&data);
		return -1;
	}
	int rc = listfile_load_mem(path, buf_cstr(&data), data.len, opts, list_r, error_r);
	buf_free(&data);
	return rc;
}

int listfile_format_parse(const char *s, enum listfile_format *fmt_r)
{
	static const struct {
		const char *name;
		enum listfile_format fmt;
	} names[] = {
		{ "auto", LISTFILE_AUTO }, { "ip4set", LISTFILE_IP4SET },
		{ "ip6tset", LISTFILE_IP6TSET }, { "cidr", LISTFILE_CIDR },
		{ "ip4trie", LISTFILE_IP4TRIE }, { "ip6trie", LISTFILE_IP6TRIE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*fmt_r = names[i].fmt;
			return 0;
		}
	return -1;
}

/* ---- queries ------------------------------------------------------------------ */

bool listfile_lookup(const listfile_t *list, const addr_t *a, struct listfile_hit *hit_r)
{
	uint32_t v;

	if (!cidrset_lookup(list->set, a, &v, NULL) || v == EXCLUDED)
		return false;
	if (hit_r != NULL) {
		const struct pair *p = &list->pairs[v];
		hit_r->code = p->code;
		hit_r->text = p->text == NO_TEXT ? NULL : list->texts[p->text];
	}
	return true;
}

void listfile_expand_text(const char *tmpl, const addr_t *a, struct buf *out)
{
	char s[ADDR_STRLEN];
	size_t start = out->len;

	for (const char *p = tmpl; *p != '\0' && out->len - start < LFSYNTAX_TXT_MAX; p++) {
		if (*p != '$') {
			buf_putc(out, *p);
		} else if (p[1] == '$') {
			buf_putc(out, '$');
			p++;
		} else {
			buf_puts(out, addr_format(a, s));
		}
	}
	/* rbldnsd cuts a TXT answer at LFSYNTAX_TXT_MAX bytes. */
	if (out->len - start > LFSYNTAX_TXT_MAX)
		buf_truncate(out, start + LFSYNTAX_TXT_MAX);
}

size_t listfile_entries(const listfile_t *list)
{
	return list->entries;
}

size_t listfile_bad_lines(const listfile_t *list)
{
	return list->bad_lines;
}

unsigned listfile_ttl(const listfile_t *list)
{
	return list->ttl;
}

void listfile_free(listfile_t **list)
{
	listfile_t *l = *list;

	if (l == NULL)
		return;
	cidrset_free(&l->set);
	for (uint32_t i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	free(l->texts);
	free(l->hash);
	free(l->pairs);
	free(l);
	*list = NULL;
}

/* ---- ranges ---------------------------------------------------------------------
 *
 * cidrset_walk_ranges() resolves the overlaps; here excluded pieces are
 * dropped and neighbours with the same code and text are joined.
 */

struct ranges {
	const listfile_t *list;
	listfile_range_cb *cb;
	void *ctx;
	bool pending;
	addr_t first, last;
	uint32_t value;
};

/* Is b the address right after a (same family)? */
static bool addr_follows(const addr_t *a, const addr_t *b)
{
	addr_t next = *a;

	for (int i = (int)addr_bits(a) / 8 - 1; i >= 0; i--)
		if (++next.bytes[i] != 0)
			return a->family == b->family && addr_cmp(&next, b) == 0;
	return false;	/* a was the last address */
}

static int ranges_flush(struct ranges *r)
{
	if (!r->pending)
		return 0;
	const struct pair *p = &r->list->pairs[r->value];
	r->pending = false;
	return r->cb(&r->first, &r->last, p->code,
		     p->text == NO_TEXT ? NULL : r->list->texts[p->text], r->ctx);
}

static int ranges_piece(const addr_t *first, const addr_t *last, uint32_t value, void *vctx)
{
	struct ranges *r = vctx;

	if (value == EXCLUDED)
		return ranges_flush(r);
	if (r->pending) {
		const struct pair *a = &r->list->pairs[r->value], *b = &r->list->pairs[value];
		if (a->code == b->code && a->text == b->text && addr_follows(&r->last, first)) {
			r->last = *last;
			return 0;
		}
		int rc = ranges_flush(r);
		if (rc != 0)
			return rc;
	}
	r->pending = true;
	r->first = *first;
	r->last = *last;
	r->value = value;
	return 0;
}

int listfile_walk_ranges(const listfile_t *list, listfile_range_cb *cb, void *ctx)
{
	struct ranges r = { .list = list, .cb = cb, .ctx = ctx };
	int rc = cidrset_walk_ranges(list->set, ranges_piece, &r);

	return rc != 0 ? rc : ranges_flush(&r);
}
