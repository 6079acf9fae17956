/*
 * probe_canary - the canary listener; see probe_canary.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "probe.h"
#include "probe_canary.h"
#include "probe_net.h"

enum client_mode { MODE_START, MODE_SMTP, MODE_DATA, MODE_HTTP, MODE_HTTP_BODY };

struct client {
	int fd;
	enum client_mode mode;
	char line[PROBE_LINE_MAX];
	size_t len;
	size_t total;
	long long last_ms;
	char peer[ADDR_STRLEN];
};

struct seen {
	char token[PROBE_TOKEN_LEN + 1];
	char peer[ADDR_STRLEN];
};

struct probe_canary {
	int listen_fd;
	int wake[2];		/* stop: a byte written to wake[1] */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct seen seen[PROBE_CANARY_SEEN_MAX];
	size_t n_seen;
	struct client clients[PROBE_CANARY_CLIENTS];
};

void probe_token_new(char out[PROBE_TOKEN_LEN + 1])
{
	unsigned char r[8];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	memcpy(out, PROBE_TOKEN_PREFIX, 8);
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 8 + 2 * i, 3, "%02x", r[i]);
}

static bool is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int probe_token_scan(const char *p, size_t n, char token_r[PROBE_TOKEN_LEN + 1])
{
	for (size_t i = 0; i + PROBE_TOKEN_LEN <= n; i++) {
		if (memcmp(p + i, PROBE_TOKEN_PREFIX, 8) != 0)
			continue;
		size_t k = 8;
		while (k < PROBE_TOKEN_LEN && is_lhex(p[i + k]))
			k++;
		if (k == PROBE_TOKEN_LEN) {
			memcpy(token_r, p + i, PROBE_TOKEN_LEN);
			token_r[PROBE_TOKEN_LEN] = '\0';
			return 1;
		}
	}
	return 0;
}

static void record(struct probe_canary *c, const char *token, const char *peer)
{
	pthread_mutex_lock(&c->lock);
	if (c->n_seen < PROBE_CANARY_SEEN_MAX) {
		snprintf(c->seen[c->n_seen].token, sizeof(c->seen[0].token), "%s", token);
		snprintf(c->seen[c->n_seen].peer, sizeof(c->seen[0].peer), "%s", peer);
		c->n_seen++;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void reply(struct client *cl, const char *text)
{
	/* Best effort: a peer that does not read loses the reply, not us. */
	if (send(cl->fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
}

static void drop(struct client *cl)
{
	close(cl->fd);
	cl->fd = -1;
}

static bool starts(const char *line, const char *word)
{
	return strncasecmp(line, word, strlen(word)) == 0;
}

static const char http_ok[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
			      "Connection: close\r\n\r\nrelayguard canary\n";

/* One complete line of a client: the small state machine of the header. */
static void client_line(struct client *cl)
{
	const char *l = cl->line;

	if (cl->mode == MODE_START)
		cl->mode = (starts(l, "GET ") || starts(l, "POST ") || starts(l, "HEAD ")) ? MODE_HTTP : MODE_SMTP;
	switch (cl->mode) {
	case MODE_HTTP:
		if (l[0] == '\0') {	/* end of the headers; a POST body is scanned all the same */
			cl->mode = MODE_HTTP_BODY;
			reply(cl, http_ok);
		}
		return;
	case MODE_HTTP_BODY:
		return;
	case MODE_DATA:
		if (strcmp(l, ".") == 0) {
			cl->mode = MODE_SMTP;
			reply(cl, "250 2.0.0 Ok: seen by the relayguard canary\r\n");
		}
		return;
	default:
		break;
	}
	if (starts(l, "EHLO") || starts(l, "HELO"))
		reply(cl, "250 canary\r\n");
	else if (starts(l, "MAIL") || starts(l, "RCPT") || starts(l, "RSET") || starts(l, "NOOP"))
		reply(cl, "250 2.0.0 Ok\r\n");
	else if (starts(l, "DATA")) {
		cl->mode = MODE_DATA;
		reply(cl, "354 End data with <CR><LF>.<CR><LF>\r\n");
	} else if (starts(l, "QUIT")) {
		reply(cl, "221 2.0.0 Bye\r\n");
		drop(cl);
	} else if (l[0] != '\0') {
		reply(cl, "500 5.5.2 canary\r\n");
	}
}

/* Read what a client sent; scan every line (and every full buffer). */
static void client_read(struct probe_canary *c, struct client *cl)
{
	char buf[2048], token[PROBE_TOKEN_LEN + 1];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* a last line without its newline still counts */
			if (probe_token_scan(cl->line, cl->len, token))
				record(c, token, cl->peer);
			drop(cl);
		}
		return;
	}
	cl->total += (size_t)n;
	cl->last_ms = probe_now_ms();
	for (ssize_t i = 0; i < n && cl->fd >= 0; i++) {
		bool end = buf[i] == '\n';
		if (!end)
			cl->line[cl->len++] = buf[i];
		if (!end && cl->len < sizeof(cl->line) - 1)
			continue;
		if (cl->len > 0 && cl->line[cl->len - 1] == '\r')
			cl->len--;
		cl->line[cl->len] = '\0';
		if (probe_token_scan(cl->line, cl->len, token))
			record(c, token, cl->peer);
		if (end)
			client_line(cl);
		cl->len = 0;
	}
	if (cl->fd >= 0 && cl->total > PROBE_CANARY_READ_MAX)
		drop(cl);
}

static void accept_one(struct probe_canary *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(c->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	addr_t a;

	if (fd < 0)
		return;
	for (size_t i = 0; i < PROBE_CANARY_CLIENTS; i++) {
		struct client *cl = &c->clients[i];
		if (cl->fd >= 0)
			continue;
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->last_ms = probe_now_ms();
		if (addr_from_sockaddr((struct sockaddr *)&ss, &a) == 0)
			addr_format(&a, cl->peer);
		else
			snprintf(cl->peer, sizeof(cl->peer), "?");
		reply(cl, "220 canary ESMTP relayguard-probe\r\n");
		return;
	}
	close(fd);	/* full: PROBE_CANARY_CLIENTS at once is plenty for one run */
}

static void *canary_main(void *arg)
{
	struct probe_canary *c = arg;
	struct pollfd p[PROBE_CANARY_CLIENTS + 2];

	for (;;) {
		size_t n = 0, map[PROBE_CANARY_CLIENTS];
		long long now = probe_now_ms();

		p[n++] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < PROBE_CANARY_CLIENTS; i++) {
			struct client *cl = &c->clients[i];
			if (cl->fd >= 0 && now - cl->last_ms > PROBE_CANARY_IDLE_MS)
				drop(cl);
			if (cl->fd < 0)
				continue;
			map[n - 2] = i;
			p[n++] = (struct pollfd){ .fd = cl->fd, .events = POLLIN };
		}
		if (poll(p, n, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents != 0)
			break;
		for (size_t k = 2; k < n; k++)
			if (p[k].revents != 0)
				client_read(c, &c->clients[map[k - 2]]);
		if (p[1].revents & POLLIN)
			accept_one(c);
	}
	return NULL;
}

int probe_canary_start(const addr_t *addr, unsigned port, probe_canary_t **c_r, char **error_r)
{
	struct probe_canary *c = xcalloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	char text[ADDR_STRLEN];

	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, addr->bytes, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, addr->bytes, 16);
		len = sizeof(*sin6);
	}
	for (size_t i = 0; i < PROBE_CANARY_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->wake[0] = c->wake[1] = -1;
	c->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || setsockopt(c->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(c->listen_fd, (struct sockaddr *)&ss, len) != 0 || listen(c->listen_fd, 64) != 0 ||
	    pipe2(c->wake, O_CLOEXEC) != 0) {
		probe_errorf(error_r, "canary: cannot listen on %s port %u: %s", addr_format(addr, text), port,
			  strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, canary_main, c) != 0) {
		probe_errorf(error_r, "canary: cannot start its thread");
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->cond);
		goto fail;
	}
	*c_r = c;
	return 0;
fail:
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	for (int i = 0; i < 2; i++)
		if (c->wake[i] >= 0)
			close(c->wake[i]);
	free(c);
	*c_r = NULL;
	return -1;
}

unsigned probe_canary_port(const probe_canary_t *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->listen_fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Is token recorded?  Called with the lock held. */
static bool find(struct probe_canary *c, const char *token, char peer_r[ADDR_STRLEN])
{
	for (size_t i = 0; i < c->n_seen; i++) {
		if (strcmp(c->seen[i].token, token) == 0) {
			memcpy(peer_r, c->seen[i].peer, ADDR_STRLEN);
			return true;
		}
	}
	return false;
}

bool probe_canary_wait(probe_canary_t *c, const char *token, int ms, char peer_r[ADDR_STRLEN])
{
	struct timespec dl;
	bool found;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (!(found = find(c, token, peer_r)))
		if (pthread_cond_timedwait(&c->cond, &c->lock, &dl) != 0)
			break;
	if (!found)
		found = find(c, token, peer_r);
	pthread_mutex_unlock(&c->lock);
	return found;
}

void probe_canary_stop(probe_canary_t **cp)
{
	struct probe_canary *c = *cp;

	if (c == NULL)
		return;
	if (write(c->wake[1], "x", 1) != 1)
		pthread_cancel(c->thread);
	pthread_join(c->thread, NULL);
	for (size_t i = 0; i < PROBE_CANARY_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			close(c->clients[i].fd);
	close(c->listen_fd);
	close(c->wake[0]);
	close(c->wake[1]);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
	*cp = NULL;
}
