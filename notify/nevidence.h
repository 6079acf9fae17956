/*
 * nevidence - what notify_verify found about the hosts of one notice, and
 * how that evidence reads in each part of the notice (issue 17).
 *
 * nverify.c fills a struct nevidence per notice from relayguard-probe's
 * results (probe_run_host()); notice.c and notice_xarf.c render it when
 * struct notice_opts.verify is not NULL:
 *   - the text part: one paragraph per host, "198.51.100.25: confirmed
 *     open relay at 2026-12-06T10:45:49Z, transcript below", the probe's
 *     detail and the transcript, indented (nevidence_text());
 *   - the CSV part: NEVIDENCE_CSV_COLUMNS after the usual columns;
 *   - ARF's message/feedback-report: one X-Relayguard-Verification field
 *     per host ("ADDRESS RESULT TIME MODE");
 *   - X-ARF: a text/plain evidence item per transcript, tags, and a
 *     "verification" array (the core schema allows more properties).
 *
 * Bounds: a transcript is kept up to NEVIDENCE_TRANSCRIPT_MAX bytes (cut
 * with a "[... N bytes cut]" line); hosts are at most notify_verify_hosts
 * (NEVIDENCE_HOSTS_MAX).  Transcripts come escaped from the probe (binary
 * bytes as \xNN); every part cleans them again (mime.h).
 *
 * Ownership: a struct nevidence owns its hosts and their transcripts;
 * nevidence_free() releases them.  Pure functions, reentrant.
 */
#ifndef RELAYGUARD_NEVIDENCE_H
#define RELAYGUARD_NEVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"

#define NEVIDENCE_TRANSCRIPT_MAX 8192	/* bytes of one host's transcript in a notice */
#define NEVIDENCE_HOSTS_MAX 64		/* notify_verify_hosts' maximum */
#define NEVIDENCE_DETAIL_MAX 512

/* What the probe said about one host; the names are nevidence_outcome_name()'s. */
enum nevidence_outcome {
	NEV_OPEN_RELAY,		/* "open-relay": the canary received the token (deliver mode) */
	NEV_RELAY_ACCEPTED,	/* "relay-recipient-accepted": a 250 to a relay recipient */
	NEV_OPEN_PROXY,		/* "open-proxy": the canary saw the proxied token */
	NEV_CLOSED,		/* "closed": answered, refused every attempt */
	NEV_NO_SERVICE,		/* "no-service": nothing answered */
	NEV_NOT_TESTED,		/* "not-tested": no test applied */
	NEV_REFUSED,		/* "refused": outside probe_allowed_targets, never contacted */
	NEV_NOT_PROBED,		/* "not-probed": a rate limit, the host's lock, notify_verify_hosts */
	NEV__COUNT
};

struct nevidence_host {
	char addr[ADDR_STRLEN];
	enum nevidence_outcome outcome;
	long long when;			/* when probed (unix seconds); 0 when not probed */
	bool deliver_mode, cached;
	char method[16];		/* open proxy: "SOCKS5", "HTTP CONNECT", ...; else "" */
	char detail[NEVIDENCE_DETAIL_MAX];	/* the probe's detail, or why not probed */
	char *transcript;		/* owned; "" when none */
};

struct nevidence {
	struct nevidence_host *hosts;
	size_t n;
};

#define NEVIDENCE_CSV_COLUMNS "verification,verified_at,verification_mode,verification_detail"

const char *nevidence_outcome_name(enum nevidence_outcome o);
/*
 * Does h count as confirmed for notify_require_confirmation: an open relay
 * or proxy the canary confirmed, or a relay recipient accepted in rcpt mode
 * (in deliver mode an accepted recipient that never reached the canary is
 * not a confirmation).
 */
bool nevidence_confirmed(const struct nevidence_host *h);
/* Append h (copied; transcript: len bytes, cut at NEVIDENCE_TRANSCRIPT_MAX). */
void nevidence_add(struct nevidence *e, const struct nevidence_host *h, const char *transcript, size_t len);
/* The host of address text addr, or NULL. */
const struct nevidence_host *nevidence_find(const struct nevidence *e, const char *addr);
void nevidence_free(struct nevidence *e);
/* One sentence: "confirmed open relay at 2026-...Z, transcript below" and the like. */
void nevidence_sentence(const struct nevidence_host *h, struct buf *out);
/* UTC ISO 8601 of h->when, or "" when not probed. */
void nevidence_time(const struct nevidence_host *h, char out[32]);
/* The block the text part ends with: a heading, then per host its
 * sentence, detail and transcript (indented by four blanks). */
void nevidence_text(const struct nevidence *e, struct buf *out);

#endif
