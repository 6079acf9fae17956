/*
 * engine_thread - the blocking wrapper: an engine on a thread and event loop
 * of its own, for callers that block (libmilter runs one thread per SMTP
 * connection).  See engine.h.
 *
 * A caller's request becomes a job on a queue guarded by one mutex; the
 * engine thread is woken with event_active() (libevent's pthread support
 * makes that safe from other threads), starts the check, and the callback
 * copies the verdict into the job and signals its condition variable.  A
 * caller that stops waiting marks the job abandoned; whoever touches the job
 * last frees it.  No lock is held across network I/O.
 *
 * engine_thread_stop() must be called when no other thread is inside
 * engine_thread_check() (a milter stops it after libmilter's threads end).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "mem.h"

struct thread_job {
	struct engine_request req;	/* own copies of the strings */
	pthread_cond_t cond;
	struct engine_verdict *verdict;	/* set by the engine thread */
	bool done;			/* answered, or the engine is stopping */
	bool abandoned;			/* the caller stopped waiting */
	struct engine_thread *et;
	struct thread_job *next;	/* on the queue, then on the running list */
};

struct engine_thread {
	pthread_t tid;
	struct event_base *base;
	engine_t *engine;
	struct event *wake;
	struct event *stop;	/* activated by engine_thread_stop(): breaks the loop from inside */
	pthread_mutex_t mu;
	struct thread_job *queue;	/* submitted, not yet started (LIFO is fine) */
	struct thread_job *running;	/* started, not yet answered */
	bool stopping;
};

static char *dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void job_free(struct thread_job *job)
{
	free((char *)job->req.helo);
	free((char *)job->req.sender);
	free((char *)job->req.sasl_user);
	free((char *)job->req.queue_id);
	engine_verdict_free(&job->verdict);
	pthread_cond_destroy(&job->cond);
	free(job);
}

static void unlink_running(engine_thread_t *et, struct thread_job *job)
{
	for (struct thread_job **pp = &et->running; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == job) {
			*pp = job->next;
			return;
		}
	}
}

/* Engine thread: the verdict of one job.  Caller gone -> free the job here. */
static void job_answered(const struct engine_verdict *v, void *ctx)
{
	struct thread_job *job = ctx;
	engine_thread_t *et = job->et;

	pthread_mutex_lock(&et->mu);
	unlink_running(et, job);
	if (job->abandoned) {
		pthread_mutex_unlock(&et->mu);
		job_free(job);
		return;
	}
	job->verdict = engine_verdict_copy(v);
	job->done = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&et->mu);
}

/* Engine thread: start the checks of every job submitted since last time. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	engine_thread_t *et = arg;
	struct thread_job **todo = NULL, *job;
	size_t n = 0;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&et->mu);
	while ((job = et->queue) != NULL) {
		et->queue = job->next;
		todo = xreallocarray(todo, n + 1, sizeof(*todo));
		todo[n++] = job;
		job->next = et->running;
		et->running = job;
	}
	pthread_mutex_unlock(&et->mu);
	/* Outside the lock: a check's callback takes the lock itself. */
	for (size_t i = 0; i < n; i++)
		(void)engine_check(et->engine, &todo[i]->req, job_answered, todo[i]);
	free(todo);
}

/*
 * Engine thread: leave the loop.  engine_thread_stop() cannot call
 * event_base_loopbreak() itself: event_base_loop() clears the break flag
 * when it starts, so a stop that came before the thread entered the loop
 * (a generation replaced or shut down right after its start) was lost and
 * pthread_join() waited forever.  An activated event is never lost.
 */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	engine_thread_t *et = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(et->base);
}

static void *engine_thread_main(void *arg)
{
	engine_thread_t *et = arg;

	event_base_loop(et->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int engine_thread_start(cfg_t *cfg, engine_thread_t **et_r, char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	engine_thread_t *et = xcalloc(1, sizeof(*et));

	*et_r = NULL;
	pthread_once(&once, (void (*)(void))evthread_use_pthreads);
	pthread_mutex_init(&et->mu, NULL);
	et->base = event_base_new();
	if (et->base == NULL) {
		*error_r = xstrdup("cannot create an event loop");
		free(et);
		return -1;
	}
	if (engine_new(et->base, cfg, &et->engine, error_r) != 0) {
		event_base_free(et->base);
		pthread_mutex_destroy(&et->mu);
		free(et);
		return -1;
	}
	et->wake = event_new(et->base, -1, 0, wake_cb, et);
	et->stop = event_new(et->base, -1, 0, stop_cb, et);
	if (pthread_create(&et->tid, NULL, engine_thread_main, et) != 0) {
		*error_r = xstrdup("cannot start the engine thread");
		event_free(et->wake);
		event_free(et->stop);
		engine_free(&et->engine);
		event_base_free(et->base);
		pthread_mutex_destroy(&et->mu);
		free(et);
		return -1;
	}
	*et_r = et;
	return 0;
}

int engine_thread_check(engine_thread_t *et, const struct engine_request *req, unsigned timeout_ms,
			struct engine_verdict **verdict_r)
{
	struct thread_job *job = xcalloc(1, sizeof(*job));
	pthread_condattr_t attr;
	struct timespec deadline;
	int rc = -1;

	*verdict_r = NULL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&job->cond, &attr);
	pthread_condattr_destroy(&attr);
	job->et = et;
	job->req.client = req->client;
	job->req.helo = dup_opt(req->helo);
	job->req.sender = dup_opt(req->sender);
	job->req.sasl_user = dup_opt(req->sasl_user);
	job->req.queue_id = dup_opt(req->queue_id);
	job->req.look_ahead = req->look_ahead;

	deadline = clock_deadline(CLOCK_MONOTONIC, timeout_ms);

	pthread_mutex_lock(&et->mu);
	if (et->stopping) {
		pthread_mutex_unlock(&et->mu);
		job_free(job);
		return -1;
	}
	job->next = et->queue;
	et->queue = job;
	pthread_mutex_unlock(&et->mu);
	event_active(et->wake, EV_READ, 0);

	pthread_mutex_lock(&et->mu);
	while (!job->done) {
		if (pthread_cond_timedwait(&job->cond, &et->mu, &deadline) == ETIMEDOUT)
			break;
	}
	if (job->done) {
		*verdict_r = job->verdict;
		job->verdict = NULL;
		rc = *verdict_r != NULL ? 0 : -1;
		pthread_mutex_unlock(&et->mu);
		job_free(job);
		return rc;
	}
	/* Timed out: the engine thread frees the job when its check ends. */
	job->abandoned = true;
	pthread_mutex_unlock(&et->mu);
	return -1;
}

void engine_thread_stop(engine_thread_t **etp)
{
	engine_thread_t *et = *etp;
	struct thread_job *job, *next;

	if (et == NULL)
		return;
	pthread_mutex_lock(&et->mu);
	et->stopping = true;
	pthread_mutex_unlock(&et->mu);
	event_active(et->stop, EV_READ, 0);
	pthread_join(et->tid, NULL);
	/* The loop is gone: free the engine (no callbacks), then release waiters. */
	engine_free(&et->engine);
	pthread_mutex_lock(&et->mu);
	for (int pass = 0; pass < 2; pass++) {
		for (job = pass ? et->running : et->queue; job != NULL; job = next) {
			next = job->next;
			if (job->abandoned) {
				job_free(job);
			} else {
				job->done = true;
				pthread_cond_signal(&job->cond);
			}
		}
	}
	et->queue = et->running = NULL;
	pthread_mutex_unlock(&et->mu);
	event_free(et->wake);
	event_free(et->stop);
	event_base_free(et->base);
	pthread_mutex_destroy(&et->mu);
	free(et);
	*etp = NULL;
}
