/*
 * policy_server - listeners, workers, signals, reload and drain.
 *
 * Threads talk through pipes only: the main thread writes one command byte
 * to a worker's control pipe (reload, drain); a worker writes one byte to
 * the main thread's pipe when its loop has ended.  So no event_base is ever
 * touched from a thread other than its own, and libevent needs no locking.
 */
#include "config.h"

#include "policy_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "clock.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "mem.h"
#include "policy_conn.h"

enum { CMD_RELOAD = 'R', CMD_DRAIN = 'T', CMD_EVICT = 'E' };

/* Floods of refusals and evictions: one line per kind per interval, with a count. */
static struct log_limit refuse_peer_limit = LOG_LIMIT_INIT;
static struct log_limit refuse_full_limit = LOG_LIMIT_INIT;
static struct log_limit evict_limit = LOG_LIMIT_INIT;

struct conn_node {
	struct conn_node *prev, *next;
	struct worker *w;
	policy_conn_t *conn;
};

struct worker {
	policy_server_t *srv;
	unsigned index;
	pthread_t tid;
	bool started;
	struct event_base *base;
	int ctl[2];			/* main -> worker */
	struct event *ctl_ev, *accept_ev, *drain_ev;
	policy_engine_t *current;
	cfg_t *cfg;			/* the current engine's config (a reference) */
	struct conn_node *conns;
	size_t n_conns;
	atomic_size_t shared_conns;	/* n_conns, for the other workers' eviction choice */
	bool draining;
};

struct policy_server {
	cfg_t *cfg;			/* the current config (a reference) */
	char *config_path;
	bool stdio;
	int listen_fd;
	char unix_path[CFGVAL_PATH_MAX + 1];
	unsigned n_workers;
	struct worker *workers;
	atomic_uint n_conns;
	pthread_mutex_t lock;		/* guards next_cfg */
	cfg_t *next_cfg;		/* handed to workers on reload */
	int done[2];			/* worker -> main: a loop ended */
	unsigned n_done;
	struct event_base *main_base;
};

/* ---- listening -------------------------------------------------------- */

static int listen_inet(const struct cfg_socket *s, char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV },
			*res = NULL;
	char port[8];
	int fd = -1, on = 1, rc;

	hints.ai_family = s->kind == CFG_SOCKET_INET6 ? AF_INET6 : AF_INET;
	snprintf(port, sizeof(port), "%u", s->port);
	rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc != 0) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "policy_listen: %s: %s", s->host, gai_strerror(rc));
		*error_r = buf_detach(&e);
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (res->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
		    listen(fd, POLICY_LISTEN_BACKLOG) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "policy_listen: cannot listen on %s port %u: %s", s->host, s->port,
			   strerror(errno));
		*error_r = buf_detach(&e);
	}
	return fd;
}

static int listen_unix(const struct cfg_socket *s, long long mode, char **error_r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (str_copy(sun.sun_path, s->path, sizeof(sun.sun_path)) != 0) {
		*error_r = xstrdup("policy_listen: unix socket path too long");
		return -1;
	}
	/* a socket left by an earlier run: only sockets are removed, never a file */
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(s->path, (mode_t)mode) != 0 || listen(fd, POLICY_LISTEN_BACKLOG) != 0) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "policy_listen: cannot listen on unix:%s: %s", s->path, strerror(errno));
		*error_r = buf_detach(&e);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* policy_socket_owner/group (else user/group) for a unix socket. */
static int socket_owner(const cfg_t *cfg, const char *path, char **error_r)
{
	const char *owner = cfg_str(cfg, CFG_POLICY_SOCKET_OWNER);
	const char *group = cfg_str(cfg, CFG_POLICY_SOCKET_GROUP);

	if (*owner == '\0' && *group == '\0') {
		owner = cfg_str(cfg, CFG_USER);
		group = cfg_str(cfg, CFG_GROUP);
	}
	return daemon_chown_path(path, owner, group, error_r);
}

/* ---- connections ------------------------------------------------------ */

static void worker_maybe_exit(struct worker *w)
{
	if ((w->draining || w->srv->stdio) && w->n_conns == 0)
		event_base_loopexit(w->base, NULL);
}

static void conn_closed(policy_conn_t *conn, void *ctx)
{
	struct conn_node *n = ctx;
	struct worker *w = n->w;

	if (n->prev)
		n->prev->next = n->next;
	else
		w->conns = n->next;
	if (n->next)
		n->next->prev = n->prev;
	w->n_conns--;
	atomic_fetch_sub(&w->shared_conns, 1);
	atomic_fetch_sub(&w->srv->n_conns, 1);
	policy_conn_free(&n->conn);
	free(n);
	worker_maybe_exit(w);
}

static void add_conn(struct worker *w, int in_fd, int out_fd, const char *peer)
{
	struct conn_node *n = xcalloc(1, sizeof(*n));

	n->w = w;
	n->next = w->conns;
	if (w->conns)
		w->conns->prev = n;
	w->conns = n;
	w->n_conns++;
	atomic_fetch_add(&w->shared_conns, 1);
	n->conn = policy_conn_new(w->base, in_fd, out_fd, peer, &w->current,
				  cfg_ms(w->cfg, CFG_POLICY_IDLE_TIMEOUT), conn_closed, n);
	policy_conn_set_request_timeout(n->conn, cfg_ms(w->cfg, CFG_POLICY_REQUEST_TIMEOUT));
}

/*
 * Close this worker's longest-idle connection (one that owes its peer
 * nothing) to make room.  Postfix reconnects when it needs the connection
 * again, so a client hoarding idle connections cannot lock Postfix out.
 * Returns false when every connection here has a request in flight.
 */
static bool evict_idlest(struct worker *w)
{
	struct conn_node *victim = NULL;
	uint64_t oldest = UINT64_MAX;

	for (struct conn_node *n = w->conns; n != NULL; n = n->next) {
		uint64_t since = policy_conn_idle_since(n->conn);
		if (since != 0 && since < oldest) {
			oldest = since;
			victim = n;
		}
	}
	if (victim == NULL)
		return false;
	log_limited(&evict_limit, LOG_LVL_WARNING,
		    "policy: policy_max_connections (%lld) reached: closed the longest-idle "
		    "connection (idle %llu ms) to make room", cfg_int(w->cfg, CFG_POLICY_MAX_CONNECTIONS),
		    (unsigned long long)((clock_now_us() - oldest) / 1000));
	conn_closed(victim->conn, victim);
	return true;
}

/*
 * Every slot is taken and this worker has nothing idle: ask the worker with
 * the most connections to close its longest-idle one (CMD_EVICT).  Its
 * descriptors belong to its thread, so it does this itself, a moment later.
 */
static bool ask_eviction(struct worker *w)
{
	policy_server_t *srv = w->srv;
	struct worker *best = NULL;
	size_t most = 0;
	char cmd = CMD_EVICT;

	for (unsigned i = 0; i < srv->n_workers; i++) {
		size_t n = atomic_load(&srv->workers[i].shared_conns);
		if (&srv->workers[i] != w && n > most) {
			most = n;
			best = &srv->workers[i];
		}
	}
	return best != NULL && write(best->ctl[1], &cmd, 1) == 1;
}

/*
 * A new connection when n_before connections were open: make room when the
 * slots are full.  False: refuse it (every connection is busy).
 */
static bool make_room(struct worker *w, unsigned n_before)
{
	unsigned max = (unsigned)cfg_int(w->cfg, CFG_POLICY_MAX_CONNECTIONS);

	if (n_before < max)
		return true;
	if (evict_idlest(w))
		return true;
	/* over the limit by at most POLICY_EVICT_SLACK while the others evict */
	return n_before < max + POLICY_EVICT_SLACK && ask_eviction(w);
}

/* May this peer connect?  Fills peer_r with its text for logs. */
static bool peer_allowed(struct worker *w, const struct sockaddr_storage *ss, char *peer_r,
			 size_t size)
{
	addr_t a;
	char text[ADDR_STRLEN];

	if (ss->ss_family == AF_UNIX) {
		snprintf(peer_r, size, "unix");
		return true;
	}
	if (addr_from_sockaddr((const struct sockaddr *)ss, &a) != 0) {
		snprintf(peer_r, size, "unknown");
		return false;
	}
	snprintf(peer_r, size, "%s", addr_format(&a, text));
	return cfg_netlist_match(cfg_netlist(w->cfg, CFG_POLICY_ALLOWED_CLIENTS), &a);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < POLICY_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char peer[ADDR_STRLEN + 8];
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int on = 1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warning("policy: accept: %s", strerror(errno));
			return;	/* another worker took it, or nothing left */
		}
		if (!peer_allowed(w, &ss, peer, sizeof(peer))) {
			log_limited(&refuse_peer_limit, LOG_LVL_WARNING,
				    "policy: refused connection from %s: not in policy_allowed_clients", peer);
			close(fd);
			continue;
		}
		if (!make_room(w, atomic_fetch_add(&w->srv->n_conns, 1))) {
			atomic_fetch_sub(&w->srv->n_conns, 1);
			log_limited(&refuse_full_limit, LOG_LVL_WARNING,
				    "policy: refused connection from %s: policy_max_connections (%lld) "
				    "reached and every connection busy", peer,
				    cfg_int(w->cfg, CFG_POLICY_MAX_CONNECTIONS));
			close(fd);
			continue;
		}
		if (ss.ss_family != AF_UNIX)	/* small replies: no Nagle stalls */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		log_debug("policy: worker=%u connection from %s", w->index, peer);
		add_conn(w, fd, fd, peer);
	}
}

/* ---- worker control --------------------------------------------------- */

static void worker_reload(struct worker *w)
{
	cfg_t *cfg;
	engine_t *engine = NULL;
	char *err = NULL;

	pthread_mutex_lock(&w->srv->lock);
	cfg = w->srv->next_cfg ? cfg_ref(w->srv->next_cfg) : NULL;
	pthread_mutex_unlock(&w->srv->lock);
	if (cfg == NULL)
		return;
	if (engine_new(w->base, cfg, &engine, &err) != 0) {
		log_error("policy: worker=%u reload refused, old config kept: %s", w->index, err);
		free(err);
		cfg_unref(&cfg);
		return;
	}
	policy_engine_t *pe = NULL;
	if (policy_engine_new(w->base, engine, &pe, &err) != 0) {
		log_error("policy: worker=%u reload refused, old config kept: %s", w->index, err);
		free(err);
		cfg_unref(&cfg);
		return;
	}
	/* checks in flight hold the old engine until they finish (milliseconds) */
	policy_engine_retire(&w->current);
	w->current = pe;
	cfg_unref(&w->cfg);
	w->cfg = cfg;
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	log_warning("policy: worker=%u drain took too long: cutting %zu connections", w->index,
		    w->n_conns);
	event_base_loopexit(w->base, NULL);
}

static void worker_drain(struct worker *w)
{
	struct timeval tv = { POLICY_DRAIN_MAX_MS / 1000, 0 };
	struct conn_node *n = w->conns;

	if (w->draining)
		return;
	w->draining = true;
	if (w->accept_ev)
		event_del(w->accept_ev);
	while (n != NULL) {
		struct conn_node *next = n->next;	/* n may be freed by the drain */
		policy_conn_drain(n->conn);
		n = next;
	}
	event_add(w->drain_ev, &tv);
	worker_maybe_exit(w);
}

static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char cmd[16];
	ssize_t n = read(fd, cmd, sizeof(cmd));

	for (ssize_t i = 0; i < n; i++) {
		if (cmd[i] == CMD_RELOAD)
			worker_reload(w);
		else if (cmd[i] == CMD_EVICT)
			(void)evict_idlest(w);
		else if (cmd[i] == CMD_DRAIN)
			worker_drain(w);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char one = 'x';

	event_base_dispatch(w->base);
	while (w->conns != NULL)	/* cut by the drain timeout */
		conn_closed(w->conns->conn, w->conns);
	if (write(w->srv->done[1], &one, 1) != 1)
		log_error("policy: worker=%u cannot signal its end: %s", w->index, strerror(errno));
	return NULL;
}

static void worker_free(struct worker *w)
{
	while (w->conns != NULL)
		conn_closed(w->conns->conn, w->conns);
	if (w->ctl_ev)
		event_free(w->ctl_ev);
	if (w->accept_ev)
		event_free(w->accept_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	policy_engine_unref(&w->current);
	cfg_unref(&w->cfg);
	if (w->ctl[0] >= 0)
		close(w->ctl[0]);
	if (w->ctl[1] >= 0)
		close(w->ctl[1]);
	if (w->base)
		event_base_free(w->base);
}

static int worker_init(policy_server_t *srv, struct worker *w, unsigned index, char **error_r)
{
	engine_t *engine = NULL;

	w->srv = srv;
	w->index = index;
	w->ctl[0] = w->ctl[1] = -1;
	atomic_init(&w->shared_conns, 0);
	w->cfg = cfg_ref(srv->cfg);
	w->base = event_base_new();
	if (w->base == NULL || pipe2(w->ctl, O_CLOEXEC | O_NONBLOCK) != 0) {
		*error_r = xstrdup("policy: cannot create an event loop or a pipe");
		return -1;
	}
	if (engine_new(w->base, w->cfg, &engine, error_r) != 0 ||
	    policy_engine_new(w->base, engine, &w->current, error_r) != 0)
		return -1;
	w->ctl_ev = event_new(w->base, w->ctl[0], EV_READ | EV_PERSIST, on_ctl, w);
	w->drain_ev = evtimer_new(w->base, on_drain_timeout, w);
	event_add(w->ctl_ev, NULL);
	if (srv->listen_fd >= 0) {
		w->accept_ev = event_new(w->base, srv->listen_fd, EV_READ | EV_PERSIST, on_accept, w);
		event_add(w->accept_ev, NULL);
	}
	return 0;
}

/* ---- the server ------------------------------------------------------- */

int policy_server_check_engine(cfg_t *cfg, char **error_r)
{
	struct event_base *base = event_base_new();
	engine_t *engine = NULL;
	int rc;

	if (base == NULL) {
		*error_r = xstrdup("cannot create an event loop");
		return -1;
	}
	rc = engine_new(base, cfg, &engine, error_r);
	engine_free(&engine);
	event_base_free(base);
	return rc;
}

static unsigned worker_count(const cfg_t *cfg, bool stdio)
{
	long long n = cfg_int(cfg, CFG_POLICY_WORKERS);

	if (stdio)
		return 1;
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 1;
	return n > POLICY_WORKERS_MAX ? POLICY_WORKERS_MAX : (unsigned)n;
}

int policy_server_new(cfg_t *cfg, const char *config_path, bool stdio, policy_server_t **srv_r,
		      char **error_r)
{
	policy_server_t *srv = xcalloc(1, sizeof(*srv));
	const struct cfg_socket *s = cfg_socket(cfg, CFG_POLICY_LISTEN);

	*srv_r = NULL;
	srv->cfg = cfg_ref(cfg);
	srv->config_path = config_path ? xstrdup(config_path) : NULL;
	srv->stdio = stdio;
	srv->listen_fd = -1;
	srv->done[0] = srv->done[1] = -1;
	pthread_mutex_init(&srv->lock, NULL);
	atomic_init(&srv->n_conns, 0);
	if (!stdio) {
		if (s->kind == CFG_SOCKET_UNIX) {
			srv->listen_fd = listen_unix(s, cfg_int(cfg, CFG_POLICY_SOCKET_MODE), error_r);
			if (srv->listen_fd >= 0)
				snprintf(srv->unix_path, sizeof(srv->unix_path), "%s", s->path);
			if (srv->listen_fd >= 0 && socket_owner(cfg, s->path, error_r) != 0)
				goto fail;
		} else {
			srv->listen_fd = listen_inet(s, error_r);
		}
		if (srv->listen_fd < 0)
			goto fail;
	}
	if (pipe2(srv->done, O_CLOEXEC | O_NONBLOCK) != 0) {
		*error_r = xstrdup("policy: cannot create a pipe");
		goto fail;
	}
	srv->n_workers = worker_count(cfg, stdio);
	srv->workers = xcalloc(srv->n_workers, sizeof(*srv->workers));
	for (unsigned i = 0; i < srv->n_workers; i++)
		srv->workers[i].ctl[0] = srv->workers[i].ctl[1] = -1;
	for (unsigned i = 0; i < srv->n_workers; i++)
		if (worker_init(srv, &srv->workers[i], i, error_r) != 0)
			goto fail;
	*srv_r = srv;
	return 0;
fail:
	policy_server_free(&srv);
	return -1;
}

static void tell_workers(policy_server_t *srv, char cmd)
{
	for (unsigned i = 0; i < srv->n_workers; i++)
		if (write(srv->workers[i].ctl[1], &cmd, 1) != 1)
			log_error("policy: cannot reach worker %u: %s", i, strerror(errno));
}

/* A reload reads the files again: the same warnings and refusals as at start. */
static bool files_refused(const cfg_t *cfg, char **error_r)
{
	if (daemon_check_files_log(cfg) == 0)
		return false;
	*error_r = xstrdup("a file is writable by every user");
	return true;
}

static void reload(policy_server_t *srv)
{
	cfg_t *cfg = NULL;
	char *err = NULL;

	log_notice("policy: SIGHUP: reloading %s", srv->config_path ? srv->config_path : "the default config");
	if (cfg_load_default(srv->config_path, &cfg, &err) != 0 || files_refused(cfg, &err) ||
	    policy_server_check_engine(cfg, &err) != 0) {
		log_error("policy: reload refused, old config kept: %s", err ? err : "unknown error");
		free(err);
		cfg_unref(&cfg);
		return;
	}
	log_set_level((enum log_level)cfg_enum(cfg, CFG_LOG_LEVEL));
	pthread_mutex_lock(&srv->lock);
	cfg_unref(&srv->next_cfg);
	srv->next_cfg = cfg_ref(cfg);
	pthread_mutex_unlock(&srv->lock);
	cfg_unref(&srv->cfg);
	srv->cfg = cfg;
	tell_workers(srv, CMD_RELOAD);
	log_notice("policy: config reloaded (policy_listen, policy_workers, user and group need a restart)");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	policy_server_t *srv = arg;

	if (sig == SIGHUP) {
		reload(srv);
		return;
	}
	log_notice("policy: signal %d: draining", (int)sig);
	tell_workers(srv, CMD_DRAIN);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	policy_server_t *srv = arg;
	char b[64];
	ssize_t n = read(fd, b, sizeof(b));

	if (n > 0)
		srv->n_done += (unsigned)n;
	if (srv->n_done >= srv->n_workers)
		event_base_loopexit(srv->main_base, NULL);
}

/* Start the threads with the signals the main thread handles blocked in them. */
static int start_workers(policy_server_t *srv)
{
	sigset_t block, old;
	int rc = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < srv->n_workers && rc == 0; i++) {
		struct worker *w = &srv->workers[i];
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			log_error("policy: cannot start worker %u", i);
			rc = -1;
		} else {
			w->started = true;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int policy_server_run(policy_server_t *srv)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	struct event *sev[3] = { NULL, NULL, NULL }, *dev;
	int rc;

	srv->main_base = event_base_new();
	if (srv->main_base == NULL) {
		log_error("policy: cannot create the main event loop");
		return -1;
	}
	for (size_t i = 0; i < 3; i++) {
		sev[i] = evsignal_new(srv->main_base, sigs[i], on_signal, srv);
		event_add(sev[i], NULL);
	}
	dev = event_new(srv->main_base, srv->done[0], EV_READ | EV_PERSIST, on_done, srv);
	event_add(dev, NULL);
	if (srv->stdio)	/* the one connection: standard input and output */
		add_conn(&srv->workers[0], STDIN_FILENO, STDOUT_FILENO, "stdio");
	if (srv->stdio)
		atomic_fetch_add(&srv->n_conns, 1);
	log_notice("policy: serving with %u workers", srv->n_workers);
	rc = start_workers(srv);
	if (rc != 0)
		tell_workers(srv, CMD_DRAIN);
	event_base_dispatch(srv->main_base);
	for (unsigned i = 0; i < srv->n_workers; i++)
		if (srv->workers[i].started)
			pthread_join(srv->workers[i].tid, NULL);
	for (size_t i = 0; i < 3; i++)
		event_free(sev[i]);
	event_free(dev);
	event_base_free(srv->main_base);
	srv->main_base = NULL;
	log_notice("policy: stopped");
	return rc;
}

void policy_server_free(policy_server_t **srvp)
{
	policy_server_t *srv;

	if (srvp == NULL || *srvp == NULL)
		return;
	srv = *srvp;
	for (unsigned i = 0; srv->workers && i < srv->n_workers; i++)
		worker_free(&srv->workers[i]);
	free(srv->workers);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->unix_path[0] && unlink(srv->unix_path) != 0)
		log_debug("policy: cannot remove %s: %s", srv->unix_path, strerror(errno));
	for (int i = 0; i < 2; i++)
		if (srv->done[i] >= 0)
			close(srv->done[i]);
	cfg_unref(&srv->next_cfg);
	cfg_unref(&srv->cfg);
	pthread_mutex_destroy(&srv->lock);
	free(srv->config_path);
	free(srv);
	*srvp = NULL;
}
