/* test_listfile - rbldnsd datasets and CIDR lists: syntax, limits, errors, lookups, ranges. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "listfile.h"
#include "log.h"
#include "tap.h"

static char tmpdir[256];

/* Write content to a fresh file in tmpdir; returns its path (static buffer). */
static const char *fixture(const char *name, const char *content, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(content, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

static void code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 255, (code >> 8) & 255, code & 255);
}

static int range_collect(const addr_t *first, const addr_t *last, uint32_t code, const char *text,
			 void *vctx)
{
	struct buf *out = vctx;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[16];

	code_text(code, c);
	buf_printf(out, "%s%s-%s=%s", out->len ? " | " : "", addr_format(first, a), addr_format(last, b), c);
	if (text != NULL)
		buf_printf(out, "/%s", text);
	return 0;
}

static const struct {
	const char *name;
	enum listfile_format format;
	const char *content;
	const char *ranges;	/* walk_ranges output */
	size_t entries, bad;
} cases[] = {
	{ "ip4set full address", LISTFILE_IP4SET, "192.0.2.1\n", "192.0.2.1-192.0.2.1=127.0.0.2", 1, 0 },
	{ "ip4set octet prefixes, a bare number refused", LISTFILE_IP4SET, "10.1.2\n10.2\n11\n11/8\n",
	  "10.1.2.0-10.1.2.255=127.0.0.2 | 10.2.0.0-10.2.255.255=127.0.0.2 | 11.0.0.0-11.255.255.255=127.0.0.2", 3, 1 },
	{ "ip4set CIDR forms", LISTFILE_IP4SET, "127/24\n127.16/12\n10.0.0.4/30\n",
	  "10.0.0.4-10.0.0.7=127.0.0.2 | 127.0.0.0-127.0.0.255=127.0.0.2 | 127.16.0.0-127.31.255.255=127.0.0.2", 3, 0 },
	{ "ip4set ranges", LISTFILE_IP4SET,
	  "1.0.0.0-1.0.0.9\n2.16-2.31\n3.16-31\n4.0.0.1-255\n5-5.0.0\n6-7\n",
	  "1.0.0.0-1.0.0.9=127.0.0.2 | 2.16.0.0-2.31.255.255=127.0.0.2 | 3.16.0.0-3.31.255.255=127.0.0.2"
	  " | 4.0.0.1-4.0.0.255=127.0.0.2 | 6.0.0.0-7.255.255.255=127.0.0.2", 5, 1 },
	{ "values: default, :A:TXT, :A, :A:, TXT, comment", LISTFILE_IP4SET,
	  ":127.0.0.2:IP $ listed\n10.0.0.1\n10.0.0.2 :4:proxy $\n10.0.0.3 :5\n10.0.0.4 :6:\n"
	  "10.0.0.5 open relay $\n10.0.0.6 # a comment\n10.0.0.7 ; another\n",
	  "10.0.0.1-10.0.0.1=127.0.0.2/IP $ listed | 10.0.0.2-10.0.0.2=127.0.0.4/proxy $"
	  " | 10.0.0.3-10.0.0.3=127.0.0.5/IP $ listed | 10.0.0.4-10.0.0.4=127.0.0.6"
	  " | 10.0.0.5-10.0.0.5=127.0.0.2/open relay $ | 10.0.0.6-10.0.0.7=127.0.0.2/IP $ listed", 7, 0 },
	{ "default A forms", LISTFILE_AUTO, ":1.3:t\n10.0.0.1\n:127.0.9.9\n10.0.0.2\n:3:x\n10.0.0.3\n",
	  "10.0.0.1-10.0.0.1=1.0.0.3/t | 10.0.0.2-10.0.0.2=127.0.9.9 | 10.0.0.3-10.0.0.3=127.0.0.3/x", 3, 0 },
	{ "specials and comments", LISTFILE_AUTO,
	  "# c\n; c\n$SOA 60 ns. hm. 0 600 300 86400 60\n$NS 60 ns.\n$TTL 1h30m\n"
	  "$1 http://x/\n$2 now\n:2:see $1$ $2 $$5\n   \n\t10.0.0.1  \n",
	  "10.0.0.1-10.0.0.1=127.0.0.2/see http://x/$ now $$5", 1, 0 },
	{ "base template $=", LISTFILE_AUTO,
	  "$= See bl?$= ($)\n10.0.0.2 r123\n10.0.0.3\n10.0.0.4 =Other $\n",
	  "10.0.0.2-10.0.0.2=127.0.0.2/See bl?r123 ($) | 10.0.0.3-10.0.0.3=127.0.0.2/See bl?$ ($)"
	  " | 10.0.0.4-10.0.0.4=127.0.0.2/Other $", 3, 0 },
	{ "exclusion inside a range", LISTFILE_IP4SET, "10.0.0.0-10.0.0.255\n!10.0.0.5\n! 10.0.0.8/29 :3:x\n",
	  "10.0.0.0-10.0.0.4=127.0.0.2 | 10.0.0.6-10.0.0.7=127.0.0.2 | 10.0.0.16-10.0.0.255=127.0.0.2", 3, 0 },
	{ "exclusion beats the same prefix in any order", LISTFILE_IP4SET,
	  "!10.0.0.0/24\n10.0.0.0/24\n10.0.1.0/24\n!10.0.1.0/24\n10.0.0.9\n", "10.0.0.9-10.0.0.9=127.0.0.2", 5, 0 },
	{ "overlapping ranges: more specific wins", LISTFILE_IP4SET,
	  "10.0.0.0/24 :3:A\n10.0.0.128-10.0.1.255 :4:B\n10.0.0.64/26 :3:A\n",
	  "10.0.0.0-10.0.0.127=127.0.0.3/A | 10.0.0.128-10.0.1.255=127.0.0.4/B", 3, 0 },
	{ "first listing of the same prefix wins", LISTFILE_IP4SET, "10.0.0.1 :3\n10.0.0.1 :4\n",
	  "10.0.0.1-10.0.0.1=127.0.0.3", 2, 0 },
	{ "ip4set compares at octet boundaries", LISTFILE_IP4SET,
	  "!10.0.0.0/20\n10.0.0.0/22 :4\n10.1.0.0/20 :3\n10.1.0.0/22 :4\n",
	  "10.1.0.0-10.1.15.255=127.0.0.3", 4, 0 },
	{ "ip4trie: longest prefix, first line wins", LISTFILE_IP4TRIE,
	  "10.0.0.0/20 :3\n!10.0.0.0/22\n10.0.0.0/22 :5\n0/0 :6\n1.2.3.4-1.2.3.5\n",
	  "0.0.0.0-9.255.255.255=127.0.0.6 | 10.0.4.0-10.0.15.255=127.0.0.3"
	  " | 10.0.16.0-255.255.255.255=127.0.0.6", 4, 1 },
	{ "ip6trie: first line wins, host bits refused", LISTFILE_IP6TRIE,
	  "2001:db8::/32 :3\n2001:db8::/32 :4\n2001:db8::1/32\n2001\n",
	  "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff=127.0.0.3", 2, 2 },
	{ "host bits are a bad line", LISTFILE_AUTO, "1.2.3.4/24 :5:x\n1.2.4.0/24\n",
	  "1.2.4.0-1.2.4.255=127.0.0.2", 1, 1 },
	{ "values as rbldnsd reads them", LISTFILE_AUTO,
	  ":3: spaced\n10.0.0.1:4:nospace\n10.0.0.2#c\n10.0.0.3 :5 junk\n10.0.0.4 :0:x\n10.0.0.5 =eq\n",
	  "10.0.0.1-10.0.0.1=127.0.0.4/nospace | 10.0.0.2-10.0.0.2=127.0.0.3/spaced"
	  " | 10.0.0.5-10.0.0.5=127.0.0.3/eq", 3, 2 },
	{ "first $n wins, defined anywhere", LISTFILE_AUTO, "10.0.0.1 a $1 $9\n$1 one\n$1 two\n",
	  "10.0.0.1-10.0.0.1=127.0.0.2/a one $$9", 1, 0 },
	{ "$MAXRANGE4 drops wider entries", LISTFILE_AUTO, "$MAXRANGE4 /24\n10.0.0.0/23\n10.0.2.0/24\n"
	  "$MAXRANGE4 1024\n10.1.0.0/22\n",
	  "10.0.2.0-10.0.2.255=127.0.0.2", 1, 0 },
	{ "#$ specials", LISTFILE_AUTO, "#$1 v\n#$ a comment\n10.0.0.1 $1\n",
	  "10.0.0.1-10.0.0.1=127.0.0.2/v", 1, 0 },
	{ "ip6tset: /64 entries, /128 exclusions, one value", LISTFILE_IP6TSET,
	  ":3:a\n:4:b\n2001:db8:1:2 :5:own\n2001:db8::/64\n2001:db8:1\n!2001:db8:1:2\n!2001:db8:1:2::1\n",
	  "2001:db8:1:2::-2001:db8:1:2::=127.0.0.3/a | 2001:db8:1:2::2-2001:db8:1:2:ffff:ffff:ffff:ffff=127.0.0.3/a",
	  2, 3 },
	{ "ip6tset words and exclusion", LISTFILE_IP6TSET,
	  ":127.0.0.2:v6 $\n2001:db8:64:1\n!2001:db8:64:1::99\n",
	  "2001:db8:64:1::-2001:db8:64:1::98=127.0.0.2/v6 $ | 2001:db8:64:1::9a-2001:db8:64:1:ffff:ffff:ffff:ffff=127.0.0.2/v6 $",
	  2, 0 },
	{ "ip6trie forms in auto", LISTFILE_AUTO,
	  "2001:21ab:c000/36\n2605:6001:42::/52 :3:\n::ffff:7f00:2\n",
	  "::ffff:127.0.0.2-::ffff:127.0.0.2=127.0.0.2 | 2001:21ab:c000::-2001:21ab:cfff:ffff:ffff:ffff:ffff:ffff=127.0.0.2"
	  " | 2605:6001:42::-2605:6001:42:fff:ffff:ffff:ffff:ffff=127.0.0.3", 3, 0 },
	{ "IPv6 /0 and /128", LISTFILE_AUTO, "::/0 :5:\n!2001:db8::1\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 :6:\n",
	  "::-2001:db8::=127.0.0.5 | 2001:db8::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe=127.0.0.5"
	  " | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff=127.0.0.6", 3, 0 },
	{ "IPv4 /0 with /32 at the top", LISTFILE_IP4TRIE, "0/0 :2\n255.255.255.255 :3\n",
	  "0.0.0.0-255.255.255.254=127.0.0.2 | 255.255.255.255-255.255.255.255=127.0.0.3", 2, 0 },
	{ "CRLF line ends", LISTFILE_AUTO, ":3:crlf $\r\n10.0.0.1\r\n2001:db8::/64 :4:x\r\n",
	  "10.0.0.1-10.0.0.1=127.0.0.3/crlf $ | 2001:db8::-2001:db8::ffff:ffff:ffff:ffff=127.0.0.4/x", 2, 0 },
	{ "cidr plain list", LISTFILE_CIDR, "# list\n192.0.2.0/24\n2001:db8::1 # host\n10.1.2.3/8\n10.0.0.0/8\n",
	  "10.0.0.0-10.255.255.255=127.0.0.2 | 192.0.2.0-192.0.2.255=127.0.0.2 | 2001:db8::1-2001:db8::1=127.0.0.2", 3, 1 },
	{ "cidr: Spamhaus DROP comments are texts", LISTFILE_CIDR,
	  "; Spamhaus DROP List 2026/12/06\n; Last-Modified: x\n1.10.16.0/20 ; SBL256894\n"
	  "2a06:e480::/29 ; SBL301771\n5.0.0.0/24;SBL$1\n",
	  "1.10.16.0-1.10.31.255=127.0.0.2/SBL256894 | 5.0.0.0-5.0.0.255=127.0.0.2/SBL$$1"
	  " | 2a06:e480::-2a06:e487:ffff:ffff:ffff:ffff:ffff:ffff=127.0.0.2/SBL301771", 3, 0 },
	{ "cidr refuses rbldnsd syntax", LISTFILE_CIDR, "10.1.2\n:2:x\n!10.0.0.1\n10.0.0.1 text\n$TTL 5\n10.0.0.2\n",
	  "10.0.0.2-10.0.0.2=127.0.0.2", 1, 5 },
	{ "cidr: Spamhaus JSON DROP lines", LISTFILE_CIDR,
	  "{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n"
	  " { \"rir\" : \"ripencc\", \"cidr\" : \"2a06:e480::/29\", \"sblid\" : \"SBL\\u0031\\/x\" }\n"
	  "{\"cidr\":\"5.0.0.0/24\"}\n"
	  "{\"cidr\":\"6.0.0.1/24\",\"sblid\":\"SBL9\"}\n"
	  "{\"cidr\":\"7.0.0.0/24\",\"sblid\":\"SBL9\"\n"
	  "{\"cidr\":{\"a\":1}}\n"
	  "{\"type\":\"metadata\",\"timestamp\":1765000000,\"size\":123,\"records\":3,"
	  "\"a-very-long-key-name-here\":true,\"copyright\":\"(c) Spamhaus\",\"x\":null,\"y\":-1.5e3}\n",
	  "1.10.16.0-1.10.31.255=127.0.0.2/SBL256894 | 5.0.0.0-5.0.0.255=127.0.0.2"
	  " | 2a06:e480::-2a06:e487:ffff:ffff:ffff:ffff:ffff:ffff=127.0.0.2/SBL?/x", 3, 3 },
	{ "families in the wrong format", LISTFILE_IP4SET, "2001:db8::1\n10.0.0.1\n", "10.0.0.1-10.0.0.1=127.0.0.2", 1, 1 },
	{ "IPv4 in ip6tset", LISTFILE_IP6TSET, "10.0.0.1\n2001:db8:1:2\n",
	  "2001:db8:1:2::-2001:db8:1:2:ffff:ffff:ffff:ffff=127.0.0.2", 1, 1 },
	{ "bad lines skipped", LISTFILE_AUTO,
	  "256.0.0.1\n10.0.0.9-10.0.0.1\n1.2.3.4.5\n10.0.0.1 :300:x\n$FOO\n$TTL x\n"
	  "2001:db8::g\n1.2.3/33\n!\n0/0\n10.0.0.2\n",
	  "10.0.0.2-10.0.0.2=127.0.0.2", 1, 10 },
	{ "empty file", LISTFILE_AUTO, "", "", 0, 0 },
	{ "no final newline", LISTFILE_AUTO, "10.0.0.1", "10.0.0.1-10.0.0.1=127.0.0.2", 1, 0 },
};

static void test_cases(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = false, .max_entries = 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = fixture("case.txt", cases[i].content, strlen(cases[i].content));
		listfile_t *list = NULL;
		char *error = NULL;
		opts.format = cases[i].format;
		if (!ok(listfile_load(path, &opts, &list, &error) == 0, "%s: loads", cases[i].name)) {
			tap_diag("  %s", error);
			free(error);
			continue;
		}
		struct buf out = BUF_INIT;
		is_int(listfile_walk_ranges(list, range_collect, &out), 0, "%s: walk returns 0",
		       cases[i].name);
		is_str(buf_cstr(&out), cases[i].ranges, "%s: ranges", cases[i].name);
		is_int(listfile_entries(list), cases[i].entries, "%s: entries", cases[i].name);
		is_int(listfile_bad_lines(list), cases[i].bad, "%s: bad lines", cases[i].name);
		buf_free(&out);
		listfile_free(&list);
	}
}

static const struct {
	const char *content;
	enum listfile_format format;
	const char *error;	/* after "PATH:" */
} abort_cases[] = {
	{ "10.0.0.1\n\n1.2.3.256\n", LISTFILE_AUTO, "3: invalid address" },
	{ "10.0.0.9-10.0.0.1\n", LISTFILE_IP4SET, "1: invalid address" },
	{ "10.0.0.1 :1.2.3.4.5:x\n", LISTFILE_AUTO, "1: unrecognized value for an entry" },
	{ "2001:db8::g\n", LISTFILE_AUTO, "1: invalid address" },
	{ "$TTL 1y\n", LISTFILE_AUTO, "1: bad $TTL value" },
	{ "$WHAT 1\n", LISTFILE_AUTO, "1: invalid or unrecognized special entry" },
	{ "1.2.3.4/24 :5:x\n", LISTFILE_AUTO, "1: invalid range (non-zero host part)" },
	{ "0.0.0.0/0\n", LISTFILE_IP4SET, "1: invalid address" },
	{ "10.0.0.1 :0:x\n", LISTFILE_AUTO, "1: invalid A RR" },
	{ "10.0.0.0/8 ; x\n10.1.2.3/8\n", LISTFILE_CIDR, "2: invalid range (non-zero host part)" },
	{ "2001:db8::1\n", LISTFILE_IP4SET, "1: IPv6 entry in an ip4set list" },
	{ "10.0.0.1\n", LISTFILE_IP6TSET, "1: IPv4 entry in an ip6tset list" },
	{ "10.0.0.1 x\n", LISTFILE_CIDR, "1: text after the network" },
	{ "10.0.0\n", LISTFILE_CIDR, "1: bad address or CIDR" },
	{ "!\n", LISTFILE_AUTO, "1: invalid address" },
	{ "a\0b\n", LISTFILE_AUTO, "1: NUL byte in line" },
};

static void test_abort(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = true, .max_entries = 0 };

	for (size_t i = 0; i < sizeof(abort_cases) / sizeof(abort_cases[0]); i++) {
		const char *c = abort_cases[i].content;
		size_t len = c[0] == 'a' ? 4 : strlen(c);	/* "a\0b\n" has a NUL inside */
		const char *path = fixture("abort.txt", c, len);
		listfile_t *list = NULL;
		char *error = NULL, want[600];
		opts.format = abort_cases[i].format;
		snprintf(want, sizeof(want), "%s:%s", path, abort_cases[i].error);
		ok(listfile_load(path, &opts, &list, &error) == -1 && list == NULL,
		   "abort: load of case %zu fails", i);
		is_str(error, want, "abort: error text of case %zu", i);
		free(error);
	}
	listfile_t *list = NULL;
	char *error = NULL, want[600];
	snprintf(want, sizeof(want), "%s/missing.txt: No such file or directory", tmpdir);
	char path[512];
	snprintf(path, sizeof(path), "%s/missing.txt", tmpdir);
	ok(listfile_load(path, &opts, &list, &error) == -1, "missing file fails");
	is_str(error, want, "missing file error text");
	free(error);
}

/* max_entries: a list at the limit loads; past it the load fails, even without abort_on_bad_line. */
static void test_max_entries(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = false, .max_entries = 3 };
	listfile_t *list = NULL;
	char *error = NULL, want[600];
	const char *path = fixture("case.txt", "192.0.2.1\n192.0.2.2\n192.0.2.3\n", 30);

	ok(listfile_load(path, &opts, &list, &error) == 0 && list != NULL, "max_entries 3: 3 prefixes load");
	listfile_free(&list);
	path = fixture("case.txt", "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n", 40);
	ok(listfile_load(path, &opts, &list, &error) == -1 && list == NULL, "max_entries 3: 4 prefixes fail");
	snprintf(want, sizeof(want), "%s:4: list too large: more than 3 prefixes", path);
	is_str(error, want, "max_entries 3: the error names file, line and limit");
	free(error);
	/* a range that crosses the limit in its middle */
	path = fixture("case.txt", "192.0.2.1\n192.0.2.2\n192.0.2.9-192.0.2.10\n", 41);
	ok(listfile_load(path, &opts, &list, &error) == -1, "max_entries 3: a range crossing it fails");
	snprintf(want, sizeof(want), "%s:3: list too large: more than 3 prefixes", path);
	is_str(error, want, "max_entries 3: ... at the range's line");
	free(error);
}

static void test_limits(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = false, .max_entries = 0 };
	struct buf data = BUF_INIT;
	listfile_t *list = NULL;
	char *error = NULL;

	/* A comment line exactly at the limit, one past it, and one of 1 MB. */
	buf_putc(&data, '#');
	for (size_t i = 1; i < LISTFILE_LINE_MAX; i++)
		buf_putc(&data, 'x');
	buf_puts(&data, "\n10.0.0.1\n#");
	for (size_t i = 0; i < LISTFILE_LINE_MAX; i++)
		buf_putc(&data, 'x');
	buf_puts(&data, "\r\n10.0.0.2\n");
	for (size_t i = 0; i < 1024 * 1024; i++)
		buf_putc(&data, '1');
	buf_puts(&data, "\n10.0.0.3\n");
	const char *path = fixture("long.txt", data.data, data.len);
	ok(listfile_load(path, &opts, &list, &error) == 0, "long lines: load succeeds");
	is_int(listfile_bad_lines(list), 2, "long lines: the two over the limit are bad");
	is_int(listfile_entries(list), 3, "long lines: the entries around them load");
	listfile_free(&list);
	opts.abort_on_bad_line = true;
	char want[600];
	snprintf(want, sizeof(want), "%s:3: line too long", path);
	ok(listfile_load(path, &opts, &list, &error) == -1, "long lines: abort mode fails");
	is_str(error, want, "long lines: error names line 3");
	free(error);

	/* rbldnsd keeps 255 bytes of a template and answers at most 254. */
	buf_reset(&data);
	buf_puts(&data, "10.0.0.1 :2:");
	for (size_t i = 0; i < 300; i++)
		buf_putc(&data, 't');
	buf_puts(&data, "\n$= $=$=\n");
	path = fixture("text.txt", data.data, data.len);
	opts.abort_on_bad_line = true;
	ok(listfile_load(path, &opts, &list, &error) == 0, "long text: loads");
	struct listfile_hit hit;
	addr_t a;
	struct buf out = BUF_INIT;
	(void)!addr_parse("10.0.0.1", &a);
	ok(list && listfile_lookup(list, &a, &hit) && hit.text != NULL, "long text: listed");
	if (hit.text != NULL)
		listfile_expand_text(hit.text, &a, &out);
	is_int(out.len, 254, "long text: the answer is cut at 254 bytes");
	buf_free(&out);
	listfile_free(&list);

	/* A combined dataset is refused whatever list_bad_line_action says. */
	path = fixture("combined.txt", "$NS 1w ns.\n$DATASET ip4set:proxy @\n10.0.0.1\n",
		       strlen("$NS 1w ns.\n$DATASET ip4set:proxy @\n10.0.0.1\n"));
	opts.abort_on_bad_line = false;
	snprintf(want, sizeof(want), "%s:2: a combined dataset ($DATASET) is not supported: give "
		 "each section its own file in file_lists", path);
	ok(listfile_load(path, &opts, &list, &error) == -1 && list == NULL,
	   "$DATASET: the load fails in skip mode too");
	is_str(error, want, "$DATASET: error names the line");
	free(error);
	buf_free(&data);
}

/* Many bad lines: all counted, 20 logged and one summary; stderr captured. */
static void test_log_limit(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = false, .max_entries = 0 };
	struct buf data = BUF_INIT;
	listfile_t *list = NULL;
	char *error = NULL;
	const char *path;

	for (int i = 0; i < 30; i++)
		buf_puts(&data, "junk\n");
	path = fixture("junk.txt", data.data, data.len);
	char junk[512], logpath[512];
	snprintf(junk, sizeof(junk), "%s", path);
	snprintf(logpath, sizeof(logpath), "%s/log.txt", tmpdir);
	int saved = dup(STDERR_FILENO);
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	int rc = listfile_load(junk, &opts, &list, &error);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	ok(rc == 0, "30 bad lines: load succeeds");
	is_int(list ? listfile_bad_lines(list) : 0, 30, "30 bad lines counted");
	listfile_free(&list);

	FILE *f = fopen(logpath, "r");
	char line[1024], want1[600], want_sum[600];
	int lines = 0, first_ok = 0, last_ok = 0;
	snprintf(want1, sizeof(want1), "warning: %s:1: invalid address\n", junk);
	snprintf(want_sum, sizeof(want_sum), "warning: %s: 30 bad lines skipped, only the first 20 logged\n", junk);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		const char *w = strstr(line, "warning: ");
		lines++;
		if (lines == 1)
			first_ok = w != NULL && strcmp(w, want1) == 0;
		last_ok = w != NULL && strcmp(w, want_sum) == 0;
	}
	if (f != NULL)
		fclose(f);
	unlink(logpath);
	is_int(lines, LISTFILE_BAD_LINES_LOGGED + 1, "30 bad lines: 20 logged plus one summary");
	ok(first_ok, "first logged line is \"PATH:1: invalid address\"");
	ok(last_ok, "summary line text");
	buf_free(&data);
}

static void test_lookups(void)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = true, .max_entries = 0 };
	const char *top = getenv("top_srcdir");
	char path[1024];
	listfile_t *list = NULL;
	char *error = NULL;
	struct listfile_hit hit;
	addr_t a;

	snprintf(path, sizeof(path), "%s/tests/data/rbldnsd/test.bl.ip4set", top ? top : "..");
	if (!ok(listfile_load(path, &opts, &list, &error) == 0, "real ip4set example loads")) {
		tap_diag("  %s", error);
		free(error);
		return;
	}
	(void)!addr_parse("192.0.2.6", &a);
	ok(listfile_lookup(list, &a, &hit) && hit.code == 0x7f000003, "192.0.2.6 listed as 127.0.0.3");
	is_str(hit.text, "Open relay $", "192.0.2.6 text");
	struct buf out = BUF_INIT;
	listfile_expand_text(hit.text, &a, &out);
	is_str(buf_cstr(&out), "Open relay 192.0.2.6", "text expanded");
	(void)!addr_parse("192.0.2.5", &a);
	ok(listfile_lookup(list, &a, &hit) && hit.code == 0x7f000002, "192.0.2.5 has the default code");
	const char *t1 = hit.text;
	(void)!addr_parse("203.0.113.19", &a);
	ok(listfile_lookup(list, &a, &hit) && hit.text == t1, "default text stored once (same pointer)");
	(void)!addr_parse("203.0.113.20", &a);
	ok(!listfile_lookup(list, &a, NULL), "203.0.113.20 past the range");
	(void)!addr_parse("198.51.100.77", &a);
	ok(!listfile_lookup(list, &a, &hit), "198.51.100.77 excluded");
	(void)!addr_parse("198.51.100.78", &a);
	ok(listfile_lookup(list, &a, NULL), "198.51.100.78 listed");
	(void)!addr_parse("127.0.0.1", &a);
	ok(!listfile_lookup(list, &a, NULL), "127.0.0.1 not listed");
	(void)!addr_parse("::ffff:127.0.0.2", &a);
	ok(listfile_lookup(list, &a, NULL), "mapped 127.0.0.2 listed");
	is_int(listfile_ttl(list), 0, "no $TTL: 0");
	listfile_free(&list);
	ok(list == NULL, "free sets NULL");

	snprintf(path, sizeof(path), "%s/tests/data/rbldnsd/test.bl.ip6tset", top ? top : "..");
	opts.format = LISTFILE_IP6TSET;
	ok(listfile_load(path, &opts, &list, &error) == 0, "real ip6tset example loads");
	(void)!addr_parse("2001:db8:64:1:ffff::1", &a);
	ok(list && listfile_lookup(list, &a, &hit) && hit.text && strcmp(hit.text, "IPv6 /64 of $ listed in test.bl (ip6tset)") == 0,
	   "ip6tset /64 listed with its text");
	(void)!addr_parse("2001:db8:64:1::99", &a);
	ok(list && !listfile_lookup(list, &a, NULL), "ip6tset exclusion");
	listfile_free(&list);

	buf_reset(&out);
	(void)!addr_parse("2001:db8::1", &a);
	listfile_expand_text("$ costs $$5 ($)", &a, &out);
	is_str(buf_cstr(&out), "2001:db8::1 costs $5 (2001:db8::1)", "expand: $ and $$");
	buf_free(&out);

	const char *ttl = fixture("ttl.txt", "$TTL 2d\n$TTL 1w2d3h4m5s\n",
				  strlen("$TTL 2d\n$TTL 1w2d3h4m5s\n"));
	opts.format = LISTFILE_AUTO;
	ok(listfile_load(ttl, &opts, &list, &error) == 0 && listfile_ttl(list) == 788645,
	   "$TTL with units, last one wins");
	listfile_free(&list);
}

static void test_format_parse(void)
{
	static const struct {
		const char *s;
		int rc;
		enum listfile_format fmt;
	} f[] = {
		{ "auto", 0, LISTFILE_AUTO }, { "ip4set", 0, LISTFILE_IP4SET },
		{ "ip6tset", 0, LISTFILE_IP6TSET }, { "cidr", 0, LISTFILE_CIDR },
		{ "ip4trie", 0, LISTFILE_IP4TRIE }, { "ip6trie", 0, LISTFILE_IP6TRIE },
		{ "ip4tset", -1, LISTFILE_AUTO }, { "", -1, LISTFILE_AUTO },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		enum listfile_format fmt = LISTFILE_AUTO;
		int rc = listfile_format_parse(f[i].s, &fmt);
		ok(rc == f[i].rc && (rc != 0 || fmt == f[i].fmt), "format \"%s\"", f[i].s);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_listfile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	log_open("test_listfile", LOG_TO_STDERR, 0);
	test_format_parse();
	test_cases();
	test_abort();
	test_limits();
	test_max_entries();
	test_log_limit();
	test_lookups();
	static const char *const files[] = { "case.txt", "abort.txt", "long.txt", "text.txt",
					     "junk.txt", "ttl.txt" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	return tap_done();
}
