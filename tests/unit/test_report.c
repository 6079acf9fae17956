/* test_report - the report event codec: build, fields, journal lines, parsing. */
#include "config.h"

#include <string.h>

#include "mem.h"
#include "report.h"
#include "tap.h"

static struct report_event sample(void)
{
	static const char *const lists[] = { "bl1.test", "Open Proxy=List", "" };
	static const uint32_t codes[] = { 0x7f000002, 0x7f00000a, 0x7f000003 };
	addr_t client;
	struct report_event ev;

	if (addr_parse("2001:db8::7", &client) != 0)
		abort();
	struct report_event_in in = { .client = &client, .helo = "HELO with space\t%=",
				      .sender = "<Someone@Example.ORG>", .score = 7,
				      .action = "reject", .n_lists = 3, .lists = lists,
				      .codes = codes };
	report_event_build(&ev, &in, "mx1.example.net", true);
	return ev;
}

static void test_build(void)
{
	struct report_event ev = sample(), ev2 = sample();

	ok(strstr(ev.id, "@mx1.example.net") != NULL, "the id names the reporting host: %s", ev.id);
	ok(strcmp(ev.id, ev2.id) != 0, "two events get two ids");
	is_str(ev.domain, "example.org", "the sender domain, lower-cased, without '>'");
	is_str(ev.host, "mx1.example.net", "the reporting host");
	is_int(ev.n_lists, 2, "an empty list name is dropped");
	is_str(ev.lists[1].name, "Open_Proxy_List", "a display name becomes one token");
	is_int(ev.score, 7, "the score");
	ok(ev.time > 1600000000, "the time is now");

	addr_t client;
	struct report_event_in in = { .client = &client, .sender = "a@b.example", .action = "tag" };
	if (addr_parse("192.0.2.1", &client) != 0)
		abort();
	report_event_build(&ev, &in, "h", false);
	is_str(ev.domain, "", "no sender domain unless report_sender_domain");
	is_str(ev.helo, "", "no HELO name");
}

static void test_roundtrip(void)
{
	struct report_event ev = sample(), back;
	struct buf line = BUF_INIT;
	const char *why = NULL;

	report_event_format(&ev, &line);
	ok(strchr(line.data, '\n') == NULL, "a journal line has no newline");
	ok(strstr(line.data, "HELO%20with%20space?%25%3D") != NULL, "the HELO name is encoded (a control byte is ?): %s",
	   line.data);
	is_int(report_event_parse(line.data, line.len, &back, &why), 0, "the line parses back");
	is_str(back.id, ev.id, "id survives");
	is_str(back.helo, ev.helo, "HELO survives");
	is_str(back.domain, ev.domain, "domain survives");
	is_int(back.time, ev.time, "time survives");
	is_int(back.score, ev.score, "score survives");
	ok(addr_cmp(&back.client, &ev.client) == 0, "client survives");
	is_int(back.n_lists, 2, "lists survive");
	is_str(back.lists[0].name, "bl1.test", "first list name");
	is_int(back.lists[1].code, 0x7f00000a, "second list code");
	buf_free(&line);

	const char *keys[REPORT_FIELDS_MAX];
	struct buf vals[REPORT_FIELDS_MAX];
	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_init(&vals[i]);
	size_t n = report_event_fields(&ev, keys, vals);
	is_int(n, 9, "nine stream fields with a domain");
	memset(&back, 0, sizeof(back));
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += report_event_set(&back, keys[i], strlen(keys[i]), vals[i].data, vals[i].len) != 0;
	is_int(bad, 0, "every stream field decodes");
	is_int(report_event_check(&back, &why), 0, "and the event is complete");
	is_str(back.helo, ev.helo, "HELO survives the stream fields");
	for (size_t i = 0; i < REPORT_FIELDS_MAX; i++)
		buf_free(&vals[i]);
}

/* TXT texts: one per list, controls (TAB, the separator) as '?', through journal and stream. */
static void test_texts(void)
{
	static const char *const lists[] = { "bl1.test", "", "px.test", "nt.test" };
	static const uint32_t codes[] = { 0x7f000002, 0x7f000003, 0x7f000004, 0x7f000005 };
	static const char *const texts[] = { "Listed\tas open proxy, see http://bl1.test/?ip=192.0.2.9 100%", "dropped",
					     NULL, "\xff\xfe bytes" };
	addr_t client;
	struct report_event ev, back;
	struct buf line = BUF_INIT;
	const char *why = NULL;

	if (addr_parse("192.0.2.9", &client) != 0)
		abort();
	struct report_event_in in = { .client = &client, .action = "reject", .n_lists = 4, .lists = lists,
				      .codes = codes, .texts = texts };
	report_event_build(&ev, &in, "mx1", false);
	is_int(ev.n_lists, 3, "three lists");
	is_str(ev.lists[0].text, "Listed?as open proxy, see http://bl1.test/?ip=192.0.2.9 100%", "a text, its TAB as ?");
	is_str(ev.lists[1].text, "", "a list without a text");
	is_str(ev.lists[2].text, "\xff\xfe bytes", "8-bit bytes kept (the notice cleans them)");
	report_event_format(&ev, &line);
	ok(strstr(line.data, "\ttxt=Listed?as%20open%20proxy,%20see%20http://bl1.test/?ip%3D192.0.2.9%20100%25%09%09%FF%FE%20bytes") != NULL,
	   "the txt field: the texts in list order, TAB-separated, encoded: %s", line.data);
	is_int(report_event_parse(line.data, line.len, &back, &why), 0, "it parses back");
	for (size_t i = 0; i < 3; i++)
		is_str(back.lists[i].text, ev.lists[i].text, "text %zu survives", i);
	buf_reset(&line);
	in.texts = NULL;
	report_event_build(&ev, &in, "mx1", false);
	report_event_format(&ev, &line);
	ok(strstr(line.data, "txt=") == NULL && ev.lists[0].text[0] == '\0', "no texts: no txt field");
	const char *old = "id=x\tt=1700000000\tclient=192.0.2.1\tlists=bl.test%3D127.0.0.2";
	is_int(report_event_parse(old, strlen(old), &back, &why), 0, "an event without txt (an older writer) parses");
	is_str(back.lists[0].text, "", "with no text");
	char longtxt[2 * REPORT_TEXT_MAX];
	memset(longtxt, 'a', sizeof(longtxt) - 1);
	longtxt[sizeof(longtxt) - 1] = '\0';
	memset(&back, 0, sizeof(back));
	is_int(report_event_set(&back, "txt", 3, longtxt, strlen(longtxt)), 0, "an over-long text is accepted");
	is_int(strlen(back.lists[0].text), REPORT_TEXT_MAX, "cut to REPORT_TEXT_MAX");
	buf_free(&line);
}

static const struct {
	const char *line;
	bool good;
	const char *what;
} parse_cases[] = {
	{ "id=x\tt=1700000000\tclient=192.0.2.1", true, "the three required fields" },
	{ "id=x\tt=1700000000\tclient=192.0.2.1\tfuture=1", true, "an unknown field is ignored" },
	{ "id=x\tt=1700000000", false, "no client" },
	{ "t=1700000000\tclient=192.0.2.1", false, "no id" },
	{ "id=x\tclient=192.0.2.1", false, "no time" },
	{ "id=x\tt=abc\tclient=192.0.2.1", false, "time not a number" },
	{ "id=x\tt=1700000000\tclient=192.0.2.300", false, "bad address" },
	{ "id=x%2\tt=1700000000\tclient=192.0.2.1", false, "cut escape" },
	{ "id=x%zz\tt=1700000000\tclient=192.0.2.1", false, "bad escape" },
	{ "id=x%00\tt=1700000000\tclient=192.0.2.1", false, "escaped NUL" },
	{ "id=a b\tt=1700000000\tclient=192.0.2.1", false, "raw space in a value" },
	{ "id\tt=1700000000\tclient=192.0.2.1", false, "field without '='" },
	{ "id=x\tt=1\tclient=192.0.2.1\tlists=a%3D127.0.0.256", false, "code octet over 255" },
	{ "id=x\tt=1\tclient=192.0.2.1\tlists=%3D127.0.0.2", false, "list without a name" },
	{ "id=x\tt=1\tclient=192.0.2.1\tlists=a%3D127.0.0.2%20b%3D127.0.0.3", true, "two lists" },
	{ "id=x\tt=1\tclient=192.0.2.1\tscore=99999999999", false, "score out of range" },
};

static void test_parse_cases(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct report_event ev;
		const char *why = NULL;
		int rc = report_event_parse(parse_cases[i].line, strlen(parse_cases[i].line), &ev, &why);
		is_int(rc, parse_cases[i].good ? 0 : -1, "%s", parse_cases[i].what);
	}
	/* at the HELO limit, and one over */
	struct buf line = BUF_INIT;
	struct report_event ev;
	const char *why;
	buf_puts(&line, "id=x\tt=1\tclient=192.0.2.1\thelo=");
	for (int i = 0; i < REPORT_NAME_MAX; i++)
		buf_putc(&line, 'h');
	is_int(report_event_parse(line.data, line.len, &ev, &why), 0, "HELO of REPORT_NAME_MAX bytes");
	buf_putc(&line, 'h');
	is_int(report_event_parse(line.data, line.len, &ev, &why), -1, "HELO one byte longer");
	buf_free(&line);
}

int main(void)
{
	test_build();
	test_roundtrip();
	test_texts();
	test_parse_cases();
	return tap_done();
}
