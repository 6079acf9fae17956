/*
 * deliver - hand a rendered notice to its transport (notify_transport):
 *
 *   outbox:DIR        one file DIR/<notice id>.eml, written to a temporary
 *                     name, fsynced and renamed: a reader never sees half a
 *                     notice; an existing file means "already delivered"
 *                     (a retry never writes a second copy)
 *   sendmail:PATH     PATH -t -i with the message on standard input
 *                     (recipients from To: and Bcc:); exit status 0 = sent
 *   smtp:HOST:PORT    an SMTP client (EHLO, MAIL, RCPT for To and Bcc,
 *                     DATA with dot-stuffing and CRLF), every read and write
 *                     bounded by DELIVER_TIMEOUT_S
 *
 * Blocking: relayguard-notify is a batch program.  Not thread-safe.
 */
#ifndef RELAYGUARD_DELIVER_H
#define RELAYGUARD_DELIVER_H

#include "buf.h"

#define DELIVER_TIMEOUT_S 30
#define DELIVER_REPLY_MAX 1024	/* bytes of one SMTP reply line */

typedef struct deliver deliver_t;

/* Parse a notify_transport value.  0 and *d_r, or -1 with *error_r (caller frees). */
int deliver_new(const char *transport, const char *myhostname, deliver_t **d_r, char **error_r)
	__attribute__((warn_unused_result));
void deliver_free(deliver_t **d);

/*
 * Deliver msg (LF line ends) with envelope from, to and bcc ("" = none).
 * id names the outbox file.  Returns 0, or -1 with *error_r (caller frees).
 */
int deliver_send(deliver_t *d, const char *id, const char *from, const char *to, const char *bcc,
		 const struct buf *msg, char **error_r) __attribute__((warn_unused_result));

#endif
