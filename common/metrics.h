/*
 * metrics - the Prometheus text exposition format (version 0.0.4), and the
 * two cheap accumulators the daemons keep for it: a latency histogram with
 * fixed buckets and a small table of DNSBL answer codes.
 *
 * Writing: every function appends to out (a struct buf the caller owns).
 * A metric family is written as one metrics_family() line pair (HELP, TYPE)
 * followed by all its samples; the caller keeps a family's samples together
 * (the format requires it) and writes each family once.  Names are the
 * caller's constants ([a-zA-Z_:][a-zA-Z0-9_:]*); label values are any
 * bytes and are escaped here (backslash, double quote, newline), as are
 * HELP texts (backslash, newline).
 *
 * Accumulators are plain structs without locks: each belongs to one thread
 * (an engine's, a worker's), and a copy is merged into a total at scrape
 * time (see engine_metrics.h).  Observing costs a few comparisons.
 *
 * Thread-safety: no shared state; the bucket bounds are constants.
 */
#ifndef RELAYGUARD_METRICS_H
#define RELAYGUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Latency buckets, upper bounds in microseconds (le="0.0005" ... le="10"),
 * then +Inf.  From a cached answer (well under a millisecond) to a DNS
 * timeout (dnsbl_timeout is at most seconds). */
#define METRICS_HIST_BUCKETS 14
extern const uint64_t metrics_hist_bounds_us[METRICS_HIST_BUCKETS];

struct metrics_hist {
	uint64_t bucket[METRICS_HIST_BUCKETS];	/* observations <= bound i and > bound i-1 */
	uint64_t count;				/* all observations (the +Inf bucket) */
	uint64_t sum_us;
};

void metrics_hist_observe_us(struct metrics_hist *h, uint64_t us);
/* into += h */
void metrics_hist_merge(struct metrics_hist *into, const struct metrics_hist *h);

/* Answer codes (127.0.0.x) counted one by one: the first METRICS_CODES_MAX
 * distinct codes seen, then "other".  Lists use a handful of codes. */
#define METRICS_CODES_MAX 8
struct metrics_codes {
	uint32_t code[METRICS_CODES_MAX];	/* host order; 0 = free slot */
	uint64_t n[METRICS_CODES_MAX];
	uint64_t other;				/* codes beyond the table */
};

void metrics_codes_add(struct metrics_codes *c, uint32_t code, uint64_t n);
/* into += c (codes that do not fit into go to into->other) */
void metrics_codes_merge(struct metrics_codes *into, const struct metrics_codes *c);

/* ---- the exposition format ------------------------------------------- */

/* The Content-Type of the text format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics_label {
	const char *name;	/* a constant label name */
	const char *value;	/* any text; escaped */
};

/* "# HELP name help" and "# TYPE name type". */
void metrics_family(struct buf *out, const char *name, enum metrics_type type, const char *help);

/* One sample: name{labels} value.  n may be 0 (no braces). */
void metrics_sample_u64(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
			uint64_t value);
/* The same with a float value (NaN and infinities spelled as the format wants). */
void metrics_sample_double(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
			   double value);

/*
 * A histogram's samples (the family line is the caller's, type HISTOGRAM):
 * name_bucket{labels,le="..."} cumulative counts, le="+Inf" = count,
 * name_sum (seconds) and name_count.  At most METRICS_LABELS_MAX labels.
 */
#define METRICS_LABELS_MAX 6
void metrics_histogram(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
		       const struct metrics_hist *h);

/* Escaped label value (\\, \", \n) appended to out. */
void metrics_escape_label(struct buf *out, const char *value);

/* "127.0.0.2" for a host-order code, into out[16]. */
void metrics_code_text(uint32_t code, char out[16]);

#endif
