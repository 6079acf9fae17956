/*
 * probe_setup - turn the configuration into struct probe_settings, with a
 * clear message for every setting that cannot work ("probe_canary: ...").
 *
 * Checks: probe_allowed_targets set; ports 1..65535, at most
 * PROBE_PORTS_MAX per list; probe_canary one ADDRESS:PORT with an address
 * literal (the probe resolves no names); deliver mode and the proxy test
 * need probe_canary; the relay test needs probe_canary_domain.
 * The settings borrow from cfg: keep the cfg referenced while using them.
 */
#ifndef RELAYGUARD_PROBE_SETUP_H
#define RELAYGUARD_PROBE_SETUP_H

#include "cfg.h"
#include "probe.h"
#include "probe_policy.h"

/* 0, or -1 with *error_r (caller frees). deliver_override: -1 = as configured. */
int probe_setup(const cfg_t *cfg, int deliver_override, struct probe_settings *s, struct probe_limits *l,
		char **error_r) __attribute__((warn_unused_result));

#endif
