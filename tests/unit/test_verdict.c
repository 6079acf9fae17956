/* test_verdict - decisions, templates, cleaning, names, headers, replies. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "verdict.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BIG (100 * 1024)

/* A 100 kB hostile TXT record: words, CR/LF, TAB, controls and 8-bit bytes. */
static char *hostile_text(void)
{
	static const char piece[] = "spam\r\nX-Injected: yes\t\x01\x7f caf\xc3\xa9 ";
	char *s = malloc(BIG + 1);
	for (size_t i = 0; i < BIG; i++)
		s[i] = piece[i % (sizeof(piece) - 1)];
	s[BIG] = '\0';
	return s;
}

/* Only printable ASCII, no blank at either end. */
static bool is_clean(const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return len == 0 || (s[0] != ' ' && s[len - 1] != ' ');
}

/* s for a test name: controls and 8-bit shown as '.', so a TAP line stays one line. */
static const char *printable(const char *s)
{
	static char shown[4][128];
	static unsigned next;
	char *p = shown[next++ % 4];
	size_t i = 0;

	for (; s != NULL && s[i] != '\0' && i < sizeof(shown[0]) - 1; i++)
		p[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '.';
	p[i] = '\0';
	return p;
}

/* ---- decisions -------------------------------------------------------- */

static void test_action_names(void)
{
	static const struct {
		enum verdict_action a;
		const char *name;
	} cases[] = {
		{ VERDICT_PASS, "pass" },	{ VERDICT_REJECT, "reject" },
		{ VERDICT_TEMPFAIL, "tempfail" }, { VERDICT_TAG, "tag" },
		{ VERDICT_QUARANTINE, "quarantine" }, { VERDICT_LOG, "log" },
		{ (enum verdict_action)99, "unknown" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		is_str(verdict_action_name(cases[i].a), cases[i].name, "action name %s", cases[i].name);
}

static const struct {
	const char *what;
	int threshold, allowlist;
	enum verdict_action listed, error;
	int score;
	size_t answered, failed;
	enum verdict_action want;
	bool allowlisted;
} decide_cases[] = {
	{ "score equal to threshold is listed", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 3, 2, 0, VERDICT_REJECT, false },
	{ "score one below threshold passes", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 2, 2, 0, VERDICT_PASS, false },
	{ "score above threshold is listed", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 7, 2, 0, VERDICT_REJECT, false },
	{ "score equal to allowlist threshold is allowlisted", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, -2, 2, 0, VERDICT_PASS, true },
	{ "score one above allowlist threshold is not", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, -1, 2, 0, VERDICT_PASS, false },
	{ "score below allowlist threshold is allowlisted", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, -9, 2, 0, VERDICT_PASS, true },
	{ "negative weight pulls 3-2 below threshold", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 3 - 2, 2, 0, VERDICT_PASS, false },
	{ "negative weights only: allowlisted", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, -1 - 2, 3, 0, VERDICT_PASS, true },
	{ "allowlist threshold 0 disables allowlisting", 3, 0, VERDICT_REJECT, VERDICT_TEMPFAIL, 0, 2, 0, VERDICT_PASS, false },
	{ "allowlist threshold 0, negative score: not allowlisted", 3, 0, VERDICT_REJECT, VERDICT_TEMPFAIL, -4, 2, 0, VERDICT_PASS, false },
	{ "partial failure scored on what answered: listed", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 3, 1, 2, VERDICT_REJECT, false },
	{ "partial failure scored on what answered: pass", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 0, 1, 2, VERDICT_PASS, false },
	{ "partial failure ignores error_action", 3, -2, VERDICT_REJECT, VERDICT_PASS, 0, 1, 5, VERDICT_PASS, false },
	{ "partial failure can still allowlist", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, -2, 1, 1, VERDICT_PASS, true },
	{ "total failure, error_action tempfail", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 0, 0, 3, VERDICT_TEMPFAIL, false },
	{ "total failure, error_action pass", 3, -2, VERDICT_REJECT, VERDICT_PASS, 0, 0, 3, VERDICT_PASS, false },
	{ "total failure, one source", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 0, 0, 1, VERDICT_TEMPFAIL, false },
	{ "total failure never rejects (error_action reject)", 3, -2, VERDICT_REJECT, VERDICT_REJECT, 0, 0, 3, VERDICT_TEMPFAIL, false },
	{ "total failure wins over a score", 3, -2, VERDICT_REJECT, VERDICT_PASS, 5, 0, 2, VERDICT_PASS, false },
	{ "no sources at all: score rules", 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL, 0, 0, 0, VERDICT_PASS, false },
	{ "listed_action tag", 1, -1, VERDICT_TAG, VERDICT_TEMPFAIL, 1, 1, 0, VERDICT_TAG, false },
	{ "listed_action quarantine", 1, -1, VERDICT_QUARANTINE, VERDICT_TEMPFAIL, 2, 1, 0, VERDICT_QUARANTINE, false },
	{ "listed_action tempfail", 1, -1, VERDICT_TEMPFAIL, VERDICT_PASS, 2, 1, 0, VERDICT_TEMPFAIL, false },
	{ "listed_action log", 1, -1, VERDICT_LOG, VERDICT_PASS, 2, 1, 0, VERDICT_LOG, false },
	{ "negative threshold: allowlist checked first", -1, -1, VERDICT_REJECT, VERDICT_PASS, -1, 1, 0, VERDICT_PASS, true },
	{ "negative threshold above allowlist", -1, -3, VERDICT_REJECT, VERDICT_PASS, -1, 1, 0, VERDICT_REJECT, false },
	{ "between negative thresholds: pass", -1, -3, VERDICT_REJECT, VERDICT_PASS, -2, 1, 0, VERDICT_PASS, false },
};

static void test_decide(void)
{
	for (size_t i = 0; i < N_ELEMS(decide_cases); i++) {
		struct verdict_policy p = {
			.threshold = decide_cases[i].threshold,
			.allowlist_threshold = decide_cases[i].allowlist,
			.listed_action = decide_cases[i].listed,
			.error_action = decide_cases[i].error,
		};
		bool allowlisted = !decide_cases[i].allowlisted;
		enum verdict_action a = verdict_decide(&p, decide_cases[i].score, decide_cases[i].answered,
						       decide_cases[i].failed, &allowlisted);
		is_str(verdict_action_name(a), verdict_action_name(decide_cases[i].want), "decide: %s",
		       decide_cases[i].what);
		is_int(allowlisted, decide_cases[i].allowlisted, "decide: %s (allowlisted)",
		       decide_cases[i].what);
	}
	struct verdict_policy p = { 3, -2, VERDICT_REJECT, VERDICT_TEMPFAIL };
	is_int(verdict_decide(&p, -5, 1, 0, NULL), VERDICT_PASS, "decide: allowlisted_r may be NULL");
}

/* ---- cleaning --------------------------------------------------------- */

static const struct {
	const char *what;
	const char *in;
	size_t max;
	const char *want;
} clean_cases[] = {
	{ "plain text", "hello", 500, "hello" },
	{ "NULL is empty", NULL, 500, "" },
	{ "empty", "", 500, "" },
	{ "CR LF become one space", "a\r\nb", 500, "a b" },
	{ "TAB becomes a space", "a\tb", 500, "a b" },
	{ "controls and DEL collapse", "a\x01\x02\x1b\x7f b", 500, "a b" },
	{ "space runs collapse", "a    b", 500, "a b" },
	{ "leading and trailing blanks trimmed", " \r\n\t a b \t\r\n ", 500, "a b" },
	{ "only blanks", "\r\n\t \x7f", 500, "" },
	{ "8-bit bytes become one ? each", "caf\xc3\xa9", 500, "caf??" },
	{ "byte 0xff", "\xff", 500, "?" },
	{ "printable ASCII kept", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", 500,
	  "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~" },
	{ "header injection flattened", "x\r\nX-Spam: no\r\n\r\nbody", 500, "x X-Spam: no body" },
	{ "max 0 gives nothing", "hello", 0, "" },
	{ "exact fit", "hello world", 11, "hello world" },
	{ "cut inside a word backs up to the space", "hello world", 10, "hello" },
	{ "cut one byte into a word backs up", "hello world", 7, "hello" },
	{ "cut on the space", "hello world", 6, "hello" },
	{ "cut right after a word", "hello world", 5, "hello" },
	{ "hard cut without a space", "abcdefghijabcdefghijabcdefghij", 25, "abcdefghijabcdefghijabcde" },
	{ "space 21 bytes back: hard cut", "pppppppppp xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 31,
	  "pppppppppp xxxxxxxxxxxxxxxxxxxx" },
	{ "space 20 bytes back: word cut", "pppppppppp xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 30, "pppppppppp" },
	{ "cut counts cleaned bytes", "a\r\n\r\n\r\nb c", 3, "a b" },
	{ "first word longer than max", "abcdef", 3, "abc" },
};

static void test_clean(void)
{
	for (size_t i = 0; i < N_ELEMS(clean_cases); i++) {
		struct buf out = BUF_INIT, again = BUF_INIT;
		verdict_clean_text(clean_cases[i].in, clean_cases[i].max, &out);
		is_str(buf_cstr(&out), clean_cases[i].want, "clean: %s", clean_cases[i].what);
		verdict_clean_text(buf_cstr(&out), clean_cases[i].max, &again);
		is_str(buf_cstr(&again), buf_cstr(&out), "clean is idempotent: %s", clean_cases[i].what);
		buf_free(&out);
		buf_free(&again);
	}

	struct buf out = BUF_INIT;
	buf_puts(&out, "X:");
	verdict_clean_text("a\r\nb", 500, &out);
	is_str(buf_cstr(&out), "X:a b", "clean appends to what the buffer holds");
	buf_free(&out);

	char *big = hostile_text();
	const size_t caps[] = { VERDICT_REPLY_MAX, VERDICT_HEADER_MAX, 1 };
	for (size_t i = 0; i < N_ELEMS(caps); i++) {
		verdict_clean_text(big, caps[i], &out);
		ok(out.len <= caps[i] && out.len + VERDICT_CUT_WINDOW >= caps[i],
		   "100 kB hostile text cut to %zu bytes (got %zu)", caps[i], out.len);
		ok(is_clean(buf_cstr(&out)), "100 kB hostile text cleaned (cap %zu)", caps[i]);
		buf_free(&out);
	}
	free(big);
}

/* ---- templates -------------------------------------------------------- */

static struct verdict_fields sample_fields(void)
{
	struct verdict_fields f = { { NULL } };
	f.values[VERDICT_FIELD_CLIENT] = "192.0.2.1";
	f.values[VERDICT_FIELD_HELO] = "helo.example";
	f.values[VERDICT_FIELD_SENDER] = "user@sender.example";
	f.values[VERDICT_FIELD_SENDER_DOMAIN] = "sender.example";
	f.values[VERDICT_FIELD_LIST] = "bl.example";
	f.values[VERDICT_FIELD_LISTS] = "bl.example,other.example";
	f.values[VERDICT_FIELD_SCORE] = "3";
	f.values[VERDICT_FIELD_CODE] = "127.0.0.2";
	f.values[VERDICT_FIELD_TXT] = "see http://bl.example/?192.0.2.1";
	f.values[VERDICT_FIELD_ACTION] = "reject";
	f.values[VERDICT_FIELD_HOST] = "mx.example";
	f.values[VERDICT_FIELD_QUEUE_ID] = "4XyZ12abc";
	return f;
}

/* Compile text, render it with f into a fresh string (caller frees), or NULL. */
static char *render(const char *text, const struct verdict_fields *f)
{
	verdict_template_t *tpl;
	char *error;
	struct buf out = BUF_INIT;

	if (verdict_template_compile(text, &tpl, &error) != 0) {
		tap_diag("compile \"%s\": %s", text, error);
		free(error);
		return NULL;
	}
	verdict_template_render(tpl, f, &out);
	verdict_template_free(&tpl);
	return buf_detach(&out);
}

static void check_render(const char *text, const struct verdict_fields *f, const char *want,
			 const char *what)
{
	char *got = render(text, f);
	is_str(got, want, "render %s: \"%s\"", what, printable(text));
	free(got);
}

static void test_fields(void)
{
	static const struct {
		enum verdict_field field;
		const char *name, *tpl, *want;
	} cases[] = {
		{ VERDICT_FIELD_CLIENT, "client", "<{client}>", "<192.0.2.1>" },
		{ VERDICT_FIELD_HELO, "helo", "<{helo}>", "<helo.example>" },
		{ VERDICT_FIELD_SENDER, "sender", "<{sender}>", "<user@sender.example>" },
		{ VERDICT_FIELD_SENDER_DOMAIN, "sender_domain", "<{sender_domain}>", "<sender.example>" },
		{ VERDICT_FIELD_LIST, "list", "<{list}>", "<bl.example>" },
		{ VERDICT_FIELD_LISTS, "lists", "<{lists}>", "<bl.example,other.example>" },
		{ VERDICT_FIELD_SCORE, "score", "<{score}>", "<3>" },
		{ VERDICT_FIELD_CODE, "code", "<{code}>", "<127.0.0.2>" },
		{ VERDICT_FIELD_TXT, "txt", "<{txt}>", "<see http://bl.example/?192.0.2.1>" },
		{ VERDICT_FIELD_ACTION, "action", "<{action}>", "<reject>" },
		{ VERDICT_FIELD_HOST, "host", "<{host}>", "<mx.example>" },
		{ VERDICT_FIELD_QUEUE_ID, "queue_id", "<{queue_id}>", "<4XyZ12abc>" },
	};
	struct verdict_fields f = sample_fields(), none = { { NULL } };

	is_int(N_ELEMS(cases), VERDICT_FIELD_COUNT, "every field has a case");
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		is_str(verdict_field_name(cases[i].field), cases[i].name, "field name %s", cases[i].name);
		check_render(cases[i].tpl, &f, cases[i].want, cases[i].name);
		check_render(cases[i].tpl, &none, "<>", "unset field is empty");
		/* Every field works in the conditional form too. */
		struct buf cond = BUF_INIT;
		buf_printf(&cond, "[{%s?yes}]", cases[i].name);
		check_render(buf_cstr(&cond), &f, "[yes]", "conditional, set");
		check_render(buf_cstr(&cond), &none, "[]", "conditional, unset");
		buf_free(&cond);
	}
	is_str(verdict_field_name(VERDICT_FIELD_COUNT), "unknown", "field name out of range");
}

static void test_templates(void)
{
	struct verdict_fields f = sample_fields(), blank_txt = sample_fields();
	struct verdict_fields no_txt = sample_fields(), hostile = sample_fields();

	no_txt.values[VERDICT_FIELD_TXT] = NULL;
	blank_txt.values[VERDICT_FIELD_TXT] = " \r\n\t\x7f ";
	hostile.values[VERDICT_FIELD_TXT] = "listed\r\n250 OK\r\n";
	hostile.values[VERDICT_FIELD_CLIENT] = "1.2.3.4\r\nX-Evil: 1";
	check_render(VERDICT_DEFAULT_REJECT, &f,
		     "Service unavailable; client [192.0.2.1] blocked using bl.example: "
		     "see http://bl.example/?192.0.2.1", "default reject, with TXT");
	check_render(VERDICT_DEFAULT_REJECT, &no_txt,
		     "Service unavailable; client [192.0.2.1] blocked using bl.example",
		     "default reject, no TXT");
	check_render(VERDICT_DEFAULT_REJECT, &blank_txt,
		     "Service unavailable; client [192.0.2.1] blocked using bl.example",
		     "default reject, TXT only blanks counts as empty");
	check_render(VERDICT_DEFAULT_REJECT, &hostile,
		     "Service unavailable; client [1.2.3.4 X-Evil: 1] blocked using bl.example: "
		     "listed 250 OK", "default reject, CR/LF in values flattened");
	check_render("{{client}}", &f, "{client}", "escaped braces are literal");
	check_render("a}}b{{c", &f, "a}b{c", "lone escapes");
	check_render("{{{client}}}", &f, "{192.0.2.1}", "escapes around a field");
	check_render("{txt?(}{score}{txt?)}", &no_txt, "3", "conditionals around a field, unset");
	check_render("{txt?(}{score}{txt?)}", &f, "(3)", "conditionals around a field, set");
	check_render("", &f, "", "empty template");
	check_render("no fields", &f, "no fields", "literal only");
	check_render("a\r\n\tb  c", &f, "a b c", "literal controls cleaned");
	check_render("caf\xc3\xa9 {list}", &f, "caf?? bl.example", "literal 8-bit cleaned");
	check_render("  {txt?x}  {list}  ", &no_txt, "bl.example", "blanks around empty parts trimmed");
	check_render("{list}{list}", &f, "bl.examplebl.example", "a field twice");
	check_render("?:{list}", &f, "?:bl.example", "? and : outside references are literal");
	check_render("{txt?a?b:c}", &f, "a?b:c", "conditional text may hold ? and :");

	/* The output is appended; the template is reusable. */
	verdict_template_t *tpl;
	char *error;
	struct buf out = BUF_INIT;
	ok(verdict_template_compile("<{score}>", &tpl, &error) == 0 && error == NULL,
	   "compile succeeds with *error_r NULL");
	buf_puts(&out, "pre");
	verdict_template_render(tpl, &f, &out);
	verdict_template_render(tpl, &f, &out);
	is_str(buf_cstr(&out), "pre<3><3>", "render appends, twice");
	verdict_template_free(&tpl);
	ok(tpl == NULL, "template_free sets NULL");
	verdict_template_free(&tpl);
	verdict_template_free(NULL);
	ok(true, "template_free of NULL is a no-op");
	buf_free(&out);
}

static void test_template_caps(void)
{
	struct verdict_fields f = sample_fields();
	char *big = hostile_text();

	for (size_t i = 0; i < VERDICT_FIELD_COUNT; i++)
		f.values[i] = big;
	char *got = render("{client}{helo}{sender}{sender_domain}{list}{lists}{score}{code}"
			   "{txt?: }{txt}{action}{host}{queue_id}", &f);
	ok(got != NULL && strlen(got) <= VERDICT_RENDER_MAX && strlen(got) > VERDICT_RENDER_MAX - 30,
	   "100 kB values: rendering cut to VERDICT_RENDER_MAX (got %zu)", got ? strlen(got) : 0);
	ok(got != NULL && is_clean(got), "100 kB hostile values: no control or 8-bit byte out");
	ok(got != NULL && strpbrk(got, "\r\n") == NULL, "100 kB hostile values: no CR/LF out");
	free(got);

	f = sample_fields();
	f.values[VERDICT_FIELD_TXT] = big;
	got = render(VERDICT_DEFAULT_REJECT, &f);
	struct buf reply = BUF_INIT;
	verdict_reply(&reply, 550, "5.7.1", got);
	ok(reply.len <= VERDICT_SMTP_LINE - 2, "reply from a 100 kB TXT fits one SMTP line (%zu)",
	   reply.len);
	ok(strncmp(buf_cstr(&reply), "550 5.7.1 Service unavailable; client [192.0.2.1] blocked "
				     "using bl.example: spam X-Injected: yes caf?? spam", 97) == 0,
	   "reply from a 100 kB TXT starts as expected");
	ok(is_clean(buf_cstr(&reply)), "reply from a 100 kB TXT is clean");
	buf_free(&reply);
	free(got);
	free(big);
}

/* ---- template compile errors ------------------------------------------ */

#define KNOWN "(known: client, helo, sender, sender_domain, list, lists, score, code, txt, " \
	      "action, host, queue_id)"

static const struct {
	const char *tpl;
	const char *error;
} error_cases[] = {
	{ "Service unavailable; client [{clent}] blocked",
	  "unknown field 'clent' at column 30 " KNOWN },
	{ "{Client}", "unknown field 'Client' at column 1 " KNOWN },
	{ "ab{txt ?x}", "unknown field 'txt ' at column 3 " KNOWN },
	{ "{cl\r\nent}", "unknown field 'cl?" "?ent' at column 1 " KNOWN },
	{ "{caf\xc3\xa9}", "unknown field 'caf?" "?' at column 1 " KNOWN },
	{ "{client", "unbalanced '{' at column 1: no closing '}' (write '{{' for a literal brace)" },
	{ "x {txt?: ", "unbalanced '{' at column 3: no closing '}' (write '{{' for a literal brace)" },
	{ "{{{", "unbalanced '{' at column 3: no closing '}' (write '{{' for a literal brace)" },
	{ "ab}", "unbalanced '}' at column 3 (write '}}' for a literal brace)" },
	{ "}}}", "unbalanced '}' at column 3 (write '}}' for a literal brace)" },
	{ "{client}}", "unbalanced '}' at column 9 (write '}}' for a literal brace)" },
	{ "{}", "empty field name at column 1" },
	{ "x{?a}", "empty field name at column 2" },
	{ "{txt?a{b}", "'{' at column 7 inside the field reference opened at column 1" },
	{ "{cli{ent}", "'{' at column 5 inside the field reference opened at column 1" },
	{ "{txt?{{}", "'{' at column 6 inside the field reference opened at column 1" },
};

static void test_compile_errors(void)
{
	for (size_t i = 0; i < N_ELEMS(error_cases); i++) {
		verdict_template_t *tpl = (verdict_template_t *)&tpl;	/* must be reset */
		char *error = NULL;
		int rc = verdict_template_compile(error_cases[i].tpl, &tpl, &error);
		ok(rc == -1 && tpl == NULL, "compile refuses \"%s\"", printable(error_cases[i].tpl));
		is_str(error, error_cases[i].error, "error for \"%s\"", printable(error_cases[i].tpl));
		free(error);
	}

	/* A long unknown name is shown cut to 64 bytes. */
	char name[200];
	memset(name, 'a', sizeof(name));
	name[0] = '{';
	name[sizeof(name) - 2] = '}';
	name[sizeof(name) - 1] = '\0';
	verdict_template_t *tpl;
	char *error;
	ok(verdict_template_compile(name, &tpl, &error) == -1 &&
	   strncmp(error, "unknown field '", 15) == 0 && strlen(strchr(error + 15, '\'')) > 0 &&
	   (size_t)(strchr(error + 15, '\'') - (error + 15)) == 64,
	   "a long unknown name is cut to 64 bytes in the error");
	free(error);

	/* The template size limit, at and past it. */
	char *text = malloc(VERDICT_TEMPLATE_MAX + 2);
	memset(text, 'x', VERDICT_TEMPLATE_MAX + 1);
	text[VERDICT_TEMPLATE_MAX] = '\0';
	ok(verdict_template_compile(text, &tpl, &error) == 0, "a template of 4096 bytes compiles");
	verdict_template_free(&tpl);
	text[VERDICT_TEMPLATE_MAX] = 'x';
	text[VERDICT_TEMPLATE_MAX + 1] = '\0';
	ok(verdict_template_compile(text, &tpl, &error) == -1 && tpl == NULL,
	   "a template of 4097 bytes is refused");
	is_str(error, "template longer than 4096 bytes", "error for a template of 4097 bytes");
	free(error);
	free(text);
}

/* ---- display names ---------------------------------------------------- */

static void test_display_names(void)
{
	static const char *const keys[] = { "s3cr3tkey.zen.dq.example", NULL, "bl.example." };
	static const char *const values[] = { "zen.example", "never", "Example BL" };
	static const struct {
		const char *zone, *want;
	} cases[] = {
		{ "s3cr3tkey.zen.dq.example", "zen.example" },
		{ "S3CR3TKEY.Zen.DQ.example.", "zen.example" },
		{ "bl.example", "Example BL" },
		{ "bl.example.", "Example BL" },
		{ "other.example", "other.example" },
		{ "zen.dq.example", "zen.dq.example" },
		{ "s3cr3tkey.zen.dq.example.org", "s3cr3tkey.zen.dq.example.org" },
		{ "", "" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		is_str(verdict_display_name(cases[i].zone, keys, values, N_ELEMS(keys)), cases[i].want,
		       "display name of \"%s\"", cases[i].zone);
	const char *zone = "plain.example";
	ok(verdict_display_name(zone, NULL, NULL, 0) == zone, "no map: the zone itself");
	ok(verdict_display_name(zone, keys, values, N_ELEMS(keys)) == zone,
	   "unmapped: the zone pointer itself");
}

/* ---- header values ---------------------------------------------------- */

static void check_header(enum verdict_action a, int score, const char *const *lists, size_t n,
			 const char *host, const char *want, const char *what)
{
	struct buf out = BUF_INIT;
	verdict_header_value(&out, a, score, lists, n, host);
	is_str(buf_cstr(&out), want, "header: %s", what);
	buf_free(&out);
}

static void test_header(void)
{
	static const char *const two[] = { "test.bl", "other.bl" };
	static const char *const odd[] = { NULL, "a b,c=d;e\r\nf", "", "\r\n", "caf\xc3\xa9" };
	static const char *const blank[] = { NULL, " \r\n" };

	check_header(VERDICT_TAG, 3, two, 2, "mx.example",
		     "listed action=tag score=3 lists=test.bl,other.bl host=mx.example", "tag, two lists");
	check_header(VERDICT_QUARANTINE, 5, two, 1, "mx.example",
		     "listed action=quarantine score=5 lists=test.bl host=mx.example", "one list");
	check_header(VERDICT_PASS, 0, NULL, 0, "mx.example", "clean action=pass score=0 host=mx.example",
		     "no lists");
	check_header(VERDICT_PASS, -2, blank, 2, "mx.example",
		     "clean action=pass score=-2 host=mx.example", "blank names skipped, negative score");
	check_header(VERDICT_LOG, 1, two, 2, NULL, "listed action=log score=1 lists=test.bl,other.bl",
		     "no host");
	check_header(VERDICT_LOG, 1, two, 2, "\r\n", "listed action=log score=1 lists=test.bl,other.bl",
		     "blank host");
	check_header(VERDICT_TAG, 2, odd, N_ELEMS(odd), "mx example\r\n=x",
		     "listed action=tag score=2 lists=a_b_c_d_e_f,caf?? host=mx_example__x",
		     "separators and controls in names neutralized");

	/* Too many lists: the value stays under the cap and says so. */
	static char names[1000][24];
	const char *many[1000];
	for (size_t i = 0; i < N_ELEMS(many); i++) {
		snprintf(names[i], sizeof(names[i]), "list-%03zu.example", i);
		many[i] = names[i];
	}
	char *big = hostile_text();
	struct buf out = BUF_INIT;
	verdict_header_value(&out, VERDICT_TAG, 1000, many, N_ELEMS(many), "mx.example");
	ok(out.len <= VERDICT_HEADER_MAX, "1000 lists: value at most VERDICT_HEADER_MAX (%zu)", out.len);
	static const char head[] = "listed action=tag score=1000 lists=list-000.example,list-001.example,";
	static const char tail[] = ",list-048.example,... host=mx.example";
	ok(strncmp(out.data, head, strlen(head)) == 0, "1000 lists: the first ones shown");
	ok(out.len > strlen(tail) && strcmp(out.data + out.len - strlen(tail), tail) == 0,
	   "1000 lists: as many as fit, then \",...\" and the host");
	buf_free(&out);
	const char *huge[] = { big, big, big, big, big };
	verdict_header_value(&out, VERDICT_TAG, 5, huge, N_ELEMS(huge), big);
	ok(out.len <= VERDICT_HEADER_MAX && is_clean(buf_cstr(&out)),
	   "100 kB names and host: capped (%zu) and clean", out.len);
	ok(strstr(buf_cstr(&out), " host=") != NULL, "100 kB names and host: host still present");
	buf_free(&out);
	free(big);
}

/* ---- SMTP replies ----------------------------------------------------- */

static const struct {
	const char *what;
	int code;
	const char *dsn, *text, *want;
} reply_cases[] = {
	{ "reject", 550, "5.7.1", "blocked", "550 5.7.1 blocked" },
	{ "tempfail", 450, "4.7.1", "try later", "450 4.7.1 try later" },
	{ "CR/LF in text flattened", 550, "5.7.1", "a\r\n250 OK\r\n", "550 5.7.1 a 250 OK" },
	{ "empty text: no trailing space", 550, "5.7.1", "", "550 5.7.1" },
	{ "NULL text", 550, "5.7.1", NULL, "550 5.7.1" },
	{ "blank text", 550, "5.7.1", " \r\n", "550 5.7.1" },
	{ "no DSN", 554, NULL, "go away", "554 go away" },
	{ "three-digit DSN parts", 550, "5.123.456", "x", "550 5.123.456 x" },
	{ "code below 400 refused", 250, "2.0.0", "ok", "451 4.3.0 ok" },
	{ "code above 599 refused", 600, "5.7.1", "x", "451 4.3.0 x" },
	{ "DSN class differs from code", 550, "4.7.1", "x", "451 4.3.0 x" },
	{ "DSN with two parts", 550, "5.7", "x", "451 4.3.0 x" },
	{ "DSN part of four digits", 550, "5.1234.1", "x", "451 4.3.0 x" },
	{ "DSN with trailing junk", 550, "5.7.1x", "x", "451 4.3.0 x" },
	{ "DSN with CR/LF", 550, "5.7.1\r\n", "x", "451 4.3.0 x" },
	{ "DSN empty part", 550, "5..1", "x", "451 4.3.0 x" },
	{ "bad code without DSN", 99, NULL, "x", "451 4.3.0 x" },
};

static void test_reply(void)
{
	for (size_t i = 0; i < N_ELEMS(reply_cases); i++) {
		struct buf out = BUF_INIT;
		verdict_reply(&out, reply_cases[i].code, reply_cases[i].dsn, reply_cases[i].text);
		is_str(buf_cstr(&out), reply_cases[i].want, "reply: %s", reply_cases[i].what);
		int code = reply_cases[i].code;
		const char *dsn = reply_cases[i].dsn;
		verdict_reply_check(&code, &dsn);
		struct buf head = BUF_INIT;
		buf_printf(&head, dsn != NULL ? "%d %s" : "%d", code, dsn);
		ok(strncmp(buf_cstr(&out), buf_cstr(&head), head.len) == 0,
		   "reply_check gives the code and DSN of the reply: %s", reply_cases[i].what);
		buf_free(&head);
		buf_free(&out);
	}

	/* The cap: the text after "550 5.7.1 " is at most VERDICT_REPLY_MAX bytes. */
	char *text = malloc(601);
	memset(text, 'a', 600);
	text[600] = '\0';
	struct buf out = BUF_INIT;
	verdict_reply(&out, 550, "5.7.1", text);
	is_int(out.len, 10 + VERDICT_REPLY_MAX, "600-byte word: reply cut hard to 510 bytes");
	is_int(VERDICT_REPLY_MAX, 500, "VERDICT_REPLY_MAX is 512 - strlen(\"550 5.7.1 \") - 2");
	buf_reset(&out);
	verdict_reply(&out, 550, NULL, text);
	is_int(out.len, VERDICT_SMTP_LINE - 2, "no DSN: the text takes the room (510 bytes)");
	buf_reset(&out);
	verdict_reply(&out, 550, "5.123.456", text);
	is_int(out.len, VERDICT_SMTP_LINE - 2, "long DSN: the line still fits 510 bytes");
	free(text);

	char *big = hostile_text();
	buf_reset(&out);
	verdict_reply(&out, 550, "5.7.1", big);
	ok(out.len <= VERDICT_SMTP_LINE - 2 && is_clean(buf_cstr(&out)) &&
	   strncmp(out.data, "550 5.7.1 spam X-Injected: yes caf?? spam", 41) == 0,
	   "100 kB hostile TXT: one clean line of at most 510 bytes");
	buf_free(&out);
	free(big);
}

int main(void)
{
	test_action_names();
	test_decide();
	test_clean();
	test_fields();
	test_templates();
	test_template_caps();
	test_compile_errors();
	test_display_names();
	test_header();
	test_reply();
	return tap_done();
}
