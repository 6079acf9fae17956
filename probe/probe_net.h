/*
 * probe_net - blocking TCP with deadlines for relayguard-probe, and the
 * transcript every probe keeps as evidence.
 *
 * A probe_conn is one connection to a probed host (or the canary side).
 * Every read and write has a deadline (the read timeout of the settings);
 * reads stop after read_max bytes per connection, so a hostile host cannot
 * make the probe buffer without end.  Nothing here resolves names: the
 * caller passes addresses that probe_policy already allowed.
 *
 * Transcript: every byte sent is logged as "> line", every byte received
 * as "< line", non-printable bytes as \xNN, into the caller's struct buf.
 * Bytes of the peer are kept up to PROBE_TRANSCRIPT_MAX bytes of transcript
 * (a "[...]" line marks each cut); the probe's own "# " notes, a few
 * short lines, are still added after it so the evidence says what happened.
 *
 * Errors: functions return 0, or -1 with *error_r a static English text
 * ("connection refused", "timed out", "closed by peer", "read limit").
 * Not thread-safe per connection; distinct connections are independent.
 */
#ifndef RELAYGUARD_PROBE_NET_H
#define RELAYGUARD_PROBE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"

#define PROBE_LINE_MAX 1024		/* one reply line we look at */
#define PROBE_TRANSCRIPT_MAX (32 * 1024) /* evidence kept per host */

struct probe_conn {
	int fd;
	int timeout_ms;		/* per read or write */
	size_t read_max;	/* bytes read in all on this connection */
	size_t read_total;
	char in[4096];		/* received, not yet consumed */
	size_t in_len;
	struct buf *transcript;	/* borrowed; may be NULL */
};

/* Connect to addr:port within connect_ms.  On success *c is ready. */
int probe_conn_open(struct probe_conn *c, const addr_t *addr, unsigned port, int connect_ms, int timeout_ms,
		    size_t read_max, struct buf *transcript, const char **error_r)
	__attribute__((warn_unused_result));
void probe_conn_close(struct probe_conn *c);
/* Send n bytes (all, or an error). */
int probe_conn_send(struct probe_conn *c, const void *p, size_t n, const char **error_r)
	__attribute__((warn_unused_result));
/* Read one line (CRLF or LF, removed) into out (size > 1); a longer line is
 * cut to size-1 and the rest discarded. */
int probe_conn_line(struct probe_conn *c, char *out, size_t size, const char **error_r)
	__attribute__((warn_unused_result));
/* Read exactly n bytes (binary replies: SOCKS). */
int probe_conn_read(struct probe_conn *c, void *out, size_t n, const char **error_r)
	__attribute__((warn_unused_result));

/* Append "<dir> " + p as printable text, one transcript line per line. */
void probe_transcript_add(struct buf *t, char dir, const void *p, size_t n);
/* Milliseconds on the monotonic clock. */
long long probe_now_ms(void);

#endif
