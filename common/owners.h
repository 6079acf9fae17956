/*
 * owners - who owns a network, and where its abuse reports go.
 *
 * Sources (owners_db, any number of files, loaded in order):
 *   RPSL, as the regional registries publish it in their bulk split files:
 *     inetnum:  a.b.c.d - e.f.g.h (a range; "a.b.c.d/len" accepted too)
 *     inet6num: prefix/len
 *   with netname:, org:, country: and the abuse contact either as
 *   abuse-mailbox: on the object itself or through abuse-c: (a role or
 *   person object's nic-hdl:), mnt-irt: (an irt: object), or org: (an
 *   organisation: object with abuse-mailbox: or abuse-c:).  Those objects
 *   may come before or after, in the same file or another one; references
 *   are resolved by owners_finish().  Objects are separated by blank
 *   lines; '%' and '#' lines are comments; continuation lines are ignored
 *   (no attribute we read needs one).
 *   CSV (a file whose name ends in ".csv"): "network,owner,abuse_address"
 *   per line, network a prefix, an address or a range "a-b"; '#' comments;
 *   a first line that is not data (a header) is skipped.
 *
 * The most specific owner wins: every object's range is stored as prefixes
 * in a cidrset and looked up by longest-prefix match; when two objects
 * cover exactly the same prefix, the one with the smaller range keeps it
 * (the later one on a tie).
 *
 * Loading streams line by line (OWNERS_LINE_MAX; longer lines are skipped
 * and counted): memory grows with the objects kept (about 50 bytes each
 * plus their strings, with org, abuse and handle strings stored once), not
 * with the file.  Lines that do not parse are counted, the first
 * OWNERS_WARN_MAX logged, and skipped.
 *
 * Ownership: the caller owns the owners_t; strings returned by
 * owners_lookup() live as long as it.  Not thread-safe while loading;
 * after owners_finish() the const functions may be called from any number
 * of threads.
 */
#ifndef RELAYGUARD_OWNERS_H
#define RELAYGUARD_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"

#define OWNERS_LINE_MAX 4096		/* bytes of one line */
#define OWNERS_VALUE_MAX 255		/* bytes of an attribute value kept */
#define OWNERS_WARN_MAX 5		/* bad lines logged per file */
#define OWNERS_REF_DEPTH 3		/* org -> abuse-c -> role at most */
#define OWNERS_NET_TEXT_MAX (2 * ADDR_STRLEN + 4)
#define OWNERS_RECORDS_MAX 0x7fffffffu

typedef struct owners owners_t;

struct owner_info {
	char network[OWNERS_NET_TEXT_MAX];	/* "192.0.2.0 - 192.0.2.255", "2001:db8::/32" */
	const char *netname;	/* "" when unknown; the CSV owner column */
	const char *org;
	const char *country;
	const char *abuse;	/* the abuse mailbox, "" when none could be found */
};

/* Counters of what was loaded. */
struct owners_stats {
	size_t objects;		/* inetnum/inet6num objects and CSV rows kept */
	size_t handles;		/* role, person, irt, organisation objects kept */
	size_t prefixes;	/* prefixes in the trie */
	size_t bad_lines;	/* lines or objects skipped */
	size_t no_abuse;	/* owners without an abuse mailbox after owners_finish() */
	size_t memory;		/* bytes held (trie, records, strings, tables) */
};

/* A new empty database; caller frees with owners_free(). */
owners_t *owners_new(void);
void owners_free(owners_t **o);

/*
 * Load one file (RPSL, or CSV when the name ends in ".csv").  Returns 0, or
 * -1 with *error_r (caller frees) when the file cannot be opened or read;
 * bad content is never an error (it is counted and logged).
 */
int owners_load(owners_t *o, const char *path, char **error_r) __attribute__((warn_unused_result));
/* Load from a stream (same rules; name is for messages). */
int owners_load_stream(owners_t *o, void *file, const char *name, bool csv, char **error_r)
	__attribute__((warn_unused_result));

/* Resolve abuse references across everything loaded.  Call once, after the loads. */
void owners_finish(owners_t *o);

/* The owner of a (most specific); false when none.  *plen_r may be NULL. */
bool owners_lookup(const owners_t *o, const addr_t *a, struct owner_info *info_r, unsigned *plen_r);

void owners_stats(const owners_t *o, struct owners_stats *stats_r);

/*
 * The group of an address without an owner: its /24 (IPv4) or /48 (IPv6),
 * appended to out as "192.0.2.0/24".
 */
void owners_fallback_network(const addr_t *a, struct buf *out);

#endif
