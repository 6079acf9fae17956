/*
 * redis_sentinel - which Redis server is the master, asked of Redis Sentinel.
 *
 * The one place that knows how a fleet finds its Redis master.  Every module
 * that opens Redis connections (rcache, and through it the engine, the
 * reporter and the rlists lookups; the notifier's nqueue; relayguard-ctl's
 * list import) takes a "target" string:
 *
 *     HOST:PORT | [IPV6]:PORT | unix:/PATH      a standalone server
 *     sentinel:NAME@HOST:PORT,HOST:PORT,...     the master NAME of a Sentinel set
 *
 * redis_target_from_cfg() builds it from redis_server or from
 * redis_sentinels + redis_sentinel_master (the configuration allows exactly
 * one of the two).  A blocking client calls redis_sentinel_resolve_sync() to
 * turn a sentinel target into HOST:PORT of the current master; the async
 * client (rcache) uses the watcher in rcache_sentinel.h.
 *
 * How the master is found: each Sentinel in turn, in the configured order,
 * is asked SENTINEL get-master-addr-by-name NAME; the first answer wins, and
 * the server it names is then checked with ROLE (a Sentinel's view may be
 * stale right after a failover: a server that says it is a replica is not
 * used).  Sentinels that do not answer are skipped.  The Sentinels'
 * credentials (redis_sentinel_username, redis_sentinel_password) are sent
 * with AUTH to the Sentinels only; the servers' (redis_username,
 * redis_password) to the master only.  No password is ever in a message.
 *
 * The parsers here read untrusted text (configuration, Sentinel replies and
 * pub/sub messages) and never crash on it.
 */
#ifndef RELAYGUARD_REDIS_SENTINEL_H
#define RELAYGUARD_REDIS_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>

#define REDIS_SENTINEL_PREFIX "sentinel:"
#define REDIS_SENTINELS_MAX 16		/* Sentinels in one target */
#define REDIS_SENTINEL_NAME_MAX 64	/* bytes in a master name */
#define REDIS_SENTINEL_HOST_MAX 46	/* bytes of a numeric address (INET6_ADDRSTRLEN) */

struct redis_sentinel_addr {
	char host[REDIS_SENTINEL_HOST_MAX + 1];	/* numeric IPv4 or IPv6, no brackets */
	int port;
};

struct redis_sentinel_spec {
	char master[REDIS_SENTINEL_NAME_MAX + 1];
	size_t n;
	struct redis_sentinel_addr sentinels[REDIS_SENTINELS_MAX];
};

/* Is target a sentinel target ("sentinel:...")? */
bool redis_target_is_sentinel(const char *target);

/*
 * Parse "HOST:PORT, HOST:PORT, ..." (commas, optional blanks; numeric IPv4,
 * "localhost" (read as 127.0.0.1) or [IPV6]) into spec->sentinels.  Returns
 * 0, or -1 with *error_r a static message.
 */
int redis_sentinel_parse_list(const char *list, struct redis_sentinel_spec *spec,
			      const char **error_r) __attribute__((warn_unused_result));

/* A master name: 1..REDIS_SENTINEL_NAME_MAX bytes of [A-Za-z0-9._-]. */
bool redis_sentinel_name_ok(const char *name);

/* Parse a whole "sentinel:NAME@LIST" target.  0, or -1 with *error_r. */
int redis_sentinel_parse(const char *target, struct redis_sentinel_spec *spec,
			 const char **error_r) __attribute__((warn_unused_result));

/*
 * Read one "+switch-master" message: "NAME OLDIP OLDPORT NEWIP NEWPORT".
 * Returns 1 and fills *new_r when it is about master, 0 when it is about
 * another master, -1 when malformed.
 */
int redis_sentinel_parse_switch(const char *msg, size_t len, const char *master,
				struct redis_sentinel_addr *new_r);

/* Fill an address from the two strings of a get-master-addr-by-name reply;
 * -1 when they are not a numeric address and a port. */
int redis_sentinel_addr_set(struct redis_sentinel_addr *a, const char *host, size_t hlen,
			    const char *port, size_t plen);

/* "HOST:PORT" or "[V6]:PORT" of a into out (at least 64 bytes). */
void redis_sentinel_addr_format(const struct redis_sentinel_addr *a, char *out, size_t size);

/*
 * Blocking: ask the Sentinels of target for the master (with AUTH of
 * sentinel_auth, when it has a password) and check its ROLE (with AUTH of
 * auth, the server's).  Either may be NULL: no AUTH.  A standalone target is returned as it is.
 * Returns 0 and *server_r (a standalone target, caller frees), or -1 and
 * *error_r (caller frees) naming what each Sentinel said.  For command-line tools and the notifier's
 * synchronous queue, never for the per-request path.
 */
struct redis_auth;
int redis_sentinel_resolve_sync(const char *target, const struct redis_auth *sentinel_auth,
				const struct redis_auth *auth, unsigned timeout_ms, char **server_r, char **error_r)
	__attribute__((warn_unused_result));

/* Value checks for the configuration table ("" is allowed: unset). */
int redis_sentinel_check_list(const char *s, const char **error_r);
int redis_sentinel_check_name(const char *s, const char **error_r);

/*
 * Blocking: connect to s within tv (also every command's timeout), AUTH with
 * auth when it has a password (auth may be NULL).  The context (redisFree it), or NULL with the reason
 * appended to why (never the password).  Used to ask a Sentinel or a
 * cluster seed; never the per-request path.
 */
struct redisContext;
struct buf;
struct redisContext *redis_connect_sync(const struct redis_sentinel_addr *s, const struct redis_auth *auth,
					struct timeval tv, struct buf *why);

struct cfg;
/* The target of a configuration: "" (no Redis), redis_server, or the
 * sentinel target of redis_sentinels + redis_sentinel_master.  Caller frees. */
char *redis_target_from_cfg(const struct cfg *cfg);

#endif
