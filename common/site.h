/*
 * site - the postscreen DNSBL site syntax: zone[=filter][*weight].
 *
 * Used by dnsbl_sites, rhsbl_helo_sites, rhsbl_sender_sites and redis_lists
 * (where "zone" is a list name).  Examples:
 *   zen.example.org=127.0.0.[2..11]*3
 *   bl.example.net*2
 *   wl.example.org=127.0.[0..255].[1..3]*-2
 *   list.example=127.0.0.[2;4;7]
 * A filter is four dot-separated octet patterns; each pattern is a decimal
 * number, a range [a..b], or a list [a;b;c] whose items may themselves be
 * ranges ([1;3..5]).  Without a filter every answer code matches.  Weight defaults
 * to 1 and may be negative (allowlists).
 *
 * A site_filter is a plain value (no pointers): copy it freely.
 * Pure and thread-safe; only the *_format() functions allocate (they append
 * to a caller's struct buf).
 *
 * Zone names: labels of letters, digits, '-' and '_' (list names in Redis
 * are zones too), at most 63 bytes per label and SITE_ZONE_MAX in all; one
 * trailing dot is dropped; stored lower-cased.  Octet numbers are decimal
 * without leading zeros.
 */
#ifndef RELAYGUARD_SITE_H
#define RELAYGUARD_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Longest zone or list name we accept (DNS name limit). */
#define SITE_ZONE_MAX 253
/* Longest DNS label. */
#define SITE_LABEL_MAX 63
/* Weights lie in -SITE_WEIGHT_MAX..SITE_WEIGHT_MAX, so that summing a few
 * thousand of them never overflows an int. */
#define SITE_WEIGHT_MAX 100000
/* Longest site spec as written (the size of struct site.text, minus NUL). */
#define SITE_TEXT_MAX (SITE_ZONE_MAX + 63)

struct site_filter {
	bool any;		/* no filter given: every code matches */
	uint8_t octet[4][32];	/* bitmap of allowed values per octet */
};

struct site {
	char zone[SITE_ZONE_MAX + 1];	/* lower-cased, no trailing dot */
	struct site_filter filter;
	int weight;			/* default 1 */
	char text[SITE_TEXT_MAX + 1];	/* the site as written, for messages */
};

/*
 * Parse one site spec (no surrounding white space) into *site_r.  On error
 * returns -1 and points *error_r at a static description of what was
 * expected ("filter octet must be a number 0..255, [a..b] or [a;b]").
 */
int site_parse(const char *spec, struct site *site_r, const char **error_r)
	__attribute__((warn_unused_result));

/*
 * Parse a bare filter "127.0.0.[2..11]" (used for error-code lists).
 * Same error convention.
 */
int site_filter_parse(const char *spec, struct site_filter *filter_r, const char **error_r)
	__attribute__((warn_unused_result));

/*
 * Append the normalized text of a filter to out: "127.0.0.2",
 * "127.0.[0..255].[2;4..7]".  Nothing is appended when f->any.  The text
 * parses back to an equal filter.
 */
void site_filter_format(const struct site_filter *f, struct buf *out);

/* Append the normalized site "zone[=filter][*weight]" (weight only if not 1). */
void site_format(const struct site *site, struct buf *out);

/* Are two filters the same set of codes? */
bool site_filter_equal(const struct site_filter *a, const struct site_filter *b);

/* Does the 127.x.y.z answer code (host byte order, 0x7f000002 = 127.0.0.2) pass? */
bool site_filter_match(const struct site_filter *f, uint32_t code);

#endif
