/*
 * policy_proto - the Postfix policy delegation protocol, request side.
 *
 * Postfix (check_policy_service, SMTPD_POLICY_README) sends a request as
 * "name=value" lines, each ended by LF (CRLF is accepted too), and ends the
 * request with an empty line.  Several requests follow each other on one
 * connection, possibly pipelined.  The reply is "action=..." plus an empty
 * line (built by the caller, see policy_conn).
 *
 * policy_parser_feed() is incremental and bounded: it is given the bytes as
 * they arrive, in pieces of any size (one byte at a time works), consumes
 * at most one request per call and says how many bytes it used, so that the
 * caller can feed the rest again for the next pipelined request.
 *
 * A request is malformed when a line has no '=', a name is empty or holds
 * a byte outside [a-z0-9_] in any case, a line holds a NUL byte, a line is
 * longer than POLICY_LINE_MAX, the request has more than POLICY_ATTRS_MAX
 * attribute lines or more than POLICY_REQUEST_MAX bytes, or when the complete
 * request lacks "request=smtpd_access_policy".  The protocol then wants the
 * connection closed without a reply: the error is sticky, every later feed
 * returns POLICY_ERROR with the same reason.
 *
 * Values are taken as they are: empty values are allowed, '=' in a value is
 * part of it (only the first '=' splits), a repeated name keeps the last
 * value.  Unknown names are kept and ignored by the callers.
 *
 * Ownership: the parser owns every string it returns; they stay valid until
 * the next policy_parser_feed() or policy_parser_free().
 * Thread-safety: one parser, one thread; different parsers are independent.
 */
#ifndef RELAYGUARD_POLICY_PROTO_H
#define RELAYGUARD_POLICY_PROTO_H

#include <stddef.h>

/* Longest line, without its LF (Postfix's line_length_limit is 2048; certificate
 * attributes can be longer, so we allow twice that). */
#define POLICY_LINE_MAX 4096
/* Most attributes in one request (Postfix 3.7 sends about 30). */
#define POLICY_ATTRS_MAX 64
/* Most bytes in one request, every line and its LF counted, the empty line too. */
#define POLICY_REQUEST_MAX 32768
/* Longest reason text of an error. */
#define POLICY_ERROR_MAX 128

enum policy_status {
	POLICY_NEED_MORE,	/* every byte given was used; feed more */
	POLICY_REQUEST,		/* a complete request: read it with policy_parser_get() */
	POLICY_ERROR,		/* malformed: close the connection without a reply */
};

typedef struct policy_parser policy_parser_t;

/* A new parser (never NULL; caller frees with policy_parser_free()). */
policy_parser_t *policy_parser_new(void);
/* Free *p and set it to NULL; NULL or *p == NULL is a no-op. */
void policy_parser_free(policy_parser_t **p);

/*
 * Feed len bytes of data (borrowed for the call).  *used_r is set to the
 * bytes consumed: all of them for POLICY_NEED_MORE, those up to and
 * including the request's empty line for POLICY_REQUEST.  On POLICY_ERROR
 * *error_r (may be NULL) points at the reason, owned by the parser and
 * valid as long as it.  The request returned by the previous call is
 * forgotten when this is called.
 */
enum policy_status policy_parser_feed(policy_parser_t *p, const char *data, size_t len,
				      size_t *used_r, const char **error_r)
	__attribute__((warn_unused_result));

/* After POLICY_REQUEST: the value of name (exact match), or NULL when absent. */
const char *policy_parser_get(const policy_parser_t *p, const char *name);
/* After POLICY_REQUEST: the number of attribute lines (repeats counted). */
size_t policy_parser_count(const policy_parser_t *p);

#endif
