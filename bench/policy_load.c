/*
 * policy_load - a load generator for Postfix policy servers.
 *
 * C connections, one request in flight on each (as Postfix's smtpd does),
 * for D seconds after a warm-up.  Client addresses come from a file (one per
 * line), taken round robin, so the mix of listed and unlisted addresses is
 * the file's.  Every request has its own instance, so that a server's
 * per-message memory cannot answer it: the numbers measure the check.
 *
 * Usage: policy_load [-h HOST] -p PORT [-c CONNS] [-d SECONDS] [-w WARMUP]
 *                    [-t THREADS] -f ADDRFILE
 * rejects counts every answer other than DUNNO, OK and PREPEND.
 * Prints one line:
 *   conns=16 requests=123456 seconds=5.00 rps=24691 p50_us=420 p99_us=910 rejects=1234
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_CONNS_MAX 1024
#define LOAD_THREADS_MAX 16
#define LOAD_ADDRS_MAX 100000
#define LOAD_HIST_US 100000	/* latency histogram: 1 us buckets up to 100 ms */
#define LOAD_REPLY_MAX 4096
#define LOAD_ADDR_LEN 64

struct lconn {
	int fd;
	uint64_t sent_us;
	size_t rlen;
	char rbuf[LOAD_REPLY_MAX];
};

struct lthread {
	pthread_t tid;
	int first, count;	/* connections of this thread */
	uint64_t requests, rejects, errors;
	uint64_t *hist;		/* LOAD_HIST_US + 1 buckets */
};

static const char *host = "127.0.0.1";
static int port, n_conns = 16, n_threads = 2;
static double seconds = 5, warmup = 1;
static char (*addrs)[LOAD_ADDR_LEN];
static size_t n_addrs;
static atomic_uint_fast64_t next_req;
static atomic_bool measuring, stopping;
static struct lconn conns[LOAD_CONNS_MAX];

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int send_request(struct lconn *c)
{
	char req[512];
	uint64_t n = atomic_fetch_add(&next_req, 1);
	int len = snprintf(req, sizeof(req),
			   "request=smtpd_access_policy\nprotocol_state=RCPT\n"
			   "protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
			   "helo_name=client.example\nsender=s@example.org\n"
			   "recipient=r@example.net\ninstance=load.%llu\n\n",
			   addrs[n % n_addrs], (unsigned long long)n);
	c->sent_us = now_us();
	c->rlen = 0;
	return write(c->fd, req, (size_t)len) == len ? 0 : -1;
}

/* Read; 1 when a whole reply ("...\n\n") is in, 0 for more, -1 on error. */
static int read_reply(struct lthread *t, struct lconn *c)
{
	ssize_t n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - 1 - c->rlen);

	if (n <= 0)
		return -1;
	c->rlen += (size_t)n;
	c->rbuf[c->rlen] = '\0';
	if (c->rlen < 2 || strcmp(c->rbuf + c->rlen - 2, "\n\n") != 0)
		return c->rlen >= sizeof(c->rbuf) - 1 ? -1 : 0;
	if (atomic_load(&measuring)) {
		uint64_t us = now_us() - c->sent_us;
		t->hist[us > LOAD_HIST_US ? LOAD_HIST_US : us]++;
		t->requests++;
		if (strncmp(c->rbuf, "action=DUNNO", 12) != 0 && strncmp(c->rbuf, "action=OK", 9) != 0 &&
		    strncmp(c->rbuf, "action=PREPEND", 14) != 0)
			t->rejects++;
	}
	return 1;
}

static void *run(void *arg)
{
	struct lthread *t = arg;
	struct pollfd pfd[LOAD_CONNS_MAX];

	for (int i = 0; i < t->count; i++) {
		pfd[i].fd = conns[t->first + i].fd;
		pfd[i].events = POLLIN;
		if (send_request(&conns[t->first + i]) != 0)
			t->errors++;
	}
	while (!atomic_load(&stopping)) {
		int n = poll(pfd, (nfds_t)t->count, 100);
		for (int i = 0; n > 0 && i < t->count; i++) {
			struct lconn *c = &conns[t->first + i];
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int r = read_reply(t, c);
			if (r < 0) {
				t->errors++;
				pfd[i].fd = -1;
			} else if (r == 1 && send_request(c) != 0) {
				t->errors++;
				pfd[i].fd = -1;
			}
		}
	}
	return NULL;
}

static int load_addrs(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (f == NULL)
		return -1;
	addrs = calloc(LOAD_ADDRS_MAX, LOAD_ADDR_LEN);
	while (addrs && n_addrs < LOAD_ADDRS_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n#")] = '\0';
		if (line[0] && strlen(line) < LOAD_ADDR_LEN)
			memcpy(addrs[n_addrs++], line, strlen(line) + 1);
	}
	fclose(f);
	return n_addrs > 0 ? 0 : -1;
}

static int connect_all(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int on = 1;

	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	for (int i = 0; i < n_conns; i++) {
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (conns[i].fd < 0 || connect(conns[i].fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			return -1;
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	return 0;
}

static uint64_t percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t want = (uint64_t)(total * p), seen = 0;

	for (uint64_t us = 0; us <= LOAD_HIST_US; us++) {
		seen += hist[us];
		if (seen > want)
			return us;
	}
	return LOAD_HIST_US;
}

int main(int argc, char **argv)
{
	struct lthread th[LOAD_THREADS_MAX];
	const char *file = NULL;
	uint64_t total = 0, rejects = 0, errors = 0, *hist;
	int ch;

	while ((ch = getopt(argc, argv, "h:p:c:d:w:t:f:")) != -1) {
		switch (ch) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': n_conns = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 't': n_threads = atoi(optarg); break;
		case 'f': file = optarg; break;
		default: return 2;
		}
	}
	if (port <= 0 || file == NULL || n_conns < 1 || n_conns > LOAD_CONNS_MAX || n_threads < 1 ||
	    n_threads > LOAD_THREADS_MAX) {
		fprintf(stderr, "usage: policy_load [-h HOST] -p PORT [-c CONNS] [-d S] [-w S] [-t THREADS] -f FILE\n");
		return 2;
	}
	if (n_threads > n_conns)
		n_threads = n_conns;
	if (load_addrs(file) != 0 || connect_all() != 0) {
		fprintf(stderr, "policy_load: cannot read %s or connect to %s:%d\n", file, host, port);
		return 1;
	}
	for (int i = 0, first = 0; i < n_threads; i++) {
		int count = n_conns / n_threads + (i < n_conns % n_threads);
		th[i] = (struct lthread){ .first = first, .count = count };
		th[i].hist = calloc(LOAD_HIST_US + 1, sizeof(uint64_t));
		first += count;
		pthread_create(&th[i].tid, NULL, run, &th[i]);
	}
	usleep((useconds_t)(warmup * 1e6));
	atomic_store(&measuring, true);
	uint64_t t0 = now_us();
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&measuring, false);
	double took = (double)(now_us() - t0) / 1e6;
	atomic_store(&stopping, true);
	hist = calloc(LOAD_HIST_US + 1, sizeof(uint64_t));
	for (int i = 0; i < n_threads; i++) {
		pthread_join(th[i].tid, NULL);
		total += th[i].requests;
		rejects += th[i].rejects;
		errors += th[i].errors;
		for (int us = 0; us <= LOAD_HIST_US; us++)
			hist[us] += th[i].hist[us];
		free(th[i].hist);
	}
	printf("conns=%d requests=%llu seconds=%.2f rps=%.0f p50_us=%llu p99_us=%llu rejects=%llu errors=%llu\n",
	       n_conns, (unsigned long long)total, took, total / took,
	       (unsigned long long)percentile(hist, total, 0.50),
	       (unsigned long long)percentile(hist, total, 0.99), (unsigned long long)rejects,
	       (unsigned long long)errors);
	free(hist);
	free(addrs);
	return errors > 0 ? 1 : 0;
}
