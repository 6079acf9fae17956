/* test_spool - the report journal: append, read, positions, truncation, locks. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "spool.h"
#include "tap.h"

struct seen {
	struct buf all;
	size_t n;
	size_t stop_at;	/* stop before this record (0 = never) */
};

static int collect(const char *rec, size_t len, uint64_t end, void *ctx)
{
	struct seen *s = ctx;

	(void)end;
	if (s->stop_at != 0 && s->n + 1 == s->stop_at)
		return 1;
	buf_append(&s->all, rec, len);
	buf_putc(&s->all, '|');
	s->n++;
	return 0;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/test_spool.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		abort();
	return xstrdup(tmpl);
}

static const struct {
	const char *rec;
	bool good;
	const char *what;
} append_cases[] = {
	{ "one", true, "a record" },
	{ "", false, "empty" },
	{ "a\nb", false, "a newline inside" },
	{ "two", true, "another" },
};

static void test_append_read(const char *dir)
{
	spool_t *sp = NULL;
	char *err = NULL;
	const char *why;
	uint64_t next;

	is_int(spool_open(dir, &sp, &err), 0, "open creates the folder");
	for (size_t i = 0; i < sizeof(append_cases) / sizeof(append_cases[0]); i++)
		is_int(spool_append(sp, append_cases[i].rec, strlen(append_cases[i].rec), &why),
		       append_cases[i].good ? 0 : -1, "append: %s", append_cases[i].what);
	is_int(spool_unsynced(sp), 2, "two records wait for a sync");
	is_int(spool_sync(sp, &why), 0, "sync");
	is_int(spool_unsynced(sp), 0, "nothing waits after it");

	struct seen s = { BUF_INIT, 0, 0 };
	is_int(spool_read(sp, 0, 100, collect, &s, &next, &why), 2, "both records read");
	is_str(buf_cstr(&s.all), "one|two|", "in order");
	is_int(next, 8, "next offset past the second newline");

	/* a writer died in the middle of a line: not handed over */
	char *jp = NULL;
	struct buf p = BUF_INIT;
	buf_printf(&p, "%s/reports.journal", dir);
	jp = buf_detach(&p);
	int fd = open(jp, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "thr", 3) == 3, "a partial line written");
	buf_reset(&s.all);
	s.n = 0;
	is_int(spool_read(sp, next, 100, collect, &s, &next, &why), 0, "a partial line is not a record");
	is_int(next, 8, "and the offset stays");
	ok(write(fd, "ee\n", 3) == 3, "the line completed");
	close(fd);
	is_int(spool_read(sp, next, 100, collect, &s, &next, &why), 1, "now it is");
	is_str(buf_cstr(&s.all), "three|", "whole");

	/* max_records and a callback that stops */
	buf_reset(&s.all);
	s.n = 0;
	is_int(spool_read(sp, 0, 2, collect, &s, &next, &why), 2, "max_records holds");
	is_int(next, 8, "the offset after the second record");
	buf_reset(&s.all);
	s.n = 0;
	s.stop_at = 2;
	is_int(spool_read(sp, 0, 100, collect, &s, &next, &why), 1, "a callback can stop the scan");
	is_int(next, 4, "before the refused record");
	buf_free(&s.all);
	free(jp);
	spool_close(&sp);
	ok(sp == NULL, "close sets NULL");
}

static void test_positions(const char *dir)
{
	spool_t *sp = NULL, *other = NULL;
	char *err = NULL;
	const char *why;
	struct spool_pos pos, saved;

	if (spool_open(dir, &sp, &err) != 0 || spool_open(dir, &other, &err) != 0)
		abort();
	is_int(spool_pos_load(sp, &pos, &why), 0, "no position yet");
	is_int(pos.offset, 0, "starts at 0");
	is_int(spool_reader_lock(sp, &why), 1, "the first reader gets the lock");
	is_int(spool_reader_lock(other, &why), 0, "a second one does not");
	pos.offset = 4;
	is_int(spool_pos_save(sp, &pos, &saved, &why), 0, "save a position in the middle");
	is_int(saved.offset, 4, "saved as given");
	is_int(spool_pos_load(other, &pos, &why), 0, "another opener reads it");
	is_int(pos.offset, 4, "the same offset");
	pos.offset = spool_size(sp);
	is_int(spool_pos_save(sp, &pos, &saved, &why), 0, "save the end");
	is_int(saved.gen, 1, "the journal was truncated: a new generation");
	is_int(saved.offset, 0, "from offset 0");
	is_int(spool_size(sp), 0, "the journal is empty");
	spool_reader_unlock(sp);
	is_int(spool_reader_lock(other, &why), 1, "the lock is free again");
	spool_close(&other);
	spool_close(&sp);

	is_int(spool_open("", &sp, &err), -1, "no folder is an error");
	free(err);
	err = NULL;
	is_int(spool_open("/proc/nonexistent/deeper/spool", &sp, &err), -1,
	       "a folder that cannot be made is an error");
	ok(err != NULL && strstr(err, "/proc/nonexistent/deeper/spool") != NULL, "naming it: %s",
	   err ? err : "");
	free(err);
}

static void test_limits(const char *dir)
{
	spool_t *sp = NULL;
	char *err = NULL;
	const char *why;
	char *big = xmalloc(SPOOL_RECORD_MAX + 1);

	if (spool_open(dir, &sp, &err) != 0)
		abort();
	memset(big, 'x', SPOOL_RECORD_MAX + 1);
	is_int(spool_append(sp, big, SPOOL_RECORD_MAX, &why), 0, "a record of SPOOL_RECORD_MAX bytes");
	is_int(spool_append(sp, big, SPOOL_RECORD_MAX + 1, &why), -1, "one byte more is refused");
	free(big);
	spool_close(&sp);
}

int main(void)
{
	char *base = tmpdir();
	struct buf dir = BUF_INIT;

	buf_printf(&dir, "%s/missing-parent/spool", base);
	test_append_read(buf_cstr(&dir));
	test_positions(buf_cstr(&dir));
	test_limits(buf_cstr(&dir));
	buf_free(&dir);
	int rc = tap_done();
	struct buf cmd = BUF_INIT;
	buf_printf(&cmd, "rm -rf '%s'", base);
	if (system(buf_cstr(&cmd)) != 0)
		rc = 1;
	buf_free(&cmd);
	free(base);
	return rc;
}
