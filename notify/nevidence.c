/*
 * nevidence - the verification evidence of a notice; see nevidence.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "nevidence.h"

static const char *const outcome_names[NEV__COUNT] = {
	[NEV_OPEN_RELAY] = "open-relay", [NEV_RELAY_ACCEPTED] = "relay-recipient-accepted",
	[NEV_OPEN_PROXY] = "open-proxy", [NEV_CLOSED] = "closed",
	[NEV_NO_SERVICE] = "no-service", [NEV_NOT_TESTED] = "not-tested",
	[NEV_REFUSED] = "refused",	 [NEV_NOT_PROBED] = "not-probed",
};

const char *nevidence_outcome_name(enum nevidence_outcome o)
{
	return (unsigned)o < NEV__COUNT ? outcome_names[o] : "?";
}

bool nevidence_confirmed(const struct nevidence_host *h)
{
	return h->outcome == NEV_OPEN_RELAY || h->outcome == NEV_OPEN_PROXY ||
	       (h->outcome == NEV_RELAY_ACCEPTED && !h->deliver_mode);
}

void nevidence_add(struct nevidence *e, const struct nevidence_host *h, const char *transcript, size_t len)
{
	struct nevidence_host *c;
	struct buf t = BUF_INIT;

	e->hosts = xreallocarray(e->hosts, e->n + 1, sizeof(*e->hosts));
	c = &e->hosts[e->n++];
	*c = *h;
	c->addr[sizeof(c->addr) - 1] = '\0';
	c->detail[sizeof(c->detail) - 1] = '\0';
	c->method[sizeof(c->method) - 1] = '\0';
	if (len > NEVIDENCE_TRANSCRIPT_MAX) {
		/* cut at a line end when one is near, so the last line is whole */
		size_t cut = NEVIDENCE_TRANSCRIPT_MAX;
		while (cut > NEVIDENCE_TRANSCRIPT_MAX / 2 && transcript[cut - 1] != '\n')
			cut--;
		if (transcript[cut - 1] != '\n')
			cut = NEVIDENCE_TRANSCRIPT_MAX;
		buf_append(&t, transcript, cut);
		buf_printf(&t, "%s[... %zu bytes cut]\n", transcript[cut - 1] == '\n' ? "" : "\n", len - cut);
	} else if (len > 0) {
		buf_append(&t, transcript, len);
	}
	c->transcript = buf_detach(&t);
	if (c->transcript == NULL)
		c->transcript = xstrdup("");
}

const struct nevidence_host *nevidence_find(const struct nevidence *e, const char *addr)
{
	for (size_t i = 0; e != NULL && i < e->n; i++)
		if (strcmp(e->hosts[i].addr, addr) == 0)
			return &e->hosts[i];
	return NULL;
}

void nevidence_free(struct nevidence *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->hosts[i].transcript);
	free(e->hosts);
	e->hosts = NULL;
	e->n = 0;
}

void nevidence_time(const struct nevidence_host *h, char out[32])
{
	struct tm tm;
	time_t t = (time_t)h->when;

	out[0] = '\0';
	if (h->when > 0)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

void nevidence_sentence(const struct nevidence_host *h, struct buf *out)
{
	char when[32];
	bool has_transcript = h->transcript != NULL && h->transcript[0] != '\0';
	const char *below = has_transcript ? ", transcript below" : "";

	nevidence_time(h, when);
	switch (h->outcome) {
	case NEV_OPEN_RELAY: buf_printf(out, "confirmed open relay at %s%s", when, below); break;
	case NEV_RELAY_ACCEPTED:
		if (h->deliver_mode)
			buf_printf(out, "accepted a relay recipient at %s, but the test message never reached our "
					"canary (not confirmed)%s", when, below);
		else
			buf_printf(out, "accepted a relay recipient at %s (rcpt mode, weaker evidence: no message "
					"was sent)%s", when, below);
		break;
	case NEV_OPEN_PROXY:
		buf_printf(out, "confirmed open proxy (%s) at %s%s", h->method[0] ? h->method : "proxy", when, below);
		break;
	case NEV_CLOSED: buf_printf(out, "tested closed at %s (refused every relay or proxy attempt)%s", when, below); break;
	case NEV_NO_SERVICE: buf_printf(out, "tested at %s: nothing answered on the ports tried", when); break;
	case NEV_NOT_TESTED: buf_printf(out, "not tested (no relay or proxy test applies)"); break;
	case NEV_REFUSED: buf_printf(out, "not probed: %s", h->detail); break;
	case NEV_NOT_PROBED: buf_printf(out, "not probed: %s", h->detail); break;
	default: break;
	}
}

/* Append text with every line after indent. */
static void indented(struct buf *out, const char *text, const char *indent)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_puts(out, indent);
		buf_append(out, p, n);
		buf_putc(out, '\n');
		p += n + (nl != NULL);
	}
}

void nevidence_text(const struct nevidence *e, struct buf *out)
{
	if (e == NULL || e->n == 0)
		return;
	buf_puts(out, "\nVerification\n"
		      "  Before sending this notice we tested the hosts below ourselves (an SMTP\n"
		      "  relay test to a domain of ours, and proxy requests back to our own\n"
		      "  listener).  Lines starting with \">\" are what we sent, \"<\" what the\n"
		      "  host answered.\n\n");
	for (size_t i = 0; i < e->n; i++) {
		const struct nevidence_host *h = &e->hosts[i];
		buf_printf(out, "%s: ", h->addr);
		nevidence_sentence(h, out);
		buf_putc(out, '\n');
		if (h->detail[0] != '\0' && h->outcome != NEV_REFUSED && h->outcome != NEV_NOT_PROBED)
			buf_printf(out, "  %s%s\n", h->detail, h->cached ? " (stored result)" : "");
		if (h->transcript[0] != '\0')
			indented(out, h->transcript, "    ");
		buf_putc(out, '\n');
	}
}
