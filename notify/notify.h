/*
 * notify - relayguard-notify's shared state: the settings it runs on and
 * the steps both queue back ends use (owner of an event, the notice for a
 * network).  notify.c runs on the Redis Stream, nspool.c on the spool
 * journal alone.  Single-threaded.
 */
#ifndef RELAYGUARD_NOTIFY_H
#define RELAYGUARD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "deliver.h"
#include "nagg.h"
#include "ncontact.h"
#include "notice.h"
#include "nsuppress.h"
#include "nverify.h"
#include "owners.h"
#include "report.h"

/* Events read in one step. */
#define NOTIFY_BATCH 1000u
/*
 * Reads go into one batch while the stream has more, the batch holds at
 * most NOTIFY_COMMIT_ROWS networks and addresses (the notifier's memory)
 * and NOTIFY_COMMIT_MAX events.  A network's events of the whole batch
 * cost Redis one APPEND and one ZINCRBY, so the larger the batch, the
 * more events share them; how long Redis is held (every other client
 * waits while a script runs) is bounded by the commit's chunks
 * (NQUEUE_CHUNK_NETS networks), not by the batch.
 */
#define NOTIFY_COMMIT_ROWS 200000u
#define NOTIFY_COMMIT_MAX 100000u
/* How long relayguard-notify waits for new events in one read (daemon). */
#define NOTIFY_BLOCK_MS 1000
/* Seconds between full scans for networks over the threshold (daemon). */
#define NOTIFY_DUE_SCAN_S 60
/* Notices delivered before one flush makes them final and they are recorded as sent. */
#define NOTIFY_FLUSH_MAX 1000u

struct notifier {
	cfg_t *cfg;
	owners_t *owners;
	deliver_t *deliver;	/* NULL with --dry-run */
	ncontact_t *contacts;	/* the fallback chain of contacts */
	nsuppress_t *suppress;	/* notify_suppress */
	nverify_t *verify;	/* notify_verify; NULL when off */
	char *template_text;
	char *from;		/* notify_from with $myhostname expanded */
	char *sender;		/* envelope sender: notify_envelope_sender or from's address */
	const char *consumer;
	bool once, dry_run;
	long long window_s, min_hits, interval_s, rate;
	volatile int stop;	/* set by SIGTERM/SIGINT */
	/* counters for the final log line */
	unsigned long long events, bad_events, notices, deferred, failed;
	bool rate_exhausted;	/* this hour's notify_rate is used up */
};

/* Which network an event belongs to (strings in scratch, owned by the caller). */
void notify_owner(const struct notifier *n, const addr_t *client, struct nagg_owner *owner_r,
		  struct buf *scratch);

/* Who receives a network's notice. */
enum notify_to {
	NOTIFY_TO_SEND,		/* to holds a valid mailbox, not suppressed */
	NOTIFY_TO_NONE,		/* no contact anywhere: why says why */
	NOTIFY_TO_SUPPRESSED,	/* the contact or the network is in notify_suppress: why names the entry */
};

/*
 * The contact of net now (the fallback chain, then notify_suppress):
 * appended to to; on NOTIFY_TO_NONE / _SUPPRESSED the reason to why.
 * The caller logs "nobody told" once per notify_interval with
 * notify_log_untold() (Redis: a marker key; spool: the state file).
 */
enum notify_to notify_recipient(struct notifier *n, const struct net_agg *net, struct buf *to, struct buf *why);
/* The log line of a network that gets no notice.  The callers call it once
 * per network and notify_interval, so it also counts the suppressed ones. */
void notify_log_untold(const struct net_agg *net, enum notify_to what, const char *why);
/* Notices notify_suppress held back since the start: one per network and
 * notify_interval (notify_log_untold() with NOTIFY_TO_SUPPRESSED).  The
 * notifier's thread only. */
unsigned long long notify_suppressed_total(void);

/* Render net's notice into out (to = its abuse address); fills id. */
void notify_render(const struct notifier *n, const struct net_agg *net, char id[NOTICE_ID_MAX],
		   struct buf *out);

/* What notify_render_verified() did. */
enum notify_rendered {
	NOTIFY_RENDERED,	/* out holds the notice */
	NOTIFY_UNCONFIRMED,	/* notify_require_confirmation and no host confirmed: no notice (logged) */
	NOTIFY_VERIFY_WAIT,	/* notify_verify_budget used up: no notice now, try in the next pass */
};
/*
 * notify_render() after notify_verify (nverify.h) when it is on: the
 * notice then carries the probe's evidence and, with
 * notify_require_confirmation, the confirmed hosts only.  The caller
 * releases its claim of the notice on anything but NOTIFY_RENDERED.
 */
enum notify_rendered notify_render_verified(struct notifier *n, struct net_agg *net, char id[NOTICE_ID_MAX],
					     struct buf *out);

/* The JSON line that logs a sent notice (relayguard-ctl notices). */
void notify_log_json(const struct net_agg *net, const char *id, const char *to, struct buf *out);

/*
 * Fill n from the configuration file config (NULL = the default): the
 * settings, privileges dropped, owners loaded, template, sender, contacts,
 * notify_suppress, the transport (none with n->dry_run).  n->once,
 * n->dry_run and n->consumer are the caller's (NULL consumer =
 * myhostname).  0, or -1 after logging why.  notify_release() in both cases.
 */
int notify_setup(struct notifier *n, const char *config) __attribute__((warn_unused_result));
/* Free what notify_setup() made (n itself is the caller's). */
void notify_release(struct notifier *n);

/* The Redis back end (notify.c): run until stopped (or once). 0 or 1 (exit status). */
int notify_run_redis(struct notifier *n);
/* --dry-run on Redis: the notices that are due printed, nothing written. 0 or 1. */
int notify_run_dry_redis(struct notifier *n);
/* The spool back end (nspool.c): run until stopped (or once). 0 or 1 (exit status). */
int nspool_run(struct notifier *n);

#endif
