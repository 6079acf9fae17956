/*
 * policy_server - the listener and the workers of relayguard-policyd.
 *
 * policy_server_new() binds policy_listen (inet:PORT@HOST, inet6:PORT@[ADDR]
 * or unix:/PATH with policy_socket_mode) or, in stdio mode, takes standard
 * input/output as the one connection (Postfix spawn(8)).  It also creates
 * the workers' event loops and engines, so that every configuration or
 * engine error shows before the program daemonizes.
 *
 * policy_server_run() starts policy_workers threads (0 = one per core), each
 * with its own event loop and engine, all accepting on the shared listening
 * socket.  Peers outside policy_allowed_clients are refused and logged (unix
 * sockets are not checked).  When policy_max_connections are open, a new
 * connection makes room by closing the longest-idle one of its worker (or,
 * when that worker has none, of the busiest other worker); it is refused
 * only when every connection has a request in flight.  Refusals and
 * evictions are logged once per interval with a count (log_limited).
 * policy_idle_timeout closes idle connections, policy_request_timeout those
 * whose request does not arrive whole in time (a byte a second).  A unix
 * socket gets policy_socket_mode and policy_socket_owner/group (default:
 * user/group).  The
 * calling thread handles the signals:
 *
 *   SIGHUP   reload: the file is parsed again and a trial engine built; on
 *            success every worker switches new requests to a new engine on
 *            the new config while checks in flight finish on the old one; on
 *            failure the old config stays and the error is logged.  log_level
 *            is applied; policy_listen, policy_workers and user/group need a
 *            restart (a notice says so).
 *   SIGTERM, SIGINT  drain: stop accepting, finish the requests in flight,
 *            close, return 0 (at most POLICY_DRAIN_MAX_MS).
 *
 * In stdio mode there is one worker, and run returns when the connection
 * ends.  Ownership: the server takes a reference to cfg.  Thread-safety:
 * call these from one thread (the main one).
 */
#ifndef RELAYGUARD_POLICY_SERVER_H
#define RELAYGUARD_POLICY_SERVER_H

#include <stdbool.h>

#include "cfg.h"

/* listen(2) backlog. */
#define POLICY_LISTEN_BACKLOG 1024
/* Connections accepted per wake-up of one worker (fairness between workers). */
#define POLICY_ACCEPT_BATCH 32
/* Longest drain before the remaining connections are cut. */
#define POLICY_DRAIN_MAX_MS 30000
/* Connections accepted over policy_max_connections while another worker
 * closes its longest-idle one to make room (see policy_server_run()). */
#define POLICY_EVICT_SLACK 64
/* Most workers (policy_workers and the core count are clamped to it). */
#define POLICY_WORKERS_MAX 1024

typedef struct policy_server policy_server_t;

/*
 * Bind and prepare.  config_path (copied; NULL = the default file) is what
 * SIGHUP reads again.  Returns 0 and *srv_r, or -1 with *error_r (caller
 * frees): a bind/listen error naming the socket, or an engine error.
 */
int policy_server_new(cfg_t *cfg, const char *config_path, bool stdio, policy_server_t **srv_r,
		      char **error_r) __attribute__((warn_unused_result));

/* Build and free an engine for cfg on a private event loop: is cfg usable? */
int policy_server_check_engine(cfg_t *cfg, char **error_r) __attribute__((warn_unused_result));

/* Serve until drained (SIGTERM/SIGINT) or, in stdio mode, the connection ends.
 * Returns 0, or -1 when a thread could not be started (logged). */
int policy_server_run(policy_server_t *srv);

/* Close the listener (unlinking a unix socket when still allowed) and free. */
void policy_server_free(policy_server_t **srv);

#endif
