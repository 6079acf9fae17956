/*
 * mime - clean text, RFC 2047 headers, quoted-printable, base64.  See mime.h.
 */
#include "config.h"

#include <string.h>

#include "mime.h"
#include "utf8.h"

/* RFC 2047 encoded-word: "=?UTF-8?B?" + base64 of at most this many bytes
 * + "?=" is 64 characters, so "Subject: " and a word stay within 78. */
#define MIME_WORD_BYTES 39

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void mime_clean(struct buf *out, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	bool keep_lf = (flags & MIME_KEEP_LF) != 0;

	buf_reserve(out, len);
	for (size_t i = 0; i < len;) {
		size_t run = 0;
		while (i + run < len && p[i + run] >= 0x20 && p[i + run] < 0x7f)
			run++;
		if (run > 0) {
			buf_append(out, p + i, run);	/* printable ASCII: as it is, in one go */
			i += run;
			continue;
		}
		unsigned long cp;
		size_t n = utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			buf_puts(out, "\xef\xbf\xbd");	/* U+FFFD for each bad byte */
			i++;
			continue;
		}
		if (cp == '\r' && keep_lf && i + 1 < len && p[i + 1] == '\n') {
			i++;	/* CR LF: the LF follows */
			continue;
		}
		if ((cp == '\n' || cp == '\t') && keep_lf)
			buf_putc(out, (char)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			buf_putc(out, ' ');
		else
			buf_append(out, p + i, n);
		i += n;
	}
}

bool mime_is_7bit(const char *s, size_t len, bool lf)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' && lf) {
			col = 0;
			continue;
		}
		if ((c < 0x20 && !(c == '\t' && lf)) || c >= 0x7f || ++col > MIME_LINE_MAX)
			return false;
	}
	return true;
}

/* Printable ASCII, every word short enough to sit on one folded line. */
static bool header_plain(const char *v, size_t len, size_t room)
{
	size_t word = 0;

	if (!mime_is_7bit(v, len, false))
		return false;
	for (size_t i = 0; i < len; i++) {
		word = v[i] == ' ' ? 0 : word + 1;
		if (word > room)
			return false;
	}
	return true;
}

/* v folded at spaces: a line grows past MIME_FOLD_AT only for a long word. */
static void header_fold(struct buf *out, const char *v, size_t len, size_t col)
{
	size_t i = 0;

	while (i < len) {
		const char *sp = memchr(v + i, ' ', len - i);
		size_t wlen = (sp ? (size_t)(sp - v) : len) - i;
		if (i > 0) {
			/* the space before this word, or the fold that carries it */
			if (col + 1 + wlen > MIME_FOLD_AT && col > 1) {
				buf_putc(out, '\n');
				col = 0;
			}
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, v + i, wlen);
		col += wlen;
		i += wlen + (sp != NULL);
		if (sp != NULL && i == len) {
			buf_putc(out, ' ');	/* a trailing space */
			col++;
		}
	}
}

/* v as encoded-words of whole characters, one per line. */
static void header_encode(struct buf *out, const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i = 0;

	while (i < len) {
		size_t n = 0;
		unsigned long cp;
		while (i + n < len) {
			size_t step = utf8_seq(p + i + n, len - i - n, &cp);
			if (step == 0)
				step = 1;	/* not reached: v is clean */
			if (n + step > MIME_WORD_BYTES)
				break;
			n += step;
		}
		if (i > 0)
			buf_puts(out, "\n ");
		buf_puts(out, "=?UTF-8?B?");
		mime_base64(out, p + i, n, 0);
		buf_puts(out, "?=");
		i += n;
	}
}

void mime_header_text(struct buf *out, const char *name, const char *value)
{
	struct buf v = BUF_INIT;
	size_t lead = strlen(name) + 2;

	mime_clean(&v, value, strlen(value), 0);
	buf_printf(out, "%s: ", name);
	if (header_plain(v.data ? v.data : "", v.len, MIME_LINE_MAX - lead))
		header_fold(out, buf_cstr(&v), v.len, lead);
	else
		header_encode(out, buf_cstr(&v), v.len);
	buf_putc(out, '\n');
	buf_free(&v);
}

void mime_header_ascii(struct buf *out, const char *name, const char *value)
{
	size_t room = MIME_LINE_MAX - strlen(name) - 2;

	buf_printf(out, "%s: ", name);
	for (const unsigned char *p = (const unsigned char *)value; *p && room > 0; p++, room--)
		buf_putc(out, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
	buf_putc(out, '\n');
}

/* Whether a line starting at s looks like a header field ("Source-IP:"):
 * such a line in a text part could fool a parser that reads lines, not parts. */
static bool field_like(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	while (i < len && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			   (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
		i++;
	return i < len && s[i] == ':';
}

void mime_qp(struct buf *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char line[80];	/* one encoded line: at most 75 characters and a soft break */
	size_t col = 0;

	buf_reserve(out, len + len / 8);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			buf_append(out, line, col);
			buf_putc(out, '\n');
			col = 0;
			continue;
		}
		bool at_end = i + 1 == len || text[i + 1] == '\n';
		bool enc = (c < 0x20 && c != '\t') || c == '=' || c >= 0x7f || ((c == ' ' || c == '\t') && at_end);
		if (col + (enc ? 3 : 1) > 75) {
			buf_append(out, line, col);
			buf_puts(out, "=\n");	/* soft line break: lines of at most 76 */
			col = 0;
		}
		if (col == 0 && field_like(text + i, len - i))
			enc = true;	/* no encoded line starts like a header field */
		if (enc) {
			line[col++] = '=';
			line[col++] = hex[c >> 4];
			line[col++] = hex[c & 15];
		} else {
			line[col++] = (char)c;
		}
	}
	buf_append(out, line, col);
	if (len == 0 || text[len - 1] != '\n')
		buf_putc(out, '\n');
}

/* Whether a line of text looks like a header field. */
static bool has_field_line(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((i == 0 || text[i - 1] == '\n') && field_like(text + i, len - i))
			return true;
	return false;
}

void mime_body(struct buf *out, const char *text, size_t len)
{
	if (mime_is_7bit(text, len, true) && !has_field_line(text, len)) {
		buf_puts(out, "Content-Transfer-Encoding: 7bit\n\n");
		buf_append(out, text, len);
		if (len == 0 || text[len - 1] != '\n')
			buf_putc(out, '\n');
		return;
	}
	buf_puts(out, "Content-Transfer-Encoding: quoted-printable\n\n");
	mime_qp(out, text, len);
}

void mime_base64(struct buf *out, const void *data, size_t len, size_t line)
{
	const unsigned char *p = data;
	size_t col = 0;
	size_t chars = (len + 2) / 3 * 4;

	buf_reserve(out, chars + (line > 0 ? chars / line + 2 : 0));
	for (size_t i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		if (line > 0 && col + 4 > line) {
			out->data[out->len++] = '\n';
			col = 0;
		}
		char *q = out->data + out->len;	/* room reserved above */
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		out->len += 4;
		col += 4;
	}
	if (line > 0)
		out->data[out->len++] = '\n';
	out->data[out->len] = '\0';
}
