/*
 * svg_chart - the inline SVG charts of relayguard-ctl report --html: plain
 * SVG 1.1 elements appended to a struct buf, no script, no external
 * reference, readable by any browser and by a program.
 *
 * Every mark carries its data: a <rect> or <g> has data-series,
 * data-label and data-value attributes and a <title> child (the tooltip),
 * so a test can read back what is drawn.  Every string given here is
 * escaped (svg_escape); callers pass raw data.  Widths are in user units;
 * the <svg> has a viewBox and width 100%, so it scales with the page.
 *
 * An empty chart (no values, or all zero) draws nothing and returns false:
 * the caller then writes its "no data in this period" line instead.
 * Reentrant; the caller owns every argument and out.
 */
#ifndef RELAYGUARD_SVG_CHART_H
#define RELAYGUARD_SVG_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Longest label drawn (characters); longer ones end in "...". */
#define SVG_LABEL_MAX 48

/* One stacked series of a column chart. */
struct svg_series {
	const char *name;		/* legend and data-series */
	const char *color;		/* a CSS colour, e.g. "#c0392b" (trusted: ours) */
	const double *values;		/* n_columns values, >= 0 */
};

/* Append s to out with &, <, >, " and ' escaped (for text and attributes);
 * bytes below 0x20 but tab and newline become spaces. */
void svg_escape(struct buf *out, const char *s);

/*
 * A stacked column chart: n_columns columns labelled labels[i] (e.g. the
 * start of a time bucket), each a stack of the series.  data-chart = id.
 */
bool svg_columns(struct buf *out, const char *id, const char *const *labels, size_t n_columns,
		 const struct svg_series *series, size_t n_series);

/* A horizontal bar per item: labels[i] and values[i], longest first as given. */
bool svg_hbars(struct buf *out, const char *id, const char *const *labels, const double *values, size_t n,
	       const char *color);

/*
 * A strip per row (e.g. a zone) of n_columns cells; cells[row * n_columns +
 * col] indexes states (0 = no data: drawn light grey, named "no data").
 * state_names/state_colors: n_states entries, [0] unused.
 */
bool svg_strips(struct buf *out, const char *id, const char *const *rows, size_t n_rows,
		const char *const *col_labels, size_t n_columns, const unsigned char *cells,
		const char *const *state_names, const char *const *state_colors, size_t n_states);

#endif
