/*
 * test_heap - the daemons' malloc settings (common/heap), on glibc's malloc:
 *
 *  - after heap_setup(), a 1 MiB block freed and asked for again is mapped on
 *    its own again (glibc's dynamic threshold would have moved the second one
 *    into an arena, where calloc touches all of it and a free leaves a hole);
 *  - heap_release() hands back the pages of a hole in a thread's arena that
 *    glibc keeps otherwise (the hole is below a block still in use);
 *  - heap_usage() sees blocks in use;
 *  - with arenas_max 2, six threads allocating at once share at most 2 arenas.
 *
 * Under ASan (or valgrind) malloc is theirs: only heap_usage() is checked.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "mem.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define TEST_ARENAS 2
#define N_THREADS 6		/* at once, each with a block in use */
#define BIG ((size_t)1 << 20)
#define SMALL 200		/* above the fastbins: freed neighbours merge */
#define N_SMALL 20000		/* 4 MB of them */

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static size_t mapped_blocks(void)
{
	return mallinfo2().hblks;
}

/* What a reload does to the cache table: free the old one, make a new one. */
static void *threshold_thread(void *arg)
{
	size_t *grew = arg;
	char *a = xcalloc(1, BIG);
	size_t before;

	free(a);
	before = mapped_blocks();
	a = xcalloc(1, BIG);
	grew[0] = mapped_blocks() - before;
	free(a);
	return NULL;
}

/* A hole of N_SMALL freed blocks under one still in use, in this thread's arena. */
static void *hole_thread(void *arg)
{
	long *kb = arg;
	char **p = xcalloc(N_SMALL, sizeof(*p));
	char *pin;

	for (int i = 0; i < N_SMALL; i++) {
		p[i] = xmalloc(SMALL);
		memset(p[i], 'x', SMALL);
	}
	pin = xmalloc(SMALL);	/* keeps the arena's top from shrinking */
	for (int i = 0; i < N_SMALL; i++)
		free(p[i]);
	free(p);
	kb[0] = rss_kb();
	heap_release("test");
	kb[1] = rss_kb();
	free(pin);
	return NULL;
}

static pthread_barrier_t together;

/* Allocate, then wait until every thread holds its block. */
static void *arena_thread(void *arg)
{
	char *p = xmalloc(SMALL);

	(void)arg;
	memset(p, 1, SMALL);
	pthread_barrier_wait(&together);
	pthread_barrier_wait(&together);
	free(p);
	return NULL;
}

/* Arenas malloc made so far (heaps in malloc_info). */
static int arenas_in_use(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n = 0;

	if (f == NULL)
		return -1;
	malloc_info(0, f);
	fclose(f);
	for (const char *p = text; (p = strstr(p, "<heap nr=")) != NULL; p++)
		n++;
	free(text);
	return n;
}

static void check_arenas(void)
{
	pthread_t t[N_THREADS];
	int n;

	pthread_barrier_init(&together, NULL, N_THREADS + 1);
	for (int i = 0; i < N_THREADS; i++)
		if (pthread_create(&t[i], NULL, arena_thread, NULL) != 0)
			abort();
	pthread_barrier_wait(&together);
	n = arenas_in_use();
	pthread_barrier_wait(&together);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&together);
	ok(n >= 1 && n <= TEST_ARENAS, "%d threads allocating at once use %d arenas (at most %d)",
	   N_THREADS, n, TEST_ARENAS);
}

static void run(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg) != 0) {
		ok(false, "thread started");
		return;
	}
	pthread_join(t, NULL);
}

int main(void)
{
	struct heap_usage u;
	char *held = xmalloc(BIG);

	heap_setup(TEST_ARENAS);
	memset(held, 1, BIG);
	bool known = heap_usage(&u);
#if defined(HAVE_MALLINFO2) && defined(UNDER_ASAN)
	ok(known, "heap_usage() answers (ASan's malloc: glibc's counters stay empty)");
#elif defined(HAVE_MALLINFO2)
	ok(known && u.in_use >= BIG, "heap_usage() sees the 1 MiB block in use (%zu kB)", u.in_use / 1024);
#else
	ok(!known && u.in_use == 0, "heap_usage() says it cannot tell");
#endif
	free(held);
#if !defined(UNDER_ASAN) && defined(HAVE_MALLOPT) && defined(HAVE_MALLOC_TRIM) && defined(HAVE_MALLINFO2)
	size_t grew = 0;
	long kb[2] = { 0, 0 };

	check_arenas();
	run(threshold_thread, &grew);
	is_int(grew, 1, "a 1 MiB block asked for after one was freed is mapped on its own");
	run(hole_thread, kb);
	ok(kb[0] - kb[1] >= 2048, "heap_release() gave back the pages of a 4 MB hole (RSS %ld -> %ld kB)",
	   kb[0], kb[1]);
#else
	tap_diag("malloc is not glibc's here: only heap_usage() checked");
	(void)run;
	(void)check_arenas;
	(void)threshold_thread;
	(void)hole_thread;
#endif
	return tap_done();
}
