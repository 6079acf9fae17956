/* rcache - DNSBL answers cached in Redis (hiredis async); see rcache.h. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "mem.h"
#include "rcache.h"
#include "rcache_int.h"
#include "rcache_sentinel.h"
#include "redis_cluster.h"

/* The key schema version; see doc/redis-schema.md before changing it. */
#define RCACHE_KEY_VERSION "v2"

/* Lifetimes and the two structs: rcache_int.h. */

/* ---- names and keys ----------------------------------------------------- */

/* Can s be one part of a key?  No space or controls (keys stay printable in
 * redis-cli), no ':' in a source (it would make keys ambiguous). */
static bool name_ok(const char *s, size_t max, bool colon_ok)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || (c == ':' && !colon_ok))
			return false;
	}
	return true;
}

/* v2: the subject is the hash tag, so the keys of one MGET share a slot. */
void rcache_key(const char *prefix, const char *source, const char *subject, struct buf *key)
{
	buf_printf(key, "%s" RCACHE_KEY_VERSION ":c:{%s}:%s", prefix, subject, source);
}

static void key_append(const rcache_t *rc, struct buf *key, const char *source, const char *subject)
{
	rcache_key(rc->prefix, source, subject, key);
}

/* ---- creation ----------------------------------------------------------- */

/* "HOST:PORT", "[V6]:PORT" or "unix:/path" into rc; -1 when malformed. */
static int parse_server(rcache_t *rc, const char *s)
{
	const char *colon;
	char *end;
	unsigned char scratch[sizeof(struct in6_addr)];
	long port;

	if (redis_target_is_cluster(s)) {
		struct redis_cluster_seeds seeds;
		const char *why;
		rc->is_cluster = true;
		return redis_cluster_parse(s, &seeds, &why);
	}
	if (redis_target_is_sentinel(s)) {
		const char *why;
		rc->spec = xcalloc(1, sizeof(*rc->spec));
		return redis_sentinel_parse(s, rc->spec, &why);
	}
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] == '\0' || strlen(s + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return -1;
		rc->unix_path = xstrdup(s + 5);
		return 0;
	}
	colon = strrchr(s, ':');
	if (colon == NULL || colon[1] < '0' || colon[1] > '9')
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	rc->port = (int)port;
	if (s[0] == '[') {
		if (colon - s < 3 || colon[-1] != ']')
			return -1;
		rc->host = xstrndup(s + 1, (size_t)(colon - s - 2));
		return inet_pton(AF_INET6, rc->host, scratch) == 1 ? 0 : -1;
	}
	rc->host = xstrndup(s, (size_t)(colon - s));
	if (strcmp(rc->host, "localhost") == 0) {
		free(rc->host);
		rc->host = xstrdup("127.0.0.1");	/* no resolver call, ever */
	}
	return inet_pton(AF_INET, rc->host, scratch) == 1 ? 0 : -1;
}

static int check_opts(rcache_t *rc, const struct rcache_opts *opts, struct buf *err)
{
	const char *prefix = opts->prefix != NULL ? opts->prefix : "";

	if (opts->server == NULL || parse_server(rc, opts->server) != 0) {
		buf_printf(err, "redis server \"%s\": expected IPV4:PORT, localhost:PORT, "
				"[IPV6]:PORT, unix:/path, sentinel:NAME@HOST:PORT,... or "
				"cluster:HOST:PORT,...",
			   opts->server != NULL ? opts->server : "");
		return -1;
	}
	if (rc->is_cluster && opts->db != 0) {
		buf_printf(err, "redis database %d: a Redis Cluster has only database 0", opts->db);
		return -1;
	}
	if (opts->db < 0) {
		buf_printf(err, "redis database %d: expected 0 or more", opts->db);
		return -1;
	}
	if (prefix[0] != '\0' &&
	    (!name_ok(prefix, RCACHE_PREFIX_MAX, true) || strpbrk(prefix, "{}") != NULL)) {
		buf_printf(err, "redis key prefix: at most %d printable bytes without space or braces "
				"(braces would change the keys' hash tags)",
			   RCACHE_PREFIX_MAX);
		return -1;
	}
	if (opts->timeout_ms > RCACHE_TIMEOUT_MAX_MS) {
		buf_printf(err, "redis timeout %u ms: at most %u", opts->timeout_ms,
			   RCACHE_TIMEOUT_MAX_MS);
		return -1;
	}
	return 0;
}

static void rc_release(rcache_t *rc)
{
	redis_auth_clear(&rc->auth);
	if (rc->reconnect_ev != NULL)
		event_free(rc->reconnect_ev);
	if (rc->handshake_ev != NULL)
		event_free(rc->handshake_ev);
	if (rc->drop_ev != NULL)
		event_free(rc->drop_ev);
	rsent_free(&rc->sentinel);
	free(rc->spec);
	free(rc->server);
	free(rc->host);
	free(rc->unix_path);
	free(rc->prefix);
	free(rc);
}

int rcache_new(struct event_base *base, const struct rcache_opts *opts, rcache_t **rc_r,
	       char **error_r)
{
	rcache_t *rc = xcalloc(1, sizeof(*rc));
	struct buf err = BUF_INIT;

	if (check_opts(rc, opts, &err) != 0) {
		rc_release(rc);
		*error_r = buf_detach(&err);
		return -1;
	}
	rc->base = base;
	rc->server = xstrdup(opts->server);
	rc->db = opts->db;
	rc->prefix = xstrdup(opts->prefix != NULL ? opts->prefix : "");
	redis_auth_set(&rc->auth, opts->username, opts->password);
	rc->timeout_ms = opts->timeout_ms != 0 ? opts->timeout_ms : RCACHE_TIMEOUT_DEFAULT_MS;
	rc->backoff_ms = RCACHE_BACKOFF_MIN_MS;
	rc->reconnect_ev = evtimer_new(base, rcache_conn_reconnect_cb, rc);
	rc->handshake_ev = evtimer_new(base, rcache_conn_handshake_timeout_cb, rc);
	rc->drop_ev = event_new(base, -1, 0, rcache_conn_drop_cb, rc);
	if (rc->reconnect_ev == NULL || rc->handshake_ev == NULL || rc->drop_ev == NULL) {
		rc_release(rc);
		*error_r = xstrdup("redis: cannot create events");
		return -1;
	}
	if (rc->is_cluster) {
		if (rcluster_new(rc, opts, &err) != 0) {
			rc_release(rc);
			*error_r = buf_detach(&err);
			return -1;
		}
		*rc_r = rc;
		return 0;
	}
	if (rc->spec != NULL)
		rc->sentinel = rsent_new(base, rc->spec, opts->sentinel_username, opts->sentinel_password,
					 rc->timeout_ms > RCACHE_CONNECT_TIMEOUT_MIN_MS ? rc->timeout_ms
											: RCACHE_CONNECT_TIMEOUT_MIN_MS,
					 rcache_conn_switch_cb, rc);
	rcache_conn_start(rc);
	*rc_r = rc;
	return 0;
}

const char *rcache_state(const rcache_t *rc)
{
	if (rc->cluster != NULL)
		return rcluster_up(rc->cluster) ? "up" : rcluster_refused(rc->cluster) ? "refused" : "down";
	return rc->link == RC_UP ? "up" : rc->announced_refused ? "refused" : "down";
}

bool rcache_up(const rcache_t *rc)
{
	return rc->cluster != NULL ? rcluster_up(rc->cluster) : rc->link == RC_UP;
}

void rcache_stats(const rcache_t *rc, struct rcache_stats *stats_r)
{
	*stats_r = rc->stats;
	if (rc->cluster != NULL)
		rcluster_stats_add(rc->cluster, stats_r);
}

/* ---- requests ----------------------------------------------------------- */

static void req_unlink(struct rcache_req *req)
{
	rcache_t *rc = req->rc;

	if (req->prev != NULL)
		req->prev->next = req->next;
	else if (rc->reqs == req)
		rc->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
}

static void req_free(struct rcache_req *req)
{
	if (req->cl != NULL)
		rcluster_req_release(req);
	if (req->reply != NULL) {
		rcache_reply_release(req->reply);
		free(req->reply);
	}
	if (req->txts != NULL)
		for (size_t i = 0; i < req->n; i++)
			free(req->txts[i]);
	free(req->txts);
	free(req->entries);
	event_free(req->ev);
	free(req);
}

/* The answer is known: deliver it through the loop. */
void rcache_req_finish(struct rcache_req *req, int status)
{
	req->status = status;
	req->finished = true;
	event_del(req->ev);
	event_active(req->ev, EV_TIMEOUT, 1);
}

static void req_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rcache_req *req = arg;
	rcache_t *rc = req->rc;
	rcache_get_cb *cb = req->cb;
	void *ctx = req->ctx;
	struct buf why = BUF_INIT;

	req_unlink(req);
	req->user_done = true;
	if (req->finished) {
		if (req->status != 0)
			rc->stats.errors++;	/* counted when delivered, not cancelled */
		if (req->ccb != NULL)
			req->ccb(req->status, req->status == 0 ? req->reply : NULL, ctx);
		else
			cb(req->status, req->status == 0 ? req->entries : NULL, req->n, ctx);
		req_free(req);	/* not in hiredis: finished requests never are */
		return;
	}
	/* Timed out: hiredis still holds req and frees it when the dropped
	 * connection is freed.  Do not touch req (nor rc) after cb. */
	rc->stats.errors++;
	rc->stats.timeouts++;
	rcache_command_cb *ccb = req->ccb;
	buf_printf(&why, "no reply within %u ms", rc->timeout_ms);
	rcache_conn_drop(req->via != NULL ? req->via : rc, buf_cstr(&why));	/* a cluster: the node's */
	buf_free(&why);
	if (ccb != NULL)
		ccb(-1, NULL, ctx);
	else
		cb(-1, NULL, 0, ctx);
}

/* Read one MGET element into entries[i]; a bad value counts as garbage. */
void rcache_req_read_entry(struct rcache_req *req, size_t i, enum rcache_reply_type type,
			   const char *str, size_t len)
{
	rcache_t *rc = req->rc;
	struct rcache_entry *e = &req->entries[i];
	size_t txt_len;

	e->state = RCACHE_MISS;
	if (type == RCACHE_REPLY_STRING && rcache_value_parse(str, len, e, &txt_len) == 0) {
		if (e->txt != NULL)
			e->txt = req->txts[i] = xstrndup(e->txt, txt_len);
		rc->stats.hits++;
		return;
	}
	*e = (struct rcache_entry){ RCACHE_MISS, 0, NULL };
	rc->stats.misses++;
	if (type == RCACHE_REPLY_NIL)
		return;
	rc->stats.garbage++;
	if (!rc->garbage_logged) {
		rc->garbage_logged = true;
		log_warning("redis %s: unreadable value in the cache (reply type %d, %zu bytes), "
			    "treated as a miss; further ones are only counted",
			    rc->server, (int)type, type == RCACHE_REPLY_STRING ? len : 0);
	}
}

static void get_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct rcache_req *req = privdata;
	redisReply *reply = r;

	req->in_redis = false;
	if (req->user_done) {
		req_free(req);	/* cancelled or timed out: a late answer */
		return;
	}
	if (reply == NULL) {
		if (req->cl != NULL)
			rcluster_note_failure(req);
		rcache_req_finish(req, -1);	/* the connection went away */
		return;
	}
	if (req->cl != NULL && reply->type == REDIS_REPLY_ERROR &&
	    rcluster_redirect(req, reply->str, (size_t)reply->len))
		return;		/* MOVED or ASK: sent again */
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != req->n) {
		log_debug("redis %s: unexpected MGET reply type %d", req->rc->server, reply->type);
		rcache_req_finish(req, -1);
		return;
	}
	req->entries = xcalloc(req->n, sizeof(*req->entries));
	req->txts = xcalloc(req->n, sizeof(*req->txts));
	for (size_t i = 0; i < req->n; i++) {
		const redisReply *el = reply->element[i];
		rcache_req_read_entry(req, i,
				      el->type == REDIS_REPLY_STRING ? RCACHE_REPLY_STRING
				      : el->type == REDIS_REPLY_NIL  ? RCACHE_REPLY_NIL
								     : RCACHE_REPLY_ERROR,
				      el->str, el->type == REDIS_REPLY_STRING ? (size_t)el->len : 0);
	}
	rcache_req_finish(req, 0);
}

void rcache_mget_args(const rcache_t *rc, size_t n, const char *subject, const char *const *sources,
		      struct buf *keys, const char **argv, size_t *lens)
{
	size_t start = 0;

	argv[0] = "MGET";
	lens[0] = 4;
	for (size_t i = 0; i < n; i++) {
		key_append(rc, keys, sources[i], subject);
		lens[i + 1] = keys->len - start;
		start = keys->len;
	}
	/* Point into keys only now: appending may have moved it. */
	start = 0;
	for (size_t i = 0; i < n; i++) {
		argv[i + 1] = keys->data + start;
		start += lens[i + 1];
	}
}

/* Send MGET for every key; 0 when queued. */
static int req_send(rcache_t *rc, struct rcache_req *req, const char *subject,
		    const char *const *sources)
{
	struct buf keys = BUF_INIT;
	const char **argv = xcalloc(req->n + 1, sizeof(*argv));
	size_t *lens = xcalloc(req->n + 1, sizeof(*lens));
	int rv;

	rcache_mget_args(rc, req->n, subject, sources, &keys, argv, lens);
	rv = redisAsyncCommandArgv(rc->ac, get_reply_cb, req, (int)req->n + 1, argv, lens);
	buf_free(&keys);
	free(argv);
	free(lens);
	return rv == REDIS_OK ? 0 : -1;
}

bool rcache_names_ok(const char *subject, const char *const *sources, size_t n)
{
	if (n > RCACHE_SOURCES_MAX || !name_ok(subject, RCACHE_SUBJECT_MAX, true))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_ok(sources[i], RCACHE_SOURCE_MAX, false))
			return false;
	return true;
}

/* A request on the list of rc, with its (not yet armed) event. */
struct rcache_req *rcache_req_new(rcache_t *rc, void *ctx)
{
	struct rcache_req *req = xcalloc(1, sizeof(*req));

	req->rc = rc;
	req->ctx = ctx;
	req->ev = event_new(rc->base, -1, 0, req_event_cb, req);
	if (req->ev == NULL) {
		log_error("rcache: cannot create an event");
		abort();	/* only on OOM, like x*alloc */
	}
	req->next = rc->reqs;
	if (rc->reqs != NULL)
		rc->reqs->prev = req;
	rc->reqs = req;
	return req;
}

rcache_req_t *rcache_get(rcache_t *rc, const char *subject, const char *const *sources, size_t n,
			 rcache_get_cb *cb, void *ctx)
{
	struct rcache_req *req = rcache_req_new(rc, ctx);
	struct timeval tv = { rc->timeout_ms / 1000, (rc->timeout_ms % 1000) * 1000 };

	req->cb = cb;
	req->n = n;

	if (!rcache_names_ok(subject, sources, n)) {
		log_debug("rcache: subject or source not storable, %zu sources", n);
		rcache_req_finish(req, -1);
	} else if (n == 0) {
		req->entries = NULL;
		rcache_req_finish(req, 0);
	} else if (rc->cluster != NULL) {
		rcluster_get(req, subject, sources);
		if (!req->finished)
			evtimer_add(req->ev, &tv);	/* one deadline over every redirection */
	} else if (rc->link != RC_UP || req_send(rc, req, subject, sources) != 0) {
		rcache_req_finish(req, -1);
	} else {
		req->in_redis = true;
		evtimer_add(req->ev, &tv);
	}
	return req;
}

/* ---- raw commands ------------------------------------------------------ */

/* A READONLY error: the server became a replica under us (a failover the
 * +switch-master message has not told us yet).  Drop it and ask again. */
static void rc_check_readonly(rcache_t *rc, const redisAsyncContext *ac, const redisReply *reply)
{
	if (reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	    strncmp(reply->str, "READONLY", 8) == 0 && ac == rc->ac && !rc->freeing)
		rcache_conn_drop(rc, "READONLY: the server is now a replica");
}

static void command_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct rcache_req *req = privdata;
	redisReply *reply = r;
	req->in_redis = false;
	if (req->user_done) {
		req_free(req);
		return;
	}
	if (reply == NULL) {
		if (req->cl != NULL)
			rcluster_note_failure(req);
		rcache_req_finish(req, -1);
		return;
	}
	if (req->cl != NULL && reply->type == REDIS_REPLY_ERROR &&
	    rcluster_redirect(req, reply->str, (size_t)reply->len))
		return;		/* MOVED or ASK: sent again */
	rc_check_readonly(req->rc, ac, reply);
	req->reply = xcalloc(1, sizeof(*req->reply));
	if (rcache_reply_copy(reply, req->reply) != 0) {
		log_debug("redis %s: reply too deep or too large", req->rc->server);
		rcache_reply_release(req->reply);
		free(req->reply);
		req->reply = NULL;
		rcache_req_finish(req, -1);
		return;
	}
	rcache_req_finish(req, 0);
}

int rcache_req_send(rcache_t *node, struct rcache_req *req, bool asking, int argc, const char **argv,
		    const size_t *lens)
{
	static const char *asking_argv[] = { "ASKING" };
	static const size_t asking_len[] = { 6 };

	if (node->link != RC_UP)
		return -1;
	if (asking)	/* the reply is dropped: hiredis takes a NULL callback */
		(void)redisAsyncCommandArgv(node->ac, NULL, NULL, 1, asking_argv, asking_len);
	if (redisAsyncCommandArgv(node->ac, req->ccb != NULL ? command_reply_cb : get_reply_cb, req, argc,
				  argv, lens) != REDIS_OK)
		return -1;
	req->via = node;
	req->in_redis = true;
	return 0;
}

rcache_req_t *rcache_command_argv(rcache_t *rc, int argc, const char *const *argv,
				  const size_t *argvlen, rcache_command_cb *cb, void *ctx)
{
	return rcache_command_route(rc, NULL, 0, argc, argv, argvlen, cb, ctx);
}

rcache_req_t *rcache_command_route(rcache_t *rc, const char *route_key, size_t route_len, int argc,
				   const char *const *argv, const size_t *argvlen,
				   rcache_command_cb *cb, void *ctx)
{
	struct rcache_req *req = rcache_req_new(rc, ctx);
	struct timeval tv = { rc->timeout_ms / 1000, (rc->timeout_ms % 1000) * 1000 };

	req->ccb = cb;
	if (argc >= 1 && rc->cluster != NULL) {
		rcluster_command(req, route_key, route_len, argc, argv, argvlen);
		if (!req->finished)
			evtimer_add(req->ev, &tv);
	} else if (argc < 1 || rc->link != RC_UP ||
	    redisAsyncCommandArgv(rc->ac, command_reply_cb, req, argc, (const char **)argv,
				  argvlen) != REDIS_OK) {
		rcache_req_finish(req, -1);
	} else {
		req->in_redis = true;
		evtimer_add(req->ev, &tv);
	}
	return req;
}

void rcache_cancel(rcache_req_t *req)
{
	req_unlink(req);
	req->user_done = true;
	event_del(req->ev);
	if (!req->in_redis)
		req_free(req);
}

static void put_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	rcache_t *rc = privdata;
	redisReply *reply = r;

	if (rc->freeing || reply == NULL)
		return;
	rc_check_readonly(rc, ac, reply);
	if (reply->type == REDIS_REPLY_ERROR && rc->parent != NULL)
		rcluster_note_error(rc, reply->str);
	if (reply->type == REDIS_REPLY_ERROR)
		log_debug("redis %s: SET refused: %.*s", rc->server, RCACHE_REPLY_QUOTE_MAX,
			  reply->str);
}

void rcache_put(rcache_t *rc, const char *subject, const char *source,
		const struct rcache_entry *e, unsigned ttl_s)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	char ttl[16];

	if (rc->cluster != NULL) {
		rcluster_put(rc, subject, source, e, ttl_s);
		return;
	}
	if (rc->link != RC_UP || ttl_s == 0 || !name_ok(subject, RCACHE_SUBJECT_MAX, true) ||
	    !name_ok(source, RCACHE_SOURCE_MAX, false) || rcache_value_format(e, &value) != 0) {
		rc->stats.puts_dropped++;
		buf_free(&value);
		return;
	}
	key_append(rc, &key, source, subject);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s < RCACHE_TTL_MAX_S ? ttl_s : RCACHE_TTL_MAX_S);
	const char *argv[] = { "SET", key.data, value.data, "EX", ttl };
	size_t lens[] = { 3, key.len, value.len, 2, strlen(ttl) };
	if (redisAsyncCommandArgv(rc->ac, put_reply_cb, rc, 5, argv, lens) == REDIS_OK)
		rc->stats.puts++;
	else
		rc->stats.puts_dropped++;
	buf_free(&key);
	buf_free(&value);
}

void rcache_free(rcache_t **rcp)
{
	rcache_t *rc = *rcp;
	redisAsyncContext *ac;

	if (rc == NULL)
		return;
	rc->freeing = true;
	while (rc->reqs != NULL) {
		struct rcache_req *req = rc->reqs;
		req_unlink(req);
		req->user_done = true;
		event_del(req->ev);
		if (!req->in_redis)
			req_free(req);
	}
	/* Freeing a context runs its pending callbacks (NULL replies): the
	 * requests still in hiredis are freed there, while rc still exists. */
	if ((ac = rc->ac) != NULL) {
		rc->ac = NULL;
		redisAsyncFree(ac);
	}
	if ((ac = rc->dropping) != NULL) {
		rc->dropping = NULL;
		redisAsyncFree(ac);
	}
	rcluster_free(&rc->cluster);	/* after the requests: they cancel theirs on its nodes */
	rc_release(rc);
	*rcp = NULL;
}
