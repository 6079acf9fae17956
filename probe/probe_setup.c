/*
 * probe_setup - settings of a run; see probe_setup.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "probe.h"
#include "probe_setup.h"

static int ports(const cfg_t *cfg, enum cfg_id id, unsigned *out, size_t *n_r, char **error_r)
{
	const struct cfg_strlist *l = cfg_list(cfg, id);

	*n_r = 0;
	for (size_t i = 0; i < l->n; i++) {
		char *end;
		long p = strtol(l->items[i], &end, 10);
		if (*end != '\0' || end == l->items[i] || p < 1 || p > 65535)
			return probe_errorf(error_r, "%s: \"%s\" is not a port (1..65535)", cfg_name(id), l->items[i]);
		if (*n_r == PROBE_PORTS_MAX)
			return probe_errorf(error_r, "%s: more than %d ports", cfg_name(id), PROBE_PORTS_MAX);
		out[(*n_r)++] = (unsigned)p;
	}
	return 0;
}

/* probe_mail_from with $myhostname / ${myhostname} replaced. */
static void mail_from(const cfg_t *cfg, char *out, size_t size)
{
	const char *from = cfg_str(cfg, CFG_PROBE_MAIL_FROM), *host = cfg_str(cfg, CFG_MYHOSTNAME);
	struct buf b;

	buf_init(&b);
	for (const char *p = from; *p;) {
		if (strncmp(p, "${myhostname}", 13) == 0) {
			buf_puts(&b, host);
			p += 13;
		} else if (strncmp(p, "$myhostname", 11) == 0) {
			buf_puts(&b, host);
			p += 11;
		} else {
			buf_putc(&b, *p++);
		}
	}
	snprintf(out, size, "%s", buf_cstr(&b));
	buf_free(&b);
}

int probe_setup(const cfg_t *cfg, int deliver_override, struct probe_settings *s, struct probe_limits *l,
		char **error_r)
{
	const struct cfg_hostports *canary = cfg_hostports(cfg, CFG_PROBE_CANARY);

	memset(s, 0, sizeof(*s));
	s->allowed = cfg_netlist(cfg, CFG_PROBE_ALLOWED_TARGETS);
	if (s->allowed->n == 0)
		return probe_errorf(error_r, "probe_allowed_targets is not set in %s: relayguard-probe contacts only "
				     "networks listed there (e.g. probe_allowed_targets = 192.0.2.0/24), so it does not run",
			    cfg_path(cfg)[0] ? cfg_path(cfg) : "the configuration");
	if (ports(cfg, CFG_PROBE_SMTP_PORTS, s->smtp_ports, &s->n_smtp_ports, error_r) != 0 ||
	    ports(cfg, CFG_PROBE_PROXY_PORTS, s->proxy_ports, &s->n_proxy_ports, error_r) != 0)
		return -1;
	if (canary->n > 1)
		return probe_errorf(error_r, "probe_canary: one ADDRESS:PORT, not %zu", canary->n);
	if (canary->n == 1) {
		if (addr_parse(canary->items[0].host, &s->canary_addr) != 0)
			return probe_errorf(error_r, "probe_canary: \"%s\" is not an IP address (the probe resolves no names)",
				    canary->items[0].host);
		if (canary->items[0].port == 0)
			return probe_errorf(error_r, "probe_canary: a port is needed (ADDRESS:PORT)");
		s->canary_port = canary->items[0].port;
	}
	s->canary_domain = cfg_str(cfg, CFG_PROBE_CANARY_DOMAIN);
	s->deliver = deliver_override >= 0 ? deliver_override == 1
					   : cfg_enum(cfg, CFG_PROBE_RELAY_MODE) == CFG_PROBE_RELAY_DELIVER;
	if (s->deliver && s->canary_port == 0)
		return probe_errorf(error_r, "probe_relay_mode = deliver needs probe_canary (ADDRESS:PORT of the canary)");
	if (s->n_smtp_ports > 0 && s->canary_domain[0] == '\0')
		return probe_errorf(error_r, "probe_canary_domain is not set: the relay test needs a domain the targets "
				     "do not serve (or set probe_smtp_ports empty)");
	if (s->n_proxy_ports > 0 && s->canary_port == 0)
		return probe_errorf(error_r, "the proxy test needs probe_canary (or set probe_proxy_ports empty)");
	mail_from(cfg, s->mail_from, sizeof(s->mail_from));
	s->helo = cfg_str(cfg, CFG_MYHOSTNAME);
	s->connect_ms = (int)cfg_ms(cfg, CFG_PROBE_CONNECT_TIMEOUT);
	s->read_ms = (int)cfg_ms(cfg, CFG_PROBE_READ_TIMEOUT);
	s->canary_ms = (int)cfg_ms(cfg, CFG_PROBE_CANARY_WAIT);
	s->read_max = (size_t)cfg_int(cfg, CFG_PROBE_READ_MAX);
	l->host_interval_s = (long long)(cfg_ms(cfg, CFG_PROBE_HOST_INTERVAL) / 1000);
	l->network_rate = cfg_int(cfg, CFG_PROBE_NETWORK_RATE);
	l->global_rate = cfg_int(cfg, CFG_PROBE_GLOBAL_RATE);
	return 0;
}
