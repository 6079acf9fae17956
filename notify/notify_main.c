/*
 * relayguard-notify - turns report events into one notice per offending
 * network, sent to its abuse contact.  See relayguard-notify(8).
 *
 * This file is only the program: arguments, signals, and which back end
 * runs (notify.c on the Redis Stream, nspool.c on the spool journal).
 * Everything else is in notify/libnotify.a, which relayguard-ctl links too.
 *
 * usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "notify_metrics.h"

static struct notifier *the_notifier;

static void on_signal(int sig)
{
	(void)sig;
	if (the_notifier != NULL)
		the_notifier->stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]\n"
		     "  -c FILE          configuration file (default %s)\n"
		     "  --once           handle what is queued now, send the notices, exit\n"
		     "  --dry-run        print the notices that are due instead of sending them\n"
		     "                   (reads without consuming; implies --once)\n"
		     "  --consumer NAME  this notifier's name in the consumer group (default myhostname)\n"
		     "  -v               debug messages\n",
		     DEFAULT_CONFIG_FILE);
}

static int parse_args(int argc, char **argv, struct notifier *n, const char **config_r)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },	   { "dry-run", no_argument, NULL, 'd' },
		{ "consumer", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config_r = optarg; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'o': n->once = true; break;
		case 'd': n->dry_run = n->once = true; break;
		case 'n': n->consumer = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct notifier n = { 0 };
	const char *config = NULL;
	int status;

	umask(DAEMON_UMASK);	/* notify.state and the outbox: not for others */
	log_open("relayguard-notify", LOG_TO_STDERR, 0);
	if (parse_args(argc, argv, &n, &config) != 0)
		return 2;
	the_notifier = &n;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (notify_setup(&n, config) != 0 || notify_metrics_start(&n) != 0) {
		status = 1;
	} else {
		bool redis = cfg_has_redis(n.cfg);
		if (n.dry_run && redis)
			status = notify_run_dry_redis(&n);
		else if (redis)
			status = notify_run_redis(&n);
		else
			status = nspool_run(&n);
		log_info("events=%llu unreadable=%llu notices=%llu deferred=%llu failed=%llu", n.events,
			 n.bad_events, n.notices, n.deferred, n.failed);
	}
	notify_metrics_stop();
	notify_release(&n);
	return status;
}
