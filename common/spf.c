/*
 * spf - SPF checks through libspf2.  Contract in spf.h.  This file: the
 * libspf2 log hooks, spf_new/spf_free, the check and its Received-SPF
 * value; the DNS layer is in spf_dns.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "spf.h"
#include "spf_int.h"
#include "verdict.h"

/* Each free-form piece of the Received-SPF value is cut to this. */
#define SPF_HDR_PART_MAX 128u
/* Longest domain name (RFC 1035) and label. */
#define SPF_DOMAIN_MAX 253u
#define SPF_LABEL_MAX 63u

_Static_assert((int)SPF_LIB_PERMERROR == (int)SPF_RESULT_PERMERROR &&
		       (int)SPF_LIB_NONE == (int)SPF_RESULT_NONE &&
		       (int)SPF_LIB_TEMPERROR == (int)SPF_RESULT_TEMPERROR &&
		       (int)SPF_LIB_FAIL == (int)SPF_RESULT_FAIL,
	       "spf_lib_result and spf_result must match");

struct spf {
	struct spf_lib *lib;
	char *receiver;
};

/* ---- life cycle ------------------------------------------------------- */

static char *receiver_name(const char *given, char **error_r)
{
	char host[SPF_RECEIVER_MAX + 2];

	if (given == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			memcpy(host, "localhost", sizeof("localhost"));
		host[sizeof(host) - 1] = '\0';
		given = host;
	}
	size_t n = strlen(given);
	if (n == 0 || n > SPF_RECEIVER_MAX || strcspn(given, " \t\r\n()\\\";") != n) {
		*error_r = xstrdup("spf receiving host must be a host name of 1..253 characters");
		return NULL;
	}
	return xstrdup(given);
}

int spf_new(const struct spf_opts *opts, spf_t **spf_r, char **error_r)
{
	unsigned timeout = opts->timeout_ms ? opts->timeout_ms : SPF_DEFAULT_TIMEOUT_MS;

	if (timeout < SPF_TIMEOUT_MS_MIN || timeout > SPF_TIMEOUT_MS_MAX) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "spf timeout %u ms out of bounds %u..%u", timeout, SPF_TIMEOUT_MS_MIN,
			   SPF_TIMEOUT_MS_MAX);
		*error_r = buf_detach(&msg);
		return -1;
	}
	spf_t *spf = xcalloc(1, sizeof(*spf));
	spf->receiver = receiver_name(opts->receiving_host, error_r);
	if (spf->receiver == NULL ||
	    spf_lib_new(opts->servers, timeout, spf->receiver, &spf->lib, error_r) != 0) {
		free(spf->receiver);
		free(spf);
		return -1;
	}
	*spf_r = spf;
	return 0;
}

void spf_free(spf_t **spfp)
{
	if (spfp == NULL || *spfp == NULL)
		return;
	spf_lib_free(&(*spfp)->lib);
	free((*spfp)->receiver);
	free(*spfp);
	*spfp = NULL;
}

const char *spf_result_name(enum spf_result result)
{
	static const char *const names[] = {
		[SPF_RESULT_NONE] = "none",	      [SPF_RESULT_NEUTRAL] = "neutral",
		[SPF_RESULT_PASS] = "pass",	      [SPF_RESULT_FAIL] = "fail",
		[SPF_RESULT_SOFTFAIL] = "softfail",   [SPF_RESULT_TEMPERROR] = "temperror",
		[SPF_RESULT_PERMERROR] = "permerror",
	};
	if ((unsigned)result >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[result];
}

void spf_outcome_clear(struct spf_outcome *out)
{
	if (out == NULL)
		return;
	free(out->received_spf);
	free(out->explanation);
	memset(out, 0, sizeof(*out));
	out->result = SPF_RESULT_NONE;
}

/* ---- the check -------------------------------------------------------- */

/* What one check looks at and what it found. */
struct check {
	const char *scope;	/* "mailfrom" or "helo" */
	struct buf from;	/* the address checked (sender or postmaster@helo) */
	const char *domain;	/* its domain, inside from; NULL: nothing to check */
	const char *helo;	/* the HELO name given, or NULL */
	char ip[ADDR_STRLEN];
	enum spf_result result;
	bool localhost;		/* libspf2's free ride for loopback */
	const char *problem;	/* permerror/temperror cause, static text */
	char *explanation;	/* fail only, cleaned, owned */
};

/* RFC 7208 4.3: a multi-label name, labels of 1..63 letters, digits, "-"
 * or "_", 253 bytes in all (an address literal is not a domain). */
static bool domain_ok(const char *d)
{
	size_t n = strlen(d), label = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > SPF_DOMAIN_MAX || memchr(d, '.', n) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!(isalnum(c) || c == '-' || c == '_') || ++label > SPF_LABEL_MAX) {
			return false;
		}
	}
	return label > 0;
}

/* Choose the identity: MAIL FROM, or postmaster@HELO for a null sender. */
static void check_identity(struct check *c, const char *helo, const char *sender)
{
	size_t n = sender ? strlen(sender) : 0;

	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>')
		sender++, n -= 2;
	c->helo = helo != NULL && *helo != '\0' ? helo : NULL;
	c->scope = n > 0 ? "mailfrom" : "helo";
	if (n > 0) {
		buf_append(&c->from, sender, n);
		const char *at = strrchr(buf_cstr(&c->from), '@');
		c->domain = at != NULL ? at + 1 : buf_cstr(&c->from);
	} else if (c->helo != NULL) {
		buf_printf(&c->from, "postmaster@%s", c->helo);
		c->domain = buf_cstr(&c->from) + strlen("postmaster@");
	}
	if (c->domain != NULL && !domain_ok(c->domain))
		c->domain = NULL;
}

/* Evaluate c with libspf2 and keep what the header and reply need. */
static int run_check(spf_t *spf, const addr_t *client, struct check *c)
{
	struct spf_lib_answer ans;

	/* %{h} must expand to something: "unknown" when there was no HELO */
	if (spf_lib_check(spf->lib, client, c->helo ? c->helo : "unknown", buf_cstr(&c->from),
			  &ans) != 0)
		return -1;
	c->result = (enum spf_result)ans.result;
	c->localhost = ans.localhost;
	c->problem = ans.problem;
	if (ans.explanation != NULL) {
		struct buf b = BUF_INIT;
		verdict_clean_text(ans.explanation, VERDICT_REPLY_MAX, &b);
		c->explanation = b.len > 0 ? buf_detach(&b) : NULL;
		buf_free(&b);
		free(ans.explanation);
	}
	return 0;
}

/* Append cleaned text for inside a comment: no parentheses, no backslash. */
static void put_comment_text(struct buf *out, const char *text)
{
	struct buf b = BUF_INIT;

	verdict_clean_text(text, SPF_HDR_PART_MAX, &b);
	for (size_t i = 0; i < b.len; i++)
		buf_putc(out, strchr("()\\", b.data[i]) ? '?' : b.data[i]);
	buf_free(&b);
}

/* Append " key=value;" with value as a dot-atom or a quoted-string. */
static void put_pair(struct buf *out, const char *key, const char *value, bool last)
{
	static const char atext[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789!#$%&'*+-/=?^_`{|}~";
	struct buf b = BUF_INIT;
	bool atom = true;

	verdict_clean_text(value, SPF_HDR_PART_MAX, &b);
	for (size_t i = 0; i < b.len && atom; i++) {
		bool dot = b.data[i] == '.';
		atom = dot ? i > 0 && i + 1 < b.len && b.data[i - 1] != '.' : strchr(atext, b.data[i]) != NULL;
	}
	buf_printf(out, " %s=", key);
	if (atom && b.len > 0) {
		buf_append(out, b.data, b.len);
	} else {
		buf_putc(out, '"');
		for (size_t i = 0; i < b.len; i++) {
			if (b.data[i] == '"' || b.data[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, b.data[i]);
		}
		buf_putc(out, '"');
	}
	if (!last)
		buf_putc(out, ';');
	buf_free(&b);
}

/* The comment of the Received-SPF value, after "receiver: ". */
static void put_comment(struct buf *out, const struct check *c)
{
	const char *who = buf_cstr(&c->from);

	switch (c->result) {
	case SPF_RESULT_PASS:
		if (c->localhost) {
			buf_puts(out, "localhost is always allowed");
			return;
		}
		buf_puts(out, "domain of ");
		put_comment_text(out, who);
		buf_printf(out, " designates %s as permitted sender", c->ip);
		return;
	case SPF_RESULT_FAIL:
	case SPF_RESULT_SOFTFAIL:
		buf_puts(out, c->result == SPF_RESULT_FAIL ? "domain of " : "domain of transitioning ");
		put_comment_text(out, who);
		buf_printf(out, " does not designate %s as permitted sender", c->ip);
		return;
	case SPF_RESULT_NEUTRAL:
		buf_printf(out, "%s is neither permitted nor denied by domain of ", c->ip);
		put_comment_text(out, who);
		return;
	case SPF_RESULT_NONE:
		if (c->domain == NULL) {
			buf_puts(out, "no valid identity to check");
			return;
		}
		buf_puts(out, "domain of ");
		put_comment_text(out, who);
		buf_puts(out, " does not designate permitted sender hosts");
		return;
	default:
		buf_puts(out, "error in processing during lookup of ");
		put_comment_text(out, who);
		buf_puts(out, ": ");
		put_comment_text(out, c->problem ? c->problem : "unknown error");
		return;
	}
}

static char *received_spf(const spf_t *spf, const struct check *c)
{
	struct buf out = BUF_INIT, clean = BUF_INIT;

	buf_printf(&out, "%s (", spf_result_name(c->result));
	put_comment_text(&out, spf->receiver);
	buf_puts(&out, ": ");
	put_comment(&out, c);
	buf_printf(&out, ") client-ip=%s;", c->ip);
	if (c->from.len > 0)
		put_pair(&out, "envelope-from", buf_cstr(&c->from), false);
	if (c->helo != NULL)
		put_pair(&out, "helo", c->helo, false);
	put_pair(&out, "receiver", spf->receiver, false);
	put_pair(&out, "identity", c->scope, true);
	/* every piece is clean already; this bounds the whole */
	verdict_clean_text(buf_cstr(&out), VERDICT_HEADER_MAX, &clean);
	buf_free(&out);
	return buf_detach(&clean);
}

int spf_check(spf_t *spf, const addr_t *client, const char *helo, const char *sender,
	      struct spf_outcome *out_r)
{
	struct check c;
	int rc = 0;

	memset(out_r, 0, sizeof(*out_r));
	memset(&c, 0, sizeof(c));
	buf_init(&c.from);
	addr_format(client, c.ip);
	check_identity(&c, helo, sender);
	c.result = SPF_RESULT_NONE;
	if (c.domain != NULL && run_check(spf, client, &c) != 0) {
		log_warning("spf: libspf2 could not build a request for %s", c.ip);
		c.result = SPF_RESULT_TEMPERROR;
		c.problem = "internal error";
		rc = -1;
	}
	out_r->result = c.result;
	if (rc == 0) {
		out_r->received_spf = received_spf(spf, &c);
		out_r->explanation = c.explanation;
	} else {
		free(c.explanation);
	}
	buf_free(&c.from);
	return rc;
}
