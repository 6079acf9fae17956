/*
 * bench_notice - the cost of rendering one notice (notice_render) for a
 * network of 1, 10, 100, 1,000 and 10,000 offending addresses, in ARF and
 * X-ARF: microseconds per notice and its size.  Only the API that
 * notice.h has had from the start (nagg_add, notice_render), so the same
 * file measures older trees too.
 *
 * With "verify" as the second argument each notice also carries
 * notify_verify's evidence (nevidence.h) for its three most active
 * addresses, each with a 2 KiB transcript: the rendering cost of that.
 *
 * usage: bench/bench_notice [SECONDS-PER-CASE [verify]]   (default 1)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nagg.h"
#include "nevidence.h"
#include "notice.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char tpl[] = "Hello,\n\nthe network {network} {netname} ({addresses} hosts, {hits} hits,\n"
			  "{first} to {last}; lists: {lists}).\n\n{table}\n-- \nnotice {notice_id}\n";

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 1.0;
	bool verify = argc > 2 && strcmp(argv[2], "verify") == 0;
	static const size_t sizes[] = { 1, 10, 100, 1000, 10000 };
	struct nevidence vev = { 0 };
	struct buf tr = BUF_INIT;

	while (tr.len < 2048)
		buf_printf(&tr, "> RCPT TO:<rgprobe-0123456789abcdef@canary.example>\n< 250 2.1.5 Ok\n");
	for (int i = 0; verify && i < 3; i++) {
		struct nevidence_host h = { .outcome = NEV_OPEN_RELAY, .when = 1700000500, .deliver_mode = true,
					    .detail = "port 25, form plain: the canary received token rgprobe-0123" };
		snprintf(h.addr, sizeof(h.addr), "10.0.0.%d", 1 + i);
		nevidence_add(&vev, &h, tr.data, tr.len);
	}

	printf("%-8s %-6s %12s %12s\n", "addrs", "format", "us/notice", "bytes");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		nagg_t *n = nagg_new();
		struct nagg_owner o = { "10.0.0.0/16", "10.0.0.0 - 10.0.255.255", "BENCH-NET \xc3\xa9", "Bench Org",
					"NL", "abuse@bench.example", true };
		struct net_agg *net = NULL;
		for (size_t i = 0; i < sizes[s]; i++) {
			struct report_event ev;
			char a[32];
			memset(&ev, 0, sizeof(ev));
			snprintf(a, sizeof(a), "10.0.%zu.%zu", i / 250, 1 + i % 250);
			if (addr_parse(a, &ev.client) != 0)
				return 1;
			ev.time = 1700000000 + (long long)i;
			snprintf(ev.helo, sizeof(ev.helo), "host-%zu.client.example", i);
			snprintf(ev.host, sizeof(ev.host), "mx1.bench.example");
			ev.n_lists = 2;
			snprintf(ev.lists[0].name, sizeof(ev.lists[0].name), "bl.bench");
			ev.lists[0].code = 0x7f000002;
			snprintf(ev.lists[1].name, sizeof(ev.lists[1].name), "px.bench");
			ev.lists[1].code = 0x7f000004;
			for (long long k = 0; k <= (long long)(i % 3); k++)
				net = nagg_add(n, 1, &o, &ev);
		}
		for (int f = 0; f < 2; f++) {
			struct notice_opts opts = { .from = "rg@mx1.bench.example", .to = "abuse@bench.example", .bcc = "",
						    .myhostname = "mx1.bench.example", .template_text = tpl,
						    .format = f ? NOTICE_XARF : NOTICE_ARF, .window_s = 86400,
						    .now = 1700100000, .verify = verify ? &vev : NULL };
			struct buf out = BUF_INIT;
			size_t runs = 0, bytes = 0;
			double t0 = now_s(), t;
			do {
				buf_reset(&out);
				notice_render(net, &opts, &out);
				bytes = out.len;
				runs++;
				t = now_s();
			} while (t - t0 < budget);
			printf("%-8zu %-6s %12.1f %12zu\n", sizes[s], f ? "xarf" : "arf", (t - t0) * 1e6 / (double)runs, bytes);
			buf_free(&out);
		}
		nagg_free(&n);
	}
	nevidence_free(&vev);
	buf_free(&tr);
	return 0;
}
