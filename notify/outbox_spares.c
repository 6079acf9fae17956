/*
 * outbox_spares - empty outbox files made ahead of need.  See outbox_spares.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "outbox_spares.h"

struct outbox_spares {
	pthread_t maker;
	pthread_mutex_t mu;
	pthread_cond_t room;	/* a spare was taken, or stop */
	char *dir;
	char **ring;		/* ready spares: n of them from head */
	size_t keep, head, n;
	unsigned long seq;
	bool stop;
	bool taken;			/* a spare was ever taken */
	struct timespec last_take;	/* CLOCK_MONOTONIC */
};

static char *spare_path(const char *dir, long pid, unsigned long seq)
{
	size_t len = strlen(dir) + 64;
	char *p = xmalloc(len);

	snprintf(p, len, "%s/%ld.%lu", dir, pid, seq);
	return p;
}

/*
 * Make another spare?  Up to keep before the first take (the head start);
 * after it, keep up with the takes, but only while they come: a burst of
 * notices that ended leaves at most OUTBOX_SPARES_IDLE_MS of spares made
 * for nothing (to be removed at stop), not keep.  Called locked.
 */
static bool maker_wanted(const outbox_spares_t *s)
{
	struct timespec now;

	if (s->n >= s->keep)
		return false;
	if (!s->taken || s->n < OUTBOX_SPARES_LOW)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - s->last_take.tv_sec) * 1000 +
		       (now.tv_nsec - s->last_take.tv_nsec) / 1000000;
	return ms < OUTBOX_SPARES_IDLE_MS;
}

static void *maker_main(void *arg)
{
	outbox_spares_t *s = arg;

	/* idle CPU only: when the notifier needs a file and none is ready it
	 * makes its own, so the maker must never slow the rest down */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!maker_wanted(s)) {
			pthread_cond_wait(&s->room, &s->mu);
			continue;
		}
		char *path = spare_path(s->dir, (long)getpid(), s->seq++);
		pthread_mutex_unlock(&s->mu);
		/* the expensive part (the inode), outside the lock */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&s->mu);
		if (fd < 0) {
			/* full disk, permissions: the maker ends, and the caller's
			 * own open (no spare is ready any more) reports it */
			free(path);
			break;
		}
		s->ring[(s->head + s->n) % s->keep] = path;
		s->n++;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The spares' folder: "<outbox>/.spares" (caller frees). */
static char *spares_dir(const char *outbox)
{
	size_t len = strlen(outbox) + sizeof("/" OUTBOX_SPARES_DIR);
	char *p = xmalloc(len);

	snprintf(p, len, "%s/" OUTBOX_SPARES_DIR, outbox);
	return p;
}

outbox_spares_t *outbox_spares_start(const char *outbox, size_t keep)
{
	char *dir = spares_dir(outbox);
	sigset_t all, old;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		free(dir);
		return NULL;
	}
	outbox_spares_t *s = xcalloc(1, sizeof(*s));
	s->dir = dir;
	s->keep = keep ? keep : 1;
	s->ring = xcalloc(s->keep, sizeof(*s->ring));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->room, NULL);
	/* signals stay with the main thread: its handlers and EINTR */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->maker, NULL, maker_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&s->room);
		pthread_mutex_destroy(&s->mu);
		free(s->ring);
		free(s->dir);
		free(s);
		return NULL;
	}
	return s;
}

char *outbox_spares_take(outbox_spares_t *s)
{
	char *path = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->n > 0) {
		path = s->ring[s->head];
		s->ring[s->head] = NULL;
		s->head = (s->head + 1) % s->keep;
		s->n--;
		s->taken = true;
		clock_gettime(CLOCK_MONOTONIC, &s->last_take);
		pthread_cond_signal(&s->room);
	}
	pthread_mutex_unlock(&s->mu);
	return path;
}

void outbox_spares_stop(outbox_spares_t **sp)
{
	outbox_spares_t *s = *sp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->room);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->maker, NULL);
	for (; s->n > 0; s->n--) {
		char *path = s->ring[s->head];
		unlink(path);
		free(path);
		s->head = (s->head + 1) % s->keep;
	}
	rmdir(s->dir);	/* when no other notifier keeps spares there: an outbox as before */
	pthread_cond_destroy(&s->room);
	pthread_mutex_destroy(&s->mu);
	free(s->ring);
	free(s->dir);
	free(s);
	*sp = NULL;
}

size_t outbox_spares_sweep(const char *outbox)
{
	char *dir = spares_dir(outbox);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t removed = 0;

	free(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		long pid;
		unsigned long seq;
		int end = 0;
		if (sscanf(e->d_name, "%ld.%lu%n", &pid, &seq, &end) != 2 || e->d_name[end] != '\0' || pid <= 0)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;	/* ours, or its process still runs (or is not ours to ask) */
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
