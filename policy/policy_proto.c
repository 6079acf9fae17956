/*
 * policy_proto - the bounded incremental parser of policy requests.
 *
 * The bytes of the request being read are kept in one struct buf; each
 * complete line is turned in place into "name\0value\0" and remembered as
 * two offsets (not pointers: the buffer may move while it grows).  Every
 * byte is counted against the limits as it arrives, so memory stays below
 * POLICY_REQUEST_MAX whatever the peer sends.
 */
#include "config.h"

#include "policy_proto.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

struct policy_attr {
	size_t name_off;
	size_t value_off;
};

struct policy_parser {
	struct buf req;		/* bytes of the request being read */
	size_t line_start;	/* offset in req of the line being read */
	size_t total;		/* bytes of this request seen so far */
	size_t n_attrs;
	struct policy_attr attrs[POLICY_ATTRS_MAX];
	bool complete;		/* the last feed returned POLICY_REQUEST */
	bool failed;		/* sticky error */
	char error[POLICY_ERROR_MAX];
};

policy_parser_t *policy_parser_new(void)
{
	policy_parser_t *p = xcalloc(1, sizeof(*p));

	buf_init(&p->req);
	return p;
}

void policy_parser_free(policy_parser_t **p)
{
	if (p == NULL || *p == NULL)
		return;
	buf_free(&(*p)->req);
	free(*p);
	*p = NULL;
}

/* Record the error (first one wins) and return POLICY_ERROR. */
static enum policy_status __attribute__((format(printf, 2, 3)))
fail(policy_parser_t *p, const char *fmt, ...)
{
	if (!p->failed) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(p->error, sizeof(p->error), fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	return POLICY_ERROR;
}

/* Forget the previous request. */
static void start_request(policy_parser_t *p)
{
	buf_reset(&p->req);
	p->line_start = 0;
	p->total = 0;
	p->n_attrs = 0;
	p->complete = false;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The line in req[line_start..len) is complete (LF dropped): record it. */
static enum policy_status end_attr_line(policy_parser_t *p)
{
	char *line = p->req.data + p->line_start;
	size_t len = p->req.len - p->line_start;
	char *eq = memchr(line, '=', len);

	if (eq == NULL)
		return fail(p, "line %zu of the request has no '='", p->n_attrs + 1);
	if (eq == line)
		return fail(p, "line %zu of the request has an empty name", p->n_attrs + 1);
	for (const char *c = line; c < eq; c++)
		if (!name_char(*c))
			return fail(p, "line %zu of the request has a bad attribute name",
				    p->n_attrs + 1);
	if (p->n_attrs == POLICY_ATTRS_MAX)
		return fail(p, "more than %zu attributes in one request", (size_t)POLICY_ATTRS_MAX);
	/* Offsets before buf_putc(): it may move the data. */
	size_t value_off = (size_t)(eq + 1 - p->req.data);
	*eq = '\0';
	buf_putc(&p->req, '\0');
	p->attrs[p->n_attrs].name_off = p->line_start;
	p->attrs[p->n_attrs].value_off = value_off;
	p->n_attrs++;
	p->line_start = p->req.len;
	return POLICY_NEED_MORE;
}

/* The empty line arrived: check the request as a whole. */
static enum policy_status end_request(policy_parser_t *p)
{
	const char *req = NULL;

	p->complete = true;
	req = policy_parser_get(p, "request");
	if (req == NULL)
		return fail(p, "request without a request= attribute (%zu attributes)", p->n_attrs);
	if (strcmp(req, "smtpd_access_policy") != 0)
		return fail(p, "unsupported request= value (%zu bytes)", strlen(req));
	return POLICY_REQUEST;
}

/* Append span bytes (no LF among them) to the current line, within the limits. */
static enum policy_status add_span(policy_parser_t *p, const char *span, size_t n)
{
	size_t line_len;

	if (n > POLICY_REQUEST_MAX - p->total)
		return fail(p, "request longer than %zu bytes", (size_t)POLICY_REQUEST_MAX);
	if (memchr(span, '\0', n) != NULL)
		return fail(p, "NUL byte in line %zu of the request", p->n_attrs + 1);
	p->total += n;
	line_len = p->req.len - p->line_start + n;
	/* one byte more is allowed only for the CR of a CRLF */
	if (line_len > POLICY_LINE_MAX + 1 ||
	    (line_len == POLICY_LINE_MAX + 1 && span[n - 1] != '\r'))
		return fail(p, "line longer than %zu bytes", (size_t)POLICY_LINE_MAX);
	buf_append(&p->req, span, n);
	return POLICY_NEED_MORE;
}

/* A LF ended the current line. */
static enum policy_status end_line(policy_parser_t *p)
{
	if (p->total == POLICY_REQUEST_MAX)
		return fail(p, "request longer than %zu bytes", (size_t)POLICY_REQUEST_MAX);
	p->total++;
	if (p->req.len > p->line_start && p->req.data[p->req.len - 1] == '\r')
		buf_truncate(&p->req, p->req.len - 1);
	if (p->req.len == p->line_start)
		return end_request(p);
	return end_attr_line(p);
}

enum policy_status policy_parser_feed(policy_parser_t *p, const char *data, size_t len,
				      size_t *used_r, const char **error_r)
{
	enum policy_status st = POLICY_NEED_MORE;
	size_t i = 0;

	if (p->complete)
		start_request(p);
	/* whole spans up to the next LF: no per-byte work beyond memchr */
	while (!p->failed && st == POLICY_NEED_MORE && i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t span = nl != NULL ? (size_t)(nl - (data + i)) : len - i;

		if (span > 0 && add_span(p, data + i, span) != POLICY_NEED_MORE)
			break;
		i += span;
		if (nl != NULL) {
			i++;
			st = end_line(p);
		}
	}
	*used_r = i;
	if (p->failed) {
		p->complete = false;
		if (error_r != NULL)
			*error_r = p->error;
		return POLICY_ERROR;
	}
	return st;
}

const char *policy_parser_get(const policy_parser_t *p, const char *name)
{
	if (!p->complete)
		return NULL;
	/* The first byte decides most comparisons without a call. */
	for (size_t i = p->n_attrs; i-- > 0;) {
		const char *n = p->req.data + p->attrs[i].name_off;
		if (n[0] == name[0] && strcmp(n, name) == 0)
			return p->req.data + p->attrs[i].value_off;
	}
	return NULL;
}

size_t policy_parser_count(const policy_parser_t *p)
{
	return p->complete ? p->n_attrs : 0;
}
