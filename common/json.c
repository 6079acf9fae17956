/* json - JSON string writing; see json.h. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "utf8.h"

void json_str(struct buf *out, const char *s)
{
	if (s == NULL) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned long cp;
		size_t n = *p >= 0x80 ? utf8_seq(p, strnlen((const char *)p, 4), &cp) : 1;
		if (n == 0) {
			buf_puts(out, "\\ufffd");	/* JSON is UTF-8 (RFC 8259): not this byte */
			continue;
		}
		if (n > 1) {
			buf_append(out, p, n);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(out, "\\u%04x", *p);
			else
				buf_putc(out, (char)*p);
		}
	}
	buf_putc(out, '"');
}

void json_key(struct buf *out, const char *key)
{
	if (out->len > 0 && out->data[out->len - 1] != '{' && out->data[out->len - 1] != '[')
		buf_putc(out, ',');
	json_str(out, key);
	buf_putc(out, ':');
}
