/*
 * resolver - c-ares on a libevent event_base.  Contract in resolver.h.
 *
 * Socket watching: c-ares reports each socket's wanted directions through
 * the socket state callback; we keep one persistent libevent event per
 * socket (a small linked list: c-ares opens one UDP socket per server plus
 * TCP ones for truncated answers).  One timer is re-armed from
 * ares_timeout() after every call into c-ares.
 *
 * Query handles: c-ares has no per-query cancel, so a handle stays alive
 * until c-ares calls back; resolver_cancel() only clears the user callback.
 * Every live handle is on res->queries so resolver_free() can reclaim the
 * ones c-ares no longer owns (deferred immediate failures).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ares.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "mem.h"
#include "resolver.h"

/* DNS wire constants (RFC 1035). */
#define DNS_HEADER_LEN 12
#define DNS_TYPE_A 1
#define DNS_TYPE_TXT 16
#define DNS_TYPE_SOA 6
#define DNS_CLASS_IN 1
#define DNS_MAX_LABELS 128

struct sock_watch {
	ares_socket_t fd;
	short what;		/* EV_READ | EV_WRITE as last requested */
	struct event *ev;
	resolver_t *res;
	struct sock_watch *next;
};

struct resolver_query {
	resolver_t *res;
	resolver_cb *cb;	/* NULL once cancelled */
	void *ctx;
	int type;		/* DNS_TYPE_A or DNS_TYPE_TXT */
	bool starting;		/* inside resolver_query_*(): defer any callback */
	bool running;		/* its callback is running now */
	bool in_ares;		/* c-ares still owns a reference */
	enum resolver_status deferred_status;
	struct event *defer;	/* set only for a deferred immediate failure */
	struct resolver_query *prev, *next;
};

struct resolver {
	struct event_base *base;
	ares_channel channel;
	struct event *timer;
	struct sock_watch *watches;
	struct resolver_query *queries;
};

static const char *const status_names[] = {
	[RESOLVER_OK] = "ok",
	[RESOLVER_NXDOMAIN] = "nxdomain",
	[RESOLVER_NODATA] = "nodata",
	[RESOLVER_SERVFAIL] = "servfail",
	[RESOLVER_REFUSED] = "refused",
	[RESOLVER_TIMEOUT] = "timeout",
	[RESOLVER_ERROR] = "error",
};

/* Well-known public resolvers, in addr_format()'s canonical text. */
static const char *const public_servers[] = {
	"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
	"208.67.222.222", "208.67.220.220",
	"2001:4860:4860::8888", "2001:4860:4860::8844",
	"2606:4700:4700::1111", "2606:4700:4700::1001",
	"2620:fe::fe", "2620:fe::9",
	"2620:119:35::35", "2620:119:53::53",
};

const char *resolver_status_name(enum resolver_status status)
{
	if ((size_t)status < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[status];
	return "unknown";
}

/* ---- server list validation ------------------------------------------ */

static bool all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]) == NULL || s[i] == '\0')
			return false;
	return n > 0;
}

static int parse_port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || !all_of(s, n, "0123456789"))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return v >= 1 && v <= 65535 ? 0 : -1;
}

/*
 * One item of the list: "v4", "v4:port", "v6", "[v6]", "[v6]:port".
 * Appends it to out in a form c-ares 1.18 takes ("[v6]" without a port
 * becomes a bare "v6").
 */
static int check_server(const char *s, size_t n, struct buf *out, const char **error_r)
{
	static const char v6chars[] = "0123456789abcdefABCDEF:.";
	const char *colon = memchr(s, ':', n);
	addr_t a;

	if (n > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', n);
		size_t alen = end ? (size_t)(end - s - 1) : 0;
		if (end == NULL || !all_of(s + 1, alen, v6chars) || memchr(s + 1, ':', alen) == NULL ||
		    addr_parse_n(s + 1, alen, &a) != 0) {
			*error_r = "bracketed server must be [IPv6] or [IPv6]:PORT";
			return -1;
		}
		size_t rest = n - alen - 2;
		if (rest > 0 && (end[1] != ':' || parse_port(end + 2, rest - 1) != 0)) {
			*error_r = "port must be a number 1..65535";
			return -1;
		}
		if (rest == 0)
			buf_append(out, s + 1, alen);
		else
			buf_append(out, s, n);
		return 0;
	}
	if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL) {
		if (!all_of(s, n, v6chars) || addr_parse_n(s, n, &a) != 0) {
			*error_r = "server is not an IPv6 address (use [IPv6]:PORT for a port)";
			return -1;
		}
		buf_append(out, s, n);
		return 0;
	}
	size_t hlen = colon ? (size_t)(colon - s) : n;
	if (!all_of(s, hlen, "0123456789.") || addr_parse_n(s, hlen, &a) != 0) {
		*error_r = "server must be an IPv4 or IPv6 address (no host names)";
		return -1;
	}
	if (colon != NULL && parse_port(colon + 1, n - hlen - 1) != 0) {
		*error_r = "port must be a number 1..65535";
		return -1;
	}
	buf_append(out, s, n);
	return 0;
}

/* Validate the list and write it without blanks into out (for c-ares). */
static int check_servers(const char *servers, struct buf *out, char **error_r)
{
	const char *p = servers, *why = NULL;
	size_t count = 0;

	if (strlen(servers) > RESOLVER_SERVERS_MAX_LEN) {
		*error_r = xstrdup("dns server list too long");
		return -1;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		size_t len = n;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			why = "empty item";
		else if (++count > RESOLVER_SERVERS_MAX)
			why = "too many servers";
		else if (out->len > 0)
			buf_putc(out, ',');
		if (why == NULL)
			(void)check_server(p, len, out, &why);
		if (why != NULL) {
			struct buf msg = BUF_INIT;
			buf_printf(&msg, "dns server list \"%s\": %s", servers, why);
			*error_r = buf_detach(&msg);
			return -1;
		}
		p += n;
		if (*p == ',' && *++p == '\0') {
			*error_r = xstrdup("dns server list ends with a comma");
			return -1;
		}
	}
	return 0;
}

/* ---- event plumbing --------------------------------------------------- */

static void arm_timer(resolver_t *res)
{
	struct timeval tv;

	if (ares_timeout(res->channel, NULL, &tv) == NULL)
		evtimer_del(res->timer);
	else
		evtimer_add(res->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	resolver_t *res = arg;

	ares_process_fd(res->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer(res);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct sock_watch *w = arg;
	resolver_t *res = w->res;	/* w may be freed inside ares_process_fd */

	ares_process_fd(res->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	arm_timer(res);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	resolver_t *res = data;
	struct sock_watch **pp = &res->watches, *w;
	short what = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	while (*pp != NULL && (*pp)->fd != fd)
		pp = &(*pp)->next;
	w = *pp;
	if (w != NULL && (what == 0 || what != w->what)) {
		/* Freeing an event from inside its own callback is safe in one thread. */
		event_free(w->ev);
		if (what == 0) {
			*pp = w->next;
			free(w);
			return;
		}
	} else if (w == NULL) {
		if (what == 0)
			return;
		w = xcalloc(1, sizeof(*w));
		w->fd = fd;
		w->res = res;
		w->next = res->watches;
		res->watches = w;
	} else {
		return;		/* unchanged */
	}
	w->what = what;
	w->ev = event_new(res->base, fd, what | EV_PERSIST, on_socket, w);
	if (w->ev == NULL)
		abort();
	event_add(w->ev, NULL);
}

/* ---- answers ---------------------------------------------------------- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A TTL with the top bit set is treated as 0 (RFC 2181 section 8). */
static uint32_t clean_ttl(uint32_t ttl)
{
	return (ttl & 0x80000000u) ? 0 : ttl;
}

/* Skip a (possibly compressed) name at *pos; -1 when it runs off the end. */
static int skip_name(const unsigned char *m, size_t len, size_t *pos)
{
	for (unsigned labels = 0; labels < DNS_MAX_LABELS; labels++) {
		if (*pos >= len)
			return -1;
		unsigned l = m[*pos];
		if ((l & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= len ? 0 : -1;
		}
		if (l & 0xc0)
			return -1;
		*pos += 1 + l;
		if (l == 0)
			return 0;
	}
	return -1;
}

/* Negative TTL from an SOA in answer or authority (RFC 2308), else 0. */
static uint32_t negative_ttl(const unsigned char *m, size_t len)
{
	size_t pos = DNS_HEADER_LEN;

	if (m == NULL || len < DNS_HEADER_LEN)
		return 0;
	unsigned qd = get16(m + 4), rr = get16(m + 6) + get16(m + 8);
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(m, len, &pos) != 0 || (pos += 4) > len)
			return 0;
	}
	for (unsigned i = 0; i < rr; i++) {
		if (skip_name(m, len, &pos) != 0 || pos + 10 > len)
			return 0;
		unsigned type = get16(m + pos);
		uint32_t ttl = clean_ttl(get32(m + pos + 4));
		size_t rdlen = get16(m + pos + 8), rd = pos + 10;
		if (rd + rdlen > len)
			return 0;
		if (type == DNS_TYPE_SOA) {
			size_t p = rd;
			if (skip_name(m, rd + rdlen, &p) != 0 || skip_name(m, rd + rdlen, &p) != 0 ||
			    p + 20 > rd + rdlen)
				return 0;
			uint32_t minimum = clean_ttl(get32(m + p + 16));
			return ttl < minimum ? ttl : minimum;
		}
		pos = rd + rdlen;
	}
	return 0;
}

static enum resolver_status map_status(int status)
{
	switch (status) {
	case ARES_SUCCESS: return RESOLVER_OK;
	case ARES_ENOTFOUND: return RESOLVER_NXDOMAIN;
	case ARES_ENODATA: return RESOLVER_NODATA;
	case ARES_ESERVFAIL: return RESOLVER_SERVFAIL;
	case ARES_EREFUSED: return RESOLVER_REFUSED;
	case ARES_ETIMEOUT: return RESOLVER_TIMEOUT;
	default: return RESOLVER_ERROR;
	}
}

static void parse_a(const unsigned char *m, int len, struct resolver_answer *ans)
{
	struct ares_addrttl ttls[RESOLVER_MAX_A];
	int n = RESOLVER_MAX_A;
	int rc = ares_parse_a_reply(m, len, NULL, ttls, &n);

	if (rc != ARES_SUCCESS) {
		ans->status = rc == ARES_ENODATA ? RESOLVER_NODATA : RESOLVER_ERROR;
		return;
	}
	for (int i = 0; i < n; i++) {
		uint32_t ttl = ttls[i].ttl < 0 ? 0 : (uint32_t)ttls[i].ttl;
		ans->a[ans->n_a++] = ntohl(ttls[i].ipaddr.s_addr);
		if (i == 0 || ttl < ans->ttl)
			ans->ttl = ttl;
	}
	if (ans->n_a == 0)
		ans->status = RESOLVER_NODATA;
}

/* Join the strings of the first TXT record into txt; set the min TTL. */
static void parse_txt(const unsigned char *m, int len, struct resolver_answer *ans,
		      struct buf *txt)
{
	struct ares_txt_ext *list = NULL;
	int rc = ares_parse_txt_reply_ext(m, len, &list);

	/* c-ares 1.18 calls an answer with records of other types only (a TXT
	 * question answered with an A record) a success with no TXT: NODATA. */
	if (rc == ARES_SUCCESS && list == NULL)
		rc = ARES_ENODATA;
	if (rc != ARES_SUCCESS) {
		ans->status = rc == ARES_ENODATA ? RESOLVER_NODATA : RESOLVER_ERROR;
		return;
	}
	for (const struct ares_txt_ext *t = list; t != NULL; t = t->next) {
		if (t != list && t->record_start)
			break;
		for (size_t i = 0; i < t->length; i++)
			buf_putc(txt, t->txt[i] == '\0' ? ' ' : (char)t->txt[i]);
	}
	ares_free_data(list);
	ans->txt = buf_cstr(txt);
	/* c-ares gives no TTL for TXT: read the first answer record's own. */
	size_t pos = DNS_HEADER_LEN;
	if ((size_t)len >= DNS_HEADER_LEN && skip_name(m, (size_t)len, &pos) == 0 &&
	    (pos += 4) <= (size_t)len && skip_name(m, (size_t)len, &pos) == 0 &&
	    pos + 10 <= (size_t)len)
		ans->ttl = clean_ttl(get32(m + pos + 4));
}

void resolver_answer_parse(bool txt_question, const unsigned char *msg, size_t len,
			   struct resolver_answer *ans, struct buf *txt)
{
	if (ans->status == RESOLVER_OK) {
		/* c-ares reads lengths as int; a DNS message is at most 65535 bytes. */
		if (msg == NULL || len == 0 || len > 65535)
			ans->status = RESOLVER_ERROR;
		else if (txt_question)
			parse_txt(msg, (int)len, ans, txt);
		else
			parse_a(msg, (int)len, ans);
	} else if (ans->status == RESOLVER_NXDOMAIN || ans->status == RESOLVER_NODATA) {
		ans->ttl = negative_ttl(msg, len);
	}
}

/* ---- queries ---------------------------------------------------------- */

static void unlink_query(resolver_query_t *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->res->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
}

static void free_query(resolver_query_t *q)
{
	unlink_query(q);
	if (q->defer != NULL)
		event_free(q->defer);
	free(q);
}

static void deliver(resolver_query_t *q, const struct resolver_answer *ans)
{
	if (q->cb != NULL) {
		q->running = true;
		q->cb(ans, q->ctx);
	}
	free_query(q);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
	resolver_query_t *q = arg;
	struct resolver_answer ans = { .status = q->deferred_status };

	deliver(q, &ans);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	resolver_query_t *q = arg;
	struct resolver_answer ans = { .status = map_status(status) };
	struct buf txt = BUF_INIT;

	q->in_ares = false;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		q->cb = NULL;
	if (q->starting) {
		/* Called back inside resolver_query_*(): hand it to the loop. */
		q->deferred_status = ans.status == RESOLVER_OK ? RESOLVER_ERROR : ans.status;
		q->defer = event_new(q->res->base, -1, 0, on_deferred, q);
		if (q->defer == NULL)
			abort();
		event_active(q->defer, EV_TIMEOUT, 0);
		return;
	}
	if (q->cb == NULL) {
		free_query(q);
		return;
	}
	resolver_answer_parse(q->type == DNS_TYPE_TXT, abuf, alen > 0 ? (size_t)alen : 0, &ans, &txt);
	deliver(q, &ans);
	buf_free(&txt);
}

static resolver_query_t *start(resolver_t *res, const char *name, int type, resolver_cb *cb,
			       void *ctx)
{
	resolver_query_t *q = xcalloc(1, sizeof(*q));

	q->res = res;
	q->cb = cb;
	q->ctx = ctx;
	q->type = type;
	q->next = res->queries;
	if (q->next != NULL)
		q->next->prev = q;
	res->queries = q;
	q->starting = true;
	q->in_ares = true;
	ares_query(res->channel, name, DNS_CLASS_IN, type, on_answer, q);
	q->starting = false;
	arm_timer(res);
	return q;
}

resolver_query_t *resolver_query_a(resolver_t *res, const char *name, resolver_cb *cb, void *ctx)
{
	return start(res, name, DNS_TYPE_A, cb, ctx);
}

resolver_query_t *resolver_query_txt(resolver_t *res, const char *name, resolver_cb *cb, void *ctx)
{
	return start(res, name, DNS_TYPE_TXT, cb, ctx);
}

void resolver_cancel(resolver_query_t *q)
{
	if (q == NULL || q->running)
		return;
	q->cb = NULL;
	/* Not owned by c-ares any more (a deferred failure): free it now. */
	if (!q->in_ares)
		free_query(q);
}

/* ---- lifetime --------------------------------------------------------- */

static int check_opts(const struct resolver_opts *opts, char **error_r)
{
	struct buf msg = BUF_INIT;

	if (opts->timeout_ms != 0 &&
	    (opts->timeout_ms < RESOLVER_TIMEOUT_MS_MIN || opts->timeout_ms > RESOLVER_TIMEOUT_MS_MAX))
		buf_printf(&msg, "dns timeout %u ms out of bounds %u..%u", opts->timeout_ms,
			   RESOLVER_TIMEOUT_MS_MIN, RESOLVER_TIMEOUT_MS_MAX);
	else if (opts->tries > RESOLVER_TRIES_MAX)
		buf_printf(&msg, "dns tries %u out of bounds 1..%u", opts->tries, RESOLVER_TRIES_MAX);
	else
		return 0;
	*error_r = buf_detach(&msg);
	return -1;
}

int resolver_new(struct event_base *base, const struct resolver_opts *opts, resolver_t **res_r,
		 char **error_r)
{
	struct ares_options ao;
	struct buf servers = BUF_INIT;
	int rc;

	if (check_opts(opts, error_r) != 0)
		return -1;
	if (opts->servers != NULL && check_servers(opts->servers, &servers, error_r) != 0) {
		buf_free(&servers);
		return -1;
	}
	resolver_t *res = xcalloc(1, sizeof(*res));
	res->base = base;
	memset(&ao, 0, sizeof(ao));
	ao.timeout = (int)(opts->timeout_ms ? opts->timeout_ms : RESOLVER_DEFAULT_TIMEOUT_MS);
	ao.tries = (int)(opts->tries ? opts->tries : RESOLVER_DEFAULT_TRIES);
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = res;
	/*
	 * Queries go out exactly as named: no search list, no host aliases.
	 * NOCHECKRESP: without it c-ares 1.18 turns a REFUSED or SERVFAIL from
	 * the last server into ECONNREFUSED, and the caller could not tell a
	 * list refusing us from a dead server.
	 */
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc == ARES_SUCCESS) {
		rc = ares_init_options(&res->channel, &ao,
				       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
					       ARES_OPT_FLAGS);
		if (rc != ARES_SUCCESS)
			ares_library_cleanup();
	}
	if (rc == ARES_SUCCESS && servers.len > 0) {
		rc = ares_set_servers_ports_csv(res->channel, buf_cstr(&servers));
		if (rc != ARES_SUCCESS) {
			ares_destroy(res->channel);
			ares_library_cleanup();
		}
	}
	buf_free(&servers);
	if (rc != ARES_SUCCESS) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "c-ares initialisation failed: %s", ares_strerror(rc));
		*error_r = buf_detach(&msg);
		free(res);
		return -1;
	}
	res->timer = evtimer_new(base, on_timer, res);
	if (res->timer == NULL)
		abort();
	*res_r = res;
	return 0;
}

void resolver_free(resolver_t **resp)
{
	resolver_t *res = resp ? *resp : NULL;

	if (res == NULL)
		return;
	for (resolver_query_t *q = res->queries; q != NULL; q = q->next)
		q->cb = NULL;
	/* Calls on_answer(ARES_EDESTRUCTION) for each query c-ares holds. */
	ares_destroy(res->channel);
	ares_library_cleanup();
	while (res->queries != NULL)
		free_query(res->queries);
	while (res->watches != NULL) {
		struct sock_watch *w = res->watches;
		res->watches = w->next;
		event_free(w->ev);
		free(w);
	}
	event_free(res->timer);
	free(res);
	*resp = NULL;
}

bool resolver_uses_public_server(const resolver_t *res, char *which, size_t which_size)
{
	struct ares_addr_port_node *list = NULL;
	bool found = false;

	/* ares_get_servers_ports only reads the channel. */
	if (ares_get_servers_ports(res->channel, &list) != ARES_SUCCESS)
		return false;
	for (const struct ares_addr_port_node *n = list; n != NULL && !found; n = n->next) {
		addr_t a = { .family = AF_INET };
		char text[ADDR_STRLEN];
		if (n->family == AF_INET) {
			memcpy(a.bytes, &n->addr.addr4, 4);
		} else if (n->family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.bytes, &n->addr.addr6, 16);
		} else {
			continue;
		}
		addr_format(&a, text);
		for (size_t i = 0; i < sizeof(public_servers) / sizeof(public_servers[0]); i++) {
			if (strcmp(text, public_servers[i]) == 0) {
				found = true;
				/* Truncation is the documented behaviour for a small which. */
				if (which != NULL && which_size > 0 && str_copy(which, text, which_size) != 0)
					which[which_size - 1] = '\0';
				break;
			}
		}
	}
	ares_free_data(list);
	return found;
}
