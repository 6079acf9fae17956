/*
 * rcache_int.h - what rcache.c and rcache_cluster.c share, and nothing else
 * includes.  The one rule: rcache.c owns the request life cycle (req_new,
 * finish, delivery through the loop, cancel, free); rcache_cluster.c only
 * decides where a request goes and reads what comes back, through the
 * functions below.
 */
#ifndef RELAYGUARD_RCACHE_INT_H
#define RELAYGUARD_RCACHE_INT_H

#include <stdbool.h>

#include <event2/util.h>
#include <hiredis/async.h>

#include "redis_auth.h"
#include "rcache.h"
#include "rcache_sentinel.h"

/* Bytes of a Redis error reply quoted in a log line. */
#define RCACHE_REPLY_QUOTE_MAX 200

struct event;
struct rcluster;
struct rcluster_req;

/*
 * Lifetimes, the part that is easy to get wrong with hiredis:
 *
 * - hiredis frees a context itself after onConnect(REDIS_ERR) and after
 *   onDisconnect(); we then only forget the pointer.  We free a context
 *   ourselves (redisAsyncFree) only from our own events, never from inside a
 *   hiredis callback: rc_drop() parks it in rc->dropping and drop_cb frees it
 *   on the next loop turn.
 * - Freeing a context calls every pending reply callback with a NULL reply,
 *   before onDisconnect.  So a request is owned by hiredis while in_redis,
 *   and by the user until user_done; it is freed when both are over.
 * - User callbacks never run inside hiredis: a finished request is handed
 *   to the loop (event_active) and its callback runs from req_event_cb.
 */
enum rc_link { RC_IDLE, RC_CONNECTING, RC_UP };

struct rcache {
	struct event_base *base;
	char *server;			/* as configured, for log lines */
	char *host;			/* numeric address, or NULL with unix_path */
	int port;
	char *unix_path;
	struct redis_auth auth;		/* of the server (not the Sentinels') */
	int db;
	char *prefix;
	unsigned timeout_ms;
	redisAsyncContext *ac;		/* the current connection, or NULL */
	redisAsyncContext *dropping;	/* given up by us, freed by drop_cb */
	enum rc_link link;
	unsigned handshake_left;	/* replies still owed by AUTH/SELECT/PING */
	unsigned backoff_ms;
	bool announced_down;		/* the warning is out, a notice is owed */
	bool announced_refused;		/* the handshake-refused error is out (a cluster's: for one of its nodes) */
	bool ever_up;
	bool garbage_logged;
	bool freeing;
	struct event *reconnect_ev, *handshake_ev, *drop_ev;
	struct rcache_req *reqs;	/* requests whose user is still waiting */
	struct rcache_stats stats;
	rsent_t *sentinel;		/* NULL for a standalone server */
	struct redis_sentinel_spec *spec;	/* with sentinel */
	bool master_known;		/* host/port is the master the Sentinels named */
	bool is_cluster;		/* the target is a cluster */
	struct rcluster *cluster;	/* a cluster target: the router; ac stays NULL */
	rcache_t *parent;		/* a node of a cluster: the cluster's rcache */
};

struct rcache_req {
	rcache_t *rc;
	struct rcache_req *prev, *next;	/* in rc->reqs while the user waits */
	struct event *ev;		/* the timeout, then the delivery */
	rcache_get_cb *cb;
	rcache_command_cb *ccb;		/* set instead of cb for raw commands */
	void *ctx;
	struct rcache_reply *reply;	/* raw commands, once answered */
	size_t n;
	struct rcache_entry *entries;	/* n, once answered */
	char **txts;			/* owned copies behind entries[i].txt */
	int status;
	bool finished;			/* status and entries are set */
	bool in_redis;			/* hiredis holds a callback for it */
	bool user_done;			/* delivered or cancelled */
	struct rcluster_req *cl;	/* cluster requests: where it goes (rcache_cluster.c) */
	rcache_t *via;			/* a cluster's node whose connection carries it */
};


/* rcache_conn.c, for rcache.c: the connection's life.  start connects (or
 * asks the Sentinels first); drop gives the connection up from anywhere,
 * hiredis callbacks included (freed on the next loop turn), and reconnects
 * after the backoff; the callbacks are the events rcache_new() creates. */
void rcache_conn_start(rcache_t *rc);
void rcache_conn_drop(rcache_t *rc, const char *why);
void rcache_conn_reconnect_cb(evutil_socket_t fd, short what, void *arg);
void rcache_conn_handshake_timeout_cb(evutil_socket_t fd, short what, void *arg);
void rcache_conn_drop_cb(evutil_socket_t fd, short what, void *arg);
void rcache_conn_switch_cb(const struct redis_sentinel_addr *master, const char *why, void *ctx);

/* rcache.c, for rcache_cluster.c. */
struct rcache_req *rcache_req_new(rcache_t *rc, void *ctx);
void rcache_req_finish(struct rcache_req *req, int status);
/* Read MGET element i (a STRING or a NIL reply) into req->entries[i]; the
 * counters of req->rc. */
void rcache_req_read_entry(struct rcache_req *req, size_t i, enum rcache_reply_type type,
			   const char *str, size_t len);
/* The MGET of a get request's keys into argv/lens (argc = req->n + 1);
 * the strings live in *keys. */
void rcache_mget_args(const rcache_t *rc, size_t n, const char *subject, const char *const *sources,
		      struct buf *keys, const char **argv, size_t *lens);
bool rcache_names_ok(const char *subject, const char *const *sources, size_t n);
/* Send req (a get's MGET or a command) on node's connection, ASKING first
 * when asking; its reply comes back to rcache.c's callbacks, which hand a
 * MOVED or ASK to rcluster_redirect().  -1 when node is not up. */
int rcache_req_send(rcache_t *node, struct rcache_req *req, bool asking, int argc, const char **argv,
		    const size_t *lens);

/* rcache_cluster.c, for rcache.c.  rcluster_new() parses the target and
 * opens a connection to each seed; -1 with a message in err. */
int rcluster_new(rcache_t *rc, const struct rcache_opts *opts, struct buf *err);
void rcluster_free(struct rcluster **cl);
bool rcluster_up(const struct rcluster *cl);
bool rcluster_refused(const struct rcluster *cl);
void rcluster_stats_add(const struct rcluster *cl, struct rcache_stats *st);
/* Start a get (names already checked) or a command; the answer comes
 * through rcache_req_finish(). */
void rcluster_get(struct rcache_req *req, const char *subject, const char *const *sources);
void rcluster_command(struct rcache_req *req, const char *route_key, size_t route_len, int argc,
		      const char *const *argv, const size_t *lens);
void rcluster_put(rcache_t *rc, const char *subject, const char *source,
		  const struct rcache_entry *e, unsigned ttl_s);
/* req is being freed: free req->cl. */
void rcluster_req_release(struct rcache_req *req);
/* An error reply msg for req: true when it was a MOVED or ASK and req has
 * been sent again (or finished, when it could not be). */
bool rcluster_redirect(struct rcache_req *req, const char *msg, size_t len);
/* req's node connection failed under it: read the map again soon. */
void rcluster_note_failure(struct rcache_req *req);
/* A node saw an error reply that says the map is stale (MOVED, ASK, CLUSTERDOWN). */
void rcluster_note_error(rcache_t *node, const char *msg);

#endif
