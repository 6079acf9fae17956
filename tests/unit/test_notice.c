/* test_notice - per-network counting (nagg), the encodings of notices
 * (mime: clean text, RFC 2047, quoted-printable, base64) and notice
 * rendering: ids, headers, template fields, the ARF report with one
 * Source-IP, the CSV of every address, X-ARF v4, hostile bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "mime.h"
#include "nagg.h"
#include "nevidence.h"
#include "notice.h"
#include "sha256.h"
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
	nagg_t *other = nagg_new();	/* a row of its own: net is rendered below */
	struct nagg_addr *a = nagg_addr_get(nagg_get(other, 1, &o), "192.0.2.77");
	is_str(a->evidence, "", "a new row: no evidence");
	nagg_evidence_merge(a, "x=1");
	nagg_evidence_merge(a, "y=2 x=1 z=3");
	is_str(a->evidence, "x=1 y=2 z=3", "evidence merges as a set");
	nagg_evidence_merge(a, "x=1;other%20text w=4;a%20text");
	is_str(a->evidence, "x=1 y=2 z=3 w=4;a%20text", "a list=code already there is not added again, text or not");
	char big[NAGG_EVIDENCE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "v=5;", 4);
	nagg_evidence_merge(a, big);
	is_str(a->evidence, "x=1 y=2 z=3 w=4;a%20text v=5", "a text that does not fit is left out, the list kept");
	struct buf t = BUF_INIT;
	notice_evidence(&t, a->evidence, false);
	is_str(buf_cstr(&t), "x=1 y=2 z=3 w=4 v=5", "notice_evidence: the codes");
	buf_reset(&t);
	notice_evidence(&t, "bl.test=127.0.0.2;Listed%20%25%3B%XY open=127.0.0.3", true);
	is_str(buf_cstr(&t), "bl.test: Listed %;%XY", "notice_evidence: the texts, decoded");
	buf_free(&t);
	nagg_free(&other);
}

/* Every line of m at most max bytes, no CR, no byte outside 7-bit ASCII. */
static bool clean_7bit(const char *m, size_t max)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
		if (*p == '\r' || *p >= 0x80)
			return false;
		col = *p == '\n' ? 0 : col + 1;
		if (col > max)
			return false;
	}
	return true;
}

static size_t count(const char *m, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(m, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static const struct {
	const char *in;
	unsigned flags;
	const char *want;
	const char *what;
} clean_cases[] = {
	{ "plain text", 0, "plain text", "ASCII stays" },
	{ "caf\xc3\xa9 \xe2\x82\xac", 0, "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 stays" },
	{ "a\xff\xfe" "b", 0, "a\xef\xbf\xbd\xef\xbf\xbd" "b", "each invalid byte becomes U+FFFD" },
	{ "\xc0\xaf\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	  "overlong forms and surrogates are invalid" },
	{ "a\r\nBcc: x\tz", 0, "a  Bcc: x z", "CR, LF and TAB become spaces" },
	{ "a\r\nb\rc\td\x7f\xc2\x85", MIME_KEEP_LF, "a\nb c\td  ", "KEEP_LF: CR LF is LF, a lone CR, DEL and C1 are spaces" },
	{ "\xe2\x82", 0, "\xef\xbf\xbd\xef\xbf\xbd", "a cut sequence" },
};

static void test_mime(void)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(clean_cases) / sizeof(clean_cases[0]); i++) {
		buf_reset(&out);
		mime_clean(&out, clean_cases[i].in, strlen(clean_cases[i].in), clean_cases[i].flags);
		is_str(buf_cstr(&out), clean_cases[i].want, "mime_clean: %s", clean_cases[i].what);
	}
	static const char *const b64[][2] = { { "", "" },	      { "f", "Zg==" },	       { "fo", "Zm8=" },
					      { "foo", "Zm9v" },      { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
					      { "foobar", "Zm9vYmFy" } };
	for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		buf_reset(&out);
		mime_base64(&out, b64[i][0], strlen(b64[i][0]), 0);
		is_str(buf_cstr(&out), b64[i][1], "base64 of \"%s\" (RFC 4648 test vector)", b64[i][0]);
	}
	static const char *const sha[][2] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	for (size_t i = 0; i < sizeof(sha) / sizeof(sha[0]); i++) {
		char hex[SHA256_HEX_LEN + 1];
		sha256_hex(sha[i][0], strlen(sha[i][0]), hex);
		is_str(hex, sha[i][1], "SHA-256 of \"%.8s\" (FIPS 180-4 example)", sha[i][0]);
	}
	char *million = xmalloc(1000000);
	memset(million, 'a', 1000000);
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(million, 1000000, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "SHA-256 of a million 'a'");
	static const struct {
		size_t n;
		const char *hex;
	} edges[] = {	/* the padding edges: one block, two blocks (values from Python's hashlib) */
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		sha256_hex(million, edges[i].n, hex);
		is_str(hex, edges[i].hex, "SHA-256 of %zu times 'a'", edges[i].n);
	}
	free(million);
	buf_reset(&out);
	mime_qp(&out, "a=b \nend\t", 9);
	is_str(buf_cstr(&out), "a=3Db=20\nend=09\n", "quoted-printable: '=' and blanks at a line end");
	buf_reset(&out);
	char longline[300];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	mime_qp(&out, longline, strlen(longline));
	ok(clean_7bit(buf_cstr(&out), 76) && count(buf_cstr(&out), "=\n") == 3, "quoted-printable: soft breaks, lines <= 76");

	buf_reset(&out);
	mime_header_text(&out, "Subject", "short and plain");
	is_str(buf_cstr(&out), "Subject: short and plain\n", "a plain Subject stays as it is");
	buf_reset(&out);
	mime_header_text(&out, "Subject", "word word word word word word word word word word word word word word word word");
	ok(clean_7bit(buf_cstr(&out), 78) && strstr(buf_cstr(&out), "word\n word") != NULL, "a long Subject is folded at 78");
	buf_reset(&out);
	mime_header_text(&out, "Subject", "net \xff\xfe\r\nBcc: evil@x \xc3\xa9t\xc3\xa9 and a long tail of text to fold");
	ok(clean_7bit(buf_cstr(&out), 78), "an 8-bit Subject is 7-bit, lines <= 78");
	ok(strncmp(buf_cstr(&out), "Subject: =?UTF-8?B?", 19) == 0 && strstr(buf_cstr(&out), "\nBcc") == NULL,
	   "as RFC 2047 encoded-words, no header added");
	buf_reset(&out);
	mime_header_ascii(&out, "Received", "from h\xff\r\nX: y");
	is_str(buf_cstr(&out), "Received: from h???X: y\n", "an ASCII header: other bytes become '?'");
	buf_reset(&out);
	json_str(&out, "NET\xff\xfe-\xc3\xa9\r\n\x01\xe2\x82");
	is_str(buf_cstr(&out), "\"NET\\ufffd\\ufffd-\xc3\xa9\\r\\n\\u0001\\ufffd\\ufffd\"",
	       "json_str: valid UTF-8 kept, each other byte \\ufffd, controls escaped");
	buf_reset(&out);
	mime_body(&out, "ascii\n", 6);
	is_str(buf_cstr(&out), "Content-Transfer-Encoding: 7bit\n\nascii\n", "a 7-bit body stays 7bit");
	buf_reset(&out);
	mime_body(&out, "\xc3\xa9t\xc3\xa9", 5);
	is_str(buf_cstr(&out), "Content-Transfer-Encoding: quoted-printable\n\n=C3=A9t=C3=A9\n", "an 8-bit body is quoted-printable");
	buf_reset(&out);
	mime_body(&out, "net x\nSource-IP: 6.6.6.6\n", 25);
	is_str(buf_cstr(&out), "Content-Transfer-Encoding: quoted-printable\n\nnet x\n=53ource-IP: 6.6.6.6\n",
	       "a body line that looks like a header field: quoted-printable, its first character encoded");
	buf_free(&out);
}

/* A network of three addresses with hostile strings from a registry and from clients. */
static struct net_agg *hostile_net(nagg_t *n)
{
	struct nagg_owner o = { "198.51.100.0-198.51.100.255", "198.51.100.0 - 198.51.100.255",
				"NET\xff\xfe-H\r\nBcc: evil@x", "Org, \"Inc\"", "NL", "abuse@h.example", true };
	const char *addrs[] = { "198.51.100.1", "198.51.100.9", "198.51.100.9", "198.51.100.9", "198.51.100.77" };
	struct net_agg *net = NULL;

	for (int i = 0; i < 5; i++) {
		struct report_event ev = event(addrs[i], 1700000000 + i * 100, "mx1");
		snprintf(ev.helo, sizeof(ev.helo), "evil\r\nX-Fake: 1,\"q\" \xff%d", i);
		snprintf(ev.lists[0].text, sizeof(ev.lists[0].text), "open proxy; see <http://bl.test/?ip=%s> \xff 100%%",
			 addrs[i]);
		net = nagg_add(n, 19675, &o, &ev);
	}
	return net;
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
	ok(strstr(m, "Feedback-Type: abuse\n") != NULL, "Feedback-Type: abuse");
	is_int(count(m, "Source-IP:"), 1, "one Source-IP in the report");
	ok(strstr(m, "Source-IP: 192.0.2.1\n") != NULL, "the most active address (2 hits of 3)");
	ok(strstr(m, "Incidents: 2\n") != NULL, "its incidents");
	ok(strstr(m, "Arrival-Date: Tue, 14 Nov 2023 22:15:00 +0000\n") != NULL, "its last sighting, an RFC 5322 date");
	ok(strstr(m, "Reporting-MTA: dns; mx.test\n") != NULL, "Reporting-MTA: dns; host");
	ok(strstr(m, "Content-Type: text/csv; charset=utf-8; header=present") != NULL, "the CSV part");
	ok(strstr(m, "\n" NOTICE_CSV_HEADER "\n192.0.2.1,2023-11-14T22:13:20Z,2023-11-14T22:15:00Z,2,bl.test=127.0.0.2,,"
		     "helo.mx2\n192.0.2.9,2023-11-14T22:16:40Z,2023-11-14T22:16:40Z,1,") != NULL,
	   "one CSV row per address, most active first, UTC ISO 8601 times");
	ok(strstr(m, "Content-Type: text/rfc822-headers") != NULL, "the headers part");
	ok(strstr(m, "Received: from helo.mx2 ([192.0.2.1]) by mx1;") != NULL && count(m, "Received:") == 1,
	   "one Received line, for the reported address");
	ok(strstr(m, "Net 192.0.2.0 - 192.0.2.255 {x} 2/3") != NULL, "template fields and braces");
	ok(strstr(m, "Bcc: copy@mx.test\n") != NULL, "the Bcc header");
	ok(strstr(m, "\nBcc: evil") == NULL, "CR LF from the owners data cannot add a header");
	ok(strstr(m, "Date: Tue, 14 Nov 2023 22:18:20 +0000") != NULL, "an RFC 5322 date");
	ok(clean_7bit(m, 998), "7-bit, no CR, lines <= 998");
	buf_reset(&out);
	o.format = NOTICE_XARF;
	notice_render(net, &o, &out);
	m = buf_cstr(&out);
	ok(strstr(m, "Feedback-Type: xarf\n") != NULL && count(m, "Source-IP:") == 1, "X-ARF: Feedback-Type: xarf, one Source-IP");
	ok(strstr(m, "Content-Type: application/json; name=\"xarf.json\"\nContent-Transfer-Encoding: base64\n") != NULL,
	   "X-ARF: xarf.json, base64");
	ok(strstr(m, "text/rfc822-headers") == NULL && strstr(m, "text/csv") == NULL, "X-ARF: three parts");
	ok(clean_7bit(m, 998), "X-ARF: 7-bit, no CR, lines <= 998");
	buf_reset(&out);
	notice_xarf(net, &o, &out);
	m = buf_cstr(&out);
	ok(strncmp(m, "{\"xarf_version\":\"4.2.0\",\"report_id\":\"", 37) == 0, "X-ARF v4: xarf_version, report_id");
	ok(m[37 + 14] == '4' && strchr("89ab", m[37 + 19]) != NULL, "report_id is a version 4 UUID");
	ok(strstr(m, "\"timestamp\":\"2023-11-14T22:15:00Z\"") != NULL, "timestamp: UTC ISO 8601");
	ok(strstr(m, "\"reporter\":{\"org\":\"mx.test\",\"contact\":\"rg@mx.test\",\"domain\":\"mx.test\"}") != NULL, "reporter");
	ok(strstr(m, "\"sender\":{\"org\":\"mx.test\"") != NULL, "sender");
	ok(strstr(m, "\"source_identifier\":\"192.0.2.1\",\"category\":\"vulnerability\",\"type\":\"open_service\"") != NULL,
	   "source_identifier, category, type");
	ok(strstr(m, "\"evidence\":[{\"content_type\":\"text/csv\"") != NULL, "the CSV as evidence");
	ok(strstr(m, "Version") == NULL && strstr(m, "ReportClass") == NULL, "no v3 field names");
	buf_free(&out);
}

static void test_hostile(nagg_t *n)
{
	struct net_agg *net = hostile_net(n);
	struct notice_opts o = { .from = "rg@mx.test", .to = "abuse@h.example", .bcc = "", .myhostname = "mx.test",
				 .template_text = "{netname} / {org}\r\n{table}", .format = NOTICE_ARF,
				 .window_s = 86400, .now = 1700000300 };
	struct buf out = BUF_INIT;

	notice_render(net, &o, &out);
	const char *m = buf_cstr(&out);
	ok(clean_7bit(m, 998), "hostile bytes: 7-bit, no CR, lines <= 998");
	ok(strstr(m, "Subject: =?UTF-8?B?") != NULL, "the netname's bytes go into RFC 2047 words");
	ok(strstr(m, "\nX-Fake") == NULL && strstr(m, "\nBcc: evil") == NULL, "no header added from a HELO or a netname");
	ok(strstr(m, "Content-Transfer-Encoding: quoted-printable\n\nNET=EF=BF=BD=EF=BF=BD-H  Bcc: evil@x / Org, \"Inc\"\n") != NULL,
	   "the text part: quoted-printable, U+FFFD for bad bytes, CR LF as spaces");
	ok(strstr(m, "Received: from evil??X-Fake:?1??q???3 ([198.51.100.9])") != NULL, "the HELO in Received: a token");
	is_int(count(m, "Source-IP:"), 1, "one Source-IP");
	ok(strstr(m, "Source-IP: 198.51.100.9\n") != NULL, "the address with three hits");
	buf_reset(&out);
	notice_csv(net, &out);
	ok(strstr(buf_cstr(&out), ",\"evil  X-Fake: 1,\"\"q\"\" \xef\xbf\xbd" "3\"\n") != NULL,
	   "CSV: RFC 4180 quoting, cleaned values");
	is_int(count(buf_cstr(&out), "\n"), 4, "CSV: the header and one row per address");
	ok(strstr(buf_cstr(&out), ",bl.test=127.0.0.2,bl.test: open proxy; see <http://bl.test/?ip=198.51.100.9> \xef\xbf\xbd 100%,") != NULL,
	   "CSV: the list's TXT text, cleaned");
	buf_reset(&out);
	notice_render(net, &o, &out);
	ok(strstr(buf_cstr(&out), "open proxy") != NULL && strstr(buf_cstr(&out), "http://bl.test/?ip=198.51.100.9 ") == NULL,
	   "the text goes into the CSV, not into the table");
	buf_reset(&out);
	notice_xarf(net, &o, &out);
	struct buf again = BUF_INIT;
	mime_clean(&again, out.data, out.len, MIME_KEEP_LF);
	is_str(buf_cstr(&again), buf_cstr(&out), "X-ARF JSON: valid UTF-8, no control characters");
	ok(strstr(buf_cstr(&out), "\"source_identifier\":\"198.51.100.9\"") != NULL, "X-ARF: about the most active address");
	buf_free(&again);
	buf_free(&out);
}

/* notify_verify's evidence (nevidence.h) and how each part carries it. */
static void test_verify(nagg_t *n)
{
	const struct net_agg *net = nagg_at(n, 0);
	struct nevidence ev = { 0 };
	struct nevidence_host h = { .addr = "192.0.2.1", .outcome = NEV_OPEN_RELAY, .when = 1700000400,
				    .deliver_mode = true, .detail = "port 25, form plain: the canary received token t" };
	struct buf big = BUF_INIT, out = BUF_INIT;

	for (int i = 0; big.len <= NEVIDENCE_TRANSCRIPT_MAX; i++)
		buf_printf(&big, "< 250-line %d of a long reply\n", i);
	nevidence_add(&ev, &h, big.data, big.len);
	ok(strlen(ev.hosts[0].transcript) <= NEVIDENCE_TRANSCRIPT_MAX + 40, "a long transcript is cut (%zu bytes)",
	   strlen(ev.hosts[0].transcript));
	ok(strstr(ev.hosts[0].transcript, " of a long reply\n[... ") != NULL &&
	   strstr(ev.hosts[0].transcript, " bytes cut]\n") != NULL, "at a line end, and the cut is said");
	struct { enum nevidence_outcome o; bool deliver; const char *sentence; bool confirmed; } cases[] = {
		{ NEV_OPEN_RELAY, true, "confirmed open relay at 2023-11-14T22:20:00Z, transcript below", true },
		{ NEV_RELAY_ACCEPTED, false, "accepted a relay recipient at 2023-11-14T22:20:00Z (rcpt mode, weaker "
					     "evidence: no message was sent), transcript below", true },
		{ NEV_RELAY_ACCEPTED, true, "accepted a relay recipient at 2023-11-14T22:20:00Z, but the test message "
					    "never reached our canary (not confirmed), transcript below", false },
		{ NEV_OPEN_PROXY, false, "confirmed open proxy (SOCKS5) at 2023-11-14T22:20:00Z, transcript below", true },
		{ NEV_CLOSED, false, "tested closed at 2023-11-14T22:20:00Z (refused every relay or proxy attempt), "
				     "transcript below", false },
		{ NEV_REFUSED, false, "not probed: outside probe_allowed_targets", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nevidence_host c = { .outcome = cases[i].o, .deliver_mode = cases[i].deliver, .when = 1700000400,
					    .method = "SOCKS5", .detail = "outside probe_allowed_targets",
					    .transcript = (char *)"> EHLO x\n" };
		struct buf b = BUF_INIT;
		nevidence_sentence(&c, &b);
		is_str(buf_cstr(&b), cases[i].sentence, "sentence: %s", nevidence_outcome_name(cases[i].o));
		is_int(nevidence_confirmed(&c), cases[i].confirmed, "confirmed: %s%s", nevidence_outcome_name(cases[i].o),
		       cases[i].deliver ? " (deliver)" : "");
		buf_free(&b);
	}
	struct notice_opts o = { .from = "rg@mx.test", .to = "abuse@a.example", .bcc = "", .myhostname = "mx.test",
				 .template_text = "Net {network}\n{table}\n-- \nsignature\n", .format = NOTICE_ARF,
				 .window_s = 86400, .now = 1700000300 };
	notice_render(net, &o, &out);
	ok(strstr(buf_cstr(&out), "Verification") == NULL && strstr(buf_cstr(&out), "verification") == NULL,
	   "without notify_verify: not a word of it");
	buf_reset(&out);
	o.verify = &ev;
	notice_render(net, &o, &out);
	const char *m = buf_cstr(&out);
	ok(strstr(m, "\n" NOTICE_CSV_HEADER "," NEVIDENCE_CSV_COLUMNS "\n192.0.2.1,") != NULL, "CSV: the four columns");
	ok(strstr(m, ",helo.mx2,open-relay,2023-11-14T22:20:00Z,deliver,\"port 25, form plain: the canary received "
		     "token t\"\n") != NULL, "CSV: the probed host's result, time, mode, detail");
	ok(strstr(m, "\n192.0.2.9,2023-11-14T22:16:40Z,2023-11-14T22:16:40Z,1,") != NULL &&
	   strstr(m, ",,,,\n") != NULL, "CSV: an address not probed has empty columns");
	ok(strstr(m, "X-Relayguard-Verification: 192.0.2.1 open-relay 2023-11-14T22:20:00Z deliver\n") != NULL,
	   "ARF report: the verification field");
	const char *v = strstr(m, "192.0.2.1: confirmed open relay at 2023-11-14T22:20:00Z, transcript below\n");
	const char *sig = strstr(m, "\n-- \nsignature");
	ok(v != NULL && sig != NULL && v < sig, "text: the sentence, before the signature");
	ok(strstr(m, "\n    < 250-line 0 of a long reply\n") != NULL, "text: the transcript, indented");
	ok(clean_7bit(m, 998), "7-bit, no CR, lines <= 998");
	buf_reset(&out);
	notice_xarf(net, &o, &out);
	m = buf_cstr(&out);
	ok(strstr(m, "\"tags\":[\"protocol:smtp\",\"detection:dnsbl\",\"verification:open-relay\"]") != NULL,
	   "X-ARF: the source's tag");
	ok(strstr(m, "{\"content_type\":\"text/plain\",\"description\":\"192.0.2.1: confirmed open relay at "
		     "2023-11-14T22:20:00Z, transcript below") != NULL, "X-ARF: the transcript as evidence");
	ok(strstr(m, "\"verification\":[{\"address\":\"192.0.2.1\",\"result\":\"open-relay\",\"confirmed\":true,"
		     "\"time\":\"2023-11-14T22:20:00Z\",\"mode\":\"deliver\"") != NULL, "X-ARF: the verification array");
	nevidence_free(&ev);
	ok(ev.n == 0 && ev.hosts == NULL, "nevidence_free empties");
	buf_free(&big);
	buf_free(&out);
}

int main(void)
{
	nagg_t *n = nagg_new();

	test_nagg(n);
	test_mime();
	test_render(n);
	test_verify(n);
	nagg_clear(n);
	test_hostile(n);
	nagg_free(&n);
	ok(n == NULL, "free sets NULL");
	return tap_done();
}
