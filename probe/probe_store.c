/*
 * probe_store - result files; see probe_store.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe_net.h"
#include "probe_store.h"

static const char magic[] = "relayguard-probe 1";

/* Detail texts are one line: a newline would end the header. */
static void put_line(struct buf *out, const char *key, const char *value)
{
	buf_printf(out, "%s ", key);
	for (const char *p = value; *p; p++)
		buf_putc(out, *p == '\n' || *p == '\r' ? ' ' : *p);
	buf_putc(out, '\n');
}

void probe_store_format(const struct probe_result *r, struct buf *out)
{
	char a[ADDR_STRLEN];

	buf_printf(out, "%s\n", magic);
	put_line(out, "address", addr_format(&r->addr, a));
	buf_printf(out, "time %lld\n", (long long)r->when);
	put_line(out, "mode", r->deliver_mode ? "deliver" : "rcpt");
	put_line(out, "relay", probe_verdict_name(r->relay));
	put_line(out, "relay_detail", r->relay_detail);
	put_line(out, "proxy", probe_verdict_name(r->proxy));
	put_line(out, "proxy_detail", r->proxy_detail);
	buf_putc(out, '\n');
	buf_append(out, r->transcript.data != NULL ? r->transcript.data : "", r->transcript.len);
}

/* One "key value" header line; 0, or -1 for a bad value of a known key. */
static int header(const char *key, size_t klen, const char *val, size_t vlen, struct probe_result *r,
		  unsigned *have)
{
	char v[256];
	enum probe_verdict verdict;

	if (vlen >= sizeof(v))
		vlen = sizeof(v) - 1;
	memcpy(v, val, vlen);
	v[vlen] = '\0';
#define IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	if (IS("address")) {
		*have |= 1;
		return addr_parse(v, &r->addr);
	} else if (IS("time")) {
		char *end;
		errno = 0;
		long long t = strtoll(v, &end, 10);
		*have |= 2;
		r->when = (time_t)t;
		return errno == 0 && end != v && *end == '\0' && t >= 0 ? 0 : -1;
	} else if (IS("mode")) {
		r->deliver_mode = strcmp(v, "deliver") == 0;
	} else if (IS("relay") || IS("proxy")) {
		if (probe_verdict_parse(v, &verdict) != 0)
			return -1;
		*(IS("relay") ? &r->relay : &r->proxy) = verdict;
		*have |= IS("relay") ? 4 : 8;
	} else if (IS("relay_detail")) {
		snprintf(r->relay_detail, sizeof(r->relay_detail), "%s", v);
	} else if (IS("proxy_detail")) {
		snprintf(r->proxy_detail, sizeof(r->proxy_detail), "%s", v);
	}
#undef IS
	return 0;
}

int probe_store_parse(const char *text, size_t len, struct probe_result *r)
{
	const char *p = text, *end = text + len;
	unsigned have = 0;
	bool first = true;

	if (len > PROBE_STORE_MAX)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		if (first) {
			if ((size_t)(le - p) != sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
				return -1;
			first = false;
		} else if (le == p) {	/* blank line: the transcript follows */
			p = le + 1;
			buf_append(&r->transcript, p, (size_t)(end - p));
			break;
		} else {
			const char *sp = memchr(p, ' ', (size_t)(le - p));
			const char *val = sp != NULL ? sp + 1 : le;
			if (header(p, (size_t)((sp != NULL ? sp : le) - p), val, (size_t)(le - val), r, &have) != 0)
				return -1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return have == 15 ? 0 : -1;
}

int probe_store_save(const char *dir, const struct probe_result *r, char *why, size_t why_size)
{
	char path[4096], tmp[4200], a[ADDR_STRLEN];
	struct buf out;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/results/%s", dir, addr_format(&r->addr, a));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	buf_init(&out);
	probe_store_format(r, &out);
	FILE *f = fopen(tmp, "we");
	if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	buf_free(&out);
	return rc;
}

int probe_store_load(const char *dir, const addr_t *a, struct probe_result *r, char *why, size_t why_size)
{
	char path[4096], text[ADDR_STRLEN];
	struct buf in;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/results/%s", dir, addr_format(a, text));
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&in);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && in.len <= PROBE_STORE_MAX)
		buf_append(&in, chunk, n);
	fclose(f);
	int rc = probe_store_parse(buf_cstr(&in), in.len, r) == 0 && addr_cmp(a, &r->addr) == 0 ? 1 : -1;
	if (rc < 0)
		snprintf(why, why_size, "%s: not a relayguard-probe result file", path);
	buf_free(&in);
	return rc;
}
