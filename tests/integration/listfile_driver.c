/*
 * listfile_driver - load one list file the way file_lists and import do
 * (common/listfile) and answer for addresses read from standard input, one
 * per line, for tests/integration/listfile_oracle.py to compare with what
 * rbldnsd answers for the same file.
 *
 *   listfile_driver FORMAT FILE < ADDRS
 *
 * Per address one line: "ADDR<TAB>-" (not listed) or
 * "ADDR<TAB>CODE<TAB>TEXT" with the code dotted and the TXT answer expanded
 * ("" when there is none).  Exit 1 when the file does not load (bad lines
 * are skipped, as list_bad_line_action = skip does), 2 on usage errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listfile.h"
#include "log.h"

int main(int argc, char **argv)
{
	struct listfile_opts opts = { LISTFILE_AUTO, false };
	listfile_t *list = NULL;
	char *error = NULL, line[256];

	if (argc != 3 || listfile_format_parse(argv[1], &opts.format) != 0) {
		fprintf(stderr, "usage: listfile_driver auto|ip4set|ip4trie|ip6tset|ip6trie|cidr FILE\n");
		return 2;
	}
	log_set_level(LOG_LVL_ERROR);
	if (listfile_load(argv[2], &opts, &list, &error) != 0) {
		fprintf(stderr, "listfile_driver: %s\n", error);
		free(error);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct listfile_hit hit;
		struct buf txt = BUF_INIT;
		addr_t a;
		line[strcspn(line, "\r\n")] = '\0';
		if (addr_parse(line, &a) != 0) {
			printf("%s\tbad-address\n", line);
			continue;
		}
		if (!listfile_lookup(list, &a, &hit)) {
			printf("%s\t-\n", line);
			continue;
		}
		if (hit.text != NULL)
			listfile_expand_text(hit.text, &a, &txt);
		printf("%s\t%u.%u.%u.%u\t%s\n", line, hit.code >> 24, (hit.code >> 16) & 255,
		       (hit.code >> 8) & 255, hit.code & 255, buf_cstr(&txt));
		buf_free(&txt);
	}
	listfile_free(&list);
	return 0;
}
