/*
 * malloc_probe - an LD_PRELOAD library that writes one line of glibc's
 * malloc statistics every MPROBE_EVERY milliseconds (default 1000) to the
 * file MPROBE_OUT, from a thread of its own with every signal blocked (so
 * that a daemon's signal handling is unchanged).  Diagnostic only; how the
 * soak's RSS was explained (doc/PERFORMANCE.md, "Soak").
 *
 *   cc -O1 -shared -fPIC -pthread -o malloc_probe.so bench/malloc_probe.c
 *   env LD_PRELOAD=$PWD/malloc_probe.so MPROBE_OUT=/tmp/p.txt relayguard-policyd -f ...
 *
 * Line: seconds since start, then mallinfo2() fields: arena (bytes the
 * arenas hold), hblks/hblkhd (blocks mapped on their own and their bytes),
 * uord (in use in the arenas), ford (free in the arenas), keep (releasable
 * top), and narenas (heaps in malloc_info()).  The probe's own thread adds
 * one small arena.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *out;
static unsigned every_ms = 1000;

static int count_arenas(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int n = 0;

	if (m == NULL)
		return -1;
	malloc_info(0, m);
	fclose(m);
	for (const char *p = text; (p = strstr(p, "<heap nr=")) != NULL; p++)
		n++;
	free(text);
	return n;
}

static void *probe_main(void *arg)
{
	struct timespec t0, now;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec d = { every_ms / 1000, (long)(every_ms % 1000) * 1000000L };
		nanosleep(&d, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		struct mallinfo2 mi = mallinfo2();
		fprintf(out, "%.1f arena=%zu hblks=%zu hblkhd=%zu uord=%zu ford=%zu keep=%zu narenas=%d\n",
			(double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9,
			mi.arena, mi.hblks, mi.hblkhd, mi.uordblks, mi.fordblks, mi.keepcost,
			count_arenas());
		fflush(out);
	}
	return NULL;
}

__attribute__((constructor)) static void probe_init(void)
{
	const char *path = getenv("MPROBE_OUT"), *every = getenv("MPROBE_EVERY");
	sigset_t all, old;
	pthread_t t;

	if (path == NULL || (out = fopen(path, "a")) == NULL)
		return;
	if (every != NULL && atoi(every) > 0)
		every_ms = (unsigned)atoi(every);
	unsetenv("LD_PRELOAD");	/* not for the programs the daemon starts */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, probe_main, NULL) == 0)
		pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
