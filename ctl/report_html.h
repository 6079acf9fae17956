/*
 * report_html - the page of relayguard-ctl report --html: one self-contained
 * HTML5 document (inline CSS, inline SVG from svg_chart, no script, no
 * external reference) with five sections, each with a stable id:
 *
 *   #verdicts  verdicts over time (passed, listed, failed, skipped)
 *   #listings  listings per list (DNS zones, over the period)
 *   #networks  the top offending networks: owner, contact, told or not
 *   #notices   notices sent per day
 *   #health    each zone's health over time (in service, not yet probed,
 *              suspended)
 *
 * A section without data says "no data in this period" (class "empty").
 * Every string from the data is HTML-escaped.  This module only formats:
 * ctl_report.c gathers the data (the stats history, Redis or the
 * notifier's state).  The caller owns data and out; reentrant.
 */
#ifndef RELAYGUARD_REPORT_HTML_H
#define RELAYGUARD_REPORT_HTML_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* A zone's state in one time bucket (the worst any process saw). */
enum report_zstate { REPORT_Z_NONE, REPORT_Z_IN_SERVICE, REPORT_Z_UNPROBED, REPORT_Z_SUSPENDED, REPORT_Z_COUNT };

struct report_zone {
	char *name;
	char *kind;
	unsigned long long queries, listed, errors, timeouts;	/* over the period */
	unsigned char *state;	/* n_buckets enum report_zstate */
};

enum report_told { REPORT_TOLD_NO, REPORT_TOLD_YES, REPORT_TOLD_NOBODY };

struct report_net {
	char *network;		/* the netkey, e.g. 192.0.2.0/24 */
	char *netname;		/* the owner's name in the registry; "" if unknown */
	char *abuse;		/* the contact; "" if none */
	long long hits;
	enum report_told told;
	char *why;		/* why nobody is told; "" if not known */
};

struct report_data {
	const char *host;	/* myhostname of the configuration */
	time_t generated, since, start;	/* start: the first bucket's start */
	long long bucket_s;
	size_t n_buckets;
	/* verdicts per bucket (n_buckets each) */
	double *passed, *listed, *failed, *skipped;
	struct report_zone *zones;
	size_t n_zones;
	struct report_net *nets;
	size_t n_nets;
	const char *nets_source;	/* where the networks come from, e.g. "Redis, window of ..." */
	/* notices per UTC day: day starts and counts */
	long long *days;
	double *day_counts;
	size_t n_days;
	const char *notices_source;
	size_t history_files, history_bad;
	const char *history_dir;
	const char *history_note;	/* the first bad line, or an error; NULL if none */
};

/* Append the page for data to out. */
void report_html_write(const struct report_data *data, struct buf *out);

/* Append s HTML-escaped to out (svg_escape). */
void report_html_escape(struct buf *out, const char *s);

#endif
