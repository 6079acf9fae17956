/* fuzz_redis_sentinel - the parsers of common/redis_sentinel: a sentinel
 * target ("sentinel:NAME@HOST:PORT,..."), a Sentinel list, and a
 * +switch-master message (untrusted: it comes from the network).  What
 * parses must be consistent; nothing may read outside the input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redis_sentinel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy for the length-bounded parser, a NUL-terminated one
	 * for the string parsers. */
	char *v = malloc(size ? size : 1), *s = malloc(size + 1);
	struct redis_sentinel_spec spec;
	struct redis_sentinel_addr a;
	const char *why;
	char text[64];

	if (v == NULL || s == NULL) {
		free(v);
		free(s);
		return 0;
	}
	memcpy(v, data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	if (redis_sentinel_parse_switch(v, size, "mymaster", &a) == 1) {
		if (a.port < 1 || a.port > 65535)
			abort();
		redis_sentinel_addr_format(&a, text, sizeof(text));
	}
	if (redis_sentinel_parse(s, &spec, &why) == 0) {
		if (spec.n < 1 || spec.n > REDIS_SENTINELS_MAX || !redis_sentinel_name_ok(spec.master))
			abort();
		for (size_t i = 0; i < spec.n; i++)
			redis_sentinel_addr_format(&spec.sentinels[i], text, sizeof(text));
	}
	if (redis_sentinel_parse_list(s, &spec, &why) == 0 && (spec.n < 1 || spec.n > REDIS_SENTINELS_MAX))
		abort();
	free(v);
	free(s);
	return 0;
}
