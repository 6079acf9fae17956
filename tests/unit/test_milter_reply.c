/* test_milter_reply - libmilter reply text split into lines, with the '%' rule. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "milter_reply.h"
#include "tap.h"

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

/* ---- multi-line replies ----------------------------------------------- */

static const struct {
	const char *what;
	const char *text;
	size_t width, max_lines;
	size_t n;
	const char *lines[5];
} split_cases[] = {
	{ "fits one line", "aaa bbb ccc", 20, 32, 1, { "aaa bbb ccc" } },
	{ "break at the last space that fits", "aaa bbb ccc", 7, 32, 2, { "aaa bbb", "ccc" } },
	{ "break exactly at a space", "aaa bbb ccc", 3, 32, 3, { "aaa", "bbb", "ccc" } },
	{ "long word split hard", "abcdefgh", 3, 32, 3, { "abc", "def", "gh" } },
	{ "long word after a short one", "a bcdefghij", 4, 32, 4, { "a", "bcde", "fghi", "j" } },
	{ "'%' doubled and counted twice", "100% sure", 5, 32, 2, { "100%%", "sure" } },
	{ "a '%%' pair is never split", "a%b", 2, 32, 3, { "a", "%%", "b" } },
	{ "text cleaned first", "a\r\nb\tc", 10, 32, 1, { "a b c" } },
	{ "last line cut at a word", "one two three four five", 9, 2, 2, { "one two", "three" } },
	{ "max_lines 1", "one two three", 8, 1, 1, { "one two" } },
	{ "empty text", "", 10, 32, 0, { NULL } },
	{ "only blanks", "\r\n \t", 10, 32, 0, { NULL } },
	{ "NULL text", NULL, 10, 32, 0, { NULL } },
	{ "max_lines 0", "abc", 10, 0, 0, { NULL } },
	{ "width 0 clamped to 2", "abcde", 0, 32, 3, { "ab", "cd", "e" } },
};

static void test_split(void)
{
	static char lines[MILTER_REPLY_LINES][MILTER_LINE_MAX];

	for (size_t i = 0; i < N_ELEMS(split_cases); i++) {
		size_t n = milter_reply_split(split_cases[i].text, split_cases[i].width, lines,
					      split_cases[i].max_lines);
		is_int(n, split_cases[i].n, "split: %s (line count)", split_cases[i].what);
		for (size_t j = 0; j < n && j < split_cases[i].n; j++)
			is_str(lines[j], split_cases[i].lines[j], "split: %s (line %zu)",
			       split_cases[i].what, j + 1);
	}

	char *big = hostile_text();
	size_t n = milter_reply_split(big, 70, lines, MILTER_REPLY_LINES);
	is_int(n, MILTER_REPLY_LINES, "100 kB text fills the 32 lines");
	bool fine = true;
	for (size_t j = 0; j < n; j++)
		fine = fine && strlen(lines[j]) > 0 && strlen(lines[j]) <= 70 && is_clean(lines[j]);
	ok(fine, "100 kB text: every line non-empty, clean, at most 70 bytes");
	n = milter_reply_split(big, 100000, lines, 1000);
	ok(n == MILTER_REPLY_LINES && strlen(lines[0]) <= MILTER_LINE_MAX - 1 &&
	   strlen(lines[0]) > MILTER_LINE_MAX - 1 - VERDICT_CUT_WINDOW - 1,
	   "width and max_lines clamped (%zu lines, first %zu bytes)", n, strlen(lines[0]));
	free(big);
}

int main(void)
{
	test_split();
	return tap_done();
}
