/* verdict - score to action, templates, cleaning of outgoing text; see verdict.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mem.h"
#include "verdict.h"

/* An unknown field name is quoted in the error message at most this long. */
#define VERDICT_ERROR_NAME_MAX 64
/* A list name or host in a header value (a DNS name at most). */
#define VERDICT_TOKEN_MAX 253
/* The enhanced status code "c.sss.ddd": its longest form. */
#define VERDICT_DSN_MAX 9

/* ---- decisions -------------------------------------------------------- */

static const char *const action_names[] = {
	[VERDICT_PASS] = "pass",	 [VERDICT_REJECT] = "reject", [VERDICT_TEMPFAIL] = "tempfail",
	[VERDICT_TAG] = "tag",		 [VERDICT_QUARANTINE] = "quarantine",
	[VERDICT_LOG] = "log",
};

const char *verdict_action_name(enum verdict_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "unknown";
	return action_names[a];
}

enum verdict_action verdict_decide(const struct verdict_policy *p, int score, size_t n_answered,
				   size_t n_failed, bool *allowlisted_r)
{
	if (allowlisted_r != NULL)
		*allowlisted_r = false;
	if (n_answered == 0 && n_failed > 0)
		return p->error_action == VERDICT_PASS ? VERDICT_PASS : VERDICT_TEMPFAIL;
	if (p->allowlist_threshold < 0 && score <= p->allowlist_threshold) {
		if (allowlisted_r != NULL)
			*allowlisted_r = true;
		return VERDICT_PASS;
	}
	if (score >= p->threshold)
		return p->listed_action;
	return VERDICT_PASS;
}

/* ---- cleaning --------------------------------------------------------- */

static bool is_blank(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/*
 * The cleaned text (dst, n bytes so far) must stop because the next byte
 * would pass max_len.  at_space: the cut falls on a space, so the text
 * already ends on a whole word.  Otherwise back up to the last space within
 * the window, dropping the partial word; with none, keep the hard cut.
 * Returns the length to keep.
 */
static size_t clean_cut(const char *dst, size_t n, bool at_space)
{
	if (at_space)
		return n;
	for (size_t back = 1; back <= VERDICT_CUT_WINDOW && back < n; back++)
		if (dst[n - back] == ' ')
			return n - back;
	return n;
}

/*
 * Every outgoing text passes here, on the hot path of a listed client: the
 * output is written in place after one reservation.  Cleaning never makes a
 * text longer (a run of blanks becomes at most one space), so at most
 * min(strlen(in), max_len) bytes come out.
 */
void verdict_clean_text(const char *in, size_t max_len, struct buf *out)
{
	size_t start = out->len, n = 0;
	bool pending_space = false;
	char *dst;

	buf_reserve(out, in != NULL ? strnlen(in, max_len) : 0);
	dst = out->data + start;
	for (const unsigned char *p = (const unsigned char *)(in != NULL ? in : ""); *p != '\0'; p++) {
		if (is_blank(*p)) {
			/* Leading blanks are dropped; trailing ones never get out. */
			pending_space = n > 0;
			continue;
		}
		if (n + (pending_space ? 2 : 1) > max_len) {
			n = clean_cut(dst, n, pending_space);
			break;
		}
		if (pending_space) {
			dst[n++] = ' ';
			pending_space = false;
		}
		dst[n++] = *p >= 0x80 ? '?' : (char)*p;
	}
	out->len = start + n;
	out->data[out->len] = '\0';	/* data is a C string even when nothing is appended */
}

/* Would verdict_clean_text(s) produce anything?  (Without building it.) */
static bool clean_nonempty(const char *s)
{
	if (s == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (!is_blank(*p))
			return true;
	return false;
}

/* ---- templates -------------------------------------------------------- */

static const char *const field_names[VERDICT_FIELD_COUNT] = {
	[VERDICT_FIELD_CLIENT] = "client", [VERDICT_FIELD_HELO] = "helo",
	[VERDICT_FIELD_SENDER] = "sender", [VERDICT_FIELD_SENDER_DOMAIN] = "sender_domain",
	[VERDICT_FIELD_LIST] = "list",	   [VERDICT_FIELD_LISTS] = "lists",
	[VERDICT_FIELD_SCORE] = "score",   [VERDICT_FIELD_CODE] = "code",
	[VERDICT_FIELD_TXT] = "txt",	   [VERDICT_FIELD_ACTION] = "action",
	[VERDICT_FIELD_HOST] = "host",	   [VERDICT_FIELD_QUEUE_ID] = "queue_id",
};

const char *verdict_field_name(enum verdict_field f)
{
	if ((unsigned)f >= VERDICT_FIELD_COUNT)
		return "unknown";
	return field_names[f];
}

enum seg_kind {
	SEG_TEXT,	/* literal text */
	SEG_FIELD,	/* {field} */
	SEG_COND,	/* {field?text}: text when the field is non-empty */
};

struct seg {
	enum seg_kind kind;
	enum verdict_field field;	/* SEG_FIELD, SEG_COND */
	char *text;			/* SEG_TEXT, SEG_COND; owned */
};

struct verdict_template {
	struct seg *segs;
	size_t n;
};

static void tpl_add(verdict_template_t *tpl, enum seg_kind kind, enum verdict_field field,
		    const char *text, size_t len)
{
	tpl->segs = xreallocarray(tpl->segs, tpl->n + 1, sizeof(*tpl->segs));
	tpl->segs[tpl->n].kind = kind;
	tpl->segs[tpl->n].field = field;
	tpl->segs[tpl->n].text = text != NULL ? xstrndup(text, len) : NULL;
	tpl->n++;
}

/* Move pending literal text into a segment. */
static void tpl_flush(verdict_template_t *tpl, struct buf *lit)
{
	if (lit->len == 0)
		return;
	tpl_add(tpl, SEG_TEXT, VERDICT_FIELD_COUNT, lit->data, lit->len);
	buf_reset(lit);
}

static int field_lookup(const char *name, size_t len)
{
	for (int i = 0; i < VERDICT_FIELD_COUNT; i++)
		if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
			return i;
	return -1;
}

/*
 * The unknown name is shown byte for byte (a stray space is the typo to
 * see), except that every byte outside 0x20..0x7e becomes '?', and cut.
 */
static char *unknown_field_error(const char *name, size_t len, size_t column)
{
	struct buf msg = BUF_INIT;

	buf_puts(&msg, "unknown field '");
	for (size_t i = 0; i < len && i < VERDICT_ERROR_NAME_MAX; i++) {
		unsigned char c = (unsigned char)name[i];
		buf_putc(&msg, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	buf_printf(&msg, "' at column %zu (known:", column);
	for (int i = 0; i < VERDICT_FIELD_COUNT; i++)
		buf_printf(&msg, "%s %s", i > 0 ? "," : "", field_names[i]);
	buf_putc(&msg, ')');
	return buf_detach(&msg);
}

static char *error_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *error_printf(const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	return buf_detach(&msg);
}

/* Where a reference's name or conditional text stops: '}', '?', '{' or NUL. */
static size_t scan_to(const char *s, size_t i, const char *stops)
{
	while (s[i] != '\0' && strchr(stops, s[i]) == NULL)
		i++;
	return i;
}

/*
 * Compile the reference whose '{' is at text[open] into tpl.  Returns the
 * index just past its closing '}', or 0 with *error_r set.
 */
static size_t compile_ref(const char *text, size_t open, verdict_template_t *tpl, char **error_r)
{
	size_t name = open + 1, end = scan_to(text, name, "}?{"), close = end;

	if (text[end] == '?')
		close = scan_to(text, end + 1, "}{");
	if (text[close] == '\0') {
		*error_r = error_printf("unbalanced '{' at column %zu: no closing '}' "
					"(write '{{' for a literal brace)", open + 1);
		return 0;
	}
	if (text[close] == '{') {
		*error_r = error_printf("'{' at column %zu inside the field reference opened "
					"at column %zu", close + 1, open + 1);
		return 0;
	}
	if (end == name) {
		*error_r = error_printf("empty field name at column %zu", open + 1);
		return 0;
	}
	int field = field_lookup(text + name, end - name);
	if (field < 0) {
		*error_r = unknown_field_error(text + name, end - name, open + 1);
		return 0;
	}
	if (close == end)
		tpl_add(tpl, SEG_FIELD, (enum verdict_field)field, NULL, 0);
	else
		tpl_add(tpl, SEG_COND, (enum verdict_field)field, text + end + 1, close - end - 1);
	return close + 1;
}

int verdict_template_compile(const char *text, verdict_template_t **tpl_r, char **error_r)
{
	verdict_template_t *tpl = xcalloc(1, sizeof(*tpl));
	struct buf lit = BUF_INIT;
	size_t i = 0;

	*tpl_r = NULL;
	*error_r = NULL;
	if (strlen(text) > VERDICT_TEMPLATE_MAX) {
		*error_r = error_printf("template longer than %d bytes", VERDICT_TEMPLATE_MAX);
		goto fail;
	}
	while (text[i] != '\0') {
		if ((text[i] == '{' || text[i] == '}') && text[i + 1] == text[i]) {
			buf_putc(&lit, text[i]);
			i += 2;
		} else if (text[i] == '{') {
			tpl_flush(tpl, &lit);
			if ((i = compile_ref(text, i, tpl, error_r)) == 0)
				goto fail;
		} else if (text[i] == '}') {
			*error_r = error_printf("unbalanced '}' at column %zu "
						"(write '}}' for a literal brace)", i + 1);
			goto fail;
		} else {
			buf_putc(&lit, text[i++]);
		}
	}
	tpl_flush(tpl, &lit);
	buf_free(&lit);
	*tpl_r = tpl;
	return 0;
fail:
	buf_free(&lit);
	verdict_template_free(&tpl);
	return -1;
}

/*
 * Values arrive cleaned (no blank at either end, no blank runs), so the
 * final cleaning can only shrink the literal parts, at most
 * VERDICT_TEMPLATE_MAX bytes.  Once the raw rendering is this long, its
 * cleaned form is longer than VERDICT_RENDER_MAX + 1, and nothing further
 * can change the cut: stop there, whatever the values.
 */
#define VERDICT_RENDER_RAW_MAX (VERDICT_TEMPLATE_MAX + VERDICT_RENDER_MAX + 2)

void verdict_template_render(const verdict_template_t *tpl, const struct verdict_fields *f,
			     struct buf *out)
{
	struct buf raw = BUF_INIT;

	for (size_t i = 0; i < tpl->n && raw.len < VERDICT_RENDER_RAW_MAX; i++) {
		const struct seg *s = &tpl->segs[i];
		switch (s->kind) {
		case SEG_TEXT:
			buf_puts(&raw, s->text);
			break;
		case SEG_FIELD:
			verdict_clean_text(f->values[s->field], VERDICT_RENDER_MAX, &raw);
			break;
		case SEG_COND:
			if (clean_nonempty(f->values[s->field]))
				buf_puts(&raw, s->text);
			break;
		}
	}
	verdict_clean_text(buf_cstr(&raw), VERDICT_RENDER_MAX, out);
	buf_free(&raw);
}

void verdict_template_free(verdict_template_t **tpl)
{
	if (tpl == NULL || *tpl == NULL)
		return;
	for (size_t i = 0; i < (*tpl)->n; i++)
		free((*tpl)->segs[i].text);
	free((*tpl)->segs);
	free(*tpl);
	*tpl = NULL;
}

/* ---- names shown to clients ------------------------------------------- */

static size_t name_len(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

const char *verdict_display_name(const char *zone, const char *const *map_keys,
				 const char *const *map_values, size_t n)
{
	size_t zlen = name_len(zone);

	for (size_t i = 0; i < n; i++) {
		if (map_keys[i] == NULL || map_values[i] == NULL)
			continue;
		if (name_len(map_keys[i]) == zlen && strncasecmp(map_keys[i], zone, zlen) == 0)
			return map_values[i];
	}
	return zone;
}

/* ---- header values ---------------------------------------------------- */

/* A list name or host as one header token: cleaned, no separators. */
static void header_token(const char *s, struct buf *out)
{
	size_t start = out->len;

	verdict_clean_text(s, VERDICT_TOKEN_MAX, out);
	for (size_t i = start; i < out->len; i++)
		if (strchr(" ,;=", out->data[i]) != NULL)
			out->data[i] = '_';
}

/* Append " lists=a,b" within budget bytes, ending in "..." when they do not all fit. */
static void header_lists(struct buf *out, const char *const *lists, size_t n, size_t budget)
{
	static const char key[] = " lists=", more[] = "...";
	struct buf tok = BUF_INIT;
	size_t used = 0, shown = 0;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&tok);
		header_token(lists[i], &tok);
		if (tok.len == 0)
			continue;
		size_t head = shown == 0 ? strlen(key) : 1;
		/* Room for this name, and for a later "," "..." when more may follow. */
		size_t reserve = i + 1 < n ? 1 + strlen(more) : 0;
		if (used + head + tok.len + reserve > budget) {
			buf_puts(out, shown == 0 ? key : ",");
			buf_puts(out, more);
			break;
		}
		buf_puts(out, shown == 0 ? key : ",");
		buf_append(out, tok.data, tok.len);
		used += head + tok.len;
		shown++;
	}
	buf_free(&tok);
}

static bool any_list(const char *const *lists, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (clean_nonempty(lists[i]))
			return true;
	return false;
}

void verdict_header_value(struct buf *out, enum verdict_action a, int score,
			  const char *const *lists, size_t n, const char *host)
{
	struct buf tail = BUF_INIT;
	size_t start = out->len;

	if (clean_nonempty(host)) {
		buf_puts(&tail, " host=");
		header_token(host, &tail);
	}
	buf_printf(out, "%s action=%s score=%d", any_list(lists, n) ? "listed" : "clean",
		   verdict_action_name(a), score);
	/* The head is under 50 bytes and the tail under 260: the budget is ample. */
	header_lists(out, lists, n, VERDICT_HEADER_MAX - (out->len - start) - tail.len);
	buf_append(out, buf_cstr(&tail), tail.len);
	buf_free(&tail);
}

/* ---- SMTP replies ----------------------------------------------------- */

/* 1..3 digits at *s; advances past them. */
static bool dsn_part(const char **s)
{
	size_t n = 0;

	while (n < 4 && (*s)[n] >= '0' && (*s)[n] <= '9')
		n++;
	if (n < 1 || n > 3)
		return false;
	*s += n;
	return true;
}

/* Is dsn "c.sss.ddd" (RFC 3463) with class c the first digit of code? */
static bool dsn_valid(int code, const char *dsn)
{
	const char *s = dsn;

	if (strlen(dsn) > VERDICT_DSN_MAX || s[0] != (char)('0' + code / 100) || s[1] != '.')
		return false;
	s += 2;
	if (!dsn_part(&s) || *s++ != '.' || !dsn_part(&s))
		return false;
	return *s == '\0';
}

static void reply_line(struct buf *out, int code, const char *dsn, const char *text)
{
	size_t start, prefix;

	verdict_reply_check(&code, &dsn);
	start = out->len;
	if (dsn != NULL)
		buf_printf(out, "%d %s ", code, dsn);
	else
		buf_printf(out, "%d ", code);
	prefix = out->len - start;
	/* The whole line, prefix and CRLF included, fits VERDICT_SMTP_LINE. */
	verdict_clean_text(text, VERDICT_SMTP_LINE - 2 - prefix, out);
	if (out->len - start == prefix)
		buf_truncate(out, out->len - 1);	/* no text: no trailing space */
}

void verdict_reply(struct buf *out, int code, const char *dsn, const char *text)
{
	reply_line(out, code, dsn, text);
}

void verdict_reply_check(int *code, const char **dsn)
{
	if (*code < 400 || *code > 599 || (*dsn != NULL && !dsn_valid(*code, *dsn))) {
		*code = 451;
		*dsn = "4.3.0";
	}
}
