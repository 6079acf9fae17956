/* fuzz_mailbox - mailbox_check on any bytes: no crash, and what it accepts
 * holds none of the bytes a header or a command line must never get. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	enum mailbox_status st = mailbox_check(s);
	if (mailbox_status_text(st) == NULL)
		abort();
	if (st != MAILBOX_OK)
		return 0;
	size_t len = strlen(s);
	const char *at = strrchr(s, '@');
	if (len > MAILBOX_MAX || s[0] == '-' || at == NULL || at == s || strchr(at + 1, '.') == NULL ||
	    at[1] == '[')
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\')
			abort();
	}
	return 0;
}
