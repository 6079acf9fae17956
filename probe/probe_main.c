/*
 * relayguard-probe - confirm before accusing: test whether hosts are open
 * relays or open proxies (relayguard-probe(8)).
 *
 *   relayguard-probe [-c FILE] [-v] [--json] [--evidence] [--force]
 *                    [--mode rcpt|deliver] ADDRESS...
 *
 * Order for every address: probe_allowed_targets (before any socket),
 * then a fresh cached result (probe_ttl) unless --force, then the per-host
 * lock and the rate limits, then the relay and proxy tests, then the
 * result is stored (probe_results: Redis or probe_state_dir).
 * Exit status: 0 nothing open; 1 an open relay or proxy confirmed; 2 a
 * relay recipient accepted, not confirmed; 3 a target not probed (refused,
 * rate-limited, bad address); 64 usage; 78 configuration.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "probe.h"
#include "probe_policy.h"
#include "probe_run.h"
#include "probe_setup.h"

enum { EXIT_NOTHING_OPEN = 0, EXIT_CONFIRMED = 1, EXIT_ACCEPTED = 2, EXIT_NOT_PROBED = 3, EXIT_USAGE = 64,
       EXIT_CONFIG = 78 };

struct run {
	cfg_t *cfg;
	struct probe_settings s;
	struct probe_limits limits;
	const char *state_dir;
	bool json, evidence, force;
	int status;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguard-probe [-c FILE] [-v] [--json] [--evidence] [--force] [--mode rcpt|deliver] "
		     "ADDRESS...\n"
		     "  -c FILE     configuration file (default %s)\n"
		     "  --json      one JSON object per address, evidence included\n"
		     "  --evidence  print the transcript under each result\n"
		     "  --force     probe again even if a result younger than probe_ttl is stored\n"
		     "  --mode M    probe_relay_mode for this run: rcpt or deliver\n"
		     "exit: 0 nothing open, 1 open relay/proxy confirmed, 2 relay recipient accepted (not "
		     "confirmed), 3 an address not probed, 64 usage, 78 configuration\n",
		DEFAULT_CONFIG_FILE);
}

static void raise_status(struct run *run, int status)
{
	static const int rank[] = { [EXIT_NOTHING_OPEN] = 0, [EXIT_CONFIRMED] = 3, [EXIT_ACCEPTED] = 2,
				    [EXIT_NOT_PROBED] = 1 };
	if (rank[status] > rank[run->status])
		run->status = status;
}

/* A target that was not probed: say why, in the chosen format. */
static void print_refusal(struct run *run, const char *target, const char *result, const char *why)
{
	if (run->json) {
		struct buf b;
		buf_init(&b);
		buf_putc(&b, '{');
		json_key(&b, "address");
		json_str(&b, target);
		json_key(&b, "result");
		json_str(&b, result);
		json_key(&b, "reason");
		json_str(&b, why);
		buf_puts(&b, "}\n");
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
	} else {
		printf("%s: %s: %s\n", target, result, why);
	}
	if (strcmp(result, "refused") == 0)	/* probe_run logs the other refusals */
		log_notice("probe %s result=%s reason=\"%s\"", target, result, why);
	raise_status(run, EXIT_NOT_PROBED);
}

static void print_result(struct run *run, const struct probe_result *r, bool cached)
{
	char a[ADDR_STRLEN], when[32];
	struct tm tm;

	addr_format(&r->addr, a);
	gmtime_r(&r->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (run->json) {
		struct buf b;
		buf_init(&b);
		buf_putc(&b, '{');
		json_key(&b, "address");
		json_str(&b, a);
		json_key(&b, "result");
		json_str(&b, probe_result_summary(r));
		json_key(&b, "time");
		json_str(&b, when);
		buf_printf(&b, ",\"cached\":%s", cached ? "true" : "false");
		json_key(&b, "mode");
		json_str(&b, r->deliver_mode ? "deliver" : "rcpt");
		json_key(&b, "relay");
		json_str(&b, probe_verdict_name(r->relay));
		json_key(&b, "relay_detail");
		json_str(&b, r->relay_detail);
		json_key(&b, "proxy");
		json_str(&b, probe_verdict_name(r->proxy));
		json_key(&b, "proxy_detail");
		json_str(&b, r->proxy_detail);
		json_key(&b, "evidence");
		json_str(&b, buf_cstr(&r->transcript));
		buf_puts(&b, "}\n");
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
	} else {
		printf("%s: %s (%s%s, %s mode)\n", a, probe_result_summary(r), cached ? "stored result of " : "", when,
		       r->deliver_mode ? "deliver" : "rcpt");
		printf("  relay: %s%s%s\n", probe_verdict_name(r->relay), r->relay_detail[0] ? ": " : "",
		       r->relay_detail);
		printf("  proxy: %s%s%s\n", probe_verdict_name(r->proxy), r->proxy_detail[0] ? ": " : "",
		       r->proxy_detail);
		if (run->evidence && r->transcript.len > 0) {
			printf("  evidence:\n");
			probe_result_print_transcript(r, "    ");
		}
	}
	if (r->relay == PROBE_CONFIRMED || r->proxy == PROBE_CONFIRMED)
		raise_status(run, EXIT_CONFIRMED);
	else if (r->relay == PROBE_ACCEPTED)
		raise_status(run, EXIT_ACCEPTED);
}

static void probe_one(struct run *run, const char *target, const addr_t *a)
{
	struct probe_result r;
	char why[512];

	switch (probe_run_host(run->cfg, &run->s, &run->limits, a, run->force, &r, why, sizeof(why))) {
	case PROBE_RUN_PROBED: print_result(run, &r, false); break;
	case PROBE_RUN_CACHED: print_result(run, &r, true); break;
	case PROBE_RUN_REFUSED: print_refusal(run, target, "refused", why); break;
	case PROBE_RUN_LIMITED: print_refusal(run, target, "not-probed", why); break;
	}
	probe_result_free(&r);
}

static int parse_args(int argc, char **argv, struct run *run, const char **config_r, int *deliver_r)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },	   { "evidence", no_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'f' },	   { "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config_r = optarg; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'j': run->json = true; break;
		case 'e': run->evidence = true; break;
		case 'f': run->force = true; break;
		case 'm':
			if (strcmp(optarg, "rcpt") != 0 && strcmp(optarg, "deliver") != 0) {
				fprintf(stderr, "relayguard-probe: --mode: rcpt or deliver, not \"%s\"\n", optarg);
				return -1;
			}
			*deliver_r = strcmp(optarg, "deliver") == 0;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "relayguard-probe: no ADDRESS given\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

static int setup(struct run *run, const char *config, int deliver)
{
	char *err = NULL;

	if (cfg_load_default(config, &run->cfg, &err) != 0 ||
	    probe_setup(run->cfg, deliver, &run->s, &run->limits, &err) != 0) {
		fprintf(stderr, "relayguard-probe: %s\n", err);
		free(err);
		return -1;
	}
	run->state_dir = cfg_str(run->cfg, CFG_PROBE_STATE_DIR);
	if (probe_policy_mkdirs(run->state_dir) != 0) {
		fprintf(stderr, "relayguard-probe: probe_state_dir %s: %m\n", run->state_dir);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct run run = { .status = EXIT_NOTHING_OPEN };
	const char *config = NULL;
	int deliver = -1, first;
	addr_t *addrs;
	bool *allowed, any = false;
	const char *why;

	log_open("relayguard-probe", LOG_TO_STDERR, 0);
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &run, &config, &deliver) != 0)
		return EXIT_USAGE;
	first = optind;
	if (setup(&run, config, deliver) != 0) {
		cfg_unref(&run.cfg);
		return EXIT_CONFIG;
	}
	addrs = xcalloc((size_t)argc, sizeof(*addrs));
	allowed = xcalloc((size_t)argc, sizeof(*allowed));
	/* The gate, for every address, before any socket (the canary's too). */
	for (int i = first; i < argc; i++) {
		allowed[i] = false;
		if (addr_parse(argv[i], &addrs[i]) != 0)
			print_refusal(&run, argv[i], "refused", "not an IP address");
		else if (probe_policy_allowed(run.s.allowed, &addrs[i], &why) != 0)
			print_refusal(&run, argv[i], "refused", why);
		else
			any = allowed[i] = true;
	}
	if (any && run.s.canary_port != 0) {
		char *err = NULL;
		if (probe_canary_start(&run.s.canary_addr, run.s.canary_port, &run.s.canary, &err) != 0) {
			fprintf(stderr, "relayguard-probe: probe_canary: %s\n", err);
			free(err);
			cfg_unref(&run.cfg);
			free(addrs);
			free(allowed);
			return EXIT_CONFIG;
		}
	}
	for (int i = first; i < argc; i++)
		if (allowed[i])
			probe_one(&run, argv[i], &addrs[i]);
	probe_canary_stop(&run.s.canary);
	cfg_unref(&run.cfg);
	free(addrs);
	free(allowed);
	return run.status;
}
