/* fuzz_notice - notice rendering (notify/notice.c): the template and what
 * the owners database and the report events put into an ARF or X-ARF
 * notice.  No crash, no leak; a template is rendered only when
 * notice_template_check() accepts it (as relayguard-notify does); and
 * whatever the owners data holds, the message keeps its shape: the top
 * header block has only the headers notice_render writes (no CR, no header
 * injected through netname, org, abuse or HELO), and the message ends with
 * its closing MIME boundary.
 *
 * Input: byte 0 = flags (bit 0 X-ARF, bit 1 a Bcc, bits 2-3 the window),
 * then NUL-separated strings: template, network, netname, org, country,
 * abuse, then per event (at most EVENTS_MAX) client, time, helo, host,
 * list name.  Event times are kept in the range the report parser accepts.
 *
 * Written against notice.h as of issue 14; adapt with notice.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nagg.h"
#include "notice.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS_MAX 24
#define FIELD_MAX 4096

struct reader {
	const uint8_t *p, *end;
	char text[FIELD_MAX + 1];
};

/* The next NUL-terminated string of the input (cut at FIELD_MAX); "" at the end. */
static const char *next(struct reader *r)
{
	size_t n = 0;

	while (r->p < r->end && *r->p != '\0' && n < FIELD_MAX)
		r->text[n++] = (char)*r->p++;
	while (r->p < r->end && *r->p != '\0')
		r->p++;
	if (r->p < r->end)
		r->p++;
	r->text[n] = '\0';
	return r->text;
}

static bool more(const struct reader *r)
{
	return r->p < r->end;
}

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The header block must hold only notice_render's own headers. */
static void check_headers(const char *m)
{
	static const char *const names[] = { "From:", "To:", "Bcc:", "Subject:", "Date:", "Message-ID:",
					     "X-Relayguard-Notice:", "Auto-Submitted:", "MIME-Version:",
					     "Content-Type:" };
	const char *end = strstr(m, "\n\n");

	if (end == NULL)
		abort();
	for (const char *line = m; line < end;) {
		const char *eol = strchr(line, '\n');
		bool known = line[0] == '\t';	/* the folded boundary parameter */
		for (size_t i = 0; !known && i < sizeof(names) / sizeof(names[0]); i++)
			known = strncmp(line, names[i], strlen(names[i])) == 0;
		if (!known || memchr(line, '\r', (size_t)(eol - line)) != NULL)
			abort();
		line = eol + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long windows[] = { 86400, 3600, 7 * 86400, 60 };
	static struct reader r;	/* the text buffers are large: not on the stack */
	char tpl[FIELD_MAX + 1], network[FIELD_MAX + 1], netname[FIELD_MAX + 1], org[FIELD_MAX + 1],
		country[FIELD_MAX + 1], abuse[FIELD_MAX + 1];
	const char *why = NULL;

	if (size < 1)
		return 0;
	r.p = data + 1;
	r.end = data + size;
	copy(tpl, sizeof(tpl), next(&r));
	copy(network, sizeof(network), next(&r));
	copy(netname, sizeof(netname), next(&r));
	copy(org, sizeof(org), next(&r));
	copy(country, sizeof(country), next(&r));
	copy(abuse, sizeof(abuse), next(&r));
	if (notice_template_check(tpl, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			abort();
		snprintf(tpl, sizeof(tpl), "Network {network} ({netname}, {org}, {country}): {addresses}\n{table}\n");
	}

	nagg_t *n = nagg_new();
	struct nagg_owner owner = { network, network, netname, org, country, abuse, network[0] != '\0' };
	struct net_agg *net = NULL;
	for (int i = 0; i < EVENTS_MAX && more(&r); i++) {
		struct report_event ev;
		memset(&ev, 0, sizeof(ev));
		snprintf(ev.id, sizeof(ev.id), "ev%d", i);
		if (addr_parse(next(&r), &ev.client) != 0 && addr_parse("192.0.2.1", &ev.client) != 0)
			abort();
		ev.time = strtoll(next(&r), NULL, 10);
		if (ev.time <= 0 || ev.time > (1LL << 40))
			ev.time = 1700000000 + i;
		copy(ev.helo, sizeof(ev.helo), next(&r));
		copy(ev.host, sizeof(ev.host), next(&r));
		copy(ev.lists[0].name, sizeof(ev.lists[0].name), next(&r));
		ev.lists[0].code = 0x7f000002u + (uint32_t)i;
		ev.n_lists = ev.lists[0].name[0] != '\0';
		net = nagg_add(n, 19675, &owner, &ev);
	}
	if (net != NULL) {
		struct notice_opts o = { .from = "relayguard@mx.test", .to = abuse[0] ? abuse : "abuse@example.test",
					 .bcc = (data[0] & 2) ? "copy@mx.test" : "", .myhostname = "mx.test",
					 .template_text = tpl, .format = (data[0] & 1) ? NOTICE_XARF : NOTICE_ARF,
					 .window_s = windows[(data[0] >> 2) & 3], .now = 1700000300 };
		struct buf out = BUF_INIT;
		char id[NOTICE_ID_MAX], close[NOTICE_ID_MAX + 40];
		notice_render(net, &o, &out);
		const char *m = buf_cstr(&out);
		check_headers(m);
		notice_id(net, id);
		snprintf(close, sizeof(close), "\n--=_relayguard_%s--\n", id);
		if (out.len < strlen(close) || strcmp(m + out.len - strlen(close), close) != 0)
			abort();
		buf_free(&out);
	}
	nagg_free(&n);
	return 0;
}
