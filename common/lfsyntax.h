/*
 * lfsyntax - the pieces of an rbldnsd dataset line, read the way rbldnsd
 * 1.0 reads them (ip4parse.c, ip6addr.c, parse_a_txt() and txtsubst() of
 * its sources, checked against the real server by
 * tests/integration/listfile_oracle.sh).  listfile.c builds the list; this
 * module only reads text.
 *
 * Every parser reads s[0..len) (not NUL-terminated), never past len, and
 * reports how many bytes it used.  An address must be followed by the end,
 * white space, a comment character ("#" or ";") or ":" (the start of a
 * value): lfsyntax_addr_end() checks that.
 *
 * IPv4 (ip4parse.c):
 *   - a prefix is 1..4 decimal octets "a.b.c.d" (each 0..255, any number of
 *     digits); it covers /8, /16, /24 or /32;
 *   - a bare one-octet prefix ("10") is refused: write "10/8";
 *   - "/bits" (0..32) gives the length; the address must have no bits set
 *     past it (rbldnsd: "invalid range (non-zero host part)");
 *   - ip4set also takes ranges "a-b": b has as many octets as a ("1.2-1.5",
 *     completed with 255s), or one octet that replaces a's last one
 *     ("127.16-31" = 127.16.0.0-127.31.255.255); /0 is refused in ip4set;
 *   - ip4trie takes prefixes and CIDRs only, /0 included.
 * IPv6 (ip6addr.c): 1..8 hexadecimal 16-bit words with at most one "::";
 *   without "::" the words given are the first ones (a /16*n prefix).
 *   ip6trie adds "/bits" (0..128) and refuses a bare single word; ip6tset
 *   takes no length (a listing is four words, an exclusion a full address).
 *
 * Thread-safety: pure functions.
 */
#ifndef RELAYGUARD_LFSYNTAX_H
#define RELAYGUARD_LFSYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* rbldnsd keeps at most this many bytes of an entry's TXT template. */
#define LFSYNTAX_TEMPLATE_MAX 255
/* ...and of an expanded TXT answer. */
#define LFSYNTAX_TXT_MAX 254

/* Does s[0..len) end an address (end, blank, "#", ";" or ":")? */
bool lfsyntax_addr_end(const char *s, size_t len);

/*
 * An IPv4 entry at the start of s[0..len): *used_r bytes, the range
 * first..last (host order) and *bits_r (the CIDR length, 32 for a range).
 * ranges: ip4set syntax (ranges allowed, /0 refused); otherwise ip4trie.
 * Returns 0, or -1 with *why_r (a static string).
 */
int lfsyntax_ip4(const char *s, size_t len, bool ranges, size_t *used_r, uint32_t *first_r,
		 uint32_t *last_r, unsigned *bits_r, const char **why_r)
	__attribute__((warn_unused_result));

/*
 * An IPv6 entry at the start of s[0..len) into addr[16] and *bits_r.
 * cidr: ip6trie syntax (optional "/bits", host bits refused, a single
 * bare word refused); otherwise ip6tset syntax (no "/", the length is 16
 * per word given, 128 with "::").  Returns 0, or -1 with *why_r.
 */
int lfsyntax_ip6(const char *s, size_t len, bool cidr, size_t *used_r, uint8_t addr[16],
		 unsigned *bits_r, const char **why_r) __attribute__((warn_unused_result));

/* What a value field gave. */
enum lfsyntax_value_kind {
	LFSYNTAX_TEXT,		/* "TXT": default code, this text */
	LFSYNTAX_CODE,		/* ":A": this code, default text */
	LFSYNTAX_CODE_TEXT,	/* ":A:TXT" or ":A:" (text may be empty) */
};

/*
 * A value s[0..len) (len > 0, no trailing blanks).  ":A" is a full address,
 * or 1..3 octets as rbldnsd's inet_aton-like reading has them: "5" =
 * 127.0.0.5, "1.5" = 1.0.0.5, "1.2.5" = 1.2.0.5; 0.0.0.0 is refused.
 * Blanks after the A and after the second ":" are skipped.  The text is
 * s[*text_off_r..len), cut to LFSYNTAX_TEMPLATE_MAX bytes.
 * Returns 0, or -1 with *why_r.
 */
int lfsyntax_value(const char *s, size_t len, enum lfsyntax_value_kind *kind_r, uint32_t *code_r,
		   size_t *text_off_r, size_t *text_len_r, const char **why_r)
	__attribute__((warn_unused_result));

/* A special line (after its "$"): what it is; *arg_r is where its argument starts. */
enum lfsyntax_special {
	LFSYNTAX_SPECIAL_VAR,		/* "$n text" or "$= text": s[0] names it */
	LFSYNTAX_SPECIAL_TTL,		/* "$TTL time" */
	LFSYNTAX_SPECIAL_MAXRANGE4,	/* "$MAXRANGE4 /len" or "$MAXRANGE4 count" */
	LFSYNTAX_SPECIAL_DATASET,	/* "$DATASET type subzone...": a combined dataset */
	LFSYNTAX_SPECIAL_IGNORED,	/* $SOA, $NS, $NAMESERVER, $TIMESTAMP */
	LFSYNTAX_SPECIAL_UNKNOWN,
};
/* Keywords are matched without case and must be followed by a blank, as rbldnsd does. */
enum lfsyntax_special lfsyntax_special(const char *s, size_t len, size_t *arg_r);

/* "1w2d3h4m5s" or plain seconds, the whole of s[0..len): 0, or -1. */
int lfsyntax_ttl(const char *s, size_t len, unsigned *ttl_r) __attribute__((warn_unused_result));

/* The argument of $MAXRANGE4 into a count of addresses (0 = no limit): 0, or -1. */
int lfsyntax_maxrange(const char *s, size_t len, uint32_t *addrs_r)
	__attribute__((warn_unused_result));

/*
 * One line of Spamhaus' JSON DROP files (drop_v4.json, drop_v6.json): a flat
 * JSON object.  Its string members "cidr" and "sblid" are copied,
 * NUL-terminated, into cidr[cidr_size] and sblid[sblid_size] ("" when
 * absent; a longer value is an error); other members (strings, numbers,
 * true, false, null) are skipped.  Returns 0, or -1 when the line is not
 * such an object.
 */
int lfsyntax_json_drop(const char *s, size_t len, char *cidr, size_t cidr_size, char *sblid,
		       size_t sblid_size) __attribute__((warn_unused_result));

/*
 * rbldnsd's TXT substitution, done ahead of the query: raw is an entry's
 * TXT template (NUL-terminated, "" when it has none), vars the $0..$9
 * values (NULL when unset), base the "$=" template (NULL or "" when unset).
 * Appends to out a template for listfile_expand_text() ("$" = the queried
 * address, "$$" = a "$") that expands to what rbldnsd answers:
 *   - a raw starting with "=" drops the "=" and skips the base template;
 *   - otherwise, with a base template, the base is used and its "$=" is
 *     the entry's own text taken literally (the address when raw is "");
 *   - "$n" is the variable's value taken literally, or "$n" itself when
 *     it is unset; "$$" is "$"; any other "$" is the queried address.
 * Stops once the result cannot expand to fewer than LFSYNTAX_TXT_MAX bytes.
 */
void lfsyntax_flatten(const char *raw, char *const vars[10], const char *base, struct buf *out);

#endif
