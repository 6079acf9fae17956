/*
 * owners - who owns a network, and where its abuse reports go, as the
 * registries mean it.
 *
 * Sources (owners_db, any number of files, loaded in order; see
 * relayguard-notify(8) for examples of each):
 *   RPSL, as the regional registries publish it (RIPE, APNIC, AFRINIC split
 *   files; LACNIC's shape; whois output):
 *     inetnum:  a.b.c.d - e.f.g.h, a prefix, or LACNIC's abbreviated
 *               prefix "177.224/13"; an IPv6 prefix under inetnum: too
 *     inet6num: prefix/len
 *   with netname:, org:, country:, abuse-mailbox:, abuse-c:, mnt-irt:,
 *   owner-c: and LACNIC's owner:/ownerid:.  Contacts are role/person
 *   objects (nic-hdl: and abuse-mailbox:), irt: objects (abuse-mailbox:),
 *   organisation: objects (org-name:, abuse-c: or abuse-mailbox:) and
 *   LACNIC contacts (an object that starts with nic-hdl: or nic-hdl-br:,
 *   its mailbox in e-mail:).
 *   ARIN bulk whois (arin_db.txt): Net records (NetHandle: or V6NetHandle:,
 *   NetRange: a - b, NetName:, OrgID:, AbuseHandle:), Org records (OrgID:,
 *   OrgName:, OrgAbuseHandle:) and POC records (POCHandle:, Mailbox:); and
 *   ARIN whois output (NetRange:, Organization: Name (ID), OrgId:,
 *   OrgAbuseHandle: with OrgAbuseEmail:).  A NetRange that is not one
 *   prefix is split into prefixes.
 *   CSV (a file whose name ends in ".csv"), RFC 4180: "network,owner,
 *   abuse_address" per record, network a prefix, an address or a range
 *   "a-b"; fields may be quoted ("Org2, Inc", doubled "" inside); CRLF or
 *   LF; '#' comment lines; a first line that is not data (a header) is
 *   skipped.  A quoted field cannot span lines (such a record is refused).
 *   Objects of other classes (mntner, aut-num, route, ...) are skipped.
 *   Handles are case-insensitive and share one name space across files.
 *
 * Which contact (RIPE's abuse-c rules, as its whois answers them): the
 * network is the most specific object holding the address.  Its contact is
 * the first of these that gives a valid mailbox:
 *   1. an abuse-mailbox: on the object itself (or the CSV column);
 *   2. its abuse-c: (ARIN: the Net's AbuseHandle) - the role's
 *      abuse-mailbox, or a LACNIC contact's e-mail;
 *   3. its org:'s abuse-c: (or the organisation's own abuse-mailbox;
 *      ARIN: the Org's OrgAbuseHandle POC's Mailbox);
 *   4. its mnt-irt:'s abuse-mailbox;
 *   5. the contact of the nearest enclosing network that has one
 *      (inherited: an ASSIGNED PA under its LIR's ALLOCATED PA);
 *   6. its owner-c: (LACNIC), when nothing above gave one.
 * A contact is used only if mailbox_check() accepts it (mailbox.h); a
 * refused one is counted, logged by owners_finish() with the network and
 * the file:line it came from, and the search goes on.
 * Resolution happens once, in owners_finish(); a lookup is one
 * longest-prefix match and no allocation.
 *
 * Exact prefixes shared by two objects: the one inside the other keeps it;
 * for two equal ranges, the later one loaded (the earlier then encloses it:
 * its contact is inherited by the later one if that names none); for ranges
 * that overlap without nesting (not seen in registry data), the one that
 * starts later.  Such overlaps are searched OWNERS_PARENT_SCAN deep for the
 * network that holds them, so hostile files cost bounded time.
 *
 * Loading streams line by line (OWNERS_LINE_MAX; longer lines are skipped
 * and counted): memory grows with the objects kept (64 bytes per network
 * plus its prefixes in the trie and its netname; 16 bytes per contact
 * object; repeated strings stored once), not with the file.  Lines that do
 * not parse are counted, the first OWNERS_WARN_MAX per file logged with
 * file:line, and skipped.
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
#include "mailbox.h"

#define OWNERS_LINE_MAX 4096		/* bytes of one line */
#define OWNERS_VALUE_MAX 255		/* bytes of an attribute value kept */
#define OWNERS_WARN_MAX 5		/* bad lines logged per file */
#define OWNERS_REFUSED_LOG_MAX 20	/* networks with a refused contact logged per load */
#define OWNERS_REF_DEPTH 3		/* org -> abuse-c -> role at most */
#define OWNERS_PARENT_SCAN 64		/* overlapping (not nested) ranges searched for a parent */
#define OWNERS_NET_TEXT_MAX (2 * ADDR_STRLEN + 4)
#define OWNERS_RECORDS_MAX 0x7fffffffu

typedef struct owners owners_t;

/* How the contact of a network was found. */
enum owner_via {
	OWNER_VIA_NONE = 0,	/* no contact */
	OWNER_VIA_MAILBOX,	/* abuse-mailbox: on the object, or the CSV column */
	OWNER_VIA_ABUSE_C,	/* its abuse-c (ARIN: AbuseHandle) */
	OWNER_VIA_ORG,		/* its organisation's abuse-c or abuse-mailbox */
	OWNER_VIA_IRT,		/* its mnt-irt */
	OWNER_VIA_OWNER_C,	/* LACNIC owner-c */
};

/* Why a network has no contact (worst reason met along the search). */
enum owner_why {
	OWNER_WHY_NONE = 0,	/* it has one */
	OWNER_WHY_NO_CONTACT,	/* neither it nor an enclosing network names a contact */
	OWNER_WHY_UNKNOWN_HANDLE,	/* it names handles that no loaded file defines */
	OWNER_WHY_NO_MAILBOX,	/* the objects it names carry no mailbox */
	OWNER_WHY_REFUSED,	/* the mailbox found is not a valid mailbox (refused_*) */
};

struct owner_info {
	char network[OWNERS_NET_TEXT_MAX];	/* "192.0.2.0 - 192.0.2.255", "2001:db8::/32" */
	const char *netname;	/* "" when unknown; the CSV owner column */
	const char *org;	/* organisation handle (org:, OrgID:, ownerid:), "" */
	const char *org_name;	/* its name (org-name:, OrgName:, owner:), "" */
	const char *country;
	const char *abuse;	/* the contact, a valid mailbox, or "" when none */
	enum owner_via via;	/* how abuse was found */
	const char *via_handle;	/* the handle it came from (role, org, irt, POC), "" */
	bool inherited;		/* abuse is an enclosing network's: */
	char inherited_from[OWNERS_NET_TEXT_MAX];	/* its range ("" when not inherited) */
	const char *inherited_netname;	/* its netname ("" when not inherited) */
	enum owner_why why;	/* why abuse is "" (OWNER_WHY_NONE when it is not) */
	const char *refused_file;	/* OWNER_WHY_REFUSED: where the refused contact */
	unsigned long refused_line;	/* was written ("", 0 otherwise) */
	enum mailbox_status refused_status;	/* and why it was refused */
};

/* Counters of what was loaded. */
struct owners_stats {
	size_t objects;		/* networks (inetnum, inet6num, ARIN Net, CSV rows) kept */
	size_t handles;		/* contact objects (role, person, irt, organisation, POC, ...) kept */
	size_t prefixes;	/* prefixes in the trie */
	size_t bad_lines;	/* lines or objects skipped */
	size_t no_abuse;	/* networks without a contact after owners_finish() */
	size_t inherited;	/* networks whose contact is an enclosing network's */
	size_t refused;		/* contacts refused by mailbox_check() */
	size_t memory;		/* bytes held (trie, records, strings, tables) */
};

/* A new empty database; caller frees with owners_free(). */
owners_t *owners_new(void);
void owners_free(owners_t **o);

/*
 * Load one file (RPSL or ARIN, or CSV when the name ends in ".csv").
 * Returns 0, or -1 with *error_r (caller frees) when the file cannot be
 * opened or read, or is none of the formats (JSON, XML); other bad content
 * is never an error (it is counted and logged).
 */
int owners_load(owners_t *o, const char *path, char **error_r) __attribute__((warn_unused_result));
/* Load from a stream (same rules; name is for messages). */
int owners_load_stream(owners_t *o, void *file, const char *name, bool csv, char **error_r)
	__attribute__((warn_unused_result));

/*
 * Resolve contacts across everything loaded: references, inheritance,
 * mailbox checks; build the trie.  Call once, after the loads; logs the
 * refused contacts (OWNERS_REFUSED_LOG_MAX lines and a count).
 */
void owners_finish(owners_t *o);

/* The owner of a (most specific); false when none.  *plen_r may be NULL. */
bool owners_lookup(const owners_t *o, const addr_t *a, struct owner_info *info_r, unsigned *plen_r);

/*
 * Append to out, in words, how info's contact was found or why it has
 * none: "abuse-c AR1-TEST", "organisation ORG-X1-RIPE, inherited from
 * 192.0.2.0 - 192.0.3.255 (LIR-NET)", "none: mailbox at ripe.db:41 refused
 * (starts with '-')".  Only printable ASCII from the loaded files.
 */
void owners_explain(const struct owner_info *info, struct buf *out);

/* "abuse-mailbox", "abuse-c", "org", "mnt-irt", "owner-c", "none". */
const char *owners_via_name(enum owner_via via);

void owners_stats(const owners_t *o, struct owners_stats *stats_r);

/*
 * The group of an address without an owner: its /24 (IPv4) or /48 (IPv6),
 * appended to out as "192.0.2.0/24".
 */
void owners_fallback_network(const addr_t *a, struct buf *out);

#endif
