/* policy_reply - a verdict as a Postfix policy "action=" line; see policy_reply.h. */
#include "config.h"

#include <string.h>

#include "policy_reply.h"
#include "verdict.h"

/* What follows the verb. */
enum policy_arg {
	ARG_NONE,	/* nothing */
	ARG_SMTP,	/* "CODE DSN text": the verb is the SMTP code itself */
	ARG_DSN_TEXT,	/* "DSN text": Postfix adds its own code */
	ARG_HEADER,	/* "Name: value" of tag_header */
	ARG_REASON,	/* the rendered quarantine reason */
	ARG_VALUE,	/* the header value, as a log text */
};

static const struct policy_verb {
	const char *verb;	/* NULL: ARG_SMTP, the code stands in its place */
	enum policy_arg arg;
} verbs[] = {
	[VERDICT_PASS] = { "DUNNO", ARG_NONE },
	[VERDICT_REJECT] = { NULL, ARG_SMTP },
	/* DEFER_IF_PERMIT: Postfix defers only if nothing later rejects */
	[VERDICT_TEMPFAIL] = { "DEFER_IF_PERMIT", ARG_DSN_TEXT },
	[VERDICT_TAG] = { "PREPEND", ARG_HEADER },
	[VERDICT_QUARANTINE] = { "HOLD", ARG_REASON },
	[VERDICT_LOG] = { "WARN", ARG_VALUE },
};

/* " text" cleaned to at most max bytes; nothing when it cleans to nothing. */
static void put_text(struct buf *out, const char *text, size_t max)
{
	size_t start = out->len;

	buf_putc(out, ' ');
	verdict_clean_text(text, max, out);
	if (out->len == start + 1)
		buf_truncate(out, start);
}

/* The tag header's name: cleaned, no ':' or space. */
static void put_header_name(struct buf *out, const char *name)
{
	size_t start = out->len;

	verdict_clean_text(name, POLICY_HEADER_NAME_MAX, out);
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == ':' || out->data[i] == ' ')
			out->data[i] = '-';
	if (out->len == start)
		buf_puts(out, "X-Relayguard");
}

/* "DSN text" under a DEFER_IF_PERMIT: the line Postfix makes ("450 DSN text") fits. */
static void put_dsn_text(struct buf *out, int code, const char *dsn, const char *text)
{
	size_t prefix = strlen("450 ");

	verdict_reply_check(&code, &dsn);
	if (dsn != NULL) {
		buf_printf(out, " %s", dsn);
		prefix += strlen(dsn) + 1;
	}
	put_text(out, text, VERDICT_SMTP_LINE - 2 - prefix);
}

static void put_verdict(const struct engine_verdict *v, const struct spf_outcome *spf,
			const cfg_t *cfg, struct buf *out)
{
	const struct policy_verb *pv = (unsigned)v->action < sizeof(verbs) / sizeof(verbs[0])
					       ? &verbs[v->action] : &verbs[VERDICT_PASS];
	struct buf tmp = BUF_INIT;

	if (pv->verb != NULL)
		buf_puts(out, pv->verb);
	switch (pv->arg) {
	case ARG_NONE:
		break;
	case ARG_SMTP:
		/* the verdict carries this very line (verdict_reply() of its code, DSN and text) */
		if (v->reply != NULL)
			buf_puts(out, v->reply);
		else
			verdict_reply(out, v->reply_code, v->reply_dsn, v->reply_text);
		break;
	case ARG_DSN_TEXT:
		put_dsn_text(out, v->reply_code, v->reply_dsn, v->reply_text);
		break;
	case ARG_HEADER:
		buf_putc(out, ' ');
		put_header_name(out, cfg_str(cfg, CFG_TAG_HEADER));
		buf_puts(out, ":");
		buf_puts(&tmp, v->header);
		if (spf != NULL)
			buf_printf(&tmp, " spf=%s", spf_result_name(spf->result));
		put_text(out, buf_cstr(&tmp), VERDICT_HEADER_MAX);
		break;
	case ARG_REASON:
		put_text(out, v->quarantine_reason, VERDICT_REPLY_MAX);
		break;
	case ARG_VALUE:
		put_text(out, v->header != NULL ? v->header : "listed", VERDICT_REPLY_MAX);
		break;
	}
	buf_free(&tmp);
}

void policy_reply_build(const struct engine_verdict *v, const struct spf_outcome *spf,
			const cfg_t *cfg, struct buf *out)
{
	buf_puts(out, "action=");
	if (spf != NULL && spf->result == SPF_RESULT_FAIL && cfg_enum(cfg, CFG_SPF) == CFG_SPF_REJECT) {
		struct buf text = BUF_INIT;
		const char *dsn;
		int code;
		engine_spf_reject_reply(cfg, spf->explanation, &code, &dsn, &text);
		verdict_reply(out, code, dsn, buf_cstr(&text));
		buf_free(&text);
		return;
	}
	if (spf != NULL && spf->received_spf != NULL && v->action == VERDICT_PASS) {
		buf_puts(out, "PREPEND Received-SPF:");
		put_text(out, spf->received_spf, VERDICT_HEADER_MAX);
		return;
	}
	put_verdict(v, spf, cfg, out);
}
