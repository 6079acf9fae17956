/*
 * relayguard-policyd - the Postfix policy server (check_policy_service).
 *
 * Usage: relayguard-policyd [-c FILE] [-f] [-i] [-h]
 *   -c FILE  configuration (default: the default file, else the built-in defaults)
 *   -f       stay in the foreground and log to standard error
 *   -i       serve one connection on standard input/output (Postfix spawn(8));
 *            implies no daemon, no pid file and no listener
 *
 * Order of startup: load the config, build the listener and the engines
 * (every error shows here, on the terminal), daemonize, write the pid file,
 * drop to user/group, serve.  See relayguard-policyd(8).
 */
#include "config.h"

#include <event2/thread.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "engine.h"
#include "engine_metrics.h"
#include "heap.h"
#include "log.h"
#include "mem.h"
#include "policy_server.h"

#define PROGRAM_NAME "relayguard-policyd"

struct options {
	const char *config;
	bool foreground;
	bool stdio;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROGRAM_NAME " [-c FILE] [-f] [-i] [-h]\n"
		   "  -c FILE  configuration file\n"
		   "  -f       foreground, log to standard error\n"
		   "  -i       one connection on standard input/output (Postfix spawn)\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:fih")) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'i': o->stdio = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Switch syslog/stderr, ident and level to what cfg says. */
static void setup_log(const cfg_t *cfg, const struct options *o)
{
	/* -i: standard output is the protocol, so logs go to syslog unless -f */
	log_open_daemon(cfg_str(cfg, CFG_SYSLOG_NAME), "policyd", cfg_str(cfg, CFG_SYSLOG_FACILITY),
			o->foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG,
			(enum log_level)cfg_enum(cfg, CFG_LOG_LEVEL));
}

int main(int argc, char **argv)
{
	struct options o = { NULL, false, false };
	cfg_t *cfg = NULL;
	policy_server_t *srv = NULL;
	metrics_http_t *metrics = NULL;	/* metrics_listen */
	char *err = NULL;
	const char *pidfile = NULL;
	int rc;

	if (parse_options(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	/* before any thread: see common/heap.h.  Arenas as glibc likes: the
	 * threads (workers, SPF pools) live as long as the process. */
	heap_setup(0);
	signal(SIGPIPE, SIG_IGN);
	umask(DAEMON_UMASK);
	/* Until setup_log(): the ident setup_log() gives with the default
	 * syslog_name, so that a log shows one name from its first line. */
	log_open_daemon(cfg_default_text(CFG_SYSLOG_NAME), "policyd", "mail",
			o.foreground || !o.stdio ? LOG_TO_STDERR : LOG_TO_SYSLOG, log_get_level());
	/* The SPF threads hand their answers to the workers' loops. */
	evthread_use_pthreads();
	if (cfg_load_default(o.config, &cfg, &err) != 0)
		log_fatal("%s", err);
	setup_log(cfg, &o);
	if (daemon_startup_checks(cfg) != 0)
		return 1;
	engine_keep_history();
	/* each connection is a descriptor: room for policy_max_connections of them */
	if (daemon_raise_nofile() < (unsigned long)cfg_int(cfg, CFG_POLICY_MAX_CONNECTIONS) + 64)
		log_warning("open file limit (ulimit -n) %lu is below policy_max_connections (%lld): "
			    "connections beyond it fail", daemon_raise_nofile(),
			    cfg_int(cfg, CFG_POLICY_MAX_CONNECTIONS));
	if (!o.stdio && engine_metrics_listen(cfg, "policyd", &metrics, &err) != 0)
		log_fatal("%s", err);
	if (policy_server_new(cfg, o.config, o.stdio, &srv, &err) != 0)
		log_fatal("%s", err);
	if (!o.foreground && !o.stdio && daemon_detach(&err) != 0)
		log_fatal("%s", err);
	if (!o.stdio && *cfg_str(cfg, CFG_POLICY_PIDFILE) != '\0') {
		pidfile = cfg_str(cfg, CFG_POLICY_PIDFILE);
		if (daemon_pidfile_write(pidfile, cfg_str(cfg, CFG_USER), cfg_str(cfg, CFG_GROUP),
					 &err) != 0) {
			log_warning("%s", err);
			free(err);
			pidfile = NULL;
		}
	}
	if (daemon_drop_privileges(cfg_str(cfg, CFG_USER), cfg_str(cfg, CFG_GROUP), NULL, NULL,
				   &err) != 0)
		log_fatal("%s", err);
	if (metrics != NULL && metrics_http_start(metrics, &err) != 0)
		log_fatal("%s", err);
	log_notice("started (config %s)", *cfg_path(cfg) ? cfg_path(cfg) : "built-in defaults");
	rc = policy_server_run(srv);
	policy_server_free(&srv);
	metrics_http_free(&metrics);
	if (pidfile != NULL && daemon_pidfile_remove(pidfile) != 0)
		log_info("cannot remove pid file %s: %s", pidfile, strerror(errno));
	cfg_unref(&cfg);
	return rc == 0 ? 0 : 1;
}
