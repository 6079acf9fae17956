/*
 * milter_gen - the configuration generations relayguard-milter runs on.
 *
 * A generation is what one configuration needs at run time: the cfg_t, the
 * engine thread, the table of clients checked
 * lately (milter_recent) and whether milter_early_accept holds.
 * milter_gen_install() makes one from a cfg_t and makes it current: new
 * connections take it (milter_gen_acquire(), one reference each, kept for the
 * connection's whole life), while the connections of the previous one finish
 * on theirs.  A generation is stopped and freed with its last reference.
 *
 * Connections are counted (milter_gen_conn_open/close) so that
 * milter_gen_shutdown() can wait for them to end.
 *
 * spf_new/spf_free and engine_thread_start/stop touch c-ares' unlocked
 * library refcount (and libspf2's log hooks): this module does them one at a
 * time, hence milter_gen_spf_new/free for the connections' SPF handles.
 *
 * Thread-safe: every function may be called from any thread.
 */
#ifndef RELAYGUARD_MILTER_GEN_H
#define RELAYGUARD_MILTER_GEN_H

#include <stdbool.h>

#include "cfg.h"
#include "engine.h"
#include "milter_recent.h"
#include "spf.h"
#include "verdict.h"

/*
 * Clients checked lately are remembered for the shortest time the engine
 * keeps an answer (dnsbl_min_ttl, dnsbl_negative_ttl), at most this long.
 */
#define MILTER_RECENT_MAX_MS 60000ULL

struct milter_gen {
	cfg_t *cfg;
	engine_thread_t *et;
	milter_recent_t *recent;	/* clients checked lately */
	bool early_accept;	/* milter_early_accept, and nothing after connect can change a pass */
	unsigned refs;		/* this module's: guarded by its lock */
	bool retired;		/* replaced by a reload (guarded by the lock): heap_release() when freed */
};

/*
 * Make a generation from cfg (a reference is taken), start its engine
 * thread, and make it current.  Returns 0, or -1 with *error_r (caller
 * frees) and the current generation unchanged.
 */
int milter_gen_install(cfg_t *cfg, char **error_r) __attribute__((warn_unused_result));

/* The current generation with one more reference, or NULL after a shutdown. */
struct milter_gen *milter_gen_acquire(void);
/* Drop one reference (g may be NULL); the last one stops and frees g. */
void milter_gen_release(struct milter_gen *g);

/* A connection context was made / freed. */
void milter_gen_conn_open(void);
void milter_gen_conn_close(void);

/*
 * Drop the current generation, then wait at most wait_ms for the open
 * connections to close (their generations stop with them).  Returns true
 * when every generation and connection is gone.
 */
bool milter_gen_shutdown(unsigned wait_ms);

/* An SPF handle with g's dns_servers, dnsbl_timeout and myhostname; 0 or -1 with *error_r. */
int milter_gen_spf_new(const struct milter_gen *g, spf_t **spf_r, char **error_r)
	__attribute__((warn_unused_result));
/* Free an SPF handle (NULL is fine) and clear the pointer. */
void milter_gen_spf_free(spf_t **spf);

#endif
