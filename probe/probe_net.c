/*
 * probe_net - blocking TCP with deadlines; see probe_net.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe_net.h"

long long probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static socklen_t make_sockaddr(const addr_t *a, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return sizeof(*sin6);
}

static const char *errno_text(int e)
{
	switch (e) {
	case ECONNREFUSED: return "connection refused";
	case ETIMEDOUT: return "timed out";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	case ECONNRESET: return "connection reset";
	default: return "connection failed";
	}
}

/* Wait for fd to be ready for events within ms; 0, or -1 with error. */
static int wait_fd(int fd, short events, int ms, const char **error_r)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		*error_r = "timed out";
		return -1;
	}
	if (r < 0) {
		*error_r = "poll failed";
		return -1;
	}
	return 0;
}

int probe_conn_open(struct probe_conn *c, const addr_t *addr, unsigned port, int connect_ms, int timeout_ms,
		    size_t read_max, struct buf *transcript, const char **error_r)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(addr, port, &ss);
	int one = 1, err = 0;
	socklen_t elen = sizeof(err);

	memset(c, 0, sizeof(*c));
	c->timeout_ms = timeout_ms;
	c->read_max = read_max;
	c->transcript = transcript;
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		*error_r = "socket failed";
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&ss, len) != 0) {
		if (errno != EINPROGRESS) {
			*error_r = errno_text(errno);
			goto fail;
		}
		if (wait_fd(c->fd, POLLOUT, connect_ms, error_r) != 0)
			goto fail;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
			*error_r = errno_text(err);
			goto fail;
		}
	}
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

void probe_conn_close(struct probe_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int probe_conn_send(struct probe_conn *c, const void *p, size_t n, const char **error_r)
{
	const char *s = p;
	size_t done = 0;

	if (c->transcript != NULL)
		probe_transcript_add(c->transcript, '>', p, n);
	while (done < n) {
		ssize_t w = send(c->fd, s + done, n - done, MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c->fd, POLLOUT, c->timeout_ms, error_r) != 0)
				return -1;
		} else {
			*error_r = errno_text(errno);
			return -1;
		}
	}
	return 0;
}

/* Read more bytes into c->in; 0, or -1 with error. */
static int fill(struct probe_conn *c, const char **error_r)
{
	size_t room = sizeof(c->in) - c->in_len;

	if (c->read_total >= c->read_max) {
		*error_r = "read limit";
		return -1;
	}
	if (room > c->read_max - c->read_total)
		room = c->read_max - c->read_total;
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
		if (r > 0) {
			if (c->transcript != NULL)
				probe_transcript_add(c->transcript, '<', c->in + c->in_len, (size_t)r);
			c->in_len += (size_t)r;
			c->read_total += (size_t)r;
			return 0;
		}
		if (r == 0) {
			*error_r = "closed by peer";
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR) {
			*error_r = errno_text(errno);
			return -1;
		}
		if (wait_fd(c->fd, POLLIN, c->timeout_ms, error_r) != 0)
			return -1;
	}
}

int probe_conn_line(struct probe_conn *c, char *out, size_t size, const char **error_r)
{
	size_t used = 0;

	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t take = nl != NULL ? (size_t)(nl - c->in) : c->in_len;
		size_t copy = take < size - 1 - used ? take : size - 1 - used;

		memcpy(out + used, c->in, copy);
		used += copy;
		if (nl != NULL) {
			memmove(c->in, nl + 1, c->in_len - take - 1);
			c->in_len -= take + 1;
			break;
		}
		c->in_len = 0;	/* a line longer than out: the rest is dropped */
		if (fill(c, error_r) != 0)
			return -1;
	}
	if (used > 0 && out[used - 1] == '\r')
		used--;
	out[used] = '\0';
	return 0;
}

int probe_conn_read(struct probe_conn *c, void *out, size_t n, const char **error_r)
{
	char *o = out;

	while (n > 0) {
		if (c->in_len == 0 && fill(c, error_r) != 0)
			return -1;
		size_t take = c->in_len < n ? c->in_len : n;
		memcpy(o, c->in, take);
		memmove(c->in, c->in + take, c->in_len - take);
		c->in_len -= take;
		o += take;
		n -= take;
	}
	return 0;
}

/* The cap is marked once: "[...]" as the last line. */
static bool capped(struct buf *t)
{
	static const char mark[] = "[...]\n";

	if (t->len < PROBE_TRANSCRIPT_MAX)
		return false;
	if (t->len < sizeof(mark) - 1 || strcmp(t->data + t->len - (sizeof(mark) - 1), mark) != 0)
		buf_puts(t, t->data[t->len - 1] == '\n' ? mark : "\n[...]\n");
	return true;
}

void probe_transcript_add(struct buf *t, char dir, const void *p, size_t n)
{
	const unsigned char *s = p;
	bool bol = true;

	for (size_t i = 0; i < n; i++) {
		if (bol) {
			if (capped(t))
				return;
			buf_putc(t, dir);
			buf_putc(t, ' ');
			bol = false;
		}
		if (s[i] == '\n') {
			buf_putc(t, '\n');
			bol = true;
		} else if (s[i] == '\r') {
			continue;
		} else if (t->len >= PROBE_TRANSCRIPT_MAX) {
			buf_putc(t, '\n');
			capped(t);
			return;
		} else if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			buf_putc(t, (char)s[i]);
		} else {
			buf_printf(t, "\\x%02x", s[i]);
		}
	}
	if (!bol)
		buf_putc(t, '\n');
}
