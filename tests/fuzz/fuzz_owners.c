/* fuzz_owners - the RPSL, ARIN and CSV owners parsers and the contact
 * resolution on untrusted files: no crash, and every lookup afterwards
 * returns bounded strings, a contact that is "" or a valid mailbox, and an
 * explanation in printable ASCII. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox.h"
#include "owners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const owners_t *o, const char *text)
{
	addr_t a;
	struct owner_info info;
	struct buf why = BUF_INIT;

	if (addr_parse(text, &a) != 0 || !owners_lookup(o, &a, &info, NULL))
		return;
	if (strlen(info.netname) > OWNERS_VALUE_MAX || strlen(info.abuse) > OWNERS_VALUE_MAX ||
	    (info.abuse[0] != '\0' && !mailbox_valid(info.abuse)) ||
	    (info.abuse[0] == '\0' && info.why == OWNER_WHY_NONE) || (info.abuse[0] != '\0' && info.via == OWNER_VIA_NONE))
		abort();
	owners_explain(&info, &why);
	for (size_t i = 0; i < why.len; i++)
		if (why.data[i] < ' ' || why.data[i] >= 0x7f)
			abort();
	buf_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probes[] = { "192.0.2.1",	"10.0.0.1",    "2001:db8::1", "0.0.0.0",
					      "198.51.100.7", "100.64.1.5", "45.0.2.1",    "2001:db8:1::1" };

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
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			check(o, probes[i]);
		owners_free(&o);
	}
	return 0;
}
