/*
 * listfile - read local list files (rbldnsd datasets, plain CIDR lists) into
 * a cidrset, and answer "is this address listed, with which code and text".
 *
 * Formats (enum listfile_format):
 *
 *   LISTFILE_IP4SET   rbldnsd ip4set.  Entries: a full address "192.0.2.1";
 *                     an octet prefix "192.0.2" (/24), "192.0" (/16), "192" (/8);
 *                     CIDR on either "192.0.2.0/24", "127/8", "127.16/12"; ranges
 *                     "a.b.c.d-e.f.g.h" or of octet prefixes "127.16-127.31" (the
 *                     end is completed with 255s), and "127.16-31", where a
 *                     one-octet end replaces the last octet given at the start
 *                     (127.16.0.0-127.31.255.255).  Host bits past a CIDR length
 *                     are cleared.  IPv6 lines are bad lines.
 *   LISTFILE_IP6TSET  rbldnsd ip6tset: /64s written as four 16-bit words
 *                     "2001:db8:64:1", and also what ip6trie accepts: any IPv6
 *                     address or CIDR ("2001:db8::/32", "::1"), word prefixes
 *                     with or without a length ("2001:db8:c000/36" = the words
 *                     given, zero-filled).  IPv4 lines are bad lines.
 *   LISTFILE_AUTO     each line by its content: a token with ':' is read as
 *                     IPv6 (a full address or CIDR first, then as ip6tset/
 *                     ip6trie word prefix), any other as ip4set syntax.  One file
 *                     may mix both families.
 *   LISTFILE_CIDR     plain lists: one IPv4/IPv6 address or CIDR per line,
 *                     optionally followed by white space and a "#" comment.  Every
 *                     entry gets code 127.0.0.2 and no text.  Nothing else is
 *                     accepted (no specials, values or exclusions).
 *
 * rbldnsd syntax shared by the three dataset formats (see rbldnsd(8)):
 *   - empty lines and lines starting with "#" or ";" are comments (so are the
 *     "#$" specials of rbldns, which we do not need);
 *   - "$TTL time" sets the TTL (seconds, or with units s m h d w: "1h30m");
 *     "$SOA", "$NS", "$TIMESTAMP" and "$MAXRANGE4" are accepted and ignored;
 *     "$n text" (n a digit) defines a substitution used as $n in texts;
 *     "$= text" sets the base template whose "$=" is an entry's own text
 *     (an entry text starting with "=" bypasses it); "$DATASET" (combined
 *     datasets) and other specials are bad lines;
 *   - ":A:TXT" sets the default code and text for the entries after it; A is a
 *     full IPv4 address or its last octets ("2" = 127.0.0.2, "1.3" = 127.0.1.3);
 *     ":A" alone sets the code and drops the default text; outside ip4set a
 *     line starting with "::" is an IPv6 entry ("::1"), not a default;
 *   - an entry may be followed by white space and its own value: ":A:TXT"
 *     (code and text), ":A" (code, default text), ":A:" (code, no text), or
 *     "TXT" (default code, that text); a value starting with "#" or ";" is a
 *     comment instead.  Without any default the code is 127.0.0.2, no text;
 *   - "!entry" excludes the entry's addresses (its value is ignored).
 *
 * Texts keep "$" (the queried address) and "$$" (a literal "$") for
 * listfile_expand_text(); "$n" substitutions are made at load time.  Every
 * distinct text is stored once.
 *
 * Overlaps: the most specific entry wins (an address in 10.0.0.0/8 and in
 * 10.1.0.0/16 gets the /16's value; an exclusion inside a listed range
 * unlists just its addresses, and a listing inside an excluded range is
 * listed).  A range is split into prefixes (addr_range_split) and each prefix
 * counts as an entry of that length.  On the very same prefix an exclusion
 * beats a listing whatever their order; between two listings the later line
 * wins.
 *
 * Limits: a line longer than LISTFILE_LINE_MAX bytes (without its line end)
 * and a text longer than LISTFILE_TEXT_MAX bytes after substitution are bad
 * lines; reading never fails because of such a line.  Line ends are LF or
 * CRLF.  An empty file is a valid empty list.
 *
 * Thread-safety: a loaded list is immutable; any number of threads may call
 * the const functions at once.  Loading logs with log_warning().
 */
#ifndef RELAYGUARD_LISTFILE_H
#define RELAYGUARD_LISTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"

/* Longest line accepted, in bytes, without the line end. */
#define LISTFILE_LINE_MAX 4096
/* Longest TXT template, in bytes, after $n and $= substitution. */
#define LISTFILE_TEXT_MAX 1024
/* Bad lines logged one by one before the rest are only counted. */
#define LISTFILE_BAD_LINES_LOGGED 20
/* Largest file read, in bytes (a guard against reading a device or a disk image). */
#define LISTFILE_FILE_MAX ((size_t)1 << 31)
/* The code of an entry when nothing says otherwise: 127.0.0.2. */
#define LISTFILE_DEFAULT_CODE 0x7f000002u

enum listfile_format { LISTFILE_AUTO, LISTFILE_IP4SET, LISTFILE_IP6TSET, LISTFILE_CIDR };

/* Parse "auto", "ip4set", "ip6tset" or "cidr"; 0, or -1 for anything else. */
int listfile_format_parse(const char *s, enum listfile_format *fmt_r)
	__attribute__((warn_unused_result));

struct listfile_opts {
	enum listfile_format format;
	/* true: the first bad line fails the load; false: bad lines are logged
	 * (at most LISTFILE_BAD_LINES_LOGGED, then one summary line), counted and
	 * skipped. */
	bool abort_on_bad_line;
	/* At most this many prefixes (cidrset_set_max_entries(); 0: no limit
	 * but CIDRSET_MAX_NODES).  A list past it fails to load, always:
	 * "PATH:LINE: list too large: more than N prefixes". */
	size_t max_entries;
};

typedef struct listfile listfile_t;

/*
 * Load path.  On success returns 0 and stores a new list in *list_r (caller
 * frees with listfile_free()).  On failure returns -1, leaves *list_r
 * untouched and stores a message in *error_r (caller frees): "PATH: reason"
 * when the file cannot be read (reason from strerror, or "file too large"),
 * "PATH:LINE: reason" for the first bad line when abort_on_bad_line is set,
 * and "PATH:LINE: list too large: ..." for a list past its maximum (the
 * caller reloading a list keeps the old one).
 */
int listfile_load(const char *path, const struct listfile_opts *opts, listfile_t **list_r,
		  char **error_r) __attribute__((warn_unused_result));

/*
 * Same, from len bytes at data (need not be NUL-terminated); name stands for
 * PATH in messages.  data is only read during the call.
 */
int listfile_load_mem(const char *name, const char *data, size_t len,
		      const struct listfile_opts *opts, listfile_t **list_r, char **error_r)
	__attribute__((warn_unused_result));

struct listfile_hit {
	uint32_t code;		/* 127.x.y.z, host order */
	const char *text;	/* TXT template, $ unexpanded; NULL if none; lives as long as the list */
};

/* Is a listed (and not excluded)?  Fills *hit_r (may be NULL) when it is. */
bool listfile_lookup(const listfile_t *list, const addr_t *a, struct listfile_hit *hit_r);

/*
 * Append tmpl to out with every "$" replaced by a's text and "$$" by "$".
 * Nothing else is changed; callers clean the result for its destination.
 */
void listfile_expand_text(const char *tmpl, const addr_t *a, struct buf *out);

/* Entry lines loaded (listings and exclusions; a range counts once). */
size_t listfile_entries(const listfile_t *list);
/* Bad lines skipped (always 0 after a load with abort_on_bad_line). */
size_t listfile_bad_lines(const listfile_t *list);
/* The last $TTL value in seconds, or 0 when the file has none. */
unsigned listfile_ttl(const listfile_t *list);

/*
 * Call cb for the listed address space as sorted, non-overlapping inclusive
 * ranges (IPv4 first), overlaps and exclusions resolved as above, adjacent
 * ranges with the same code and text merged.  first, last and text are only
 * valid during the call.  A non-zero return from cb stops the walk and is
 * returned; otherwise returns 0.
 */
typedef int listfile_range_cb(const addr_t *first, const addr_t *last, uint32_t code,
			      const char *text, void *ctx);
int listfile_walk_ranges(const listfile_t *list, listfile_range_cb *cb, void *ctx);

/* Free the list and set *list to NULL; *list may be NULL already. */
void listfile_free(listfile_t **list);

#endif
