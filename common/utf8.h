/*
 * utf8 - where text must be valid UTF-8 (JSON, mail text), which bytes are.
 * Pure functions; reentrant.
 */
#ifndef RELAYGUARD_UTF8_H
#define RELAYGUARD_UTF8_H

#include <stddef.h>

/*
 * The length (1-4) of the valid UTF-8 sequence at s, of which n bytes are
 * readable, and its code point in *cp_r; 0 when the bytes there are not one
 * (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF, no
 * sequence cut short).  n must be at least 1.
 */
size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp_r);

#endif
