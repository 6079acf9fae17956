/*
 * probe_smtp - the open-relay test; see probe_smtp.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe_net.h"
#include "probe_smtp.h"

#define REPLY_LINES_MAX 100	/* a multi-line reply longer than this is garbage */

static const char *const form_names[PROBE_SMTP_FORMS] = {
	"plain", "percent-hack", "quoted", "bang-path", "address-literal",
};

const char *probe_smtp_form_name(unsigned i)
{
	return i < PROBE_SMTP_FORMS ? form_names[i] : "?";
}

/* [192.0.2.1] or [IPv6:2001:db8::1] */
static void literal(const addr_t *a, char out[ADDR_STRLEN + 8])
{
	char t[ADDR_STRLEN];

	snprintf(out, ADDR_STRLEN + 8, "[%s%s]", a->family == AF_INET6 ? "IPv6:" : "", addr_format(a, t));
}

int probe_smtp_form(unsigned i, const char *token, const char *domain, const addr_t *target,
		    const addr_t *canary_or_null, char *out, size_t size)
{
	char t[ADDR_STRLEN + 8], c[ADDR_STRLEN + 8];
	int n;

	literal(target, t);
	switch (i) {
	case 0: n = snprintf(out, size, "%s@%s", token, domain); break;
	case 1: n = snprintf(out, size, "%s%%%s@%s", token, domain, t); break;
	case 2: n = snprintf(out, size, "\"%s@%s\"@%s", token, domain, t); break;
	case 3: n = snprintf(out, size, "%s!%s@%s", domain, token, t); break;
	case 4:
		if (canary_or_null == NULL)
			return -1;
		literal(canary_or_null, c);
		n = snprintf(out, size, "%s@%s", token, c);
		break;
	default: return -1;
	}
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int probe_smtp_reply_line(const char *line, int *code_r, bool *more_r)
{
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	if (line[3] != '\0' && line[3] != ' ' && line[3] != '-')
		return -1;
	*code_r = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*more_r = line[3] == '-';
	return 0;
}

/* Read a whole reply; its code, or -1 on an I/O or protocol error. */
static int reply(struct probe_conn *c, const char **error_r)
{
	char line[PROBE_LINE_MAX];
	int code = -1;
	bool more = true;

	for (int i = 0; more && i < REPLY_LINES_MAX; i++) {
		if (probe_conn_line(c, line, sizeof(line), error_r) != 0)
			return -1;
		if (probe_smtp_reply_line(line, &code, &more) != 0) {
			*error_r = "not an SMTP reply";
			return -1;
		}
	}
	if (more) {
		*error_r = "reply too long";
		return -1;
	}
	return code;
}

/* Send a command line and read its reply code (-1 on error). */
static int command(struct probe_conn *c, const char *cmd, const char **error_r)
{
	char line[PROBE_LINE_MAX];

	snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (probe_conn_send(c, line, strlen(line), error_r) != 0)
		return -1;
	return reply(c, error_r);
}

/* A token sent in deliver mode, waited for at the end. */
struct pending {
	char token[PROBE_TOKEN_LEN + 1];
	unsigned port, form;
};

/* DATA with one short message carrying the token; 0 when it was queued. */
static int send_message(struct probe_conn *c, const struct probe_settings *s, const struct probe_result *r,
			const char *rcpt, const char *token, const char **error_r)
{
	char msg[2048], date[64], target[ADDR_STRLEN];
	time_t now = time(NULL);
	struct tm tm;

	if (command(c, "DATA", error_r) != 354)
		return -1;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(msg, sizeof(msg),
		 "From: <%s>\r\nTo: <%s>\r\nSubject: relayguard open relay test %s\r\nDate: %s\r\n"
		 "Message-ID: <%s@%s>\r\n\r\n"
		 "This message tests whether %s relays mail for third parties.\r\n"
		 "It is addressed to the tester's own canary only.\r\ntoken: %s\r\n.\r\n",
		 s->mail_from, rcpt, token, date, token, s->helo, addr_format(&r->addr, target), token);
	if (probe_conn_send(c, msg, strlen(msg), error_r) != 0)
		return -1;
	return reply(c, error_r) / 100 == 2 ? 0 : -1;
}

/* Per-run state of the relay test. */
struct relay_run {
	const struct probe_settings *s;
	struct probe_result *r;
	bool any_service, accepted;
	unsigned accepted_port, accepted_form;
	struct pending pending[1];	/* the one message sent in deliver mode */
	size_t n_pending;
};

/* One transaction per form on an open session; stops early in rcpt mode. */
static void try_forms(struct relay_run *run, struct probe_conn *c, unsigned port)
{
	const struct probe_settings *s = run->s;
	char cmd[PROBE_LINE_MAX], rcpt[600], token[PROBE_TOKEN_LEN + 1];
	const char *err;

	for (unsigned f = 0; f < PROBE_SMTP_FORMS; f++) {
		probe_token_new(token);
		if (probe_smtp_form(f, token, s->canary_domain, &run->r->addr,
				    s->canary_port != 0 ? &s->canary_addr : NULL, rcpt, sizeof(rcpt)) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", s->mail_from);
		if (command(c, cmd, &err) / 100 != 2)
			return;
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpt);
		int code = command(c, cmd, &err);
		if (code < 0)
			return;
		if (code / 100 == 2) {
			run->accepted = true;
			run->accepted_port = port;
			run->accepted_form = f;
			/* one message at most: deliver mode sends it to the canary, rcpt mode never */
			if (s->deliver && send_message(c, s, run->r, rcpt, token, &err) == 0) {
				struct pending *p = &run->pending[run->n_pending++];
				memcpy(p->token, token, sizeof(p->token));
				p->port = port;
				p->form = f;
			}
			return;
		}
		if (command(c, "RSET", &err) < 0)
			return;
	}
}

/* One SMTP session on one port. */
static void session(struct relay_run *run, unsigned port)
{
	const struct probe_settings *s = run->s;
	struct probe_conn c;
	char cmd[PROBE_LINE_MAX];
	const char *err;
	struct buf *t = &run->r->transcript;

	buf_printf(t, "# SMTP port %u\n", port);
	if (probe_conn_open(&c, &run->r->addr, port, s->connect_ms, s->read_ms, s->read_max, t, &err) != 0) {
		buf_printf(t, "# %s\n", err);
		return;
	}
	int greeting = reply(&c, &err);
	if (greeting < 0) {	/* connected, but no SMTP server spoke: not a service */
		buf_printf(t, "# no SMTP greeting: %s\n", err);
		goto out;
	}
	run->any_service = true;
	if (greeting / 100 != 2)
		goto out;
	snprintf(cmd, sizeof(cmd), "EHLO %s", s->helo);
	int code = command(&c, cmd, &err);
	if (code >= 0 && code / 100 != 2) {
		snprintf(cmd, sizeof(cmd), "HELO %s", s->helo);
		code = command(&c, cmd, &err);
	}
	if (code < 0)
		buf_printf(t, "# %s\n", err);
	if (code / 100 == 2)
		try_forms(run, &c, port);
	if (c.fd >= 0 && command(&c, "RSET", &err) >= 0)
		(void)command(&c, "QUIT", &err);
out:
	probe_conn_close(&c);
}

void probe_smtp_run(const struct probe_settings *s, struct probe_result *r)
{
	struct relay_run run = { .s = s, .r = r };
	char peer[ADDR_STRLEN];

	r->relay = PROBE_NOT_TESTED;
	if (s->n_smtp_ports == 0 || s->canary_domain[0] == '\0')
		return;
	for (size_t i = 0; i < s->n_smtp_ports && !run.accepted; i++)
		session(&run, s->smtp_ports[i]);
	if (!run.any_service) {
		r->relay = PROBE_NO_SERVICE;
		snprintf(r->relay_detail, sizeof(r->relay_detail), "no SMTP service on the ports tried");
		return;
	}
	r->relay = run.accepted ? PROBE_ACCEPTED : PROBE_CLOSED;
	if (!run.accepted) {
		snprintf(r->relay_detail, sizeof(r->relay_detail), "refused every relay recipient");
		return;
	}
	snprintf(r->relay_detail, sizeof(r->relay_detail), "port %u accepted a relay recipient (form %s)%s",
		 run.accepted_port, probe_smtp_form_name(run.accepted_form),
		 !s->deliver ? "; rcpt mode: no message was sent"
		 : run.n_pending == 0 ? "; the message was refused after RCPT"
				      : "; the canary received no token");
	/* deliver mode: one deadline for every token sent */
	long long deadline = probe_now_ms() + s->canary_ms;
	for (size_t i = 0; i < run.n_pending; i++) {
		long long left = deadline - probe_now_ms();
		if (s->canary != NULL &&
		    probe_canary_wait(s->canary, run.pending[i].token, left > 0 ? (int)left : 0, peer)) {
			r->relay = PROBE_CONFIRMED;
			snprintf(r->relay_detail, sizeof(r->relay_detail),
				 "port %u, form %s: the canary received token %s from %s", run.pending[i].port,
				 probe_smtp_form_name(run.pending[i].form), run.pending[i].token, peer);
			buf_printf(&r->transcript, "# canary received %s from %s\n", run.pending[i].token, peer);
			return;
		}
	}
}
