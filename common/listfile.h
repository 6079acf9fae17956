/*
 * listfile - read local list files (rbldnsd datasets, plain CIDR lists) into
 * a cidrset, and answer "is this address listed, with which code and text".
 *
 * rbldnsd is the reference for its formats: a file means what it means to
 * rbldnsd serving it as that dataset type (tests/integration/
 * listfile_oracle.sh compares the two on a corpus; relayguard.conf(5), LIST
 * FILES, lists the few documented differences).  The line syntax itself
 * (addresses, values, TXT templates) is in lfsyntax.h.
 *
 * Formats (enum listfile_format):
 *
 *   LISTFILE_IP4SET   rbldnsd ip4set: prefixes ("10/8", "1.2.3"), CIDRs,
 *                     ranges "a-b"; no /0.  Entries are compared at octet
 *                     boundaries, as rbldnsd stores them: a /20 counts as
 *                     sixteen /24s, the most specific of /32, /24, /16, /8
 *                     wins, and an exclusion beats a listing of the same
 *                     piece in any order.
 *   LISTFILE_IP4TRIE  rbldnsd ip4trie: CIDRs only (/0 allowed), longest prefix.
 *   LISTFILE_IP6TRIE  rbldnsd ip6trie: IPv6 CIDRs, word prefixes, longest prefix.
 *   LISTFILE_IP6TSET  rbldnsd ip6tset: /64 listings (four words), /128
 *                     exclusions, the first default line is every entry's value.
 *   LISTFILE_AUTO     each line as one family (file_lists): IPv4 (ip4set)
 *                     when the part before any ":" holds ".", "/" or "-",
 *                     IPv6 (ip6trie) otherwise.
 *   LISTFILE_CIDR     plain lists (Spamhaus DROP/EDROP/DROPv6): one address
 *                     or CIDR per line, then nothing, "# comment", or
 *                     "; text" that becomes the entry's text, taken
 *                     literally.  Code 127.0.0.2.  No specials or exclusions.
 *                     A line "{...}" is read as a JSON DROP line
 *                     (lfsyntax_json_drop(): "cidr" and "sblid").
 *
 * Shared by the rbldnsd formats: comments "#", ";"; specials "$..." (also
 * "#$", ";$", ":$"): $TTL kept, $MAXRANGE4 enforced (dropped entries are
 * logged, not bad lines), $SOA/$NS/$TIMESTAMP ignored, $n and $= (the first
 * assignment counts, wherever it is), $DATASET (a combined dataset) fails
 * the load whatever abort_on_bad_line says; ":A:TXT" default lines; "!"
 * exclusions.  A line rbldnsd refuses is a bad line with rbldnsd's reason
 * ("invalid address", "invalid range (non-zero host part)", "invalid A
 * RR"...).  The same prefix listed twice: the first line wins (except the
 * ip4set exclusion rule above).  CRLF is read as LF.
 *
 * Texts are stored as templates for listfile_expand_text(), with $n and $=
 * already substituted: "$" is the queried address, "$$" a literal "$".
 * Every distinct text is stored once.
 *
 * Limits: a line longer than LISTFILE_LINE_MAX bytes (without its line end)
 * is a bad line; templates keep LFSYNTAX_TEMPLATE_MAX bytes of an entry's
 * text and expanded answers are cut at LFSYNTAX_TXT_MAX, as rbldnsd does.
 * An empty file is a valid empty list.
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
/* Longest stored TXT template, in bytes (a substituted template of
 * LFSYNTAX_TXT_MAX answer bytes, with its "$"s doubled, stays under it). */
#define LISTFILE_TEXT_MAX 1024
/* Bad lines logged one by one before the rest are only counted. */
#define LISTFILE_BAD_LINES_LOGGED 20
/* Largest file read, in bytes (a guard against reading a device or a disk image). */
#define LISTFILE_FILE_MAX ((size_t)1 << 31)
/* The code of an entry when nothing says otherwise: 127.0.0.2. */
#define LISTFILE_DEFAULT_CODE 0x7f000002u

enum listfile_format {
	LISTFILE_AUTO,
	LISTFILE_IP4SET,
	LISTFILE_IP6TSET,
	LISTFILE_CIDR,
	LISTFILE_IP4TRIE,
	LISTFILE_IP6TRIE,
};

/* Parse "auto", "ip4set", "ip4trie", "ip6tset", "ip6trie" or "cidr"; 0, or -1. */
int listfile_format_parse(const char *s, enum listfile_format *fmt_r)
	__attribute__((warn_unused_result));

/* Lines between two calls of listfile_opts.progress. */
#define LISTFILE_PROGRESS_LINES 4096

/* How far a load is (listfile_opts.progress). */
struct listfile_progress {
	size_t lines;		/* lines read so far */
	size_t bad_lines;	/* bad lines among them (skipped, or the one that aborts) */
	size_t bytes, total_bytes;	/* bytes read so far, of the file's */
};

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
	/* Called every LISTFILE_PROGRESS_LINES lines and once at the end of a
	 * load that got to the end; NULL: not called.  For a progress bar. */
	void (*progress)(const struct listfile_progress *p, void *ctx);
	void *progress_ctx;
};

typedef struct listfile listfile_t;

/*
 * Load path.  On success returns 0 and stores a new list in *list_r (caller
 * frees with listfile_free()).  On failure returns -1, leaves *list_r
 * untouched and stores a message in *error_r (caller frees): "PATH: reason"
 * when the file cannot be read (reason from strerror, or "file too large"),
 * "PATH:LINE: reason" for the first bad line when abort_on_bad_line is set,
 * or for a $DATASET line in any case, and "PATH:LINE: list too large: ..."
 * for a list past its maximum (the caller reloading a list keeps the old one).
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
 * Append tmpl to out with every "$" replaced by a's text and "$$" by "$",
 * at most LFSYNTAX_TXT_MAX bytes (rbldnsd's longest answer).  Nothing else
 * is changed; callers clean the result for its destination.
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
