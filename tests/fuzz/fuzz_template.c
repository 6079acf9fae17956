/*
 * fuzz_template - compile and render arbitrary templates with arbitrary
 * values: whatever the input, the rendering and the replies built from it
 * hold no CR, LF or other control or 8-bit byte and respect their caps.
 *
 * Input layout: the template text, then optionally a NUL and the field
 * values separated by NULs (missing ones stay NULL).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "milter_reply.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Only printable ASCII and no blank at either end; abort otherwise. */
static void check_clean(const char *s, size_t len, size_t cap)
{
	if (len > cap || strlen(s) != len)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		abort();
}

static void check_template(const char *text, const struct verdict_fields *f)
{
	verdict_template_t *tpl;
	char *error;
	struct buf out = BUF_INIT, reply = BUF_INIT;
	char lines[MILTER_REPLY_LINES][MILTER_LINE_MAX];

	if (verdict_template_compile(text, &tpl, &error) != 0) {
		if (tpl != NULL || error == NULL || strpbrk(error, "\r\n") != NULL)
			abort();
		free(error);
		return;
	}
	if (error != NULL)
		abort();
	verdict_template_render(tpl, f, &out);
	check_clean(out.data, out.len, VERDICT_RENDER_MAX);
	verdict_reply(&reply, 550, "5.7.1", out.data);
	if (reply.len > VERDICT_SMTP_LINE - 2 || strpbrk(reply.data, "\r\n") != NULL)
		abort();
	size_t n = milter_reply_split(out.data, 70, lines, MILTER_REPLY_LINES);
	for (size_t i = 0; i < n; i++)
		if (strlen(lines[i]) == 0 || strlen(lines[i]) > 70 || strpbrk(lines[i], "\r\n"))
			abort();
	verdict_template_free(&tpl);
	buf_free(&out);
	buf_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf input = BUF_INIT;
	struct verdict_fields f;
	struct buf clean = BUF_INIT;

	memset(&f, 0, sizeof(f));
	buf_append(&input, data, size);	/* NUL-terminated copy */
	const char *end = input.data + input.len;
	const char *p = input.data + strlen(input.data) + 1;
	for (size_t i = 0; i < VERDICT_FIELD_COUNT && p < end; i++) {
		f.values[i] = p;
		p += strlen(p) + 1;
	}
	check_template(input.data, &f);
	/* The input itself as a value: the TXT record of a hostile list. */
	verdict_clean_text(input.data, VERDICT_REPLY_MAX, &clean);
	check_clean(buf_cstr(&clean), clean.len, VERDICT_REPLY_MAX);
	buf_free(&clean);
	buf_free(&input);
	return 0;
}
