/*
 * probe_results - where probe results live for a configuration: in Redis
 * (probe_store_redis) when redis_server is set, else in
 * probe_state_dir/results (probe_store).  relayguard-probe and
 * relayguard-ctl probe both go through here, so they always agree.
 * Return values as probe_store_save/probe_store_load.
 */
#ifndef RELAYGUARD_PROBE_RESULTS_H
#define RELAYGUARD_PROBE_RESULTS_H

#include "cfg.h"
#include "probe.h"

/* "redis HOST:PORT" or the results folder, for messages. */
void probe_results_where(const cfg_t *cfg, char *out, size_t size);
int probe_results_save(const cfg_t *cfg, const struct probe_result *r, char *why, size_t why_size)
	__attribute__((warn_unused_result));
int probe_results_load(const cfg_t *cfg, const addr_t *a, struct probe_result *r, char *why, size_t why_size)
	__attribute__((warn_unused_result));

#endif
