/* redis_slot - Redis Cluster hash slots; see redis_slot.h. */
#include "config.h"

#include <string.h>

#include "redis_slot.h"

uint16_t redis_crc16(const char *s, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((unsigned char)s[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) != 0 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned redis_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len);

	if (open != NULL) {
		size_t rest = len - (size_t)(open + 1 - key);
		const char *close = memchr(open + 1, '}', rest);
		if (close != NULL && close > open + 1)
			return redis_crc16(open + 1, (size_t)(close - open - 1)) % REDIS_SLOTS;
	}
	return redis_crc16(key, len) % REDIS_SLOTS;
}
