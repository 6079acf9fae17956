/*
 * mailbox - is this text one RFC 5321 mailbox we may send a notice to?
 *
 * A contact from a registry, a DNS TXT record or a setting is untrusted: it
 * goes into a header, an SMTP RCPT TO and a sendmail command line.  It is
 * used only if all of this holds (RFC 5321 section 4.1.2, narrowed):
 *
 *   - one mailbox "Local-part@Domain", at most MAILBOX_MAX bytes, printable
 *     US-ASCII only: no space, tab, CR, LF, other control or 8-bit byte
 *     (SMTPUTF8 addresses are refused; IDN domains pass in A-label form);
 *   - it does not start with '-' (a sendmail option such as "-oQ/tmp");
 *   - it is not a list: no ',' or ';' outside a quoted local part, and
 *     exactly one '@'.  A list is refused, never cut to its first member:
 *     a registry that writes two addresses has not said which one is meant;
 *   - the local part is a dot-atom (atext separated by single dots) of at
 *     most MAILBOX_LOCAL_MAX bytes, or a quoted string whose content is
 *     atext and dots only ("john..doe"): quoted text that would need a
 *     backslash, or that holds '@', '"', ',', ';', '<', '>', is refused;
 *   - the domain is a fully qualified host name: at least two labels of
 *     letters, digits and '-', each 1..63 bytes, not starting or ending with
 *     '-', a top label that is not all digits, no trailing dot, at most
 *     MAILBOX_DOMAIN_MAX bytes.  Address literals ("[192.0.2.1]") are
 *     refused: a registry's abuse desk has a domain, and a literal would let
 *     a hostile entry aim notices at an arbitrary host;
 *   - never a bare local name ("root", "postmaster"): no '@', no mailbox.
 *
 * Pure functions of their arguments: thread-safe, no allocation, no logging.
 */
#ifndef RELAYGUARD_MAILBOX_H
#define RELAYGUARD_MAILBOX_H

#include <stdbool.h>

#define MAILBOX_MAX 254		/* bytes of the whole mailbox (RFC 5321 path minus "<>") */
#define MAILBOX_LOCAL_MAX 64	/* bytes of the local part, quotes included */
#define MAILBOX_DOMAIN_MAX 253	/* bytes of the domain */
#define MAILBOX_LABEL_MAX 63	/* bytes of one domain label */

enum mailbox_status {
	MAILBOX_OK = 0,
	MAILBOX_EMPTY,		/* "" */
	MAILBOX_TOO_LONG,	/* over MAILBOX_MAX, MAILBOX_LOCAL_MAX or MAILBOX_DOMAIN_MAX */
	MAILBOX_BAD_BYTE,	/* space, control (CR, LF, ...), DEL or 8-bit byte */
	MAILBOX_LEADING_DASH,	/* starts with '-' */
	MAILBOX_LIST,		/* ',' or ';' outside quotes, or more than one '@' */
	MAILBOX_NO_DOMAIN,	/* no '@': a local name such as "root" */
	MAILBOX_BAD_LOCAL,	/* local part neither a dot-atom nor a plain quoted string */
	MAILBOX_LITERAL,	/* domain is an address literal "[...]" */
	MAILBOX_NOT_FQDN,	/* domain has a single label ("localhost") */
	MAILBOX_BAD_DOMAIN,	/* domain not a host name */
	MAILBOX_STATUS_COUNT
};

/* Check s (NUL-terminated; NULL counts as empty). */
enum mailbox_status mailbox_check(const char *s);

/* A short English reason for st ("no domain (a local name)"); never NULL. */
const char *mailbox_status_text(enum mailbox_status st);

/* mailbox_check(s) == MAILBOX_OK. */
static inline bool mailbox_valid(const char *s)
{
	return mailbox_check(s) == MAILBOX_OK;
}

#endif
