/* site - the postscreen DNSBL site syntax; see site.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "site.h"

/* The error texts; tests assert them word for word. */
#define E_EMPTY "site is empty"
#define E_TOO_LONG "site is too long"
#define E_ZONE_EMPTY "zone name is empty"
#define E_ZONE_LONG "zone name is longer than 253 bytes"
#define E_LABEL_EMPTY "zone name has an empty label"
#define E_LABEL_LONG "zone label is longer than 63 bytes"
#define E_ZONE_CHAR "zone name may hold only letters, digits, '-', '_' and '.'"
#define E_FILTER_EMPTY "filter is empty after '='"
#define E_FILTER_OCTETS "filter must have four octet patterns separated by '.'"
#define E_OCTET "filter octet must be a number 0..255, [a..b] or [a;b]"
#define E_OCTET_RANGE "filter octet value must be 0..255"
#define E_RANGE_ORDER "filter range [a..b] needs a <= b"
#define E_BRACKET "filter '[' needs items a or a..b separated by ';' and a closing ']'"
#define E_WEIGHT "weight must be an integer from -100000 to 100000"

/* One decimal octet value without leading zeros; advances *p.  -1 if none. */
static int parse_octet_number(const char **p, const char **error_r)
{
	const char *s = *p;
	unsigned v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n >= 3) {
			*error_r = E_OCTET_RANGE;
			return -1;
		}
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0')) {
		*error_r = E_OCTET;
		return -1;
	}
	if (v > 255) {
		*error_r = E_OCTET_RANGE;
		return -1;
	}
	*p = s + n;
	return (int)v;
}

static void set_bits(uint8_t map[32], int lo, int hi)
{
	for (int v = lo; v <= hi; v++)
		map[v >> 3] |= (uint8_t)(1u << (v & 7));
}

/* "a..b" or "a": one item inside brackets, or a whole bare octet (no range). */
static int parse_item(const char **p, uint8_t map[32], bool allow_range, const char **error_r)
{
	int lo = parse_octet_number(p, error_r), hi;

	if (lo < 0)
		return -1;
	hi = lo;
	if (allow_range && (*p)[0] == '.' && (*p)[1] == '.') {
		*p += 2;
		if ((hi = parse_octet_number(p, error_r)) < 0)
			return -1;
		if (hi < lo) {
			*error_r = E_RANGE_ORDER;
			return -1;
		}
	}
	set_bits(map, lo, hi);
	return 0;
}

/* One octet pattern: N, or [item;item;...]. */
static int parse_octet(const char **p, uint8_t map[32], const char **error_r)
{
	if (**p != '[')
		return parse_item(p, map, false, error_r);
	(*p)++;
	for (;;) {
		if (**p < '0' || **p > '9') {
			*error_r = E_BRACKET;
			return -1;
		}
		if (parse_item(p, map, true, error_r) != 0)
			return -1;
		if (**p == ']') {
			(*p)++;
			return 0;
		}
		if (**p != ';') {
			*error_r = E_BRACKET;
			return -1;
		}
		(*p)++;
	}
}

/* Parse the filter in s[0..len). */
static int parse_filter_n(const char *s, size_t len, struct site_filter *f, const char **error_r)
{
	char tmp[SITE_TEXT_MAX + 1];
	const char *p = tmp;

	memset(f, 0, sizeof(*f));
	if (len == 0) {
		*error_r = E_FILTER_EMPTY;
		return -1;
	}
	if (len > SITE_TEXT_MAX) {
		*error_r = E_TOO_LONG;
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != '.') {
				*error_r = *p == '\0' ? E_FILTER_OCTETS : E_OCTET;
				return -1;
			}
			p++;
		}
		if (parse_octet(&p, f->octet[i], error_r) != 0)
			return -1;
	}
	if (*p != '\0') {
		*error_r = *p == '.' ? E_FILTER_OCTETS : E_OCTET;
		return -1;
	}
	return 0;
}

int site_filter_parse(const char *spec, struct site_filter *filter_r, const char **error_r)
{
	return parse_filter_n(spec, strlen(spec), filter_r, error_r);
}

/* Check and copy the zone in s[0..len) lower-cased into out. */
static int parse_zone(const char *s, size_t len, char out[SITE_ZONE_MAX + 1], const char **error_r)
{
	size_t label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		*error_r = E_ZONE_EMPTY;
		return -1;
	}
	if (len > SITE_ZONE_MAX) {
		*error_r = E_ZONE_LONG;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0) {
				*error_r = E_LABEL_EMPTY;
				return -1;
			}
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > SITE_LABEL_MAX) {
				*error_r = E_LABEL_LONG;
				return -1;
			}
		} else {
			*error_r = E_ZONE_CHAR;
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0) {
		*error_r = E_LABEL_EMPTY;	/* "a..": one trailing dot only */
		return -1;
	}
	out[len] = '\0';
	return 0;
}

/* "*weight": an optional sign and decimal digits, within the limit. */
static int parse_weight(const char *s, int *weight_r, const char **error_r)
{
	const char *p = s;
	long v = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0') {
		*error_r = E_WEIGHT;
		return -1;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			*error_r = E_WEIGHT;
			return -1;
		}
		v = v * 10 + (*p - '0');
		if (v > SITE_WEIGHT_MAX) {
			*error_r = E_WEIGHT;
			return -1;
		}
	}
	*weight_r = neg ? (int)-v : (int)v;
	return 0;
}

int site_parse(const char *spec, struct site *site_r, const char **error_r)
{
	size_t len = strlen(spec);
	const char *star, *eq, *end;

	memset(site_r, 0, sizeof(*site_r));
	site_r->weight = 1;
	site_r->filter.any = true;
	if (len == 0) {
		*error_r = E_EMPTY;
		return -1;
	}
	if (len > SITE_TEXT_MAX) {
		*error_r = E_TOO_LONG;
		return -1;
	}
	memcpy(site_r->text, spec, len + 1);
	/* Neither zones nor filters hold '*' or '=': split on the first of each. */
	star = strchr(spec, '*');
	end = star ? star : spec + len;
	eq = memchr(spec, '=', (size_t)(end - spec));
	if (parse_zone(spec, (size_t)((eq ? eq : end) - spec), site_r->zone, error_r) != 0)
		return -1;
	if (eq != NULL) {
		site_r->filter.any = false;
		if (parse_filter_n(eq + 1, (size_t)(end - eq - 1), &site_r->filter, error_r) != 0)
			return -1;
	}
	if (star != NULL && parse_weight(star + 1, &site_r->weight, error_r) != 0)
		return -1;
	return 0;
}

static bool bit(const uint8_t map[32], int v)
{
	return (map[v >> 3] >> (v & 7)) & 1u;
}

/* One octet: "N" when one value, else "[a;b..c]" with maximal runs. */
static void format_octet(const uint8_t map[32], struct buf *out)
{
	int runs = 0, first = -1;

	for (int v = 0; v < 256; v++) {
		if (bit(map, v) && (v == 0 || !bit(map, v - 1))) {
			runs++;
			if (first < 0)
				first = v;
		}
	}
	if (runs == 1 && (first == 255 || !bit(map, first + 1))) {
		buf_printf(out, "%d", first);
		return;
	}
	buf_putc(out, '[');
	for (int v = 0, n = 0; v < 256; v++) {
		if (!bit(map, v) || (v > 0 && bit(map, v - 1)))
			continue;
		int hi = v;
		while (hi < 255 && bit(map, hi + 1))
			hi++;
		buf_printf(out, n++ ? ";%d" : "%d", v);
		if (hi > v)
			buf_printf(out, "..%d", hi);
	}
	buf_putc(out, ']');
}

void site_filter_format(const struct site_filter *f, struct buf *out)
{
	if (f->any)
		return;
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			buf_putc(out, '.');
		format_octet(f->octet[i], out);
	}
}

void site_format(const struct site *site, struct buf *out)
{
	buf_puts(out, site->zone);
	if (!site->filter.any) {
		buf_putc(out, '=');
		site_filter_format(&site->filter, out);
	}
	if (site->weight != 1)
		buf_printf(out, "*%d", site->weight);
}

bool site_filter_equal(const struct site_filter *a, const struct site_filter *b)
{
	if (a->any || b->any)
		return a->any == b->any;
	return memcmp(a->octet, b->octet, sizeof(a->octet)) == 0;
}

bool site_filter_match(const struct site_filter *f, uint32_t code)
{
	if (f->any)
		return true;
	for (int i = 0; i < 4; i++) {
		if (!bit(f->octet[i], (int)((code >> (24 - 8 * i)) & 0xff)))
			return false;
	}
	return true;
}
