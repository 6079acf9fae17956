/*
 * sha256 - SHA-256 (FIPS 180-4) of a byte string, for the integrity hash
 * X-ARF v4 recommends on evidence items ("sha256:" and 64 hex digits).
 * Pure functions; reentrant.
 */
#ifndef RELAYGUARD_SHA256_H
#define RELAYGUARD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* The digest of data[0..len) as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
