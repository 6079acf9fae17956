/* milter_reply - libmilter reply text split into lines; see milter_reply.h. */
#include "config.h"

#include <stdbool.h>

#include "buf.h"
#include "milter_reply.h"

static size_t char_cost(char c)
{
	return c == '%' ? 2 : 1;
}

/*
 * One line of s from pos: store it in line, return where the next line
 * starts.  last: the final line allowed, which backs up only within the
 * cut window (the verdict_clean_text() rule) instead of to any space.
 */
static size_t split_one(const char *s, size_t len, size_t pos, size_t width, bool last,
			char *line)
{
	size_t end = pos, cost = 0, stop, next;

	while (end < len && cost + char_cost(s[end]) <= width)
		cost += char_cost(s[end++]);
	stop = next = end;
	if (end < len && s[end] == ' ') {
		next = end + 1;
	} else if (end < len) {
		size_t floor = last && end - pos > VERDICT_CUT_WINDOW + 1 ? end - VERDICT_CUT_WINDOW - 1
									: pos;
		for (size_t q = end - 1; q > floor; q--) {
			if (s[q] == ' ') {
				stop = q;
				next = q + 1;
				break;
			}
		}
	}
	for (size_t i = pos; i < stop; i++) {
		*line++ = s[i];
		if (s[i] == '%')
			*line++ = '%';
	}
	*line = '\0';
	return next;
}

size_t milter_reply_split(const char *text, size_t width, char lines[][MILTER_LINE_MAX],
			  size_t max_lines)
{
	struct buf clean = BUF_INIT;
	size_t pos = 0, count = 0;

	if (width < 2)
		width = 2;
	if (width > MILTER_LINE_MAX - 1)
		width = MILTER_LINE_MAX - 1;
	if (max_lines > MILTER_REPLY_LINES)
		max_lines = MILTER_REPLY_LINES;
	/* Enough to fill every line and see past the last one's cut. */
	verdict_clean_text(text, max_lines * (width + 1) + VERDICT_CUT_WINDOW + 1, &clean);
	while (pos < clean.len && count < max_lines) {
		pos = split_one(clean.data, clean.len, pos, width, count + 1 == max_lines,
				lines[count]);
		count++;
	}
	buf_free(&clean);
	return count;
}
