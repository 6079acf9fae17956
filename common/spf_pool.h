/*
 * spf_pool - SPF checks for event-loop programs: a few threads, each with
 * its own spf_t, run spf_check() (which blocks) off the loop and hand the
 * outcome back on the loop.
 *
 * Jobs wait in one FIFO queue; a free worker takes the oldest.  When a
 * check ends the worker queues the job as done and wakes the loop with
 * event_active() on one internal event; the loop thread then runs the
 * callbacks, in the order the checks ended.
 *
 * Precondition: libevent's pthread support must be on BEFORE the
 * event_base is created (evthread_use_pthreads(), as every relayguard
 * program does at startup), so that other threads may activate events on
 * it.  spf_pool_new() calls evthread_use_pthreads() too, which is harmless,
 * but it cannot give locks to a base that was made without them.
 *
 * The internal event is not pending between deliveries, so it does not
 * keep event_base_dispatch() running: the program keeps its loop alive by
 * other events (its listener) or EVLOOP_NO_EXIT_ON_EMPTY.
 *
 * Callbacks: exactly once per job, always from the loop thread running
 * base, never inside spf_pool_check(); never after spf_pool_cancel() or
 * spf_pool_free().  The outcome passed to the callback is valid only during
 * the call (copy what you keep).  A callback may start new checks and
 * cancel other jobs; cancelling its own job is a harmless no-op.
 *
 * Job handles: valid from spf_pool_check() until the callback returns or
 * spf_pool_cancel() returns; the pool frees them.
 *
 * Thread-safety: spf_pool_check(), spf_pool_cancel() and spf_pool_free()
 * must be called from the loop thread of base only.
 */
#ifndef RELAYGUARD_SPF_POOL_H
#define RELAYGUARD_SPF_POOL_H

#include "addr.h"
#include "spf.h"

struct event_base;

typedef struct spf_pool spf_pool_t;
typedef struct spf_job spf_job_t;

/* Bounds for the number of worker threads. */
#define SPF_POOL_THREADS_MIN 1u
#define SPF_POOL_THREADS_MAX 64u

/* outcome: valid during the call only; ctx: the caller's pointer. */
typedef void spf_pool_cb(const struct spf_outcome *outcome, void *ctx);

/*
 * Create a pool of threads workers on base (borrowed: it must outlive the
 * pool).  opts is only read during the call: each worker gets its own
 * spf_t made from it.  Returns 0 and stores the pool in *pool_r (caller
 * frees with spf_pool_free()), or -1 with a message in *error_r (caller
 * frees with free()): threads out of bounds, spf_new() refused opts, a
 * thread or the event could not be created.
 */
int spf_pool_new(struct event_base *base, const struct spf_opts *opts, unsigned threads,
		 spf_pool_t **pool_r, char **error_r) __attribute__((warn_unused_result));

/*
 * Queue a check of spf_check()'s arguments (copied: the caller's strings
 * may go away at once).  Never returns NULL; cb runs later on the loop.
 */
spf_job_t *spf_pool_check(spf_pool_t *pool, const addr_t *client, const char *helo,
			  const char *sender, spf_pool_cb *cb, void *ctx);

/*
 * Forget a job: its callback is never called.  A queued job is dropped at
 * once; a running one finishes in its worker and is freed unseen.
 * NULL: no-op.
 */
void spf_pool_cancel(spf_job_t *job);

/*
 * Cancel every job (no callbacks), join the threads, free everything and
 * set *pool to NULL (NULL or *pool NULL: no-op).  Waits for the checks
 * that are running (each is bounded by the spf timeouts).  Not from inside
 * a pool callback.
 */
void spf_pool_free(spf_pool_t **pool);

#endif
