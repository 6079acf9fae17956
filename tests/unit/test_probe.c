/* test_probe - relayguard-probe's parts that need no network: recipient
 * forms, reply parsing, the token scan, result files, the allowed-targets
 * gate, rate limits and the per-host lock, and the settings checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "cfg.h"
#include "probe/probe_canary.h"
#include "probe/probe_net.h"
#include "probe/probe_policy.h"
#include "probe/probe_proxy.h"
#include "probe/probe_setup.h"
#include "probe/probe_smtp.h"
#include "probe/probe_store.h"
#include "tap.h"

static addr_t A(const char *s)
{
	addr_t a;

	if (addr_parse(s, &a) != 0)
		abort();
	return a;
}

static void test_forms(void)
{
	static const char *const want[PROBE_SMTP_FORMS] = {
		"rgprobe-0123456789abcdef@canary.example",
		"rgprobe-0123456789abcdef%canary.example@[192.0.2.25]",
		"\"rgprobe-0123456789abcdef@canary.example\"@[192.0.2.25]",
		"canary.example!rgprobe-0123456789abcdef@[192.0.2.25]",
		"rgprobe-0123456789abcdef@[192.0.2.10]",
	};
	addr_t t = A("192.0.2.25"), c = A("192.0.2.10"), t6 = A("2001:db8::25");
	char out[600];

	for (unsigned i = 0; i < PROBE_SMTP_FORMS; i++) {
		is_int(probe_smtp_form(i, "rgprobe-0123456789abcdef", "canary.example", &t, &c, out, sizeof(out)), 0,
		       "form %s", probe_smtp_form_name(i));
		is_str(out, want[i], "form %s text", probe_smtp_form_name(i));
	}
	is_int(probe_smtp_form(4, "x", "d", &t, NULL, out, sizeof(out)), -1, "address-literal needs a canary");
	is_int(probe_smtp_form(1, "x", "d", &t6, NULL, out, sizeof(out)), 0, "IPv6 target");
	is_str(out, "x%d@[IPv6:2001:db8::25]", "IPv6 address literal");
	is_int(probe_smtp_form(0, "rgprobe-0123456789abcdef", "canary.example", &t, NULL, out, 20), -1,
	       "a form that does not fit is refused, not cut");
}

static void test_replies(void)
{
	static const struct {
		const char *line;
		int rc, code;
		bool more;
	} cases[] = {
		{ "250 ok", 0, 250, false }, { "250-mx", 0, 250, true },  { "554", 0, 554, false },
		{ "220 ", 0, 220, false },   { "199 x", -1, 0, false },   { "600 x", -1, 0, false },
		{ "25", -1, 0, false },	     { "250x", -1, 0, false },	   { "", -1, 0, false },
		{ "HTTP/1.0 200 OK", -1, 0, false },
	};
	int code;
	bool more;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		code = 0;
		more = false;
		int rc = probe_smtp_reply_line(cases[i].line, &code, &more);
		ok(rc == cases[i].rc && (rc != 0 || (code == cases[i].code && more == cases[i].more)),
		   "reply line \"%s\"", cases[i].line);
	}
	ok(probe_proxy_http_status("HTTP/1.0 200 Connection established", &code) == 0 && code == 200, "HTTP 200");
	ok(probe_proxy_http_status("HTTP/1.1 403", &code) == 0 && code == 403, "HTTP 403 without text");
	ok(probe_proxy_http_status("220 canary ESMTP", &code) == -1, "an SMTP greeting is not HTTP");
	ok(probe_proxy_http_status("HTTP/1.1 2000 x", &code) == -1, "four digits");
}

static void test_tokens(void)
{
	char t[PROBE_TOKEN_LEN + 1], u[PROBE_TOKEN_LEN + 1];
	const char *line = "RCPT TO:<rgprobe-0123456789abcdef@canary.example>";

	probe_token_new(t);
	probe_token_new(u);
	ok(strlen(t) == PROBE_TOKEN_LEN && strncmp(t, "rgprobe-", 8) == 0, "a new token: %s", t);
	ok(strcmp(t, u) != 0, "two tokens differ");
	ok(probe_token_scan(line, strlen(line), u) == 1 && strcmp(u, "rgprobe-0123456789abcdef") == 0,
	   "token found in a RCPT line");
	ok(probe_token_scan("rgprobe-0123456789ABCDEF", 24, u) == 0, "upper-case hex is not our token");
	ok(probe_token_scan("rgprobe-0123456789abcde", 23, u) == 0, "a short token is not found");
	ok(probe_token_scan("xx rgprobe-x rgprobe-fedcba9876543210", 37, u) == 1 &&
		   strcmp(u, "rgprobe-fedcba9876543210") == 0,
	   "the first whole token after a false start");
}

static void test_store(void)
{
	struct probe_result r, back;
	struct buf text = BUF_INIT;

	probe_result_init(&r, NULL);
	r.addr = A("2001:db8::25");
	r.when = 1796540400;
	r.deliver_mode = true;
	r.relay = PROBE_CONFIRMED;
	r.proxy = PROBE_NO_SERVICE;
	snprintf(r.relay_detail, sizeof(r.relay_detail), "port 25, form plain:\nsecond line");
	buf_puts(&r.transcript, "# SMTP port 25\n< 220 mx\n\n> QUIT\n");
	probe_store_format(&r, &text);
	probe_result_init(&back, NULL);
	ok(probe_store_parse(text.data, text.len, &back) == 0, "a result file parses back");
	ok(addr_cmp(&back.addr, &r.addr) == 0 && back.when == r.when && back.deliver_mode &&
		   back.relay == PROBE_CONFIRMED && back.proxy == PROBE_NO_SERVICE,
	   "the same address, time, mode and verdicts");
	is_str(back.relay_detail, "port 25, form plain: second line", "a newline in a detail cannot end the header");
	is_str(buf_cstr(&back.transcript), buf_cstr(&r.transcript), "the transcript, blank lines included");
	is_str(probe_result_summary(&back), "open-relay", "summary");
	probe_result_free(&back);

	static const char *const bad[] = {
		"relayguard-probe 2\naddress 192.0.2.1\ntime 1\nrelay closed\nproxy closed\n",
		"relayguard-probe 1\naddress 192.0.2.300\ntime 1\nrelay closed\nproxy closed\n",
		"relayguard-probe 1\naddress 192.0.2.1\ntime x\nrelay closed\nproxy closed\n",
		"relayguard-probe 1\naddress 192.0.2.1\ntime 1\nrelay open\nproxy closed\n",
		"relayguard-probe 1\naddress 192.0.2.1\ntime 1\nrelay closed\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		probe_result_init(&back, NULL);
		ok(probe_store_parse(bad[i], strlen(bad[i]), &back) == -1, "bad result file %zu refused", i);
		probe_result_free(&back);
	}
	buf_free(&text);
	probe_result_free(&r);
}

static struct cfg_netlist *netlist(const cfg_t **keep, const char *text)
{
	static char conf[256];
	cfg_t *cfg;
	char *err = NULL;

	snprintf(conf, sizeof(conf), "probe_allowed_targets = %s\n", text);
	if (cfg_load_mem("t.conf", conf, strlen(conf), &cfg, &err) != 0)
		abort();
	*keep = cfg;
	return (struct cfg_netlist *)cfg_netlist(cfg, CFG_PROBE_ALLOWED_TARGETS);
}

static void test_gate(void)
{
	const cfg_t *keep;
	const struct cfg_netlist *l = netlist(&keep, "192.0.2.0/24, 2001:db8::/48");
	struct cfg_netlist empty = { 0, NULL };
	const char *why = "";
	addr_t in = A("192.0.2.9"), out = A("198.51.100.9"), in6 = A("2001:db8:0:1::9");

	is_int(probe_policy_allowed(l, &in, &why), 0, "inside the allowed list");
	is_int(probe_policy_allowed(l, &in6, &why), 0, "inside, IPv6");
	is_int(probe_policy_allowed(l, &out, &why), -1, "outside the allowed list");
	is_str(why, "outside probe_allowed_targets: not contacted", "and why");
	is_int(probe_policy_allowed(&empty, &in, &why), -1, "an empty list allows nothing");
	ok(strstr(why, "probe_allowed_targets is not set") != NULL, "and says it is not set");
	ok(probe_policy_same_network(&in, &(addr_t){ 0 }) == 0, "families differ");
	addr_t n1 = A("192.0.2.200"), n2 = A("192.0.3.1");
	ok(probe_policy_same_network(&in, &n1) && !probe_policy_same_network(&in, &n2), "a /24 is one network");
	cfg_t *c = (cfg_t *)keep;
	cfg_unref(&c);
}

static void test_limits(void)
{
	char dir[] = "/tmp/test_probe.XXXXXX", why[256];
	struct probe_limits l = { .host_interval_s = 600, .network_rate = 3, .global_rate = 5 };
	addr_t a = A("192.0.2.1"), b = A("192.0.2.2"), c = A("192.0.2.3"), d = A("192.0.2.4");
	addr_t e = A("198.51.100.1"), f = A("203.0.113.1"), g = A("203.0.113.2");
	int fd = -1, fd2 = -1;
	time_t now = 1796540400;

	if (mkdtemp(dir) == NULL || probe_policy_mkdirs(dir) != 0) {
		tap_skip("no temporary folder");
		return;
	}
	is_int(probe_policy_acquire(dir, &a, &l, now, &fd, why, sizeof(why)), 0, "first probe of a host");
	is_int(probe_policy_acquire(dir, &a, &l, now + 1, &fd2, why, sizeof(why)), -1, "while it runs: refused");
	is_str(why, "a probe of this host is already running", "one probe at a time per host");
	probe_policy_release(&fd);
	is_int(probe_policy_acquire(dir, &a, &l, now + 10, &fd, why, sizeof(why)), -1, "within probe_host_interval");
	is_str(why, "probed 10s ago; probe_host_interval is 600s", "and why");
	is_int(probe_policy_acquire(dir, &a, &l, now + 601, &fd, why, sizeof(why)), 0, "after probe_host_interval");
	probe_policy_release(&fd);
	is_int(probe_policy_acquire(dir, &b, &l, now + 602, &fd, why, sizeof(why)), 0, "third probe in the /24");
	probe_policy_release(&fd);
	is_int(probe_policy_acquire(dir, &c, &l, now + 603, &fd, why, sizeof(why)), -1, "fourth: network rate");
	is_str(why, "probe_network_rate reached: 3 probes into its network in the last hour", "and why");
	is_int(probe_policy_acquire(dir, &e, &l, now + 604, &fd, why, sizeof(why)), 0, "another network");
	probe_policy_release(&fd);
	is_int(probe_policy_acquire(dir, &f, &l, now + 605, &fd, why, sizeof(why)), 0, "fifth in all");
	probe_policy_release(&fd);
	is_int(probe_policy_acquire(dir, &g, &l, now + 606, &fd, why, sizeof(why)), -1, "sixth: global rate");
	is_str(why, "probe_global_rate reached: 5 probes in the last hour", "and why");
	is_int(probe_policy_acquire(dir, &d, &l, now + 3600 + 603, &fd, why, sizeof(why)), 0,
	       "an hour later the network has room again");
	probe_policy_release(&fd);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

static void test_setup(void)
{
	static const struct {
		const char *conf;
		const char *error;	/* NULL = fine */
	} cases[] = {
		{ "", "probe_allowed_targets is not set in t.conf: relayguard-probe contacts only networks listed there "
		      "(e.g. probe_allowed_targets = 192.0.2.0/24), so it does not run" },
		{ "probe_allowed_targets = 192.0.2.0/24\n",
		  "probe_canary_domain is not set: the relay test needs a domain the targets do not serve (or set "
		  "probe_smtp_ports empty)" },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\n",
		  "the proxy test needs probe_canary (or set probe_proxy_ports empty)" },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\nprobe_proxy_ports =\n", NULL },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\nprobe_proxy_ports =\n"
		  "probe_relay_mode = deliver\n",
		  "probe_relay_mode = deliver needs probe_canary (ADDRESS:PORT of the canary)" },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\nprobe_smtp_ports = 25, 0\n",
		  "probe_smtp_ports: \"0\" is not a port (1..65535)" },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\nprobe_canary = mx.example:25\n",
		  "probe_canary: \"mx.example\" is not an IP address (the probe resolves no names)" },
		{ "probe_allowed_targets = 192.0.2.0/24\nprobe_canary_domain = c.example\nprobe_canary = 192.0.2.10:2525\n"
		  "probe_mail_from = probe@$myhostname\nmyhostname = me.example\n", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_t *cfg;
		char *err = NULL;
		struct probe_settings s;
		struct probe_limits l;

		if (cfg_load_mem("t.conf", cases[i].conf, strlen(cases[i].conf), &cfg, &err) != 0) {
			ok(false, "setup case %zu loads: %s", i, err);
			free(err);
			continue;
		}
		int rc = probe_setup(cfg, -1, &s, &l, &err);
		if (cases[i].error == NULL) {
			ok(rc == 0, "setup case %zu is fine%s%s", i, err ? ": " : "", err ? err : "");
		} else {
			ok(rc == -1, "setup case %zu refused", i);
			is_str(err ? err : "", cases[i].error, "setup case %zu message", i);
		}
		if (rc == 0 && i == sizeof(cases) / sizeof(cases[0]) - 1)
			is_str(s.mail_from, "probe@me.example", "probe_mail_from with $myhostname");
		free(err);
		cfg_unref(&cfg);
	}
}

/* A client of the canary on 127.0.0.1:port; the greeting is read. */
static int canary_client(unsigned port, bool read_greeting)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char buf[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(0x7f000001);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return -1;
	if (read_greeting && recv(fd, buf, sizeof(buf), 0) <= 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send text, read one reply (up to 2 s) into out. */
static void say(int fd, const char *text, char *out, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	out[0] = '\0';
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || poll(&p, 1, 2000) != 1)
		return;
	n = recv(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
}

static void test_canary(void)
{
	probe_canary_t *c = NULL;
	char *err = NULL, peer[ADDR_STRLEN], t1[PROBE_TOKEN_LEN + 1], t2[PROBE_TOKEN_LEN + 1], reply[512];
	addr_t lo = A("127.0.0.1");
	int fds[PROBE_CANARY_CLIENTS + 1];

	if (probe_canary_start(&lo, 0, &c, &err) != 0) {
		tap_skip(err);
		free(err);
		return;
	}
	unsigned port = probe_canary_port(c);
	ok(port != 0, "the canary listens on port %u", port);

	/* a token at the start of a line far longer than PROBE_LINE_MAX */
	probe_token_new(t1);
	int fd = canary_client(port, true);
	struct buf line = BUF_INIT;
	buf_printf(&line, "%s", t1);
	for (int i = 0; i < 5000; i++)
		buf_putc(&line, 'x');
	buf_puts(&line, "\r\n");
	ok(fd >= 0 && send(fd, line.data, line.len, MSG_NOSIGNAL) == (ssize_t)line.len, "a 5 kB line sent");
	ok(probe_canary_wait(c, t1, 5000, peer), "its token is seen");
	is_str(peer, "127.0.0.1", "with the sender's address");
	buf_free(&line);
	say(fd, "", reply, sizeof(reply));
	ok(strncmp(reply, "500 ", 4) == 0, "the long line is answered as an unknown command");
	say(fd, "EHLO me\r\n", reply, sizeof(reply));
	ok(strncmp(reply, "250 ", 4) == 0, "the canary speaks SMTP after it: %s", reply);
	say(fd, "DATA\r\n", reply, sizeof(reply));
	ok(strncmp(reply, "354 ", 4) == 0, "DATA: 354");
	say(fd, "body\r\n.\r\n", reply, sizeof(reply));
	ok(strncmp(reply, "250 ", 4) == 0, "end of data: 250");
	say(fd, "QUIT\r\n", reply, sizeof(reply));
	ok(strncmp(reply, "221 ", 4) == 0, "QUIT: 221");
	close(fd);

	/* a last line without its newline, then the connection closes */
	probe_token_new(t2);
	fd = canary_client(port, true);
	snprintf(reply, sizeof(reply), "xx %s", t2);
	ok(fd >= 0 && send(fd, reply, strlen(reply), MSG_NOSIGNAL) > 0, "a token without a newline");
	close(fd);
	ok(probe_canary_wait(c, t2, 5000, peer), "is seen when the connection closes");

	/* an HTTP request gets one 200 */
	fd = canary_client(port, true);
	say(fd, "GET http://x/y HTTP/1.0\r\nHost: x\r\n\r\n", reply, sizeof(reply));
	ok(strncmp(reply, "HTTP/1.0 200 OK", 15) == 0, "HTTP: 200");
	close(fd);

	/* PROBE_CANARY_CLIENTS at once; one more is closed at once */
	long long t0 = probe_now_ms();
	ok(!probe_canary_wait(c, "rgprobe-0000000000000000", 200, peer), "an unknown token is not seen");
	ok(probe_now_ms() - t0 >= 190, "after waiting the time asked");
	int opened = 0;
	for (int i = 0; i < PROBE_CANARY_CLIENTS; i++)
		opened += (fds[i] = canary_client(port, true)) >= 0;
	is_int(opened, PROBE_CANARY_CLIENTS, "%d clients at once", PROBE_CANARY_CLIENTS);
	fds[PROBE_CANARY_CLIENTS] = canary_client(port, false);
	struct pollfd p = { .fd = fds[PROBE_CANARY_CLIENTS], .events = POLLIN };
	char b;
	ok(fds[PROBE_CANARY_CLIENTS] >= 0 && poll(&p, 1, 5000) == 1 && recv(p.fd, &b, 1, 0) == 0,
	   "client %d is closed without a greeting", PROBE_CANARY_CLIENTS + 1);
	for (int i = 0; i <= PROBE_CANARY_CLIENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	probe_canary_stop(&c);
	ok(c == NULL, "stopped");
}

int main(void)
{
	test_forms();
	test_replies();
	test_tokens();
	test_store();
	test_gate();
	test_limits();
	test_setup();
	test_canary();
	return tap_done();
}
