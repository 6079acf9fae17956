/*
 * ctl - relayguard-ctl main: global options, the verb table, dispatch.
 *
 *   relayguard-ctl [-c FILE] [-v] VERB [ARGS]
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

static const struct ctl_verb verbs[] = {
	{ "queue", ctl_queue, "", "the report queue: length, pending, consumers, lag" },
	{ "networks", ctl_networks, "[-n N] [--untold]",
	  "the top offending networks now (hits, told, abuse contact); --untold: those nobody can be told, and why" },
	{ "notices", ctl_notices, "[-n N] | --suppress X | --unsuppress X",
	  "the notices relayguard-notify sent: when, to whom; or edit notify_suppress (network, contact or domain)" },
	{ "check-config", ctl_check_config, "[-c FILE]",
	  "validate the configuration; print the settings that differ from the defaults" },
	{ "show-config", ctl_show_config, "[--sample]",
	  "print every setting with its effective value, or a commented sample file" },
	{ "check", ctl_check, "ADDRESS [--helo NAME] [--sender ADDR] [--json]",
	  "run the engine on one client and explain the verdict (exit 0 pass, 1 listed, 2 error)" },
	{ "doctor", ctl_doctor, "[--json]",
	  "ask every DNS list its RFC 5782 test entries through the resolver: refusals, quotas, "
	  "dead lists (exit 0 healthy, 1 a problem, 2 cannot run)" },
	{ "stats", ctl_stats, "",
	  "counters of the running daemons: checks, caches, and per zone queries, hits, errors, latency" },
	{ "import", ctl_import, "NAME FILE [--format auto|ip4set|ip6tset|cidr] [--skip-bad-lines]",
	  "load a list file into Redis as list NAME (redis_lists), replacing it atomically" },
	{ "lists", ctl_lists, "", "show every list imported into Redis: entries, age, memory" },
	{ "drop", ctl_drop, "NAME", "delete list NAME from Redis" },
	{ "report", ctl_report, "--html FILE [--since TIME]",
	  "a self-contained HTML page with charts: verdicts, listings per list, top networks, notices "
	  "per day, zones' health (TIME: 2h, 7d, @EPOCH or YYYY-MM-DD[THH:MM]; default 7d)" },
	{ "probe", ctl_probe, "ADDRESS",
	  "the stored relayguard-probe result for one host and its evidence (exit 0 shown, 1 none stored)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguard-ctl [-c FILE] [-v] VERB [ARGS]\n"
		     "  -c FILE  configuration file (default %s)\n"
		     "  -v       verbose: debug messages\n"
		     "  -h       this help\n"
		     "verbs:\n", DEFAULT_CONFIG_FILE);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %s %s\n      %s\n", verbs[i].name, verbs[i].usage, verbs[i].help);
}

int ctl_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "relayguard-ctl: %s%s", verb ? verb : "", verb ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'relayguard-ctl -h'.\n");
	return CTL_USAGE;
}

cfg_t *ctl_load_config(const struct ctl_ctx *ctx)
{
	cfg_t *cfg;
	char *error = NULL;

	if (cfg_load_default(ctx->config_path, &cfg, &error) != 0) {
		fprintf(stderr, "%s\n", error);
		free(error);
		return NULL;
	}
	return cfg;
}

int main(int argc, char **argv)
{
	struct ctl_ctx ctx = { NULL, false };
	int c;

	log_open("relayguard-ctl", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_NOTICE);
	/* "+": stop at the verb, its options are its own. */
	while ((c = getopt(argc, argv, "+c:vh")) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'v':
			ctx.verbose = true;
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			int vargc = argc - optind;
			char **vargv = argv + optind;
			/* 0, not 1: glibc then starts afresh, forgetting the "+" above,
			 * so a verb's options may also follow its arguments */
			optind = 0;
			return verbs[i].fn(&ctx, vargc, vargv);
		}
	}
	return ctl_usage_error(NULL, "unknown verb '%s'", argv[optind]);
}
