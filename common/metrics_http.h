/*
 * metrics_http - the metrics_listen endpoint: a tiny HTTP/1.0-1.1 server
 * (libevent's evhttp) on its own thread that answers GET /metrics with the
 * text a collect callback writes, and nothing else:
 *   GET /metrics (a query string is ignored)  200, METRICS_CONTENT_TYPE
 *   another method on /metrics                405 with "Allow: GET"
 *   any other path                            404
 *   a request line plus headers over METRICS_HTTP_HEADERS_MAX, or any body
 *                                             refused by evhttp (413 or closed)
 * A connection idle or slow for METRICS_HTTP_TIMEOUT_S is closed.
 *
 * Where: metrics_listen is a list of items "[PROGRAM=]ADDRESS:PORT", ADDRESS
 * an IP literal ("127.0.0.1:9150", "[::1]:9150"), PROGRAM one of policyd,
 * milter, notify: the daemons usually share one relayguard.conf, and each
 * needs a port of its own ("policyd=127.0.0.1:9150, milter=127.0.0.1:9151").
 * A program uses its own item, else the item without a program, else none.
 * A non-loopback address is refused unless allow_remote (metrics_allow_remote
 * = yes): the counters tell who is being refused and which lists are down,
 * which is nobody else's business.
 *
 * Threads: metrics_http_new() binds in the caller's thread (before a fork
 * or a privilege drop: the port may be privileged); metrics_http_start()
 * starts the serving thread (after daemon_detach(): a fork keeps no
 * thread).  collect runs on that thread, one scrape at a time: it must be
 * thread-safe with respect to the program's other threads, and must not
 * wait on the request path (engine_metrics.h reads published snapshots).
 * metrics_http_free() stops the thread and closes the socket.
 */
#ifndef RELAYGUARD_METRICS_HTTP_H
#define RELAYGUARD_METRICS_HTTP_H

#include <stdbool.h>

#include "buf.h"

/* Longest request line plus headers accepted. */
#define METRICS_HTTP_HEADERS_MAX 8192
/* Seconds a connection may take to send its request and read the answer. */
#define METRICS_HTTP_TIMEOUT_S 10

typedef struct metrics_http metrics_http_t;

/* Append the exposition text to out. */
typedef void metrics_collect_fn(struct buf *out, void *ctx);

/*
 * Parse metrics_listen into host (an IP literal, brackets removed) and port;
 * check the loopback rule.  0, or -1 with *error_r (static text).
 */
int metrics_http_parse_listen(const char *listen, bool allow_remote, char host_r[64], unsigned *port_r,
			      const char **error_r) __attribute__((warn_unused_result));

/* Longest metrics_listen item. */
#define METRICS_LISTEN_ITEM_MAX 96

/*
 * Check the whole metrics_listen value (syntax, program names, one item per
 * program, at most one without a program; not the loopback rule).  0, or -1
 * with *error_r (static text).
 */
int metrics_http_check_setting(const char *setting, const char **error_r) __attribute__((warn_unused_result));

/*
 * The ADDRESS:PORT of metrics_listen for program into out (size
 * METRICS_LISTEN_ITEM_MAX); "" when there is none.  Assumes a setting that
 * passed metrics_http_check_setting().
 */
void metrics_http_listen_for(const char *setting, const char *program, char out[METRICS_LISTEN_ITEM_MAX]);

/* Bind listen (one ADDRESS:PORT).  0 and *m_r, or -1 with *error_r (caller frees). */
int metrics_http_new(const char *listen, bool allow_remote, metrics_collect_fn *collect, void *ctx,
		     metrics_http_t **m_r, char **error_r) __attribute__((warn_unused_result));

/* Start serving on a thread of its own.  0, or -1 with *error_r (caller frees). */
int metrics_http_start(metrics_http_t *m, char **error_r) __attribute__((warn_unused_result));

/* Stop, join, close, free; *m = NULL.  NULL or *m NULL: no-op. */
void metrics_http_free(metrics_http_t **m);

#endif
