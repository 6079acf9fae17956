/*
 * fuzz_notice - render notices (ARF and X-ARF) from arbitrary registry and
 * client strings: whatever the bytes, the message is 7-bit with no CR and
 * no line over 998 bytes, its feedback report has one Source-IP, and the
 * X-ARF JSON is clean UTF-8.
 *
 * Input layout, fields separated by NULs (missing ones are ""): netname,
 * org, HELO, list name, template.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "nagg.h"
#include "nevidence.h"
#include "notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const struct buf *m)
{
	size_t col = 0, source_ip = 0;

	for (size_t i = 0; i < m->len; i++) {
		unsigned char c = (unsigned char)m->data[i];
		if (c == '\r' || c == 0 || c >= 0x80)
			abort();
		col = c == '\n' ? 0 : col + 1;
		if (col > MIME_LINE_MAX)
			abort();
		if (col == 1 && strncmp(m->data + i, "Source-IP:", 10) == 0)
			source_ip++;
	}
	if (source_ip != 1)
		abort();
}

static void check_clean_json(const struct buf *json)
{
	struct buf again = BUF_INIT;

	mime_clean(&again, json->data, json->len, MIME_KEEP_LF);
	if (again.len != json->len || memcmp(again.data, json->data, json->len) != 0)
		abort();
	buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	const char *f[5] = { "", "", "", "", "" };
	size_t n = 0;

	if (size > 0)
		memcpy(copy, data, size);	/* data may be NULL when size is 0 */
	copy[size] = '\0';
	f[n++] = copy;
	for (size_t i = 0; i < size && n < 5; i++)
		if (copy[i] == '\0')
			f[n++] = copy + i + 1;
	const char *why;
	const char *tpl = notice_template_check(f[4], &why) == 0 ? f[4] : "{netname} {org}\n{table}";

	nagg_t *agg = nagg_new();
	struct nagg_owner o = { "192.0.2.0/24", "192.0.2.0/24", f[0], f[1], "NL", "abuse@x.example", true };
	struct net_agg *net = NULL;
	for (int k = 0; k < 3; k++) {
		struct report_event ev;
		memset(&ev, 0, sizeof(ev));
		if (addr_parse(k ? "192.0.2.7" : "2001:db8::1", &ev.client) != 0)
			abort();
		ev.time = 1700000000 + k;
		snprintf(ev.helo, sizeof(ev.helo), "%s", f[2]);
		snprintf(ev.host, sizeof(ev.host), "%s", f[2]);
		ev.n_lists = 1;
		snprintf(ev.lists[0].name, sizeof(ev.lists[0].name), "%s", f[3]);
		ev.lists[0].code = 0x7f000002;
		net = nagg_add(agg, 1, &o, &ev);
	}
	struct notice_opts opts = { .from = "rg@mx.example", .to = "abuse@x.example", .bcc = "",
				    .myhostname = f[2], .template_text = tpl, .format = NOTICE_ARF,
				    .window_s = 86400, .now = 1700000300 };
	struct buf out = BUF_INIT;
	notice_render(net, &opts, &out);
	check_message(&out);
	buf_reset(&out);
	opts.format = NOTICE_XARF;
	notice_render(net, &opts, &out);
	check_message(&out);
	buf_reset(&out);
	notice_xarf(net, &opts, &out);
	check_clean_json(&out);
	/* notify_verify's evidence: a hostile host's transcript and detail */
	struct nevidence ev = { 0 };
	struct nevidence_host h = { .addr = "192.0.2.7", .outcome = NEV_OPEN_RELAY, .when = 1700000200,
				    .deliver_mode = true };
	snprintf(h.detail, sizeof(h.detail), "%s", f[0]);
	nevidence_add(&ev, &h, f[3], strlen(f[3]));
	snprintf(h.addr, sizeof(h.addr), "2001:db8::1");
	h.outcome = (enum nevidence_outcome)((unsigned char)f[1][0] % NEV__COUNT);
	snprintf(h.method, sizeof(h.method), "%s", f[2]);
	nevidence_add(&ev, &h, copy, size);
	opts.verify = &ev;
	for (int fmt = 0; fmt < 2; fmt++) {
		buf_reset(&out);
		opts.format = fmt ? NOTICE_XARF : NOTICE_ARF;
		notice_render(net, &opts, &out);
		check_message(&out);
	}
	buf_reset(&out);
	notice_xarf(net, &opts, &out);
	check_clean_json(&out);
	nevidence_free(&ev);
	buf_free(&out);
	nagg_free(&agg);
	free(copy);
	return 0;
}
