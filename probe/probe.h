/*
 * probe - what every part of relayguard-probe shares: the settings one
 * run uses (read once from the cfg) and the result of probing one host.
 *
 * Ownership: a probe_result owns its transcript buffer; probe_result_free()
 * releases it.  Results are plain data, copied by value elsewhere.
 */
#ifndef RELAYGUARD_PROBE_H
#define RELAYGUARD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "probe_canary.h"

#define PROBE_PORTS_MAX 16

/* The outcome of one test (relay or proxy), weakest to strongest. */
enum probe_verdict {
	PROBE_NOT_TESTED,	/* not asked for (no ports, no canary) */
	PROBE_NO_SERVICE,	/* nothing answered on any port */
	PROBE_CLOSED,		/* answered, refused every attempt */
	PROBE_ACCEPTED,		/* relay: a 250 to a relay recipient (rcpt mode, or the canary saw nothing) */
	PROBE_CONFIRMED,	/* the canary received this host's token */
};

struct probe_settings {
	const struct cfg_netlist *allowed;	/* borrowed from the cfg */
	unsigned smtp_ports[PROBE_PORTS_MAX];
	size_t n_smtp_ports;
	unsigned proxy_ports[PROBE_PORTS_MAX];
	size_t n_proxy_ports;
	const char *canary_domain;		/* "" = no relay test */
	addr_t canary_addr;
	unsigned canary_port;			/* 0 = no canary */
	char mail_from[320];
	const char *helo;
	bool deliver;				/* probe_relay_mode = deliver */
	int connect_ms, read_ms, canary_ms;
	size_t read_max;
	probe_canary_t *canary;			/* running listener, or NULL */
};

struct probe_result {
	addr_t addr;
	time_t when;
	bool deliver_mode;
	enum probe_verdict relay, proxy;
	char relay_detail[256];		/* "port 25, form percent-hack: canary got the token from ..." */
	char proxy_detail[256];
	struct buf transcript;		/* evidence: every byte sent and received */
};

void probe_result_init(struct probe_result *r, const addr_t *addr);
void probe_result_free(struct probe_result *r);
const char *probe_verdict_name(enum probe_verdict v);
/* -1 for an unknown name. */
int probe_verdict_parse(const char *s, enum probe_verdict *v_r) __attribute__((warn_unused_result));
/* One word for the host: "open-relay", "open-proxy", "relay-recipient-accepted",
 * "closed", "no-service", "not-tested". */
const char *probe_result_summary(const struct probe_result *r);
/* Store a printf-style message in *error_r (caller frees); returns -1. */
int probe_errorf(char **error_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the transcript to standard output, each line after indent. */
void probe_result_print_transcript(const struct probe_result *r, const char *indent);

#endif
