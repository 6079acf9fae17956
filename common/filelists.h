/*
 * filelists - the local list files of file_lists (NAME:[FORMAT:]PATH[*weight],
 * FORMAT a listfile format, auto by default),
 * loaded into CIDR sets and kept fresh: every FILELISTS_POLL_MS the files
 * are stat()ed and one that changed (inode, size or mtime) is loaded again
 * and swapped in; a file that no longer loads keeps its previous contents
 * and logs an error.  filelists_reload() forces a reload (SIGHUP).
 *
 * Threads: one event loop; lookups and reloads on that loop's thread only.
 * Ownership: filelists_new() copies what it needs from its arguments.
 */
#ifndef RELAYGUARD_FILELISTS_H
#define RELAYGUARD_FILELISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "cfgval.h"

/* How often the files are checked for changes. */
#define FILELISTS_POLL_MS 2000

struct event_base;
typedef struct filelists filelists_t;

/*
 * Load every list of fl (abort_on_bad_line: a bad line fails the load
 * instead of being skipped with a warning; max_entries: the most prefixes
 * of one list, 0 for no limit, file_lists_max_entries).  Returns 0, or -1
 * with *error_r (caller frees) naming the file and line.  A list past
 * max_entries fails at start; at a reload it is refused and the list keeps
 * its previous contents (as for any reload that fails).
 */
int filelists_new(struct event_base *base, const struct cfg_filelists *fl, bool abort_on_bad_line,
		  size_t max_entries, filelists_t **lists_r, char **error_r)
	__attribute__((warn_unused_result));
void filelists_free(filelists_t **lists);

/*
 * Is a listed in list number index (the order of file_lists)?  On a hit
 * *code_r is the 127.x.y.z code and, when txt is not NULL, the list's text
 * for a (with $ expanded) is appended to txt (nothing when the list has none).
 */
bool filelists_lookup(const filelists_t *lists, size_t index, const addr_t *a, uint32_t *code_r,
		      struct buf *txt);

/* Reload every file now (changed or not); failures keep the old contents. */
void filelists_reload(filelists_t *lists);

/* Entries in list number index (for logs and tests). */
size_t filelists_entries(const filelists_t *lists, size_t index);

#endif
