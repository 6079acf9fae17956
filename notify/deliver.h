/*
 * deliver - hand a rendered notice to its transport (notify_transport):
 *
 *   outbox:DIR        one file DIR/<notice id>.eml, written to a temporary
 *                     name and renamed by deliver_flush() once its data is
 *                     on disk: a reader never sees half a notice; an
 *                     existing file means "already delivered" (a retry
 *                     never writes a second copy)
 *   sendmail:PATH     PATH -f SENDER -t -i with the message on standard
 *                     input (recipients from To: and Bcc:); exit 0 = sent
 *   smtp:HOST:PORT    an SMTP client (EHLO, MAIL, RCPT for To and Bcc,
 *                     DATA with dot-stuffing and CRLF), every read and write
 *                     bounded by DELIVER_TIMEOUT_S
 *
 * Blocking: relayguard-notify is a batch program.  Not thread-safe (the
 * outbox's spares thread is internal to it).
 */
#ifndef RELAYGUARD_DELIVER_H
#define RELAYGUARD_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define DELIVER_TIMEOUT_S 30
#define DELIVER_REPLY_MAX 1024	/* bytes of one SMTP reply line */

typedef struct deliver deliver_t;

/*
 * Parse a notify_transport value.  An outbox keeps up to spares empty files
 * made ahead by a thread (outbox_spares.h; 0: none, at most
 * OUTBOX_SPARES_MAX).  0 and *d_r, or -1 with *error_r (caller frees).
 */
int deliver_new(const char *transport, const char *myhostname, size_t spares, deliver_t **d_r, char **error_r)
	__attribute__((warn_unused_result));
void deliver_free(deliver_t **d);

/*
 * Deliver msg (LF line ends) with envelope sender (MAIL FROM, sendmail -f:
 * where bounces go), to and bcc ("" = none).  id names the outbox file.
 * Returns 0, or -1 with *error_r (caller frees).
 *
 * Durability: sendmail and smtp are done when this returns (the MTA took
 * the message).  outbox is done only after deliver_flush(): until then the
 * notice is a temporary file whose data may not be on disk yet.  Callers
 * record a notice as sent only after deliver_flush() returned 0.
 */
int deliver_send(deliver_t *d, const char *id, const char *sender, const char *to, const char *bcc,
		 const struct buf *msg, char **error_r) __attribute__((warn_unused_result));

/*
 * Is s safe as the envelope sender (our own address, from the
 * configuration)?  local@domain with no byte that could end an SMTP
 * argument or read as a sendmail option; unlike a recipient, a domain of
 * one label (a bare host name) is allowed.  False with *why_r (static).
 */
bool deliver_sender_ok(const char *s, const char **why_r);

/* Notices deliver_send() accepted and deliver_flush() has not made final. */
size_t deliver_pending(const deliver_t *d);

/*
 * Make every notice since the last flush final, with one disk flush for
 * all of them instead of one fsync each.  outbox: syncfs() of the outbox's
 * file system (every temporary file's data on disk), then each file
 * renamed to its final name, then one fsync() of the folder (the names on
 * disk).  A crash before the folder's fsync leaves temporary files or
 * whole notices, never a half-written notice under a final name.  0, or
 * -1 with *error_r: then NONE of the pending notices counts as delivered
 * (their files are removed, so a retry writes them again).  No-op for
 * sendmail and smtp.
 */
int deliver_flush(deliver_t *d, char **error_r) __attribute__((warn_unused_result));

#endif
