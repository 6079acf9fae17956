/*
 * probe_proxy - the open-proxy test; see probe_proxy.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "probe_net.h"
#include "probe_proxy.h"

#define HEADERS_MAX 100		/* header lines of one HTTP reply we read */
#define GRACE_MS 2000		/* wait for the token after an unclear answer */

enum method { M_CONNECT, M_GET, M_POST, M_SOCKS4, M_SOCKS5 };

static const char *const method_names[PROBE_PROXY_METHODS] = {
	"http-connect", "http-get", "http-post", "socks4", "socks5",
};

const char *probe_proxy_method_name(unsigned i)
{
	return i < PROBE_PROXY_METHODS ? method_names[i] : "?";
}

int probe_proxy_http_status(const char *line, int *status_r)
{
	if (strncmp(line, "HTTP/", 5) != 0)
		return -1;
	const char *sp = strchr(line, ' ');
	if (sp == NULL || sp[1] < '1' || sp[1] > '5' || sp[2] < '0' || sp[2] > '9' || sp[3] < '0' ||
	    sp[3] > '9' || (sp[4] != '\0' && sp[4] != ' '))
		return -1;
	*status_r = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	return 0;
}

/* host:port of the canary for a URL or CONNECT ("[v6]:port" for IPv6). */
static void canary_authority(const struct probe_settings *s, char *out, size_t size)
{
	char a[ADDR_STRLEN];

	addr_format(&s->canary_addr, a);
	if (s->canary_addr.family == AF_INET6)
		snprintf(out, size, "[%s]:%u", a, s->canary_port);
	else
		snprintf(out, size, "%s:%u", a, s->canary_port);
}

/* Read an HTTP status line and the headers; the status or -1. */
static int http_reply(struct probe_conn *c, const char **error_r)
{
	char line[PROBE_LINE_MAX];
	int status;

	if (probe_conn_line(c, line, sizeof(line), error_r) != 0)
		return -1;
	if (probe_proxy_http_status(line, &status) != 0) {
		*error_r = "not an HTTP reply";
		return -1;
	}
	for (int i = 0; i < HEADERS_MAX; i++) {
		if (probe_conn_line(c, line, sizeof(line), error_r) != 0 || line[0] == '\0')
			break;
	}
	return status;
}

/* SOCKS4 CONNECT to the canary; 0 when granted (0x5a). */
static int socks4(struct probe_conn *c, const struct probe_settings *s, const char **error_r)
{
	unsigned char req[9] = { 4, 1, (unsigned char)(s->canary_port >> 8), (unsigned char)s->canary_port };
	unsigned char rep[8];

	memcpy(req + 4, s->canary_addr.bytes, 4);
	req[8] = 0;	/* empty user id */
	if (probe_conn_send(c, req, sizeof(req), error_r) != 0 || probe_conn_read(c, rep, sizeof(rep), error_r) != 0)
		return -1;
	if (rep[1] != 0x5a) {
		*error_r = "request rejected";
		return -1;
	}
	return 0;
}

/* SOCKS5, no authentication, CONNECT to the canary; 0 when it succeeded. */
static int socks5(struct probe_conn *c, const struct probe_settings *s, const char **error_r)
{
	unsigned char hello[3] = { 5, 1, 0 }, rep[4 + 16 + 2], req[4 + 16 + 2];
	bool v6 = s->canary_addr.family == AF_INET6;
	size_t alen = v6 ? 16 : 4;

	if (probe_conn_send(c, hello, sizeof(hello), error_r) != 0 || probe_conn_read(c, rep, 2, error_r) != 0)
		return -1;
	if (rep[0] != 5 || rep[1] != 0) {
		*error_r = "no method without authentication";
		return -1;
	}
	req[0] = 5, req[1] = 1, req[2] = 0, req[3] = v6 ? 4 : 1;
	memcpy(req + 4, s->canary_addr.bytes, alen);
	req[4 + alen] = (unsigned char)(s->canary_port >> 8);
	req[5 + alen] = (unsigned char)s->canary_port;
	if (probe_conn_send(c, req, 6 + alen, error_r) != 0 || probe_conn_read(c, rep, 4, error_r) != 0)
		return -1;
	if (rep[0] != 5 || rep[1] != 0) {
		*error_r = "request rejected";
		return -1;
	}
	/* the bound address: IPv4, IPv6, or a name with its length first */
	size_t rest = rep[3] == 4 ? 16 + 2 : rep[3] == 1 ? 4 + 2 : 0;
	if (rep[3] == 3) {
		if (probe_conn_read(c, rep + 4, 1, error_r) != 0)
			return -1;
		rest = (size_t)rep[4] + 2;
	}
	if (rest == 0) {
		*error_r = "unexpected bound address type";
		return -1;
	}
	unsigned char skip[255 + 2];
	return probe_conn_read(c, skip, rest, error_r);
}

/* Ask the host to reach the canary with method m; true once it said yes. */
static bool ask(struct probe_conn *c, const struct probe_settings *s, enum method m, const char *token,
		const char **error_r)
{
	char req[1024], auth[ADDR_STRLEN + 16], line[PROBE_TOKEN_LEN + 3];

	canary_authority(s, auth, sizeof(auth));
	switch (m) {
	case M_CONNECT:
		snprintf(req, sizeof(req), "CONNECT %s HTTP/1.0\r\nHost: %s\r\n\r\n", auth, auth);
		break;
	case M_GET:
		snprintf(req, sizeof(req), "GET http://%s/%s HTTP/1.0\r\nHost: %s\r\n\r\n", auth, token, auth);
		break;
	case M_POST:
		snprintf(req, sizeof(req),
			 "POST http://%s/ HTTP/1.0\r\nHost: %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %d\r\n\r\n%s\r\n", auth, auth, PROBE_TOKEN_LEN + 2, token);
		break;
	case M_SOCKS4:
		if (s->canary_addr.family != AF_INET) {
			*error_r = "SOCKS4 needs an IPv4 canary";
			return false;
		}
		if (socks4(c, s, error_r) != 0)
			return false;
		break;
	case M_SOCKS5:
		if (socks5(c, s, error_r) != 0)
			return false;
		break;
	}
	if (m == M_CONNECT || m == M_GET || m == M_POST) {
		if (probe_conn_send(c, req, strlen(req), error_r) != 0)
			return false;
		int status = http_reply(c, error_r);
		if (status < 0)
			return false;
		if (status / 100 != 2) {
			*error_r = "refused by the proxy";
			return false;
		}
		if (m != M_CONNECT)
			return true;
	}
	/* a tunnel: the token goes through it as one line */
	snprintf(line, sizeof(line), "%s\r\n", token);
	return probe_conn_send(c, line, strlen(line), error_r) == 0;
}

static bool clear_no(const char *err)
{
	static const char *const no[] = { "refused by the proxy", "request rejected", "no method without authentication",
					  "SOCKS4 needs an IPv4 canary" };

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(err, no[i]) == 0)
			return true;
	return false;
}

/* One method on one port: -1 no connection, 0 not confirmed, 1 confirmed. */
static int attempt(const struct probe_settings *s, struct probe_result *r, unsigned port, enum method m)
{
	struct probe_conn c;
	char token[PROBE_TOKEN_LEN + 1], peer[ADDR_STRLEN];
	const char *err = "";
	struct buf *t = &r->transcript;

	buf_printf(t, "# proxy port %u, %s\n", port, method_names[m]);
	if (probe_conn_open(&c, &r->addr, port, s->connect_ms, s->read_ms, s->read_max, t, &err) != 0) {
		buf_printf(t, "# %s\n", err);
		return -1;
	}
	probe_token_new(token);
	bool yes = ask(&c, s, m, token, &err);
	if (!yes)
		buf_printf(t, "# %s\n", err);
	/* a "yes" waits the whole probe_canary_wait, a clear "no" not at all, and
	 * anything else (silence, garbage) a short grace: the request may have
	 * gone through a proxy that answers oddly */
	int wait = yes ? s->canary_ms : clear_no(err) ? 0 : GRACE_MS;
	bool seen = probe_canary_wait(s->canary, token, wait, peer);
	probe_conn_close(&c);
	if (seen) {
		buf_printf(t, "# canary received %s from %s\n", token, peer);
		snprintf(r->proxy_detail, sizeof(r->proxy_detail), "port %u, %s: the canary received token %s from %s",
			 port, method_names[m], token, peer);
		return 1;
	}
	if (yes) {
		buf_printf(t, "# the proxy said yes but the canary received nothing\n");
		snprintf(r->proxy_detail, sizeof(r->proxy_detail),
			 "port %u, %s: the proxy said yes but the canary received nothing", port, method_names[m]);
	}
	return 0;
}

void probe_proxy_run(const struct probe_settings *s, struct probe_result *r)
{
	bool any_service = false;

	r->proxy = PROBE_NOT_TESTED;
	if (s->n_proxy_ports == 0 || s->canary == NULL)
		return;
	for (size_t i = 0; i < s->n_proxy_ports; i++) {
		for (unsigned m = 0; m < PROBE_PROXY_METHODS; m++) {
			int v = attempt(s, r, s->proxy_ports[i], (enum method)m);
			if (v < 0)
				break;	/* nothing listens on this port */
			any_service = true;
			if (v == 1) {
				r->proxy = PROBE_CONFIRMED;
				return;
			}
		}
	}
	r->proxy = any_service ? PROBE_CLOSED : PROBE_NO_SERVICE;
	if (r->proxy_detail[0] == '\0')
		snprintf(r->proxy_detail, sizeof(r->proxy_detail), "%s",
			 any_service ? "no proxy method reached the canary" : "no service on the proxy ports tried");
}
