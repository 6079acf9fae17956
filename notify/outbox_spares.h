/*
 * outbox_spares - empty files made ahead of need in an outbox folder, by a
 * thread of their own, so that writing a notice costs no file creation on
 * the notifier's path.
 *
 * Why: creating a file is the most expensive step of an outbox notice.  On
 * ext4 the inode allocation reads inode-table blocks, and on a file system
 * without a journal it also skips every recently deleted inode (measured:
 * a quarter to a half of the notifier's CPU for 20,000 notices, 1.7 to 6 s
 * of system time, doc/PERFORMANCE.md).  The spares thread pays that while
 * the notifier reads the report stream, loads the owners or renders; the
 * notice is then written into a spare and renamed to its final name by
 * deliver_flush(), as a temporary file was before.
 *
 * The maker runs at nice 19: it uses idle CPU only, and when no spare is
 * ready the notifier creates its file itself.  It fills up to keep spares
 * before the first notice; after that it replaces the spares taken while
 * notices keep coming, and stops OUTBOX_SPARES_IDLE_MS after the last one
 * (down to OUTBOX_SPARES_LOW), so that the end of a burst leaves few spares
 * made for nothing.
 *
 * The spares are "<outbox>/.spares/PID.SEQ", mode 0640.  A folder of their
 * own, because creating a file holds its folder's lock for the whole
 * inode allocation: in the outbox itself, every lookup of a notice's name
 * would wait for the maker.  A dot name: outbox readers skip it, as they
 * skip the ".ID.tmp.PID" temporary files.  At most keep spares are ready
 * at a time; outbox_spares_stop() removes those not used.
 * outbox_spares_sweep() removes the ones a process left behind when it
 * died (its PID no longer runs).
 *
 * Thread-safety: one caller thread per spares_t (outbox_spares_take and
 * outbox_spares_stop); the maker thread is internal.
 */
#ifndef RELAYGUARD_OUTBOX_SPARES_H
#define RELAYGUARD_OUTBOX_SPARES_H

#include <stddef.h>

/* Ready spares at most.  The caller asks for fewer when fewer notices can
 * go out (deliver_new: notify_rate per hour): 20,000 notices in one pass
 * (bench/notify-bench.sh) then find their files made while the owners
 * loaded and the first events were counted. */
#define OUTBOX_SPARES_MAX 16384u
#define OUTBOX_SPARES_DIR ".spares"	/* inside the outbox */
#define OUTBOX_SPARES_LOW 64u		/* kept ready however long no notice came */
#define OUTBOX_SPARES_IDLE_MS 500	/* after the last take: stop making more */

typedef struct outbox_spares outbox_spares_t;

/* Start making spares for the outbox folder (which exists).  NULL when the
 * folder or the thread cannot be made: the caller then creates its own
 * files, as without spares. */
outbox_spares_t *outbox_spares_start(const char *outbox, size_t keep);

/* A ready spare's path (caller frees; the file is the caller's now), or NULL
 * when none is ready or the maker stopped (a creation failed): the caller
 * creates its own file.  Never waits. */
char *outbox_spares_take(outbox_spares_t *s);

/* Stop the maker, wait for it, remove the spares not taken and the
 * spares' folder when it is empty; *sp = NULL. */
void outbox_spares_stop(outbox_spares_t **sp);

/* Remove the outbox's spares of processes that no longer run.  Spares removed. */
size_t outbox_spares_sweep(const char *outbox);

#endif
