/*
 * listfile_driver - load one list file the way file_lists and import do
 * (common/listfile) and answer for addresses read from standard input, one
 * per line, for tests/integration/listfile_oracle.py to compare with what
 * rbldnsd answers for the same file.
 *
 *   listfile_driver FORMAT FILE < ADDRS
 *   listfile_driver --redis SERVER PREFIX FORMAT FILE < ADDRS
 *       the same answers through Redis: the file is imported as list
 *       "oracle" (rlists_import, as relayguard-ctl import --skip-bad-lines
 *       does) and each address is looked up with rlists_lookup
 *
 * Per address one line: "ADDR<TAB>-" (not listed) or
 * "ADDR<TAB>CODE<TAB>TEXT" with the code dotted and the TXT answer expanded
 * ("" when there is none).  Exit 1 when the file does not load (bad lines
 * are skipped, as list_bad_line_action = skip does), 2 on usage errors.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listfile.h"
#include "log.h"
#include "rcache.h"
#include "rlists.h"

/* How long to wait for the Redis connection. */
#define DRIVER_CONNECT_MS 3000

static void print_answer(const char *addr, bool listed, uint32_t code, const char *text)
{
	if (!listed) {
		printf("%s\t-\n", addr);
		return;
	}
	printf("%s\t%u.%u.%u.%u\t%s\n", addr, code >> 24, (code >> 16) & 255, (code >> 8) & 255,
	       code & 255, text != NULL ? text : "");
}

/* ---- Redis: import, then one lookup at a time ---------------------------- */

struct one {
	struct event_base *base;
	const char *addr;
	int rc;
};

static void one_cb(const struct rlists_result *res, size_t n, void *ctx)
{
	struct one *o = ctx;

	if (n != 1 || res[0].answer == RLISTS_ERROR) {
		fprintf(stderr, "listfile_driver: lookup %s: %s\n", o->addr,
			n == 1 ? res[0].error : "no result");
		o->rc = 1;
	} else {
		print_answer(o->addr, res[0].answer == RLISTS_LISTED, res[0].code, res[0].text);
	}
	event_base_loopbreak(o->base);
}

static int run_redis(const char *server, const char *prefix, enum listfile_format fmt,
		     const char *path)
{
	struct rlists_conn_opts conn = { .server = server, .prefix = prefix };
	struct rlists_import_opts io = { .format = fmt, .skip_bad_lines = true };
	struct rlists_import_stats st;
	char *error = NULL, line[256];
	static const char *const names[] = { "oracle" };

	if (rlists_import(&conn, names[0], path, &io, &st, &error) != 0) {
		fprintf(stderr, "listfile_driver: import: %s\n", error);
		free(error);
		return 1;
	}
	struct event_base *base = event_base_new();
	struct rcache_opts ro = { .server = server, .prefix = prefix, .timeout_ms = 2000 };
	rcache_t *rc = NULL;
	if (rcache_new(base, &ro, &rc, &error) != 0) {
		fprintf(stderr, "listfile_driver: rcache_new: %s\n", error);
		free(error);
		return 1;
	}
	for (int waited = 0; !rcache_up(rc) && waited < DRIVER_CONNECT_MS; waited += 10) {
		struct timeval tick = { 0, 10000 };
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	rlists_t *rl = rlists_new(rc, prefix);
	struct one o = { base, line, rcache_up(rc) ? 0 : 1 };
	while (o.rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		addr_t a;
		line[strcspn(line, "\r\n")] = '\0';
		if (addr_parse(line, &a) != 0) {
			printf("%s\tbad-address\n", line);
			continue;
		}
		(void)rlists_lookup(rl, &a, names, 1, one_cb, &o);
		event_base_dispatch(base);
	}
	rlists_free(&rl);
	rcache_free(&rc);
	event_base_free(base);
	return o.rc;
}

int main(int argc, char **argv)
{
	struct listfile_opts opts = { .format = LISTFILE_AUTO, .abort_on_bad_line = false, .max_entries = 0 };
	listfile_t *list = NULL;
	char *error = NULL, line[256];

	log_set_level(LOG_LVL_ERROR);
	if (argc == 6 && strcmp(argv[1], "--redis") == 0 &&
	    listfile_format_parse(argv[4], &opts.format) == 0)
		return run_redis(argv[2], argv[3], opts.format, argv[5]);
	if (argc != 3 || listfile_format_parse(argv[1], &opts.format) != 0) {
		fprintf(stderr, "usage: listfile_driver [--redis SERVER PREFIX] "
				"auto|ip4set|ip4trie|ip6tset|ip6trie|cidr FILE\n");
		return 2;
	}
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
		bool listed = listfile_lookup(list, &a, &hit);
		if (listed && hit.text != NULL)
			listfile_expand_text(hit.text, &a, &txt);
		print_answer(line, listed, listed ? hit.code : 0, buf_cstr(&txt));
		buf_free(&txt);
	}
	listfile_free(&list);
	return 0;
}
