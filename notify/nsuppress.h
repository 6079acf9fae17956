/*
 * nsuppress - receivers that asked not to receive notices (notify_suppress).
 *
 * The file holds one entry per line; '#' starts a comment, blank lines
 * are ignored:
 *   192.0.2.0/24   2001:db8::/32   198.51.100.7    a network (CIDR, or one
 *                                                 address); host bits set
 *                                                 are an error
 *   abuse@example.net                             a contact (a mailbox;
 *                                                 compared without case)
 *   example.net                                   a domain: every contact
 *                                                 at it or at a name under it
 * A notice is suppressed when its contact is listed, or its contact's
 * domain or a parent of it, or when every offending address of its
 * network is inside a listed network.
 *
 * The notifier calls nsuppress_refresh() once per pass: the file is read
 * again when its size, mtime or inode changed.  A line that is not an
 * entry is logged with file:line and skipped; a file that cannot be read
 * keeps the entries loaded before (logged once per change).
 * relayguard-ctl edits the file with nsuppress_edit(): every other line,
 * comments included, is kept; the new file is written to a temporary
 * name, fsynced and renamed over the old one.
 *
 * Limits: NSUPPRESS_LINE_MAX bytes per line (longer lines are bad lines),
 * NSUPPRESS_ENTRIES_MAX entries (the rest is ignored, logged).
 * Ownership: the caller owns the nsuppress_t.  Not thread-safe.
 */
#ifndef RELAYGUARD_NSUPPRESS_H
#define RELAYGUARD_NSUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "nagg.h"

#define NSUPPRESS_LINE_MAX 1024
#define NSUPPRESS_ENTRIES_MAX 1000000u

enum nsuppress_kind { NSUPPRESS_NETWORK, NSUPPRESS_CONTACT, NSUPPRESS_DOMAIN };

typedef struct nsuppress nsuppress_t;

/* A list read from path ("" = nothing is ever suppressed); path is copied. */
nsuppress_t *nsuppress_new(const char *path);
void nsuppress_free(nsuppress_t **s);

/* Read the file again if it changed since the last read. */
void nsuppress_refresh(nsuppress_t *s);

/* Replace the entries with those of text (name for messages).  Returns the bad lines. */
size_t nsuppress_load_text(nsuppress_t *s, const char *text, size_t len, const char *name);

/* Entries loaded. */
size_t nsuppress_count(const nsuppress_t *s);

/*
 * Is the notice about net to contact suppressed?  True with the matching
 * entry appended to entry (its canonical form).
 */
bool nsuppress_match(const nsuppress_t *s, const struct net_agg *net, const char *contact, struct buf *entry);

/*
 * Parse one entry: 0 with its kind and canonical form appended to canon
 * ("192.0.2.0/24", lower-case contact or domain), or -1 with *why_r.
 */
int nsuppress_parse(const char *text, enum nsuppress_kind *kind_r, struct buf *canon, const char **why_r)
	__attribute__((warn_unused_result));

/*
 * Add (add = true) or remove an entry in the file at path.  0 = the file
 * was changed, 1 = nothing to do (already there / not there), -1 with
 * *error_r (caller frees): an invalid entry, or the file could not be
 * read or replaced (then it is unchanged).
 */
int nsuppress_edit(const char *path, const char *entry, bool add, char **error_r)
	__attribute__((warn_unused_result));

#endif
