/*
 * notify_metrics - relayguard-notify's counters for metrics_listen.
 * See notify_metrics.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "notify_metrics.h"

/* What a scrape shows: copied from struct notifier by the notifier's thread. */
static struct {
	pthread_mutex_t lock;
	unsigned long long events, bad_events, notices, deferred, failed, suppressed;
	long long lag_s;		/* when the last event was read, minus when it was reported */
	long long last_read;		/* unix seconds of that read; 0 = none yet */
	bool verify;			/* notify_verify is on: its counters are shown */
	struct nverify_stats vs;
} pub = { .lock = PTHREAD_MUTEX_INITIALIZER };
static metrics_http_t *server;

static void counter(struct buf *out, const char *name, const char *help, unsigned long long v)
{
	metrics_family(out, name, METRICS_COUNTER, help);
	metrics_sample_u64(out, name, NULL, 0, v);
}

/* notify_verify's counters (nverify.h). */
static void verify_metrics(struct buf *out, const struct nverify_stats *vs)
{
	static const char probes[] = "relayguard_notify_probes_total", skipped[] = "relayguard_notify_probes_skipped_total";

	metrics_family(out, probes, METRICS_COUNTER, "hosts probed before a notice (notify_verify), by result");
	for (int o = 0; o <= NEV_NOT_TESTED; o++)
		metrics_sample_u64(out, probes,
				   &(struct metrics_label){ "result", nevidence_outcome_name((enum nevidence_outcome)o) },
				   1, vs->probes[o]);
	metrics_family(out, skipped, METRICS_COUNTER,
		       "hosts of a notice not probed now: a stored result reused (cached), outside "
		       "probe_allowed_targets (refused), a rate limit or lock (limited)");
	metrics_sample_u64(out, skipped, &(struct metrics_label){ "reason", "cached" }, 1, vs->cached);
	metrics_sample_u64(out, skipped, &(struct metrics_label){ "reason", "refused" }, 1, vs->refused);
	metrics_sample_u64(out, skipped, &(struct metrics_label){ "reason", "limited" }, 1, vs->limited);
	counter(out, "relayguard_notify_verify_waits_total",
		"notices put off to the next pass because notify_verify_budget was used up", vs->waited);
	counter(out, "relayguard_notify_unconfirmed_hosts_total",
		"hosts left out of a notice because the probe did not confirm them (notify_require_confirmation)",
		vs->hosts_dropped);
	counter(out, "relayguard_notify_unconfirmed_networks_total",
		"networks that got no notice because no host was confirmed (notify_require_confirmation)",
		vs->networks_unconfirmed);
}

static void collect(struct buf *out, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&pub.lock);
	unsigned long long events = pub.events, bad = pub.bad_events, sent = pub.notices,
			   deferred = pub.deferred, failed = pub.failed, suppressed = pub.suppressed;
	long long lag = pub.lag_s, last = pub.last_read;
	bool verify = pub.verify;
	struct nverify_stats vs = pub.vs;
	pthread_mutex_unlock(&pub.lock);

	counter(out, "relayguard_notify_events_total", "report events read from the queue", events);
	counter(out, "relayguard_notify_events_unreadable_total", "queue entries that were not report events",
		bad);
	metrics_family(out, "relayguard_notify_notices_total", METRICS_COUNTER,
		       "notices: sent, deferred (notify_rate reached), failed (delivery refused), "
		       "suppressed (notify_suppress; once per network and notify_interval)");
	metrics_sample_u64(out, "relayguard_notify_notices_total", &(struct metrics_label){ "result", "sent" }, 1,
			   sent);
	metrics_sample_u64(out, "relayguard_notify_notices_total", &(struct metrics_label){ "result", "deferred" },
			   1, deferred);
	metrics_sample_u64(out, "relayguard_notify_notices_total", &(struct metrics_label){ "result", "failed" }, 1,
			   failed);
	metrics_sample_u64(out, "relayguard_notify_notices_total", &(struct metrics_label){ "result", "suppressed" },
			   1, suppressed);
	metrics_family(out, "relayguard_notify_queue_lag_seconds", METRICS_GAUGE,
		       "age of the last event read when it was read (0 before the first)");
	metrics_sample_u64(out, "relayguard_notify_queue_lag_seconds", NULL, 0, lag > 0 ? (uint64_t)lag : 0);
	metrics_family(out, "relayguard_notify_last_read_timestamp_seconds", METRICS_GAUGE,
		       "when the last event was read (unix time; 0 before the first)");
	metrics_sample_u64(out, "relayguard_notify_last_read_timestamp_seconds", NULL, 0,
			   last > 0 ? (uint64_t)last : 0);
	if (verify)
		verify_metrics(out, &vs);
}

int notify_metrics_start(const struct notifier *n)
{
	char listen[METRICS_LISTEN_ITEM_MAX];
	char *err = NULL;

	metrics_http_listen_for(cfg_str(n->cfg, CFG_METRICS_LISTEN), "notify", listen);
	if (*listen == '\0')
		return 0;
	if (metrics_http_new(listen, cfg_bool(n->cfg, CFG_METRICS_ALLOW_REMOTE), collect, NULL, &server, &err) != 0 ||
	    metrics_http_start(server, &err) != 0) {
		log_error("%s", err);
		free(err);
		metrics_http_free(&server);
		return -1;
	}
	notify_metrics_publish(n);
	return 0;
}

void notify_metrics_event(long long t)
{
	if (server == NULL)
		return;
	long long now = (long long)time(NULL);
	pthread_mutex_lock(&pub.lock);
	pub.lag_s = now - t;
	pub.last_read = now;
	pthread_mutex_unlock(&pub.lock);
}

void notify_metrics_publish(const struct notifier *n)
{
	if (server == NULL)
		return;
	pthread_mutex_lock(&pub.lock);
	pub.events = n->events;
	pub.bad_events = n->bad_events;
	pub.notices = n->notices;
	pub.deferred = n->deferred;
	pub.failed = n->failed;
	pub.verify = n->verify != NULL;
	nverify_stats(n->verify, &pub.vs);
	pub.suppressed = notify_suppressed_total();
	pthread_mutex_unlock(&pub.lock);
}

void notify_metrics_stop(void)
{
	metrics_http_free(&server);
}
