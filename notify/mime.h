/*
 * mime - the encodings a notice needs so that every byte of it is clean
 * 7-bit mail text, whatever the registries and the clients put in their
 * strings (netname, org, HELO names, list names).
 *
 * Clean text: valid UTF-8 without control characters.  mime_clean() makes
 * any bytes clean: an invalid UTF-8 sequence becomes U+FFFD, a control
 * character (C0, DEL, C1) becomes a space; with MIME_KEEP_LF, line feeds
 * and tabs stay and CR LF becomes LF (a lone CR is a space).
 *
 * Line ends are LF everywhere: relayguard-notify's transports write LF to
 * files and sendmail, and the SMTP transport turns every LF into CR LF
 * (notify/deliver.c); no CR is ever written here.  Header lines are folded
 * at 78 columns where they can be, never longer than 998 bytes; bodies
 * that are not 7-bit text with short lines are sent quoted-printable.
 *
 * All functions append to out and never fail (memory is mem.h's).
 * Pure functions; reentrant.
 */
#ifndef RELAYGUARD_MIME_H
#define RELAYGUARD_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define MIME_LINE_MAX 998	/* bytes of a line without its CR LF (RFC 5322 2.1.1) */
#define MIME_FOLD_AT 78		/* where header lines are folded when they can be */
#define MIME_KEEP_LF 1u		/* mime_clean(): keep LF and TAB */

/* Append s[0..len) as clean text (see above). */
void mime_clean(struct buf *out, const char *s, size_t len, unsigned flags);
/* Whether s[0..len) is printable ASCII (plus LF and TAB when lf is true) with
 * no line longer than MIME_LINE_MAX. */
bool mime_is_7bit(const char *s, size_t len, bool lf);

/*
 * Append "Name: value\n" for an unstructured field (Subject): value is
 * cleaned; printable ASCII stays as it is, folded at spaces; anything else
 * becomes RFC 2047 encoded-words (UTF-8, "B"), one per folded line, split
 * between characters.
 */
void mime_header_text(struct buf *out, const char *name, const char *value);
/*
 * Append "Name: value\n" for a structured field that must stay plain ASCII
 * (addresses, ids, Received): every byte outside printable ASCII becomes
 * '?', and the value is cut at MIME_LINE_MAX.
 */
void mime_header_ascii(struct buf *out, const char *name, const char *value);

/*
 * Append "Content-Transfer-Encoding: 7bit|quoted-printable\n\n" and then
 * text[0..len) (clean text with LF line ends), quoted-printable unless it
 * is 7-bit with short lines and no line that looks like a header field
 * ("Source-IP: ..."), so that a registry's or a client's string can never
 * put such a line in a part where a line-reading parser could take it for
 * the report's.  Ends with a LF.
 */
void mime_body(struct buf *out, const char *text, size_t len);
/* Append text quoted-printable (RFC 2045 6.7): lines of at most 76; the
 * first character of a line that looks like a header field is encoded. */
void mime_qp(struct buf *out, const char *text, size_t len);
/* Append data base64 (RFC 4648); line > 0: a LF after every line characters. */
void mime_base64(struct buf *out, const void *data, size_t len, size_t line);

#endif
