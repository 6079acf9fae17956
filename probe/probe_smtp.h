/*
 * probe_smtp - the open-relay test of one host.
 *
 * On every port of probe_smtp_ports: greeting, EHLO (HELO if refused),
 * then for each recipient form below one transaction MAIL FROM:<probe_mail_from>
 * RCPT TO:<form>, each with a fresh token as the local part:
 *
 *   plain            TOKEN@CANARY_DOMAIN
 *   percent-hack     TOKEN%CANARY_DOMAIN@[TARGET]
 *   quoted           "TOKEN@CANARY_DOMAIN"@[TARGET]
 *   bang-path        CANARY_DOMAIN!TOKEN@[TARGET]
 *   address-literal  TOKEN@[CANARY]          (only with probe_canary)
 *
 * The first 2xx to RCPT ends the test (no more forms, no more ports).
 * rcpt mode: it is recorded as PROBE_ACCEPTED ("accepted a relay
 * recipient") and the session ends with RSET and QUIT; DATA is never sent.
 * deliver mode: DATA sends one short message carrying the token (to the
 * canary, the only address ever used; one message per probe, so the relay
 * has nothing left to retry once the probe is gone), then the probe waits
 * up to probe_canary_wait for the canary to see it: PROBE_CONFIRMED only
 * then, PROBE_ACCEPTED otherwise.  Every byte is kept in
 * r->transcript.  The target was allowed by probe_policy before this runs.
 */
#ifndef RELAYGUARD_PROBE_SMTP_H
#define RELAYGUARD_PROBE_SMTP_H

#include <stdbool.h>

#include "probe.h"

#define PROBE_SMTP_FORMS 5

/* The form names in the order tried ("plain", "percent-hack", ...). */
const char *probe_smtp_form_name(unsigned i);
/*
 * Write form i for token into out (size bytes): 0, or -1 when the form
 * does not apply (address-literal without a canary) or does not fit.
 */
int probe_smtp_form(unsigned i, const char *token, const char *domain, const addr_t *target,
		    const addr_t *canary_or_null, char *out, size_t size) __attribute__((warn_unused_result));
/*
 * One line of an SMTP reply: 0 with *code_r (200..599) and *more_r (a '-'
 * continuation follows), or -1 for a line that is not a reply line.
 */
int probe_smtp_reply_line(const char *line, int *code_r, bool *more_r) __attribute__((warn_unused_result));

/* Run the relay test; fills r->relay, r->relay_detail, r->transcript. */
void probe_smtp_run(const struct probe_settings *s, struct probe_result *r);

#endif
