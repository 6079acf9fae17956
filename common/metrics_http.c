/*
 * metrics_http - GET /metrics over evhttp on a thread of its own.
 * See metrics_http.h for the contract.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cfgval.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "metrics_http.h"

struct metrics_http {
	struct event_base *base;
	struct evhttp *http;
	metrics_collect_fn *collect;
	void *ctx;
	pthread_t thread;
	bool running;
	char where[80];		/* for log lines */
};

int metrics_http_parse_listen(const char *listen, bool allow_remote, char host_r[64], unsigned *port_r,
			      const char **error_r)
{
	const char *colon = strrchr(listen, ':');
	size_t hlen;
	addr_t a;
	char *end;

	*error_r = "metrics_listen: expected ADDRESS:PORT with an IP address (127.0.0.1:9150, [::1]:9150)";
	if (colon == NULL || colon == listen)
		return -1;
	hlen = (size_t)(colon - listen);
	bool bracketed = listen[0] == '[';
	if (bracketed) {
		if (hlen < 3 || listen[hlen - 1] != ']')
			return -1;
		listen++;
		hlen -= 2;
	}
	if (hlen >= 64)
		return -1;
	memcpy(host_r, listen, hlen);
	host_r[hlen] = '\0';
	/* an IPv6 address goes in brackets: "::1:9150" would be ambiguous */
	if (addr_parse(host_r, &a) != 0 || strchr(host_r, '[') != NULL || (a.family == AF_INET6) != bracketed)
		return -1;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port == 0 || port > 65535) {
		*error_r = "metrics_listen: the port must be a number from 1 to 65535";
		return -1;
	}
	if (!allow_remote && addr_classify(&a) != ADDR_CLASS_LOOPBACK) {
		*error_r = "metrics_listen: not a loopback address (127.0.0.0/8, ::1); "
			   "set metrics_allow_remote = yes to serve the metrics to other hosts";
		return -1;
	}
	*port_r = (unsigned)port;
	return 0;
}

static const char *const programs[] = { "policyd", "milter", "notify", NULL };

/* Split item [PROGRAM=]ADDRESS:PORT: the program (index, or -1 without one,
 * -2 for an unknown one) and the address part into where. */
static int item_split(const char *item, size_t len, char where[METRICS_LISTEN_ITEM_MAX])
{
	const char *eq = memchr(item, '=', len);
	int prog = -1;

	if (eq != NULL) {
		prog = -2;
		for (int i = 0; programs[i] != NULL; i++)
			if (strlen(programs[i]) == (size_t)(eq - item) && memcmp(item, programs[i], (size_t)(eq - item)) == 0)
				prog = i;
		len -= (size_t)(eq + 1 - item);
		item = eq + 1;
	}
	if (len >= METRICS_LISTEN_ITEM_MAX)
		len = METRICS_LISTEN_ITEM_MAX - 1;	/* too long for an address anyway: refused */
	memcpy(where, item, len);
	where[len] = '\0';
	return prog;
}

int metrics_http_check_setting(const char *setting, const char **error_r)
{
	const char *cursor = setting, *item;
	size_t len;
	bool seen[4] = { false, false, false, false };	/* bare, policyd, milter, notify */

	while ((item = cfgval_next_item(&cursor, &len)) != NULL) {
		char where[METRICS_LISTEN_ITEM_MAX], host[64];
		unsigned port;
		int prog = item_split(item, len, where);
		if (prog == -2) {
			*error_r = "metrics_listen: a program is policyd, milter or notify (policyd=127.0.0.1:9150)";
			return -1;
		}
		if (seen[prog + 1]) {
			*error_r = "metrics_listen: two addresses for the same program";
			return -1;
		}
		seen[prog + 1] = true;
		if (metrics_http_parse_listen(where, true, host, &port, error_r) != 0)
			return -1;
	}
	return 0;
}

void metrics_http_listen_for(const char *setting, const char *program, char out[METRICS_LISTEN_ITEM_MAX])
{
	const char *cursor = setting, *item;
	size_t len;
	char where[METRICS_LISTEN_ITEM_MAX];

	out[0] = '\0';
	while ((item = cfgval_next_item(&cursor, &len)) != NULL) {
		int prog = item_split(item, len, where);
		if (prog == -1 && out[0] == '\0')
			memcpy(out, where, sizeof(where));
		else if (prog >= 0 && strcmp(programs[prog], program) == 0) {
			memcpy(out, where, sizeof(where));
			return;
		}
	}
}

/* The path of a request URI without its query string, or NULL. */
static bool is_metrics_path(const char *uri)
{
	static const char path[] = "/metrics";
	size_t n = sizeof(path) - 1;

	return uri != NULL && strncmp(uri, path, n) == 0 && (uri[n] == '\0' || uri[n] == '?');
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);

	if (!is_metrics_path(evhttp_request_get_uri(req))) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is served here");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(hdr, "Allow", "GET");
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	struct buf text = BUF_INIT;
	struct evbuffer *body = evbuffer_new();
	m->collect(&text, m->ctx);
	evbuffer_add(body, text.data != NULL ? text.data : "", text.len);
	evhttp_add_header(hdr, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
	buf_free(&text);
}

int metrics_http_new(const char *listen, bool allow_remote, metrics_collect_fn *collect, void *ctx,
		     metrics_http_t **m_r, char **error_r)
{
	char host[64];
	unsigned port;
	const char *why;
	struct metrics_http *m;

	if (metrics_http_parse_listen(listen, allow_remote, host, &port, &why) != 0) {
		*error_r = xstrdup(why);
		return -1;
	}
	/* The serving thread is stopped from another one: the base needs locks. */
	evthread_use_pthreads();
	m = xcalloc(1, sizeof(*m));
	m->collect = collect;
	m->ctx = ctx;
	snprintf(m->where, sizeof(m->where), "%s", listen);
	m->base = event_base_new();
	m->http = m->base != NULL ? evhttp_new(m->base) : NULL;
	if (m->http == NULL) {
		*error_r = xstrdup("metrics_listen: cannot create the HTTP server (libevent)");
		metrics_http_free(&m);
		return -1;
	}
	/* Every method reaches on_request, which answers 405 itself (evhttp would say 501). */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
						    EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(m->http, METRICS_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, METRICS_HTTP_TIMEOUT_S);
	evhttp_set_gencb(m->http, on_request, m);
	if (evhttp_bind_socket(m->http, host, (ev_uint16_t)port) != 0) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "metrics_listen: cannot listen on %s: %s", listen, strerror(errno));
		*error_r = buf_detach(&msg);
		metrics_http_free(&m);
		return -1;
	}
	*m_r = m;
	return 0;
}

static void *serve(void *arg)
{
	struct metrics_http *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

int metrics_http_start(metrics_http_t *m, char **error_r)
{
	int rc = pthread_create(&m->thread, NULL, serve, m);

	if (rc != 0) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "metrics_listen: cannot start its thread: %s", strerror(rc));
		*error_r = buf_detach(&msg);
		return -1;
	}
	m->running = true;
	log_info("metrics on http://%s/metrics", m->where);
	return 0;
}

void metrics_http_free(metrics_http_t **mp)
{
	struct metrics_http *m = *mp;

	if (m == NULL)
		return;
	if (m->running) {
		event_base_loopbreak(m->base);
		pthread_join(m->thread, NULL);
	}
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->base != NULL)
		event_base_free(m->base);
	free(m);
	*mp = NULL;
}
