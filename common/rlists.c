/*
 * rlists - range lists in Redis: the lookup side and the shared helpers.
 * See rlists.h for the contract and doc/redis-schema.md for the keys; the
 * import side is in rlists_import.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "rlists.h"

#define RLISTS_KEY_VERSION "v2"
/* One hash tag for every list: one lookup script reads all of them (Cluster). */
#define RLISTS_KEY_TAG "{rl}"
/* Keys the script gets per list: index, texts, metadata. */
#define RLISTS_KEYS_PER_LIST 3

/*
 * The lookup, for every list at once (KEYS: index, texts, meta per list;
 * ARGV[1]: the address as 32 hex digits).  The last member whose first
 * address is <= the address is the only range that can hold it: members
 * sort by their first 32 hex digits, and "<addr>;" sorts after every
 * "<addr>:..." member (';' follows ':').  Positions in a member:
 * first 1-32, last 34-65, code 67-74, text id 76-.
 * Per list it returns {code, text}, 0 (not listed) or -1 (no such list: no
 * metadata key; an empty list has metadata and no index).
 */
static const char lookup_script[] =
	"local a = ARGV[1]\n"
	"local out = {}\n"
	"for i = 1, #KEYS, 3 do\n"
	"  local r = redis.call('ZREVRANGEBYLEX', KEYS[i], '[' .. a .. ';', '-', 'LIMIT', 0, 1)\n"
	"  local m = r[1]\n"
	"  if m and string.sub(m, 34, 65) >= a then\n"
	"    local t = ''\n"
	"    local id = string.sub(m, 76)\n"
	"    if id ~= '0' then t = redis.call('HGET', KEYS[i + 1], id) or '' end\n"
	"    out[#out + 1] = { tonumber(string.sub(m, 67, 74), 16), t }\n"
	"  elseif m or redis.call('EXISTS', KEYS[i + 2]) == 1 then\n"
	"    out[#out + 1] = 0\n"
	"  else\n"
	"    out[#out + 1] = -1\n"
	"  end\n"
	"end\n"
	"return out\n";

/* When "list NAME missing" was last logged, per list name. */
struct missing_note {
	char *name;
	char *error;		/* "list NAME missing in Redis", for results */
	uint64_t logged_ms;
};

struct rlists {
	rcache_t *rc;
	char *prefix;
	char *sha;			/* of lookup_script once SCRIPT LOAD answered */
	rcache_req_t *load_req;		/* SCRIPT LOAD in flight */
	struct missing_note *missing;
	size_t n_missing;
	struct rlists_req *reqs;	/* pending, for rlists_free */
};

struct rlists_req {
	rlists_t *rl;
	struct rlists_req *prev, *next;
	rcache_req_t *rreq;
	rlists_lookup_cb *cb;
	void *ctx;
	addr_t addr;
	char hex[RLISTS_HEX_LEN + 1];
	char **names;
	size_t n;
	bool evaled;		/* sent as EVAL: a NOSCRIPT cannot come back */
};

/* ---- pure helpers ------------------------------------------------------ */

bool rlists_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > RLISTS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

void rlists_addr_hex(const addr_t *a, char out[RLISTS_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t b[16] = { 0 };

	if (a->family == AF_INET) {
		b[10] = b[11] = 0xff;
		memcpy(b + 12, a->bytes, 4);
	} else {
		memcpy(b, a->bytes, 16);
	}
	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[RLISTS_HEX_LEN] = '\0';
}

void rlists_key(struct buf *out, const char *prefix, const char *name, const char *suffix)
{
	if (name == NULL)
		buf_printf(out, "%s" RLISTS_KEY_VERSION ":" RLISTS_KEY_TAG ":lists", prefix);
	else
		buf_printf(out, "%s" RLISTS_KEY_VERSION ":" RLISTS_KEY_TAG ":l:%s%s", prefix, name, suffix);
}

void rlists_member_format(const addr_t *first, const addr_t *last, uint32_t code,
			  size_t text_id, struct buf *out)
{
	char hf[RLISTS_HEX_LEN + 1], hl[RLISTS_HEX_LEN + 1];

	rlists_addr_hex(first, hf);
	rlists_addr_hex(last, hl);
	buf_printf(out, "%s:%s:%08x:%zu", hf, hl, (unsigned)code, text_id);
}

int rlists_element_parse(const struct rcache_reply *el, enum rlists_answer *answer_r,
			 uint32_t *code_r, const char **text_r)
{
	if (el->type == RCACHE_REPLY_INTEGER) {
		if (el->integer == -1)
			return -2;
		if (el->integer != 0)
			return -1;
		*answer_r = RLISTS_NOT_LISTED;
		*code_r = 0;
		*text_r = NULL;
		return 0;
	}
	if (el->type != RCACHE_REPLY_ARRAY || el->elements != 2 ||
	    el->element[0].type != RCACHE_REPLY_INTEGER || el->element[0].integer < 0 ||
	    el->element[0].integer > (long long)UINT32_MAX ||
	    el->element[1].type != RCACHE_REPLY_STRING || el->element[1].len > LISTFILE_TEXT_MAX ||
	    memchr(el->element[1].str, '\0', el->element[1].len) != NULL)
		return -1;
	*answer_r = RLISTS_LISTED;
	*code_r = (uint32_t)el->element[0].integer;
	*text_r = el->element[1].len > 0 ? el->element[1].str : NULL;
	return 0;
}

/* ---- lookup ------------------------------------------------------------- */

rlists_t *rlists_new(rcache_t *rc, const char *prefix)
{
	rlists_t *rl = xcalloc(1, sizeof(*rl));

	rl->rc = rc;
	rl->prefix = xstrdup(prefix != NULL ? prefix : "");
	return rl;
}

static void req_unlink(struct rlists_req *req)
{
	rlists_t *rl = req->rl;

	if (req->prev != NULL)
		req->prev->next = req->next;
	else if (rl->reqs == req)
		rl->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
}

static void req_free(struct rlists_req *req)
{
	for (size_t i = 0; i < req->n; i++)
		free(req->names[i]);
	free(req->names);
	free(req);
}

void rlists_cancel(rlists_req_t *req)
{
	if (req == NULL)
		return;
	if (req->rreq != NULL)
		rcache_cancel(req->rreq);
	req_unlink(req);
	req_free(req);
}

void rlists_free(rlists_t **rlp)
{
	rlists_t *rl = *rlp;

	if (rl == NULL)
		return;
	while (rl->reqs != NULL)
		rlists_cancel(rl->reqs);
	if (rl->load_req != NULL)
		rcache_cancel(rl->load_req);
	for (size_t i = 0; i < rl->n_missing; i++) {
		free(rl->missing[i].name);
		free(rl->missing[i].error);
	}
	free(rl->missing);
	free(rl->sha);
	free(rl->prefix);
	free(rl);
	*rlp = NULL;
}

/* A missing list is an operator's problem: say so, but not for every check.
 * Returns the error text for results (owned by rl). */
static const char *note_missing(rlists_t *rl, const char *name)
{
	uint64_t now = clock_now_ms();
	struct missing_note *m = NULL;

	for (size_t i = 0; i < rl->n_missing && m == NULL; i++)
		if (strcmp(rl->missing[i].name, name) == 0)
			m = &rl->missing[i];
	if (m == NULL) {
		rl->missing = xreallocarray(rl->missing, rl->n_missing + 1, sizeof(*rl->missing));
		m = &rl->missing[rl->n_missing++];
		m->name = xstrdup(name);
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "list %s missing in Redis", name);
		m->error = buf_detach(&msg);
	} else if (now - m->logged_ms < RLISTS_MISSING_LOG_MS) {
		return m->error;
	}
	m->logged_ms = now;
	log_warning("redis list %s is missing in Redis (import it with relayguard-ctl import); "
		    "its checks are errors until then",
		    name);
	return m->error;
}

static void load_cb(int status, const struct rcache_reply *reply, void *ctx)
{
	rlists_t *rl = ctx;

	rl->load_req = NULL;
	if (status == 0 && reply->type == RCACHE_REPLY_STRING && reply->len == 40) {
		free(rl->sha);
		rl->sha = xstrdup(reply->str);
	}
}

static void load_script(rlists_t *rl)
{
	const char *argv[] = { "SCRIPT", "LOAD", lookup_script };
	size_t lens[] = { 6, 4, sizeof(lookup_script) - 1 };

	if (rl->load_req == NULL && rcache_up(rl->rc)) {
		/* On a cluster, scripts are per node: load it where its keys are. */
		struct buf route = BUF_INIT;
		rlists_key(&route, rl->prefix, NULL, NULL);
		rl->load_req = rcache_command_route(rl->rc, route.data, route.len, 3, argv, lens, load_cb, rl);
		buf_free(&route);
	}
}

static void lookup_reply_cb(int status, const struct rcache_reply *reply, void *ctx);

/* EVALSHA when the script is known to be loaded, EVAL otherwise. */
static void req_send(struct rlists_req *req)
{
	rlists_t *rl = req->rl;
	size_t argc = 3 + RLISTS_KEYS_PER_LIST * req->n + 1;
	const char **argv = xcalloc(argc, sizeof(*argv));
	size_t *lens = xcalloc(argc, sizeof(*lens));
	struct buf keys = BUF_INIT;
	char nkeys[24];
	size_t k = 0, *offs = xcalloc(RLISTS_KEYS_PER_LIST * req->n + 1, sizeof(*offs));
	static const char *const suffixes[RLISTS_KEYS_PER_LIST] = { "", ":t", ":m" };

	req->evaled = rl->sha == NULL;
	argv[k] = req->evaled ? "EVAL" : "EVALSHA";
	lens[k] = strlen(argv[k]);
	k++;
	argv[k] = req->evaled ? lookup_script : rl->sha;
	lens[k++] = req->evaled ? sizeof(lookup_script) - 1 : strlen(rl->sha);
	snprintf(nkeys, sizeof(nkeys), "%zu", RLISTS_KEYS_PER_LIST * req->n);
	argv[k] = nkeys;
	lens[k++] = strlen(nkeys);
	for (size_t i = 0; i < req->n; i++) {
		for (size_t s = 0; s < RLISTS_KEYS_PER_LIST; s++) {
			size_t j = i * RLISTS_KEYS_PER_LIST + s;
			offs[j] = keys.len;
			rlists_key(&keys, rl->prefix, req->names[i], suffixes[s]);
			lens[k + j] = keys.len - offs[j];
		}
	}
	/* Point into keys only now: appending may have moved it. */
	for (size_t j = 0; j < RLISTS_KEYS_PER_LIST * req->n; j++)
		argv[k + j] = keys.data + offs[j];
	k += RLISTS_KEYS_PER_LIST * req->n;
	argv[k] = req->hex;
	lens[k++] = RLISTS_HEX_LEN;
	req->rreq = rcache_command_argv(rl->rc, (int)k, argv, lens, lookup_reply_cb, req);
	buf_free(&keys);
	free(offs);
	free(argv);
	free(lens);
	if (rl->sha == NULL)
		load_script(rl);
}

/* Deliver: every list gets the same error, or its own answer from reply. */
static void req_deliver(struct rlists_req *req, const struct rcache_reply *reply, const char *error)
{
	rlists_t *rl = req->rl;
	struct rlists_result *res = xcalloc(req->n ? req->n : 1, sizeof(*res));
	struct buf *texts = xcalloc(req->n ? req->n : 1, sizeof(*texts));

	for (size_t i = 0; i < req->n; i++) {
		const char *tmpl = NULL;
		int rc;

		res[i].answer = RLISTS_ERROR;
		res[i].error = error;
		if (error != NULL)
			continue;
		rc = rlists_element_parse(&reply->element[i], &res[i].answer, &res[i].code, &tmpl);
		if (rc == -2) {
			res[i].answer = RLISTS_ERROR;
			res[i].error = note_missing(rl, req->names[i]);
		} else if (rc != 0) {
			res[i].answer = RLISTS_ERROR;
			res[i].error = "unreadable reply from Redis";
		} else if (tmpl != NULL) {
			listfile_expand_text(tmpl, &req->addr, &texts[i]);
			res[i].text = buf_cstr(&texts[i]);
		}
	}
	req_unlink(req);
	req->cb(res, req->n, req->ctx);
	for (size_t i = 0; i < req->n; i++)
		buf_free(&texts[i]);
	free(texts);
	free(res);
	req_free(req);
}

static void lookup_reply_cb(int status, const struct rcache_reply *reply, void *ctx)
{
	struct rlists_req *req = ctx;
	rlists_t *rl = req->rl;

	req->rreq = NULL;
	if (status != 0) {
		req_deliver(req, NULL, "Redis unavailable");
		return;
	}
	if (reply->type == RCACHE_REPLY_ERROR) {
		if (!req->evaled && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
			/* Redis restarted or SCRIPT FLUSH: send the text, load again. */
			free(rl->sha);
			rl->sha = NULL;
			req_send(req);
			return;
		}
		log_debug("redis lists: the lookup script failed: %.200s", reply->str);
		req_deliver(req, NULL, "Redis refused the lookup");
		return;
	}
	if (reply->type != RCACHE_REPLY_ARRAY || reply->elements != req->n) {
		req_deliver(req, NULL, "unreadable reply from Redis");
		return;
	}
	req_deliver(req, reply, NULL);
}

rlists_req_t *rlists_lookup(rlists_t *rl, const addr_t *a, const char *const *names, size_t n,
			    rlists_lookup_cb *cb, void *ctx)
{
	struct rlists_req *req = xcalloc(1, sizeof(*req));

	req->rl = rl;
	req->cb = cb;
	req->ctx = ctx;
	req->addr = *a;
	rlists_addr_hex(a, req->hex);
	if (n > RLISTS_LOOKUP_MAX)
		n = RLISTS_LOOKUP_MAX;	/* the caller broke the contract; answer the first ones */
	req->n = n;
	req->names = xcalloc(n ? n : 1, sizeof(*req->names));
	for (size_t i = 0; i < n; i++)
		req->names[i] = xstrdup(names[i]);
	req->next = rl->reqs;
	if (rl->reqs != NULL)
		rl->reqs->prev = req;
	rl->reqs = req;
	/* Even when Redis is down rcache answers through the loop, so the
	 * callback never runs in here. */
	req_send(req);
	return req;
}
