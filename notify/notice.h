/*
 * notice - one notice per offending network and window, in the formats
 * abuse desks' tools read.
 *
 * notify_format = arf (RFC 5965, sent unsolicited as RFC 6650 describes):
 *   multipart/report; report-type=feedback-report
 *     1. multipart/mixed (RFC 6522 lets the human part be any type):
 *        a. text/plain: the template (notify_template) with its {fields}
 *        b. text/csv (addresses.csv): one row per offending address, the
 *           columns of NOTICE_CSV_HEADER (see notice_csv())
 *     2. message/feedback-report: Feedback-Type: abuse, Source-IP (once:
 *        the most active address), Incidents (its hits), Arrival-Date (its
 *        last sighting, RFC 5322 date), Reporting-MTA: dns; myhostname
 *     3. text/rfc822-headers: a Received line for that address's last
 *        sighting (HELO name, address, reporting host)
 * notify_format = xarf (X-ARF v4 e-mail transport of xarf.org):
 *   multipart/report; report-type=feedback-report
 *     1. text/plain: the template
 *     2. message/feedback-report: Feedback-Type: xarf and the fields above
 *     3. application/json (xarf.json, base64): one X-ARF v4 report,
 *        category vulnerability, type open_service, about the most active
 *        address, with the CSV of every address as a text/csv evidence item
 *
 * Every string that came from a registry, a client or a list (netname,
 * org, HELO, list names) is cleaned (mime.h): headers stay 7-bit (RFC 2047
 * for Subject), bodies are 7-bit or quoted-printable, no CR anywhere (LF
 * line ends; deliver makes CR LF for SMTP), no line over 998 bytes.
 * Machine parts give times in UTC ISO 8601 ("2026-12-06T10:45:49Z");
 * Arrival-Date and Date are RFC 5322 dates as their RFCs require.
 *
 * Template syntax (as the reply templates, doc/templates.md): {field} is
 * the value, {{ and }} are literal braces.  Fields: network, netname, org,
 * country, abuse, addresses (count), hits, first, last (RFC 5322 dates),
 * lists, hosts, window (its length), notice_id, myhostname, table.  An
 * unknown field is an error at notice_template_check().
 *
 * Pure functions; reentrant.
 */
#ifndef RELAYGUARD_NOTICE_H
#define RELAYGUARD_NOTICE_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "nagg.h"

struct nevidence;

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
	/* notify_verify's evidence (nevidence.h), or NULL: then no part
	 * mentions verification and the CSV has its usual columns */
	const struct nevidence *verify;
};

/* The stable id of the notice for net in its window: "rg-" + 16 hex digits. */
void notice_id(const struct net_agg *net, char out[NOTICE_ID_MAX]);

/* Check a template: 0, or -1 with *error_r (static text) for a bad one. */
int notice_template_check(const char *text, const char **error_r) __attribute__((warn_unused_result));

/* Render the whole message for net into out. */
void notice_render(const struct net_agg *net, const struct notice_opts *o, struct buf *out);

/* Append an RFC 5322 date for t. */
void notice_date(struct buf *out, time_t t);

/* The first line of the CSV part (RFC 4180, header=present). */
#define NOTICE_CSV_HEADER "address,first_seen,last_seen,hits,lists,list_texts,helo"
/*
 * Append the CSV of net's addresses, most hits first: the header line,
 * then per address its text form, first and last sighting (UTC ISO 8601),
 * hits, the lists that listed it ("zone=answer" separated by spaces),
 * their TXT texts ("zone: text" separated by " | ", lists without a text
 * left out) and the last HELO name seen ("" when none).  LF line ends; fields quoted
 * per RFC 4180 where needed; every value cleaned (mime.h).
 */
void notice_csv(const struct net_agg *net, struct buf *out);
/* The same with verify's columns (NEVIDENCE_CSV_COLUMNS) after those when
 * verify is not NULL: each address's result, when it was probed (UTC ISO
 * 8601), rcpt or deliver, and the probe's detail ("" for a host not in
 * verify). */
void notice_csv_verified(const struct net_agg *net, const struct nevidence *verify, struct buf *out);
/* The index in net->addrs of the most active address (most hits, then
 * earliest, then lowest text), or -1 when net has none. */
long notice_top(const struct net_agg *net);
/* Append an address's evidence (nagg.h): its "zone=answer" tokens separated
 * by spaces, or with texts true its "zone: text" pairs separated by " | ".
 * Raw bytes: the caller cleans them. */
void notice_evidence(struct buf *out, const char *evidence, bool texts);
/* Append the X-ARF v4 JSON report of net (one line, UTF-8). */
void notice_xarf(const struct net_agg *net, const struct notice_opts *o, struct buf *out);

#endif
