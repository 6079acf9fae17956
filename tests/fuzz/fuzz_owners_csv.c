/* fuzz_owners_csv - the owners CSV reader (common/owners_csv.c) alone, on
 * untrusted files: no crash, no leak; no more networks kept than records;
 * and the networks the file names are looked up, each lookup giving bounded
 * strings, a contact that is "" or a valid mailbox, and an explanation in
 * printable ASCII.  (fuzz_owners runs RPSL and CSV on the same bytes; this
 * target spends all its time on the CSV grammar and probes the addresses
 * the input itself writes, so lookups hit what was loaded.) */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox.h"
#include "owners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROBES_MAX 16

static void check(const owners_t *o, const addr_t *a)
{
	struct owner_info info;
	struct buf why = BUF_INIT;

	if (!owners_lookup(o, a, &info, NULL))
		return;
	if (strlen(info.network) >= sizeof(info.network) || strlen(info.netname) > OWNERS_VALUE_MAX ||
	    strlen(info.abuse) > OWNERS_VALUE_MAX || (info.abuse[0] != '\0' && !mailbox_valid(info.abuse)) ||
	    (info.abuse[0] == '\0' && info.why == OWNER_WHY_NONE) ||
	    (info.abuse[0] != '\0' && info.via != OWNER_VIA_MAILBOX))
		abort();
	owners_explain(&info, &why);
	for (size_t i = 0; i < why.len; i++)
		if (why.data[i] < ' ' || why.data[i] >= 0x7f)
			abort();
	buf_free(&why);
}

/* The start of each line up to '/', '-', ',' or a blank, as an address. */
static size_t probes_from(const uint8_t *data, size_t size, addr_t probes[PROBES_MAX])
{
	size_t n = 0, i = 0;

	while (i < size && n < PROBES_MAX) {
		char text[64];
		size_t len = 0;
		while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '"'))
			i++;
		while (i < size && len < sizeof(text) - 1 && strchr("/-,\" \t\r\n", data[i]) == NULL && data[i] != '\0')
			text[len++] = (char)data[i++];
		text[len] = '\0';
		if (addr_parse(text, &probes[n]) == 0)
			n++;
		while (i < size && data[i] != '\n')
			i++;
		i++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	addr_t probes[PROBES_MAX];
	struct owners_stats st;
	size_t lines = 1;
	char *err = NULL;

	if (size == 0)
		return 0;
	log_set_level(LOG_LVL_ERROR);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	owners_t *o = owners_new();
	FILE *fp = fmemopen((void *)data, size, "r");
	if (fp == NULL)
		abort();
	if (owners_load_stream(o, fp, "fuzz.csv", true, &err) != 0)
		free(err);
	fclose(fp);
	owners_finish(o);
	owners_stats(o, &st);
	/* one network per record at most, and a CSV file names no contact objects */
	if (st.objects > lines || st.handles != 0)
		abort();
	size_t n = probes_from(data, size, probes);
	for (size_t i = 0; i < n; i++)
		check(o, &probes[i]);
	owners_free(&o);
	return 0;
}
