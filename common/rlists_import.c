/*
 * rlists_import - range lists in Redis: the blocking side for
 * relayguard-ctl (import, list, drop).  See rlists.h for the contract.
 *
 * An import reads the whole file first (listfile), so that a bad file never
 * reaches Redis; then it pipelines ZADD batches of RLISTS_BATCH members into
 * a temporary key with at most RLISTS_PIPELINE_MAX commands unanswered, and
 * swaps the temporary keys in with one MULTI/EXEC.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "redis_auth.h"
#include "redis_cluster.h"
#include "redis_sentinel.h"
#include "rlists.h"

/* Bytes of a Redis error quoted in a message. */
#define RLISTS_QUOTE_MAX 200
/* Initial size of the text table (a power of two). */
#define RLISTS_TEXTS_INITIAL 64u

static const char *const format_names[] = {
	[LISTFILE_AUTO] = "auto",
	[LISTFILE_IP4SET] = "ip4set",
	[LISTFILE_IP6TSET] = "ip6tset",
	[LISTFILE_CIDR] = "cidr",
	[LISTFILE_IP4TRIE] = "ip4trie",
	[LISTFILE_IP6TRIE] = "ip6trie",
};

/* ---- the blocking connection ------------------------------------------ */

/* Run one command; the reply (caller frees), or NULL with err set.  An error
 * reply is a failure too. */
static redisReply *run(redisContext *c, struct buf *err, int argc, const char **argv,
		       const size_t *lens)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);

	if (r == NULL) {
		buf_printf(err, "redis: %s: %s", argv[0], c->errstr[0] ? c->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		buf_printf(err, "redis: %s refused: %.*s", argv[0], RLISTS_QUOTE_MAX, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* run() for commands whose reply only needs to be a success. */
static int run_ok(redisContext *c, struct buf *err, int argc, const char **argv)
{
	size_t lens[8];

	for (int i = 0; i < argc && i < 8; i++)
		lens[i] = strlen(argv[i]);
	redisReply *r = run(c, err, argc, argv, lens);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* Connect, AUTH, SELECT.  NULL with err set on failure. */
static redisContext *conn_open(const struct rlists_conn_opts *o, struct buf *err)
{
	struct timeval ctv = { RLISTS_CONNECT_TIMEOUT_MS / 1000, 0 };
	struct timeval tv = { RLISTS_COMMAND_TIMEOUT_MS / 1000, 0 };
	redisContext *c = NULL;
	const char *colon;
	char host[64];
	unsigned char scratch[16];
	char *end;

	if (o->server == NULL || o->server[0] == '\0') {
		buf_puts(err, "redis_server is not set: range lists live in Redis");
		return NULL;
	}
	if (redis_target_is_sentinel(o->server) || redis_target_is_cluster(o->server)) {
		/* Ask the Sentinels which server is the master, or the cluster which
		 * master serves the lists' hash slot (every key of every list has
		 * the one tag; or the slot of route_key), then connect there. */
		struct rlists_conn_opts m = *o;
		struct buf key = BUF_INIT;
		char *server = NULL, *why = NULL;
		if (o->route_key != NULL)
			buf_puts(&key, o->route_key);
		else
			rlists_key(&key, o->prefix != NULL ? o->prefix : "", NULL, NULL);
		struct redis_auth sentinel_auth, auth;
		redis_auth_set(&sentinel_auth, o->sentinel_username, o->sentinel_password);
		redis_auth_set(&auth, o->username, o->password);
		int rc = redis_target_resolve_sync(o->server, buf_cstr(&key), &sentinel_auth, &auth,
						   RLISTS_CONNECT_TIMEOUT_MS, &server, &why);
		redis_auth_clear(&sentinel_auth);
		redis_auth_clear(&auth);
		buf_free(&key);
		if (rc != 0) {
			buf_puts(err, why);
			free(why);
			return NULL;
		}
		m.server = server;
		c = conn_open(&m, err);
		free(server);
		return c;
	}
	if (strncmp(o->server, "unix:", 5) == 0) {
		c = redisConnectUnixWithTimeout(o->server + 5, ctv);
	} else if ((colon = strrchr(o->server, ':')) != NULL && colon[1] != '\0') {
		const char *h = o->server;
		size_t hl = (size_t)(colon - o->server);
		long port = strtol(colon + 1, &end, 10);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl < sizeof(host)) {
			memcpy(host, h, hl);
			host[hl] = '\0';
			if (strcmp(host, "localhost") == 0)
				memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
		}
		if (*end == '\0' && port >= 1 && port <= 65535 && hl < sizeof(host) &&
		    (inet_pton(AF_INET, host, scratch) == 1 || inet_pton(AF_INET6, host, scratch) == 1))
			c = redisConnectWithTimeout(host, (int)port, ctv);
	}
	if (c == NULL && strncmp(o->server, "unix:", 5) != 0) {
		buf_printf(err, "redis server \"%s\": expected IPV4:PORT, localhost:PORT, "
				"[IPV6]:PORT or unix:/path", o->server);
		return NULL;
	}
	if (c == NULL || c->err) {
		buf_printf(err, "redis %s: cannot connect: %s", o->server,
			   c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	struct redis_auth auth;
	const char *auth_argv[3];
	size_t auth_lens[3];
	redis_auth_set(&auth, o->username, o->password);
	int auth_argc = redis_auth_argv(&auth, auth_argv, auth_lens);
	int refused = auth_argc > 0 ? run_ok(c, err, auth_argc, auth_argv) : 0;
	redis_auth_clear(&auth);
	if (refused != 0) {
		redisFree(c);
		return NULL;	/* Redis does not echo the password */
	}
	if (o->db != 0) {
		char db[16];
		snprintf(db, sizeof(db), "%d", o->db);
		const char *argv[] = { "SELECT", db };
		if (run_ok(c, err, 2, argv) != 0) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

struct redisContext *rlists_conn_open(const struct rlists_conn_opts *o, char **error_r)
{
	struct buf err = BUF_INIT;
	redisContext *c = conn_open(o, &err);

	*error_r = c == NULL ? buf_detach(&err) : NULL;
	buf_free(&err);
	return c;
}

static const char *prefix_of(const struct rlists_conn_opts *o)
{
	return o->prefix != NULL ? o->prefix : "";
}

/* ---- import --------------------------------------------------------------- */

struct text_slot {
	char *text;
	size_t id;
};

struct import {
	redisContext *c;
	struct buf tmp, tmp_t;		/* temporary index and text keys */
	struct buf members;		/* the batch's members, back to back */
	size_t *member_len;		/* RLISTS_BATCH lengths */
	size_t batch;			/* members in the batch */
	size_t pending;			/* commands sent, reply not read yet */
	struct text_slot *texts;	/* open addressing, cap slots */
	size_t cap, n_texts;
	size_t done, total;
	bool counting;			/* first walk: only count ranges */
	bool failed;
	struct buf err;
	const struct rlists_import_opts *opts;
};

static unsigned long text_hash(const char *s)
{
	unsigned long h = 5381;
	for (; *s; s++)
		h = h * 33 ^ (unsigned char)*s;
	return h;
}

/* Read one pipelined reply; an error reply fails the import. */
static void read_one(struct import *im)
{
	redisReply *r = NULL;

	if (redisGetReply(im->c, (void **)&r) != REDIS_OK) {
		if (!im->failed)
			buf_printf(&im->err, "redis: %s", im->c->errstr[0] ? im->c->errstr : "no reply");
		im->failed = true;
		im->pending = 0;	/* the connection is unusable */
		return;
	}
	im->pending--;
	if (r->type == REDIS_REPLY_ERROR && !im->failed) {
		buf_printf(&im->err, "redis refused a write: %.*s", RLISTS_QUOTE_MAX, r->str);
		im->failed = true;
	}
	freeReplyObject(r);
}

static void append(struct import *im, int argc, const char **argv, const size_t *lens)
{
	if (redisAppendCommandArgv(im->c, argc, argv, lens) != REDIS_OK) {
		if (!im->failed)
			buf_puts(&im->err, "redis: cannot queue a command");
		im->failed = true;
		return;
	}
	im->pending++;
	while (im->pending > RLISTS_PIPELINE_MAX && !im->failed)
		read_one(im);
}

/* The first write to a temporary key gives it a TTL: a killed import leaves nothing. */
static void append_expire(struct import *im, const struct buf *key)
{
	char ttl[16];
	snprintf(ttl, sizeof(ttl), "%u", RLISTS_TMP_TTL_S);
	const char *argv[] = { "EXPIRE", key->data, ttl };
	size_t lens[] = { 6, key->len, strlen(ttl) };
	append(im, 3, argv, lens);
}

static void flush_batch(struct import *im)
{
	size_t argc = 2 + 2 * im->batch, off = 0;
	const char **argv;
	size_t *lens;

	if (im->batch == 0)
		return;
	argv = xcalloc(argc, sizeof(*argv));
	lens = xcalloc(argc, sizeof(*lens));
	argv[0] = "ZADD";
	lens[0] = 4;
	argv[1] = im->tmp.data;
	lens[1] = im->tmp.len;
	for (size_t i = 0; i < im->batch; i++) {
		argv[2 + 2 * i] = "0";
		lens[2 + 2 * i] = 1;
		argv[3 + 2 * i] = im->members.data + off;
		lens[3 + 2 * i] = im->member_len[i];
		off += im->member_len[i];
	}
	bool first = im->done == 0;
	append(im, (int)argc, argv, lens);
	if (first)
		append_expire(im, &im->tmp);
	free(argv);
	free(lens);
	im->done += im->batch;
	im->batch = 0;
	buf_reset(&im->members);
	if (im->opts->progress != NULL)
		im->opts->progress(im->done, im->total, im->opts->progress_ctx);
}

/* The id of text, sending it with HSET the first time it is seen. */
static size_t text_id(struct import *im, const char *text)
{
	if (text == NULL || text[0] == '\0')
		return 0;
	if (im->n_texts * 2 >= im->cap) {
		size_t ncap = im->cap ? im->cap * 2 : RLISTS_TEXTS_INITIAL;
		struct text_slot *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < im->cap; i++) {
			if (im->texts[i].text == NULL)
				continue;
			size_t j = text_hash(im->texts[i].text) & (ncap - 1);
			while (nt[j].text != NULL)
				j = (j + 1) & (ncap - 1);
			nt[j] = im->texts[i];
		}
		free(im->texts);
		im->texts = nt;
		im->cap = ncap;
	}
	size_t j = text_hash(text) & (im->cap - 1);
	for (; im->texts[j].text != NULL; j = (j + 1) & (im->cap - 1))
		if (strcmp(im->texts[j].text, text) == 0)
			return im->texts[j].id;
	im->texts[j].text = xstrdup(text);
	im->texts[j].id = ++im->n_texts;
	char id[24];
	snprintf(id, sizeof(id), "%zu", im->texts[j].id);
	const char *argv[] = { "HSET", im->tmp_t.data, id, text };
	size_t lens[] = { 4, im->tmp_t.len, strlen(id), strlen(text) };
	append(im, 4, argv, lens);
	if (im->n_texts == 1)
		append_expire(im, &im->tmp_t);
	return im->texts[j].id;
}

static void add_range(struct import *im, const addr_t *first, const addr_t *last, uint32_t code,
		      const char *text)
{
	size_t start = im->members.len;

	if (im->counting) {
		im->total++;
		return;
	}
	size_t id = text_id(im, text);
	rlists_member_format(first, last, code, id, &im->members);
	im->member_len[im->batch++] = im->members.len - start;
	if (im->batch == RLISTS_BATCH)
		flush_batch(im);
}

/*
 * IPv4 lives at ::ffff:0:0/96 in the index, and a mapped IPv6 address is
 * always looked up as IPv4 (addr.h), so IPv6 ranges are cut around that
 * block: the index then holds no overlapping ranges.
 */
static int walk_cb(const addr_t *first, const addr_t *last, uint32_t code, const char *text,
		   void *ctx)
{
	struct import *im = ctx;
	addr_t lo = { AF_INET6, { 0 } }, hi = { AF_INET6, { 0 } };

	if (im->failed)
		return -1;
	if (first->family == AF_INET) {
		add_range(im, first, last, code, text);
		return 0;
	}
	lo.bytes[10] = lo.bytes[11] = 0xff;	/* ::ffff:0.0.0.0 */
	memset(hi.bytes + 10, 0xff, 6);		/* ::ffff:255.255.255.255 */
	if (memcmp(last->bytes, lo.bytes, 16) < 0 || memcmp(first->bytes, hi.bytes, 16) > 0) {
		add_range(im, first, last, code, text);
		return 0;
	}
	if (memcmp(first->bytes, lo.bytes, 16) < 0) {
		addr_t before = { AF_INET6, { 0 } };
		memset(before.bytes + 10, 0xff, 6);
		before.bytes[11] = 0xfe;	/* ::fffe:ffff:ffff */
		add_range(im, first, &before, code, text);
	}
	if (memcmp(last->bytes, hi.bytes, 16) > 0) {
		addr_t after = { AF_INET6, { 0 } };
		after.bytes[9] = 1;		/* ::1:0:0:0 */
		add_range(im, &after, last, code, text);
	}
	return 0;
}

/* The swap: the new keys replace the live ones in one transaction. */
static int swap_in(struct import *im, const struct rlists_conn_opts *conn, const char *name,
		   const char *path, const struct rlists_import_opts *opts, size_t entries)
{
	const char *prefix = prefix_of(conn);
	struct buf live = BUF_INIT, live_t = BUF_INIT, meta = BUF_INIT, names = BUF_INIT;
	char n_entries[24], n_ranges[24], n_texts[24], now[24];
	int rv = 0;

	rlists_key(&live, prefix, name, "");
	rlists_key(&live_t, prefix, name, ":t");
	rlists_key(&meta, prefix, name, ":m");
	rlists_key(&names, prefix, NULL, NULL);
	snprintf(n_entries, sizeof(n_entries), "%zu", entries);
	snprintf(n_ranges, sizeof(n_ranges), "%zu", im->done);
	snprintf(n_texts, sizeof(n_texts), "%zu", im->n_texts);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	const char *cmds[][16] = {
		{ "MULTI" },
		{ im->done ? "RENAME" : "DEL", im->done ? im->tmp.data : live.data, im->done ? live.data : NULL },
		{ im->done ? "PERSIST" : "DEL", live.data },
		{ im->n_texts ? "RENAME" : "DEL", im->n_texts ? im->tmp_t.data : live_t.data,
		  im->n_texts ? live_t.data : NULL },
		{ im->n_texts ? "PERSIST" : "DEL", live_t.data },
		{ "DEL", meta.data },
		{ "HSET", meta.data, "entries", n_entries, "ranges", n_ranges, "texts", n_texts,
		  "imported_at", now, "source", path, "format", format_names[opts->format] },
		{ "SADD", names.data, name },
	};
	size_t n_cmds = sizeof(cmds) / sizeof(cmds[0]);
	for (size_t i = 0; i < n_cmds; i++) {
		int argc = 0;
		size_t lens[16];
		while (argc < 16 && cmds[i][argc] != NULL) {
			lens[argc] = strlen(cmds[i][argc]);
			argc++;
		}
		append(im, argc, cmds[i], lens);
	}
	while (im->pending > 0 && !im->failed)
		read_one(im);
	const char *exec[] = { "EXEC" };
	size_t exec_len[] = { 4 };
	redisReply *r = im->failed ? NULL : run(im->c, &im->err, 1, exec, exec_len);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != n_cmds - 1) {
		if (r != NULL)
			buf_puts(&im->err, "redis: the swap transaction was aborted");
		rv = -1;
	}
	for (size_t i = 0; r != NULL && rv == 0 && i < r->elements; i++) {
		if (r->element[i]->type == REDIS_REPLY_ERROR) {
			/* EXEC does not roll back: say what happened. */
			buf_printf(&im->err, "redis: step %zu of the swap failed: %.*s", i + 1,
				   RLISTS_QUOTE_MAX, r->element[i]->str);
			rv = -1;
		}
	}
	freeReplyObject(r);
	buf_free(&live);
	buf_free(&live_t);
	buf_free(&meta);
	buf_free(&names);
	return rv;
}

/* MEMORY USAGE of every key of list name; -1 if Redis cannot tell. */
static long long list_memory(redisContext *c, const char *prefix, const char *name)
{
	static const char *const suffixes[] = { "", ":t", ":m" };
	long long total = 0;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		struct buf key = BUF_INIT, err = BUF_INIT;
		rlists_key(&key, prefix, name, suffixes[i]);
		const char *argv[] = { "MEMORY", "USAGE", key.data, "SAMPLES", "0" };
		size_t lens[] = { 6, 5, key.len, 7, 1 };
		redisReply *r = run(c, &err, 5, argv, lens);
		if (r == NULL || (r->type != REDIS_REPLY_INTEGER && r->type != REDIS_REPLY_NIL))
			total = -1;
		else if (total >= 0 && r->type == REDIS_REPLY_INTEGER)
			total += r->integer;
		freeReplyObject(r);
		buf_free(&key);
		buf_free(&err);
	}
	return total;
}

static void import_release(struct import *im)
{
	/* Best effort: the TTL removes what this cannot. */
	if (im->c != NULL && im->failed && im->c->err == 0 && im->tmp.len > 0) {
		struct buf err = BUF_INIT;
		const char *discard[] = { "DISCARD" };	/* in case the swap stopped inside MULTI */
		const char *argv[] = { "DEL", im->tmp.data, im->tmp_t.data };
		while (im->pending > 0 && im->c->err == 0)
			read_one(im);
		(void)run_ok(im->c, &err, 1, discard);
		buf_reset(&err);
		if (run_ok(im->c, &err, 3, argv) != 0)
			log_debug("%s", buf_cstr(&err));
		buf_free(&err);
	}
	for (size_t i = 0; i < im->cap; i++)
		free(im->texts[i].text);
	free(im->texts);
	free(im->member_len);
	buf_free(&im->members);
	buf_free(&im->tmp);
	buf_free(&im->tmp_t);
	if (im->c != NULL)
		redisFree(im->c);
}

/* Read the file; -1 with err when it cannot be read or has bad lines. */
static int load_file(const char *path, const struct rlists_import_opts *opts, listfile_t **list_r,
		     struct buf *err)
{
	struct listfile_opts lo = { .format = opts->format, .progress = opts->read_progress,
				    .progress_ctx = opts->progress_ctx };
	char *why = NULL;

	if (listfile_load(path, &lo, list_r, &why) != 0) {
		buf_puts(err, why);
		free(why);
		return -1;
	}
	if (listfile_bad_lines(*list_r) > 0 && !opts->skip_bad_lines) {
		buf_printf(err, "%s: %zu bad lines (reported above); nothing imported", path,
			   listfile_bad_lines(*list_r));
		listfile_free(list_r);
		return -1;
	}
	return 0;
}

int rlists_import(const struct rlists_conn_opts *conn, const char *name_in, const char *path,
		  const struct rlists_import_opts *opts, struct rlists_import_stats *stats_r,
		  char **error_r)
{
	struct import im = { .opts = opts };
	listfile_t *list = NULL;
	uint64_t start = clock_now_us();
	uint8_t rnd[8];
	char name[RLISTS_NAME_MAX + 1];
	int rv = -1;

	for (size_t i = 0; i < sizeof(name); i++) {
		char ch = name_in[i];
		name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		if (ch == '\0')
			break;
	}
	name[RLISTS_NAME_MAX] = '\0';
	if (strlen(name_in) > RLISTS_NAME_MAX || !rlists_name_ok(name)) {
		buf_printf(&im.err, "list name \"%.64s\": expected letters, digits, '-', '_' and '.', "
				    "at most %d bytes", name_in, RLISTS_NAME_MAX);
		goto out;
	}
	if (load_file(path, opts, &list, &im.err) != 0 || (im.c = conn_open(conn, &im.err)) == NULL)
		goto out;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));	/* only collides with a concurrent import */
	rlists_key(&im.tmp, prefix_of(conn), name, ":tmp:");
	for (size_t i = 0; i < sizeof(rnd); i++)
		buf_printf(&im.tmp, "%02x", rnd[i]);
	buf_printf(&im.tmp_t, "%s:t", buf_cstr(&im.tmp));
	im.member_len = xcalloc(RLISTS_BATCH, sizeof(*im.member_len));
	im.counting = true;
	(void)listfile_walk_ranges(list, walk_cb, &im);
	im.counting = false;
	(void)listfile_walk_ranges(list, walk_cb, &im);
	if (!im.failed)
		flush_batch(&im);
	while (im.pending > 0 && !im.failed)
		read_one(&im);
	if (im.failed || swap_in(&im, conn, name, path, opts, listfile_entries(list)) != 0) {
		im.failed = true;
		goto out;
	}
	if (opts->progress != NULL && im.total == 0)
		opts->progress(0, 0, opts->progress_ctx);
	memset(stats_r, 0, sizeof(*stats_r));
	stats_r->entries = listfile_entries(list);
	stats_r->ranges = im.done;
	stats_r->texts = im.n_texts;
	stats_r->bad_lines = listfile_bad_lines(list);
	stats_r->seconds = (double)(clock_now_us() - start) / 1e6;
	stats_r->memory_bytes = list_memory(im.c, prefix_of(conn), name);
	rv = 0;
out:
	if (rv != 0)
		*error_r = buf_detach(&im.err);
	buf_free(&im.err);
	listfile_free(&list);
	import_release(&im);
	return rv;
}

/* ---- list and drop ------------------------------------------------------ */

static void info_from_meta(struct rlists_info *info, const redisReply *r)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "entries") == 0)
			info->entries = strtoull(v->str, NULL, 10);
		else if (strcmp(k->str, "ranges") == 0)
			info->ranges = strtoull(v->str, NULL, 10);
		else if (strcmp(k->str, "texts") == 0)
			info->texts = strtoull(v->str, NULL, 10);
		else if (strcmp(k->str, "imported_at") == 0)
			info->imported_at = strtoll(v->str, NULL, 10);
		else if (strcmp(k->str, "source") == 0 && info->source == NULL)
			info->source = xstrndup(v->str, (size_t)v->len);
		else if (strcmp(k->str, "format") == 0 && info->format == NULL)
			info->format = xstrndup(v->str, (size_t)v->len);
	}
	if (info->source == NULL)
		info->source = xstrdup("");
	if (info->format == NULL)
		info->format = xstrdup("");
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rlists_info *)a)->name, ((const struct rlists_info *)b)->name);
}

int rlists_list(const struct rlists_conn_opts *conn, struct rlists_info **infos_r, size_t *n_r,
		char **error_r)
{
	struct buf err = BUF_INIT, key = BUF_INIT;
	redisContext *c = conn_open(conn, &err);
	struct rlists_info *infos = NULL;
	size_t n = 0;

	if (c == NULL) {
		*error_r = buf_detach(&err);
		return -1;
	}
	rlists_key(&key, prefix_of(conn), NULL, NULL);
	const char *argv[] = { "SMEMBERS", key.data };
	size_t lens[] = { 8, key.len };
	redisReply *names = run(c, &err, 2, argv, lens);
	buf_free(&key);
	if (names == NULL || names->type != REDIS_REPLY_ARRAY) {
		if (names != NULL)
			buf_puts(&err, "redis: SMEMBERS: unexpected reply");
		freeReplyObject(names);
		redisFree(c);
		*error_r = buf_detach(&err);
		return -1;
	}
	infos = xcalloc(names->elements ? names->elements : 1, sizeof(*infos));
	for (size_t i = 0; i < names->elements; i++) {
		const redisReply *nm = names->element[i];
		if (nm->type != REDIS_REPLY_STRING || !rlists_name_ok(nm->str))
			continue;
		rlists_key(&key, prefix_of(conn), nm->str, ":m");
		const char *hargv[] = { "HGETALL", key.data };
		size_t hlens[] = { 7, key.len };
		redisReply *meta = run(c, &err, 2, hargv, hlens);
		buf_reset(&key);
		if (meta == NULL || meta->type != REDIS_REPLY_ARRAY || meta->elements == 0) {
			freeReplyObject(meta);	/* dropped meanwhile, or a stale name */
			buf_reset(&err);
			continue;
		}
		infos[n].name = xstrdup(nm->str);
		info_from_meta(&infos[n], meta);
		infos[n].memory_bytes = list_memory(c, prefix_of(conn), nm->str);
		n++;
		freeReplyObject(meta);
	}
	freeReplyObject(names);
	buf_free(&key);
	buf_free(&err);
	redisFree(c);
	qsort(infos, n, sizeof(*infos), info_cmp);
	*infos_r = infos;
	*n_r = n;
	return 0;
}

void rlists_infos_free(struct rlists_info **infos, size_t n)
{
	if (*infos == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*infos)[i].name);
		free((*infos)[i].source);
		free((*infos)[i].format);
	}
	free(*infos);
	*infos = NULL;
}

int rlists_drop(const struct rlists_conn_opts *conn, const char *name, char **error_r)
{
	struct buf err = BUF_INIT, idx = BUF_INIT, txt = BUF_INIT, meta = BUF_INIT, names = BUF_INIT;
	redisContext *c = NULL;
	redisReply *r = NULL;
	int rv = -1;

	if (!rlists_name_ok(name)) {
		buf_printf(&err, "list name \"%.64s\": expected letters, digits, '-', '_' and '.'", name);
		goto out;
	}
	if ((c = conn_open(conn, &err)) == NULL)
		goto out;
	rlists_key(&idx, prefix_of(conn), name, "");
	rlists_key(&txt, prefix_of(conn), name, ":t");
	rlists_key(&meta, prefix_of(conn), name, ":m");
	rlists_key(&names, prefix_of(conn), NULL, NULL);
	const char *multi[] = { "MULTI" };
	const char *del[] = { "DEL", idx.data, txt.data, meta.data };
	const char *srem[] = { "SREM", names.data, name };
	const char *exec[] = { "EXEC" };
	if (run_ok(c, &err, 1, multi) != 0 || run_ok(c, &err, 4, del) != 0 ||
	    run_ok(c, &err, 3, srem) != 0)
		goto out;
	size_t elen[] = { 4 };
	r = run(c, &err, 1, exec, elen);
	if (r == NULL)
		goto out;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER) {
		buf_puts(&err, "redis: unexpected reply to the drop transaction");
		goto out;
	}
	if (r->element[0]->integer == 0 && r->element[1]->integer == 0) {
		buf_printf(&err, "no list %s in Redis", name);
		goto out;
	}
	rv = 0;
out:
	if (rv != 0)
		*error_r = buf_detach(&err);
	freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	buf_free(&err);
	buf_free(&idx);
	buf_free(&txt);
	buf_free(&meta);
	buf_free(&names);
	return rv;
}
