/*
 * mailbox - is a string a mailbox we may send a notice to?
 *
 * TEMPORARY (branch notifyops): a minimal validator so that
 * relayguard-notify can refuse bad contacts today.  The `owners` work
 * brings the full common/mailbox.[ch] with the same signature; at merge,
 * keep that version and drop this one.
 *
 * Accepted: an RFC 5321 Mailbox "local@domain" with a dot-atom local part
 * (no quoted strings, which no abuse desk needs) of at most 64 bytes and a
 * domain of at least two LDH labels (each 1..63 bytes, no leading or
 * trailing hyphen), 254 bytes in all.  Refused, among others: a local name
 * without a domain ("root"), anything starting with '-' (it would read as
 * a sendmail option), lists ("a@x.example, b@y.example"), spaces, CR/LF,
 * quotes, angle brackets, 8-bit bytes.
 *
 * Pure function; reentrant.
 */
#ifndef RELAYGUARD_MAILBOX_H
#define RELAYGUARD_MAILBOX_H

#include <stdbool.h>

#define MAILBOX_LOCAL_MAX 64u
#define MAILBOX_LABEL_MAX 63u
#define MAILBOX_MAX 254u

/* True when s is a mailbox as above; else false and *why_r (static text, may be NULL). */
bool mailbox_valid(const char *s, const char **why_r);

#endif
