/*
 * replay - run a libFuzzer target over its seed corpus, as a TAP test.
 *
 * Every fuzz target under tests/fuzz defines LLVMFuzzerTestOneInput().  In
 * a normal build it is linked with this file and replayed over
 * $top_srcdir/tests/fuzz/corpus/<FUZZ_NAME>/ by `make check`, so the seeds
 * (and every crash input added to them) are regression tests under ASan and
 * UBSan.  With --enable-fuzzing the same target is linked with
 * -fsanitize=fuzzer instead, and this file is not used.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as with libFuzzer: a target that needs setup defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;
	int failed = 0;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_NAME);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("1..1\nnot ok 1 - corpus folder %s missing\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (count + 1) * sizeof(*names));
		names[count++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);
	printf("1..%zu\n", count ? count : 1);
	if (count == 0)
		printf("not ok 1 - corpus %s is empty\n", dir);
	for (size_t i = 0; i < count; i++) {
		struct buf input = BUF_INIT;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_file(path, &input) != 0) {
			printf("not ok %zu - %s unreadable\n", i + 1, names[i]);
			failed++;
		} else {
			/* A crash or sanitizer report aborts the program: the harness sees it. */
			LLVMFuzzerTestOneInput((const uint8_t *)input.data, input.len);
			printf("ok %zu - %s %s\n", i + 1, FUZZ_NAME, names[i]);
		}
		buf_free(&input);
		free(names[i]);
	}
	free(names);
	return failed || count == 0 ? 1 : 0;
}
