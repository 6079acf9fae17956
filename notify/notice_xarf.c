/*
 * notice_xarf - the X-ARF v4 report of a notice (xarf-spec, schemas/v4).
 * See notice.h.
 *
 * One report per notice, as X-ARF wants one source per report: the most
 * active address is source_identifier, and the CSV of every address of the
 * network travels as a text/csv evidence item (with its size and sha256).  Category and type:
 * vulnerability / open_service ("open services that should not be
 * publicly accessible ... and can be exploited"), which is what an open
 * relay or open proxy is; service names it.  report_id is a UUID derived
 * from the notice id, so a notice sent again carries the same id.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mime.h"
#include "nevidence.h"
#include "notice.h"
#include "sha256.h"

#define XARF_VERSION "4.2.0"		/* the samples' and schemas' version */
#define XARF_SERVICE "open_relay_or_proxy"
#define XARF_ORG_MAX 200		/* reporter.org maxLength */
#define XARF_DESCRIPTION_MAX 1000	/* description maxLength */
#define XARF_EVIDENCE_DESCRIPTION_MAX 500
#define XARF_EVIDENCE_SIZE_MAX 5242880	/* evidence size maximum (5 MB) */
#define XARF_EVIDENCE_ITEMS_MAX 50	/* evidence maxItems */

/* Append s as a JSON string of clean UTF-8, cut at max bytes (whole characters). */
static void jstr(struct buf *out, const char *s, size_t max)
{
	struct buf v = BUF_INIT;

	mime_clean(&v, s, strlen(s), 0);
	if (v.len > max) {
		size_t cut = max;
		while (cut > 0 && ((unsigned char)v.data[cut] & 0xc0) == 0x80)
			cut--;	/* not inside a character */
		buf_truncate(&v, cut);
	}
	json_str(out, buf_cstr(&v));
	buf_free(&v);
}

static void jtime(struct buf *out, long long t)
{
	char text[32];
	struct tm tm;
	time_t tt = (time_t)t;

	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	json_str(out, text);
}

/* A version 4 UUID (RFC 9562) made from the notice's network and window. */
static void report_uuid(const struct net_agg *net, char out[37])
{
	unsigned long long h[2] = { 1469598103934665603ull, 0x84222325cbf29ce4ull };
	char win[32];

	snprintf(win, sizeof(win), "|%lld", net->window);
	for (int k = 0; k < 2; k++) {
		for (const char *s = net->netkey; *s; s++)
			h[k] = (h[k] ^ (unsigned char)*s) * 1099511628211ull;
		for (const char *s = win; *s; s++)
			h[k] = (h[k] ^ (unsigned char)*s) * 1099511628211ull;
	}
	h[0] = (h[0] & ~0xf000ull) | 0x4000ull;			/* version 4 */
	h[1] = (h[1] & ~(3ull << 62)) | (2ull << 62);		/* variant 10 */
	snprintf(out, 37, "%08llx-%04llx-%04llx-%04llx-%012llx", h[0] >> 32, (h[0] >> 16) & 0xffff,
		 h[0] & 0xffff, h[1] >> 48, h[1] & 0xffffffffffffull);
}

/* reporter / sender: who we are (notify_from and its domain). */
static void contact(struct buf *out, const char *key, const struct notice_opts *o)
{
	const char *at = strrchr(o->from, '@');

	json_key(out, key);
	buf_putc(out, '{');
	json_key(out, "org");
	jstr(out, o->myhostname, XARF_ORG_MAX);
	json_key(out, "contact");
	jstr(out, o->from, 254);
	json_key(out, "domain");
	jstr(out, at && at[1] ? at + 1 : o->myhostname, 253);
	buf_putc(out, '}');
}

static void description(struct buf *out, const struct net_agg *net, const struct nagg_addr *a,
			const struct notice_opts *o)
{
	struct buf d = BUF_INIT, codes = BUF_INIT;
	char f[32], l[32];
	struct tm tm;
	time_t t = (time_t)a->first;

	strftime(f, sizeof(f), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	t = (time_t)a->last;
	strftime(l, sizeof(l), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	notice_evidence(&codes, a->evidence, false);
	buf_printf(&d, "%s tried %lld time(s) between %s and %s to deliver mail to %s while listed as an "
		       "open relay or open proxy (%s). Its network %s had %zu such address(es); the evidence "
		       "lists every one.",
		   a->addr, a->hits, f, l, o->myhostname, buf_cstr(&codes), net->network, net->n_addrs);
	json_key(out, "description");
	jstr(out, buf_cstr(&d), XARF_DESCRIPTION_MAX);
	buf_free(&d);
	buf_free(&codes);
}

/* One evidence item: content type, description, payload (base64), hash, size. */
static void evidence_item(struct buf *out, const char *type, const char *desc, const char *data, size_t len)
{
	char digest[SHA256_HEX_LEN + 1];

	buf_putc(out, '{');
	json_key(out, "content_type");
	json_str(out, type);
	json_key(out, "description");
	jstr(out, desc, XARF_EVIDENCE_DESCRIPTION_MAX);
	json_key(out, "payload");
	buf_putc(out, '"');
	mime_base64(out, data, len, 0);
	buf_putc(out, '"');
	sha256_hex(data, len, digest);
	json_key(out, "hash");
	buf_printf(out, "\"sha256:%s\"", digest);
	if (len <= XARF_EVIDENCE_SIZE_MAX) {
		json_key(out, "size");
		buf_printf(out, "%zu", len);
	}
	buf_putc(out, '}');
}

/* notify_verify: each transcript as a text/plain item after the CSV. */
static void verify_items(struct buf *out, const struct nevidence *v)
{
	for (size_t i = 0; v != NULL && i < v->n && i < XARF_EVIDENCE_ITEMS_MAX - 1; i++) {
		const struct nevidence_host *h = &v->hosts[i];
		struct buf d = BUF_INIT;
		if (h->transcript[0] == '\0')
			continue;
		buf_printf(&d, "%s: ", h->addr);
		nevidence_sentence(h, &d);
		buf_puts(&d, " (the probe's transcript: \">\" sent, \"<\" received)");
		buf_putc(out, ',');
		evidence_item(out, "text/plain", buf_cstr(&d), h->transcript, strlen(h->transcript));
		buf_free(&d);
	}
}

/* notify_verify: the "verification" array (beyond the schema's fields, which it allows). */
static void verify_array(struct buf *out, const struct nevidence *v)
{
	json_key(out, "verification");
	buf_putc(out, '[');
	for (size_t i = 0; i < v->n; i++) {
		const struct nevidence_host *h = &v->hosts[i];
		char when[32];
		struct buf d = BUF_INIT;
		nevidence_time(h, when);
		nevidence_sentence(h, &d);
		buf_puts(out, i ? ",{" : "{");
		json_key(out, "address");
		json_str(out, h->addr);
		json_key(out, "result");
		json_str(out, nevidence_outcome_name(h->outcome));
		json_key(out, "confirmed");
		buf_puts(out, nevidence_confirmed(h) ? "true" : "false");
		if (h->when > 0) {
			json_key(out, "time");
			json_str(out, when);
			json_key(out, "mode");
			json_str(out, h->deliver_mode ? "deliver" : "rcpt");
		}
		json_key(out, "summary");
		jstr(out, buf_cstr(&d), XARF_DESCRIPTION_MAX);
		json_key(out, "detail");
		jstr(out, h->detail, NEVIDENCE_DETAIL_MAX);
		buf_putc(out, '}');
		buf_free(&d);
	}
	buf_putc(out, ']');
}

/* notify_verify: the tag of the source's result ("verification:open-relay"). */
static void verify_tag(struct buf *out, const struct nevidence *v, const char *source)
{
	const struct nevidence_host *h = nevidence_find(v, source);

	if (h != NULL)
		buf_printf(out, ",\"verification:%s\"", nevidence_outcome_name(h->outcome));
}

static void evidence(struct buf *out, const struct net_agg *net, const struct nevidence *v)
{
	struct buf csv = BUF_INIT, d = BUF_INIT;

	notice_csv_verified(net, v, &csv);
	json_key(out, "evidence");
	buf_putc(out, '[');
	buf_printf(&d, "Every offending address of %s, one row per address: %s (times UTC ISO 8601)", net->network,
		   v ? NOTICE_CSV_HEADER "," NEVIDENCE_CSV_COLUMNS : NOTICE_CSV_HEADER);
	evidence_item(out, "text/csv", buf_cstr(&d), csv.data ? csv.data : "", csv.len);
	verify_items(out, v);
	buf_putc(out, ']');
	buf_free(&csv);
	buf_free(&d);
}

void notice_xarf(const struct net_agg *net, const struct notice_opts *o, struct buf *out)
{
	long top = notice_top(net);
	static const struct nagg_addr none = { .addr = "", .evidence = (char *)"", .helo = (char *)"" };
	const struct nagg_addr *a = top >= 0 ? &net->addrs[top] : &none;
	char uuid[37];

	report_uuid(net, uuid);
	buf_putc(out, '{');
	json_key(out, "xarf_version");
	json_str(out, XARF_VERSION);
	json_key(out, "report_id");
	json_str(out, uuid);
	json_key(out, "timestamp");
	jtime(out, top >= 0 ? a->last : net->last);
	contact(out, "reporter", o);
	contact(out, "sender", o);
	json_key(out, "source_identifier");
	json_str(out, a->addr);
	json_key(out, "category");
	json_str(out, "vulnerability");
	json_key(out, "type");
	json_str(out, "open_service");
	json_key(out, "service");
	json_str(out, XARF_SERVICE);
	json_key(out, "evidence_source");
	json_str(out, "automated_filter");
	description(out, net, a, o);
	evidence(out, net, o->verify);
	json_key(out, "tags");
	buf_puts(out, "[\"protocol:smtp\",\"detection:dnsbl\"");
	if (o->verify != NULL)
		verify_tag(out, o->verify, a->addr);
	buf_putc(out, ']');
	/* beyond the schema's fields (it allows more): the network and the counts */
	json_key(out, "network");
	jstr(out, net->network, 200);
	json_key(out, "first_seen");
	jtime(out, top >= 0 ? a->first : net->first);
	json_key(out, "last_seen");
	jtime(out, top >= 0 ? a->last : net->last);
	json_key(out, "hits");
	buf_printf(out, "%lld", a->hits);
	if (o->verify != NULL)
		verify_array(out, o->verify);
	buf_puts(out, "}\n");
}
