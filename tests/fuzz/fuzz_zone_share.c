/* fuzz_zone_share - the shared zone health value codec: whatever parses must
 * format back to the same bytes, and nothing may read outside the input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "zone_share.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *v = malloc(size ? size : 1);
	struct zone_share_value zv;

	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	if (zone_share_value_parse(v, size, &zv) == 0) {
		struct buf out = BUF_INIT;
		if (zone_share_value_format(&zv, &out) != 0 || out.len != size ||
		    memcmp(out.data, v, size) != 0)
			abort();
		buf_free(&out);
	}
	free(v);
	return 0;
}
