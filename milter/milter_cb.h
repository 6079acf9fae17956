/*
 * milter_cb - the libmilter callbacks of relayguard-milter, the
 * per-connection context, and the configuration generations they run on.
 *
 * One SMTP connection = one libmilter thread = one struct milter_conn,
 * attached with smfi_setpriv() in xxfi_negotiate (or the first callback
 * when the MTA does not negotiate) and freed in xxfi_close, which libmilter
 * calls once at the end of every connection: after a reject, an abort, an
 * MTA that hangs up early, or a negotiation that failed.
 *
 * Where the check runs (the verdict is applied at milter_reject_stage):
 *   connect  the check runs in xxfi_connect (no HELO name yet).
 *   helo     the check runs in xxfi_helo, again for every HELO; a client
 *            that skips HELO is checked (and refused) in xxfi_envfrom.
 *   rcpt     (default) xxfi_connect only starts the DNS work (a prefetch that
 *            warms the engine's shared in-flight lookups and cache, without
 *            waiting; skipped for a client whose check answered fully within
 *            the last min(dnsbl_min_ttl, dnsbl_negative_ttl, 60 s): its
 *            answers are cached); the check runs at the first RCPT of every
 *            transaction, with the HELO name, the sender and {auth_authen}, so RHSBL lists
 *            and skip_authenticated work and the MTA logs sender and
 *            recipient of what it refused.
 * The check waits at most dnsbl_timeout + MILTER_CHECK_MARGIN_MS; a check
 * that does not answer in time, an engine that is gone, or a verdict for
 * which no source could answer (overriding lookup_error_action) becomes
 * milter_error_action (accept, or tempfail with tempfail_code/_dsn).
 * A tag, quarantine or log verdict is applied at end of message: one
 * tag_header with the engine's header value (tag and quarantine), every copy
 * that came with the message deleted first; quarantine also calls
 * smfi_quarantine() with quarantine_reason.  With tag_header empty the
 * filter asks the MTA for no headers at all (SMFIP_NOHDRS).
 *
 * SPF (spf = tag|reject) runs in xxfi_envfrom for a client that is not
 * local and whose engine verdict says SPF applies (spf_applies: not
 * authenticated, neither skipped, allowlisted nor refused; the engine
 * decides, as for relayguard-policyd; at stages connect and helo the engine
 * is asked again at MAIL FROM, with the sender and {auth_authen}); at
 * milter_reject_stage = rcpt the engine's check therefore runs at MAIL FROM
 * (its verdict is still applied at RCPT).  A null sender checks the HELO
 * name.  spf = reject refuses an SPF "fail" at MAIL FROM with reject_code
 * reject_dsn "SPF: <explanation>" (so MAIL is never negotiated "no reply");
 * any other result, and every result with spf = tag, is added at end of
 * message as a Received-SPF header inserted on top (smfi_insheader(0), else
 * smfi_addheader()); Received-SPF headers of earlier hops are kept.  The
 * check blocks the connection's thread in libspf2 (at most dnsbl_timeout per
 * DNS lookup).  Each connection makes its own spf_t, with dns_servers,
 * dnsbl_timeout and myhostname of its generation, at its first check and
 * frees it at close; a generation with spf settings libspf2 refuses is
 * refused at start/reload.
 *
 * Generations (milter_gen): milter_cb_start() and every milter_cb_reload()
 * make one; a connection keeps the generation that was current when it
 * started for its whole life; the previous one stops with its last connection.
 *
 * milter_early_accept: a complete pass known at connect (at stage connect
 * from the check there, at the other stages from milter_recent's table of
 * recent passes) returns "accept" for the whole connection, so the MTA sends
 * no more events; only when no RHSBL site or SPF needs what comes later.
 *
 * Thread-safety: every function may be called from any thread; the
 * generation pointer is swapped under a mutex, no lock is held while a check
 * waits.  The callbacks are only meant to be called by libmilter.
 */
#ifndef RELAYGUARD_MILTER_CB_H
#define RELAYGUARD_MILTER_CB_H

#include <stdbool.h>

#include <libmilter/mfapi.h>

#include "cfg.h"

/* How long past dnsbl_timeout a callback waits for the engine. */
#define MILTER_CHECK_MARGIN_MS 500
/* Width of one line of a multi-line SMTP reply (smfi_setmlreply()). */
#define MILTER_REPLY_WIDTH 200
/* Text of the tempfail reply when a check fails and milter_error_action = tempfail. */
#define MILTER_ERROR_TEXT "Service temporarily unavailable; please try again later"
/* Longest sender address and HELO name kept for the engine (longer: cut). */
#define MILTER_ARG_MAX 1024

/*
 * Make the first generation from cfg (a reference is taken) and start its
 * engine thread.  Returns 0, or -1 with *error_r (caller frees).
 */
int milter_cb_start(cfg_t *cfg, char **error_r) __attribute__((warn_unused_result));

/*
 * Switch new connections to cfg (a reference is taken).  On failure
 * (-1, *error_r set, caller frees) the current generation stays.
 */
int milter_cb_reload(cfg_t *cfg, char **error_r) __attribute__((warn_unused_result));

/*
 * Drop the current generation, then wait at most wait_ms for the
 * connections still running to close (their generations stop with them).
 * Returns true when everything was stopped and freed.  New connections after
 * this pass unchecked.
 */
bool milter_cb_stop(unsigned wait_ms);

/* The filter description for smfi_register(): name and callbacks (static). */
struct smfiDesc *milter_cb_desc(void);

/*
 * Turn a socket setting into libmilter's syntax ("inet:PORT@[ADDR]",
 * "inet6:PORT@[ADDR]", "unix:/path") and append it to out.
 */
void milter_cb_socket_spec(const struct cfg_socket *s, struct buf *out);

#endif
