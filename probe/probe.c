/*
 * probe - results shared by the parts of relayguard-probe; see probe.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"

static const char *const verdict_names[] = {
	[PROBE_NOT_TESTED] = "not-tested", [PROBE_NO_SERVICE] = "no-service", [PROBE_CLOSED] = "closed",
	[PROBE_ACCEPTED] = "accepted",	   [PROBE_CONFIRMED] = "confirmed",
};

void probe_result_init(struct probe_result *r, const addr_t *addr)
{
	memset(r, 0, sizeof(*r));
	if (addr != NULL)
		r->addr = *addr;
	buf_init(&r->transcript);
}

void probe_result_free(struct probe_result *r)
{
	buf_free(&r->transcript);
}

const char *probe_verdict_name(enum probe_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v] : "?";
}

int probe_verdict_parse(const char *s, enum probe_verdict *v_r)
{
	for (unsigned i = 0; i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++) {
		if (strcmp(s, verdict_names[i]) == 0) {
			*v_r = (enum probe_verdict)i;
			return 0;
		}
	}
	return -1;
}

const char *probe_result_summary(const struct probe_result *r)
{
	if (r->relay == PROBE_CONFIRMED && r->proxy == PROBE_CONFIRMED)
		return "open-relay+open-proxy";
	if (r->relay == PROBE_CONFIRMED)
		return "open-relay";
	if (r->proxy == PROBE_CONFIRMED)
		return "open-proxy";
	if (r->relay == PROBE_ACCEPTED)
		return "relay-recipient-accepted";
	if (r->relay == PROBE_CLOSED || r->proxy == PROBE_CLOSED)
		return "closed";
	if (r->relay == PROBE_NO_SERVICE || r->proxy == PROBE_NO_SERVICE)
		return "no-service";
	return "not-tested";
}

void probe_result_print_transcript(const struct probe_result *r, const char *indent)
{
	for (const char *p = buf_cstr(&r->transcript); *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		printf("%s%.*s\n", indent, n, p);
		p += n + (nl != NULL);
	}
}

int probe_errorf(char **error_r, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*error_r = buf_detach(&b);
	return -1;
}
