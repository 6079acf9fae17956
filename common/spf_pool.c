/*
 * spf_pool - worker threads running spf_check(), outcomes delivered on the
 * caller's event loop.  Contract in spf_pool.h.
 *
 * One mutex guards the two lists (queued, done) and every job's state.
 * A job is on exactly one list, or on none while a worker runs it or while
 * the loop delivers it.  Workers never touch a job after putting it on the
 * done list; the loop frees jobs.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "spf_pool.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_DELIVERING };

struct spf_job {
	spf_pool_t *pool;
	struct spf_job *prev, *next;	/* on queued or done */
	enum job_state state;
	bool cancelled;
	addr_t client;
	char *helo, *sender;
	spf_pool_cb *cb;
	void *ctx;
	struct spf_outcome outcome;
};

struct job_list {
	spf_job_t *head, *tail;
};

struct worker {
	spf_pool_t *pool;
	spf_t *spf;
	pthread_t thread;
	bool started;
};

struct spf_pool {
	struct event_base *base;
	struct event *wake;	/* activated by workers: jobs are done */
	pthread_mutex_t lock;
	pthread_cond_t work;	/* queued is non-empty, or stopping */
	struct job_list queued, done;
	bool stopping;
	unsigned n_workers;
	struct worker *workers;
};

static void list_push(struct job_list *l, spf_job_t *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void list_remove(struct job_list *l, spf_job_t *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
}

static void job_free(spf_job_t *j)
{
	spf_outcome_clear(&j->outcome);
	free(j->helo);
	free(j->sender);
	free(j);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	spf_pool_t *pool = w->pool;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && pool->queued.head == NULL)
			pthread_cond_wait(&pool->work, &pool->lock);
		if (pool->stopping)
			break;
		spf_job_t *j = pool->queued.head;
		list_remove(&pool->queued, j);
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&pool->lock);

		/* -1 still fills the outcome (temperror): deliver it as is */
		(void)spf_check(w->spf, &j->client, j->helo, j->sender, &j->outcome);

		pthread_mutex_lock(&pool->lock);
		j->state = JOB_DONE;
		list_push(&pool->done, j);
		event_active(pool->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* On the loop: run the callbacks of every job that is done. */
static void deliver(evutil_socket_t fd, short what, void *arg)
{
	spf_pool_t *pool = arg;

	(void)fd, (void)what;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		spf_job_t *j = pool->done.head;
		if (j == NULL)
			break;
		list_remove(&pool->done, j);
		if (j->cancelled) {
			job_free(j);
			continue;
		}
		j->state = JOB_DELIVERING;
		/* no lock across the callback: it may start or cancel jobs */
		pthread_mutex_unlock(&pool->lock);
		j->cb(&j->outcome, j->ctx);
		job_free(j);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
}

static void stop_workers(spf_pool_t *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->n_workers; i++)
		if (pool->workers[i].started)
			pthread_join(pool->workers[i].thread, NULL);
}

static int start_workers(spf_pool_t *pool, const struct spf_opts *opts, char **error_r)
{
	for (unsigned i = 0; i < pool->n_workers; i++) {
		struct worker *w = &pool->workers[i];
		w->pool = pool;
		if (spf_new(opts, &w->spf, error_r) != 0)
			return -1;
	}
	for (unsigned i = 0; i < pool->n_workers; i++) {
		struct worker *w = &pool->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			*error_r = xstrdup("spf pool: cannot create a thread");
			return -1;
		}
		w->started = true;
	}
	return 0;
}

int spf_pool_new(struct event_base *base, const struct spf_opts *opts, unsigned threads,
		 spf_pool_t **pool_r, char **error_r)
{
	if (threads < SPF_POOL_THREADS_MIN || threads > SPF_POOL_THREADS_MAX) {
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "spf pool threads %u out of bounds %u..%u", threads,
			   SPF_POOL_THREADS_MIN, SPF_POOL_THREADS_MAX);
		*error_r = buf_detach(&msg);
		return -1;
	}
	if (evthread_use_pthreads() != 0) {
		*error_r = xstrdup("spf pool: libevent has no pthread support");
		return -1;
	}
	spf_pool_t *pool = xcalloc(1, sizeof(*pool));
	pool->base = base;
	pool->n_workers = threads;
	pool->workers = xcalloc(threads, sizeof(*pool->workers));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pool->wake = event_new(base, -1, 0, deliver, pool);
	if (pool->wake == NULL) {
		*error_r = xstrdup("spf pool: cannot create the wake-up event");
		spf_pool_free(&pool);
		return -1;
	}
	if (start_workers(pool, opts, error_r) != 0) {
		spf_pool_free(&pool);
		return -1;
	}
	*pool_r = pool;
	return 0;
}

spf_job_t *spf_pool_check(spf_pool_t *pool, const addr_t *client, const char *helo,
			  const char *sender, spf_pool_cb *cb, void *ctx)
{
	spf_job_t *j = xcalloc(1, sizeof(*j));

	j->pool = pool;
	j->client = *client;
	j->helo = helo != NULL ? xstrdup(helo) : NULL;
	j->sender = sender != NULL ? xstrdup(sender) : NULL;
	j->cb = cb;
	j->ctx = ctx;
	pthread_mutex_lock(&pool->lock);
	j->state = JOB_QUEUED;
	list_push(&pool->queued, j);
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	return j;
}

void spf_pool_cancel(spf_job_t *j)
{
	if (j == NULL)
		return;
	spf_pool_t *pool = j->pool;
	pthread_mutex_lock(&pool->lock);
	switch (j->state) {
	case JOB_QUEUED:
		list_remove(&pool->queued, j);
		job_free(j);
		break;
	case JOB_RUNNING:
	case JOB_DONE:
		j->cancelled = true;	/* freed by deliver() */
		break;
	case JOB_DELIVERING:
		break;			/* its own callback is running */
	}
	pthread_mutex_unlock(&pool->lock);
}

static void free_list(struct job_list *l)
{
	while (l->head != NULL) {
		spf_job_t *j = l->head;
		list_remove(l, j);
		job_free(j);
	}
}

void spf_pool_free(spf_pool_t **poolp)
{
	if (poolp == NULL || *poolp == NULL)
		return;
	spf_pool_t *pool = *poolp;
	stop_workers(pool);
	/* the threads are gone: no lock needed from here on */
	free_list(&pool->queued);
	free_list(&pool->done);
	for (unsigned i = 0; i < pool->n_workers; i++)
		spf_free(&pool->workers[i].spf);
	if (pool->wake != NULL)
		event_free(pool->wake);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool->workers);
	free(pool);
	*poolp = NULL;
}
