/*
 * clock - monotonic time for deadlines, expiry and latency figures.
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

#endif
