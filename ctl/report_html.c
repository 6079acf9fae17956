/*
 * report_html - the page of relayguard-ctl report --html.  See report_html.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "report_html.h"
#include "svg_chart.h"

static const char report_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;"
	"color:#222;background:#fff;padding:0 1em}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}"
	".meta{color:#666;font-size:.9em}.empty{color:#888;font-style:italic}"
	"table{border-collapse:collapse;font-size:.9em;margin-top:.8em}"
	"th,td{border-bottom:1px solid #eee;padding:.25em .8em;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".yes{color:#1e7e34}.no{color:#b02a37}.nobody{color:#8a6d3b}"
	"svg.chart{display:block;margin-top:.6em;max-width:100%}"
	"svg .grid{stroke:#ddd;stroke-width:1}svg text{font-size:12px;fill:#444}"
	"svg .legend{font-size:13px}svg .value{font-size:11px}";

void report_html_escape(struct buf *out, const char *s)
{
	svg_escape(out, s != NULL ? s : "");
}

enum tfmt { TF_DAY, TF_HOUR, TF_SECOND, TF_DAY_HOUR, TF_FULL };

/* t in UTC as a day, an hour of the day, both, or the full date and time. */
static void fmt_time(time_t t, enum tfmt f, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (f) {
	case TF_DAY: strftime(out, size, "%Y-%m-%d", &tm); break;
	case TF_HOUR: strftime(out, size, "%H:%M", &tm); break;
	case TF_SECOND: strftime(out, size, "%H:%M:%S", &tm); break;
	case TF_DAY_HOUR: strftime(out, size, "%m-%d %H:%M", &tm); break;
	default: strftime(out, size, "%Y-%m-%d %H:%M", &tm); break;
	}
}

static void empty(struct buf *out)
{
	buf_puts(out, "<p class=\"empty\">no data in this period</p>\n");
}

/* Labels of the time buckets: "HH:MM" within a day ("HH:MM:SS" for buckets
 * under a minute), else "MM-DD HH:MM", or the day for buckets of days. */
static char **bucket_labels(const struct report_data *d)
{
	char **labels = xcalloc(d->n_buckets ? d->n_buckets : 1, sizeof(*labels));
	enum tfmt fmt = d->bucket_s >= 86400				  ? TF_DAY :
			(long long)d->n_buckets * d->bucket_s > 86400 ? TF_DAY_HOUR :
			d->bucket_s < 60				  ? TF_SECOND :
									    TF_HOUR;

	for (size_t i = 0; i < d->n_buckets; i++) {
		char s[32];
		fmt_time(d->start + (time_t)(i * (size_t)d->bucket_s), fmt, s, sizeof(s));
		labels[i] = xstrdup(s);
	}
	return labels;
}

static void free_labels(char **labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

static void verdicts(const struct report_data *d, char **labels, struct buf *out)
{
	const struct svg_series s[] = {
		{ "passed", "#2e8b57", d->passed },
		{ "listed", "#c0392b", d->listed },
		{ "failed", "#e67e22", d->failed },
		{ "skipped", "#95a5a6", d->skipped },
	};
	double tot[4] = { 0 };

	buf_printf(out, "<section id=\"verdicts\"><h2>Verdicts over time</h2>\n");
	for (size_t i = 0; i < d->n_buckets; i++)
		for (int k = 0; k < 4; k++)
			tot[k] += s[k].values[i];
	if (d->n_buckets == 0 || !svg_columns(out, "verdicts", (const char *const *)labels, d->n_buckets, s, 4)) {
		empty(out);
	} else {
		buf_printf(out, "<p class=\"meta\">per %lld s; in all: %.0f passed, %.0f listed, %.0f failed, "
				"%.0f skipped</p>\n",
			   d->bucket_s, tot[0], tot[1], tot[2], tot[3]);
	}
	buf_puts(out, "</section>\n");
}

static void listings(const struct report_data *d, struct buf *out)
{
	const char **names = xcalloc(d->n_zones + 1, sizeof(*names));
	double *values = xcalloc(d->n_zones + 1, sizeof(*values));

	buf_puts(out, "<section id=\"listings\"><h2>Listings per list</h2>\n");
	for (size_t i = 0; i < d->n_zones; i++) {
		names[i] = d->zones[i].name;
		values[i] = (double)d->zones[i].listed;
	}
	if (!svg_hbars(out, "listings", names, values, d->n_zones, "#c0392b")) {
		empty(out);
	} else {
		buf_puts(out, "<table><tr><th>list</th><th>kind</th><th>queries</th><th>listed</th><th>errors</th>"
			      "<th>timeouts</th></tr>\n");
		for (size_t i = 0; i < d->n_zones; i++) {
			const struct report_zone *z = &d->zones[i];
			buf_puts(out, "<tr><td>");
			report_html_escape(out, z->name);
			buf_puts(out, "</td><td>");
			report_html_escape(out, z->kind);
			buf_printf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
					"<td class=\"n\">%llu</td></tr>\n",
				   z->queries, z->listed, z->errors, z->timeouts);
		}
		buf_puts(out, "</table>\n");
	}
	buf_puts(out, "</section>\n");
	free(names);
	free(values);
}

static void net_row(const struct report_net *n, struct buf *out)
{
	static const char *const told_class[] = { "no", "yes", "nobody" };
	static const char *const told_text[] = { "not yet", "yes", "nobody to tell" };

	buf_puts(out, "<tr><td>");
	report_html_escape(out, n->network);
	buf_puts(out, "</td><td>");
	report_html_escape(out, n->netname[0] ? n->netname : "-");
	buf_puts(out, "</td><td>");
	report_html_escape(out, n->abuse[0] ? n->abuse : "-");
	buf_printf(out, "</td><td class=\"n\">%lld</td><td class=\"%s\" data-told=\"%s\">%s", n->hits,
		   told_class[n->told], told_class[n->told], told_text[n->told]);
	if (n->why[0] != '\0') {
		buf_puts(out, ": ");
		report_html_escape(out, n->why);
	}
	buf_puts(out, "</td></tr>\n");
}

static void networks(const struct report_data *d, struct buf *out)
{
	const char **names = xcalloc(d->n_nets + 1, sizeof(*names));
	double *hits = xcalloc(d->n_nets + 1, sizeof(*hits));
	struct buf *lbl = xcalloc(d->n_nets + 1, sizeof(*lbl));

	buf_puts(out, "<section id=\"networks\"><h2>Top offending networks</h2>\n");
	if (d->nets_source != NULL) {
		buf_puts(out, "<p class=\"meta\">");
		report_html_escape(out, d->nets_source);
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < d->n_nets; i++) {
		buf_printf(&lbl[i], "%s%s%s%s", d->nets[i].network, d->nets[i].netname[0] ? " (" : "",
			   d->nets[i].netname, d->nets[i].netname[0] ? ")" : "");
		names[i] = buf_cstr(&lbl[i]);
		hits[i] = (double)d->nets[i].hits;
	}
	if (!svg_hbars(out, "networks", names, hits, d->n_nets, "#8e44ad")) {
		empty(out);
	} else {
		buf_puts(out, "<table><tr><th>network</th><th>owner</th><th>abuse contact</th><th>hits</th>"
			      "<th>told</th></tr>\n");
		for (size_t i = 0; i < d->n_nets; i++)
			net_row(&d->nets[i], out);
		buf_puts(out, "</table>\n");
	}
	buf_puts(out, "</section>\n");
	for (size_t i = 0; i < d->n_nets; i++)
		buf_free(&lbl[i]);
	free(lbl);
	free(names);
	free(hits);
}

static void notices(const struct report_data *d, struct buf *out)
{
	char **labels = xcalloc(d->n_days + 1, sizeof(*labels));
	const struct svg_series s = { "notices sent", "#2980b9", d->day_counts };

	buf_puts(out, "<section id=\"notices\"><h2>Notices sent per day</h2>\n");
	if (d->notices_source != NULL) {
		buf_puts(out, "<p class=\"meta\">");
		report_html_escape(out, d->notices_source);
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < d->n_days; i++) {
		char day[16];
		fmt_time((time_t)d->days[i], TF_DAY, day, sizeof(day));
		labels[i] = xstrdup(day);
	}
	if (d->n_days == 0 || !svg_columns(out, "notices", (const char *const *)labels, d->n_days, &s, 1))
		empty(out);
	buf_puts(out, "</section>\n");
	free_labels(labels, d->n_days);
}

static void health(const struct report_data *d, char **labels, struct buf *out)
{
	static const char *const names[REPORT_Z_COUNT] = { "no data", "in service", "not yet probed", "suspended" };
	static const char *const colors[REPORT_Z_COUNT] = { "#eeeeee", "#2e8b57", "#bdc3c7", "#c0392b" };
	const char **rows = xcalloc(d->n_zones + 1, sizeof(*rows));
	unsigned char *cells = xcalloc(d->n_zones * d->n_buckets + 1, 1);

	buf_puts(out, "<section id=\"health\"><h2>Zones' health over time</h2>\n");
	for (size_t z = 0; z < d->n_zones; z++) {
		rows[z] = d->zones[z].name;
		memcpy(cells + z * d->n_buckets, d->zones[z].state, d->n_buckets);
	}
	if (d->n_buckets == 0 || !svg_strips(out, "health", rows, d->n_zones, (const char *const *)labels,
					     d->n_buckets, cells, names, colors, REPORT_Z_COUNT)) {
		empty(out);
	} else {
		buf_puts(out, "<p class=\"meta\">");
		for (int s = 1; s < REPORT_Z_COUNT; s++)
			buf_printf(out, "<span style=\"color:%s\">&#9632;</span> %s &nbsp; ", colors[s], names[s]);
		buf_puts(out, "(the worst state any process saw in each period)</p>\n");
	}
	buf_puts(out, "</section>\n");
	free(rows);
	free(cells);
}

static void header(const struct report_data *d, struct buf *out)
{
	char since[32], gen[32];

	fmt_time(d->since, TF_FULL, since, sizeof(since));
	fmt_time(d->generated, TF_FULL, gen, sizeof(gen));
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>relayguard report: ");
	report_html_escape(out, d->host);
	buf_printf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>relayguard report: ", report_css);
	report_html_escape(out, d->host);
	buf_printf(out, "</h1>\n<p class=\"meta\">from %s to %s UTC; history: %zu daily files in ", since, gen,
		   d->history_files);
	report_html_escape(out, d->history_dir);
	if (d->history_bad > 0)
		buf_printf(out, ", %zu unreadable lines skipped", d->history_bad);
	if (d->history_note != NULL) {
		buf_puts(out, " (");
		report_html_escape(out, d->history_note);
		buf_puts(out, ")");
	}
	buf_puts(out, "</p>\n");
}

void report_html_write(const struct report_data *d, struct buf *out)
{
	char **labels = bucket_labels(d);

	header(d, out);
	verdicts(d, labels, out);
	listings(d, out);
	networks(d, out);
	notices(d, out);
	health(d, labels, out);
	buf_puts(out, "<p class=\"meta\">written by relayguard-ctl report " PACKAGE_VERSION "</p>\n</body></html>\n");
	free_labels(labels, d->n_buckets);
}
