/* test_notice - per-network counting (nagg) and notice rendering: ids,
 * headers, template fields, ARF and X-ARF parts, header cleaning. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nagg.h"
#include "notice.h"
#include "tap.h"

static const struct {
	const char *tpl;
	bool good;
	const char *what;
} template_cases[] = {
	{ "Hello {network} ({netname})\n{table}", true, "known fields" },
	{ "{{literal}} braces", true, "doubled braces" },
	{ "{nosuchfield}", false, "an unknown field" },
	{ "a lone } brace", false, "a lone closing brace" },
	{ "{network", false, "an unclosed field" },
	{ "", true, "empty" },
};

static struct report_event event(const char *addr, long long t, const char *host)
{
	struct report_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "id-%s-%lld", addr, t);
	if (addr_parse(addr, &ev.client) != 0)
		abort();
	ev.time = t;
	snprintf(ev.helo, sizeof(ev.helo), "helo.%s", host);
	snprintf(ev.host, sizeof(ev.host), "%s", host);
	ev.n_lists = 1;
	snprintf(ev.lists[0].name, sizeof(ev.lists[0].name), "bl.test");
	ev.lists[0].code = 0x7f000002;
	return ev;
}

static void test_nagg(nagg_t *n)
{
	struct nagg_owner o = { "192.0.2.0-192.0.2.255", "192.0.2.0 - 192.0.2.255", "NET-A\r\nBcc: evil@x",
				"ORG", "NL", "abuse@a.example", true };
	struct report_event e1 = event("192.0.2.1", 1700000100, "mx1"), e2 = event("192.0.2.1", 1700000000, "mx2"),
			    e3 = event("192.0.2.9", 1700000200, "mx1");

	nagg_add(n, 19675, &o, &e1);
	nagg_add(n, 19675, &o, &e2);
	struct net_agg *net = nagg_add(n, 19675, &o, &e3);
	is_int(nagg_count(n), 1, "one network");
	is_int(net->hits, 3, "three hits");
	is_int(net->n_addrs, 2, "two addresses");
	is_int(net->addrs[0].hits, 2, "the repeated address counts twice");
	is_int(net->addrs[0].first, 1700000000, "its first sighting, also out of order");
	is_int(net->addrs[0].last, 1700000100, "its last");
	is_int(net->first, 1700000000, "the network's first");
	is_int(net->last, 1700000200, "the network's last");
	is_int(net->n_hosts, 2, "two reporting hosts");
	is_str(net->addrs[0].evidence, "bl.test=127.0.0.2", "evidence once, not twice");
	ok(nagg_find(n, 19675, "192.0.2.0-192.0.2.255") == net, "found by window and netkey");
	ok(nagg_find(n, 19676, "192.0.2.0-192.0.2.255") == NULL, "not in another window");
	struct nagg_addr a = { .evidence = "x=1" };
	nagg_evidence_merge(&a, "y=2 x=1 z=3");
	is_str(a.evidence, "x=1 y=2 z=3", "evidence merges as a set");
}

static void test_render(nagg_t *n)
{
	const struct net_agg *net = nagg_at(n, 0);
	char id[NOTICE_ID_MAX], id2[NOTICE_ID_MAX];
	struct buf out = BUF_INIT;
	const char *why;

	notice_id(net, id);
	notice_id(net, id2);
	is_str(id, id2, "the notice id is stable");
	is_int(strlen(id), 19, "rg- and 16 hex digits");
	for (size_t i = 0; i < sizeof(template_cases) / sizeof(template_cases[0]); i++)
		is_int(notice_template_check(template_cases[i].tpl, &why), template_cases[i].good ? 0 : -1,
		       "template: %s", template_cases[i].what);

	struct notice_opts o = { .from = "rg@mx.test", .to = "abuse@a.example", .bcc = "copy@mx.test",
				 .myhostname = "mx.test", .template_text = "Net {network} {{x}} {addresses}/{hits}\n{table}",
				 .format = NOTICE_ARF, .window_s = 86400, .now = 1700000300 };
	notice_render(net, &o, &out);
	const char *m = buf_cstr(&out);
	ok(strstr(m, "Content-Type: multipart/report; report-type=feedback-report;") != NULL, "multipart/report");
	ok(strstr(m, "Content-Type: message/feedback-report") != NULL, "the ARF part");
	ok(strstr(m, "Feedback-Type: abuse") != NULL, "Feedback-Type");
	ok(strstr(m, "Source-IP: 192.0.2.9") != NULL, "a Source-IP per address");
	ok(strstr(m, "Content-Type: text/rfc822-headers") != NULL, "the evidence part");
	ok(strstr(m, "Received: from helo.mx1 ([192.0.2.9]) by mx1;") != NULL, "evidence line");
	ok(strstr(m, "Net 192.0.2.0 - 192.0.2.255 {x} 2/3") != NULL, "template fields and braces");
	ok(strstr(m, "Bcc: copy@mx.test\n") != NULL, "the Bcc header");
	ok(strstr(m, "\nBcc: evil") == NULL && strstr(m, "NET-A  Bcc: evil@x") != NULL,
	   "CR LF from the owners data cannot add a header");
	ok(strstr(m, "Date: Tue, 14 Nov 2023 22:18:20 +0000") != NULL, "an RFC 5322 date");
	buf_reset(&out);
	o.format = NOTICE_XARF;
	notice_render(net, &o, &out);
	m = buf_cstr(&out);
	ok(strstr(m, "message/feedback-report") == NULL, "X-ARF replaces the ARF part");
	ok(strstr(m, "\"ReportClass\":\"Vulnerability\",\"ReportType\":\"Open\"") != NULL, "X-ARF vulnerability/open");
	ok(strstr(m, "\"ReportClass\":\"Messaging\",\"ReportType\":\"Spam\"") != NULL, "X-ARF messaging/spam");
	ok(strstr(m, "\"SourceIp\":\"192.0.2.9\",\"Count\":1") != NULL, "X-ARF samples per address");
	buf_free(&out);
}

int main(void)
{
	nagg_t *n = nagg_new();

	test_nagg(n);
	test_render(n);
	nagg_free(&n);
	ok(n == NULL, "free sets NULL");
	return tap_done();
}
