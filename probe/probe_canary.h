/*
 * probe_canary - the listener side of a probe: the site's own SMTP canary.
 *
 * relayguard-probe runs the canary itself for as long as it runs: a thread
 * that listens on probe_canary (ADDRESS:PORT), the MX of
 * probe_canary_domain.  A relay in deliver mode hands it a message; a proxy
 * is asked to open a connection to it.  Every line a connection carries is
 * scanned for a token ("rgprobe-" and 16 lowercase hex digits); a token
 * seen is recorded with the address the connection came from.  A host is
 * confirmed only when its own token arrives here.
 *
 * What it speaks: a greeting "220 ...", then minimal SMTP (EHLO/HELO, MAIL,
 * RCPT, RSET, NOOP -> 250; DATA -> 354 ... "." -> 250; QUIT -> 221) or, when
 * the first line is an HTTP request, one "200 OK" after the headers (and a
 * POST body line).  Limits: PROBE_CANARY_CLIENTS connections at once (more
 * are closed at once), PROBE_LINE_MAX per line (longer lines are scanned in
 * pieces), PROBE_CANARY_READ_MAX bytes and PROBE_CANARY_IDLE_MS idle per
 * connection.  It never relays or stores anything.
 *
 * Threads: start/wait/stop from one thread; the listener runs in its own.
 */
#ifndef RELAYGUARD_PROBE_CANARY_H
#define RELAYGUARD_PROBE_CANARY_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define PROBE_TOKEN_PREFIX "rgprobe-"
#define PROBE_TOKEN_LEN 24		/* prefix + 16 hex digits */
#define PROBE_CANARY_CLIENTS 64
#define PROBE_CANARY_READ_MAX (256 * 1024)
#define PROBE_CANARY_IDLE_MS 60000
#define PROBE_CANARY_SEEN_MAX 1024	/* tokens remembered per run */

typedef struct probe_canary probe_canary_t;

/* A new random token into out (PROBE_TOKEN_LEN + 1 bytes). */
void probe_token_new(char out[PROBE_TOKEN_LEN + 1]);
/*
 * Find the first token in p[0..n): 1 and token_r filled, or 0.  Pure; this
 * is what the canary runs on every untrusted line (fuzzed).
 */
int probe_token_scan(const char *p, size_t n, char token_r[PROBE_TOKEN_LEN + 1]);

/* Bind addr:port (0 = any free port) and start the listener thread.  -1 and *error_r (caller
 * frees) when the address cannot be bound. */
int probe_canary_start(const addr_t *addr, unsigned port, probe_canary_t **c_r, char **error_r)
	__attribute__((warn_unused_result));
/* The port it listens on (the one the kernel chose when started with 0). */
unsigned probe_canary_port(const probe_canary_t *c);
/* Wait up to ms for token; true and the sender's address in peer_r. */
bool probe_canary_wait(probe_canary_t *c, const char *token, int ms, char peer_r[ADDR_STRLEN]);
/* Stop the thread, close every socket, free, set *c = NULL. */
void probe_canary_stop(probe_canary_t **c);

#endif
