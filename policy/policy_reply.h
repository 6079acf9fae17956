/*
 * policy_reply - a verdict in the words of Postfix's policy delegation
 * protocol (SMTPD_POLICY_README, access(5)): one "action=..." line.
 *
 * The engine's verdict carries everything (code, DSN and text; header
 * value; rendered quarantine reason); this module only picks the verb from
 * a table, one row per action, and shapes the text:
 *
 *   pass        action=DUNNO
 *   reject      action=550 5.7.1 text        (a plain REJECT would be 554)
 *   tempfail    action=DEFER_IF_PERMIT 4.7.1 text
 *               (Postfix prefixes its access_map_defer_code, 450)
 *   tag         action=PREPEND X-Relayguard: value[ spf=result]
 *   quarantine  action=HOLD reason
 *   log         action=WARN value
 *
 * With an SPF outcome (the check ran, where the verdict said it applies):
 * a "fail" under spf = reject becomes the reject line of
 * engine_spf_reject_reply(); otherwise a pass verdict with a Received-SPF
 * value becomes "action=PREPEND Received-SPF: value".
 *
 * Every text is cleaned (verdict_clean_text()) and cut so that the SMTP
 * line Postfix makes of it fits VERDICT_SMTP_LINE and a header fits
 * VERDICT_HEADER_MAX.  Reentrant; appends to out (no terminating empty
 * line: the connection adds it).
 */
#ifndef RELAYGUARD_POLICY_REPLY_H
#define RELAYGUARD_POLICY_REPLY_H

#include "buf.h"
#include "cfg.h"
#include "engine.h"
#include "spf.h"

/* Longest header name taken from tag_header (RFC 5322 leaves 998 - 900 for it). */
#define POLICY_HEADER_NAME_MAX 90
/* Postfix's access_map_defer_code default: the code it puts before a DEFER_IF_PERMIT text. */
#define POLICY_DEFER_CODE 450

/* Append the action= line for v (borrowed) and spf (NULL: no SPF check ran) to out. */
void policy_reply_build(const struct engine_verdict *v, const struct spf_outcome *spf,
			const cfg_t *cfg, struct buf *out);

#endif
