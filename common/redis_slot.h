/*
 * redis_slot - the Redis Cluster hash slot of a key (CRC16/XMODEM mod 16384,
 * of the hash tag when the key has one: the bytes between the first '{' and
 * the next '}', if not empty).  Used by tests to prove that every multi-key
 * command and script of relayguard touches one slot (doc/redis-schema.md),
 * so the key schema works unchanged on standalone, Sentinel and Cluster.
 */
#ifndef RELAYGUARD_REDIS_SLOT_H
#define RELAYGUARD_REDIS_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_SLOTS 16384u

/* CRC16 (XMODEM: polynomial 0x1021, initial 0) of len bytes. */
uint16_t redis_crc16(const char *s, size_t len);

/* The slot of a key of len bytes (0..REDIS_SLOTS-1). */
unsigned redis_slot(const char *key, size_t len);

#endif
