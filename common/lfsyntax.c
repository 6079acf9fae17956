/*
 * lfsyntax - rbldnsd dataset line syntax: addresses, values, TXT templates.
 *
 * The rules are rbldnsd's, quirks included (a one-octet A value is
 * 127.0.0.n but a two-octet one is a.0.0.b), because a list file must mean
 * the same thing to relayguard and to rbldnsd.  See lfsyntax.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lfsyntax.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Longest TTL accepted, in seconds (what a DNS TTL can hold). */
#define LFSYNTAX_TTL_MAX 2147483647ul

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static uint32_t mask4(unsigned bits)
{
	return bits == 0 ? 0 : 0xffffffffu << (32 - bits);
}

bool lfsyntax_addr_end(const char *s, size_t len)
{
	return len == 0 || is_blank(s[0]) || s[0] == '#' || s[0] == ';' || s[0] == ':';
}

/* 1..4 octets from s[*i]: the prefix bits (8..32) or -1; *a_r holds them at the top. */
static int ip4_prefix(const char *s, size_t len, size_t *i, uint32_t *a_r)
{
	uint32_t a = 0;
	int n = 0;

	for (;;) {
		unsigned o = 0;
		if (*i >= len || !is_digit(s[*i]))
			return -1;
		while (*i < len && is_digit(s[*i])) {
			o = o * 10 + (unsigned)(s[(*i)++] - '0');
			if (o > 255)
				return -1;
		}
		a |= (uint32_t)o << (24 - 8 * n);
		n++;
		if (n == 4 || *i >= len || s[*i] != '.')
			break;
		(*i)++;
	}
	*a_r = a;
	return 8 * n;
}

/* "/bits" digits at s[*i] (after the "/"): 0..max or -1. */
static int prefix_len(const char *s, size_t len, size_t *i, int max)
{
	int bits = 0;

	if (*i >= len || !is_digit(s[*i]))
		return -1;
	while (*i < len && is_digit(s[*i])) {
		bits = bits * 10 + (s[(*i)++] - '0');
		if (bits > max)
			return -1;
	}
	return bits;
}

/* "a-b" after a (bits of a), at s[*i] just past the "-". */
static int ip4_range_end(const char *s, size_t len, size_t *i, int bits, uint32_t a,
			 uint32_t *b_r)
{
	uint32_t b;
	int bbits = ip4_prefix(s, len, i, &b);

	if (bbits < 0)
		return -1;
	if (bbits == 8) {
		/* "127.16-31": the end replaces the last octet given at the start. */
		b = (b >> (bits - 8)) | (a & mask4((unsigned)bits - 8));
		bbits = bits;
	} else if (bbits != bits) {
		return -1;
	}
	b |= ~mask4((unsigned)bbits);
	if (a > b)
		return -1;
	*b_r = b;
	return 0;
}

int lfsyntax_ip4(const char *s, size_t len, bool ranges, size_t *used_r, uint32_t *first_r,
		 uint32_t *last_r, unsigned *bits_r, const char **why_r)
{
	size_t i = 0;
	uint32_t a, b;
	int bits = ip4_prefix(s, len, &i, &a);

	*why_r = "invalid address";
	if (bits < 0)
		return -1;
	if (ranges && i < len && s[i] == '-') {
		i++;
		if (ip4_range_end(s, len, &i, bits, a, &b) != 0)
			return -1;
		bits = 32;
	} else {
		if (i < len && s[i] == '/') {
			i++;
			bits = prefix_len(s, len, &i, 32);
			if (bits < 0)
				return -1;
		} else if (bits == 8) {
			return -1;	/* a bare number: "10/8" is meant */
		}
		if (ranges && bits == 0)
			return -1;	/* ip4set has no /0 */
		if ((a & ~mask4((unsigned)bits)) != 0) {
			*why_r = "invalid range (non-zero host part)";
			return -1;
		}
		b = a | ~mask4((unsigned)bits);
	}
	if (!lfsyntax_addr_end(s + i, len - i))
		return -1;
	*used_r = i;
	*first_r = a;
	*last_r = b;
	*bits_r = (unsigned)bits;
	return 0;
}

/* ip6addr.c's ip6prefix(): the prefix bits or -1; *i is left where it stopped. */
static int ip6_prefix(const char *s, size_t len, size_t *i, uint8_t ap[16])
{
	unsigned bytes = 0;
	int zstart = -1, ret = -1;

	memset(ap, 0, 16);
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		zstart = 0;
		*i = 2;
	}
	for (;;) {
		unsigned v = 0;
		size_t start = *i;
		int h;
		while (*i < len && (h = hex_value(s[*i])) >= 0) {
			v = (v << 4) + (unsigned)h;
			if (v > 0xffff)
				break;
			(*i)++;
		}
		if (start == *i || v > 0xffff)
			break;
		ap[bytes++] = (uint8_t)(v >> 8);
		ap[bytes++] = (uint8_t)v;
		if (*i >= len || s[*i] != ':' || bytes + 2 > 16) {
			ret = (int)bytes * 8;
			break;
		}
		(*i)++;
		if (zstart < 0 && *i < len && s[*i] == ':') {
			zstart = (int)bytes;
			(*i)++;
		}
	}
	if (zstart >= 0) {
		unsigned nzeros = 16 - bytes;
		if (nzeros == 0)
			return -1;
		memmove(ap + zstart + nzeros, ap + zstart, bytes - (unsigned)zstart);
		memset(ap + zstart, 0, nzeros);
		ret = 128;
	}
	return ret;
}

/* Are bits past plen set in a[16]? */
static bool ip6_host_bits(const uint8_t a[16], unsigned plen)
{
	for (unsigned i = plen; i < 128; i++)
		if (a[i >> 3] & (0x80 >> (i & 7)))
			return true;
	return false;
}

int lfsyntax_ip6(const char *s, size_t len, bool cidr, size_t *used_r, uint8_t addr[16],
		 unsigned *bits_r, const char **why_r)
{
	size_t i = 0;
	int bits = ip6_prefix(s, len, &i, addr);

	*why_r = "invalid address";
	if (bits < 0)
		return -1;
	if (cidr) {
		if (i < len && s[i] == '/') {
			i++;
			bits = prefix_len(s, len, &i, 128);
			if (bits < 0)
				return -1;
		} else if (bits == 16) {
			return -1;	/* a bare number */
		}
	}
	if (!lfsyntax_addr_end(s + i, len - i))
		return -1;
	if (ip6_host_bits(addr, (unsigned)bits)) {
		*why_r = "invalid range (non-zero host part)";
		return -1;
	}
	*used_r = i;
	*bits_r = (unsigned)bits;
	return 0;
}

/* The A of ":A" at s[*i]: rbldnsd's ip4addr() reading; 0 or -1. */
static int value_code(const char *s, size_t len, size_t *i, uint32_t *code_r)
{
	uint32_t a;
	int bits = ip4_prefix(s, len, i, &a);

	switch (bits) {
	case 8:
		a >>= 24;
		break;
	case 16:
		a = (a & 0xff000000u) | ((a >> 16) & 255);
		break;
	case 24:
		a = (a & 0xffff0000u) | ((a >> 8) & 255);
		break;
	case 32:
		break;
	default:
		return -1;
	}
	if (a == 0)
		return -1;
	if (bits == 8)
		a |= 0x7f000000u;	/* only the last octet of 127.0.0.x */
	*code_r = a;
	return 0;
}

int lfsyntax_value(const char *s, size_t len, enum lfsyntax_value_kind *kind_r, uint32_t *code_r,
		   size_t *text_off_r, size_t *text_len_r, const char **why_r)
{
	size_t i = 0;

	*kind_r = LFSYNTAX_TEXT;
	if (len > 0 && s[0] == ':') {
		i = 1;
		if (value_code(s, len, &i, code_r) != 0) {
			*why_r = "invalid A RR";
			return -1;
		}
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len) {
			*kind_r = LFSYNTAX_CODE;
			*text_off_r = *text_len_r = 0;
			return 0;
		}
		if (s[i] != ':') {
			*why_r = "unrecognized value for an entry";
			return -1;
		}
		i++;
		while (i < len && is_blank(s[i]))
			i++;
		*kind_r = LFSYNTAX_CODE_TEXT;
	}
	*text_off_r = i;
	*text_len_r = len - i > LFSYNTAX_TEMPLATE_MAX ? LFSYNTAX_TEMPLATE_MAX : len - i;
	return 0;
}

/* Append s taken literally (each "$" doubled); *min_r counts bytes out. */
static void put_literal(struct buf *out, const char *s, size_t *min_r)
{
	for (; *s != '\0' && *min_r < LFSYNTAX_TXT_MAX; s++, (*min_r)++) {
		if (*s == '$')
			buf_putc(out, '$');
		buf_putc(out, *s);
	}
}

void lfsyntax_flatten(const char *raw, char *const vars[10], const char *base, struct buf *out)
{
	const char *txt = raw, *own = raw;
	size_t min = 0;		/* the least the template expands to */

	if (raw[0] == '=') {
		own = txt = raw + 1;
	} else if (base != NULL && base[0] != '\0') {
		own = raw[0] != '\0' ? raw : NULL;	/* NULL: the queried address */
		txt = base;
	}
	for (const char *p = txt; *p != '\0' && min < LFSYNTAX_TXT_MAX; p++) {
		if (*p != '$') {
			buf_putc(out, *p);
			min++;
			continue;
		}
		char c = p[1];
		if (c == '$') {
			buf_puts(out, "$$");
			min++;
			p++;
		} else if (is_digit(c)) {
			if (vars[c - '0'] != NULL) {
				put_literal(out, vars[c - '0'], &min);
			} else {
				buf_putc(out, '$');
				buf_putc(out, '$');
				buf_putc(out, c);
				min += 2;
			}
			p++;
		} else if (c == '=') {
			if (own != NULL) {
				put_literal(out, own, &min);
			} else {
				buf_putc(out, '$');
				min++;
			}
			p++;
		} else {
			buf_putc(out, '$');	/* the address; c is read next */
			min++;
		}
	}
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

int lfsyntax_ttl(const char *s, size_t len, unsigned *ttl_r)
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
		if (parse_uint(s + start, i - start, LFSYNTAX_TTL_MAX, &v) != 0)
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
		if (v > (LFSYNTAX_TTL_MAX - total) / mult)
			return -1;
		total += v * mult;
	}
	*ttl_r = (unsigned)total;
	return 0;
}

int lfsyntax_maxrange(const char *s, size_t len, uint32_t *addrs_r)
{
	bool cidr = len > 0 && s[0] == '/';
	unsigned long r;

	if (parse_uint(s + cidr, len - cidr, cidr ? 32 : 0xffffffffu, &r) != 0 || r == 0)
		return -1;
	/* "/n": the addresses of a /n (2^32 for /0 wraps to 0: no limit). */
	*addrs_r = cidr ? (uint32_t)(~mask4((unsigned)r) + 1u) : (uint32_t)r;
	return 0;
}

/* "KEYWORD blank...": true and *arg_r at the argument (case ignored). */
static bool keyword(const char *s, size_t len, const char *kw, size_t *arg_r)
{
	size_t n = strlen(kw);

	if (len <= n || strncasecmp(s, kw, n) != 0 || !is_blank(s[n]))
		return false;
	while (n < len && is_blank(s[n]))
		n++;
	*arg_r = n;
	return true;
}

enum lfsyntax_special lfsyntax_special(const char *s, size_t len, size_t *arg_r)
{
	static const char *const ignored[] = { "SOA", "NS", "NAMESERVER", "TIMESTAMP" };

	if (len >= 2 && (is_digit(s[0]) || s[0] == '=') && is_blank(s[1])) {
		for (*arg_r = 2; *arg_r < len && is_blank(s[*arg_r]);)
			(*arg_r)++;
		return LFSYNTAX_SPECIAL_VAR;
	}
	if (keyword(s, len, "TTL", arg_r))
		return LFSYNTAX_SPECIAL_TTL;
	if (keyword(s, len, "MAXRANGE4", arg_r))
		return LFSYNTAX_SPECIAL_MAXRANGE4;
	if (keyword(s, len, "DATASET", arg_r))
		return LFSYNTAX_SPECIAL_DATASET;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (keyword(s, len, ignored[i], arg_r))
			return LFSYNTAX_SPECIAL_IGNORED;
	return LFSYNTAX_SPECIAL_UNKNOWN;
}

/* ---- Spamhaus JSON DROP lines ------------------------------------------- */

struct jcur {
	const char *s;
	size_t len, i;
};

static void j_blank(struct jcur *c)
{
	while (c->i < c->len && (is_blank(c->s[c->i]) || c->s[c->i] == '\r'))
		c->i++;
}

static bool j_eat(struct jcur *c, char ch)
{
	j_blank(c);
	if (c->i < c->len && c->s[c->i] == ch) {
		c->i++;
		return true;
	}
	return false;
}

/*
 * A JSON string at the cursor into out[size] (NULL: skipped); 0 or -1.  A
 * value too long for out is an error, unless long_ok: then out is "".
 */
static int j_string(struct jcur *c, char *out, size_t size, bool long_ok)
{
	size_t n = 0;
	bool too_long = false;

	if (!j_eat(c, '"'))
		return -1;
	while (c->i < c->len && c->s[c->i] != '"') {
		char ch = c->s[c->i++];
		if ((unsigned char)ch < 0x20)
			return -1;
		if (ch == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e = c->i < c->len ? memchr(from, c->s[c->i], sizeof(from) - 1) : NULL;
			if (e != NULL) {
				ch = to[e - from];
				c->i++;
			} else if (c->i + 4 < c->len && c->s[c->i] == 'u') {
				ch = '?';	/* names and SBL ids are ASCII */
				for (int k = 1; k <= 4; k++)
					if (hex_value(c->s[c->i + (size_t)k]) < 0)
						return -1;
				c->i += 5;
			} else {
				return -1;
			}
		}
		if (out != NULL && !too_long) {
			if (n + 1 >= size) {
				if (!long_ok)
					return -1;
				too_long = true;
				n = 0;
			} else {
				out[n++] = ch;
			}
		}
	}
	if (c->i >= c->len)
		return -1;
	c->i++;
	if (out != NULL)
		out[n] = '\0';
	return 0;
}

/* A number or true/false/null: skipped; 0 or -1. */
static int j_scalar(struct jcur *c)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t start = c->i;

	for (size_t w = 0; w < 3; w++) {
		size_t n = strlen(words[w]);
		if (c->len - c->i >= n && memcmp(c->s + c->i, words[w], n) == 0) {
			c->i += n;
			return 0;
		}
	}
	while (c->i < c->len && (is_digit(c->s[c->i]) || strchr("+-.eE", c->s[c->i]) != NULL))
		c->i++;
	return c->i > start ? 0 : -1;
}

int lfsyntax_json_drop(const char *s, size_t len, char *cidr, size_t cidr_size, char *sblid,
		       size_t sblid_size)
{
	struct jcur c = { s, len, 0 };
	char key[16];

	cidr[0] = sblid[0] = '\0';
	if (!j_eat(&c, '{'))
		return -1;
	if (!j_eat(&c, '}')) {
		do {
			if (j_string(&c, key, sizeof(key), true) != 0)
				return -1;
			if (!j_eat(&c, ':'))
				return -1;
			j_blank(&c);
			bool str = c.i < c.len && c.s[c.i] == '"';
			char *out = !str ? NULL : strcmp(key, "cidr") == 0 ? cidr
					   : strcmp(key, "sblid") == 0 ? sblid : NULL;
			size_t size = out == cidr ? cidr_size : sblid_size;
			if (str ? j_string(&c, out, size, false) != 0 : j_scalar(&c) != 0)
				return -1;
		} while (j_eat(&c, ','));
		if (!j_eat(&c, '}'))
			return -1;
	}
	j_blank(&c);
	return c.i == c.len ? 0 : -1;
}
