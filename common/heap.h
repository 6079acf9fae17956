/*
 * heap - the daemons' malloc settings, and giving memory back after a reload.
 *
 * A SIGHUP builds a new engine (its LRU bucket array alone is 8 bytes per
 * cache_size entry: 1 MiB by default) while the old one still serves the
 * checks in flight, then frees the old one.  With glibc's defaults that
 * ratchets the resident size up over the first reloads (measured in
 * doc/PERFORMANCE.md, "Soak"):
 *
 *  - glibc's mmap threshold is dynamic: freeing a block larger than the
 *    current threshold raises the threshold to that block's size.  The
 *    first reload frees the first engines' 1 MiB tables, which were mmap()ed;
 *    from then on every new table comes from a malloc arena instead, and
 *    calloc() touches every page of it, so it is resident at once;
 *  - the new table is allocated before the old one is freed, so the arena
 *    grows, and the old one leaves a hole in it.  glibc gives back only the
 *    free space at an arena's top, never a hole, so the holes stay resident.
 *    Each worker thread has its own arena, and the main thread's heap keeps
 *    the engine it builds to check the new configuration.
 *
 * heap_setup() fixes the threshold (glibc then also stops raising its trim
 * threshold), so large tables are always mapped on their own and unmapped
 * when freed; heap_release() hands the free pages inside every arena back
 * with malloc_trim(0) once a generation is gone.  Both are no-ops on a C
 * library without them.  A program whose threads come and go (the milter:
 * libmilter runs a thread per session) may also cap the number of arenas:
 * each new thread takes the next arena, and free pages get touched again in
 * one arena after another between two trims.
 *
 * Thread-safe (malloc's own locks).
 */
#ifndef RELAYGUARD_HEAP_H
#define RELAYGUARD_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Blocks of at least this many bytes are mmap()ed on their own: glibc's own
 * initial value, kept from being raised.  Nothing on the per-request path
 * allocates that much; engine tables, list sets and cache arrays do.
 */
#define HEAP_MMAP_THRESHOLD (128 * 1024)

/* What malloc holds, for the log (bytes). */
struct heap_usage {
	size_t in_use;		/* allocated and not freed (arenas + mapped blocks) */
	size_t free_kept;	/* free in the arenas, still counted by the system */
	size_t mapped;		/* blocks mmap()ed on their own */
};

/*
 * Call once at start, before any thread: the threshold above, and with
 * arenas_max > 0 at most that many malloc arenas (0: glibc's default, 8 per
 * core).  An operator's MALLOC_ARENA_MAX (or glibc.malloc.arena_max in
 * GLIBC_TUNABLES) wins over arenas_max.
 */
void heap_setup(unsigned arenas_max);

/*
 * A configuration generation was freed: return the free pages of every
 * arena to the system, then log at info level what malloc holds, after who
 * (e.g. "policy: previous configuration freed").  malloc_trim() walks the
 * free chunks of every arena and takes each arena's lock in turn: once per
 * reload and worker (in policyd on the worker's loop, after the reply to the
 * last check on the old engine), not per request.
 */
void heap_release(const char *who);

/* Fill *u; false (u zeroed) when the C library cannot tell. */
bool heap_usage(struct heap_usage *u);

#endif
