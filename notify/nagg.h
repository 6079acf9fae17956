/*
 * nagg - report events counted per owning network and window, in memory.
 *
 * relayguard-notify counts a batch of events here before it merges the
 * counts into Redis (several notifiers share them there), and keeps the
 * whole picture here when it runs on the spool journal alone or with
 * --dry-run.  Memory grows with networks and distinct addresses, never
 * with events: a repeated address only bumps its counters.
 *
 * A network is keyed by "WINDOW|NETKEY": the window number is the event
 * time divided by notify_window, NETKEY the owner's network
 * ("192.0.2.0-192.0.2.255", "2001:db8::/32") or, without an owner, the
 * fallback group ("203.0.113.0/24").
 *
 * Ownership: the nagg_t owns every net_agg and string in it; pointers
 * returned here live until nagg_clear() or nagg_free().  Not thread-safe.
 */
#ifndef RELAYGUARD_NAGG_H
#define RELAYGUARD_NAGG_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "report.h"

#define NAGG_EVIDENCE_MAX 512	/* bytes of one address's "list=code ..." text */
#define NAGG_COUNTS_MAX 64	/* reporting hosts / lists counted per network */

struct nagg_addr {
	char addr[ADDR_STRLEN];
	long long hits, first, last;
	/* "bl1.test=127.0.0.2 bl2.test=127.0.0.3;Listed%20as%20open%20proxy":
	 * list=code tokens, each with ";" and its TXT text percent-encoded
	 * when the list gave one and it fits (at most NAGG_EVIDENCE_MAX - 1
	 * bytes).  Both strings are owned by the row and never NULL in a row
	 * from nagg_addr_get(); they are heap strings sized to their text (a
	 * batch may hold a hundred thousand rows: fixed arrays made each one
	 * 830 bytes).  Change them only with the functions below. */
	char *evidence;
	char *helo;		/* the last HELO name seen */
};

struct nagg_count {
	char *name;
	long long n;
};

struct net_agg {
	char *netkey;
	long long window;	/* window number */
	char *network, *netname, *org, *country, *abuse;	/* "" when unknown */
	bool owned;		/* false: a fallback group */
	long long hits, first, last;
	struct nagg_addr *addrs;
	size_t n_addrs;
	/* up to NAGG_COUNTS_MAX each, grown by nagg_count_add() */
	struct nagg_count *hosts, *lists;
	size_t n_hosts, n_lists;
	size_t seq;		/* its position: nagg_at(n, seq) is this network */
	/* private */
	size_t cap_addrs;
	void *index;
};

/* Who a network is, as the owners database says (strings copied). */
struct nagg_owner {
	const char *netkey, *network, *netname, *org, *country, *abuse;
	bool owned;
};

typedef struct nagg nagg_t;

nagg_t *nagg_new(void);
void nagg_free(nagg_t **n);
/* Forget every network. */
void nagg_clear(nagg_t *n);

/* Count one event for owner in window. Returns the network's entry. */
struct net_agg *nagg_add(nagg_t *n, long long window, const struct nagg_owner *owner,
			 const struct report_event *ev);
/*
 * Merge counters into the network (for loading saved state): creates the
 * network when missing.  addr_hits etc. add one address row.
 */
struct net_agg *nagg_get(nagg_t *n, long long window, const struct nagg_owner *owner);
struct nagg_addr *nagg_addr_get(struct net_agg *net, const char *addr);
/* Add by to name's count in *counts (n of them; the array grows). */
void nagg_count_add(struct nagg_count **counts, size_t *n, const char *name, long long by);
/* Set the address's HELO name ("" when longer than a HELO name can be). */
void nagg_addr_set_helo(struct nagg_addr *a, const char *helo);
/* Copy from's counts, times, HELO and evidence into a (its address stays). */
void nagg_addr_copy(struct nagg_addr *a, const struct nagg_addr *from);
/* Add the tokens of text whose "list=code" is not yet in the address's
 * evidence (a token without its text when the whole one does not fit). */
void nagg_evidence_merge(struct nagg_addr *a, const char *text);

/* Networks held, and the i-th (0 <= i < count), in insertion order. */
size_t nagg_count(const nagg_t *n);
/* Networks plus address rows held: the size of a commit. */
size_t nagg_rows(const nagg_t *n);
struct net_agg *nagg_at(const nagg_t *n, size_t i);
/* The network under window and netkey, or NULL. */
struct net_agg *nagg_find(const nagg_t *n, long long window, const char *netkey);

#endif
