/*
 * test_metrics - the Prometheus text writer (escaping, histograms, codes)
 * and metrics_listen's address rule.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "metrics.h"
#include "metrics_http.h"
#include "tap.h"

static void test_escaping(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "zen.spamhaus.org", "zen.spamhaus.org" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "line\nbreak", "line\\nbreak" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		metrics_escape_label(&b, cases[i].in);
		is_str(buf_cstr(&b), cases[i].want, "label value escaped: %s", cases[i].want);
		buf_free(&b);
	}
}

static void test_samples(void)
{
	struct buf b = BUF_INIT;
	struct metrics_label l[2] = { { "zone", "bad\"zone\n" }, { "code", "127.0.0.2" } };

	metrics_family(&b, "relayguard_x_total", METRICS_COUNTER, "help with \\ and\nnewline");
	metrics_sample_u64(&b, "relayguard_x_total", l, 2, 18446744073709551615ull);
	metrics_sample_u64(&b, "relayguard_x_total", NULL, 0, 0);
	is_str(buf_cstr(&b),
	       "# HELP relayguard_x_total help with \\\\ and\\nnewline\n"
	       "# TYPE relayguard_x_total counter\n"
	       "relayguard_x_total{zone=\"bad\\\"zone\\n\",code=\"127.0.0.2\"} 18446744073709551615\n"
	       "relayguard_x_total 0\n",
	       "family lines, labels escaped, a full 64-bit value, a sample without labels");
	buf_reset(&b);
	metrics_sample_double(&b, "g", NULL, 0, 0.25);
	metrics_sample_double(&b, "g", NULL, 0, NAN);
	metrics_sample_double(&b, "g", NULL, 0, INFINITY);
	metrics_sample_double(&b, "g", NULL, 0, -INFINITY);
	is_str(buf_cstr(&b), "g 0.25\ng NaN\ng +Inf\ng -Inf\n", "float values, NaN and infinities");
	buf_free(&b);
}

static void test_histogram(void)
{
	struct metrics_hist h = { 0 }, h2 = { 0 };
	struct metrics_label l = { "zone", "z" };
	struct buf b = BUF_INIT;

	metrics_hist_observe_us(&h, 0);		/* first bucket */
	metrics_hist_observe_us(&h, 500);	/* on the bound: still the first */
	metrics_hist_observe_us(&h, 501);	/* the second */
	metrics_hist_observe_us(&h, 60000000);	/* over the last bound: +Inf only */
	metrics_hist_observe_us(&h2, 2000);
	metrics_hist_merge(&h, &h2);
	is_int(h.count, 5, "count");
	is_int(h.sum_us, 60003001, "sum");
	metrics_histogram(&b, "d_seconds", &l, 1, &h);
	struct buf nolabels = BUF_INIT;
	metrics_histogram(&nolabels, "n", NULL, 0, &h);
	ok(strstr(buf_cstr(&nolabels), "n_bucket{le=\"+Inf\"} 5\nn_sum 60.003001\nn_count 5\n") != NULL, "a histogram without labels");
	buf_free(&nolabels);
	const char *s = buf_cstr(&b);
	ok(strstr(s, "d_seconds_bucket{zone=\"z\",le=\"0.0005\"} 2\n") != NULL, "le=0.0005 holds 0 and 500 us");
	ok(strstr(s, "d_seconds_bucket{zone=\"z\",le=\"0.001\"} 3\n") != NULL, "buckets are cumulative");
	ok(strstr(s, "d_seconds_bucket{zone=\"z\",le=\"0.0025\"} 4\n") != NULL, "a merged observation counts");
	ok(strstr(s, "d_seconds_bucket{zone=\"z\",le=\"10\"} 4\n") != NULL, "last finite bound");
	ok(strstr(s, "d_seconds_bucket{zone=\"z\",le=\"+Inf\"} 5\n") != NULL, "+Inf = count");
	ok(strstr(s, "d_seconds_sum{zone=\"z\"} 60.003001\n") != NULL, "sum in seconds, exact");
	ok(strstr(s, "d_seconds_count{zone=\"z\"} 5\n") != NULL, "count line");
	/* buckets in increasing order, 14 finite + Inf */
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, "_bucket{")) != NULL; p++)
		n++;
	is_int(n, METRICS_HIST_BUCKETS + 1, "one line per bucket and +Inf");
	buf_free(&b);
}

static void test_codes(void)
{
	struct metrics_codes c = { 0 }, d = { 0 };

	for (uint32_t i = 0; i < METRICS_CODES_MAX + 2; i++)
		metrics_codes_add(&c, 0x7f000002u + i, 1);
	metrics_codes_add(&c, 0x7f000002u, 5);
	is_int(c.n[0], 6, "a code seen again adds to its slot");
	is_int(c.other, 2, "codes beyond the table go to other");
	metrics_codes_add(&d, 0x7f0000ffu, 3);
	metrics_codes_merge(&c, &d);
	is_int(c.other, 5, "merging into a full table: other");
	char text[16];
	metrics_code_text(0x7f0000ffu, text);
	is_str(text, "127.0.0.255", "code text");
}

static void test_listen(void)
{
	static const struct {
		const char *listen;
		bool remote;
		int rc;
		const char *host;
		unsigned port;
	} cases[] = {
		{ "127.0.0.1:9150", false, 0, "127.0.0.1", 9150 },
		{ "127.1.2.3:1", false, 0, "127.1.2.3", 1 },
		{ "[::1]:9150", false, 0, "::1", 9150 },
		{ "192.0.2.1:9150", false, -1, NULL, 0 },
		{ "0.0.0.0:9150", false, -1, NULL, 0 },
		{ "[::]:9150", false, -1, NULL, 0 },
		{ "192.0.2.1:9150", true, 0, "192.0.2.1", 9150 },
		{ "0.0.0.0:9150", true, 0, "0.0.0.0", 9150 },
		{ "localhost:9150", false, -1, NULL, 0 },
		{ "127.0.0.1", false, -1, NULL, 0 },
		{ "127.0.0.1:", false, -1, NULL, 0 },
		{ "127.0.0.1:0", false, -1, NULL, 0 },
		{ "127.0.0.1:65536", false, -1, NULL, 0 },
		{ "127.0.0.1:+80", false, -1, NULL, 0 },
		{ "127.0.0.1:80x", false, -1, NULL, 0 },
		{ "::1:9150", false, -1, NULL, 0 },
		{ "[::1:9150", false, -1, NULL, 0 },
		{ "[[::1]]:9150", false, -1, NULL, 0 },
		{ ":9150", false, -1, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[64] = "";
		unsigned port = 0;
		const char *err = NULL;
		int rc = metrics_http_parse_listen(cases[i].listen, cases[i].remote, host, &port, &err);
		is_int(rc, cases[i].rc, "%s (remote %d)", cases[i].listen, cases[i].remote);
		if (rc == 0) {
			is_str(host, cases[i].host, "%s: host", cases[i].listen);
			is_int(port, cases[i].port, "%s: port", cases[i].listen);
		} else {
			ok(err != NULL && strncmp(err, "metrics_listen: ", 16) == 0, "%s: says why (%s)",
			   cases[i].listen, err ? err : "");
		}
	}
}

static void test_setting(void)
{
	static const struct {
		const char *setting;
		int rc;
		const char *policyd, *milter, *notify;
	} cases[] = {
		{ "", 0, "", "", "" },
		{ "127.0.0.1:9150", 0, "127.0.0.1:9150", "127.0.0.1:9150", "127.0.0.1:9150" },
		{ "policyd=127.0.0.1:9150, milter=[::1]:9151", 0, "127.0.0.1:9150", "[::1]:9151", "" },
		{ "milter=127.0.0.1:9151 127.0.0.1:9150", 0, "127.0.0.1:9150", "127.0.0.1:9151", "127.0.0.1:9150" },
		{ "notify=127.0.0.1:1,policyd=127.0.0.1:2", 0, "127.0.0.1:2", "", "127.0.0.1:1" },
		{ "ctl=127.0.0.1:9150", -1, NULL, NULL, NULL },
		{ "=127.0.0.1:9150", -1, NULL, NULL, NULL },
		{ "policyd=127.0.0.1:1, policyd=127.0.0.1:2", -1, NULL, NULL, NULL },
		{ "127.0.0.1:1 127.0.0.1:2", -1, NULL, NULL, NULL },
		{ "policyd=", -1, NULL, NULL, NULL },
		{ "policyd=localhost:1", -1, NULL, NULL, NULL },
		/* the loopback rule is checked at start, not here (it needs metrics_allow_remote) */
		{ "policyd=192.0.2.1:9150", 0, "192.0.2.1:9150", "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *err = NULL;
		int rc = metrics_http_check_setting(cases[i].setting, &err);
		is_int(rc, cases[i].rc, "setting \"%s\"%s%s", cases[i].setting, rc && err ? ": " : "", rc && err ? err : "");
		if (rc != 0)
			continue;
		char out[METRICS_LISTEN_ITEM_MAX];
		metrics_http_listen_for(cases[i].setting, "policyd", out);
		is_str(out, cases[i].policyd, "  policyd's address");
		metrics_http_listen_for(cases[i].setting, "milter", out);
		is_str(out, cases[i].milter, "  milter's address");
		metrics_http_listen_for(cases[i].setting, "notify", out);
		is_str(out, cases[i].notify, "  notify's address");
	}
}

int main(void)
{
	test_setting();
	test_escaping();
	test_samples();
	test_histogram();
	test_codes();
	test_listen();
	return tap_done();
}
