/*
 * milter_reply - libmilter's reply text: a verdict's text split into the
 * lines of smfi_setmlreply(), with libmilter's '%' rule.  Pure and
 * reentrant (no libmilter call here: milter_cb sets the reply).
 *
 * The text arrives from the engine already rendered (engine_verdict's
 * reply_text); this module only shapes it for libmilter.
 */
#ifndef RELAYGUARD_MILTER_REPLY_H
#define RELAYGUARD_MILTER_REPLY_H

#include <stddef.h>

#include "verdict.h"

/* libmilter's smfi_setmlreply() takes at most 32 lines. */
#define MILTER_REPLY_LINES 32
/* One line of milter_reply_split(), NUL included. */
#define MILTER_LINE_MAX (VERDICT_REPLY_MAX + 1)

/*
 * Split text into at most max_lines lines of at most width bytes each, for
 * smfi_setmlreply() (or smfi_setreply() when it returns 1).  text (NULL =
 * "") is cleaned first (verdict_clean_text()).  Lines break at the last
 * space that fits (the space is dropped); a word longer than width is split
 * hard.  Text that does not fit into max_lines lines ends cut on the last
 * line by the rule of verdict_clean_text().
 *
 * libmilter hands reply text to the MTA as a printf-style format: a lone
 * '%' makes it drop the text.  So every '%' is written "%%" in lines[] and
 * counts as 2 bytes towards width; a "%%" pair is never split.
 *
 * width is clamped to [2, MILTER_LINE_MAX - 1] and max_lines to at most
 * MILTER_REPLY_LINES.  lines must have room for max_lines rows (caller
 * owns it).  Returns the number of lines written, each NUL-terminated and
 * non-empty; 0 when the cleaned text is empty or max_lines is 0.
 */
size_t milter_reply_split(const char *text, size_t width, char lines[][MILTER_LINE_MAX],
			  size_t max_lines);

#endif
