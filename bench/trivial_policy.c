/*
 * trivial_policy - the ceiling: a policy server that answers every request
 * with "action=DUNNO" and does nothing else (no parsing beyond finding the
 * empty line).  Same threading as relayguard-policyd: W workers, each with
 * its own libevent loop, sharing one listening socket.
 *
 * Usage: trivial_policy PORT [WORKERS]     (listens on 127.0.0.1)
 * Stops on SIGTERM/SIGINT (the default action).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#define TRIVIAL_CHUNK 16384
#define TRIVIAL_WORKERS_MAX 64

static const char reply[] = "action=DUNNO\n\n";

struct tconn {
	struct event *ev;
	char last;	/* last byte of the previous read, to see "\n\n" across reads */
};

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tconn *c = arg;
	char buf[TRIVIAL_CHUNK], out[TRIVIAL_CHUNK];
	size_t o = 0;
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		event_free(c->ev);
		close(fd);
		free(c);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' && c->last == '\n' && o + sizeof(reply) < sizeof(out)) {
			memcpy(out + o, reply, sizeof(reply) - 1);
			o += sizeof(reply) - 1;
			c->last = 0;
			continue;
		}
		if (buf[i] != '\r')
			c->last = buf[i];
	}
	if (o > 0 && write(fd, out, o) != (ssize_t)o)
		fprintf(stderr, "trivial_policy: short write\n");
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct event_base *base = arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	int on = 1;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	struct tconn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_add(c->ev, NULL);
}

static void *worker(void *arg)
{
	int lfd = *(int *)arg;
	struct event_base *base = event_base_new();
	struct event *ev = event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, base);

	event_add(ev, NULL);
	event_base_dispatch(base);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int lfd, on = 1, workers = argc > 2 ? atoi(argv[2]) : 2;
	pthread_t tid[TRIVIAL_WORKERS_MAX];

	if (argc < 2) {
		fprintf(stderr, "usage: trivial_policy PORT [WORKERS]\n");
		return 2;
	}
	if (workers < 1 || workers > TRIVIAL_WORKERS_MAX)
		workers = 2;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(lfd, 1024) != 0) {
		perror("trivial_policy: bind");
		return 1;
	}
	for (int i = 0; i < workers; i++)
		pthread_create(&tid[i], NULL, worker, &lfd);
	for (int i = 0; i < workers; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
