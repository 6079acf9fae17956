/*
 * report_event - the event codec of common/report (see report.h): fields
 * for the Redis Stream, the journal line, and building an event from the
 * engine's input.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mem.h"
#include "report.h"

static const char hexdigits[] = "0123456789ABCDEF";

/* Append s percent-encoded: one printable token without '=', '%' or space. */
static void encode(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%' || *p == '=') {
			buf_putc(out, '%');
			buf_putc(out, hexdigits[*p >> 4]);
			buf_putc(out, hexdigits[*p & 15]);
		} else {
			buf_putc(out, (char)*p);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode v[0..len) into dst[size]; -1 on a bad escape, a NUL, or overflow. */
static int decode(const char *v, size_t len, char *dst, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)v[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int hi = hexval(v[i + 1]), lo = hexval(v[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c <= ' ' || c >= 0x7f || c == '=') {
			return -1;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

static void format_lists(const struct report_event *ev, struct buf *out)
{
	for (size_t i = 0; i < ev->n_lists; i++) {
		uint32_t c = ev->lists[i].code;
		char code[16];
		snprintf(code, sizeof(code), "%u.%u.%u.%u", c >> 24, (c >> 16) & 255, (c >> 8) & 255,
			 c & 255);
		if (i > 0)
			buf_putc(out, ' ');
		buf_puts(out, ev->lists[i].name);	/* zone syntax: nothing to escape */
		buf_putc(out, '=');
		buf_puts(out, code);
	}
}

size_t report_event_fields(const struct report_event *ev, const char *keys_r[REPORT_FIELDS_MAX],
			   struct buf vals[REPORT_FIELDS_MAX])
{
	char addr[ADDR_STRLEN];
	struct buf lists = BUF_INIT;
	size_t n = 0;

	keys_r[n] = "id";
	encode(&vals[n++], ev->id);
	keys_r[n] = "t";
	buf_printf(&vals[n++], "%lld", ev->time);
	keys_r[n] = "client";
	buf_puts(&vals[n++], addr_format(&ev->client, addr));
	keys_r[n] = "helo";
	encode(&vals[n++], ev->helo);
	keys_r[n] = "host";
	encode(&vals[n++], ev->host);
	keys_r[n] = "score";
	buf_printf(&vals[n++], "%d", ev->score);
	keys_r[n] = "action";
	encode(&vals[n++], ev->action);
	keys_r[n] = "lists";
	format_lists(ev, &lists);
	encode(&vals[n++], buf_cstr(&lists));
	buf_free(&lists);
	if (ev->domain[0] != '\0') {
		keys_r[n] = "domain";
		encode(&vals[n++], ev->domain);
	}
	bool texts = false;
	for (size_t i = 0; i < ev->n_lists; i++)
		texts = texts || ev->lists[i].text[0] != '\0';
	if (texts) {
		struct buf t = BUF_INIT;
		for (size_t i = 0; i < ev->n_lists; i++) {
			if (i > 0)
				buf_putc(&t, '\t');
			buf_puts(&t, ev->lists[i].text);	/* no TAB in it: see report_event_build */
		}
		keys_r[n] = "txt";
		encode(&vals[n++], buf_cstr(&t));
		buf_free(&t);
	}
	return n;
}

/* "name=a.b.c.d name2=..." (decoded) into ev->lists. */
static int parse_lists(struct report_event *ev, const char *s)
{
	ev->n_lists = 0;
	while (*s) {
		const char *end = strchr(s, ' ');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		unsigned a, b, c, d;
		char tail;
		if (eq == NULL || eq == s || (size_t)(eq - s) > SITE_ZONE_MAX ||
		    ev->n_lists >= REPORT_LISTS_MAX)
			return -1;
		char code[24];
		size_t clen = len - (size_t)(eq + 1 - s);
		if (clen >= sizeof(code))
			return -1;
		memcpy(code, eq + 1, clen);
		code[clen] = '\0';
		if (sscanf(code, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
		    c > 255 || d > 255)
			return -1;
		struct report_list *l = &ev->lists[ev->n_lists++];
		memcpy(l->name, s, (size_t)(eq - s));
		l->name[eq - s] = '\0';
		l->code = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
		s += len;
		if (*s == ' ')
			s++;
	}
	return 0;
}

static int parse_ll(const char *s, long long min, long long max, long long *v_r)
{
	char *end;

	if (*s == '\0')
		return -1;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*v_r = v;
	return 0;
}

/* "text TAB text ..." (decoded) into the lists' texts, in order. */
static int parse_texts(struct report_event *ev, const char *val, size_t vlen)
{
	char tmp[REPORT_LISTS_MAX * (REPORT_TEXT_MAX + 1)];

	if (decode(val, vlen, tmp, sizeof(tmp)) != 0)
		return -1;
	const char *s = tmp;
	for (size_t i = 0; i < REPORT_LISTS_MAX; i++) {
		size_t len = strcspn(s, "\t");
		if (len > REPORT_TEXT_MAX)
			len = REPORT_TEXT_MAX;	/* cut, as report_event_build does */
		memcpy(ev->lists[i].text, s, len);
		ev->lists[i].text[len] = '\0';
		s += strcspn(s, "\t");
		if (*s == '\0')
			break;
		s++;
	}
	return 0;
}

int report_event_set(struct report_event *ev, const char *key, size_t klen, const char *val,
		     size_t vlen)
{
	char tmp[SITE_ZONE_MAX * REPORT_LISTS_MAX + 64 * REPORT_LISTS_MAX];
	long long v;

#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	if (KEY_IS("id"))
		return decode(val, vlen, ev->id, sizeof(ev->id));
	if (KEY_IS("helo"))
		return decode(val, vlen, ev->helo, sizeof(ev->helo));
	if (KEY_IS("host"))
		return decode(val, vlen, ev->host, sizeof(ev->host));
	if (KEY_IS("domain"))
		return decode(val, vlen, ev->domain, sizeof(ev->domain));
	if (KEY_IS("action"))
		return decode(val, vlen, ev->action, sizeof(ev->action));
	if (KEY_IS("txt"))
		return parse_texts(ev, val, vlen);
	if (decode(val, vlen, tmp, sizeof(tmp)) != 0)
		return -1;
	if (KEY_IS("t")) {
		if (parse_ll(tmp, 0, 1LL << 40, &v) != 0)
			return -1;
		ev->time = v;
		return 0;
	}
	if (KEY_IS("score")) {
		if (parse_ll(tmp, -1000000000, 1000000000, &v) != 0)
			return -1;
		ev->score = (int)v;
		return 0;
	}
	if (KEY_IS("client"))
		return addr_parse(tmp, &ev->client);
	if (KEY_IS("lists"))
		return parse_lists(ev, tmp);
#undef KEY_IS
	return 0;	/* a field of a later version */
}

int report_event_check(const struct report_event *ev, const char **error_r)
{
	if (ev->id[0] == '\0') {
		*error_r = "event without an id";
		return -1;
	}
	if (ev->time <= 0) {
		*error_r = "event without a time";
		return -1;
	}
	if (ev->client.family != AF_INET && ev->client.family != AF_INET6) {
		*error_r = "event without a client address";
		return -1;
	}
	return 0;
}

void report_event_format(const struct report_event *ev, struct buf *out)
{
	const char *keys[REPORT_FIELDS_MAX];
	struct buf vals[REPORT_FIELDS_MAX];

	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_init(&vals[i]);
	size_t n = report_event_fields(ev, keys, vals);
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s%s=%s", i ? "\t" : "", keys[i], buf_cstr(&vals[i]));
	}
	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_free(&vals[i]);
}

int report_event_parse(const char *line, size_t len, struct report_event *ev_r, const char **error_r)
{
	size_t pos = 0;

	memset(ev_r, 0, sizeof(*ev_r));
	while (pos < len) {
		const char *f = line + pos;
		const char *tab = memchr(f, '\t', len - pos);
		size_t flen = tab ? (size_t)(tab - f) : len - pos;
		const char *eq = memchr(f, '=', flen);
		if (eq == NULL) {
			*error_r = "field without '='";
			return -1;
		}
		if (report_event_set(ev_r, f, (size_t)(eq - f), eq + 1, flen - (size_t)(eq + 1 - f)) != 0) {
			*error_r = "bad field value";
			return -1;
		}
		pos += flen + 1;
	}
	return report_event_check(ev_r, error_r);
}

/* Copy s cut to size-1 bytes, dropping control bytes (they are not names). */
static void copy_name(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s && o + 1 < size; s++)
		dst[o++] = (unsigned char)*s < ' ' ? '?' : *s;
	dst[o] = '\0';
}

static void sender_domain(char *dst, size_t size, const char *sender)
{
	const char *at = sender ? strrchr(sender, '@') : NULL;

	dst[0] = '\0';
	if (at == NULL)
		return;
	copy_name(dst, size, at + 1);
	size_t len = strlen(dst);
	if (len > 0 && dst[len - 1] == '>')
		dst[len - 1] = '\0';
	for (char *p = dst; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
}

void report_event_build(struct report_event *ev, const struct report_event_in *in, const char *host,
			bool with_domain)
{
	static _Atomic unsigned seq;	/* engines may run on several threads */
	struct timeval tv;

	memset(ev, 0, sizeof(*ev));
	gettimeofday(&tv, NULL);
	ev->time = (long long)tv.tv_sec;
	unsigned long long ms = (unsigned long long)tv.tv_sec * 1000u + (unsigned long long)tv.tv_usec / 1000u;
	snprintf(ev->id, sizeof(ev->id), "%llx.%lx.%x@%.80s", ms, (long)getpid(), atomic_fetch_add(&seq, 1u) + 1u, host);
	ev->client = *in->client;
	copy_name(ev->helo, sizeof(ev->helo), in->helo);
	copy_name(ev->host, sizeof(ev->host), host);
	copy_name(ev->action, sizeof(ev->action), in->action);
	if (with_domain)
		sender_domain(ev->domain, sizeof(ev->domain), in->sender);
	ev->score = in->score;
	for (size_t i = 0; i < in->n_lists && ev->n_lists < REPORT_LISTS_MAX; i++) {
		struct report_list *l = &ev->lists[ev->n_lists];
		if (in->lists[i] == NULL || in->lists[i][0] == '\0')
			continue;
		/* A list name goes out as one token of the lists field. */
		copy_name(l->name, sizeof(l->name), in->lists[i]);
		for (char *p = l->name; *p; p++)
			if (*p == ' ' || *p == '=' || *p == '%')
				*p = '_';
		l->code = in->codes[i];
		/* control bytes (TAB, the separator, included) become '?' */
		copy_name(l->text, sizeof(l->text), in->texts != NULL ? in->texts[i] : NULL);
		ev->n_lists++;
	}
}
