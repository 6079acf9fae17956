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
#include <sys/stat.h>

#include "cidrset.h"
#include "listfile.h"
#include "log.h"
#include "mem.h"

#define EXCLUDED UINT32_MAX
#define NO_TEXT UINT32_MAX
#define NO_PAIR UINT32_MAX
/* Initial size of the text hash (slots, a power of two). */
#define TEXT_HASH_MIN 64u
/* Longest TTL accepted, in seconds (what a DNS TTL can hold). */
#define LISTFILE_TTL_MAX 2147483647ul

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
	char *vars[10];		/* $0..$9 */
	char *base;		/* $= template, or NULL */
	size_t exclusions;
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

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * 1..4 dotted decimal octets, the whole of s[0..len).  Leading zeros are
 * taken as decimal, as rbldnsd does.  Returns the number of octets or -1.
 */
static int parse_octets(const char *s, size_t len, uint8_t oct[4])
{
	size_t i = 0;
	int n = 0;

	memset(oct, 0, 4);
	while (i < len) {
		unsigned v = 0, digits = 0;
		if (n == 4)
			return -1;
		while (i < len && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		oct[n++] = (uint8_t)v;
		if (i < len) {
			if (s[i] != '.' || i + 1 == len)
				return -1;
			i++;
		}
	}
	return n > 0 ? n : -1;
}

/* A decimal number 0..max, the whole of s[0..len). */
static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *v_r)
{
	unsigned long v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]) || v > (max - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*v_r = v;
	return 0;
}

static void addr_v4(addr_t *a, const uint8_t oct[4])
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, oct, 4);
}

/*
 * An ip4set entry: octet prefix, CIDR, or range; fills first..last.
 * Returns 0 or -1 with *why_r set.
 */
static int parse_ip4set(const char *s, size_t len, addr_t *first, addr_t *last, const char **why_r)
{
	const char *slash = memchr(s, '/', len), *dash = memchr(s, '-', len);
	uint8_t a[4], b[4];
	int na, nb;

	*why_r = "bad IPv4 entry";
	if (slash != NULL && dash == NULL) {
		unsigned long plen;
		na = parse_octets(s, (size_t)(slash - s), a);
		if (na < 0 || parse_uint(slash + 1, len - (size_t)(slash - s) - 1, 32, &plen) != 0)
			return -1;
		addr_v4(first, a);
		addr_mask(first, (unsigned)plen);
		*last = *first;
		for (unsigned i = (unsigned)plen; i < 32; i++)
			last->bytes[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
		return 0;
	}
	if (slash != NULL)
		return -1;
	na = parse_octets(s, dash != NULL ? (size_t)(dash - s) : len, a);
	if (na < 0)
		return -1;
	if (dash == NULL) {
		memcpy(b, a, 4);
		nb = na;
	} else {
		nb = parse_octets(dash + 1, len - (size_t)(dash - s) - 1, b);
		if (nb < 0)
			return -1;
		if (nb == 1) {
			/* "127.16-31": the end replaces the start's last octet. */
			uint8_t v = b[0];
			memcpy(b, a, 4);
			b[na - 1] = v;
			nb = na;
		}
	}
	for (int i = nb; i < 4; i++)
		b[i] = 255;
	addr_v4(first, a);
	addr_v4(last, b);
	if (addr_cmp(first, last) > 0) {
		*why_r = "range start after its end";
		return -1;
	}
	return 0;
}

/* 1..7 words "w:w:w" without "::", optional "/len": ip6tset and ip6trie prefixes. */
static int parse_ip6_words(const char *s, size_t len, addr_t *a, unsigned *plen_r)
{
	const char *slash = memchr(s, '/', len);
	size_t end = slash != NULL ? (size_t)(slash - s) : len, i = 0;
	unsigned words = 0;

	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	while (i < end) {
		unsigned v = 0, digits = 0;
		if (words == 7)
			return -1;
		for (; i < end && s[i] != ':'; i++, digits++) {
			char c = s[i];
			int d = is_digit(c) ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
			if (d < 0 || digits == 4)
				return -1;
			v = v * 16 + (unsigned)d;
		}
		if (digits == 0)
			return -1;
		a->bytes[2 * words] = (uint8_t)(v >> 8);
		a->bytes[2 * words + 1] = (uint8_t)v;
		words++;
		if (i < end && ++i == end)
			return -1;	/* trailing ':' */
	}
	if (words == 0)
		return -1;
	*plen_r = 16 * words;
	if (slash != NULL) {
		unsigned long plen;
		if (parse_uint(slash + 1, len - end - 1, 128, &plen) != 0)
			return -1;
		*plen_r = (unsigned)plen;
		addr_mask(a, *plen_r);
	}
	return 0;
}

/*
 * An address or CIDR of either family; with words, also an IPv6 word prefix
 * (ip6tset, ip6trie).
 */
static int parse_net(const char *s, size_t len, bool words, addr_t *first, addr_t *last,
		     const char **why_r)
{
	char tmp[ADDR_STRLEN + 8];
	unsigned plen;

	*why_r = words ? "bad IPv6 entry" : "bad address or CIDR";
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (addr_prefix_parse(tmp, true, first, &plen) != 0 &&
	    (!words || parse_ip6_words(s, len, first, &plen) != 0))
		return -1;
	*last = *first;
	for (unsigned i = plen; i < addr_bits(first); i++)
		last->bytes[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
	return 0;
}

/* The A value of a ":A:TXT" field: a full address or its last 1..3 octets. */
static int parse_code(const char *s, size_t len, uint32_t *code_r)
{
	uint8_t oct[4], full[4] = { 127, 0, 0, 0 };
	int n = parse_octets(s, len, oct);

	if (n < 0)
		return -1;
	memcpy(full + 4 - n, oct, (size_t)n);
	*code_r = (uint32_t)full[0] << 24 | (uint32_t)full[1] << 16 | (uint32_t)full[2] << 8 | full[3];
	return 0;
}

/* "1w2d3h4m5s" or plain seconds. */
static int parse_ttl(const char *s, size_t len, unsigned *ttl_r)
{
	unsigned long total = 0;
	size_t i = 0;

	if (len == 0)
		return -1;
	while (i < len) {
		size_t start = i;
		unsigned long v, mult = 1;
		while (i < len && is_digit(s[i]))
			i++;
		if (parse_uint(s + start, i - start, LISTFILE_TTL_MAX, &v) != 0)
			return -1;
		if (i < len) {
			const char *units = "smhdw";
			static const unsigned long mults[] = { 1, 60, 3600, 86400, 604800 };
			const char *u = memchr(units, s[i] | 0x20, 5);
			if (u == NULL)
				return -1;
			mult = mults[u - units];
			i++;
		}
		if (v > (LISTFILE_TTL_MAX - total) / mult)
			return -1;
		total += v * mult;
	}
	*ttl_r = (unsigned)total;
	return 0;
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

/*
 * The stored text for s[0..len): $n replaced by the variables, wrapped in the
 * $= base template unless it starts with "=".  Returns 0, or -1 when the
 * result is longer than LISTFILE_TEXT_MAX.
 */
static int make_text(struct loader *ld, const char *s, size_t len, bool have_text,
		     uint32_t *text_r)
{
	struct buf out = BUF_INIT, own = BUF_INIT;
	const char *tmpl = s;
	size_t tlen = len;

	if (have_text && len > 0 && s[0] == '=' && ld->base != NULL) {
		tmpl = s + 1;
		tlen = len - 1;
	} else if (ld->base != NULL) {
		/* The entry's own text (or "$" without one) goes where "$=" is. */
		if (have_text)
			buf_append(&own, s, len);
		else
			buf_putc(&own, '$');
		tmpl = ld->base;
		tlen = strlen(ld->base);
	}
	for (size_t i = 0; i < tlen && out.len <= LISTFILE_TEXT_MAX; i++) {
		if (tmpl[i] == '$' && i + 1 < tlen) {
			char c = tmpl[i + 1];
			if (is_digit(c) || (c == '=' && tmpl == ld->base)) {
				const char *v = c == '=' ? buf_cstr(&own) : ld->vars[c - '0'];
				buf_puts(&out, v != NULL ? v : "");
				i++;
				continue;
			}
			if (c == '$') {
				buf_puts(&out, "$$");
				i++;
				continue;
			}
		}
		buf_putc(&out, tmpl[i]);
	}
	buf_free(&own);
	if (out.len > LISTFILE_TEXT_MAX) {
		buf_free(&out);
		return -1;
	}
	*text_r = text_intern(ld->list, buf_cstr(&out), out.len);
	buf_free(&out);
	return 0;
}

/* A "$..." special line. */
static int do_special(struct loader *ld, const char *s, size_t len)
{
	static const char *const ignored[] = { "SOA", "NS", "TIMESTAMP", "MAXRANGE4" };
	size_t w = 1;

	while (w < len && !is_space(s[w]))
		w++;
	size_t arg = w;
	while (arg < len && is_space(s[arg]))
		arg++;
	if (w == 2 && (is_digit(s[1]) || s[1] == '=')) {
		char **slot = s[1] == '=' ? &ld->base : &ld->vars[s[1] - '0'];
		if (len - arg > LISTFILE_TEXT_MAX)
			return bad_line(ld, "substitution text too long");
		free(*slot);
		*slot = xstrndup(s + arg, len - arg);
		return 0;
	}
	if (w == 4 && memcmp(s, "$TTL", 4) == 0) {
		if (parse_ttl(s + arg, len - arg, &ld->list->ttl) != 0)
			return bad_line(ld, "bad $TTL value");
		return 0;
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (w - 1 == strlen(ignored[i]) && memcmp(s + 1, ignored[i], w - 1) == 0)
			return 0;
	if (w == 8 && memcmp(s, "$DATASET", 8) == 0)
		return bad_line(ld, "combined datasets ($DATASET) are not supported");
	return bad_line(ld, "unknown special line");
}

/*
 * A value ":A:TXT", ":A:", ":A" or "TXT" (s[0..len), trimmed, not empty) into
 * a code and text; the defaults fill what is not given.
 */
static int parse_value(struct loader *ld, const char *s, size_t len, uint32_t *code_r,
		       uint32_t *text_r, const char **why_r)
{
	*code_r = ld->def_code;
	*text_r = ld->def_text;
	if (s[0] != ':')
		return make_text(ld, s, len, true, text_r) == 0 ? 0 : (*why_r = "text too long", -1);
	const char *colon = memchr(s + 1, ':', len - 1);
	size_t alen = colon != NULL ? (size_t)(colon - s - 1) : len - 1;
	if (alen > 0 && parse_code(s + 1, alen, code_r) != 0) {
		*why_r = "bad A value";
		return -1;
	}
	if (colon == NULL)
		return 0;
	size_t tlen = len - (size_t)(colon + 1 - s);
	if (tlen == 0 && ld->base == NULL) {
		*text_r = NO_TEXT;
		return 0;
	}
	if (make_text(ld, colon + 1, tlen, tlen > 0, text_r) != 0) {
		*why_r = "text too long";
		return -1;
	}
	return 0;
}

struct insert_ctx {
	struct loader *ld;
	uint32_t value;
	bool full;		/* the set refused a prefix: the list is too large */
};

static int insert_prefix(const addr_t *prefix, unsigned plen, void *vctx)
{
	struct insert_ctx *ctx = vctx;
	cidrset_t *set = ctx->ld->list->set;
	uint32_t old;

	/* On the very same prefix an exclusion beats a listing, in any order. */
	if (ctx->value != EXCLUDED && ctx->ld->exclusions > 0 &&
	    cidrset_find_exact(set, prefix, plen, &old) && old == EXCLUDED)
		return 0;
	if (cidrset_insert(set, prefix, plen, ctx->value) == CIDRSET_FULL) {
		ctx->full = true;
		return 1;	/* stops the split */
	}
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
	enum listfile_format fmt = ld->opts->format;
	size_t tok = 0;
	const char *why;
	addr_t first, last;

	while (tok < len && !is_space(s[tok]))
		tok++;
	bool v6 = memchr(s, ':', tok) != NULL;
	if (fmt == LISTFILE_IP4SET && v6)
		return bad_line(ld, "IPv6 entry in an ip4set list");
	if (fmt == LISTFILE_IP6TSET && !v6)
		return bad_line(ld, "IPv4 entry in an ip6tset list");
	int rc = v6 || fmt == LISTFILE_CIDR
			 ? parse_net(s, tok, fmt != LISTFILE_CIDR, &first, &last, &why)
			 : parse_ip4set(s, tok, &first, &last, &why);
	if (rc != 0)
		return bad_line(ld, why);

	size_t rest = tok;
	while (rest < len && is_space(s[rest]))
		rest++;
	uint32_t code = ld->def_code, text = ld->def_text;
	if (fmt == LISTFILE_CIDR) {
		if (rest < len && s[rest] != '#')
			return bad_line(ld, "text after the network");
		code = LISTFILE_DEFAULT_CODE;
		text = NO_TEXT;
	} else if (rest < len && s[rest] != '#' && s[rest] != ';' && !exclude) {
		if (parse_value(ld, s + rest, len - rest, &code, &text, &why) != 0)
			return bad_line(ld, why);
	} else if (ld->base != NULL && !exclude) {
		/* No own text: the base template with "$" for "$=". */
		if (make_text(ld, "", 0, false, &text) != 0)
			return bad_line(ld, "text too long");
	}

	struct insert_ctx ctx = { ld, EXCLUDED, false };
	if (exclude) {
		ld->exclusions++;
	} else if (code == ld->def_code && text == ld->def_text) {
		if (ld->def_pair == NO_PAIR)
			ld->def_pair = pair_add(ld->list, code, text);
		ctx.value = ld->def_pair;
	} else {
		ctx.value = pair_add(ld->list, code, text);
	}
	if (addr_range_split(&first, &last, insert_prefix, &ctx) < 0)
		return ctx.full ? too_large(ld) : bad_line(ld, "bad range");
	ld->list->entries++;
	return 0;
}

/* A ":A:TXT" default line. */
static int do_default(struct loader *ld, const char *s, size_t len)
{
	uint32_t code, text;
	const char *why;

	if (len == 1) {
		code = ld->def_code;
		text = ld->def_text;
	} else if (parse_value(ld, s, len, &code, &text, &why) != 0) {
		return bad_line(ld, why);
	}
	/* ":A" alone: the code, no text (there is no older default to keep). */
	if (memchr(s + 1, ':', len - 1) == NULL)
		text = NO_TEXT;
	ld->def_code = code;
	ld->def_text = text;
	ld->def_pair = NO_PAIR;
	return 0;
}

/* One line s[0..len), without its line end. */
static int do_line(struct loader *ld, const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > LISTFILE_LINE_MAX)
		return bad_line(ld, "line too long");
	if (memchr(s, '\0', len) != NULL)
		return bad_line(ld, "NUL byte in line");
	while (len > 0 && is_space(*s))
		s++, len--;
	while (len > 0 && (is_space(s[len - 1]) || s[len - 1] == '\r'))
		len--;
	if (len == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (ld->opts->format == LISTFILE_CIDR)
		return do_entry(ld, s, len, false);
	if (s[0] == '$')
		return do_special(ld, s, len);
	/* "::1" is an IPv6 entry, not a default with an empty A value. */
	if (s[0] == ':' && (len == 1 || s[1] != ':' || ld->opts->format == LISTFILE_IP4SET))
		return do_default(ld, s, len);
	if (s[0] == '!') {
		size_t skip = 1;
		while (skip < len && is_space(s[skip]))
			skip++;
		if (skip == len)
			return bad_line(ld, "empty exclusion");
		return do_entry(ld, s + skip, len - skip, true);
	}
	return do_entry(ld, s, len, false);
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
	}
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

/* Read path whole into out; -1 with *error_r set on failure. */
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

	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '$') {
			buf_putc(out, *p);
		} else if (p[1] == '$') {
			buf_putc(out, '$');
			p++;
		} else {
			buf_puts(out, addr_format(a, s));
		}
	}
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
