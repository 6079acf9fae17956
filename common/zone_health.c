/*
 * zone_health - one zone's health state from our probes and the fleet's
 * verdict.  Contract in zone_health.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "zone_health.h"

const char *zone_state_name(enum zone_state s)
{
	switch (s) {
	case ZONE_UNPROBED: return "unprobed";
	case ZONE_IN_SERVICE: return "in_service";
	case ZONE_SUSPENDED: return "suspended";
	}
	return "unknown";
}

const char *zone_state_label(enum zone_state s)
{
	switch (s) {
	case ZONE_UNPROBED: return "not yet probed";
	case ZONE_IN_SERVICE: return "in service";
	case ZONE_SUSPENDED: return "suspended";
	}
	return "unknown";
}

void zone_why_printf(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, ZONE_WHY_MAX, fmt, ap);	/* cut: a reason is for people */
	va_end(ap);
}

/* Copy src into dst[ZONE_WHY_MAX], cut if needed. */
static void why_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* The state and reason the rules of zone_health.h give, into *state_r and why. */
static enum zone_state decide(const struct zone_health *h, char why[ZONE_WHY_MAX])
{
	if (h->dead) {
		why_copy(why, ZONE_WHY_MAX, h->round_why);
		return ZONE_SUSPENDED;
	}
	if (h->failures >= ZONE_FAILED_ROUNDS) {
		zone_why_printf(why, "%u probe rounds failed in a row, the last: %s", h->failures,
			 h->round_why);
		return ZONE_SUSPENDED;
	}
	if (h->shared_dead) {
		zone_why_printf(why, "shared from Redis by host %s: %s", h->shared_host,
			 h->shared_why);
		return ZONE_SUSPENDED;
	}
	if (!h->passed) {
		if (h->failures > 0)
			zone_why_printf(why, "no probe round has passed yet, the last: %s",
				 h->round_why);
		else
			why_copy(why, ZONE_WHY_MAX, "waiting for the first probe round");
		return ZONE_UNPROBED;
	}
	why_copy(why, ZONE_WHY_MAX, h->round_why);
	return ZONE_IN_SERVICE;
}

/* Apply the rules; log and return true when the state changed. */
static bool update(struct zone_health *h, int64_t now_ms)
{
	char why[ZONE_WHY_MAX];
	enum zone_state s = decide(h, why);
	bool changed = s != h->state;

	memcpy(h->why, why, sizeof(why));
	if (!changed)
		return false;
	struct buf line = BUF_INIT;
	log_kv_str(&line, "zone", h->zone);
	log_kv_str(&line, "state", zone_state_name(s));
	log_kv_str(&line, "was", zone_state_name(h->state));
	log_kv_str(&line, "reason", why);
	if (s == ZONE_SUSPENDED)
		log_warning("dnsbl %s: its answers no longer count", buf_cstr(&line));
	else if (s == ZONE_IN_SERVICE)
		log_notice("dnsbl %s: its answers count", buf_cstr(&line));
	else
		log_notice("dnsbl %s", buf_cstr(&line));
	buf_free(&line);
	h->state = s;
	h->since_ms = now_ms;
	return true;
}

void zone_health_init(struct zone_health *h, const char *zone, bool probed, int64_t now_ms)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->zone, sizeof(h->zone), "%s", zone);
	h->probed = probed;
	h->since_ms = now_ms;
	if (probed) {
		h->state = ZONE_UNPROBED;
		why_copy(h->why, sizeof(h->why), "waiting for the first probe round");
	} else {
		h->state = ZONE_IN_SERVICE;
		h->passed = true;
		why_copy(h->why, sizeof(h->why), "health probes are off (dnsbl_probe_interval = 0)");
		why_copy(h->round_why, sizeof(h->round_why), h->why);
	}
}

bool zone_health_round(struct zone_health *h, enum zone_round r, const char *why, int64_t now_ms)
{
	if (!h->probed)
		return false;
	why_copy(h->round_why, sizeof(h->round_why), why);
	h->dead = r == ZONE_ROUND_DEAD;
	if (r == ZONE_ROUND_PASS) {
		h->passed = true;
		h->failures = 0;
	} else if (r == ZONE_ROUND_FAILED && h->failures < ZONE_FAILED_ROUNDS * 1000u) {
		h->failures++;
	}
	return update(h, now_ms);
}

bool zone_health_shared(struct zone_health *h, const char *host, const char *why, int64_t at_ms,
			int64_t now_ms)
{
	if (!h->probed)
		return false;
	h->shared_dead = host != NULL;
	if (host != NULL) {
		snprintf(h->shared_host, sizeof(h->shared_host), "%s", host);
		why_copy(h->shared_why, sizeof(h->shared_why), why);
		h->shared_at_ms = at_ms;
	}
	return update(h, now_ms);
}
