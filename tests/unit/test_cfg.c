/* test_cfg - the settings table, every value type, the file syntax, every
 * parser message, loading from files, refcounts, the sample file. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "mem.h"
#include "tap.h"

/* Load text; on success return the formatted value of name, else the error. */
static char *load_and_format(const char *text, const char *name)
{
	cfg_t *cfg = NULL;
	char *error = NULL;
	enum cfg_id id;
	struct buf out = BUF_INIT;

	if (cfg_load_mem("t.conf", text, strlen(text), &cfg, &error) != 0)
		return error;
	if (cfg_find(name, &id) != 0)
		return xstrdup("(unknown name in test)");
	cfg_format_value(cfg, id, &out);
	cfg_unref(&cfg);
	char *value = xstrdup(buf_cstr(&out));
	buf_free(&out);
	return value;
}

/* A setting line and its normalized value. */
static const struct {
	const char *line;
	const char *want;
} good[] = {
	{ "log_level = debug", "debug" },
	{ "log_level=DEBUG", "debug" },
	{ "list_bad_line_action = abort", "abort" },
	{ "dnsbl_ipv6 = no", "no" },
	{ "dnsbl_ipv6 = true", "yes" },
	{ "dnsbl_ipv6 = 0", "no" },
	{ "dnsbl_ipv6 = YES", "yes" },
	{ "reject_code = 554", "554" },
	{ "allowlist_threshold = -5", "-5" },
	{ "dnsbl_threshold = +3", "3" },
	{ "cache_size = 0", "0" },
	{ "redis_db = 15", "15" },
	{ "dnsbl_timeout = 500ms", "500ms" },
	{ "dnsbl_timeout = 30", "30s" },
	{ "dnsbl_timeout = 60s", "1m" },
	{ "dnsbl_timeout = 1000ms", "1s" },
	{ "dnsbl_timeout = 100ms", "100ms" },
	{ "dnsbl_probe_interval = 0", "0s" },
	{ "dnsbl_probe_interval = 2h", "2h" },
	{ "dnsbl_max_ttl = 7d", "1w" },
	{ "dnsbl_max_ttl = 2w", "2w" },
	{ "dnsbl_max_ttl = 90m", "90m" },
	{ "policy_socket_mode = 0660", "0660" },
	{ "policy_socket_mode = 600", "0600" },
	{ "policy_socket_mode = 0", "0000" },
	{ "syslog_name = rg test", "rg test" },
	{ "syslog_facility = local3", "local3" },
	{ "myhostname = mx.example.org", "mx.example.org" },
	{ "reject_dsn = 5.7.0", "5.7.0" },
	{ "tempfail_dsn = 4.3.200", "4.3.200" },
	{ "redis_server = 127.0.0.1:6379", "127.0.0.1:6379" },
	{ "redis_server = [::1]:6379", "[::1]:6379" },
	{ "redis_server = unix:/run/redis/redis.sock", "unix:/run/redis/redis.sock" },
	{ "redis_server =", "" },
	{ "redis_password = s3cret", "(hidden)" },
	{ "notify_transport = smtp:mail.example:25", "smtp:mail.example:25" },
	{ "notify_transport = sendmail:/usr/sbin/sendmail", "sendmail:/usr/sbin/sendmail" },
	{ "notify_from = abuse@$myhostname", "abuse@$myhostname" },
	{ "tag_header = X-Foo#bar", "X-Foo#bar" },
	{ "dnsbl_action = Quarantine", "quarantine" },
	{ "policy_check_state = rcpt", "RCPT" },
	{ "spf = reject", "reject" },
	{ "owners_db = /a.db, /b.csv /c", "/a.db, /b.csv, /c" },
	{ "owners_db = ,,", "" },
	{ "allow_networks = 192.0.2.0/24, 2001:db8::/32 10.1.2.3", "192.0.2.0/24, 2001:db8::/32, 10.1.2.3/32" },
	{ "allow_networks = ::ffff:192.0.2.0/120", "192.0.2.0/24" },
	{ "policy_listen = inet:25", "inet:25@0.0.0.0" },
	{ "policy_listen = inet:10040@localhost", "inet:10040@localhost" },
	{ "policy_listen = inet6:10041@[::1]", "inet6:10041@[::1]" },
	{ "policy_listen = inet6:10041@::1", "inet6:10041@[::1]" },
	{ "policy_listen = inet6:99", "inet6:99@[::]" },
	{ "milter_socket = unix:/run/rg.sock", "unix:/run/rg.sock" },
	{ "milter_socket = local:/run/rg.sock", "unix:/run/rg.sock" },
	{ "dnsbl_sites = zen.example.org=127.0.0.[2..11]*3, bl.example.net*2, wl.example.org=127.0.[0..255].[1..3]*-2",
	  "zen.example.org=127.0.0.[2..11]*3, bl.example.net*2, wl.example.org=127.0.[0..255].[1..3]*-2" },
	{ "redis_lists = mylist*5", "mylist*5" },
	{ "file_lists = local:/etc/rg/local.txt*2 drop:/var/lib/drop.ip4set",
	  "local:/etc/rg/local.txt*2, drop:/var/lib/drop.ip4set" },
	{ "file_lists = t:ip4trie:/var/lib/t.ip4trie*3 d:cidr:/var/lib/drop.txt a:auto:/x",
	  "t:ip4trie:/var/lib/t.ip4trie*3, d:cidr:/var/lib/drop.txt, a:auto:/x" },
	{ "dns_servers = 127.0.0.1:5353 ::1 [::1]:5300 ns.example", "127.0.0.1:5353, [::1]:53, [::1]:5300, ns.example:53" },
	{ "dnsbl_reply_map = zen.example=Spamhaus, bl.example=Other", "zen.example=Spamhaus, bl.example=Other" },
	{ "dnsbl_error_codes = 127.255.255.[252..255] zen.example=127.0.0.[1;3]",
	  "127.255.255.[252..255], zen.example=127.0.0.[1;3]" },
	{ "dnsbl_error_codes =", "" },
};

static void test_good_values(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char name[64];
		sscanf(good[i].line, "%63[a-z_0-9]", name);
		char *got = load_and_format(good[i].line, name);
		is_str(got, good[i].want, "value: %s", good[i].line);
		free(got);
	}
}

#define E_DURATION "expected a duration: a number with unit ms, s, m, h, d or w (a bare number is seconds)"
#define E_SOCKET "expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/PATH or local:/PATH"
#define E_PORT "port must be a number from 1 to 65535"
#define E_PATH "socket path must be absolute and at most 107 bytes"
#define E_HOSTPORT "expected HOST[:PORT] or [IPV6-ADDRESS][:PORT]"
#define E_HOST "host must be a name (letters, digits, '-', '_', '.') or an address"
#define E_REDIS "expected HOST:PORT, [IPV6-ADDRESS]:PORT or unix:/PATH"
#define E_TRANSPORT "expected outbox:/DIR, sendmail:/PATH or smtp:HOST:PORT"
#define E_BOOL "expected yes or no (also true/false, 1/0)"
#define E_MODE "expected an octal file mode such as 0660"

/* A one-line file and its whole error text (the file is t.conf). */
static const struct {
	const char *text;
	const char *error;
} bad[] = {
	{ "dnsbl_ipv6 = maybe", "t.conf:1: bad value for dnsbl_ipv6: \"maybe\": " E_BOOL },
	{ "redis_username = rg user", "t.conf:1: bad value for redis_username: \"rg user\": expected a Redis user "
				      "name without spaces or control characters, at most 128 bytes" },
	{ "dnsbl_ipv6 =", "t.conf:1: bad value for dnsbl_ipv6: \"\": " E_BOOL },
	{ "reject_code = 5x0", "t.conf:1: bad value for reject_code: \"5x0\": expected an integer" },
	{ "reject_code = 450", "t.conf:1: bad value for reject_code: \"450\": expected an integer from 500 to 599" },
	{ "reject_code = 99999999999999999999",
	  "t.conf:1: bad value for reject_code: \"99999999999999999999\": expected an integer" },
	{ "reject_code = ", "t.conf:1: bad value for reject_code: \"\": expected an integer" },
	{ "cache_size = -1", "t.conf:1: bad value for cache_size: \"-1\": expected an integer from 0 to 100000000" },
	{ "dnsbl_timeout = 5 s", "t.conf:1: bad value for dnsbl_timeout: \"5 s\": " E_DURATION },
	{ "dnsbl_timeout = 5x", "t.conf:1: bad value for dnsbl_timeout: \"5x\": " E_DURATION },
	{ "dnsbl_timeout = -1s", "t.conf:1: bad value for dnsbl_timeout: \"-1s\": " E_DURATION },
	{ "dnsbl_timeout = s", "t.conf:1: bad value for dnsbl_timeout: \"s\": " E_DURATION },
	{ "dnsbl_timeout = 99999999999999999w", "t.conf:1: bad value for dnsbl_timeout: \"99999999999999999w\": " E_DURATION },
	{ "dnsbl_timeout = 90s", "t.conf:1: bad value for dnsbl_timeout: \"90s\": expected a duration from 100ms to 1m" },
	{ "dnsbl_timeout = 50ms", "t.conf:1: bad value for dnsbl_timeout: \"50ms\": expected a duration from 100ms to 1m" },
	{ "policy_socket_mode = 0888", "t.conf:1: bad value for policy_socket_mode: \"0888\": " E_MODE },
	{ "policy_socket_mode = 123456", "t.conf:1: bad value for policy_socket_mode: \"123456\": " E_MODE },
	{ "policy_socket_mode = 0x1ff", "t.conf:1: bad value for policy_socket_mode: \"0x1ff\": " E_MODE },
	{ "policy_socket_mode = 1777", "t.conf:1: bad value for policy_socket_mode: \"1777\": expected a mode from 0 to 0777" },
	{ "policy_socket_mode = 01777", "t.conf:1: bad value for policy_socket_mode: \"01777\": expected a mode from 0 to 0777" },
	{ "log_level = loud",
	  "t.conf:1: bad value for log_level: \"loud\": expected one of error, warning, notice, info, debug" },
	{ "reject_dsn = 4.7.1", "t.conf:1: bad value for reject_dsn: \"4.7.1\": expected an enhanced status code 5.X.Y" },
	{ "reject_dsn = 5.7", "t.conf:1: bad value for reject_dsn: \"5.7\": expected an enhanced status code 5.X.Y" },
	{ "reject_dsn = 5.1234.1", "t.conf:1: bad value for reject_dsn: \"5.1234.1\": expected an enhanced status code 5.X.Y" },
	{ "tempfail_dsn = 5.7.1", "t.conf:1: bad value for tempfail_dsn: \"5.7.1\": expected an enhanced status code 4.X.Y" },
	{ "redis_server = localhost", "t.conf:1: bad value for redis_server: \"localhost\": " E_REDIS },
	{ "redis_server = unix:relative", "t.conf:1: bad value for redis_server: \"unix:relative\": " E_PATH },
	{ "redis_server = host:0", "t.conf:1: bad value for redis_server: \"host:0\": " E_PORT },
	{ "notify_transport = mailbox:/x", "t.conf:1: bad value for notify_transport: \"mailbox:/x\": " E_TRANSPORT },
	{ "notify_transport = smtp:host", "t.conf:1: bad value for notify_transport: \"smtp:host\": " E_TRANSPORT },
	{ "notify_transport = outbox:rel", "t.conf:1: bad value for notify_transport: \"outbox:rel\": " E_TRANSPORT },
	{ "syslog_facility = kernel", "t.conf:1: bad value for syslog_facility: \"kernel\": expected a syslog facility: "
				      "mail, daemon, user or local0..local7" },
	{ "myhostname = bad!host", "t.conf:1: bad value for myhostname: \"bad!host\": " E_HOST },
	{ "allow_networks = 10.1.0.0/8",
	  "t.conf:1: bad value for allow_networks: \"10.1.0.0/8\": network has host bits set beyond its prefix length" },
	{ "allow_networks = 192.0.2.0/24, nonsense",
	  "t.conf:1: bad value for allow_networks: \"nonsense\": expected an address or a network ADDR/LEN" },
	{ "allow_networks = 10.0.0.0/33",
	  "t.conf:1: bad value for allow_networks: \"10.0.0.0/33\": expected an address or a network ADDR/LEN" },
	{ "policy_listen = tcp:10040", "t.conf:1: bad value for policy_listen: \"tcp:10040\": " E_SOCKET },
	{ "policy_listen = inet:0@127.0.0.1", "t.conf:1: bad value for policy_listen: \"inet:0@127.0.0.1\": " E_PORT },
	{ "policy_listen = inet:70000", "t.conf:1: bad value for policy_listen: \"inet:70000\": " E_PORT },
	{ "policy_listen = inet:123456789", "t.conf:1: bad value for policy_listen: \"inet:123456789\": " E_PORT },
	{ "policy_listen = inet:@host", "t.conf:1: bad value for policy_listen: \"inet:@host\": " E_PORT },
	{ "policy_listen = inet:10040@::1", "t.conf:1: bad value for policy_listen: \"inet:10040@::1\": inet: takes an "
					    "IPv4 address or a host name; use inet6:PORT@[ADDR] for IPv6" },
	{ "policy_listen = inet6:10040@127.0.0.1", "t.conf:1: bad value for policy_listen: \"inet6:10040@127.0.0.1\": "
						   "inet6: takes an IPv6 address, as inet6:PORT@[ADDR]" },
	{ "policy_listen = inet:10040@bad!host", "t.conf:1: bad value for policy_listen: \"inet:10040@bad!host\": " E_HOST },
	{ "milter_socket = unix:run/x", "t.conf:1: bad value for milter_socket: \"unix:run/x\": " E_PATH },
	{ "dnsbl_sites = ok.example zen.example=127.0.0.x",
	  "t.conf:1: bad value for dnsbl_sites: \"zen.example=127.0.0.x\": filter octet must be a number 0..255, "
	  "[a..b] or [a;b]" },
	{ "rhsbl_helo_sites = bl.example*x",
	  "t.conf:1: bad value for rhsbl_helo_sites: \"bl.example*x\": weight must be an integer from -100000 to 100000" },
	{ "file_lists = nocolon", "t.conf:1: bad value for file_lists: \"nocolon\": expected NAME:[FORMAT:]PATH[*weight]" },
	{ "file_lists = a:ip4tset:/x", "t.conf:1: bad value for file_lists: \"a:ip4tset:/x\": list format must be auto, "
	  "ip4set, ip4trie, ip6tset, ip6trie or cidr" },
	{ "file_lists = a:ip4trie:rel", "t.conf:1: bad value for file_lists: \"a:ip4trie:rel\": list path must be absolute" },
	{ "file_lists = :/x", "t.conf:1: bad value for file_lists: \":/x\": list name must be 1 to 63 letters, digits, "
			      "'-', '_' or '.'" },
	{ "file_lists = a:rel/path", "t.conf:1: bad value for file_lists: \"a:rel/path\": list path must be absolute" },
	{ "file_lists = a:/x*z",
	  "t.conf:1: bad value for file_lists: \"a:/x*z\": weight must be an integer from -100000 to 100000" },
	{ "dns_servers = [::1", "t.conf:1: bad value for dns_servers: \"[::1\": " E_HOSTPORT },
	{ "dns_servers = [127.0.0.1]:53", "t.conf:1: bad value for dns_servers: \"[127.0.0.1]:53\": " E_HOSTPORT },
	{ "dns_servers = host:99999", "t.conf:1: bad value for dns_servers: \"host:99999\": " E_PORT },
	{ "dns_servers = host:", "t.conf:1: bad value for dns_servers: \"host:\": " E_PORT },
	{ "dnsbl_reply_map = zen.example", "t.conf:1: bad value for dnsbl_reply_map: \"zen.example\": expected KEY=VALUE" },
	{ "dnsbl_reply_map = =x", "t.conf:1: bad value for dnsbl_reply_map: \"=x\": expected KEY=VALUE" },
	{ "dnsbl_reply_map = k=", "t.conf:1: bad value for dnsbl_reply_map: \"k=\": expected KEY=VALUE" },
	{ "dnsbl_error_codes = 127.0.0.2*2",
	  "t.conf:1: bad value for dnsbl_error_codes: \"127.0.0.2*2\": an error code filter takes no weight" },
	{ "dnsbl_error_codes = =127.0.0.2",
	  "t.conf:1: bad value for dnsbl_error_codes: \"=127.0.0.2\": expected FILTER or ZONE=FILTER" },
	{ "dnsbl_error_codes = 127.0.0",
	  "t.conf:1: bad value for dnsbl_error_codes: \"127.0.0\": filter must have four octet patterns separated by '.'" },
	{ "dnsbl_min_ttl = 2d", "t.conf:1: dnsbl_min_ttl = 2d is greater than dnsbl_max_ttl = 1d" },
	{ "dnsbl_max_ttl = 30s", "t.conf:1: dnsbl_min_ttl = 1m is greater than dnsbl_max_ttl = 30s" },
	{ "allowlist_threshold = 1", "t.conf:1: allowlist_threshold = 1 must be lower than dnsbl_threshold = 1" },
	{ "just words", "t.conf:1: expected \"name = value\", got \"just words\"" },
	{ "= 5", "t.conf:1: missing setting name before \"=\"" },
	{ "dnsbl_site = x", "t.conf:1: unknown setting 'dnsbl_site' (did you mean 'dnsbl_sites'?)" },
	{ "log_levle = info", "t.conf:1: unknown setting 'log_levle' (did you mean 'log_level'?)" },
	{ "DNSBL_SITES = x", "t.conf:1: unknown setting 'DNSBL_SITES'" },
	{ "zzzzzz = 1", "t.conf:1: unknown setting 'zzzzzz'" },
	{ "foo bar = 1", "t.conf:1: unknown setting 'foo bar'" },
	{ "  indented = 1", "t.conf:1: continuation line without a setting before it" },
	{ "log_level = info\x01", "t.conf:1: line holds a control character" },
	{ "log_level = \"x", "t.conf:1: bad value for log_level: \"\\x22x\": expected one of error, warning, notice, "
			     "info, debug" },
};

static void test_bad_values(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_t *cfg = NULL;
		char *error = NULL;
		int rc = cfg_load_mem("t.conf", bad[i].text, strlen(bad[i].text), &cfg, &error);
		ok(rc == -1 && cfg == NULL, "refused: %s", bad[i].text);
		is_str(error, bad[i].error, "message for: %s", bad[i].text);
		free(error);
		cfg_unref(&cfg);
	}
}

/* Multi-line files: a whole file and the formatted value of one setting or the error text. */
static const struct {
	const char *what;
	const char *text;
	const char *name;
	const char *want;
} files[] = {
	{ "continuation lines", "dnsbl_sites = a.example,\n  b.example\n\t c.example\n", "dnsbl_sites",
	  "a.example, b.example, c.example" },
	{ "comment and blank line inside a continuation", "dnsbl_sites = a.example\n# note\n\n  b.example\n",
	  "dnsbl_sites", "a.example, b.example" },
	{ "whole-line comments", "# log_level = debug\n   # indented comment\nspf = tag\n", "log_level", "info" },
	{ "later definition overrides", "log_level = debug\nlog_level = error\n", "log_level", "error" },
	{ "CRLF line ends", "log_level = debug\r\ndnsbl_ipv6 = no\r\n", "dnsbl_ipv6", "no" },
	{ "CRLF on a continuation", "owners_db = /a\r\n  /b\r\n", "owners_db", "/a, /b" },
	{ "no newline at the end", "log_level = notice", "log_level", "notice" },
	{ "spaces around =", "log_level\t=\t  warning   ", "log_level", "warning" },
	{ "empty file", "", "log_level", "info" },
	{ "only blank lines", "\n  \n\t\n", "log_level", "info" },
	{ "several errors, one line each",
	  "log_level = loud\nspf = tag\nreject_code = 1\n", "spf",
	  "t.conf:1: bad value for log_level: \"loud\": expected one of error, warning, notice, info, debug\n"
	  "t.conf:3: bad value for reject_code: \"1\": expected an integer from 500 to 599" },
	{ "an overridden bad line is still an error", "spf = maybe\nspf = tag\n", "spf",
	  "t.conf:1: bad value for spf: \"maybe\": expected one of no, tag, reject" },
	{ "error on a continued setting names its first line", "spf = no\ndnsbl_sites = a.example\n  b..example\n",
	  "spf", "t.conf:2: bad value for dnsbl_sites: \"b..example\": zone name has an empty label" },
	{ "cross check names the later line", "dnsbl_max_ttl = 1h\nspf = tag\ndnsbl_min_ttl = 2h\n", "spf",
	  "t.conf:3: dnsbl_min_ttl = 2h is greater than dnsbl_max_ttl = 1h" },
	{ "an ACL user with its password", "redis_username = rg-policy\nredis_password = x\n", "redis_username",
	  "rg-policy" },
	{ "an ACL user needs its password", "spf = tag\nredis_username = rg\n", "spf",
	  "t.conf:2: redis_username is set but redis_password is not: an ACL user needs its password" },
	{ "so does the Sentinels' ACL user", "redis_sentinel_username = s\nredis_password = p\n", "spf",
	  "t.conf:1: redis_sentinel_username is set but redis_sentinel_password is not: an ACL user needs its "
	  "password" },
	{ "continuations of a bad line are skipped", "x\x02y = 1\n  more\nspf = tag\n", "spf",
	  "t.conf:1: line holds a control character" },
	{ "NUL byte", "spf = tag\nlog_level = info\0\n", "spf", "t.conf:2: line holds a control character" },
};

static void test_files(void)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cfg_t *cfg = NULL;
		char *error = NULL;
		enum cfg_id id;
		struct buf out = BUF_INIT;
		/* The NUL case needs the length of the literal, not strlen(). */
		size_t len = strlen(files[i].text);
		if (strcmp(files[i].what, "NUL byte") == 0)
			len = sizeof("spf = tag\nlog_level = info\0\n") - 1;
		if (cfg_load_mem("t.conf", files[i].text, len, &cfg, &error) == 0) {
			(void)!cfg_find(files[i].name, &id);
			cfg_format_value(cfg, id, &out);
			is_str(buf_cstr(&out), files[i].want, "%s", files[i].what);
		} else {
			is_str(error, files[i].want, "%s", files[i].what);
		}
		buf_free(&out);
		free(error);
		cfg_unref(&cfg);
	}
}

static char *load_error(const char *text, size_t len)
{
	cfg_t *cfg = NULL;
	char *error = NULL;

	if (cfg_load_mem("t.conf", text, len, &cfg, &error) == 0) {
		cfg_unref(&cfg);
		return xstrdup("(loaded)");
	}
	return error;
}

static void test_limits(void)
{
	struct buf t = BUF_INIT;
	char *e;

	/* A physical line at the limit loads; one byte more does not. */
	buf_puts(&t, "syslog_name = ");
	while (t.len < CFG_LINE_MAX)
		buf_putc(&t, 'x');
	e = load_error(t.data, t.len);
	is_str(e, "(loaded)", "a line of exactly %d bytes loads", CFG_LINE_MAX);
	free(e);
	buf_putc(&t, 'x');
	e = load_error(t.data, t.len);
	is_str(e, "t.conf:1: line is longer than 4096 bytes", "an over-long line");
	free(e);

	/* Continuations beyond the logical limit. */
	buf_reset(&t);
	buf_puts(&t, "spf = tag\nowners_db = /a\n");
	for (int i = 0; i < 20; i++) {
		buf_putc(&t, ' ');
		for (int j = 0; j < 4000; j++)
			buf_putc(&t, 'y');
		buf_putc(&t, '\n');
	}
	e = load_error(t.data, t.len);
	is_str(e, "t.conf:2: setting is longer than 65536 bytes with its continuation lines",
	       "an over-long logical line");
	free(e);

	/* An over-long item is quoted only in part. */
	buf_reset(&t);
	buf_puts(&t, "dnsbl_sites = ");
	for (int j = 0; j < 1100; j++)
		buf_putc(&t, 'a');
	e = load_error(t.data, t.len);
	is_str(e, "t.conf:1: bad value for dnsbl_sites: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
		  "item is longer than 1024 bytes", "an over-long list item");
	free(e);

	/* The item count limit. */
	buf_reset(&t);
	buf_puts(&t, "owners_db =");
	for (int i = 0; i <= CFG_ITEMS_MAX; i++)
		buf_puts(&t, i % 1000 == 0 ? "\n /f" : " /f");
	e = load_error(t.data, t.len);
	is_str(e, "t.conf:1: bad value for owners_db: \"/f\": more than 4096 items", "too many items");
	free(e);

	/* Too many errors. */
	buf_reset(&t);
	for (int i = 0; i < CFG_ERRORS_MAX + 5; i++)
		buf_puts(&t, "nope = 1\n");
	e = load_error(t.data, t.len);
	const char *last = strrchr(e, '\n');
	is_str(last ? last + 1 : e, "t.conf: too many errors, giving up", "errors stop after %d", CFG_ERRORS_MAX);
	size_t lines = 1;
	for (const char *p = e; *p; p++)
		lines += *p == '\n';
	is_int(lines, CFG_ERRORS_MAX + 1, "%d errors and the give-up line", CFG_ERRORS_MAX);
	free(e);
	buf_free(&t);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
}

static void test_load_files(void)
{
	char dir[] = "/tmp/test_cfg.XXXXXX", path[256], big_path[256];
	cfg_t *cfg = NULL;
	char *error = NULL;

	if (!ok(mkdtemp(dir) != NULL, "temporary folder"))
		return;
	snprintf(path, sizeof(path), "%s/good.conf", dir);
	write_file(path, "log_level = debug\n", 18);
	ok(cfg_load(path, &cfg, &error) == 0, "a file on disk loads");
	is_str(cfg ? cfg_path(cfg) : NULL, path, "cfg_path is the file");
	ok(cfg && cfg_enum(cfg, CFG_LOG_LEVEL) == CFG_LOG_LEVEL_DEBUG, "its value is read");
	cfg_unref(&cfg);
	ok(cfg_load_default(path, &cfg, &error) == 0 && cfg != NULL, "cfg_load_default with a path loads it");
	cfg_unref(&cfg);

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ok(cfg_load(path, &cfg, &error) == -1 && cfg == NULL, "a missing file is an error");
	char want[300];
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	is_str(error, want, "message for a missing file");
	free(error);
	error = NULL;
	ok(cfg_load_default(path, &cfg, &error) == -1, "cfg_load_default: a named missing file is an error");
	is_str(error, want, "cfg_load_default: same message");
	free(error);
	error = NULL;

	ok(cfg_load(dir, &cfg, &error) == -1, "a folder is an error");
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	is_str(error, want, "message for a folder");
	free(error);
	error = NULL;

	snprintf(big_path, sizeof(big_path), "%s/big.conf", dir);
	char *big = xmalloc(CFG_FILE_MAX + 2);
	/* Comment lines of 1024 bytes: only the size is wrong. */
	for (size_t i = 0; i < CFG_FILE_MAX + 1; i++)
		big[i] = i % 1024 == 1023 ? '\n' : '#';
	write_file(big_path, big, CFG_FILE_MAX + 1);
	ok(cfg_load(big_path, &cfg, &error) == -1, "a file over the size limit is an error");
	snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes", big_path);
	is_str(error, want, "message for a big file");
	free(error);
	error = NULL;
	write_file(big_path, big, CFG_FILE_MAX);
	ok(cfg_load(big_path, &cfg, &error) == 0, "a file of exactly the size limit loads");
	cfg_unref(&cfg);
	free(big);

	/* NULL: the installed file if there is one, else the embedded defaults. */
	bool installed = access(DEFAULT_CONFIG_FILE, F_OK) == 0;
	if (cfg_load_default(NULL, &cfg, &error) == 0) {
		is_str(cfg_path(cfg), installed ? DEFAULT_CONFIG_FILE : "", "cfg_load_default(NULL) picks %s",
		       installed ? DEFAULT_CONFIG_FILE : "the embedded defaults");
	} else {
		ok(installed, "cfg_load_default(NULL) fails only on a bad installed file: %s", error);
		free(error);
	}
	cfg_unref(&cfg);
	unlink(path);
	unlink(big_path);
	snprintf(path, sizeof(path), "%s/good.conf", dir);
	unlink(path);
	rmdir(dir);
}

static void test_defaults_and_refcount(void)
{
	cfg_t *cfg = cfg_defaults(), *other;
	struct buf out = BUF_INIT;

	is_str(cfg_path(cfg), "", "embedded defaults have no path");
	for (int i = 0; i < CFG__COUNT; i++) {
		if (cfg_is_set(cfg, (enum cfg_id)i))
			break;
		if (i == CFG__COUNT - 1)
			ok(1, "no setting counts as set in the defaults");
	}
	is_int(cfg_ms(cfg, CFG_DNSBL_TIMEOUT), 5000, "dnsbl_timeout default 5000 ms");
	is_int(cfg_ms(cfg, CFG_DNSBL_MAX_TTL), 86400000, "dnsbl_max_ttl default 1d");
	is_int(cfg_int(cfg, CFG_REJECT_CODE), 550, "reject_code default");
	is_int(cfg_int(cfg, CFG_POLICY_SOCKET_MODE), 0660, "policy_socket_mode default");
	is_int(cfg_enum(cfg, CFG_DNSBL_ACTION), CFG_ACTION_REJECT, "dnsbl_action default");
	is_int(cfg_enum(cfg, CFG_POLICY_CHECK_STATE), CFG_STATE_RCPT, "policy_check_state default");
	ok(cfg_bool(cfg, CFG_DNSBL_IPV6), "dnsbl_ipv6 default yes");
	ok(cfg_str(cfg, CFG_MYHOSTNAME)[0] != '\0', "myhostname defaults to the host name");
	is_str(cfg_str(cfg, CFG_REDIS_PASSWORD), "", "redis_password default empty");
	is_int(cfg_codes(cfg, CFG_DNSBL_ERROR_CODES)->n, 4, "four default error codes");
	ok(site_filter_match(&cfg_codes(cfg, CFG_DNSBL_ERROR_CODES)->items[0].filter, 0x7ffffffe),
	   "127.255.255.254 is a default error code");
	const struct cfg_socket *s = cfg_socket(cfg, CFG_POLICY_LISTEN);
	ok(s->kind == CFG_SOCKET_INET && s->port == 10040 && strcmp(s->host, "127.0.0.1") == 0,
	   "policy_listen default inet:10040@127.0.0.1");
	addr_t a;
	(void)!addr_parse("127.1.2.3", &a);
	ok(cfg_netlist_match(cfg_netlist(cfg, CFG_POLICY_ALLOWED_CLIENTS), &a), "127.1.2.3 is an allowed client");
	(void)!addr_parse("::2", &a);
	ok(!cfg_netlist_match(cfg_netlist(cfg, CFG_POLICY_ALLOWED_CLIENTS), &a), "::2 is not");

	other = cfg_ref(cfg);
	ok(other == cfg, "cfg_ref returns the same config");
	cfg_unref(&other);
	ok(other == NULL, "cfg_unref sets the pointer to NULL");
	cfg_format_value(cfg, CFG_LOG_LEVEL, &out);
	is_str(buf_cstr(&out), "info", "still usable after one of two references is dropped");
	cfg_unref(&cfg);
	ok(cfg == NULL, "last cfg_unref frees and sets NULL");
	cfg_unref(&cfg);
	ok(1, "cfg_unref(NULL) is a no-op");
	buf_free(&out);
}

static void test_accessors(void)
{
	const char *text = "file_lists = local:/etc/l.txt*-3\n"
			   "dns_servers = [2001:db8::53]:5353\n"
			   "dnsbl_reply_map = zen.example=Spamhaus, zen.example=Later\n"
			   "dnsbl_error_codes = zen.example=127.0.0.[1;3]\n"
			   "myhostname = mx.example\n"
			   "milter_socket = unix:/run/m.sock\n"
			   "owners_db = /a /b\n"
			   "redis_password = hunter2\n";
	cfg_t *cfg = NULL;
	char *error = NULL;

	if (!ok(cfg_load_mem("a.conf", text, strlen(text), &cfg, &error) == 0, "accessor file loads")) {
		tap_diag("%s", error);
		free(error);
		return;
	}
	const struct cfg_filelists *fl = cfg_file_lists(cfg, CFG_FILE_LISTS);
	ok(fl->n == 1 && strcmp(fl->items[0].name, "local") == 0 && strcmp(fl->items[0].path, "/etc/l.txt") == 0 &&
		   fl->items[0].weight == -3, "file list name, path, weight");
	const struct cfg_hostports *hp = cfg_hostports(cfg, CFG_DNS_SERVERS);
	ok(hp->n == 1 && strcmp(hp->items[0].host, "2001:db8::53") == 0 && hp->items[0].port == 5353,
	   "IPv6 DNS server and port");
	is_str(cfg_map_get(cfg_map(cfg, CFG_DNSBL_REPLY_MAP), "zen.example"), "Later", "a repeated map key: last wins");
	ok(cfg_map_get(cfg_map(cfg, CFG_DNSBL_REPLY_MAP), "other") == NULL, "a missing map key is NULL");
	const struct cfg_codelist *codes = cfg_codes(cfg, CFG_DNSBL_ERROR_CODES);
	ok(codes->n == 1 && strcmp(codes->items[0].zone, "zen.example") == 0 &&
		   site_filter_match(&codes->items[0].filter, 0x7f000003) &&
		   !site_filter_match(&codes->items[0].filter, 0x7f000002),
	   "per-zone error code");
	is_str(cfg_str(cfg, CFG_MYHOSTNAME), "myhostname = mx.example" + 13, "myhostname as set");
	ok(cfg_socket(cfg, CFG_MILTER_SOCKET)->kind == CFG_SOCKET_UNIX &&
		   strcmp(cfg_socket(cfg, CFG_MILTER_SOCKET)->path, "/run/m.sock") == 0, "unix socket path");
	ok(cfg_list(cfg, CFG_OWNERS_DB)->n == 2, "two list items");
	is_str(cfg_str(cfg, CFG_REDIS_PASSWORD), "hunter2", "the secret is readable by the program");
	ok(cfg_is_set(cfg, CFG_OWNERS_DB) && !cfg_is_set(cfg, CFG_LOG_LEVEL), "cfg_is_set");
	cfg_unref(&cfg);
}

/* A wrong-type read aborts: run it in a child. */
static void test_wrong_type(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		cfg_t *cfg = cfg_defaults();
		/* Silence the log line and keep the sanitizers from reporting the abort. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		(void)cfg_int(cfg, CFG_DNSBL_IPV6);
		_exit(0);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "reading a bool as an int aborts");
}

static void test_table(void)
{
	int bad_id = -1, dup = -1, no_desc = -1;
	cfg_t *cfg;

	for (int i = 0; i < CFG__COUNT; i++) {
		enum cfg_id id;
		if (cfg_table[i].id != (enum cfg_id)i && bad_id < 0)
			bad_id = i;
		if ((cfg_find(cfg_table[i].name, &id) != 0 || id != (enum cfg_id)i) && dup < 0)
			dup = i;
		if ((cfg_table[i].description == NULL || cfg_table[i].description[0] == '\0') && no_desc < 0)
			no_desc = i;
	}
	is_int(bad_id, -1, "cfg_table[i].id == i for every row");
	is_int(dup, -1, "every name is found at its own row");
	is_int(no_desc, -1, "every setting has a description");
	is_int(CFG__COUNT, 120, "120 settings");
	cfg = cfg_defaults();
	ok(cfg != NULL, "every default parses");
	cfg_unref(&cfg);
	is_str(cfg_name(CFG_DNSBL_SITES), "dnsbl_sites", "cfg_name");
	is_str(cfg_default_text(CFG_DNSBL_TIMEOUT), "5s", "cfg_default_text");
	is_str(cfg_type_name(CFG_DNSBL_TIMEOUT), "duration", "cfg_type_name");
	enum cfg_id id;
	ok(cfg_find("no_such", &id) == -1, "cfg_find on an unknown name");
	ok(cfg_table[CFG_REDIS_PASSWORD].secret, "redis_password is secret");
}

static const struct {
	const char *in;
	long long want;	/* -1: refused */
} sizes[] = {
	{ "64k", 65536 }, { "16m", 16777216 }, { "1g", 1073741824 }, { "1G", 1073741824 }, { "100", 100 },
	{ "0", 0 }, { "10x", -1 }, { "k", -1 }, { "99999999999g", -1 }, { "1kb", -1 }, { "-1", -1 },
};

static void test_cfgval(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		long long v = -1;
		const char *error = NULL;
		int rc = cfgval_parse_size(sizes[i].in, &v, &error);
		if (sizes[i].want < 0) {
			ok(rc == -1, "size refused: %s", sizes[i].in);
			is_str(error, "expected a size: a number with unit k, m or g (a bare number is bytes)",
			       "size message for %s", sizes[i].in);
		} else {
			is_int(rc == 0 ? v : -1, sizes[i].want, "size %s", sizes[i].in);
		}
	}
	struct buf out = BUF_INIT;
	cfgval_format_size(65536, &out);
	buf_putc(&out, ' ');
	cfgval_format_size(1000, &out);
	buf_putc(&out, ' ');
	cfgval_format_size(3LL << 30, &out);
	is_str(buf_cstr(&out), "64k 1000 3g", "sizes formatted");
	buf_free(&out);
}

/* conf/relayguard.conf is the sample for the default prefix; it never drifts. */
static void replace_all(struct buf *b, const char *from, const char *to)
{
	struct buf out = BUF_INIT;
	const char *p = buf_cstr(b), *hit;

	if (strcmp(from, to) == 0)
		return;
	while ((hit = strstr(p, from)) != NULL) {
		buf_append(&out, p, (size_t)(hit - p));
		buf_puts(&out, to);
		p = hit + strlen(from);
	}
	buf_puts(&out, p);
	buf_free(b);
	*b = out;
}

static void test_sample(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	struct buf sample = BUF_INIT, file = BUF_INIT;
	cfg_t *cfg = NULL;
	char *error = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf/relayguard.conf", top ? top : ".");
	cfg_write_sample(&sample);
	replace_all(&sample, RUNSTATEDIR, "/usr/local/var/run");
	replace_all(&sample, LOCALSTATEDIR, "/usr/local/var");
	replace_all(&sample, SYSCONFDIR, "/usr/local/etc");
	if ((f = fopen(path, "r")) != NULL) {
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&file, chunk, n);
		fclose(f);
	}
	if (!ok(strcmp(buf_cstr(&sample), buf_cstr(&file)) == 0, "%s matches show-config --sample", path))
		tap_diag("regenerate: relayguard-ctl show-config --sample > conf/relayguard.conf (default prefix)");
	ok(cfg_load(path, &cfg, &error) == 0, "the sample parses");
	if (error)
		tap_diag("%s", error);
	free(error);
	cfg_unref(&cfg);
	ok(cfg_load_mem("s.conf", sample.data, sample.len, &cfg, &error) == 0, "the generated sample parses");
	cfg_unref(&cfg);
	buf_free(&sample);
	buf_free(&file);
}

int main(void)
{
	test_good_values();
	test_bad_values();
	test_files();
	test_limits();
	test_load_files();
	test_defaults_and_refcount();
	test_accessors();
	test_wrong_type();
	test_table();
	test_cfgval();
	test_sample();
	return tap_done();
}
