/*
 * buf - the one owned, growing, bounds-checked byte/string buffer.
 *
 * A struct buf owns its storage.  data is always NUL-terminated after any
 * call here (so buf_cstr() is free), and len never counts that NUL.  Growth
 * aborts on OOM (see mem.h).  Embedded NULs are allowed in the bytes.
 *
 * Lifetime: buf_init() or BUF_INIT before use, buf_free() when done.
 * buf_detach() hands the storage to the caller (caller frees with free()).
 * Not thread-safe: one buffer, one thread.
 */
#ifndef RELAYGUARD_BUF_H
#define RELAYGUARD_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append; buf_cstr() returns "" then */
	size_t len;	/* bytes used, excluding the terminating NUL */
	size_t cap;	/* bytes allocated */
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
/* Release the storage; the buffer is then empty and may be reused. */
void buf_free(struct buf *b);
/* Empty the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/* Make room for at least extra more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t extra);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Cut the buffer to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

/* The contents as a C string; valid until the next change to the buffer. */
const char *buf_cstr(const struct buf *b);
/* Hand the storage to the caller (caller frees); the buffer becomes empty. */
char *buf_detach(struct buf *b);

#endif
