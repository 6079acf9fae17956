/*
 * mem - allocation that never returns NULL.
 *
 * relayguard treats an out-of-memory condition as fatal: every x*() here logs
 * and aborts instead of returning NULL, so callers never test the result.
 * The creator of an allocation frees it; functions that hand ownership to the
 * caller say so in their header ("caller frees").
 *
 * Thread-safe (thin wrappers over the C library).
 */
#ifndef RELAYGUARD_MEM_H
#define RELAYGUARD_MEM_H

#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t count, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* reallocarray that aborts on overflow or OOM */
void *xreallocarray(void *p, size_t count, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));

/*
 * strlcpy-like copy into a fixed field: copies at most size-1 bytes and
 * NUL-terminates.  Returns 0, or -1 when the source did not fit (the
 * destination then holds the truncated prefix).  Use it only where a fixed
 * field is unavoidable; prefer struct buf.
 */
int str_copy(char *dst, const char *src, size_t size) __attribute__((warn_unused_result));

#endif
