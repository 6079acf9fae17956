/*
 * spool - the local report journal: an append-only file of one-line
 * records in a folder (report_spool), read back from a durable position.
 *
 * Files in the folder:
 *   reports.journal  the records, one per line ('\n' never inside one)
 *   reports.pos      "GEN OFFSET\n": how far the journal has been consumed,
 *                    written atomically (temporary file, fsync, rename)
 *   reports.lock     flock(2)ed exclusively by the one reader at a time
 *
 * Writers (any number of processes) append with O_APPEND, one write(2) per
 * record under a shared flock on the journal, so records never interleave.
 * spool_sync() makes the appended records durable (fdatasync); callers
 * batch it.  A reader holds reports.lock, reads records from a position,
 * and saves the position it reached with spool_pos_save().  When the saved
 * position is the end of the journal and no writer holds the journal, the
 * journal is truncated and the generation GEN is incremented, so that a
 * reader that keeps its own copy of the position (relayguard-notify keeps
 * it inside its state file) can tell an old offset from a new one: an
 * offset of an older generation means "everything up to the truncation
 * point was consumed", i.e. continue from the saved position.
 *
 * A partial last line (a writer that died in the middle of write(2)) is
 * not returned until its newline arrives; records longer than
 * SPOOL_RECORD_MAX are skipped with a warning.
 *
 * Errors: functions return 0 (or a count) or -1 with *error_r pointing at
 * a static description (errno is kept).  Not thread-safe: one spool_t per
 * thread; several processes may share the folder.
 */
#ifndef RELAYGUARD_SPOOL_H
#define RELAYGUARD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest record, without its newline. */
#define SPOOL_RECORD_MAX 8192
/* Bytes read from the journal per read(2) while scanning. */
#define SPOOL_READ_CHUNK 65536

typedef struct spool spool_t;

/* A consumed position: generation and byte offset into the journal. */
struct spool_pos {
	uint64_t gen;
	uint64_t offset;
};

/*
 * Open (creating the folder, mode 0750, and the journal, mode 0640, when
 * missing; one missing parent level is created too) the spool in dir.
 * Returns 0 and *sp_r (caller frees with spool_close), or -1 with *error_r
 * a message naming the path (caller frees).
 */
int spool_open(const char *dir, spool_t **sp_r, char **error_r) __attribute__((warn_unused_result));
/* Sync what was appended, release any lock, close and free; *sp = NULL. */
void spool_close(spool_t **sp);

/* The folder, as given to spool_open (borrowed). */
const char *spool_dir(const spool_t *sp);

/*
 * Append one record of len bytes (no newline inside; 0 < len <=
 * SPOOL_RECORD_MAX).  Not durable until spool_sync().  Returns 0 or -1.
 */
int spool_append(spool_t *sp, const char *rec, size_t len, const char **error_r)
	__attribute__((warn_unused_result));
/* fdatasync the journal when something was appended since the last sync. */
int spool_sync(spool_t *sp, const char **error_r);
/* Records appended by this spool_t and not yet synced. */
size_t spool_unsynced(const spool_t *sp);

/* Bytes in the journal now. */
uint64_t spool_size(const spool_t *sp);

/*
 * Become the reader: 1 when the lock was taken (or is held already), 0 when
 * another process holds it, -1 on error.  Never blocks.
 */
int spool_reader_lock(spool_t *sp, const char **error_r);
void spool_reader_unlock(spool_t *sp);

/* The saved position ({0,0} when none was saved yet). */
int spool_pos_load(spool_t *sp, struct spool_pos *pos_r, const char **error_r)
	__attribute__((warn_unused_result));

/*
 * Save pos durably (the reader lock must be held).  When pos.offset is the
 * end of the journal (and no writer is appending at that moment), the
 * journal is truncated and the saved position becomes {gen + 1, 0}; that is
 * then returned in *saved_r (may be NULL).
 */
int spool_pos_save(spool_t *sp, const struct spool_pos *pos, struct spool_pos *saved_r,
		   const char **error_r) __attribute__((warn_unused_result));

/*
 * Call cb for each complete record from offset on, at most max_records;
 * end is the offset just past the record's newline.  A non-zero return
 * from cb stops the scan (that record is not counted).  *next_r is the
 * offset after the last record handed over.  Returns the number of records
 * handed over, or -1.
 */
typedef int spool_record_cb(const char *rec, size_t len, uint64_t end, void *ctx);
long spool_read(spool_t *sp, uint64_t offset, size_t max_records, spool_record_cb *cb, void *ctx,
		uint64_t *next_r, const char **error_r);

#endif
