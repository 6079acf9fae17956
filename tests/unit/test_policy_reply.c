/* test_policy_reply - a verdict as a Postfix policy "action=" line: one row per action. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "policy_reply.h"
#include "tap.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static cfg_t *load(const char *text)
{
	cfg_t *cfg;
	char *error;

	if (cfg_load_mem("test.conf", text, strlen(text), &cfg, &error) != 0) {
		fprintf(stderr, "%s\n", error);
		abort();
	}
	return cfg;
}

static const struct {
	const char *what;
	struct engine_verdict v;
	const char *want;
} cases[] = {
	{ "pass", { .action = VERDICT_PASS }, "action=DUNNO" },
	{ "reject: the code itself, not REJECT (554)",
	  { .action = VERDICT_REJECT, .reply_code = 550, .reply_dsn = "5.7.1", .reply_text = "blocked" },
	  "action=550 5.7.1 blocked" },
	{ "tempfail: DEFER_IF_PERMIT with the DSN, Postfix adds 450",
	  { .action = VERDICT_TEMPFAIL, .reply_code = 451, .reply_dsn = "4.7.1", .reply_text = "later" },
	  "action=DEFER_IF_PERMIT 4.7.1 later" },
	{ "tempfail without text", { .action = VERDICT_TEMPFAIL, .reply_code = 450, .reply_dsn = "4.7.1" },
	  "action=DEFER_IF_PERMIT 4.7.1" },
	{ "tempfail with a bad DSN: the safe 4.3.0",
	  { .action = VERDICT_TEMPFAIL, .reply_code = 450, .reply_dsn = "5.7.1", .reply_text = "x" },
	  "action=DEFER_IF_PERMIT 4.3.0 x" },
	{ "tag: PREPEND the header",
	  { .action = VERDICT_TAG, .header = "listed action=tag score=1 lists=a" },
	  "action=PREPEND X-Relayguard: listed action=tag score=1 lists=a" },
	{ "quarantine: HOLD with the rendered reason",
	  { .action = VERDICT_QUARANTINE, .header = "h", .quarantine_reason = "held [192.0.2.5] in a" },
	  "action=HOLD held [192.0.2.5] in a" },
	{ "quarantine: a reason with CR/LF stays one line",
	  { .action = VERDICT_QUARANTINE, .quarantine_reason = "a\r\nX-Injected: 1" },
	  "action=HOLD a X-Injected: 1" },
	{ "quarantine without a reason", { .action = VERDICT_QUARANTINE }, "action=HOLD" },
	{ "log: WARN with the header value",
	  { .action = VERDICT_LOG, .header = "listed action=log score=1" },
	  "action=WARN listed action=log score=1" },
	{ "an action outside the enum: DUNNO", { .action = (enum verdict_action)42 }, "action=DUNNO" },
};

static void test_actions(void)
{
	cfg_t *cfg = load("tag_header = X-Relayguard\n");

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct buf out = BUF_INIT;
		policy_reply_build(&cases[i].v, NULL, cfg, &out);
		is_str(buf_cstr(&out), cases[i].want, "%s", cases[i].what);
		buf_free(&out);
	}
	cfg_unref(&cfg);
}

/* The SMTP line Postfix makes of a long DEFER_IF_PERMIT ("450 " + text) fits 510 bytes. */
static void test_caps(void)
{
	cfg_t *cfg = load("tag_header = Bad Name:x\n");
	char *text = malloc(700);
	struct buf out = BUF_INIT;

	memset(text, 'a', 699);
	text[699] = '\0';
	struct engine_verdict v = { .action = VERDICT_TEMPFAIL, .reply_code = 450, .reply_dsn = "4.7.1",
				    .reply_text = text };
	policy_reply_build(&v, NULL, cfg, &out);
	is_int(out.len - strlen("action=DEFER_IF_PERMIT ") + strlen("450 "), VERDICT_SMTP_LINE - 2,
	       "DEFER_IF_PERMIT: Postfix's reply line fits 510 bytes");
	buf_reset(&out);
	v = (struct engine_verdict){ .action = VERDICT_REJECT, .reply_code = 550, .reply_dsn = "5.7.1",
				     .reply_text = text };
	policy_reply_build(&v, NULL, cfg, &out);
	is_int(out.len, strlen("action=") + VERDICT_SMTP_LINE - 2, "reject: the line fits 510 bytes");
	buf_reset(&out);
	v = (struct engine_verdict){ .action = VERDICT_TAG, .header = "v" };
	policy_reply_build(&v, NULL, cfg, &out);
	is_str(buf_cstr(&out), "action=PREPEND Bad-Name-x: v", "a header name is made a token");
	buf_free(&out);
	free(text);
	cfg_unref(&cfg);
}

static void test_spf(void)
{
	cfg_t *cfg = load("spf = reject\nreject_code = 554\nreject_dsn = 5.7.23\n");
	struct engine_verdict pass = { .action = VERDICT_PASS, .spf_applies = true };
	struct engine_verdict tag = { .action = VERDICT_TAG, .header = "listed", .spf_applies = true };
	struct spf_outcome fail = { .result = SPF_RESULT_FAIL }, exp = fail, good = { .result = SPF_RESULT_PASS };
	struct buf out = BUF_INIT;

	exp.explanation = (char *)"go\r\naway";
	good.received_spf = (char *)"pass (mx: ok) client-ip=192.0.2.1;";
	policy_reply_build(&pass, &fail, cfg, &out);
	is_str(buf_cstr(&out), "action=554 5.7.23 SPF: sender not permitted by SPF",
	       "SPF fail: reject_code, reject_dsn and the default text");
	buf_reset(&out);
	policy_reply_build(&tag, &exp, cfg, &out);
	is_str(buf_cstr(&out), "action=554 5.7.23 SPF: go away", "SPF fail: the explanation, cleaned");
	buf_reset(&out);
	policy_reply_build(&pass, &good, cfg, &out);
	is_str(buf_cstr(&out), "action=PREPEND Received-SPF: pass (mx: ok) client-ip=192.0.2.1;",
	       "SPF pass on a pass verdict: Received-SPF");
	buf_reset(&out);
	policy_reply_build(&tag, &good, cfg, &out);
	is_str(buf_cstr(&out), "action=PREPEND X-Relayguard: listed spf=pass",
	       "SPF pass on a tag verdict: the result in the tag header");
	buf_free(&out);
	cfg_unref(&cfg);
}

int main(void)
{
	test_actions();
	test_caps();
	test_spf();
	return tap_done();
}
