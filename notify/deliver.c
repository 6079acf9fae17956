/*
 * deliver - outbox, sendmail pipe, SMTP.  See deliver.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "mailbox.h"
#include "mem.h"
#include "outbox_spares.h"

enum kind { K_OUTBOX, K_SENDMAIL, K_SMTP };

/* An outbox notice written but not yet final (see deliver_flush). */
struct pending {
	char *tmp, *path;
};

struct deliver {
	enum kind kind;
	char *arg;		/* folder, program, or host */
	char *port;
	char *helo;
	struct pending *pend;
	size_t n_pend, cap_pend;
	outbox_spares_t *spares;	/* outbox: files made ahead (NULL: none) */
};

static int fail(char **error_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **error_r, const char *fmt, ...)
{
	struct buf e = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&e, fmt, ap);
	va_end(ap);
	*error_r = buf_detach(&e);
	return -1;
}

int deliver_new(const char *t, const char *myhostname, size_t spares, deliver_t **d_r, char **error_r)
{
	deliver_t *d = xcalloc(1, sizeof(*d));

	*d_r = NULL;
	d->helo = xstrdup(myhostname);
	if (strncmp(t, "outbox:", 7) == 0 && t[7] != '\0') {
		d->kind = K_OUTBOX;
		d->arg = xstrdup(t + 7);
	} else if (strncmp(t, "sendmail:", 9) == 0 && t[9] == '/') {
		d->kind = K_SENDMAIL;
		d->arg = xstrdup(t + 9);
	} else if (strncmp(t, "smtp:", 5) == 0 && strrchr(t + 5, ':') != NULL) {
		const char *colon = strrchr(t + 5, ':');
		d->kind = K_SMTP;
		d->arg = xstrndup(t + 5, (size_t)(colon - (t + 5)));
		d->port = xstrdup(colon + 1);
		if (d->arg[0] == '[' && d->arg[strlen(d->arg) - 1] == ']') {
			char *h = xstrndup(d->arg + 1, strlen(d->arg) - 2);
			free(d->arg);
			d->arg = h;
		}
	} else {
		deliver_free(&d);
		return fail(error_r, "notify_transport %s: expected outbox:DIR, sendmail:/PATH or smtp:HOST:PORT",
			    t);
	}
	if (d->kind == K_OUTBOX && mkdir(d->arg, 0750) != 0 && errno != EEXIST) {
		int rc = fail(error_r, "outbox %s: %s", d->arg, strerror(errno));
		deliver_free(&d);
		return rc;
	}
	if (d->kind == K_OUTBOX && spares > 0) {
		outbox_spares_sweep(d->arg);
		d->spares = outbox_spares_start(d->arg, spares < OUTBOX_SPARES_MAX ? spares : OUTBOX_SPARES_MAX);
	}
	*d_r = d;
	return 0;
}

void deliver_free(deliver_t **dp)
{
	deliver_t *d = *dp;

	if (d == NULL)
		return;
	outbox_spares_stop(&d->spares);
	for (size_t i = 0; i < d->n_pend; i++) {
		/* never flushed: not delivered, leave no temporary file behind */
		unlink(d->pend[i].tmp);
		free(d->pend[i].tmp);
		free(d->pend[i].path);
	}
	free(d->pend);
	free(d->arg);
	free(d->port);
	free(d->helo);
	free(d);
	*dp = NULL;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write the notice to a temporary file, a spare when one is ready (made
 * ahead by outbox_spares, so no file is created here); deliver_flush()
 * makes it final.
 */
static int outbox(deliver_t *d, const char *id, const struct buf *msg, char **error_r)
{
	struct buf path = BUF_INIT, tmp = BUF_INIT;
	struct stat st;
	int rc = -1;

	buf_printf(&path, "%s/%s.eml", d->arg, id);
	if (stat(buf_cstr(&path), &st) == 0) {
		rc = 0;	/* delivered before: a retry writes no second copy */
		goto out;
	}
	char *spare = d->spares != NULL ? outbox_spares_take(d->spares) : NULL;
	int fd;
	if (spare != NULL) {
		buf_puts(&tmp, spare);
		free(spare);
		fd = open(buf_cstr(&tmp), O_WRONLY | O_TRUNC | O_CLOEXEC);
	} else {
		buf_printf(&tmp, "%s/.%s.tmp.%ld", d->arg, id, (long)getpid());
		fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	}
	if (fd < 0) {
		fail(error_r, "%s: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	if (write_all(fd, msg->data, msg->len) != 0) {
		fail(error_r, "%s: %s", buf_cstr(&tmp), strerror(errno));
		close(fd);
		unlink(buf_cstr(&tmp));
		goto out;
	}
	if (close(fd) != 0) {
		fail(error_r, "%s: %s", buf_cstr(&tmp), strerror(errno));
		unlink(buf_cstr(&tmp));
		goto out;
	}
	if (d->n_pend == d->cap_pend) {
		d->cap_pend = d->cap_pend ? d->cap_pend * 2 : 64;
		d->pend = xreallocarray(d->pend, d->cap_pend, sizeof(*d->pend));
	}
	d->pend[d->n_pend].tmp = buf_detach(&tmp);
	d->pend[d->n_pend++].path = buf_detach(&path);
	rc = 0;
out:
	buf_free(&path);
	buf_free(&tmp);
	return rc;
}

size_t deliver_pending(const deliver_t *d)
{
	return d->n_pend;
}

/* Forget the pending notices; remove their files when they did not make it. */
static void pending_clear(deliver_t *d, bool remove)
{
	for (size_t i = 0; i < d->n_pend; i++) {
		if (remove) {
			unlink(d->pend[i].tmp);
			unlink(d->pend[i].path);
		}
		free(d->pend[i].tmp);
		free(d->pend[i].path);
	}
	d->n_pend = 0;
}

/*
 * The order is what makes one flush as safe as one fsync per file: (1)
 * syncfs puts every temporary file's data on disk; (2) only then are they
 * renamed, so a final name never points at data that is not on disk; (3)
 * one fsync of the folder puts the new names on disk; (4) only after that
 * does the caller record "sent".  A crash before (4) makes the caller send
 * again (the outbox then finds the file and writes no second copy); no
 * crash can leave "sent" recorded without the file.
 */
int deliver_flush(deliver_t *d, char **error_r)
{
	int rc = -1;

	if (d->kind != K_OUTBOX || d->n_pend == 0)
		return 0;
	int dfd = open(d->arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fail(error_r, "outbox %s: %s", d->arg, strerror(errno));
		goto out;
	}
	if (syncfs(dfd) != 0) {
		fail(error_r, "outbox %s: syncfs: %s", d->arg, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < d->n_pend; i++) {
		/* Two notifiers never both write one id (the claim in Redis);
		 * if they did, rename would leave one whole copy, never two. */
		if (rename(d->pend[i].tmp, d->pend[i].path) != 0) {
			fail(error_r, "%s: %s", d->pend[i].path, strerror(errno));
			goto out;
		}
	}
	if (fsync(dfd) != 0) {
		fail(error_r, "outbox %s: fsync: %s", d->arg, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	pending_clear(d, rc != 0);
	return rc;
}

static int sendmail(deliver_t *d, const char *sender, const struct buf *msg, char **error_r)
{
	int pfd[2];
	int status;

	if (pipe(pfd) != 0)
		return fail(error_r, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return fail(error_r, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		/* sender is a checked mailbox (deliver_send): never an option */
		execl(d->arg, d->arg, "-f", sender, "-t", "-i", (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int wrc = write_all(pfd[1], msg->data, msg->len);
	close(pfd[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (wrc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		return fail(error_r, "%s -f %s -t -i failed (exit %d)", d->arg, sender,
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	return 0;
}

/* ---- SMTP ---------------------------------------------------------------- */

struct smtp {
	int fd;
	char in[DELIVER_REPLY_MAX * 4];
	size_t have;
};

/* Read one (possibly multi-line) reply; returns its code or -1. */
static int smtp_reply(struct smtp *s, struct buf *text)
{
	buf_reset(text);
	for (;;) {
		char *nl = memchr(s->in, '\n', s->have);
		if (nl == NULL) {
			if (s->have == sizeof(s->in))
				return -1;
			ssize_t n = read(s->fd, s->in + s->have, sizeof(s->in) - s->have);
			if (n <= 0)
				return -1;
			s->have += (size_t)n;
			continue;
		}
		size_t len = (size_t)(nl - s->in) + 1;
		buf_append(text, s->in, len);
		bool last = len >= 4 && s->in[3] == ' ';
		bool cont = len >= 4 && s->in[3] == '-';
		int code = len >= 3 ? atoi(s->in) : -1;
		memmove(s->in, s->in + len, s->have - len);
		s->have -= len;
		if (last || !cont)
			return code >= 200 && code <= 599 ? code : -1;
	}
}

static int smtp_cmd(struct smtp *s, const char *cmd, int want, struct buf *text)
{
	if (cmd != NULL && write_all(s->fd, cmd, strlen(cmd)) != 0)
		return -1;
	int code = smtp_reply(s, text);
	return code / 100 == want ? 0 : -1;
}

static int smtp_connect(deliver_t *d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct timeval tv = { DELIVER_TIMEOUT_S, 0 };

	if (getaddrinfo(d->arg, d->port, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* The message as DATA: CRLF line ends, leading dots doubled, no Bcc header. */
static void smtp_data(const struct buf *msg, struct buf *out)
{
	bool bol = true, in_headers = true, skip = false;

	for (size_t i = 0; i < msg->len; i++) {
		char c = msg->data[i];
		if (bol) {
			if (in_headers && c == '\n')
				in_headers = false;
			skip = in_headers && strncmp(msg->data + i, "Bcc:", 4) == 0;
			if (c == '.' && !skip)
				buf_putc(out, '.');
		}
		bol = c == '\n';
		if (skip)
			continue;
		if (c == '\n')
			buf_putc(out, '\r');
		buf_putc(out, c);
	}
	buf_puts(out, ".\r\n");
}

static int smtp_send(deliver_t *d, const char *from, const char *to, const char *bcc,
		     const struct buf *msg, char **error_r)
{
	struct smtp *s = xcalloc(1, sizeof(*s));
	struct buf cmd = BUF_INIT, text = BUF_INIT, data = BUF_INIT;
	const char *step = "connect";
	int rc = -1;

	s->fd = smtp_connect(d);
	if (s->fd < 0)
		goto out;
	step = "greeting";
	if (smtp_cmd(s, NULL, 2, &text) != 0)
		goto out;
	step = "EHLO";
	buf_printf(&cmd, "EHLO %s\r\n", d->helo);
	if (smtp_cmd(s, cmd.data, 2, &text) != 0)
		goto out;
	step = "MAIL FROM";
	buf_reset(&cmd);
	buf_printf(&cmd, "MAIL FROM:<%s>\r\n", from);
	if (smtp_cmd(s, cmd.data, 2, &text) != 0)
		goto out;
	step = "RCPT TO";
	buf_reset(&cmd);
	buf_printf(&cmd, "RCPT TO:<%s>\r\n", to);
	if (smtp_cmd(s, cmd.data, 2, &text) != 0)
		goto out;
	if (bcc[0] != '\0') {
		buf_reset(&cmd);
		buf_printf(&cmd, "RCPT TO:<%s>\r\n", bcc);
		if (smtp_cmd(s, cmd.data, 2, &text) != 0)
			goto out;
	}
	step = "DATA";
	if (smtp_cmd(s, "DATA\r\n", 3, &text) != 0)
		goto out;
	step = "end of data";
	smtp_data(msg, &data);
	if (smtp_cmd(s, data.data, 2, &text) != 0)
		goto out;
	(void)smtp_cmd(s, "QUIT\r\n", 2, &text);
	rc = 0;
out:
	if (rc != 0) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "smtp %s:%s: %s failed: %.*s", d->arg, d->port, step, 200,
			   text.len ? buf_cstr(&text) : strerror(errno));
		while (e.len > 0 && (e.data[e.len - 1] == '\n' || e.data[e.len - 1] == '\r'))
			buf_truncate(&e, e.len - 1);
		*error_r = buf_detach(&e);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	buf_free(&cmd);
	buf_free(&text);
	buf_free(&data);
	return rc;
}

/* The last guard before an address reaches a command line or SMTP. */
static bool address_ok(const char *a)
{
	return mailbox_valid(a);
}

bool deliver_sender_ok(const char *s, const char **why_r)
{
	const char *at = strchr(s, '@');

	*why_r = s[0] == '-' ? "starts with '-'"
		 : at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL ? "not local@domain"
		 : strpbrk(s, "<>\"\\,;()[] \t\r\n") != NULL ? "a character a mailbox cannot hold"
		 : NULL;
	for (const char *p = s; *why_r == NULL && *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*why_r = "a control or 8-bit byte";
	return *why_r == NULL;
}

int deliver_send(deliver_t *d, const char *id, const char *from, const char *to, const char *bcc,
		 const struct buf *msg, char **error_r)
{
	const char *why;

	if (!address_ok(to) || !deliver_sender_ok(from, &why) || (bcc[0] != '\0' && !address_ok(bcc)))
		return fail(error_r, "refusing to send: bad address (from %s, to %s)", from, to);
	switch (d->kind) {
	case K_OUTBOX:
		return outbox(d, id, msg, error_r);
	case K_SENDMAIL:
		return sendmail(d, from, msg, error_r);
	default:
		return smtp_send(d, from, to, bcc, msg, error_r);
	}
}
