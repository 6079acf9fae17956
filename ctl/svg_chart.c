/*
 * svg_chart - column, bar and strip charts as inline SVG.  See svg_chart.h.
 */
#include "config.h"

#include <string.h>

#include "svg_chart.h"

/* The drawing area, in user units (the page scales it). */
#define SVG_W 960
#define SVG_PLOT_LEFT 64
#define SVG_PLOT_RIGHT 16
#define SVG_COL_H 240		/* the plot height of a column chart */
#define SVG_BAR_H 22		/* one horizontal bar, or one strip */
#define SVG_LABEL_W 240		/* the label column of bars and strips */
#define SVG_X_LABELS 8		/* about this many labels under the columns */
#define SVG_COL_MAX_W 48	/* the widest column */

void svg_escape(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default:
			buf_putc(out, (unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' ? ' ' : *s);
		}
	}
}

/* A label cut to SVG_LABEL_MAX characters (bytes; a cut UTF-8 sequence is
 * replaced by the browser, never a parse error: the page is still text). */
static void label(struct buf *out, const char *s)
{
	char cut[SVG_LABEL_MAX + 4];
	size_t n = strlen(s);

	if (n <= SVG_LABEL_MAX) {
		svg_escape(out, s);
		return;
	}
	while (n > SVG_LABEL_MAX - 3)
		n--;
	/* do not end inside a UTF-8 sequence */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(cut, s, n);
	memcpy(cut + n, "...", 4);
	svg_escape(out, cut);
}

static void open_svg(struct buf *out, const char *id, int height)
{
	buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"");
	svg_escape(out, id);
	buf_printf(out, "\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\">\n", SVG_W, height);
}

static void num(struct buf *out, double v)
{
	if (v == (double)(long long)v)
		buf_printf(out, "%lld", (long long)v);
	else
		buf_printf(out, "%.4g", v);
}

/* The y axis of a column chart: three grid lines with their values. */
static void y_axis(struct buf *out, double max, int top)
{
	for (int i = 0; i <= 2; i++) {
		double v = max * i / 2;
		int y = top + SVG_COL_H - SVG_COL_H * i / 2;
		buf_printf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", SVG_PLOT_LEFT, y,
			   SVG_W - SVG_PLOT_RIGHT, y);
		buf_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", SVG_PLOT_LEFT - 6, y + 4);
		num(out, v);
		buf_puts(out, "</text>\n");
	}
}

static void legend(struct buf *out, const struct svg_series *series, size_t n_series, int y)
{
	int x = SVG_PLOT_LEFT;

	for (size_t s = 0; s < n_series; s++) {
		buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y - 10,
			   series[s].color);
		buf_printf(out, "<text class=\"legend\" x=\"%d\" y=\"%d\">", x + 16, y);
		label(out, series[s].name);
		buf_puts(out, "</text>\n");
		x += 32 + 8 * (int)strlen(series[s].name);
	}
}

/* One column: a stack of rects, bottom up. */
static void column(struct buf *out, const struct svg_series *series, size_t n_series, size_t col,
		   const char *col_label, double max, int x, int w, int top)
{
	double below = 0;

	for (size_t s = 0; s < n_series; s++) {
		double v = series[s].values[col];
		if (v <= 0)
			continue;
		int y0 = top + SVG_COL_H - (int)(SVG_COL_H * below / max + 0.5);
		int y1 = top + SVG_COL_H - (int)(SVG_COL_H * (below + v) / max + 0.5);
		if (y0 - y1 < 1)
			y1 = y0 - 1;	/* a small value stays visible */
		buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" data-series=\"", x, y1,
			   w, y0 - y1, series[s].color);
		svg_escape(out, series[s].name);
		buf_puts(out, "\" data-label=\"");
		svg_escape(out, col_label);
		buf_puts(out, "\" data-value=\"");
		num(out, v);
		buf_puts(out, "\"><title>");
		svg_escape(out, series[s].name);
		buf_puts(out, " ");
		svg_escape(out, col_label);
		buf_puts(out, ": ");
		num(out, v);
		buf_puts(out, "</title></rect>\n");
		below += v;
	}
}

bool svg_columns(struct buf *out, const char *id, const char *const *labels, size_t n_columns,
		 const struct svg_series *series, size_t n_series)
{
	double max = 0;
	const int top = 28;

	for (size_t c = 0; c < n_columns; c++) {
		double sum = 0;
		for (size_t s = 0; s < n_series; s++)
			sum += series[s].values[c] > 0 ? series[s].values[c] : 0;
		if (sum > max)
			max = sum;
	}
	if (max <= 0)
		return false;
	open_svg(out, id, top + SVG_COL_H + 30);
	legend(out, series, n_series, 16);
	y_axis(out, max, top);
	double step = (double)(SVG_W - SVG_PLOT_LEFT - SVG_PLOT_RIGHT) / (double)n_columns;
	int w = step > 3 ? (int)(step * 0.8) : 2;
	if (w > SVG_COL_MAX_W)
		w = SVG_COL_MAX_W;	/* a few columns stay columns, not slabs */
	size_t every = n_columns / SVG_X_LABELS + 1;
	for (size_t c = 0; c < n_columns; c++) {
		int x = SVG_PLOT_LEFT + (int)(step * (double)c);
		column(out, series, n_series, c, labels[c], max, x, w, top);
		if (c % every == 0) {
			buf_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%d\">", x, top + SVG_COL_H + 18);
			label(out, labels[c]);
			buf_puts(out, "</text>\n");
		}
	}
	buf_puts(out, "</svg>\n");
	return true;
}

bool svg_hbars(struct buf *out, const char *id, const char *const *labels, const double *values, size_t n,
	       const char *color)
{
	double max = 0;

	for (size_t i = 0; i < n; i++)
		max = values[i] > max ? values[i] : max;
	if (max <= 0)
		return false;
	open_svg(out, id, (int)n * SVG_BAR_H + 8);
	int span = SVG_W - SVG_LABEL_W - SVG_PLOT_RIGHT - 60;
	for (size_t i = 0; i < n; i++) {
		int y = 4 + (int)i * SVG_BAR_H;
		int w = values[i] > 0 ? (int)(span * values[i] / max + 0.5) : 0;
		buf_printf(out, "<g data-label=\"");
		svg_escape(out, labels[i]);
		buf_puts(out, "\" data-value=\"");
		num(out, values[i]);
		buf_puts(out, "\"><title>");
		svg_escape(out, labels[i]);
		buf_puts(out, ": ");
		num(out, values[i]);
		buf_printf(out, "</title><text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", SVG_LABEL_W - 8,
			   y + 15);
		label(out, labels[i]);
		buf_printf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", SVG_LABEL_W, y,
			   w > 0 ? w : 1, SVG_BAR_H - 6, color);
		buf_printf(out, "<text class=\"value\" x=\"%d\" y=\"%d\">", SVG_LABEL_W + (w > 0 ? w : 1) + 6, y + 15);
		num(out, values[i]);
		buf_puts(out, "</text></g>\n");
	}
	buf_puts(out, "</svg>\n");
	return true;
}

bool svg_strips(struct buf *out, const char *id, const char *const *rows, size_t n_rows,
		const char *const *col_labels, size_t n_columns, const unsigned char *cells,
		const char *const *state_names, const char *const *state_colors, size_t n_states)
{
	bool any = false;

	for (size_t i = 0; i < n_rows * n_columns; i++)
		any = any || (cells[i] > 0 && cells[i] < n_states);
	if (!any)
		return false;
	open_svg(out, id, (int)n_rows * SVG_BAR_H + 8);
	double step = (double)(SVG_W - SVG_LABEL_W - SVG_PLOT_RIGHT) / (double)n_columns;
	for (size_t r = 0; r < n_rows; r++) {
		int y = 4 + (int)r * SVG_BAR_H;
		buf_printf(out, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", SVG_LABEL_W - 8, y + 15);
		label(out, rows[r]);
		buf_puts(out, "</text>\n");
		for (size_t c = 0; c < n_columns; c++) {
			unsigned char st = cells[r * n_columns + c];
			const char *name = st > 0 && st < n_states ? state_names[st] : "no data";
			const char *color = st > 0 && st < n_states ? state_colors[st] : "#eeeeee";
			int x = SVG_LABEL_W + (int)(step * (double)c);
			int w = (int)(step * (double)(c + 1)) - (int)(step * (double)c);
			buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" data-series=\"", x,
				   y, w > 0 ? w : 1, SVG_BAR_H - 6, color);
			svg_escape(out, rows[r]);
			buf_puts(out, "\" data-label=\"");
			svg_escape(out, col_labels[c]);
			buf_puts(out, "\" data-value=\"");
			svg_escape(out, name);
			buf_puts(out, "\"><title>");
			svg_escape(out, rows[r]);
			buf_puts(out, " ");
			svg_escape(out, col_labels[c]);
			buf_puts(out, ": ");
			svg_escape(out, name);
			buf_puts(out, "</title></rect>\n");
		}
	}
	buf_puts(out, "</svg>\n");
	return true;
}
