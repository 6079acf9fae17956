/* heap - the daemons' malloc settings; see heap.h for the why. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(HAVE_MALLOPT) || defined(HAVE_MALLOC_TRIM) || defined(HAVE_MALLINFO2)
#include <malloc.h>
#endif

#include "heap.h"
#include "log.h"

/* Did the operator choose the arena count (glibc read it at start)? */
static bool arenas_set_by_operator(void)
{
	const char *t = getenv("GLIBC_TUNABLES");

	return getenv("MALLOC_ARENA_MAX") != NULL || (t != NULL && strstr(t, "arena_max") != NULL);
}

void heap_setup(unsigned arenas_max)
{
#ifdef HAVE_MALLOPT
	/* setting it at all is what turns glibc's dynamic raising off */
	if (mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD) != 1)
		log_debug("heap: mallopt(M_MMAP_THRESHOLD) refused: large blocks may stay resident after a reload");
	if (arenas_max > 0 && !arenas_set_by_operator() && mallopt(M_ARENA_MAX, (int)arenas_max) != 1)
		log_debug("heap: mallopt(M_ARENA_MAX) refused");
#else
	(void)arenas_max;
	(void)arenas_set_by_operator;
#endif
}

bool heap_usage(struct heap_usage *u)
{
	memset(u, 0, sizeof(*u));
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();

	u->in_use = mi.uordblks + mi.hblkhd;
	u->free_kept = mi.fordblks;
	u->mapped = mi.hblkhd;
	return true;
#else
	return false;
#endif
}

void heap_release(const char *who)
{
	struct heap_usage u;

#ifdef HAVE_MALLOC_TRIM
	(void)malloc_trim(0);
#endif
	if (heap_usage(&u))
		log_info("%s: heap %zu kB in use (%zu kB of it mapped on its own), %zu kB free in "
			 "malloc's arenas (whole free pages returned to the system)",
			 who, u.in_use / 1024, u.mapped / 1024, u.free_kept / 1024);
}
