/*
 * clock - monotonic time for deadlines, expiry and latency figures; wall
 * time for what travels between servers.
 * Thread-safe; never fails on Linux.
 */
#ifndef RELAYGUARD_CLOCK_H
#define RELAYGUARD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t clock_now_ms(void)
{
	return clock_now_us() / 1000u;
}

/* Wall-clock milliseconds since the epoch: for times that travel between
 * servers (shared zone health), never for deadlines. */
static inline int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time ms from now on clock id, for pthread_cond_timedwait() and the like. */
static inline struct timespec clock_deadline(clockid_t id, unsigned long long ms)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
