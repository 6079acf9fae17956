/* fuzz_cfg - cfg_load_mem on arbitrary bytes: a config or one clean error
 * text, never a crash or a leak; a good config formats every value. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cfg_t *cfg = NULL;
	char *error = NULL;

	if (cfg_load_mem("fuzz.conf", (const char *)data, size, &cfg, &error) == 0) {
		struct buf out = BUF_INIT;
		if (cfg == NULL || error != NULL)
			abort();
		for (int i = 0; i < CFG__COUNT; i++)
			cfg_format_value(cfg, (enum cfg_id)i, &out);
		buf_free(&out);
		cfg_unref(&cfg);
	} else {
		/* Messages quote bad bytes escaped: the text stays printable lines. */
		if (cfg != NULL || error == NULL || strncmp(error, "fuzz.conf:", 10) != 0)
			abort();
		for (const char *p = error; *p; p++) {
			if ((unsigned char)*p < 0x20 && *p != '\n')
				abort();
		}
		free(error);
	}
	return 0;
}
