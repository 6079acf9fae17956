/*
 * owners_int - what the owners parsers (owners_rpsl.c, owners_csv.c) share
 * with the store (owners.c) and the resolution (owners_resolve.c).  Not a
 * public interface: see owners.h for the contract.
 *
 * Storage: every string lives in one arena (a growing byte array of
 * NUL-terminated strings, offset 0 is "").  Strings that repeat (handles,
 * mailboxes, countries, file names) are interned through an
 * open-addressing table of arena offsets.  Records refer to strings by
 * 32-bit offset.  Handles are stored upper-cased: references match them
 * whatever the case they are written in.
 */
#ifndef RELAYGUARD_OWNERS_INT_H
#define RELAYGUARD_OWNERS_INT_H

#include "cidrset.h"
#include "owners.h"

/*
 * A network.  Fields change meaning once, in owners_finish(), so that a
 * record stays at 64 bytes:
 *   while loading: contact is the object's own mailbox (0 = none), or, when
 *   why == OWNER_WHY_REFUSED, the refused[] index of its refused one; u.ref
 *   holds the references to follow;
 *   after owners_finish(): contact is the contact found (0 = none); u.res
 *   says where from (src: the record whose own search found it, which is
 *   this one unless inherited), or, when contact is 0 and why is
 *   OWNER_WHY_REFUSED, src is the refused[] index.
 */
struct owners_rec {
	uint32_t netname, org, country, contact;
	union {
		struct {
			uint32_t abuse_c, irt, owner_c;	/* handles, 0 = none */
		} ref;
		struct {
			uint32_t via_handle, src, spare;
		} res;
	} u;
	addr_t first, last;	/* after the 32-bit fields: no padding between them */
	uint8_t via, why;	/* enum owner_via, enum owner_why */
};
_Static_assert(sizeof(struct owners_rec) == 64, "a network record is 64 bytes");

/* A contact object: role, person, irt, organisation, LACNIC contact, ARIN Org or POC. */
struct owners_handle {
	uint32_t mailbox;	/* a valid mailbox, 0 = none */
	uint32_t ref;		/* an organisation's abuse-c (handle), 0 = none */
	uint32_t name;		/* an organisation's name, 0 = none */
	uint32_t refused;	/* refused[] index + 1 of its refused mailbox, 0 = none */
};

/* A contact that mailbox_check() refused, and where it was written. */
struct owners_refused {
	uint32_t file;		/* interned file name */
	uint32_t line;
	uint8_t status;		/* enum mailbox_status */
};

/* Open-addressing map from an interned string to a uint32 (0 = empty slot). */
struct owners_map {
	uint32_t *keys;		/* arena offsets */
	uint32_t *vals;
	size_t cap, n;		/* cap a power of two */
};

struct owners {
	cidrset_t *set;		/* built by owners_finish() */
	struct buf arena;
	struct owners_map interned;	/* string -> itself */
	struct owners_map handles;	/* upper-cased handle -> index + 1 into handle[] */
	struct owners_rec *rec;
	size_t n_rec, cap_rec;
	struct owners_handle *handle;
	size_t n_handle, cap_handle;
	struct owners_refused *refused;
	size_t n_refused, cap_refused;
	uint32_t arin_org;	/* ARIN whois output: the OrgId of the last Org paragraph */
	size_t bad_lines, file_bad_lines, no_abuse, inherited, prefixes;
	bool finished;
};

/* A network as a parser read it; strings are only read during the call. */
struct owners_net {
	const char *range;	/* "a - b", "p/len", "a", LACNIC "177.224/13" */
	const char *netname, *org, *org_name, *country;
	const char *mailbox;	/* on the object itself, "" = none */
	const char *abuse_c, *irt, *owner_c;	/* handles, "" = none */
	size_t line, mailbox_line;
};

/* The arena offset of s, stored once ("" is 0). */
uint32_t owners_intern(owners_t *o, const char *s);
/* A string stored without interning (a netname is nearly always unique). */
uint32_t owners_store(owners_t *o, const char *s);
/* The string at an arena offset. */
static inline const char *owners_str(const owners_t *o, uint32_t off)
{
	return o->arena.data + off;
}
/* The interned, upper-cased form of a handle (0 for ""). */
uint32_t owners_handle_key(owners_t *o, const char *handle);
/* The contact object called key (an owners_handle_key()), or NULL. */
const struct owners_handle *owners_handle_find(const owners_t *o, uint32_t key);

/*
 * mb (from file:line) checked by mailbox_check(): its interned offset, or 0
 * with *refused_r set to a new refused[] index + 1 (mb "" gives 0, *refused_r
 * untouched).
 */
uint32_t owners_mailbox(owners_t *o, const char *mb, const char *file, size_t line, uint32_t *refused_r);

/* Store a network; a range that does not parse is a bad line. */
void owners_add_net(owners_t *o, const struct owners_net *net, const char *file);
/*
 * Define or complete the contact object key: each of mailbox, ref and name
 * is set only if given ("" = not given) and not set yet (the first
 * definition wins).  mailbox is checked (mailbox_line for the log).
 */
void owners_add_handle(owners_t *o, const char *key, const char *mailbox, size_t mailbox_line,
		       const char *ref, const char *name, const char *file);

/* Count a bad line; log the first OWNERS_WARN_MAX of a file. */
void owners_bad_line(owners_t *o, const char *file, size_t line, const char *why);

/* A network's range as text: "a - b" for IPv4, "p/len" for IPv6. */
void owners_format_range(const struct owners_rec *r, char out[OWNERS_NET_TEXT_MAX]);

/* "a - b", "a-b", "p/len", LACNIC's "177.224/13", or "a" into first..last. */
int owners_parse_network(const char *s, addr_t *first_r, addr_t *last_r);

/* One RPSL/ARIN object being read (owners_rpsl.c). */
struct owners_obj;
struct owners_obj *owners_obj_new(void);
void owners_obj_free(struct owners_obj **obj);
/* One line of an RPSL or ARIN file (NUL-terminated, no LF). */
void owners_rpsl_line(owners_t *o, struct owners_obj *obj, char *line, size_t lineno, const char *file);
/* The end of the file: the last object, if any. */
void owners_rpsl_end(owners_t *o, struct owners_obj *obj, const char *file);

/* One line of a CSV file (owners_csv.c). */
void owners_csv_line(owners_t *o, char *line, size_t lineno, const char *file);

/* Resolve every network's contact and build the trie (owners_resolve.c). */
void owners_resolve(owners_t *o);

#endif
