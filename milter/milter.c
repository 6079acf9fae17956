/*
 * relayguard-milter - the Sendmail and Postfix milter (libmilter).
 *
 * Usage: relayguard-milter [-c FILE] [-f] [-h]
 *   -c FILE  configuration (default: the default file, else the built-in defaults)
 *   -f       stay in the foreground and log to standard error
 *
 * Order of startup: load the config (every error shows on the terminal),
 * open the milter socket (milter_socket, maybe a privileged port or a root
 * folder), daemonize, write the pid file, drop to user/group, start the
 * engine, serve.  See relayguard-milter(8).
 *
 * Signals: SIGTERM and SIGINT stop gracefully (libmilter's own signal
 * thread, woken by wake_listener(); running connections finish, bounded by
 * MILTER_SHUTDOWN_WAIT_MS).
 * SIGHUP reloads the configuration: new connections get the new one.
 * libmilter's signal thread also waits for SIGHUP and treats it as "stop";
 * two threads waiting for one signal get it in an unspecified order, so the
 * sigwait() below (which libmilter calls) leaves SIGHUP to our reload
 * thread.  Why a libc symbol is replaced, and how a change in libmilter
 * would show: see the comment above sigwait().
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "cfg.h"
#include "daemon.h"
#include "engine.h"
#include "engine_metrics.h"
#include "heap.h"
#include "log.h"
#include "mem.h"
#include "milter_cb.h"

#define PROGRAM_NAME "relayguard-milter"
/* How long a stop waits for running connections before exiting anyway. */
#define MILTER_SHUTDOWN_WAIT_MS 10000
/* Mode of a Unix milter socket: the MTA's group may connect. */
#define MILTER_SOCKET_MODE 0660
/* Highest descriptor searched for libmilter's listening socket. */
#define MILTER_FD_SCAN_MAX 1024
/*
 * malloc arenas at most (glibc: 8 per core).  libmilter runs one thread per
 * session, so threads come and go all day and each new one takes the next
 * arena: in a 10-minute soak the 16 arenas' resident pages crept up between
 * reloads (+6.2% RSS, still rising at the end); with 2, +3.1% and +1.6% from
 * minute 3 (doc/PERFORMANCE.md, "Soak").  A session allocates little, so
 * two locks are not contended.
 */
#define MILTER_MALLOC_ARENAS 2
/* Wake-up connections after a stop: the first after WAKE_FIRST_MS, then one
 * every WAKE_EVERY_MS while the listener runs, at most WAKE_TRIES. */
#define WAKE_FIRST_MS 20
#define WAKE_EVERY_MS 200
#define WAKE_TRIES 25

struct options {
	const char *config;
	bool foreground;
};

static struct options opts;
static pthread_t reload_tid;
static volatile sig_atomic_t reload_quit;
/* Where the listener can be reached (wake_listener()); wake_len 0: nowhere. */
static struct sockaddr_storage wake_addr;
static socklen_t wake_len;
static atomic_bool listener_done;	/* smfi_main() returned */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * libmilter's listener polls its socket for MI_CHK_TIME (5 s) and sees a
 * stop only between polls: without help a SIGTERM takes up to 5 s.  A
 * connection of our own ends the poll at once; libmilter accepts it, its
 * session sees end of file, and the listener then finds the stop.  More than
 * one try: the first may arrive before libmilter has set the stop flag.
 */
static void *waker_main(void *arg)
{
	(void)arg;
	sleep_ms(WAKE_FIRST_MS);
	for (int i = 0; i < WAKE_TRIES && !atomic_load(&listener_done); i++) {
		int fd = socket(wake_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0) {
			(void)connect(fd, (struct sockaddr *)&wake_addr, wake_len);
			close(fd);
		}
		sleep_ms(WAKE_EVERY_MS);
	}
	return NULL;
}

static void wake_listener(void)
{
	pthread_t tid;

	if (wake_len == 0 || pthread_create(&tid, NULL, waker_main, NULL) != 0)
		return;
	pthread_detach(tid);
}

/*
 * libmilter's signal thread calls sigwait() for SIGHUP, SIGTERM and SIGINT
 * and stops the milter on any of them.  This definition takes precedence
 * over the C library's for the whole program: it waits for the same set
 * without SIGHUP, which only the reload thread (sigwaitinfo()) receives.
 *
 * Why replace a libc symbol: no way without it exists with libmilter (read
 * in sendmail 8.15-8.18, libmilter/main.c and signal.c).  smfi_main() always
 * starts that thread (mi_control_startup(), no option turns it off or
 * changes its set) and the thread stops the milter on SIGHUP.  Every other
 * way leaves SIGHUP to chance or loses it:
 *  - our own thread in sigwait()/sigwaitinfo() or reading a signalfd, with
 *    SIGHUP blocked everywhere: a process-directed signal goes to any one
 *    thread waiting for it (POSIX leaves the choice open; Linux takes the
 *    first it finds), so some reloads would stop the milter;
 *  - a handler in a thread that leaves SIGHUP unblocked: the same race, a
 *    thread in sigwait() counts as unblocked for the signals it waits for;
 *  - SIGHUP ignored (SIG_IGN): discarded for libmilter and for the reload;
 *  - the internals under smfi_main() (mi_listener()): not an API.
 * Only calls from libmilter's thread have SIGHUP in the set (our threads use
 * sigwaitinfo()), so the definition changes nothing else in the process.
 *
 * If a libmilter release stopped calling sigwait() (sigwaitinfo, a
 * signalfd), SIGHUP would stop the milter at random again.  So the first
 * call is noted (sigwait_seen), sigwait_check() logs whether it came, and
 * tests/integration/milter.sh fails without the "waits through" line.
 */
static atomic_bool sigwait_seen;

int sigwait(const sigset_t *restrict set, int *restrict sig)
{
	sigset_t mine = *set;
	int s;

	if (sigismember(set, SIGHUP) == 1)
		atomic_store(&sigwait_seen, true);
	sigdelset(&mine, SIGHUP);
	do {
		s = sigwaitinfo(&mine, NULL);
	} while (s < 0 && errno == EINTR);
	if (s < 0)
		return errno;
	/* libmilter stops on what we return */
	wake_listener();
	*sig = s;
	return 0;
}

/* How long after smfi_main() libmilter's signal thread has to call sigwait(). */
#define SIGWAIT_CHECK_MS 10000
#define SIGWAIT_POLL_MS 20

/* Log whether libmilter's signal thread waits through our sigwait() (above). */
static void *sigwait_check_main(void *arg)
{
	(void)arg;
	for (int waited = 0; waited < SIGWAIT_CHECK_MS; waited += SIGWAIT_POLL_MS) {
		if (atomic_load(&sigwait_seen)) {
			log_info("SIGHUP reloads: libmilter's signal thread waits through relayguard's sigwait()");
			return NULL;
		}
		if (atomic_load(&listener_done))
			return NULL;
		sleep_ms(SIGWAIT_POLL_MS);
	}
	log_error("libmilter's signal thread did not call sigwait() within %d ms: a SIGHUP may stop "
		  "relayguard-milter instead of reloading it (has libmilter changed? see milter/milter.c)",
		  SIGWAIT_CHECK_MS);
	return NULL;
}

static void sigwait_check(void)
{
	pthread_t tid;

	if (pthread_create(&tid, NULL, sigwait_check_main, NULL) == 0)
		pthread_detach(tid);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROGRAM_NAME " [-c FILE] [-f] [-h]\n"
		   "  -c FILE  configuration file\n"
		   "  -f       foreground, log to standard error\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:fh")) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Switch syslog/stderr, ident and level to what cfg says. */
static void setup_log(const cfg_t *cfg)
{
	log_open_daemon(cfg_str(cfg, CFG_SYSLOG_NAME), "milter", cfg_str(cfg, CFG_SYSLOG_FACILITY),
			opts.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG,
			(enum log_level)cfg_enum(cfg, CFG_LOG_LEVEL));
}

/*
 * libmilter does not set TCP_NODELAY: small replies would wait for the
 * MTA's delayed ACK (40 ms).  It keeps the listening descriptor to itself,
 * so find it (listening, our port) and set the option there: Linux copies
 * it to every accepted socket.  Its address is kept for wake_listener().
 */
static void tune_inet_listener(unsigned port)
{
	int one = 1, found = 0;

	for (int fd = 0; fd < MILTER_FD_SCAN_MAX; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss), olen = sizeof(int);
		int listening = 0;
		unsigned p;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) != 0 || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			continue;
		if (ss.ss_family == AF_INET)
			p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		else
			continue;
		if (p != port)
			continue;
		memcpy(&wake_addr, &ss, len);
		wake_len = len;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
			log_warning("cannot set TCP_NODELAY on the milter socket: %s", strerror(errno));
		else
			found++;
	}
	if (found == 0)
		log_warning("milter socket not found: TCP_NODELAY not set");
}

/* Open libmilter's socket while we may still be root. */
static void open_socket(const cfg_t *cfg)
{
	const struct cfg_socket *s = cfg_socket(cfg, CFG_MILTER_SOCKET);
	struct buf spec = BUF_INIT;
	unsigned long long timeout_s = (cfg_ms(cfg, CFG_MILTER_TIMEOUT) + 999) / 1000;

	milter_cb_socket_spec(s, &spec);
	if (smfi_register(*milter_cb_desc()) != MI_SUCCESS)
		log_fatal("smfi_register failed");
	if (smfi_setconn(spec.data) != MI_SUCCESS)
		log_fatal("milter_socket %s: rejected by libmilter", spec.data);
	if (smfi_settimeout((int)timeout_s) != MI_SUCCESS)
		log_fatal("smfi_settimeout failed");
	/* true: remove a Unix socket a previous run left behind */
	if (smfi_opensocket(true) != MI_SUCCESS)
		log_fatal("cannot open milter socket %s (in use? permissions?)", spec.data);
	if (s->kind == CFG_SOCKET_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&wake_addr;
		uid_t uid;
		gid_t gid;
		char *err = NULL;
		if (daemon_lookup_ids(cfg_str(cfg, CFG_USER), cfg_str(cfg, CFG_GROUP), &uid, &gid,
				      &err) != 0)
			log_fatal("%s", err);
		if (geteuid() == 0 && uid != (uid_t)-1 && chown(s->path, uid, gid) != 0)
			log_warning("cannot chown %s: %s", s->path, strerror(errno));
		if (chmod(s->path, MILTER_SOCKET_MODE) != 0)
			log_warning("cannot chmod %s: %s", s->path, strerror(errno));
		if (strlen(s->path) < sizeof(sun->sun_path)) {
			sun->sun_family = AF_UNIX;
			memcpy(sun->sun_path, s->path, strlen(s->path) + 1);
			wake_len = sizeof(*sun);
		}
	} else {
		tune_inet_listener(s->port);
	}
	log_info("listening on %s", spec.data);
	buf_free(&spec);
}

/* A reload reads the files again: the same warnings and refusals as at start. */
static bool reload_files_refused(const cfg_t *cfg)
{
	if (daemon_check_files_log(cfg) == 0)
		return false;
	log_error("reload failed, keeping the running configuration: a file is writable by every user");
	return true;
}

/* The reload thread: SIGHUP -> a new config generation for new connections. */
static void *reload_main(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		cfg_t *cfg = NULL;
		char *err = NULL;
		int s = sigwaitinfo(&set, NULL);

		if (reload_quit)
			break;
		if (s != SIGHUP)
			continue;
		if (cfg_load_default(opts.config, &cfg, &err) != 0) {
			log_error("reload failed, keeping the running configuration: %s", err);
			free(err);
			continue;
		}
		if (reload_files_refused(cfg)) {
			cfg_unref(&cfg);
			continue;
		}
		if (milter_cb_reload(cfg, &err) != 0) {
			log_error("reload failed, keeping the running configuration: %s", err);
			free(err);
		} else {
			log_set_level((enum log_level)cfg_enum(cfg, CFG_LOG_LEVEL));
			log_notice("configuration reloaded (%s)",
				   *cfg_path(cfg) ? cfg_path(cfg) : "built-in defaults");
		}
		cfg_unref(&cfg);
	}
	return NULL;
}

/* Every thread inherits this mask: the signals go only where they are waited for. */
static void block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void stop_reload_thread(void)
{
	reload_quit = 1;
	pthread_kill(reload_tid, SIGHUP);
	pthread_join(reload_tid, NULL);
}

int main(int argc, char **argv)
{
	cfg_t *cfg = NULL;
	char *err = NULL;
	const char *pidfile = NULL;
	metrics_http_t *metrics = NULL;	/* metrics_listen */
	int rc;

	if (parse_options(argc, argv, &opts) != 0) {
		usage(stderr);
		return 2;
	}
	heap_setup(MILTER_MALLOC_ARENAS);	/* before any thread: see common/heap.h */
	block_signals();
	umask(DAEMON_UMASK);
	/* Until setup_log(): the ident setup_log() gives with the default
	 * syslog_name, so that a log shows one name from its first line. */
	log_open_daemon(cfg_default_text(CFG_SYSLOG_NAME), "milter", "mail", LOG_TO_STDERR,
			log_get_level());
	if (cfg_load_default(opts.config, &cfg, &err) != 0)
		log_fatal("%s", err);
	if (daemon_startup_checks(cfg) != 0)
		return 1;
	engine_keep_history();
	/* libmilter gives up after a few failed accept() calls in a row: never
	 * let idle sessions run it out of descriptors at the usual 1024 */
	log_debug("open file limit %lu", daemon_raise_nofile());
	open_socket(cfg);
	if (engine_metrics_listen(cfg, "milter", &metrics, &err) != 0)
		log_fatal("%s", err);
	if (!opts.foreground && daemon_detach(&err) != 0)
		log_fatal("%s", err);
	setup_log(cfg);
	if (*cfg_str(cfg, CFG_MILTER_PIDFILE) != '\0') {
		pidfile = cfg_str(cfg, CFG_MILTER_PIDFILE);
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
	if ((metrics != NULL && metrics_http_start(metrics, &err) != 0) || milter_cb_start(cfg, &err) != 0)
		log_fatal("%s", err);
	if (pthread_create(&reload_tid, NULL, reload_main, NULL) != 0)
		log_fatal("cannot start the reload thread");
	log_notice("started (config %s)", *cfg_path(cfg) ? cfg_path(cfg) : "built-in defaults");
	sigwait_check();
	rc = smfi_main();
	atomic_store(&listener_done, true);
	log_notice("stopping");
	stop_reload_thread();
	if (!milter_cb_stop(MILTER_SHUTDOWN_WAIT_MS))
		log_warning("connections still running after %d ms; exiting anyway",
			    MILTER_SHUTDOWN_WAIT_MS);
	metrics_http_free(&metrics);
	if (pidfile != NULL && daemon_pidfile_remove(pidfile) != 0)
		log_info("cannot remove pid file %s: %s", pidfile, strerror(errno));
	cfg_unref(&cfg);
	return rc == MI_SUCCESS ? 0 : 1;
}
