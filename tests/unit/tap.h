/*
 * tap.h - a minimal TAP producer for the unit tests (Automake's tap-driver).
 *
 * Each check prints "ok N - name" or "not ok N - name" plus a diagnostic;
 * tap_done() prints the plan and returns the exit status (0 when all passed).
 * Header-only: every test program includes it once.
 */
#ifndef RELAYGUARD_TAP_H
#define RELAYGUARD_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline bool __attribute__((format(printf, 2, 3))) ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline void __attribute__((format(printf, 1, 2))) tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Compare integers; prints both on failure. */
#define is_int(got, want, ...)                                                          \
	do {                                                                            \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);        \
		if (!ok(tap_g_ == tap_w_, __VA_ARGS__))                                 \
			tap_diag("  got %lld, expected %lld", tap_g_, tap_w_);          \
	} while (0)

/* Compare strings (NULL-safe); prints both on failure. */
#define is_str(got, want, ...)                                                          \
	do {                                                                            \
		const char *tap_g_ = (got), *tap_w_ = (want);                           \
		bool tap_same_ = (tap_g_ == NULL || tap_w_ == NULL) ? tap_g_ == tap_w_  \
								    : strcmp(tap_g_, tap_w_) == 0; \
		if (!ok(tap_same_, __VA_ARGS__))                                        \
			tap_diag("  got \"%s\", expected \"%s\"", tap_g_ ? tap_g_ : "(null)", \
				 tap_w_ ? tap_w_ : "(null)");                           \
	} while (0)

/* One check not run, with a reason (TAP "ok N # SKIP why"). */
static inline void tap_skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_count, why);
	fflush(stdout);
}

/* Skip the whole program with a reason (TAP "1..0 # SKIP"). */
static inline int tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif
