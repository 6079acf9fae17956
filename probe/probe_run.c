/*
 * probe_run - one host, gate to stored result; see probe_run.h.
 */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "probe_proxy.h"
#include "probe_results.h"
#include "probe_run.h"
#include "probe_net.h"
#include "probe_smtp.h"

bool probe_run_cached(const cfg_t *cfg, const struct probe_settings *s, const addr_t *a, struct probe_result *r)
{
	char why[512];
	long long ttl_s = (long long)(cfg_ms(cfg, CFG_PROBE_TTL) / 1000);
	int rc = probe_results_load(cfg, a, r, why, sizeof(why));

	if (rc < 0)
		log_warning("%s; probing again", why);
	if (rc == 1 && time(NULL) - r->when < ttl_s && (r->deliver_mode || !s->deliver))
		return true;
	probe_result_free(r);
	probe_result_init(r, a);
	return false;
}

enum probe_run_status probe_run_host(const cfg_t *cfg, const struct probe_settings *s, const struct probe_limits *l,
				     const addr_t *a, bool force, struct probe_result *r, char *why, size_t why_size)
{
	const char *reason;
	char text[ADDR_STRLEN];
	int lock = -1;

	probe_result_init(r, a);
	addr_format(a, text);
	if (probe_policy_allowed(s->allowed, a, &reason) != 0) {
		snprintf(why, why_size, "%s", reason);
		return PROBE_RUN_REFUSED;
	}
	if (!force && probe_run_cached(cfg, s, a, r))
		return PROBE_RUN_CACHED;
	if (probe_policy_acquire(cfg_str(cfg, CFG_PROBE_STATE_DIR), a, l, time(NULL), &lock, why, why_size) != 0) {
		log_notice("probe %s not probed: %s", text, why);
		return PROBE_RUN_LIMITED;
	}
	long long t0 = probe_now_ms();
	r->when = time(NULL);
	r->deliver_mode = s->deliver;
	probe_smtp_run(s, r);
	probe_proxy_run(s, r);
	char err[512];
	if (probe_results_save(cfg, r, err, sizeof(err)) != 0)
		log_warning("probe %s: result not stored: %s", text, err);
	probe_policy_release(&lock);
	log_info("probe %s result=%s mode=%s relay=%s proxy=%s ms=%lld", text, probe_result_summary(r),
		 r->deliver_mode ? "deliver" : "rcpt", probe_verdict_name(r->relay), probe_verdict_name(r->proxy),
		 probe_now_ms() - t0);
	return PROBE_RUN_PROBED;
}
