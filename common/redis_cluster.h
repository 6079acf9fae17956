/*
 * redis_cluster - routing to a Redis Cluster: targets, the slot map,
 * redirections, the key of a command.
 *
 * hiredis 0.14 (Debian 12) has no cluster client, so this is the small one
 * relayguard needs.  The one place that knows how a key finds its node; the
 * asynchronous client that uses it is rcache (rcache_cluster.c, one
 * connection per node), the blocking one redis_cluster_resolve_sync().
 *
 * A cluster target is "cluster:HOST:PORT,HOST:PORT,...": the seed nodes of
 * redis_cluster_nodes (redis_target_from_cfg() builds it).  Any one live seed
 * is enough: it tells the whole map.
 *
 * The slot map comes from CLUSTER SLOTS.  Redis 7 also has CLUSTER SHARDS
 * and calls CLUSTER SLOTS deprecated, but still answers it (7.0 in Debian 12,
 * 7.2 and 7.4 too), and it is the only one Redis 3 to 6 know; it carries all
 * we need: each range of slots and its master's address.  Redis 7 may give
 * the address as "" (the node we asked) or "?" (unknown endpoint: the range
 * stays unmapped and is asked again later).
 *
 * Redirections: "MOVED SLOT HOST:PORT" (the slot lives elsewhere now: update
 * the map, refresh it, send there) and "ASK SLOT HOST:PORT" (this one
 * request, during a migration: send ASKING, then the command, to that node;
 * the map does not change).
 *
 * Every multi-key command and script of relayguard touches keys of one hash
 * slot (doc/redis-schema.md), so a command goes to one node and never needs
 * splitting; redis_cluster_command_key() says which argument decides.
 *
 * The parsers read untrusted bytes (configuration, Redis replies) with
 * bounds on everything and never crash on them (fuzz target
 * tests/fuzz/fuzz_redis_cluster.c).  Not thread-safe state: none here.
 */
#ifndef RELAYGUARD_REDIS_CLUSTER_H
#define RELAYGUARD_REDIS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_sentinel.h"	/* struct redis_sentinel_addr: a numeric address and a port */
#include "redis_slot.h"

#define REDIS_CLUSTER_PREFIX "cluster:"
#define REDIS_CLUSTER_SEEDS_MAX REDIS_SENTINELS_MAX	/* seed nodes in a target (16) */
#define REDIS_CLUSTER_NODES_MAX 64	/* distinct nodes (masters and replicas) in one map */

struct rcache_reply;

struct redis_cluster_seeds {
	size_t n;
	struct redis_sentinel_addr node[REDIS_CLUSTER_SEEDS_MAX];
};

/* Every node of the cluster (masters and replicas) and which master serves
 * each slot.  slot[s] is 1 + an index into node, or 0 when no master is
 * known for s. */
struct redis_cluster_map {
	size_t n;			/* nodes */
	struct redis_sentinel_addr node[REDIS_CLUSTER_NODES_MAX];
	uint8_t slot[REDIS_SLOTS];
	size_t covered;			/* slots with a master */
	size_t masters;			/* nodes that serve a slot */
};

enum redis_cluster_redirect_kind { REDIS_CLUSTER_MOVED, REDIS_CLUSTER_ASK };

struct redis_cluster_redirect {
	enum redis_cluster_redirect_kind kind;
	unsigned slot;
	struct redis_sentinel_addr to;	/* to.host is "" when Redis left it out:
					   the host of the node that answered */
};

/* Is target a cluster target ("cluster:...")? */
bool redis_target_is_cluster(const char *target);

/* Parse "cluster:HOST:PORT,..." into seeds.  0, or -1 with *error_r static. */
int redis_cluster_parse(const char *target, struct redis_cluster_seeds *seeds,
			const char **error_r) __attribute__((warn_unused_result));

/* Value check for redis_cluster_nodes in the configuration ("" = unset). */
int redis_cluster_check_list(const char *s, const char **error_r);

/*
 * Read a CLUSTER SLOTS reply into *map_r (overwritten).  asked_host is the
 * numeric host of the node that answered (used where Redis gives "").
 * Returns 0 (map_r->covered may be below REDIS_SLOTS: a cluster with
 * unassigned slots or unknown endpoints), or -1 with *error_r a static
 * message for a reply of the wrong shape (an error reply included), bad
 * slot numbers or master addresses, or more than REDIS_CLUSTER_NODES_MAX
 * nodes.  Replicas are nodes (a failover makes one a master), never in slot.
 */
int redis_cluster_map_parse(const struct rcache_reply *reply, const char *asked_host,
			    struct redis_cluster_map *map_r, const char **error_r)
	__attribute__((warn_unused_result));

/* The master serving slot, or NULL when the map does not know. */
const struct redis_sentinel_addr *redis_cluster_map_node(const struct redis_cluster_map *map,
							 unsigned slot);

/*
 * Read an error reply of len bytes.  1: a MOVED or ASK redirection, in
 * *r_r; 0: another error (CLUSTERDOWN, TRYAGAIN, a script error...); -1: a
 * MOVED or ASK that cannot be read (bad slot or address).
 */
int redis_cluster_parse_redirect(const char *msg, size_t len, struct redis_cluster_redirect *r_r);

/*
 * Which argument of a command is the key that routes it: 1 for most
 * commands (GET, SET, MGET, HSET, XADD, ...), 3 for EVAL/EVALSHA with at
 * least one key, -1 for a command without keys (PING, WAIT, SCRIPT, INFO,
 * EVAL with 0 keys...), which any node may answer.  Commands relayguard
 * sends are all in this table or take their first key at 1.
 */
int redis_cluster_command_key(int argc, const char *const *argv, const size_t *lens);

/*
 * Blocking, for command-line tools and the notifier: ask the seeds of
 * target (each in turn, AUTH with auth, which may be NULL) for the slot map and
 * return the master serving key (keylen bytes) as "HOST:PORT" or
 * "[V6]:PORT" in *server_r (caller frees).  -1 and *error_r (caller frees)
 * saying what each seed answered.  Never the per-request path.  A client
 * that then gets MOVED (a resharding, a failover) asks again.
 */
struct redis_auth;
int redis_cluster_resolve_sync(const char *target, const char *key, size_t keylen,
			       const struct redis_auth *auth, unsigned timeout_ms, char **server_r,
			       char **error_r) __attribute__((warn_unused_result));

/*
 * Blocking: standalone, Sentinel or Cluster target to the "HOST:PORT" (or
 * "unix:PATH") that holds key (ignored unless target is a cluster).  The one
 * entry point of the blocking clients (nqueue, rlists_import, probe store).
 */
int redis_target_resolve_sync(const char *target, const char *key, const struct redis_auth *sentinel_auth,
			      const struct redis_auth *auth, unsigned timeout_ms, char **server_r,
			      char **error_r) __attribute__((warn_unused_result));

#endif
