/*
 * notice - one notice per offending network: an RFC 5965 abuse report.
 *
 * The message (LF line ends; deliver converts for SMTP):
 *   multipart/report; report-type=feedback-report
 *     1. text/plain: the template (notify_template, conf/notice.txt) with
 *        its {fields} filled in, then the table of offending addresses
 *     2. message/feedback-report (notify_format = arf), or instead
 *        (notify_format = xarf) two X-ARF v4 JSON reports:
 *        Vulnerability/Open (the open services) and Messaging/Spam (the hits)
 *     3. text/rfc822-headers: one Received-style evidence line per address
 *
 * Template syntax (as the reply templates, doc/templates.md): {field} is
 * the value, {{ and }} are literal braces.  Fields: network, netname, org,
 * country, abuse, addresses (count), hits, first, last (RFC 5322 dates),
 * lists, hosts, window (its length), notice_id, myhostname, table.  An
 * unknown field is an error at notice_template_check().
 *
 * Header values are cleaned: CR, LF and other controls become spaces, so
 * no owner database value can add a header.
 *
 * Pure functions; reentrant.
 */
#ifndef RELAYGUARD_NOTICE_H
#define RELAYGUARD_NOTICE_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "nagg.h"

#define NOTICE_ID_MAX 64
#define NOTICE_TEMPLATE_MAX (64 * 1024)

enum notice_format { NOTICE_ARF, NOTICE_XARF };

struct notice_opts {
	const char *from;	/* notify_from, $myhostname expanded */
	const char *to;		/* the abuse address */
	const char *bcc;	/* "" for none */
	const char *myhostname;
	const char *template_text;
	enum notice_format format;
	long long window_s;
	time_t now;
};

/* The stable id of the notice for net in its window: "rg-" + 16 hex digits. */
void notice_id(const struct net_agg *net, char out[NOTICE_ID_MAX]);

/* Check a template: 0, or -1 with *error_r (static text) for a bad one. */
int notice_template_check(const char *text, const char **error_r) __attribute__((warn_unused_result));

/* Render the whole message for net into out. */
void notice_render(const struct net_agg *net, const struct notice_opts *o, struct buf *out);

/* Append an RFC 5322 date for t. */
void notice_date(struct buf *out, time_t t);

#endif
