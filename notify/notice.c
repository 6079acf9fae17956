/*
 * notice - one notice per network: the template, the ARF and X-ARF parts,
 * the CSV of addresses.  See notice.h; the encodings are mime.c's, the
 * X-ARF JSON is notice_xarf.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mime.h"
#include "nevidence.h"
#include "notice.h"

#define NOTICE_BOUNDARY_PREFIX "=_relayguard_"
#define NOTICE_FIELD_MAX 32

static const char *const fields[] = {
	"network", "netname", "org",   "country", "abuse",	"addresses", "hits", "first",
	"last",	   "lists",   "hosts", "window",  "notice_id", "myhostname", "table", NULL,
};

void notice_id(const struct net_agg *net, char out[NOTICE_ID_MAX])
{
	unsigned long long h = 1469598103934665603ull;
	char win[32];

	snprintf(win, sizeof(win), "|%lld", net->window);
	for (const char *s = net->netkey; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	for (const char *s = win; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	snprintf(out, NOTICE_ID_MAX, "rg-%016llx", h);
}

void notice_date(struct buf *out, time_t t)
{
	struct tm tm;
	char text[64];
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	gmtime_r(&t, &tm);
	snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_puts(out, text);
}

static int field_index(const char *name, size_t len)
{
	for (int i = 0; fields[i] != NULL; i++)
		if (strlen(fields[i]) == len && memcmp(fields[i], name, len) == 0)
			return i;
	return -1;
}

int notice_template_check(const char *text, const char **error_r)
{
	if (strlen(text) > NOTICE_TEMPLATE_MAX) {
		*error_r = "template longer than 64 KiB";
		return -1;
	}
	for (const char *p = text; *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			p++;
			continue;
		}
		if (*p == '}') {
			*error_r = "a lone '}' (write }} for a brace)";
			return -1;
		}
		if (*p != '{')
			continue;
		const char *end = strchr(p, '}');
		if (end == NULL || end - p - 1 > NOTICE_FIELD_MAX || field_index(p + 1, (size_t)(end - p - 1)) < 0) {
			*error_r = "unknown {field} (see relayguard-notify(8))";
			return -1;
		}
		p = end;
	}
	return 0;
}

/* Append s cleaned for one line of text (no line breaks, valid UTF-8). */
static void put_clean(struct buf *out, const char *s)
{
	mime_clean(out, s, strlen(s), 0);
}

static void counts_text(struct buf *out, const struct nagg_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, i ? ", " : "");
		put_clean(out, c[i].name);
		buf_printf(out, " (%lld)", c[i].n);
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void notice_evidence(struct buf *out, const char *evidence, bool texts)
{
	bool first = true;

	for (const char *t = evidence; *t;) {
		size_t len = strcspn(t, " ");
		const char *semi = memchr(t, ';', len);
		size_t klen = semi ? (size_t)(semi - t) : len;
		if (!texts && klen > 0) {
			buf_puts(out, first ? "" : " ");
			buf_append(out, t, klen);
			first = false;
		} else if (texts && semi != NULL) {
			const char *eq = memchr(t, '=', klen);
			buf_puts(out, first ? "" : " | ");
			buf_append(out, t, eq ? (size_t)(eq - t) : klen);
			buf_puts(out, ": ");
			for (const char *p = semi + 1; p < t + len; p++) {
				int hi = p + 2 < t + len && *p == '%' ? hexval(p[1]) : -1;
				int lo = hi >= 0 ? hexval(p[2]) : -1;
				if (hi >= 0 && lo >= 0) {
					buf_putc(out, (char)(hi << 4 | lo));
					p += 2;
				} else {
					buf_putc(out, *p);
				}
			}
			first = false;
		}
		t += len;
		t += *t == ' ';
	}
}

static int agg_addr_cmp(const struct nagg_addr *a, const struct nagg_addr *b)
{
	if (a->hits != b->hits)
		return a->hits > b->hits ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return strcmp(a->addr, b->addr);
}

long notice_top(const struct net_agg *net)
{
	long top = -1;

	for (size_t i = 0; i < net->n_addrs; i++)
		if (top < 0 || agg_addr_cmp(&net->addrs[i], &net->addrs[top]) < 0)
			top = (long)i;
	return top;
}

static int order_cmp(const void *x, const void *y)
{
	return agg_addr_cmp(*(const struct nagg_addr *const *)x, *(const struct nagg_addr *const *)y);
}

/* net's addresses, most active first (caller frees the array). */
static const struct nagg_addr **addr_order(const struct net_agg *net)
{
	const struct nagg_addr **order = xreallocarray(NULL, net->n_addrs ? net->n_addrs : 1, sizeof(*order));

	for (size_t i = 0; i < net->n_addrs; i++)
		order[i] = &net->addrs[i];
	qsort(order, net->n_addrs, sizeof(*order), order_cmp);
	return order;
}

static void iso_time(char out[32], long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

static void table(struct buf *out, const struct net_agg *net)
{
	const struct nagg_addr **order = addr_order(net);

	buf_printf(out, "%-39s %6s  %-20s  %-20s  %s\n", "address", "hits", "first seen (UTC)",
		   "last seen (UTC)", "lists (answer codes)");
	for (size_t k = 0; k < net->n_addrs; k++) {
		const struct nagg_addr *a = order[k];
		char f[32], l[32];
		struct tm tm;
		time_t t = (time_t)a->first;
		strftime(f, sizeof(f), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		t = (time_t)a->last;
		strftime(l, sizeof(l), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		struct buf codes = BUF_INIT;
		notice_evidence(&codes, a->evidence, false);
		buf_printf(out, "%-39s %6lld  %-20s  %-20s  ", a->addr, a->hits, f, l);
		put_clean(out, buf_cstr(&codes));
		buf_putc(out, '\n');
		buf_free(&codes);
	}
	free((void *)order);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a blank at an end. */
static void csv_field(struct buf *out, const char *s, bool last)
{
	struct buf v = BUF_INIT;

	mime_clean(&v, s, strlen(s), 0);
	const char *c = buf_cstr(&v);
	if (strpbrk(c, ",\"") != NULL || (v.len > 0 && (c[0] == ' ' || c[v.len - 1] == ' '))) {
		buf_putc(out, '"');
		for (; *c; c++) {
			if (*c == '"')
				buf_putc(out, '"');
			buf_putc(out, *c);
		}
		buf_putc(out, '"');
	} else {
		buf_append(out, c, v.len);
	}
	buf_putc(out, last ? '\n' : ',');
	buf_free(&v);
}

/* verify's columns of address a (NEVIDENCE_CSV_COLUMNS), the last of the row. */
static void csv_verified(struct buf *out, const struct nevidence *verify, const char *a)
{
	const struct nevidence_host *h = nevidence_find(verify, a);
	char when[32] = "";

	if (h != NULL)
		nevidence_time(h, when);
	csv_field(out, h ? nevidence_outcome_name(h->outcome) : "", false);
	csv_field(out, when, false);
	csv_field(out, h && h->when > 0 ? (h->deliver_mode ? "deliver" : "rcpt") : "", false);
	csv_field(out, h ? h->detail : "", true);
}

void notice_csv_verified(const struct net_agg *net, const struct nevidence *verify, struct buf *out)
{
	const struct nagg_addr **order = addr_order(net);

	buf_puts(out, verify ? NOTICE_CSV_HEADER "," NEVIDENCE_CSV_COLUMNS "\n" : NOTICE_CSV_HEADER "\n");
	for (size_t k = 0; k < net->n_addrs; k++) {
		const struct nagg_addr *a = order[k];
		char f[32], l[32], hits[24];
		iso_time(f, a->first);
		iso_time(l, a->last);
		snprintf(hits, sizeof(hits), "%lld", a->hits);
		csv_field(out, a->addr, false);
		csv_field(out, f, false);
		csv_field(out, l, false);
		csv_field(out, hits, false);
		struct buf ev = BUF_INIT;
		notice_evidence(&ev, a->evidence, false);
		csv_field(out, buf_cstr(&ev), false);
		buf_reset(&ev);
		notice_evidence(&ev, a->evidence, true);
		csv_field(out, buf_cstr(&ev), false);
		buf_free(&ev);
		csv_field(out, a->helo, verify == NULL);
		if (verify != NULL)
			csv_verified(out, verify, a->addr);
	}
	free((void *)order);
}

void notice_csv(const struct net_agg *net, struct buf *out)
{
	notice_csv_verified(net, NULL, out);
}

static void field_value(struct buf *out, int f, const struct net_agg *net, const struct notice_opts *o)
{
	char id[NOTICE_ID_MAX];

	switch (f) {
	case 0: put_clean(out, net->network); break;
	case 1: put_clean(out, net->netname); break;
	case 2: put_clean(out, net->org); break;
	case 3: put_clean(out, net->country); break;
	case 4: put_clean(out, o->to); break;
	case 5: buf_printf(out, "%zu", net->n_addrs); break;
	case 6: buf_printf(out, "%lld", net->hits); break;
	case 7: notice_date(out, (time_t)net->first); break;
	case 8: notice_date(out, (time_t)net->last); break;
	case 9: counts_text(out, net->lists, net->n_lists); break;
	case 10: counts_text(out, net->hosts, net->n_hosts); break;
	case 11:
		if (o->window_s % 86400 == 0)
			buf_printf(out, "%lld day%s", o->window_s / 86400, o->window_s == 86400 ? "" : "s");
		else
			buf_printf(out, "%lld minutes", o->window_s / 60);
		break;
	case 12: notice_id(net, id); buf_puts(out, id); break;
	case 13: put_clean(out, o->myhostname); break;
	case 14: table(out, net); break;
	default: break;
	}
}

static void expand(struct buf *out, const struct net_agg *net, const struct notice_opts *o)
{
	for (const char *p = o->template_text; *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			buf_putc(out, *p++);
			continue;
		}
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		int f = end ? field_index(p + 1, (size_t)(end - p - 1)) : -1;
		if (f < 0) {
			buf_putc(out, *p);
			continue;
		}
		field_value(out, f, net, o);
		p = end;
	}
}


/* A host name for a Received line: letters, digits and . - _ : [ ] only. */
static void put_token(struct buf *out, const char *s)
{
	if (*s == '\0')
		buf_puts(out, "unknown");
	for (size_t i = 0; s[i] && i < REPORT_NAME_MAX; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr(".-_:[]", c) != NULL;
		buf_putc(out, ok ? c : '?');
	}
}

/* notify_verify: one X-Relayguard-Verification field per host tested,
 * "ADDRESS RESULT TIME MODE" (TIME and MODE "-" when not probed). */
static void verify_fields(struct buf *out, const struct nevidence *v)
{
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		const struct nevidence_host *h = &v->hosts[i];
		char when[32];
		struct buf f = BUF_INIT;
		nevidence_time(h, when);
		buf_printf(&f, "%s %s %s %s", h->addr, nevidence_outcome_name(h->outcome), when[0] ? when : "-",
			   h->when > 0 ? (h->deliver_mode ? "deliver" : "rcpt") : "-");
		mime_header_ascii(out, "X-Relayguard-Verification", buf_cstr(&f));
		buf_free(&f);
	}
}

/* The message/feedback-report part: one Source-IP, the most active address. */
static void feedback_part(struct buf *out, const struct net_agg *net, long top, const struct notice_opts *o)
{
	struct buf mta = BUF_INIT;

	buf_puts(out, "Content-Type: message/feedback-report\n\n");
	buf_printf(out, "Feedback-Type: %s\n", o->format == NOTICE_XARF ? "xarf" : "abuse");
	buf_printf(out, "User-Agent: relayguard-notify/%s\n", PACKAGE_VERSION);
	buf_puts(out, "Version: 1\n");
	if (top >= 0) {
		const struct nagg_addr *a = &net->addrs[top];
		buf_printf(out, "Source-IP: %s\n", a->addr);
		buf_printf(out, "Incidents: %lld\n", a->hits);
		buf_puts(out, "Arrival-Date: ");
		notice_date(out, (time_t)a->last);
		buf_putc(out, '\n');
	}
	buf_puts(&mta, "dns; ");
	put_token(&mta, o->myhostname);
	mime_header_ascii(out, "Reporting-MTA", buf_cstr(&mta));
	buf_free(&mta);
	verify_fields(out, o->verify);
}

/* The text/rfc822-headers part: how the most active address was last seen. */
static void headers_part(struct buf *out, const struct net_agg *net, long top)
{
	buf_puts(out, "Content-Type: text/rfc822-headers\n\n");
	if (top < 0)
		return;
	const struct nagg_addr *a = &net->addrs[top];
	struct buf line = BUF_INIT;
	buf_puts(&line, "from ");
	put_token(&line, a->helo);
	buf_printf(&line, " ([%s]) by ", a->addr);
	put_token(&line, net->n_hosts ? net->hosts[0].name : "relayguard");
	buf_puts(&line, "; ");
	notice_date(&line, (time_t)a->last);
	mime_header_ascii(out, "Received", buf_cstr(&line));
	buf_free(&line);
}

/* notify_verify's block at the end of the text, before the signature
 * ("-- " line) when there is one, so that mail readers do not fold it away. */
static void add_verification(struct buf *text, const struct nevidence *v)
{
	const char *t = buf_cstr(text), *sig = NULL;
	struct buf tail = BUF_INIT;

	for (const char *p = strstr(t, "\n-- \n"); p != NULL; p = strstr(p + 1, "\n-- \n"))
		sig = p + 1;
	if (sig != NULL) {
		buf_puts(&tail, sig);
		buf_truncate(text, (size_t)(sig - t));
	}
	nevidence_text(v, text);
	buf_append(text, tail.data ? tail.data : "", tail.len);
	buf_free(&tail);
}

/* The template, filled in and cleaned, as a text/plain body. */
static void text_part(struct buf *out, const struct net_agg *net, const struct notice_opts *o)
{
	struct buf raw = BUF_INIT, clean = BUF_INIT;

	expand(&raw, net, o);
	if (o->verify != NULL)
		add_verification(&raw, o->verify);
	mime_clean(&clean, buf_cstr(&raw), raw.len, MIME_KEEP_LF);
	buf_puts(out, "Content-Type: text/plain; charset=utf-8\n");
	mime_body(out, buf_cstr(&clean), clean.len);
	buf_free(&raw);
	buf_free(&clean);
}

static void csv_part(struct buf *out, const struct net_agg *net, const struct notice_opts *o)
{
	struct buf csv = BUF_INIT;

	notice_csv_verified(net, o->verify, &csv);
	buf_puts(out, "Content-Type: text/csv; charset=utf-8; header=present; name=\"addresses.csv\"\n"
		      "Content-Disposition: attachment; filename=\"addresses.csv\"\n");
	mime_body(out, buf_cstr(&csv), csv.len);
	buf_free(&csv);
}

static void xarf_part(struct buf *out, const struct net_agg *net, const struct notice_opts *o)
{
	struct buf json = BUF_INIT;

	notice_xarf(net, o, &json);
	buf_puts(out, "Content-Type: application/json; name=\"xarf.json\"\n"
		      "Content-Transfer-Encoding: base64\n"
		      "Content-Disposition: attachment; filename=\"xarf.json\"\n\n");
	mime_base64(out, json.data, json.len, 76);
	buf_free(&json);
}

static void message_headers(struct buf *out, const struct net_agg *net, const struct notice_opts *o,
			    const char *id)
{
	struct buf subject = BUF_INIT, mid = BUF_INIT;

	mime_header_ascii(out, "From", o->from);
	mime_header_ascii(out, "To", o->to);
	if (o->bcc[0] != '\0')
		mime_header_ascii(out, "Bcc", o->bcc);
	buf_printf(&subject, "Open relay / open proxy activity from your network %s%s%s%s", net->network,
		   net->netname[0] ? " (" : "", net->netname, net->netname[0] ? ")" : "");
	mime_header_text(out, "Subject", buf_cstr(&subject));
	buf_puts(out, "Date: ");
	notice_date(out, o->now);
	buf_putc(out, '\n');
	buf_printf(&mid, "<%s@", id);
	put_token(&mid, o->myhostname);
	buf_putc(&mid, '>');
	mime_header_ascii(out, "Message-ID", buf_cstr(&mid));
	mime_header_ascii(out, "X-Relayguard-Notice", id);
	buf_puts(out, "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n");
	buf_free(&subject);
	buf_free(&mid);
}

void notice_render(const struct net_agg *net, const struct notice_opts *o, struct buf *out)
{
	char id[NOTICE_ID_MAX];
	long top = notice_top(net);

	notice_id(net, id);
	message_headers(out, net, o, id);
	buf_printf(out, "Content-Type: multipart/report; report-type=feedback-report;\n"
			"\tboundary=\"" NOTICE_BOUNDARY_PREFIX "%s\"\n\n",
		   id);
	buf_puts(out, "This is a multi-part message in MIME format.\n\n");
	buf_printf(out, "--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	if (o->format == NOTICE_ARF) {
		/* the human part: the text and the CSV of every address */
		buf_printf(out, "Content-Type: multipart/mixed; boundary=\"" NOTICE_BOUNDARY_PREFIX "%s_text\"\n\n",
			   id);
		buf_printf(out, "--" NOTICE_BOUNDARY_PREFIX "%s_text\n", id);
		text_part(out, net, o);
		buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s_text\n", id);
		csv_part(out, net, o);
		buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s_text--\n", id);
	} else {
		text_part(out, net, o);
	}
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	feedback_part(out, net, top, o);
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	if (o->format == NOTICE_ARF)
		headers_part(out, net, top);
	else
		xarf_part(out, net, o);
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s--\n", id);
}
