/*
 * engine_verdict - from the answers of one lookup to a verdict: the score,
 * the action, the reply text and the tag header; deep copies of verdicts;
 * the key=value decision line.  See engine.h.  The score is computed once
 * per lookup (engine_score_compute) and every waiter's verdict reads it.
 * Calls no other engine file but engine_keys.c (engine_int.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "log.h"
#include "mem.h"

const char *engine_answer_name(enum engine_answer a)
{
	switch (a) {
	case ENGINE_NOT_LISTED: return "not-listed";
	case ENGINE_LISTED: return "listed";
	case ENGINE_ERROR: return "error";
	case ENGINE_SKIPPED: return "skipped";
	}
	return "unknown";
}

const char *engine_layer_name(enum engine_layer l)
{
	switch (l) {
	case ENGINE_LAYER_NONE: return "none";
	case ENGINE_LAYER_LRU: return "memory";
	case ENGINE_LAYER_REDIS: return "redis";
	case ENGINE_LAYER_LOOKUP: return "lookup";
	}
	return "unknown";
}

const char *engine_skip_name(enum engine_skip s)
{
	switch (s) {
	case ENGINE_SKIP_NONE: return "none";
	case ENGINE_SKIP_AUTHENTICATED: return "authenticated";
	case ENGINE_SKIP_ALLOW_NETWORKS: return "allow_networks";
	case ENGINE_SKIP_SPECIAL: return "special";
	}
	return "unknown";
}

const char *engine_kind_name(enum engine_source_kind k)
{
	switch (k) {
	case ENGINE_SOURCE_DNSBL: return "dnsbl";
	case ENGINE_SOURCE_RHSBL_HELO: return "rhsbl-helo";
	case ENGINE_SOURCE_RHSBL_SENDER: return "rhsbl-sender";
	case ENGINE_SOURCE_FILE: return "file";
	case ENGINE_SOURCE_REDIS_LIST: return "redis-list";
	}
	return "unknown";
}

static char *dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep-copy the source array; the copy owns every string. */
static struct engine_source_result *copy_sources(const struct engine_source_result *src, size_t n)
{
	struct engine_source_result *dst = xcalloc(n ? n : 1, sizeof(*dst));

	for (size_t i = 0; i < n; i++) {
		dst[i] = src[i];
		dst[i].name = dup_opt(src[i].name);
		dst[i].display = dup_opt(src[i].display);
		dst[i].txt = dup_opt(src[i].txt);
		dst[i].error = dup_opt(src[i].error);
	}
	return dst;
}

static void code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff);
}

/* The listed sources' display names, comma-separated. */
static void listed_names(const struct engine_source_result *r, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].answer != ENGINE_LISTED)
			continue;
		if (out->len > 0)
			buf_putc(out, ',');
		buf_puts(out, r[i].display);
	}
}

/*
 * The one fields builder: the value of every template field for one
 * verdict.  Every template (reject_message, tempfail_message,
 * quarantine_reason) is rendered with these values, in every door.  The
 * strings live in the struct (or are borrowed from the outcome, the request
 * and the engine) until fields_free().
 */
struct fields {
	struct verdict_fields f;
	char client[ADDR_STRLEN], score[16], code[16], domain_stack[ENGINE_DOMAIN_STACK];
	char *domain_heap;
	struct buf lists;
};

static void fields_build(const engine_t *engine, const struct engine_outcome *out,
			 const struct engine_verdict *v, const struct engine_source_result *first,
			 struct fields *fs)
{
	const struct engine_request *req = out->req;
	struct verdict_fields *f = &fs->f;

	memset(f, 0, sizeof(*f));
	buf_init(&fs->lists);
	snprintf(fs->score, sizeof(fs->score), "%d", v->score);
	listed_names(out->results, out->n_sources, &fs->lists);
	fs->code[0] = '\0';
	if (first != NULL)
		code_text(first->code, fs->code);
	f->values[VERDICT_FIELD_CLIENT] = addr_format(&req->client, fs->client);
	f->values[VERDICT_FIELD_HELO] = req->helo;
	f->values[VERDICT_FIELD_SENDER] = req->sender;
	f->values[VERDICT_FIELD_SENDER_DOMAIN] =
		engine_sender_domain(req->sender, fs->domain_stack, sizeof(fs->domain_stack), &fs->domain_heap);
	f->values[VERDICT_FIELD_LIST] = first != NULL ? first->display : "";
	f->values[VERDICT_FIELD_LISTS] = buf_cstr(&fs->lists);
	f->values[VERDICT_FIELD_SCORE] = fs->score;
	f->values[VERDICT_FIELD_CODE] = fs->code;
	f->values[VERDICT_FIELD_TXT] = first != NULL ? first->txt : NULL;
	f->values[VERDICT_FIELD_ACTION] = verdict_action_name(v->action);
	f->values[VERDICT_FIELD_HOST] = cfg_str(engine->cfg, CFG_MYHOSTNAME);
	f->values[VERDICT_FIELD_QUEUE_ID] = req->queue_id;
}

static void fields_free(struct fields *fs)
{
	buf_free(&fs->lists);
	free(fs->domain_heap);
	fs->domain_heap = NULL;
}

/* Render tpl for v, cleaned and cut to max bytes (allocated). */
static char *render(const engine_t *engine, const struct engine_outcome *out,
		    const struct engine_verdict *v, const struct engine_source_result *first,
		    const verdict_template_t *tpl, size_t max)
{
	struct fields fs;
	struct buf text = BUF_INIT;

	fields_build(engine, out, v, first, &fs);
	/* the rendering comes out cleaned and cut to VERDICT_RENDER_MAX already */
	verdict_template_render(tpl, &fs.f, &text);
	if (max < text.len) {
		struct buf cut = BUF_INIT;
		verdict_clean_text(buf_cstr(&text), max, &cut);
		buf_free(&text);
		text = cut;
	}
	fields_free(&fs);
	return buf_detach(&text);
}

/* The code, DSN, text and SMTP line of a reject or tempfail verdict. */
static void fill_reply(const engine_t *engine, const struct engine_outcome *out,
		       const struct engine_source_result *first, struct engine_verdict *v)
{
	const cfg_t *cfg = engine->cfg;
	bool reject = v->action == VERDICT_REJECT;
	struct buf reply = BUF_INIT;

	v->reply_text = render(engine, out, v, first,
			       reject ? engine->reject_tpl : engine->tempfail_tpl,
			       VERDICT_RENDER_MAX);
	v->reply_code = (int)cfg_int(cfg, reject ? CFG_REJECT_CODE : CFG_TEMPFAIL_CODE);
	v->reply_dsn = cfg_str(cfg, reject ? CFG_REJECT_DSN : CFG_TEMPFAIL_DSN);
	verdict_reply(&reply, v->reply_code, v->reply_dsn, v->reply_text);
	v->reply = buf_detach(&reply);
}

/*
 * The tag header value: action, score, the listed sources' names, host.
 * The names sit on the stack up to VERDICT_HEADER_LISTS_MAX, on the heap
 * beyond: every listed name reaches verdict_header_value(), which alone
 * decides what fits (and ends with "..." what does not).
 */
static void fill_header(const engine_t *engine, const struct engine_outcome *out,
			struct engine_verdict *v)
{
	struct buf header = BUF_INIT;
	const char *stack[VERDICT_HEADER_LISTS_MAX], **names = stack;
	size_t n = 0;

	if (out->n_sources > VERDICT_HEADER_LISTS_MAX)
		names = xcalloc(out->n_sources, sizeof(*names));
	for (size_t i = 0; i < out->n_sources; i++) {
		if (out->results[i].answer == ENGINE_LISTED)
			names[n++] = out->results[i].display;
	}
	verdict_header_value(&header, v->action, v->score, names, n, cfg_str(engine->cfg, CFG_MYHOSTNAME));
	v->header = buf_detach(&header);
	if (names != stack)
		free(names);
}

/* SPF applies to an unauthenticated client the engine let through. */
static bool spf_applies(const cfg_t *cfg, const struct engine_request *req,
			const struct engine_verdict *v)
{
	return cfg_enum(cfg, CFG_SPF) != CFG_SPF_NO &&
	       (req->sasl_user == NULL || req->sasl_user[0] == '\0') &&
	       v->skip == ENGINE_SKIP_NONE && !v->allowlisted &&
	       (v->action == VERDICT_PASS || v->action == VERDICT_TAG || v->action == VERDICT_LOG);
}

void engine_score_compute(const engine_t *engine, const struct engine_source_result *results, size_t n,
			  enum engine_skip skip, struct engine_score *sc)
{
	memset(sc, 0, sizeof(*sc));
	for (size_t i = 0; i < n; i++) {
		const struct engine_source_result *r = &results[i];
		if (r->answer == ENGINE_LISTED) {
			sc->score += r->weight;
			if (sc->first == NULL && r->weight > 0)
				sc->first = r;
		}
		if (r->answer == ENGINE_LISTED || r->answer == ENGINE_NOT_LISTED)
			sc->n_answered++;
		else if (r->answer == ENGINE_ERROR)
			sc->n_failed++;
	}
	if (skip != ENGINE_SKIP_NONE) {
		sc->action = VERDICT_PASS;
		return;
	}
	sc->action = verdict_decide(&engine->policy, sc->score, sc->n_answered, sc->n_failed,
				    &sc->allowlisted);
}

void engine_verdict_fill(const engine_t *engine, const struct engine_outcome *out, struct engine_verdict *v)
{
	const struct engine_score *sc = out->score;
	const struct engine_source_result *first = sc->first;

	memset(v, 0, sizeof(*v));
	v->skip = out->skip;
	v->layer = out->layer;
	v->elapsed_us = out->elapsed_us;
	v->n_sources = out->n_sources;
	v->sources = out->results;
	v->score = sc->score;
	v->n_answered = sc->n_answered;
	v->n_failed = sc->n_failed;
	v->action = sc->action;
	if (out->skip != ENGINE_SKIP_NONE)
		return;
	v->allowlisted = sc->allowlisted;
	if (first != NULL)
		v->first_list = first->display;
	v->spf_applies = spf_applies(engine->cfg, out->req, v);

	if (v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL) {
		fill_reply(engine, out, first, v);
		return;
	}
	if (v->action != VERDICT_PASS || v->score != 0)
		fill_header(engine, out, v);
	if (v->action == VERDICT_QUARANTINE)
		v->quarantine_reason = render(engine, out, v, first, engine->quarantine_tpl,
					      VERDICT_REPLY_MAX);
}

void engine_spf_reject_reply(const cfg_t *cfg, const char *explanation, int *code_r,
			     const char **dsn_r, struct buf *text)
{
	*code_r = (int)cfg_int(cfg, CFG_REJECT_CODE);
	*dsn_r = cfg_str(cfg, CFG_REJECT_DSN);
	buf_puts(text, "SPF: ");
	buf_puts(text, explanation != NULL ? explanation : ENGINE_SPF_DEFAULT_TEXT);
}

void engine_verdict_release(struct engine_verdict *v)
{
	free((char *)v->reply);
	free((char *)v->reply_text);
	free((char *)v->header);
	free((char *)v->quarantine_reason);
	v->reply = v->reply_text = v->header = v->quarantine_reason = NULL;
}

struct engine_verdict *engine_verdict_copy(const struct engine_verdict *src)
{
	struct engine_verdict *v = xmalloc(sizeof(*v));

	*v = *src;
	v->sources = copy_sources(src->sources, src->n_sources);
	v->first_list = dup_opt(src->first_list);
	v->reply = dup_opt(src->reply);
	v->reply_dsn = dup_opt(src->reply_dsn);
	v->reply_text = dup_opt(src->reply_text);
	v->header = dup_opt(src->header);
	v->quarantine_reason = dup_opt(src->quarantine_reason);
	return v;
}

void engine_verdict_free(struct engine_verdict **vp)
{
	struct engine_verdict *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_sources; i++) {
		free((char *)v->sources[i].name);
		free((char *)v->sources[i].display);
		free((char *)v->sources[i].txt);
		free((char *)v->sources[i].error);
	}
	free((void *)v->sources);
	free((char *)v->first_list);
	free((char *)v->reply);
	free((char *)v->reply_dsn);
	free((char *)v->reply_text);
	free((char *)v->header);
	free((char *)v->quarantine_reason);
	free(v);
	*vp = NULL;
}

void engine_verdict_log_line(const struct engine_verdict *v, const struct engine_request *req,
			     struct buf *out)
{
	char client[ADDR_STRLEN];
	struct buf lists = BUF_INIT, errors = BUF_INIT;

	log_kv_str(out, "client", addr_format(&req->client, client));
	if (req->helo != NULL && *req->helo)
		log_kv_str(out, "helo", req->helo);
	if (req->queue_id != NULL && *req->queue_id)
		log_kv_str(out, "queue_id", req->queue_id);
	log_kv_str(out, "verdict", verdict_action_name(v->action));
	if (v->skip != ENGINE_SKIP_NONE)
		log_kv_str(out, "skip", engine_skip_name(v->skip));
	log_kv_int(out, "score", v->score);
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct engine_source_result *r = &v->sources[i];
		if (r->answer == ENGINE_LISTED) {
			char code[16];
			code_text(r->code, code);
			buf_printf(&lists, "%s%s=%s", lists.len ? "," : "", r->display, code);
		} else if (r->answer == ENGINE_ERROR) {
			buf_printf(&errors, "%s%s:%s", errors.len ? "," : "", r->display,
				   r->error ? r->error : "error");
		}
	}
	if (lists.len > 0)
		log_kv_str(out, "lists", buf_cstr(&lists));
	if (errors.len > 0)
		log_kv_str(out, "errors", buf_cstr(&errors));
	if (v->allowlisted)
		log_kv_str(out, "allowlisted", "yes");
	log_kv_str(out, "cache", engine_layer_name(v->layer));
	log_kv_int(out, "ms", v->elapsed_us / 1000);
	buf_free(&lists);
	buf_free(&errors);
}
