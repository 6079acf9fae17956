/*
 * verdict - score to action; reply and header templates; cleaning of every
 * text that leaves for an SMTP client or goes into a message header.
 *
 * Four jobs, all pure and self-contained (no network, no event loop):
 *
 *   decide    verdict_decide() turns a DNSBL score into an action with
 *             postscreen semantics (threshold, allowlist threshold).
 *   template  verdict_template_compile() / _render(): reply and header texts
 *             with named fields ({client}, {txt?: }, ...); syntax below and
 *             in doc/templates.md.
 *   clean     verdict_clean_text(): the one gate every outgoing text passes.
 *             A TXT record, a HELO name or a sender is attacker-controlled:
 *             after cleaning it holds only printable ASCII and single
 *             spaces, so no CR/LF (reply or header injection) can get out.
 *   assemble  verdict_reply() ("550 5.7.1 text", the SMTP form every door
 *             starts from), verdict_header_value() for tag headers,
 *             verdict_display_name() to hide a zone's feed key.
 *
 * No protocol of a door lives here: the Postfix policy reply is built in
 * policy/policy_reply, libmilter's multi-line reply in milter/milter_reply.
 *
 * Ownership: functions that take a struct buf *out APPEND to it (they never
 * reset it); the caller owns the buffer.  Input strings are borrowed for the
 * duration of the call only, except where a function returns one of them.
 *
 * Thread-safety: everything here is reentrant.  A compiled template is
 * immutable after verdict_template_compile(): many threads may render it at
 * once; only verdict_template_free() needs exclusive access.
 *
 * Nothing here fails at run time except template compilation (a config
 * error); out-of-range arguments are clamped as documented per function.
 */
#ifndef RELAYGUARD_VERDICT_H
#define RELAYGUARD_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* ---- limits ----------------------------------------------------------- */

/* An SMTP reply line, CRLF included (RFC 5321 4.5.3.1.5). */
#define VERDICT_SMTP_LINE 512
/* Reply text after "550 5.7.1 " (10 bytes) and before CRLF: 512 - 10 - 2. */
#define VERDICT_REPLY_MAX 500
/*
 * A header value (verdict_header_value(), header templates): 900 bytes
 * leaves 98 for the field name and ": " under the 998-byte line limit of
 * RFC 5322 2.1.1, so the header never needs folding to be valid.
 */
#define VERDICT_HEADER_MAX 900
/* List names the engine gathers on the stack for verdict_header_value();
 * more take the heap (none is dropped before the value's own cut). */
#define VERDICT_HEADER_LISTS_MAX 64
/* The most a rendered template produces (the larger of the two users). */
#define VERDICT_RENDER_MAX VERDICT_HEADER_MAX
/* A cut at max_len backs up to a space only when one is this close. */
#define VERDICT_CUT_WINDOW 20
/* Longest template text verdict_template_compile() accepts. */
#define VERDICT_TEMPLATE_MAX 4096

/* ---- decisions -------------------------------------------------------- */

enum verdict_action {
	VERDICT_PASS,
	VERDICT_REJECT,
	VERDICT_TEMPFAIL,
	VERDICT_TAG,
	VERDICT_QUARANTINE,
	VERDICT_LOG,
};

/* "pass", "reject", "tempfail", "tag", "quarantine", "log"; "unknown" for
 * a value outside the enum.  Static strings. */
const char *verdict_action_name(enum verdict_action a);

struct verdict_policy {
	int threshold;			/* listed at or above */
	int allowlist_threshold;	/* at or below: allowlisted (only when < 0) */
	enum verdict_action listed_action;	/* what a listed client gets */
	enum verdict_action error_action;	/* all sources failed: PASS or TEMPFAIL */
};

/*
 * Decide what happens to a client whose sources summed to score.
 *
 * score is the sum of the weights of the sources that matched, among the
 * n_answered sources that answered: a partial answer (some sources failed,
 * n_failed > 0, but n_answered > 0) is scored on what answered, as if the
 * failed sources had said "not listed".  The rules, in this order:
 *
 *   1. n_answered == 0 && n_failed > 0 (every source failed):
 *      p->error_action when it is VERDICT_PASS, else VERDICT_TEMPFAIL
 *      (a config can never turn a DNS outage into a rejection).
 *   2. p->allowlist_threshold < 0 && score <= p->allowlist_threshold:
 *      VERDICT_PASS, and the client is allowlisted.  As in postscreen
 *      (postscreen_dnsbl_allowlist_threshold), a threshold of 0 or more
 *      disables allowlisting: otherwise every unlisted client (score 0)
 *      would count as allowlisted.
 *   3. score >= p->threshold: p->listed_action.
 *   4. otherwise VERDICT_PASS.
 *
 * n_answered == 0 && n_failed == 0 (no source was asked) goes through rules
 * 2..4 with the score given (normally 0).  *allowlisted_r (may be NULL) is
 * set to true by rule 2 and to false otherwise.
 */
enum verdict_action verdict_decide(const struct verdict_policy *p, int score, size_t n_answered,
				   size_t n_failed, bool *allowlisted_r);

/* ---- templates -------------------------------------------------------- */

/*
 * Template syntax (also doc/templates.md, "Template syntax"):
 *
 *   {field}        the field's value, cleaned; nothing when empty or unset
 *   {field?text}   text, only when the field's cleaned value is non-empty;
 *                  text is literal and may not contain '{' or '}'
 *   {{  }}         a literal '{' / '}'
 *   anything else  literal text
 *
 * Field names are lower case and listed in enum verdict_field.  The default
 * reject text is VERDICT_DEFAULT_REJECT:
 *   "Service unavailable; client [{client}] blocked using {list}{txt?: }{txt}"
 * renders as "Service unavailable; client [192.0.2.1] blocked using bl.example"
 * without a TXT record, and with one as "...blocked using bl.example: text".
 */
#define VERDICT_DEFAULT_REJECT \
	"Service unavailable; client [{client}] blocked using {list}{txt?: }{txt}"

enum verdict_field {
	VERDICT_FIELD_CLIENT,		/* client: the client address, text form */
	VERDICT_FIELD_HELO,		/* helo: the HELO/EHLO name */
	VERDICT_FIELD_SENDER,		/* sender: envelope sender address */
	VERDICT_FIELD_SENDER_DOMAIN,	/* sender_domain: its domain */
	VERDICT_FIELD_LIST,		/* list: display name of the first matching list */
	VERDICT_FIELD_LISTS,		/* lists: all matching display names, "a,b" */
	VERDICT_FIELD_SCORE,		/* score: the combined score, decimal */
	VERDICT_FIELD_CODE,		/* code: 127.x.y.z of the first matching list */
	VERDICT_FIELD_TXT,		/* txt: its TXT text, '$' already expanded */
	VERDICT_FIELD_ACTION,		/* action: verdict_action_name() */
	VERDICT_FIELD_HOST,		/* host: myhostname */
	VERDICT_FIELD_QUEUE_ID,		/* queue_id: the MTA's queue id */
	VERDICT_FIELD_COUNT
};

/*
 * The values a template is rendered with, indexed by enum verdict_field.
 * NULL means empty.  Values are raw (uncleaned, any length): rendering
 * cleans each one.  The caller owns the strings; they need to live only
 * during verdict_template_render().
 */
struct verdict_fields {
	const char *values[VERDICT_FIELD_COUNT];
};

/* A field's name as written in templates ("sender_domain"); "unknown" for a
 * value outside the enum.  Static strings. */
const char *verdict_field_name(enum verdict_field f);

typedef struct verdict_template verdict_template_t;

/*
 * Compile text (a NUL-terminated string from the config, borrowed) into
 * *tpl_r (caller frees with verdict_template_free()).  Returns 0 with
 * *error_r set to NULL, or -1 with *tpl_r set to NULL and *error_r set to
 * a message naming the 1-based byte column of the fault (caller frees
 * *error_r with free()):
 *
 *   "unknown field 'clent' at column 30 (known: client, helo, sender,
 *    sender_domain, list, lists, score, code, txt, action, host, queue_id)"
 *   "empty field name at column N"
 *   "unbalanced '{' at column N: no closing '}' (write '{{' for a literal brace)"
 *   "unbalanced '}' at column N (write '}}' for a literal brace)"
 *   "'{' at column M inside the field reference opened at column N"
 *   "template longer than 4096 bytes"
 *
 * N is the column of the '{' that opens the faulty reference; for a stray
 * '}' it is that of the '}', and M that of the inner '{'.  An unknown field
 * name is shown as written, cut to 64 bytes, each byte outside printable
 * ASCII as '?' ("{cl\r\nent}" gives 'cl??ent').  Compiling never fails on
 * literal text: controls or 8-bit bytes in it are cleaned at render time.
 */
int verdict_template_compile(const char *text, verdict_template_t **tpl_r, char **error_r)
	__attribute__((warn_unused_result));

/*
 * Append the rendering of tpl with the values f (borrowed) to out.  Every
 * value is cleaned (verdict_clean_text(), cut to VERDICT_RENDER_MAX) before
 * it is inserted or tested for {field?text}; then the whole rendering is
 * cleaned once more and cut to VERDICT_RENDER_MAX bytes, so the appended
 * text never holds a control or 8-bit byte, whatever the template or the
 * values.  Callers cut further for their use (verdict_reply() does).
 */
void verdict_template_render(const verdict_template_t *tpl, const struct verdict_fields *f,
			     struct buf *out);

/* Free *tpl and set it to NULL; NULL or *tpl == NULL is a no-op. */
void verdict_template_free(verdict_template_t **tpl);

/* ---- cleaning --------------------------------------------------------- */

/*
 * Append a cleaned copy of the NUL-terminated string in (NULL = "") to out:
 *
 *   - every run of spaces and control bytes (CR, LF, TAB, every other byte
 *     0x01..0x1f, DEL 0x7f) becomes one space;
 *   - every byte 0x80..0xff becomes '?' (one '?' per byte: UTF-8 "é" is "??");
 *   - leading and trailing spaces are dropped;
 *   - when the result is longer than max_len bytes it is cut to at most
 *     max_len: where the cut falls inside a word, the text ends at the last
 *     space within the last VERDICT_CUT_WINDOW bytes before the cut (that
 *     space and the partial word dropped); with no such space, a hard cut at
 *     max_len.  The result never ends in a space.
 *
 * The result holds only bytes 0x20..0x7e, at most max_len of them (0 gives
 * an empty result).  Reads in only as far as needed, so a 100 kB TXT record
 * costs max_len work.  Idempotent: cleaning a clean text changes nothing.
 */
void verdict_clean_text(const char *in, size_t max_len, struct buf *out);

/* ---- names shown to clients ------------------------------------------- */

/*
 * The name to show clients for zone (dnsbl_reply_map): map_values[i] for the
 * first i < n whose map_keys[i] equals zone, ignoring ASCII case and one
 * trailing dot on either side; zone itself when none does.  A paid feed's
 * zone ("KEY.zen.dq.example") is mapped to a public name so that its key
 * never appears in a reply.  Returns one of the arguments (borrowed: valid
 * as long as it is); zone must not be NULL; map_keys and map_values may be
 * NULL when n == 0.
 */
const char *verdict_display_name(const char *zone, const char *const *map_keys,
				 const char *const *map_values, size_t n);

/* ---- header values ---------------------------------------------------- */

/*
 * Append a tag header value (e.g. for X-Relayguard) to out, exactly:
 *
 *   "listed action=tag score=3 lists=test.bl,other.bl host=mx.example"
 *   "clean action=pass score=0 host=mx.example"
 *
 *   - the first word is "listed" when some list name is non-empty after
 *     cleaning, else "clean";
 *   - action= verdict_action_name(a); score= decimal, '-' when negative;
 *   - lists= the n names joined by ',' (left out when none); names that
 *     would take the value past VERDICT_HEADER_MAX are replaced by one
 *     final "..." ("lists=a,b,...");
 *   - host= host (left out when host is NULL or cleans to nothing).
 *
 * Each list name and the host are cleaned, cut to 253 bytes, and every
 * space, ',', ';' or '=' in them becomes '_' so that the value always
 * splits into its words and key=value pairs.  NULL entries in lists and
 * names that clean to nothing are skipped; lists may be NULL when n == 0.  The appended value is at most VERDICT_HEADER_MAX bytes.
 */
void verdict_header_value(struct buf *out, enum verdict_action a, int score,
			  const char *const *lists, size_t n, const char *host);

/* ---- SMTP replies ----------------------------------------------------- */

/*
 * Append "CODE DSN TEXT" (e.g. "550 5.7.1 blocked") to out, no CRLF.
 * text (NULL = "") is cleaned and cut so that the whole line with CRLF fits
 * VERDICT_SMTP_LINE (text <= VERDICT_REPLY_MAX with a 5-byte DSN); an empty
 * text gives "550 5.7.1".  dsn may be NULL (no enhanced status code).
 *
 * Never fails: an invalid code (outside 400..599) or dsn (not
 * "c.sss.ddd" with 1..3 digit parts, or its class differing from the
 * code's first digit) is replaced by "451 4.3.0", the safe internal-error
 * tempfail, so that a bad config can never produce a malformed reply.
 */
void verdict_reply(struct buf *out, int code, const char *dsn, const char *text);

/*
 * The code and DSN verdict_reply() would send: unchanged when valid, else
 * 451 and "4.3.0" (a static string).  For a door that words the reply its
 * own way (the policy server's DEFER_IF_PERMIT carries the DSN alone).
 */
void verdict_reply_check(int *code, const char **dsn);

#endif
