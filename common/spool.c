/*
 * spool - the local report journal.  See spool.h for the contract.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "daemon.h"
#include "spool.h"

#define SPOOL_JOURNAL "reports.journal"
#define SPOOL_POS "reports.pos"
#define SPOOL_LOCK "reports.lock"
/* Longest text of a position file ("GEN OFFSET\n"). */
#define SPOOL_POS_TEXT_MAX 64

struct spool {
	char *dir;
	int fd;			/* journal, O_APPEND */
	int lock_fd;		/* reports.lock while we are the reader, else -1 */
	size_t unsynced;
};

static char *path_in(const spool_t *sp, const char *name)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s/%s", sp->dir, name);
	return buf_detach(&p);
}

/* The spool folder and whatever is missing above it. */
static int make_dir(const char *dir)
{
	return daemon_mkdirs(dir, 0750);
}

int spool_open(const char *dir, spool_t **sp_r, char **error_r)
{
	spool_t *sp = xcalloc(1, sizeof(*sp));
	struct buf err = BUF_INIT;

	*sp_r = NULL;
	sp->dir = xstrdup(dir);
	sp->lock_fd = -1;
	sp->fd = -1;
	if (*dir == '\0') {
		*error_r = xstrdup("report spool: no folder configured");
		spool_close(&sp);
		return -1;
	}
	if (make_dir(dir) != 0) {
		buf_printf(&err, "report spool %s: cannot create the folder: %s", dir, strerror(errno));
		*error_r = buf_detach(&err);
		spool_close(&sp);
		return -1;
	}
	char *jp = path_in(sp, SPOOL_JOURNAL);
	sp->fd = open(jp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (sp->fd < 0) {
		buf_printf(&err, "report spool %s: %s", jp, strerror(errno));
		*error_r = buf_detach(&err);
		free(jp);
		spool_close(&sp);
		return -1;
	}
	free(jp);
	*sp_r = sp;
	return 0;
}

void spool_close(spool_t **spp)
{
	spool_t *sp = *spp;
	const char *why;

	if (sp == NULL)
		return;
	if (sp->fd >= 0) {
		if (spool_sync(sp, &why) != 0)
			log_warning("report spool %s: %s: %s", sp->dir, why, strerror(errno));
		close(sp->fd);
	}
	spool_reader_unlock(sp);
	free(sp->dir);
	free(sp);
	*spp = NULL;
}

const char *spool_dir(const spool_t *sp)
{
	return sp->dir;
}

int spool_append(spool_t *sp, const char *rec, size_t len, const char **error_r)
{
	if (len == 0 || len > SPOOL_RECORD_MAX || memchr(rec, '\n', len) != NULL) {
		*error_r = "record empty, too long or with a newline";
		errno = EINVAL;
		return -1;
	}
	char *line = xmalloc(len + 1);
	memcpy(line, rec, len);
	line[len] = '\n';
	/* The shared lock keeps a reader from truncating under our write. */
	if (flock(sp->fd, LOCK_SH) != 0) {
		free(line);
		*error_r = "cannot lock the journal";
		return -1;
	}
	ssize_t n = write(sp->fd, line, len + 1);
	int saved = errno;
	flock(sp->fd, LOCK_UN);
	free(line);
	if (n != (ssize_t)(len + 1)) {
		errno = n < 0 ? saved : ENOSPC;
		*error_r = "cannot append to the journal";
		return -1;
	}
	sp->unsynced++;
	return 0;
}

int spool_sync(spool_t *sp, const char **error_r)
{
	if (sp->unsynced == 0)
		return 0;
	if (fdatasync(sp->fd) != 0) {
		*error_r = "cannot sync the journal";
		return -1;
	}
	sp->unsynced = 0;
	return 0;
}

size_t spool_unsynced(const spool_t *sp)
{
	return sp->unsynced;
}

uint64_t spool_size(const spool_t *sp)
{
	struct stat st;

	if (fstat(sp->fd, &st) != 0)
		return 0;
	return (uint64_t)st.st_size;
}

int spool_reader_lock(spool_t *sp, const char **error_r)
{
	if (sp->lock_fd >= 0)
		return 1;
	char *lp = path_in(sp, SPOOL_LOCK);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	free(lp);
	if (fd < 0) {
		*error_r = "cannot open the reader lock";
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		close(fd);
		if (busy)
			return 0;
		*error_r = "cannot lock the reader lock";
		return -1;
	}
	sp->lock_fd = fd;
	return 1;
}

void spool_reader_unlock(spool_t *sp)
{
	if (sp->lock_fd >= 0) {
		close(sp->lock_fd);	/* releases the flock */
		sp->lock_fd = -1;
	}
}

int spool_pos_load(spool_t *sp, struct spool_pos *pos_r, const char **error_r)
{
	char text[SPOOL_POS_TEXT_MAX];
	char *pp = path_in(sp, SPOOL_POS);
	int fd = open(pp, O_RDONLY | O_CLOEXEC);

	free(pp);
	pos_r->gen = 0;
	pos_r->offset = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = "cannot open the position file";
		return -1;
	}
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		*error_r = "cannot read the position file";
		return -1;
	}
	text[n] = '\0';
	if (sscanf(text, "%" SCNu64 " %" SCNu64, &pos_r->gen, &pos_r->offset) != 2) {
		*error_r = "position file is damaged";
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Write "GEN OFFSET" to a temporary file, sync it and rename it in place. */
static int pos_write(spool_t *sp, const struct spool_pos *pos, const char **error_r)
{
	char *pp = path_in(sp, SPOOL_POS);
	struct buf tmp = BUF_INIT, text = BUF_INIT;
	int rc = -1;

	buf_printf(&tmp, "%s.tmp.%ld", pp, (long)getpid());
	buf_printf(&text, "%" PRIu64 " %" PRIu64 "\n", pos->gen, pos->offset);
	int fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		*error_r = "cannot create the position file";
	} else if (write(fd, text.data, text.len) != (ssize_t)text.len || fsync(fd) != 0) {
		*error_r = "cannot write the position file";
		close(fd);
		unlink(buf_cstr(&tmp));
	} else if (close(fd) != 0 || rename(buf_cstr(&tmp), pp) != 0) {
		*error_r = "cannot rename the position file";
		unlink(buf_cstr(&tmp));
	} else {
		rc = 0;
	}
	buf_free(&tmp);
	buf_free(&text);
	free(pp);
	return rc;
}

int spool_pos_save(spool_t *sp, const struct spool_pos *pos, struct spool_pos *saved_r,
		   const char **error_r)
{
	struct spool_pos p = *pos;

	if (pos_write(sp, &p, error_r) != 0)
		return -1;
	/* Everything consumed: truncate, unless a writer is in the middle of
	 * an append (it holds the shared lock); the next save tries again. */
	if (p.offset > 0 && p.offset == spool_size(sp) && flock(sp->fd, LOCK_EX | LOCK_NB) == 0) {
		if (p.offset == spool_size(sp)) {
			struct spool_pos next = { p.gen + 1, 0 };
			/* The new generation is saved first: a crash between the
			 * two steps leaves a consumed journal that reads again
			 * from 0, which the idempotent consumers tolerate. */
			if (pos_write(sp, &next, error_r) == 0 && ftruncate(sp->fd, 0) == 0)
				p = next;
		}
		flock(sp->fd, LOCK_UN);
	}
	if (saved_r != NULL)
		*saved_r = p;
	return 0;
}

/* Hand the complete lines of data[0..len) to cb; returns bytes consumed. */
static size_t scan_lines(const char *data, size_t len, uint64_t base, size_t max, size_t *count,
			 spool_record_cb *cb, void *ctx, bool *stop)
{
	size_t used = 0;

	while (used < len && *count < max && !*stop) {
		const char *nl = memchr(data + used, '\n', len - used);
		if (nl == NULL)
			break;
		size_t rlen = (size_t)(nl - (data + used));
		uint64_t end = base + used + rlen + 1;
		if (rlen > SPOOL_RECORD_MAX) {
			log_warning("report spool: record of %zu bytes at offset %" PRIu64 " skipped",
				    rlen, base + used);
		} else if (rlen > 0) {
			if (cb(data + used, rlen, end, ctx) != 0) {
				*stop = true;
				break;
			}
			(*count)++;
		}
		used += rlen + 1;
	}
	return used;
}

long spool_read(spool_t *sp, uint64_t offset, size_t max_records, spool_record_cb *cb, void *ctx,
		uint64_t *next_r, const char **error_r)
{
	char *jp = path_in(sp, SPOOL_JOURNAL);
	int fd = open(jp, O_RDONLY | O_CLOEXEC);
	struct buf pending = BUF_INIT;
	size_t count = 0;
	bool stop = false;
	uint64_t pos = offset;	/* offset of pending.data[0] */

	free(jp);
	*next_r = offset;
	if (fd < 0) {
		*error_r = "cannot open the journal for reading";
		return -1;
	}
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		*error_r = "cannot seek in the journal";
		close(fd);
		return -1;
	}
	char *chunk = xmalloc(SPOOL_READ_CHUNK);
	while (count < max_records && !stop) {
		ssize_t n = read(fd, chunk, SPOOL_READ_CHUNK);
		if (n < 0) {
			*error_r = "cannot read the journal";
			free(chunk);
			buf_free(&pending);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		buf_append(&pending, chunk, (size_t)n);
		size_t used = scan_lines(pending.data, pending.len, pos, max_records, &count, cb, ctx,
					 &stop);
		pos += used;
		*next_r = pos;
		buf_consume(&pending, used);
		/* An over-long line without its newline yet: skip what we have. */
		if (pending.len > SPOOL_RECORD_MAX + 1 && memchr(pending.data, '\n', pending.len) == NULL) {
			pos += pending.len;
			buf_reset(&pending);
		}
	}
	free(chunk);
	buf_free(&pending);
	close(fd);
	return (long)count;
}
