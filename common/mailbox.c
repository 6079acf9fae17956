/*
 * mailbox - the RFC 5321 mailbox check for contacts.  See mailbox.h.
 *
 * One pass for the bytes every mailbox must avoid (controls, spaces,
 * 8-bit), then the local part, then the domain, each by its own small
 * function.  Nothing is copied or allocated.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "mailbox.h"

/* RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_let_dig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A dot-atom: atext runs separated by single dots, no dot at either end. */
static enum mailbox_status check_dot_atom(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return MAILBOX_BAD_LOCAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && s[i + 1] == '.')
			return MAILBOX_BAD_LOCAL;
		if (c == ',' || c == ';')
			return MAILBOX_LIST;
		if (c != '.' && !is_atext(c))
			return MAILBOX_BAD_LOCAL;
	}
	return MAILBOX_OK;
}

/* A quoted local part "..." whose content is atext and dots only. */
static enum mailbox_status check_quoted(const char *s, size_t len)
{
	if (len < 3 || s[len - 1] != '"')
		return MAILBOX_BAD_LOCAL;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '.' && !is_atext(c))
			return MAILBOX_BAD_LOCAL;
	}
	return MAILBOX_OK;
}

/* A fully qualified host name: LDH labels, top label not all digits. */
static enum mailbox_status check_domain(const char *d, size_t len)
{
	size_t labels = 0;
	bool all_digits = true;

	if (len == 0)
		return MAILBOX_BAD_DOMAIN;
	if (d[0] == '[')
		return MAILBOX_LITERAL;
	if (len > MAILBOX_DOMAIN_MAX)
		return MAILBOX_TOO_LONG;
	for (size_t start = 0; start <= len; labels++) {
		size_t end = start;
		while (end < len && d[end] != '.')
			end++;
		size_t l = end - start;
		if (l == 0 || l > MAILBOX_LABEL_MAX || d[start] == '-' || d[end - 1] == '-')
			return MAILBOX_BAD_DOMAIN;
		all_digits = true;
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)d[i];
			if (c == ',' || c == ';')
				return MAILBOX_LIST;
			if (c != '-' && !is_let_dig(c))
				return MAILBOX_BAD_DOMAIN;
			if (c < '0' || c > '9')
				all_digits = false;
		}
		start = end + 1;
	}
	if (labels < 2)
		return MAILBOX_NOT_FQDN;
	return all_digits ? MAILBOX_BAD_DOMAIN : MAILBOX_OK;
}

enum mailbox_status mailbox_check(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return MAILBOX_EMPTY;
	size_t len = strnlen(s, MAILBOX_MAX + 1);
	bool space = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' || c >= 0x7f)
			return MAILBOX_BAD_BYTE;
		space |= c == ' ';
	}
	if (space)	/* "a@x.example, b@y.example" is a list before it is a space */
		return strpbrk(s, ",;") != NULL ? MAILBOX_LIST : MAILBOX_BAD_BYTE;
	if (len > MAILBOX_MAX)
		return MAILBOX_TOO_LONG;
	if (s[0] == '-')
		return MAILBOX_LEADING_DASH;
	/* the local part ends at the closing quote of a quoted string, else at '@' */
	size_t at;
	if (s[0] == '"') {
		const char *q = strchr(s + 1, '"');
		if (q == NULL)
			return MAILBOX_BAD_LOCAL;
		at = (size_t)(q - s) + 1;
	} else {
		const char *a = strchr(s, '@');
		if (a == NULL)
			return strpbrk(s, ",;") != NULL ? MAILBOX_LIST : MAILBOX_NO_DOMAIN;
		at = (size_t)(a - s);
	}
	if (s[at] != '@')
		return s[at] == '\0' ? MAILBOX_NO_DOMAIN : MAILBOX_BAD_LOCAL;
	if (strchr(s + at + 1, '@') != NULL || strpbrk(s + at, ",;") != NULL)
		return MAILBOX_LIST;
	if (at > MAILBOX_LOCAL_MAX)
		return MAILBOX_TOO_LONG;
	enum mailbox_status st = s[0] == '"' ? check_quoted(s, at) : check_dot_atom(s, at);
	if (st != MAILBOX_OK)
		return st;
	return check_domain(s + at + 1, len - at - 1);
}

const char *mailbox_status_text(enum mailbox_status st)
{
	static const char *const text[MAILBOX_STATUS_COUNT] = {
		[MAILBOX_OK] = "valid",
		[MAILBOX_EMPTY] = "empty",
		[MAILBOX_TOO_LONG] = "too long",
		[MAILBOX_BAD_BYTE] = "space, control or 8-bit byte",
		[MAILBOX_LEADING_DASH] = "starts with '-'",
		[MAILBOX_LIST] = "a list, not one mailbox",
		[MAILBOX_NO_DOMAIN] = "no domain (a local name)",
		[MAILBOX_BAD_LOCAL] = "local part not a dot-atom or plain quoted string",
		[MAILBOX_LITERAL] = "address literal refused",
		[MAILBOX_NOT_FQDN] = "domain not fully qualified",
		[MAILBOX_BAD_DOMAIN] = "domain not a host name",
	};
	return (unsigned)st < MAILBOX_STATUS_COUNT ? text[st] : "unknown";
}
