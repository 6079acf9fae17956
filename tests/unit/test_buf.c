/* test_buf - the owned buffer: growth, printf, consume, detach. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "tap.h"

static void test_growth(void)
{
	struct buf b = BUF_INIT;

	is_str(buf_cstr(&b), "", "an empty buffer reads as the empty string");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	is_int(b.len, 10000, "10000 single bytes appended");
	ok(b.data[b.len] == '\0', "always NUL-terminated");
	buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	buf_printf(&b, "%s=%d", "x", 42);
	is_str(buf_cstr(&b), "x=42", "printf appends");
	char big[5000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "%s", big);
	is_int(b.len, 4 + 4999, "printf grows past the first guess");
	buf_consume(&b, 2);
	ok(strncmp(buf_cstr(&b), "42zz", 4) == 0, "consume drops the front");
	buf_truncate(&b, 2);
	is_str(buf_cstr(&b), "42", "truncate cuts");
	char *s = buf_detach(&b);
	is_str(s, "42", "detach hands over the contents");
	ok(b.data == NULL && b.len == 0, "detach leaves the buffer empty");
	free(s);
	buf_append(&b, "a\0b", 3);
	is_int(b.len, 3, "embedded NUL kept");
	buf_free(&b);
	buf_reserve(&b, 100);
	is_str(buf_cstr(&b), "", "a buffer only reserved reads as the empty string");
	buf_free(&b);
}

static void test_str_copy(void)
{
	char f[4];

	is_int(str_copy(f, "abc", sizeof(f)), 0, "str_copy: fits");
	is_int(str_copy(f, "abcd", sizeof(f)), -1, "str_copy: truncation reported");
	is_str(f, "abc", "str_copy: truncated copy terminated");
}

static void test_kv(void)
{
	struct buf b = BUF_INIT;

	log_kv_str(&b, "client", "192.0.2.1");
	log_kv_int(&b, "score", -2);
	log_kv_str(&b, "text", "a \"b\"\r\nc");
	log_kv_str(&b, "empty", "");
	is_str(buf_cstr(&b), "client=192.0.2.1 score=-2 text=\"a \\\"b\\\"\\x0d\\x0ac\" empty=\"\"",
	       "key=value line quotes spaces, quotes and controls");
	buf_free(&b);

	enum log_level lvl;
	ok(log_level_parse("notice", &lvl) == 0 && lvl == LOG_LVL_NOTICE, "log level parses");
	ok(log_level_parse("loud", &lvl) == -1, "unknown log level refused");
	int fac;
	ok(log_facility_parse("local3", &fac) == 0, "facility parses");
	ok(log_facility_parse("kern2", &fac) == -1, "unknown facility refused");
}

int main(void)
{
	test_growth();
	test_str_copy();
	test_kv();
	return tap_done();
}
