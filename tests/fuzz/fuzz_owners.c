/* fuzz_owners - the RPSL and CSV owners parsers on untrusted files: no
 * crash, and every lookup after loading returns consistent strings. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "owners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probes[] = { "192.0.2.1", "10.0.0.1", "2001:db8::1", "0.0.0.0" };

	log_set_level(LOG_LVL_ERROR);
	for (int csv = 0; csv < 2 && size > 0; csv++) {
		owners_t *o = owners_new();
		char *err = NULL;
		FILE *fp = fmemopen((void *)data, size, "r");
		if (fp == NULL)
			abort();
		if (owners_load_stream(o, fp, "fuzz", csv != 0, &err) != 0)
			free(err);
		fclose(fp);
		owners_finish(o);
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			addr_t a;
			struct owner_info info;
			if (addr_parse(probes[i], &a) == 0 && owners_lookup(o, &a, &info, NULL) &&
			    (strlen(info.netname) > OWNERS_VALUE_MAX || strlen(info.abuse) > OWNERS_VALUE_MAX))
				abort();
		}
		owners_free(&o);
	}
	return 0;
}
