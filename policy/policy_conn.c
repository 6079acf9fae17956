/*
 * policy_conn - read requests, ask the engine, write replies in order.
 *
 * Requests become items in a FIFO.  An item is done when its reply is
 * known: at once for states that are not checked, when the engine calls
 * back otherwise.  flush() moves the replies of the done items at the head
 * of the FIFO to the output buffer, so replies leave in request order.
 *
 * The instance cache: an item checked for instance I is a "leader"; later
 * items of the same instance that arrive before another instance is
 * checked are "followers" and take the leader's reply when they reach the
 * head of the FIFO (the leader is always ahead of them, so its reply is
 * known by then).
 */
#include "config.h"

#include "policy_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "heap.h"
#include "log.h"
#include "mem.h"
#include "policy_proto.h"
#include "policy_reply.h"
#include "spf_pool.h"
#include "verdict.h"

/* Slow requests closed: one warning per interval, whatever the connection. */
static struct log_limit policy_conn_slow_limit = LOG_LIMIT_INIT;

struct item {
	struct item *next;
	policy_conn_t *conn;
	policy_engine_t *pe;		/* held while the check is in flight */
	engine_check_t *check;		/* NULL when not in flight */
	spf_job_t *spf_job;		/* NULL when no SPF check is in flight */
	struct engine_verdict *verdict;	/* kept while SPF runs */
	bool done, leader, follower;
	struct buf reply;		/* "action=...\n\n" */
	struct engine_request req;	/* strings below */
	/* Copies of the attributes, in strs (the item's own allocation). */
	const char *helo, *sender, *sasl, *queue_id, *state, *instance;
	const char *client_raw;		/* client_address as sent, when not an address */
	uint64_t start_us;
	char strs[];
};

/* The attributes an item keeps, in the order of item_new()'s copies. */
enum item_attr {
	ATTR_STATE, ATTR_INSTANCE, ATTR_HELO, ATTR_SENDER, ATTR_SASL, ATTR_QUEUE_ID, ATTR_CLIENT, ATTR_COUNT
};
static const char *const item_attr_names[ATTR_COUNT] = {
	"protocol_state", "instance", "helo_name", "sender", "sasl_username", "queue_id", "client_address",
};

struct policy_conn {
	struct event_base *base;
	int in_fd, out_fd;
	char *peer;
	policy_engine_t **current;
	unsigned long long idle_ms;
	unsigned long long request_ms;	/* 0: no deadline for a whole request */
	policy_conn_closed_cb *closed;
	void *ctx;
	struct event *rev, *wev, *idle, *request;
	bool reading, draining, eof, dead;
	bool partial;			/* bytes of an incomplete request were read */
	uint64_t active_us;		/* last byte read or written */
	policy_parser_t *parser;
	struct item *head, *tail;
	size_t pending;
	struct buf out;
	char *inst_name;		/* instance of the last checked request */
	struct buf inst_reply;		/* its reply, once its leader is flushed */
};

int policy_engine_new(struct event_base *base, engine_t *engine, policy_engine_t **pe_r, char **error_r)
{
	policy_engine_t *pe = xcalloc(1, sizeof(*pe));
	const cfg_t *cfg = engine_cfg(engine);

	pe->engine = engine;
	pe->refs = 1;
	*pe_r = NULL;
	if (cfg_enum(cfg, CFG_SPF) != CFG_SPF_NO) {
		struct buf servers = BUF_INIT;
		cfgval_format_hostports(cfg_hostports(cfg, CFG_DNS_SERVERS), &servers);
		struct spf_opts so = {
			.servers = buf_cstr(&servers),
			.timeout_ms = (unsigned)cfg_ms(cfg, CFG_DNSBL_TIMEOUT),
			.receiving_host = cfg_str(cfg, CFG_MYHOSTNAME),
		};
		int rc = spf_pool_new(base, &so, POLICY_SPF_THREADS, &pe->spf, error_r);
		buf_free(&servers);
		if (rc != 0) {
			policy_engine_unref(&pe);
			return -1;
		}
	}
	*pe_r = pe;
	return 0;
}

policy_engine_t *policy_engine_ref(policy_engine_t *pe)
{
	pe->refs++;
	return pe;
}

void policy_engine_unref(policy_engine_t **pe)
{
	if (pe == NULL || *pe == NULL)
		return;
	if (--(*pe)->refs == 0) {
		bool retired = (*pe)->retired;
		spf_pool_free(&(*pe)->spf);
		engine_free(&(*pe)->engine);
		free(*pe);
		if (retired)
			heap_release("policy: previous configuration freed");
	}
	*pe = NULL;
}

void policy_engine_retire(policy_engine_t **pe)
{
	if (pe != NULL && *pe != NULL)
		(*pe)->retired = true;
	policy_engine_unref(pe);
}

static void item_free(struct item *it)
{
	if (it->check != NULL)
		engine_check_cancel(it->check);
	if (it->spf_job != NULL)
		spf_pool_cancel(it->spf_job);
	engine_verdict_free(&it->verdict);
	policy_engine_unref(&it->pe);
	buf_free(&it->reply);
	free(it);
}

/* End the connection: tell the owner, who frees it.  Nothing may touch conn after. */
static void conn_end(policy_conn_t *c)
{
	if (c->dead)
		return;
	c->dead = true;
	event_del(c->rev);
	event_del(c->wev);
	event_del(c->idle);
	event_del(c->request);
	c->closed(c, c->ctx);
}

static void set_reading(policy_conn_t *c, bool on)
{
	if (on == c->reading)
		return;
	c->reading = on;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
}

static void arm_idle(policy_conn_t *c)
{
	struct timeval tv = { (time_t)(c->idle_ms / 1000), (suseconds_t)(c->idle_ms % 1000) * 1000 };

	event_add(c->idle, &tv);
}

/* Write what we can; false when the connection ended. */
static bool write_out(policy_conn_t *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->out_fd, c->out.data, c->out.len);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			c->active_us = clock_now_us();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(c->wev, NULL);
			return true;
		}
		log_info("policy: peer=%s write failed: %s", c->peer, n < 0 ? strerror(errno) : "eof");
		conn_end(c);
		return false;
	}
	event_del(c->wev);
	return true;
}

/* Log one request that was answered without a check of its own. */
static void log_plain(const struct item *it, const char *why)
{
	struct buf line = BUF_INIT;
	char client[ADDR_STRLEN];

	if (!log_enabled(LOG_LVL_INFO))
		return;
	buf_puts(&line, "policy:");
	if (it->req.client.family != 0) {
		log_kv_str(&line, "client", addr_format(&it->req.client, client));
	} else if (strcmp(why, "no-address") == 0) {
		/* what was sent, escaped, and why: never a made-up address */
		log_kv_str(&line, "client_raw", it->client_raw != NULL ? it->client_raw : "");
		log_kv_str(&line, "client_error", it->client_raw != NULL ? "not an IP address" : "missing");
	} else {
		log_kv_str(&line, "client", "");
	}
	log_kv_str(&line, "state", it->state ? it->state : "");
	log_kv_str(&line, "instance", it->instance ? it->instance : "");
	log_kv_str(&line, "answer", why);
	/* the reply is "action=VALUE\n\n": log VALUE */
	struct buf r = BUF_INIT;
	buf_append(&r, it->reply.data ? it->reply.data : "", it->reply.len);
	while (r.len > 0 && r.data[r.len - 1] == '\n')
		buf_truncate(&r, r.len - 1);
	const char *value = buf_cstr(&r);
	if (strncmp(value, "action=", strlen("action=")) == 0)
		value += strlen("action=");
	buf_puts(&line, " reply=");
	log_kv_quote(&line, value);
	buf_free(&r);
	log_kv_int(&line, "time_us", (long long)(clock_now_us() - it->start_us));
	log_info("%s", buf_cstr(&line));
	buf_free(&line);
}

/* Move the replies of the done items at the head to the output; false when ended. */
static bool flush(policy_conn_t *c)
{
	while (c->head != NULL && c->head->done) {
		struct item *it = c->head;
		if (it->follower) {
			buf_append(&it->reply, c->inst_reply.data, c->inst_reply.len);
			log_plain(it, "instance");
		} else if (it->leader) {
			buf_reset(&c->inst_reply);
			buf_append(&c->inst_reply, it->reply.data, it->reply.len);
		}
		buf_append(&c->out, it->reply.data, it->reply.len);
		c->head = it->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->pending--;
		item_free(it);
	}
	if (!write_out(c))
		return false;
	if ((c->draining || c->eof) && c->head == NULL && c->out.len == 0) {
		conn_end(c);
		return false;
	}
	if (!c->draining && !c->eof)
		set_reading(c, c->pending < POLICY_CONN_PENDING_MAX && c->out.len < POLICY_CONN_OUT_MAX);
	return true;
}

/* reply="VALUE" of an "action=VALUE\n\n" reply, for what is not a DUNNO. */
static void log_reply(struct buf *line, const struct buf *reply)
{
	static const char prefix[] = "action=";
	struct buf value = BUF_INIT;
	size_t len = reply->len;

	while (len > 0 && reply->data[len - 1] == '\n')
		len--;
	if (len >= sizeof(prefix) - 1 && memcmp(reply->data, prefix, sizeof(prefix) - 1) == 0)
		buf_append(&value, reply->data + sizeof(prefix) - 1, len - (sizeof(prefix) - 1));
	if (strcmp(buf_cstr(&value), "DUNNO") != 0)
		log_kv_str(line, "reply", buf_cstr(&value));
	buf_free(&value);
}

/* The request is answered: log it, build the reply, send what is ready. */
static void item_answer(struct item *it, const struct engine_verdict *v, const struct spf_outcome *spf)
{
	struct buf line = BUF_INIT;

	policy_reply_build(v, spf, engine_cfg(it->pe->engine), &it->reply);
	buf_puts(&it->reply, "\n\n");
	it->done = true;
	if (log_enabled(LOG_LVL_INFO)) {
		buf_puts(&line, "policy:");
		engine_verdict_log_line(v, &it->req, &line);
		if (spf != NULL)
			log_kv_str(&line, "spf", spf_result_name(spf->result));
		log_kv_str(&line, "state", it->state);
		log_kv_str(&line, "instance", it->instance ? it->instance : "");
		log_reply(&line, &it->reply);
		log_kv_int(&line, "time_us", (long long)(clock_now_us() - it->start_us));
		log_info("%s", buf_cstr(&line));
		buf_free(&line);
	}
	policy_engine_unref(&it->pe);
	(void)flush(it->conn);
}

static void spf_done(const struct spf_outcome *outcome, void *ctx)
{
	struct item *it = ctx;
	struct engine_verdict *v = it->verdict;

	/* item_answer() may flush and free the item: take the verdict first. */
	it->spf_job = NULL;
	it->verdict = NULL;
	item_answer(it, v, outcome);
	engine_verdict_free(&v);
}

/* Where the verdict says SPF applies, it runs once the sender is known: MAIL and RCPT. */
static bool spf_wanted(const struct item *it, const struct engine_verdict *v)
{
	return v->spf_applies && it->pe->spf != NULL && it->state != NULL &&
	       (strcasecmp(it->state, "MAIL") == 0 || strcasecmp(it->state, "RCPT") == 0);
}

static void check_done(const struct engine_verdict *v, void *ctx)
{
	struct item *it = ctx;

	it->check = NULL;
	if (spf_wanted(it, v)) {
		it->verdict = engine_verdict_copy(v);
		it->spf_job = spf_pool_check(it->pe->spf, &it->req.client, it->helo, it->sender, spf_done, it);
		return;
	}
	item_answer(it, v, NULL);
}

/* An item with copies of the request's attributes, in one allocation. */
static struct item *item_new(const policy_parser_t *p)
{
	const char *v[ATTR_COUNT];
	size_t len[ATTR_COUNT], total = 0;
	const char *copy[ATTR_COUNT];

	for (int i = 0; i < ATTR_COUNT; i++) {
		v[i] = policy_parser_get(p, item_attr_names[i]);
		len[i] = v[i] != NULL ? strlen(v[i]) + 1 : 0;
		total += len[i];
	}
	struct item *it = xmalloc(sizeof(*it) + total);
	char *pos = it->strs;

	memset(it, 0, sizeof(*it));
	for (int i = 0; i < ATTR_COUNT; i++) {
		copy[i] = v[i] != NULL ? memcpy(pos, v[i], len[i]) : NULL;
		pos += len[i];
	}
	it->state = copy[ATTR_STATE];
	it->instance = copy[ATTR_INSTANCE];
	it->helo = copy[ATTR_HELO];
	it->sender = copy[ATTR_SENDER];
	it->sasl = copy[ATTR_SASL];
	it->queue_id = copy[ATTR_QUEUE_ID];
	it->client_raw = copy[ATTR_CLIENT];
	return it;
}

/* Postfix's protocol_state names, one per policy_check_state choice. */
static const char *const check_state_names[] = {
	[CFG_STATE_CONNECT] = "CONNECT",
	[CFG_STATE_HELO] = "HELO",
	[CFG_STATE_MAIL] = "MAIL",
	[CFG_STATE_RCPT] = "RCPT",
};
#define POLICY_CHECK_STATES (sizeof(check_state_names) / sizeof(check_state_names[0]))
_Static_assert(POLICY_CHECK_STATES == CFG_STATE_RCPT + 1,
	       "one protocol_state name per enum cfg_check_state value");

/* Is state the one the config checks at? */
static bool state_checked(const char *state, const cfg_t *cfg)
{
	int want = cfg_enum(cfg, CFG_POLICY_CHECK_STATE);

	return state != NULL && want >= 0 && (size_t)want < POLICY_CHECK_STATES &&
	       strcasecmp(state, check_state_names[want]) == 0;
}

/* Answer at once with DUNNO. */
static void item_dunno(struct item *it, const char *why)
{
	buf_puts(&it->reply, "action=DUNNO\n\n");
	it->done = true;
	log_plain(it, why);
}

/* Decide what to do with the complete request in the parser. */
static void handle_request(policy_conn_t *c)
{
	struct item *it = item_new(c->parser);
	policy_engine_t *pe = *c->current;
	const char *addr = policy_parser_get(c->parser, "client_address");

	it->conn = c;
	it->start_us = clock_now_us();
	it->req = (struct engine_request){ .helo = it->helo, .sender = it->sender,
					   .sasl_user = it->sasl, .queue_id = it->queue_id };
	if (c->tail)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	c->pending++;

	if (!state_checked(it->state, engine_cfg(pe->engine))) {
		item_dunno(it, "state");
	} else if (addr == NULL || addr_parse(addr, &it->req.client) != 0) {
		/* addr_parse() may leave a partial address behind: log none of it */
		memset(&it->req.client, 0, sizeof(it->req.client));
		log_warning("policy: peer=%s client_address '%s' is not an address: DUNNO", c->peer,
			    addr ? addr : "(missing)");
		item_dunno(it, "no-address");
	} else if (it->instance != NULL && *it->instance && c->inst_name != NULL &&
		   strcmp(c->inst_name, it->instance) == 0) {
		it->follower = true;
		it->done = true;
	} else {
		free(c->inst_name);
		c->inst_name = it->instance != NULL && *it->instance ? xstrdup(it->instance) : NULL;
		it->leader = c->inst_name != NULL;
		it->pe = policy_engine_ref(pe);
		it->check = engine_check(pe->engine, &it->req, check_done, it);
	}
}

/*
 * A request in pieces runs against policy_request_timeout from its first
 * byte: the idle timer restarts on every byte, so without this a client
 * sending one byte a second would hold its slot for ever.
 */
static void track_partial(policy_conn_t *c, bool partial)
{
	if (partial && !c->partial && c->request_ms > 0) {
		struct timeval tv = { (time_t)(c->request_ms / 1000),
				      (suseconds_t)(c->request_ms % 1000) * 1000 };
		event_add(c->request, &tv);
	} else if (!partial && c->partial) {
		event_del(c->request);
	}
	c->partial = partial;
}

/* Feed bytes to the parser; false when the connection ended. */
static bool feed(policy_conn_t *c, const char *data, size_t len)
{
	while (len > 0) {
		size_t used = 0;
		const char *err = NULL;
		enum policy_status st = policy_parser_feed(c->parser, data, len, &used, &err);

		if (st == POLICY_ERROR) {
			log_warning("policy: peer=%s malformed request: %s; closing without reply",
				    c->peer, err);
			conn_end(c);
			return false;
		}
		data += used;
		len -= used;
		track_partial(c, st == POLICY_NEED_MORE);
		if (st == POLICY_REQUEST)
			handle_request(c);
	}
	return true;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	policy_conn_t *c = arg;
	char chunk[POLICY_CONN_READ_CHUNK];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_info("policy: peer=%s read failed: %s", c->peer, strerror(errno));
		c->eof = true;
		set_reading(c, false);
		(void)flush(c);	/* ends the connection once nothing is pending */
		return;
	}
	arm_idle(c);
	c->active_us = clock_now_us();
	if (feed(c, chunk, (size_t)n))
		(void)flush(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)flush(arg);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	policy_conn_t *c = arg;

	if (c->head != NULL) {	/* still waiting for the engine: not idle */
		arm_idle(c);
		return;
	}
	log_info("policy: peer=%s idle for %llu ms: closing", c->peer, c->idle_ms);
	conn_end(c);
}

static void on_request_timeout(evutil_socket_t fd, short what, void *arg)
{
	policy_conn_t *c = arg;

	log_limited(&policy_conn_slow_limit, LOG_LVL_WARNING,
		    "policy: peer=%s request not complete %llu ms after its first byte "
		    "(policy_request_timeout): closing", c->peer, c->request_ms);
	conn_end(c);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

policy_conn_t *policy_conn_new(struct event_base *base, int in_fd, int out_fd, const char *peer,
			       policy_engine_t **current, unsigned long long idle_ms,
			       policy_conn_closed_cb *closed, void *ctx)
{
	policy_conn_t *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->peer = xstrdup(peer);
	c->current = current;
	c->idle_ms = idle_ms;
	c->closed = closed;
	c->ctx = ctx;
	c->parser = policy_parser_new();
	buf_init(&c->out);
	buf_init(&c->inst_reply);
	set_nonblock(in_fd);
	if (out_fd != in_fd)
		set_nonblock(out_fd);
	c->rev = event_new(base, in_fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(base, out_fd, EV_WRITE | EV_PERSIST, on_write, c);
	c->idle = evtimer_new(base, on_idle, c);
	c->request = evtimer_new(base, on_request_timeout, c);
	c->active_us = clock_now_us();
	if (c->rev == NULL || c->wev == NULL || c->idle == NULL || c->request == NULL) {
		log_error("policy: out of memory for events");
		abort();
	}
	set_reading(c, true);
	arm_idle(c);
	return c;
}

void policy_conn_set_request_timeout(policy_conn_t *c, unsigned long long request_ms)
{
	c->request_ms = request_ms;
}

uint64_t policy_conn_idle_since(const policy_conn_t *c)
{
	if (c->dead || c->head != NULL || c->out.len > 0)
		return 0;
	return c->active_us > 0 ? c->active_us : 1;
}

void policy_conn_drain(policy_conn_t *c)
{
	if (c->dead || c->draining)
		return;
	c->draining = true;
	set_reading(c, false);
	(void)flush(c);
}

void policy_conn_free(policy_conn_t **cp)
{
	policy_conn_t *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	while (c->head != NULL) {
		struct item *it = c->head;
		c->head = it->next;
		item_free(it);
	}
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->idle);
	event_free(c->request);
	close(c->in_fd);
	if (c->out_fd != c->in_fd)
		close(c->out_fd);
	policy_parser_free(&c->parser);
	buf_free(&c->out);
	buf_free(&c->inst_reply);
	free(c->inst_name);
	free(c->peer);
	free(c);
	*cp = NULL;
}
