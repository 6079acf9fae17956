/*
 * ctl_check - `relayguard-ctl check ADDRESS [--helo H] [--sender S] [--json]`:
 * run the real engine on the configuration and explain its verdict: each
 * source with its answer, weight, code, cache layer and time; the score and
 * the action; the reply a client would get.
 *
 * The answers go to the caches like any check's; no report event is emitted.
 * Zone health is decided as in the daemons: the fleet's shared verdicts are
 * read from Redis first (none published), the first probe round travels
 * with the check's queries, and the answers of a zone that is not in
 * service do not count.  Each DNS zone's health is shown with its reason.
 *
 * Exit status: 0 the client passes, 1 it is listed (score at or above
 * dnsbl_threshold, whatever the action), 2 an error (bad arguments, a
 * config that does not load, or every source failed).
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "ctl.h"
#include "engine.h"
#include "json.h"
#include "log.h"
#include "zone_health.h"

struct check_run {
	struct event_base *base;
	struct engine_verdict *verdict;
};

static void on_verdict(const struct engine_verdict *v, void *ctx)
{
	struct check_run *run = ctx;

	run->verdict = engine_verdict_copy(v);
	event_base_loopbreak(run->base);
}

static void on_flushed(void *ctx)
{
	event_base_loopbreak(ctx);
}

static void code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff, (code >> 8) & 0xff, code & 0xff);
}

/* The filter of the source (zone or redis list) named name, in config syntax, into out. */
static void source_filter(const cfg_t *cfg, const struct engine_source_result *r, struct buf *out)
{
	static const enum cfg_id ids[] = {
		[ENGINE_SOURCE_DNSBL] = CFG_DNSBL_SITES,
		[ENGINE_SOURCE_RHSBL_HELO] = CFG_RHSBL_HELO_SITES,
		[ENGINE_SOURCE_RHSBL_SENDER] = CFG_RHSBL_SENDER_SITES,
		[ENGINE_SOURCE_FILE] = CFG_FILE_LISTS,	/* never filtered: not looked up */
		[ENGINE_SOURCE_REDIS_LIST] = CFG_REDIS_LISTS,
	};
	if (r->kind == ENGINE_SOURCE_FILE || (size_t)r->kind >= sizeof(ids) / sizeof(ids[0]))
		return;
	const struct cfg_sitelist *sites = cfg_sites(cfg, ids[r->kind]);
	for (size_t i = 0; i < sites->n; i++) {
		if (strcmp(sites->items[i].zone, r->name) == 0) {
			site_filter_format(&sites->items[i].filter, out);
			return;
		}
	}
}

/*
 * The text column: the error, the TXT, or for an answer the source's filter
 * left out, what it got and why it does not count.
 */
static void source_note(const cfg_t *cfg, const struct engine_source_result *r, struct buf *out)
{
	if (r->error != NULL) {
		buf_puts(out, r->error);
	} else if (r->txt != NULL) {
		buf_puts(out, r->txt);
	} else if (r->answer == ENGINE_NOT_LISTED && r->filtered_code != 0) {
		buf_puts(out, "filtered out: the code is outside the filter ");
		source_filter(cfg, r, out);
	}
}

/*
 * The header a door would add, or NULL: only tag and quarantine add one
 * (the milter for both, policyd PREPENDs it for tag), and only when
 * tag_header names one.  The engine also fills v->header for a pass with
 * a score, and for log (policyd's WARN text): no message gets that.
 */
static const char *door_header(const cfg_t *cfg, const struct engine_verdict *v)
{
	if (v->action != VERDICT_TAG && v->action != VERDICT_QUARANTINE)
		return NULL;
	return *cfg_str(cfg, CFG_TAG_HEADER) != '\0' ? v->header : NULL;
}

static void print_text(const cfg_t *cfg, const struct engine_request *req,
		       const struct engine_verdict *v, int threshold)
{
	char client[ADDR_STRLEN], code[16];
	struct buf note = BUF_INIT;
	const char *header = door_header(cfg, v);

	printf("client %s (%s)\n", addr_format(&req->client, client),
	       addr_class_name(addr_classify(&req->client)));
	if (v->skip != ENGINE_SKIP_NONE) {
		printf("skipped: %s\naction: pass\n", engine_skip_name(v->skip));
		return;
	}
	printf("%-28s %-12s %-10s %6s  %-15s %-7s %9s  %s\n", "source", "kind", "answer", "weight",
	       "code", "cache", "time", "text");
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct engine_source_result *r = &v->sources[i];
		code[0] = '\0';
		if (r->answer == ENGINE_LISTED)
			code_text(r->code, code);
		else if (r->answer == ENGINE_NOT_LISTED && r->filtered_code != 0)
			code_text(r->filtered_code, code);
		buf_reset(&note);
		source_note(cfg, r, &note);
		printf("%-28s %-12s %-10s %6d  %-15s %-7s %7.1fms  %s\n", r->name, engine_kind_name(r->kind),
		       engine_answer_name(r->answer), r->weight, code, engine_layer_name(r->layer),
		       r->latency_us / 1000.0, buf_cstr(&note));
	}
	buf_free(&note);
	printf("score %d (threshold %d)%s -> %s\n", v->score, threshold,
	       v->allowlisted ? ", allowlisted" : "", verdict_action_name(v->action));
	if (v->reply != NULL)
		printf("reply: %s\n", v->reply);
	if (header != NULL)
		printf("header: %s: %s\n", cfg_str(cfg, CFG_TAG_HEADER), header);
	if (v->quarantine_reason != NULL)
		printf("quarantine reason: %s\n", v->quarantine_reason);
	printf("time: %.1f ms (slowest layer: %s)\n", v->elapsed_us / 1000.0, engine_layer_name(v->layer));
}

/* Each DNS zone's health and why, under the sources table. */
static void print_health_text(const engine_t *e, const struct engine_verdict *v)
{
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct zone_health *h = engine_source_health(e, i);
		if (h != NULL)
			printf("zone %s: %s (%s)\n", v->sources[i].name, zone_state_label(h->state), h->why);
	}
}

/* The same as a "zones" member of the JSON object. */
static void print_health_json(const engine_t *e, const struct engine_verdict *v, struct buf *out)
{
	bool first = true;

	json_key(out, "zones");
	buf_putc(out, '[');
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct zone_health *h = engine_source_health(e, i);
		if (h == NULL)
			continue;
		buf_puts(out, first ? "{" : ",{");
		first = false;
		json_key(out, "name");
		json_str(out, v->sources[i].name);
		json_key(out, "state");
		json_str(out, zone_state_name(h->state));
		json_key(out, "reason");
		json_str(out, h->why);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void print_json(const cfg_t *cfg, const engine_t *e, const struct engine_request *req,
		       const struct engine_verdict *v)
{
	struct buf out = BUF_INIT;
	char client[ADDR_STRLEN], code[16];

	buf_putc(&out, '{');
	json_key(&out, "client");
	json_str(&out, addr_format(&req->client, client));
	json_key(&out, "skip");
	json_str(&out, v->skip == ENGINE_SKIP_NONE ? NULL : engine_skip_name(v->skip));
	json_key(&out, "score");
	buf_printf(&out, "%d", v->score);
	json_key(&out, "action");
	json_str(&out, verdict_action_name(v->action));
	json_key(&out, "allowlisted");
	buf_puts(&out, v->allowlisted ? "true" : "false");
	json_key(&out, "sources");
	buf_putc(&out, '[');
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct engine_source_result *r = &v->sources[i];
		if (i > 0)
			buf_putc(&out, ',');
		buf_putc(&out, '{');
		json_key(&out, "name");
		json_str(&out, r->name);
		json_key(&out, "kind");
		json_str(&out, engine_kind_name(r->kind));
		json_key(&out, "answer");
		json_str(&out, engine_answer_name(r->answer));
		json_key(&out, "weight");
		buf_printf(&out, "%d", r->weight);
		json_key(&out, "code");
		code_text(r->code, code);
		json_str(&out, r->answer == ENGINE_LISTED ? code : NULL);
		json_key(&out, "filtered_code");
		code_text(r->filtered_code, code);
		json_str(&out, r->answer == ENGINE_NOT_LISTED && r->filtered_code != 0 ? code : NULL);
		json_key(&out, "cache");
		json_str(&out, engine_layer_name(r->layer));
		json_key(&out, "ms");
		buf_printf(&out, "%.3f", r->latency_us / 1000.0);
		json_key(&out, "txt");
		json_str(&out, r->txt);
		json_key(&out, "error");
		json_str(&out, r->error);
		buf_putc(&out, '}');
	}
	buf_putc(&out, ']');
	json_key(&out, "reply");
	json_str(&out, v->reply);
	json_key(&out, "header");
	json_str(&out, door_header(cfg, v));
	json_key(&out, "quarantine_reason");
	json_str(&out, v->quarantine_reason);
	json_key(&out, "cache");
	json_str(&out, engine_layer_name(v->layer));
	json_key(&out, "ms");
	buf_printf(&out, "%.3f", v->elapsed_us / 1000.0);
	print_health_json(e, v, &out);
	buf_puts(&out, "}\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
}

/* Wait (at most redis_timeout) for the caches to connect, so the check uses them. */
static void wait_ready(struct event_base *base, engine_t *engine, const cfg_t *cfg)
{
	uint64_t until = clock_now_ms() + cfg_ms(cfg, CFG_REDIS_TIMEOUT);
	struct timeval tick = { 0, 10000 };

	while (!engine_ready(engine) && clock_now_ms() < until) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
}

int ctl_check(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "helo", required_argument, NULL, 'H' },
		{ "sender", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_request req = { 0 };
	bool json = false;
	int c, status;

	while ((c = getopt_long(argc, argv, "H:s:j", opts, NULL)) != -1) {
		switch (c) {
		case 'H': req.helo = optarg; break;
		case 's': req.sender = optarg; break;
		case 'j': json = true; break;
		default: return ctl_usage_error("check", "unknown option");
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error("check", "expected one ADDRESS");
	if (addr_parse(argv[optind], &req.client) != 0) {
		fprintf(stderr, "relayguard-ctl: check: '%s' is not an IPv4 or IPv6 address\n", argv[optind]);
		return 2;
	}
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return 2;
	struct event_base *base = event_base_new();
	engine_t *engine = NULL;
	char *error = NULL;
	/* An operator's question is not evidence: no report event. */
	static const struct engine_opts eopts = { .no_reports = true, .health_read_only = true };
	if (engine_new_opts(base, cfg, &eopts, &engine, &error) != 0) {
		fprintf(stderr, "relayguard-ctl: check: %s\n", error);
		free(error);
		event_base_free(base);
		cfg_unref(&cfg);
		return 2;
	}
	wait_ready(base, engine, cfg);
	/* The fleet's zone health, so that this check decides as the daemons do. */
	engine_health_sync(engine, on_flushed, base);
	event_base_dispatch(base);
	struct check_run run = { base, NULL };
	(void)engine_check(engine, &req, on_verdict, &run);
	event_base_dispatch(base);

	/* The answers go to Redis for the fleet: let them land before exiting. */
	engine_flush(engine, on_flushed, base);
	event_base_dispatch(base);

	const struct engine_verdict *v = run.verdict;
	int threshold = (int)cfg_int(cfg, CFG_DNSBL_THRESHOLD);
	if (json) {
		print_json(cfg, engine, &req, v);
	} else {
		print_text(cfg, &req, v, threshold);
		print_health_text(engine, v);
	}
	if (v->n_answered == 0 && v->n_failed > 0)
		status = 2;
	else
		status = v->skip == ENGINE_SKIP_NONE && v->score >= threshold ? 1 : 0;
	engine_verdict_free(&run.verdict);
	engine_free(&engine);
	event_base_free(base);
	cfg_unref(&cfg);
	return status;
}
