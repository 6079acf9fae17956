/*
 * bench_history - the cost of one stats history append on the engine
 * thread (common/stats_history): N appends of one interval's lines of a
 * policyd with 2 workers and 3 lists (2 x 4 lines, about 1.2 kB), into a
 * fresh folder; prints the mean and worst microseconds per append.
 *   bench/bench_history DIR [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "stats_history.h"

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 10000;
	struct buf conf = BUF_INIT, lines = BUF_INIT;
	cfg_t *cfg;
	char *err = NULL;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: bench_history DIR [N]\n");
		return 2;
	}
	buf_printf(&conf, "stats_history_dir = %s\nstats_history_max_size = 1g\n", argv[1]);
	if (cfg_load_mem("bench", conf.data, conf.len, &cfg, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	stats_history_t *h = stats_history_new(cfg);
	time_t t = time(NULL);
	for (int w = 0; w < 2; w++) {
		buf_printf(&lines, "t=%lld src=relayguard-policyd.123456.%d started=%lld checks=123456789 skipped=1234 "
				   "listed=12345678 failed=12\n", (long long)t, w, (long long)t - 86400);
		for (int z = 0; z < 3; z++)
			buf_printf(&lines, "t=%lld src=relayguard-policyd.123456.%d zone=zen%d.dnsbl.example kind=dnsbl "
					   "queries=98765432 listed=12345678 not_listed=86419754 errors=123 timeouts=45 "
					   "state=in_service\n", (long long)t, w, z);
	}
	double worst = 0, total = 0;
	for (long i = 0; i < n; i++) {
		uint64_t t0 = clock_now_us();
		stats_history_append(h, &lines, t);
		double us = (double)(clock_now_us() - t0);
		total += us;
		worst = us > worst ? us : worst;
	}
	printf("%ld appends of %zu bytes: %.1f us mean, %.0f us worst\n", n, lines.len, total / (double)n, worst);
	stats_history_free(&h);
	cfg_unref(&cfg);
	buf_free(&conf);
	buf_free(&lines);
	return 0;
}
