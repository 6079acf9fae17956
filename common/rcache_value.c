/*
 * rcache_value - the value codec of the Redis cache: "N", "E",
 * "L<a.b.c.d>[ <txt>]" (doc/redis-schema.md).  Pure functions over
 * untrusted bytes; see rcache.h for the contract.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rcache.h"


/* A strict dotted quad "a.b.c.d" (no leading zeros) at v[*pos..len). */
static int parse_quad(const char *v, size_t len, size_t *pos, uint32_t *code_r)
{
	uint32_t code = 0;
	size_t p = *pos;

	for (int i = 0; i < 4; i++) {
		unsigned octet = 0, digits = 0;
		if (i > 0) {
			if (p >= len || v[p] != '.')
				return -1;
			p++;
		}
		while (p < len && v[p] >= '0' && v[p] <= '9' && digits < 4) {
			octet = octet * 10 + (unsigned)(v[p] - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || octet > 255 || (digits > 1 && v[p - digits] == '0'))
			return -1;
		code = code << 8 | octet;
	}
	*pos = p;
	*code_r = code;
	return 0;
}

static bool txt_byte_ok(unsigned char c)
{
	return c >= 0x20 && c != 0x7f;
}

int rcache_value_parse(const char *v, size_t len, struct rcache_entry *e_r, size_t *txt_len_r)
{
	struct rcache_entry e = { RCACHE_MISS, 0, NULL };
	size_t pos = 1, txt_len = 0;

	if (len == 0 || len > RCACHE_VALUE_MAX)
		return -1;
	if (v[0] == 'N' || v[0] == 'E') {
		if (len != 1)
			return -1;
		e.state = v[0] == 'N' ? RCACHE_NOT_LISTED : RCACHE_ERROR_ENTRY;
	} else if (v[0] == 'L') {
		if (parse_quad(v, len, &pos, &e.code) != 0)
			return -1;
		if (pos < len) {
			if (v[pos] != ' ' || pos + 1 == len || len - pos - 1 > RCACHE_TXT_MAX)
				return -1;
			for (size_t i = pos + 1; i < len; i++)
				if (!txt_byte_ok((unsigned char)v[i]))
					return -1;
			e.txt = v + pos + 1;
			txt_len = len - pos - 1;
		}
		e.state = RCACHE_LISTED;
	} else {
		return -1;
	}
	*e_r = e;
	*txt_len_r = txt_len;
	return 0;
}

int rcache_value_format(const struct rcache_entry *e, struct buf *out)
{
	switch (e->state) {
	case RCACHE_NOT_LISTED:
		buf_putc(out, 'N');
		return 0;
	case RCACHE_ERROR_ENTRY:
		buf_putc(out, 'E');
		return 0;
	case RCACHE_LISTED:
		buf_printf(out, "L%u.%u.%u.%u", e->code >> 24, (e->code >> 16) & 0xff,
			   (e->code >> 8) & 0xff, e->code & 0xff);
		if (e->txt != NULL && e->txt[0] != '\0') {
			buf_putc(out, ' ');
			/* What we write must read back: cut and clean it here. */
			for (size_t i = 0; e->txt[i] != '\0' && i < RCACHE_TXT_MAX; i++)
				buf_putc(out, txt_byte_ok((unsigned char)e->txt[i]) ? e->txt[i] : '?');
		}
		return 0;
	case RCACHE_MISS:
		break;
	}
	return -1;
}

