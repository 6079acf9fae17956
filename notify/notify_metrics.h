/*
 * notify_metrics - relayguard-notify's metrics_listen: its counters as
 * Prometheus metrics (relayguard_notify_*).
 *
 * The notifier runs on one thread and counts in struct notifier without
 * locks; notify_metrics_publish(), called by its loop after each round
 * (at least every NOTIFY_BLOCK_MS or second), copies them under a mutex
 * for the serving thread.  notify_metrics_event() notes the time of each
 * event read, for the queue lag.  Without metrics_listen every call here
 * is a no-op.
 */
#ifndef RELAYGUARD_NOTIFY_METRICS_H
#define RELAYGUARD_NOTIFY_METRICS_H

#include "notify.h"

/* Bind and serve metrics_listen if set.  0, or -1 after logging why. */
int notify_metrics_start(const struct notifier *n);
/* The event of time (unix seconds) has just been read. */
void notify_metrics_event(long long time);
/* Copy n's counters for the next scrape. */
void notify_metrics_publish(const struct notifier *n);
/* Stop serving. */
void notify_metrics_stop(void);

#endif
