/*
 * metrics - Prometheus text exposition and the histogram/code accumulators.
 * See metrics.h for the contract.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

const uint64_t metrics_hist_bounds_us[METRICS_HIST_BUCKETS] = {
	500,	 1000,	 2500,	  5000,	   10000,   25000,   50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

void metrics_hist_observe_us(struct metrics_hist *h, uint64_t us)
{
	/* A short linear scan: most observations land in the first buckets. */
	for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
		if (us <= metrics_hist_bounds_us[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum_us += us;
}

void metrics_hist_merge(struct metrics_hist *into, const struct metrics_hist *h)
{
	for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++)
		into->bucket[i] += h->bucket[i];
	into->count += h->count;
	into->sum_us += h->sum_us;
}

void metrics_codes_add(struct metrics_codes *c, uint32_t code, uint64_t n)
{
	for (size_t i = 0; i < METRICS_CODES_MAX; i++) {
		if (c->code[i] == code || c->code[i] == 0) {
			c->code[i] = code;
			c->n[i] += n;
			return;
		}
	}
	c->other += n;
}

void metrics_codes_merge(struct metrics_codes *into, const struct metrics_codes *c)
{
	for (size_t i = 0; i < METRICS_CODES_MAX && c->code[i] != 0; i++)
		metrics_codes_add(into, c->code[i], c->n[i]);
	into->other += c->other;
}

void metrics_code_text(uint32_t code, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", code >> 24, (code >> 16) & 255u, (code >> 8) & 255u, code & 255u);
}

/* HELP text: backslash and newline escaped. */
static void escape_help(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

void metrics_escape_label(struct buf *out, const char *value)
{
	for (const char *s = value; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

void metrics_family(struct buf *out, const char *name, enum metrics_type type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	buf_printf(out, "# HELP %s ", name);
	escape_help(out, help);
	buf_printf(out, "\n# TYPE %s %s\n", name, types[type]);
}

static void labels_put(struct buf *out, const struct metrics_label *labels, size_t n)
{
	if (n == 0)
		return;
	buf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s%s=\"", i ? "," : "", labels[i].name);
		metrics_escape_label(out, labels[i].value);
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}

void metrics_sample_u64(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
			uint64_t value)
{
	buf_puts(out, name);
	labels_put(out, labels, n);
	buf_printf(out, " %llu\n", (unsigned long long)value);
}

void metrics_sample_double(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
			   double value)
{
	buf_puts(out, name);
	labels_put(out, labels, n);
	if (isnan(value))
		buf_puts(out, " NaN\n");
	else if (isinf(value))
		buf_puts(out, value > 0 ? " +Inf\n" : " -Inf\n");
	else
		buf_printf(out, " %.17g\n", value);
}

void metrics_histogram(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
		       const struct metrics_hist *h)
{
	struct metrics_label l[METRICS_LABELS_MAX + 1];
	struct buf metric = BUF_INIT;
	char le[32];
	uint64_t cumulative = 0;

	if (n > METRICS_LABELS_MAX)
		n = METRICS_LABELS_MAX;
	if (n > 0)
		memcpy(l, labels, n * sizeof(*l));
	l[n].name = "le";
	l[n].value = le;
	buf_printf(&metric, "%s_bucket", name);
	for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
		cumulative += h->bucket[i];
		snprintf(le, sizeof(le), "%g", (double)metrics_hist_bounds_us[i] / 1e6);
		metrics_sample_u64(out, buf_cstr(&metric), l, n + 1, cumulative);
	}
	snprintf(le, sizeof(le), "+Inf");
	metrics_sample_u64(out, buf_cstr(&metric), l, n + 1, h->count);
	buf_reset(&metric);
	/* The sum in seconds, exact to the microsecond (a double would print 60.003000999999998). */
	buf_printf(out, "%s_sum", name);
	labels_put(out, labels, n);
	buf_printf(out, " %llu.%06llu\n", (unsigned long long)(h->sum_us / 1000000u),
		   (unsigned long long)(h->sum_us % 1000000u));
	buf_reset(&metric);
	buf_printf(&metric, "%s_count", name);
	metrics_sample_u64(out, buf_cstr(&metric), labels, n, h->count);
	buf_free(&metric);
}
