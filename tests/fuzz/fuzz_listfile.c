/*
 * fuzz_listfile - listfile_load_mem on arbitrary bytes, then the loaded list
 * must agree with itself: ranges sorted and disjoint, and a lookup at both
 * ends of every range finds that range's code and text.
 *
 * Input: the first byte picks the format (bits 0, 1 and 3: auto, ip4set,
 * ip6tset, cidr, ip4trie, ip6trie, then auto and ip4set again) and
 * abort_on_bad_line (bit 2); the rest is the file.  Every expanded TXT answer
 * must fit rbldnsd's LFSYNTAX_TXT_MAX bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "lfsyntax.h"
#include "listfile.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const listfile_t *list;
	addr_t prev_last;
	bool have_prev;
};

static int check_range(const addr_t *first, const addr_t *last, uint32_t code, const char *text,
		       void *vctx)
{
	struct check *c = vctx;
	struct listfile_hit hit;

	if (addr_cmp(first, last) > 0 || (c->have_prev && addr_cmp(&c->prev_last, first) >= 0))
		abort();
	for (int i = 0; i < 2; i++) {
		struct buf out = BUF_INIT;
		if (!listfile_lookup(c->list, i ? last : first, &hit) || hit.code != code ||
		    hit.text != text)
			abort();
		if (text != NULL)
			listfile_expand_text(text, i ? last : first, &out);
		if (out.len > LFSYNTAX_TXT_MAX)
			abort();
		buf_free(&out);
	}
	c->prev_last = *last;
	c->have_prev = true;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum listfile_format formats[] = {
		LISTFILE_AUTO,	  LISTFILE_IP4SET,  LISTFILE_IP6TSET, LISTFILE_CIDR,
		LISTFILE_IP4TRIE, LISTFILE_IP6TRIE, LISTFILE_AUTO,    LISTFILE_IP4SET,
	};
	listfile_t *list = NULL;
	char *error = NULL;

	if (size == 0)
		return 0;
	log_set_level(LOG_LVL_ERROR);	/* bad lines are expected; keep the output short */
	struct listfile_opts opts = { .format = formats[(data[0] & 3) | (data[0] & 8) >> 1],
				      .abort_on_bad_line = (data[0] & 4) != 0 };
	if (listfile_load_mem("fuzz", (const char *)data + 1, size - 1, &opts, &list, &error) != 0) {
		if (error == NULL || strncmp(error, "fuzz:", 5) != 0)
			abort();
		free(error);
		return 0;
	}
	struct check c = { list, { 0 }, false };
	if (listfile_walk_ranges(list, check_range, &c) != 0)
		abort();
	struct buf out = BUF_INIT;
	addr_t a = { .family = AF_INET };
	struct listfile_hit hit;
	if (listfile_lookup(list, &a, &hit) && hit.text != NULL)
		listfile_expand_text(hit.text, &a, &out);
	buf_free(&out);
	listfile_free(&list);
	return 0;
}
