/*
 * rcache_cluster - rcache on a Redis Cluster: the slot map, one connection
 * per master, MOVED and ASK.  See rcache.h for the contract and
 * redis_cluster.h for the parsers.
 *
 * Each master is a standalone rcache_t of its own (a "node"): it brings its
 * connection, AUTH, handshake, backoff and log lines.  A request of the
 * cluster's rcache (owned by rcache.c, with one deadline: redis_timeout over
 * every redirection) is sent on the connection of the node of its slot
 * (rcache_req_send: no second request object, no copy), and its reply comes
 * back to rcache.c's own callbacks, which decide:
 *   - MOVED: the slot's master changed (resharding, failover).  The map
 *     entry is corrected at once, a refresh of the whole map is asked for,
 *     and the request goes to the new node.
 *   - ASK: the slot is migrating and this key is already on the target:
 *     ASKING then the command on the target node (same connection, in
 *     order), the map unchanged.
 *   - anything else (an error reply included) is the answer; no reply
 *     (the node is down or slow) fails the request and asks for a refresh,
 *     which finds the promoted replica after a failover.
 * At most RCACHE_CLUSTER_REDIRECTS_MAX redirections per request.
 *
 * Every node the map names gets a connection, replicas too: a failover then
 * finds the promoted master connected already.  Nodes are never freed
 * before the cluster: a request may be in flight on any of them.  A master that stops serving slots (demoted after
 * a failover) keeps an idle connection; REDIS_CLUSTER_NODES_MAX bounds them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "rcache_int.h"
#include "redis_cluster.h"

struct rcluster_node {
	struct redis_sentinel_addr addr;
	rcache_t *rc;
};

struct rcluster {
	rcache_t *owner;
	struct rcache_opts node_opts;	/* strings point into owner (password, prefix) */
	struct rcluster_node node[REDIS_CLUSTER_NODES_MAX];
	size_t n;
	uint8_t slot[REDIS_SLOTS];	/* 1 + index into node; 0 = unknown */
	bool map_ok;			/* one CLUSTER SLOTS has been read */
	size_t next_ask;		/* round robin over the nodes for CLUSTER SLOTS */
	rcache_req_t *refresh_req;
	struct event *refresh_ev;
	uint64_t last_refresh_ms;
	bool map_logged_bad;
	struct redis_cluster_map scratch;	/* parse target of a refresh */
};

/* Where a request goes: its command (copied, for a redirection) and slot. */
struct rcluster_req {
	struct buf args;		/* every argument, one after the other */
	size_t *lens;
	const char **argv;		/* into args, rebuilt before each send */
	int argc;
	unsigned slot;
	bool keyless;
	unsigned hops;
	size_t ask_node;		/* with asking: the node to send ASKING to */
	bool asking;
};

/* ---- nodes and the map ---------------------------------------------------- */

/* The node of a (opened now if new); NULL when the table is full. */
static struct rcluster_node *node_get(struct rcluster *cl, const struct redis_sentinel_addr *a)
{
	char text[64];
	char *error = NULL;

	for (size_t i = 0; i < cl->n; i++)
		if (cl->node[i].addr.port == a->port && strcmp(cl->node[i].addr.host, a->host) == 0)
			return &cl->node[i];
	if (cl->n == REDIS_CLUSTER_NODES_MAX)
		return NULL;
	redis_sentinel_addr_format(a, text, sizeof(text));
	struct rcache_opts o = cl->node_opts;
	o.server = text;
	struct rcluster_node *nd = &cl->node[cl->n];
	if (rcache_new(cl->owner->base, &o, &nd->rc, &error) != 0) {
		log_error("redis %s: node %s: %s", cl->owner->server, text, error);
		free(error);
		return NULL;
	}
	nd->rc->parent = cl->owner;
	nd->addr = *a;
	cl->n++;
	log_debug("redis %s: connecting to node %s", cl->owner->server, text);
	return nd;
}

static struct rcluster_node *node_of_slot(struct rcluster *cl, unsigned slot)
{
	return cl->slot[slot] == 0 ? NULL : &cl->node[cl->slot[slot] - 1];
}

/* A connected node for a command without keys. */
static struct rcluster_node *node_any(struct rcluster *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		if (rcache_up(cl->node[i].rc))
			return &cl->node[i];
	return NULL;
}

static void refresh_schedule(struct rcluster *cl, uint64_t in_ms)
{
	struct timeval tv = { (time_t)(in_ms / 1000), (suseconds_t)(in_ms % 1000) * 1000 };

	evtimer_add(cl->refresh_ev, &tv);	/* replaces a later (or earlier) one */
}

/* Ask for a refresh soon, at most once per RCACHE_CLUSTER_REFRESH_MIN_MS. */
static void refresh_soon(struct rcluster *cl)
{
	uint64_t now = clock_now_ms(), due = cl->last_refresh_ms + RCACHE_CLUSTER_REFRESH_MIN_MS;

	if (cl->refresh_req != NULL)
		return;		/* one is out; its answer is new enough */
	refresh_schedule(cl, due > now ? due - now : 0);
}

/* Is every master of the map connected? */
static bool masters_up(const struct rcluster *cl)
{
	bool seen[REDIS_CLUSTER_NODES_MAX] = { false };

	for (size_t s = 0; s < REDIS_SLOTS; s++)
		if (cl->slot[s] != 0)
			seen[cl->slot[s] - 1] = true;
	for (size_t i = 0; i < cl->n; i++)
		if (seen[i] && !rcache_up(cl->node[i].rc))
			return false;
	return true;
}

/* Install a map just read; the masters it names become nodes. */
static void map_apply(struct rcluster *cl, const struct redis_cluster_map *m)
{
	uint8_t to_node[REDIS_CLUSTER_NODES_MAX];
	size_t changed = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct rcluster_node *nd = node_get(cl, &m->node[i]);
		to_node[i] = nd != NULL ? (uint8_t)(nd - cl->node + 1) : 0;
	}
	for (size_t s = 0; s < REDIS_SLOTS; s++) {
		uint8_t v = m->slot[s] != 0 ? to_node[m->slot[s] - 1] : 0;
		if (cl->slot[s] != v)
			changed++;
		cl->slot[s] = v;
	}
	if (!cl->map_ok)
		log_info("redis %s: slot map: %zu masters, %zu of %u slots served; %zu nodes",
			 cl->owner->server, m->masters, m->covered, REDIS_SLOTS, m->n);
	else if (changed > 0)
		log_info("redis %s: slot map: %zu masters, %zu of %u slots served, %zu slots changed",
			 cl->owner->server, m->masters, m->covered, REDIS_SLOTS, changed);
	if (m->covered < REDIS_SLOTS && !cl->map_logged_bad) {
		cl->map_logged_bad = true;
		log_warning("redis %s: the cluster serves only %zu of %u slots (keys of the others "
			    "miss the cache)", cl->owner->server, m->covered, REDIS_SLOTS);
	} else if (m->covered == REDIS_SLOTS) {
		cl->map_logged_bad = false;
	}
	cl->map_ok = true;
}

static void refresh_reply(int status, const struct rcache_reply *reply, void *ctx)
{
	struct rcluster *cl = ctx;
	struct rcluster_node *asked = &cl->node[cl->next_ask % (cl->n ? cl->n : 1)];
	const char *why;

	cl->refresh_req = NULL;
	if (status != 0) {
		refresh_schedule(cl, RCACHE_CLUSTER_REFRESH_MIN_MS);
		return;
	}
	if (redis_cluster_map_parse(reply, asked->addr.host, &cl->scratch, &why) != 0) {
		log_warning("redis %s: node %s:%d: %s", cl->owner->server,
			    asked->addr.host, asked->addr.port, why);
		cl->next_ask++;
		refresh_schedule(cl, RCACHE_CLUSTER_REFRESH_MIN_MS);
		return;
	}
	map_apply(cl, &cl->scratch);
	/* A master down: its replica is promoted within cluster-node-timeout;
	 * look again soon rather than in 5 s. */
	refresh_schedule(cl, masters_up(cl) && cl->scratch.covered == REDIS_SLOTS
				     ? RCACHE_CLUSTER_REFRESH_MS : 4 * RCACHE_CLUSTER_REFRESH_MIN_MS);
}

/* Send CLUSTER SLOTS to the next connected node. */
static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rcluster *cl = arg;
	static const char *const argv[] = { "CLUSTER", "SLOTS" };
	static const size_t lens[] = { 7, 5 };

	(void)fd;
	(void)what;
	if (cl->refresh_req != NULL)
		return;
	for (size_t k = 0; k < cl->n; k++) {
		size_t i = (cl->next_ask + k) % cl->n;
		if (!rcache_up(cl->node[i].rc))
			continue;
		cl->next_ask = i;
		cl->last_refresh_ms = clock_now_ms();
		cl->refresh_req = rcache_command_argv(cl->node[i].rc, 2, argv, lens, refresh_reply, cl);
		return;
	}
	/* Nobody up yet (starting): look again soon, the seeds connect in a
	 * millisecond or two on a LAN. */
	refresh_schedule(cl, cl->map_ok ? RCACHE_CLUSTER_REFRESH_MIN_MS : 10);
}

/* ---- life ------------------------------------------------------------------- */

int rcluster_new(rcache_t *rc, const struct rcache_opts *opts, struct buf *err)
{
	struct redis_cluster_seeds seeds;
	const char *why;

	if (redis_cluster_parse(opts->server, &seeds, &why) != 0) {
		buf_printf(err, "redis cluster \"%s\": %s", opts->server, why);
		return -1;
	}
	struct rcluster *cl = xcalloc(1, sizeof(*cl));
	cl->owner = rc;
	rc->cluster = cl;
	cl->node_opts = (struct rcache_opts){
		.db = 0, .username = rc->auth.user, .password = rc->auth.password, .prefix = rc->prefix,
		.timeout_ms = rc->timeout_ms,
	};
	cl->refresh_ev = evtimer_new(rc->base, refresh_cb, cl);
	for (size_t i = 0; i < seeds.n; i++)
		(void)node_get(cl, &seeds.node[i]);
	refresh_schedule(cl, 0);	/* from the loop; retried until a seed is up */
	return 0;
}

void rcluster_free(struct rcluster **clp)
{
	struct rcluster *cl = *clp;

	if (cl == NULL)
		return;
	if (cl->refresh_req != NULL)
		rcache_cancel(cl->refresh_req);
	for (size_t i = 0; i < cl->n; i++)
		rcache_free(&cl->node[i].rc);
	event_free(cl->refresh_ev);
	free(cl);
	*clp = NULL;
}

bool rcluster_up(const struct rcluster *cl)
{
	if (!cl->map_ok)
		return false;
	for (size_t i = 0; i < cl->n; i++)
		if (rcache_up(cl->node[i].rc))
			return true;
	return false;
}

bool rcluster_refused(const struct rcluster *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(rcache_state(cl->node[i].rc), "refused") == 0)
			return true;
	return false;
}

void rcluster_stats_add(const struct rcluster *cl, struct rcache_stats *st)
{
	struct rcache_stats ns;

	for (size_t i = 0; i < cl->n; i++) {
		rcache_stats(cl->node[i].rc, &ns);
		st->timeouts += ns.timeouts;
		st->reconnects += ns.reconnects;
		st->puts_dropped += ns.puts_dropped;
	}
}

void rcluster_note_error(rcache_t *node, const char *msg)
{
	if (node->parent == NULL || node->parent->cluster == NULL || msg == NULL)
		return;
	if (strncmp(msg, "MOVED ", 6) == 0 || strncmp(msg, "CLUSTERDOWN", 11) == 0)
		refresh_soon(node->parent->cluster);
}

/* ---- requests ------------------------------------------------------------- */

/* Send the command to the node of its slot (or the ASK target); finish
 * req with -1 when that node is unknown or not connected. */
static void req_send(struct rcache_req *req)
{
	struct rcluster *cl = req->rc->cluster;
	struct rcluster_req *q = req->cl;
	struct rcluster_node *nd;
	size_t off = 0;

	if (q->asking)
		nd = &cl->node[q->ask_node];
	else
		nd = q->keyless ? node_any(cl) : node_of_slot(cl, q->slot);
	for (int i = 0; i < q->argc; i++) {
		q->argv[i] = q->args.data + off;
		off += q->lens[i] + 1;
	}
	if (nd == NULL || rcache_req_send(nd->rc, req, q->asking, q->argc, q->argv, q->lens) != 0) {
		refresh_soon(cl);	/* no master known or connected: a failover? */
		rcache_req_finish(req, -1);
	}
}

bool rcluster_redirect(struct rcache_req *req, const char *msg, size_t len)
{
	struct rcluster *cl = req->rc->cluster;
	struct rcluster_req *q = req->cl;
	struct redis_cluster_redirect r;

	if (redis_cluster_parse_redirect(msg, len, &r) != 1)
		return false;
	if (r.to.host[0] == '\0' && req->via != NULL)	/* Redis 7: "the node you asked" */
		snprintf(r.to.host, sizeof(r.to.host), "%s", req->via->host);
	if (++q->hops > RCACHE_CLUSTER_REDIRECTS_MAX) {
		log_warning("redis %s: more than %d redirections for slot %u, giving up",
			    cl->owner->server, RCACHE_CLUSTER_REDIRECTS_MAX, r.slot);
		return false;
	}
	struct rcluster_node *nd = node_get(cl, &r.to);
	if (nd == NULL)
		return false;
	if (r.kind == REDIS_CLUSTER_MOVED) {
		cl->slot[r.slot] = (uint8_t)(nd - cl->node + 1);
		q->slot = r.slot;
		q->keyless = false;
		q->asking = false;
		refresh_soon(cl);
	} else {
		q->asking = true;
		q->ask_node = (size_t)(nd - cl->node);
	}
	req_send(req);
	return true;
}

void rcluster_note_failure(struct rcache_req *req)
{
	refresh_soon(req->rc->cluster);
}

/* A request's own copy of its command, argc arguments, about bytes long. */
static struct rcluster_req *req_alloc(struct rcache_req *req, int argc, size_t bytes)
{
	struct rcluster_req *q = xcalloc(1, sizeof(*q));

	req->cl = q;
	q->argc = argc;
	q->lens = xcalloc((size_t)argc, sizeof(*q->lens));
	q->argv = xcalloc((size_t)argc, sizeof(*q->argv));
	buf_reserve(&q->args, bytes);	/* one allocation, not one per argument */
	return q;
}

/* Copy the command into req->cl and send it. */
static void req_start(struct rcache_req *req, unsigned slot, bool keyless, int argc,
		      const char *const *argv, const size_t *lens)
{
	size_t bytes = 0;

	for (int i = 0; i < argc; i++)
		bytes += lens[i] + 1;
	struct rcluster_req *q = req_alloc(req, argc, bytes);
	for (int i = 0; i < argc; i++) {
		q->lens[i] = lens[i];
		buf_append(&q->args, argv[i], lens[i]);
		buf_putc(&q->args, '\0');
	}
	q->slot = slot;
	q->keyless = keyless;
	req_send(req);
}

/* The MGET of every source's key of subject, built in place: the keys share
 * the subject as hash tag, so one slot. */
void rcluster_get(struct rcache_req *req, const char *subject, const char *const *sources)
{
	size_t fixed = strlen(req->rc->prefix) + strlen(subject) + 16, bytes = 5;	/* 16: "v2:c:{}:" and a NUL, with room */

	for (size_t i = 0; i < req->n; i++)
		bytes += fixed + strlen(sources[i]);
	struct rcluster_req *q = req_alloc(req, (int)req->n + 1, bytes);

	buf_append(&q->args, "MGET", 5);	/* with its NUL */
	q->lens[0] = 4;
	for (size_t i = 0; i < req->n; i++) {
		size_t start = q->args.len;
		rcache_key(req->rc->prefix, sources[i], subject, &q->args);
		q->lens[i + 1] = q->args.len - start;
		buf_putc(&q->args, '\0');
	}
	q->slot = redis_slot(q->args.data + 5, q->lens[1]);
	req_send(req);
}

void rcluster_command(struct rcache_req *req, const char *route_key, size_t route_len, int argc,
		      const char *const *argv, const size_t *lens)
{
	int k = route_key != NULL ? 0 : redis_cluster_command_key(argc, argv, lens);

	if (route_key != NULL)
		req_start(req, redis_slot(route_key, route_len), false, argc, argv, lens);
	else if (k < 0)
		req_start(req, 0, true, argc, argv, lens);
	else
		req_start(req, redis_slot(argv[k], lens[k]), false, argc, argv, lens);
}

void rcluster_put(rcache_t *rc, const char *subject, const char *source,
		  const struct rcache_entry *e, unsigned ttl_s)
{
	struct rcluster *cl = rc->cluster;
	struct buf key = BUF_INIT;

	rcache_key(rc->prefix, source, subject, &key);
	struct rcluster_node *nd = node_of_slot(cl, redis_slot(key.data, key.len));
	buf_free(&key);
	if (nd == NULL || !rcache_up(nd->rc)) {
		rc->stats.puts_dropped++;
		return;
	}
	/* The node checks the names and counts its own drops (added in stats). */
	rcache_put(nd->rc, subject, source, e, ttl_s);
	rc->stats.puts++;
}

void rcluster_req_release(struct rcache_req *req)
{
	struct rcluster_req *q = req->cl;

	req->cl = NULL;
	buf_free(&q->args);
	free(q->lens);
	free(q->argv);
	free(q);
}
