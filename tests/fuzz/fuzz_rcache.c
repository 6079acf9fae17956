/* fuzz_rcache - the Redis value codec: whatever parses must format back to
 * the same bytes, and nothing may read outside the input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *v = malloc(size ? size : 1);
	struct rcache_entry e;
	size_t txt_len;

	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	if (rcache_value_parse(v, size, &e, &txt_len) == 0) {
		struct buf out = BUF_INIT;
		char *txt = e.txt != NULL ? strndup(e.txt, txt_len) : NULL;
		e.txt = txt;
		if (rcache_value_format(&e, &out) != 0 || out.len != size ||
		    memcmp(out.data, v, size) != 0)
			abort();
		free(txt);
		buf_free(&out);
	}
	free(v);
	return 0;
}
