/* fuzz_history - the stats history reader (common/stats_history) on
 * untrusted bytes: each input is parsed line by line with
 * stats_history_parse() and also read back as a history file through
 * stats_history_read(); a record that parses holds a src and a time. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats_history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct stats_history_rec *rec, void *ctx)
{
	if (rec->src[0] == '\0' || rec->t < 0 || strlen(rec->src) >= sizeof(rec->src))
		abort();
	++*(size_t *)ctx;
	return 0;
}

/* A private folder for the file form of the input, made once, under
 * $TMPDIR when set: on a disk file system the file writes, not the parser,
 * take most of each run, so long runs point TMPDIR at a tmpfs. */
static const char *fuzz_dir(void)
{
	static char dir[256];

	if (dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");
		if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 200)
			tmp = "/tmp";
		snprintf(dir, sizeof(dir), "%s/fuzz_history.XXXXXX", tmp);
		if (mkdtemp(dir) == NULL)
			abort();
	}
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	size_t parsed = 0, read = 0, bad = 0;
	struct stats_history_rec rec;
	const char *why;
	char path[320], *first_bad = NULL, *err = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && memchr(p, '\0', len) == NULL && stats_history_parse(p, len, &rec, &why) == 0) {
			count(&rec, &read);
			parsed++;
		}
		p += len + 1;
	}
	read = 0;
	snprintf(path, sizeof(path), "%s/history-20260101.log", fuzz_dir());
	FILE *f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (stats_history_read(fuzz_dir(), 0, count, &read, &bad, &first_bad, &err) < 0)
		abort();
	free(first_bad);
	return 0;
}
