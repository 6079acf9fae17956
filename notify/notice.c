/*
 * notice - render one notice per network (RFC 5965, X-ARF v4).  See notice.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
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

/* A header value: controls (CR, LF included) become spaces. */
static void header(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s: ", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		buf_putc(out, *p < ' ' || *p == 0x7f ? ' ' : (char)*p);
	buf_putc(out, '\n');
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

static void counts_text(struct buf *out, const struct nagg_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s (%lld)", i ? ", " : "", c[i].name, c[i].n);
}

static void table(struct buf *out, const struct net_agg *net)
{
	buf_printf(out, "%-39s %6s  %-20s  %-20s  %s\n", "address", "hits", "first seen (UTC)",
		   "last seen (UTC)", "lists (answer codes)");
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		char f[32], l[32];
		struct tm tm;
		time_t t = (time_t)a->first;
		strftime(f, sizeof(f), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		t = (time_t)a->last;
		strftime(l, sizeof(l), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		buf_printf(out, "%-39s %6lld  %-20s  %-20s  %s\n", a->addr, a->hits, f, l, a->evidence);
	}
}

static void field_value(struct buf *out, int f, const struct net_agg *net, const struct notice_opts *o)
{
	char id[NOTICE_ID_MAX];

	switch (f) {
	case 0: buf_puts(out, net->network); break;
	case 1: buf_puts(out, net->netname); break;
	case 2: buf_puts(out, net->org); break;
	case 3: buf_puts(out, net->country); break;
	case 4: buf_puts(out, o->to); break;
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
	case 13: buf_puts(out, o->myhostname); break;
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

static void arf_part(struct buf *out, const struct net_agg *net, const struct notice_opts *o)
{
	buf_puts(out, "Content-Type: message/feedback-report\n\n");
	buf_puts(out, "Feedback-Type: abuse\n");
	buf_printf(out, "User-Agent: relayguard-notify/%s\n", PACKAGE_VERSION);
	buf_puts(out, "Version: 1\n");
	buf_printf(out, "Incidents: %lld\n", net->hits);
	buf_puts(out, "Arrival-Date: ");
	notice_date(out, (time_t)net->first);
	buf_putc(out, '\n');
	header(out, "Reporting-MTA", o->myhostname);
	for (size_t i = 0; i < net->n_addrs; i++)
		buf_printf(out, "Source-IP: %s\n", net->addrs[i].addr);
}

static void iso_date(struct buf *out, long long t)
{
	char text[32];
	struct tm tm;
	time_t tt = (time_t)t;

	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	json_str(out, text);
}

/* One X-ARF v4 report: class/type, every address as a source. */
static void xarf_json(struct buf *out, const struct net_agg *net, const struct notice_opts *o,
		      const char *cls, const char *type)
{
	const char *at = strchr(o->from, '@');

	buf_puts(out, "{");
	json_key(out, "Version");
	json_str(out, "4");
	json_key(out, "ReporterInfo");
	buf_puts(out, "{");
	json_key(out, "ReporterOrg");
	json_str(out, o->myhostname);
	json_key(out, "ReporterOrgDomain");
	json_str(out, at ? at + 1 : o->myhostname);
	json_key(out, "ReporterOrgEmail");
	json_str(out, o->from);
	buf_puts(out, "}");
	json_key(out, "Disclosure");
	buf_puts(out, "true");
	json_key(out, "Report");
	buf_puts(out, "{");
	json_key(out, "ReportClass");
	json_str(out, cls);
	json_key(out, "ReportType");
	json_str(out, type);
	json_key(out, "Date");
	iso_date(out, net->last);
	json_key(out, "SourceIp");
	json_str(out, net->n_addrs ? net->addrs[0].addr : "");
	json_key(out, "Service");
	json_str(out, "smtp");
	json_key(out, "Count");
	buf_printf(out, "%lld", net->hits);
	json_key(out, "Samples");
	buf_puts(out, "[");
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		buf_puts(out, i ? ",{" : "{");
		json_key(out, "SourceIp");
		json_str(out, a->addr);
		json_key(out, "Count");
		buf_printf(out, "%lld", a->hits);
		json_key(out, "FirstSeen");
		iso_date(out, a->first);
		json_key(out, "LastSeen");
		iso_date(out, a->last);
		json_key(out, "Evidence");
		json_str(out, a->evidence);
		buf_puts(out, "}");
	}
	buf_puts(out, "]}}\n");
}

static void evidence_part(struct buf *out, const struct net_agg *net)
{
	buf_puts(out, "Content-Type: text/rfc822-headers\n\n");
	for (size_t i = 0; i < net->n_addrs; i++) {
		const struct nagg_addr *a = &net->addrs[i];
		struct buf line = BUF_INIT;
		buf_printf(&line, "from %s ([%s]) by %s; ", a->helo[0] ? a->helo : "unknown", a->addr,
			   net->n_hosts ? net->hosts[0].name : "relayguard");
		notice_date(&line, (time_t)a->last);
		header(out, "Received", buf_cstr(&line));
		buf_free(&line);
	}
}

void notice_render(const struct net_agg *net, const struct notice_opts *o, struct buf *out)
{
	char id[NOTICE_ID_MAX];
	struct buf subject = BUF_INIT, mid = BUF_INIT;

	notice_id(net, id);
	header(out, "From", o->from);
	header(out, "To", o->to);
	if (o->bcc[0] != '\0')
		header(out, "Bcc", o->bcc);
	buf_printf(&subject, "Open relay / open proxy activity from your network %s%s%s%s", net->network,
		   net->netname[0] ? " (" : "", net->netname, net->netname[0] ? ")" : "");
	header(out, "Subject", buf_cstr(&subject));
	buf_puts(out, "Date: ");
	notice_date(out, o->now);
	buf_putc(out, '\n');
	buf_printf(&mid, "<%s@%s>", id, o->myhostname);
	header(out, "Message-ID", buf_cstr(&mid));
	header(out, "X-Relayguard-Notice", id);
	buf_puts(out, "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n");
	buf_printf(out, "Content-Type: multipart/report; report-type=feedback-report;\n"
			"\tboundary=\"" NOTICE_BOUNDARY_PREFIX "%s\"\n\n",
		   id);
	buf_puts(out, "This is a multi-part message in MIME format.\n\n");
	buf_printf(out, "--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	buf_puts(out, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
	expand(out, net, o);
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	if (o->format == NOTICE_ARF) {
		arf_part(out, net, o);
	} else {
		buf_puts(out, "Content-Type: application/json; name=\"xarf-open.json\"\n"
			      "Content-Disposition: attachment; filename=\"xarf-open.json\"\n\n");
		xarf_json(out, net, o, "Vulnerability", "Open");
		buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
		buf_puts(out, "Content-Type: application/json; name=\"xarf-spam.json\"\n"
			      "Content-Disposition: attachment; filename=\"xarf-spam.json\"\n\n");
		xarf_json(out, net, o, "Messaging", "Spam");
	}
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s\n", id);
	evidence_part(out, net);
	buf_printf(out, "\n--" NOTICE_BOUNDARY_PREFIX "%s--\n", id);
	buf_free(&subject);
	buf_free(&mid);
}
