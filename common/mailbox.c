/*
 * mailbox - a minimal RFC 5321 mailbox check.  See mailbox.h (temporary).
 */
#include "config.h"

#include <string.h>

#include "mailbox.h"

/* RFC 5322 atext (no dot). */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static bool refuse(const char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = why;
	return false;
}

/* A dot-atom: atoms of atext separated by single dots. */
static bool local_ok(const char *s, size_t len, const char **why_r)
{
	if (len == 0)
		return refuse(why_r, "empty local part");
	if (len > MAILBOX_LOCAL_MAX)
		return refuse(why_r, "local part longer than 64 bytes");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i + 1 == len || s[i + 1] == '.')
				return refuse(why_r, "misplaced dot in the local part");
		} else if (!atext((unsigned char)s[i])) {
			return refuse(why_r, "character not allowed in the local part");
		}
	}
	return true;
}

static bool domain_ok(const char *d, const char **why_r)
{
	size_t labels = 0;

	if (*d == '\0')
		return refuse(why_r, "no domain");
	for (const char *p = d;;) {
		size_t len = strcspn(p, ".");
		if (len == 0 || len > MAILBOX_LABEL_MAX)
			return refuse(why_r, "bad label in the domain");
		if (p[0] == '-' || p[len - 1] == '-')
			return refuse(why_r, "domain label starts or ends with a hyphen");
		for (size_t i = 0; i < len; i++)
			if (!ldh((unsigned char)p[i]))
				return refuse(why_r, "character not allowed in the domain");
		labels++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (labels < 2)
		return refuse(why_r, "domain is not fully qualified");
	return true;
}

bool mailbox_valid(const char *s, const char **why_r)
{
	if (s == NULL || *s == '\0')
		return refuse(why_r, "empty");
	if (s[0] == '-')
		return refuse(why_r, "starts with '-'");
	if (strlen(s) > MAILBOX_MAX)
		return refuse(why_r, "longer than 254 bytes");
	const char *at = strchr(s, '@');
	if (at == NULL)
		return refuse(why_r, "no domain (a local name)");
	if (strchr(at + 1, '@') != NULL || strpbrk(s, ",; \t\r\n") != NULL)
		return refuse(why_r, "more than one address");
	return local_ok(s, (size_t)(at - s), why_r) && domain_ok(at + 1, why_r);
}
