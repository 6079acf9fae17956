/* milter_gen - configuration generations; see milter_gen.h. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "cfgval.h"
#include "clock.h"
#include "engine.h"
#include "heap.h"
#include "log.h"
#include "mem.h"
#include "milter_gen.h"
#include "milter_recent.h"
#include "spf.h"
#include "verdict.h"

/* See milter_gen.h: spf_new/spf_free and engine_thread_start/stop, one at a
 * time.  spf_new costs ~35 us, so each connection makes its own spf_t when
 * it first needs one. */
static pthread_mutex_t ares_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t gens_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gens_cond = PTHREAD_COND_INITIALIZER;	/* a gen or conn was freed */
static struct milter_gen *gen_current;
static unsigned gens_alive;	/* generations not yet freed */
static unsigned conns_alive;	/* contexts not yet freed */

struct milter_gen *milter_gen_acquire(void)
{
	struct milter_gen *g;

	pthread_mutex_lock(&gens_mu);
	g = gen_current;
	if (g != NULL)
		g->refs++;
	pthread_mutex_unlock(&gens_mu);
	return g;
}

/* The last reference stops the engine thread: nobody is in a check. */
void milter_gen_release(struct milter_gen *g)
{
	bool last, retired;

	if (g == NULL)
		return;
	pthread_mutex_lock(&gens_mu);
	last = --g->refs == 0;
	retired = g->retired;
	pthread_mutex_unlock(&gens_mu);
	if (!last)
		return;
	pthread_mutex_lock(&ares_mu);
	engine_thread_stop(&g->et);
	pthread_mutex_unlock(&ares_mu);
	cfg_unref(&g->cfg);
	milter_recent_free(&g->recent);
	free(g);
	pthread_mutex_lock(&gens_mu);
	gens_alive--;
	pthread_cond_broadcast(&gens_cond);
	pthread_mutex_unlock(&gens_mu);
	/* the sessions of a reload's previous generation have ended */
	if (retired)
		heap_release("previous configuration freed");
}

/* spf_new() with the settings of cfg; the caller holds ares_mu. */
static int spf_make(const cfg_t *cfg, spf_t **spf_r, char **error_r)
{
	struct buf servers = BUF_INIT;

	cfgval_format_hostports(cfg_hostports(cfg, CFG_DNS_SERVERS), &servers);
	struct spf_opts so = {
		.servers = buf_cstr(&servers),
		.timeout_ms = (unsigned)cfg_ms(cfg, CFG_DNSBL_TIMEOUT),
		.receiving_host = cfg_str(cfg, CFG_MYHOSTNAME),
	};
	int rc = spf_new(&so, spf_r, error_r);
	buf_free(&servers);
	return rc;
}

/* Refuse SPF settings libspf2 rejects now, not at each MAIL (holds ares_mu). */
static int spf_try(const cfg_t *cfg, char **error_r)
{
	spf_t *spf = NULL;

	if (cfg_enum(cfg, CFG_SPF) == CFG_SPF_NO || spf_make(cfg, &spf, error_r) == 0) {
		spf_free(&spf);
		return 0;
	}
	return -1;
}

/* The table of clients checked lately, for the settings of g. */
static void recent_init(struct milter_gen *g)
{
	unsigned long long ms = cfg_ms(g->cfg, CFG_DNSBL_MIN_TTL);
	unsigned long long neg = cfg_ms(g->cfg, CFG_DNSBL_NEGATIVE_TTL);

	if (neg < ms)
		ms = neg;
	g->recent = milter_recent_new(ms < MILTER_RECENT_MAX_MS ? ms : MILTER_RECENT_MAX_MS);
}

/*
 * milter_early_accept holds only where the verdict at connect is final:
 * RHSBL sites need the HELO name or the sender, SPF the sender.
 */
static bool early_accept_init(const cfg_t *cfg)
{
	const char *needs = NULL;

	if (!cfg_bool(cfg, CFG_MILTER_EARLY_ACCEPT))
		return false;
	if (cfg_sites(cfg, CFG_RHSBL_HELO_SITES)->n > 0)
		needs = "rhsbl_helo_sites needs the HELO name";
	else if (cfg_sites(cfg, CFG_RHSBL_SENDER_SITES)->n > 0)
		needs = "rhsbl_sender_sites needs the sender";
	else if (cfg_enum(cfg, CFG_SPF) != CFG_SPF_NO)
		needs = "spf needs the sender";
	if (needs != NULL)
		log_notice("milter_early_accept = yes has no effect: %s, known only after connect", needs);
	return needs == NULL;
}

/* The old generation lives on in its connections. */
int milter_gen_install(cfg_t *cfg, char **error_r)
{
	struct milter_gen *g = xcalloc(1, sizeof(*g)), *old;

	/* the engine compiles the templates (quarantine_reason too) and refuses bad ones */
	pthread_mutex_lock(&ares_mu);
	int rc = spf_try(cfg, error_r);
	if (rc == 0)
		rc = engine_thread_start(cfg, &g->et, error_r);
	pthread_mutex_unlock(&ares_mu);
	if (rc != 0) {
		free(g);
		return -1;
	}
	g->cfg = cfg_ref(cfg);
	g->refs = 1;
	recent_init(g);
	g->early_accept = early_accept_init(cfg);
	pthread_mutex_lock(&gens_mu);
	old = gen_current;
	if (old != NULL)
		old->retired = true;
	gen_current = g;
	gens_alive++;
	pthread_mutex_unlock(&gens_mu);
	milter_gen_release(old);
	return 0;
}

void milter_gen_conn_open(void)
{
	pthread_mutex_lock(&gens_mu);
	conns_alive++;
	pthread_mutex_unlock(&gens_mu);
}

void milter_gen_conn_close(void)
{
	pthread_mutex_lock(&gens_mu);
	conns_alive--;
	pthread_cond_broadcast(&gens_cond);
	pthread_mutex_unlock(&gens_mu);
}

int milter_gen_spf_new(const struct milter_gen *g, spf_t **spf_r, char **error_r)
{
	pthread_mutex_lock(&ares_mu);
	int rc = spf_make(g->cfg, spf_r, error_r);
	pthread_mutex_unlock(&ares_mu);
	return rc;
}

void milter_gen_spf_free(spf_t **spf)
{
	if (*spf == NULL)
		return;
	pthread_mutex_lock(&ares_mu);
	spf_free(spf);
	pthread_mutex_unlock(&ares_mu);
}

bool milter_gen_shutdown(unsigned wait_ms)
{
	struct milter_gen *g;
	struct timespec deadline;
	bool done;

	pthread_mutex_lock(&gens_mu);
	g = gen_current;
	gen_current = NULL;
	pthread_mutex_unlock(&gens_mu);
	milter_gen_release(g);

	deadline = clock_deadline(CLOCK_REALTIME, wait_ms);
	pthread_mutex_lock(&gens_mu);
	while (gens_alive > 0 || conns_alive > 0) {
		if (pthread_cond_timedwait(&gens_cond, &gens_mu, &deadline) != 0)
			break;
	}
	done = gens_alive == 0 && conns_alive == 0;
	pthread_mutex_unlock(&gens_mu);
	return done;
}
