/*
 * ctl_probe - relayguard-ctl probe ADDRESS: the stored result of
 * relayguard-probe for one host, with its evidence (probe/probe_results.h:
 * Redis when redis_server is set, else probe_state_dir).
 * Exit: 0 shown, 1 no result stored (or unreadable), 2 usage.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "probe/probe.h"
#include "probe/probe_results.h"

static void print_human(const struct probe_result *r, long long ttl_s)
{
	char a[ADDR_STRLEN], when[32];
	struct tm tm;
	long long age = (long long)(time(NULL) - r->when);

	gmtime_r(&r->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s: %s\n", addr_format(&r->addr, a), probe_result_summary(r));
	printf("  probed: %s (%llds ago%s), %s mode\n", when, age, age >= ttl_s ? ", older than probe_ttl" : "",
	       r->deliver_mode ? "deliver" : "rcpt");
	printf("  relay: %s%s%s\n", probe_verdict_name(r->relay), r->relay_detail[0] ? ": " : "", r->relay_detail);
	printf("  proxy: %s%s%s\n", probe_verdict_name(r->proxy), r->proxy_detail[0] ? ": " : "", r->proxy_detail);
	printf("  evidence:\n");
	probe_result_print_transcript(r, "    ");
}

int ctl_probe(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct probe_result r;
	addr_t a;
	char why[512];

	if (argc != 2)
		return ctl_usage_error("probe", "one ADDRESS");
	if (addr_parse(argv[1], &a) != 0)
		return ctl_usage_error("probe", "\"%s\" is not an IP address", argv[1]);
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	probe_result_init(&r, NULL);
	char where[600];
	probe_results_where(cfg, where, sizeof(where));
	int rc = probe_results_load(cfg, &a, &r, why, sizeof(why));
	if (rc == 1)
		print_human(&r, (long long)(cfg_ms(cfg, CFG_PROBE_TTL) / 1000));
	else if (rc == 0)
		fprintf(stderr, "relayguard-ctl: probe: no stored result for %s in %s (run relayguard-probe)\n",
			argv[1], where);
	else
		fprintf(stderr, "relayguard-ctl: probe: %s\n", why);
	probe_result_free(&r);
	cfg_unref(&cfg);
	return rc == 1 ? CTL_OK : CTL_FAIL;
}
