/*
 * test_outbox_spares - empty outbox files made ahead by a thread: how many,
 * where, handed out once each, removed when not used, and the sweep of a
 * dead process's spares; then an outbox notice written into a spare.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "outbox_spares.h"
#include "tap.h"

static char top[64];

/* Files in dir (-1: no such folder). */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Wait up to 10 s for dir to hold want files (the maker runs on its own). */
static int wait_files(const char *dir, int want)
{
	int n = -1;

	for (int i = 0; i < 1000 && (n = count_files(dir)) != want; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	return n;
}

static void test_pool(const char *outbox)
{
	char spares[128], *taken[3];
	struct stat st;

	snprintf(spares, sizeof(spares), "%s/" OUTBOX_SPARES_DIR, outbox);
	outbox_spares_t *s = outbox_spares_start(outbox, 8);
	ok(s != NULL, "the maker starts");
	is_int(wait_files(spares, 8), 8, "it makes keep = 8 spares, in <outbox>/.spares");
	for (int i = 0; i < 3; i++)
		taken[i] = outbox_spares_take(s);
	ok(taken[0] && taken[1] && taken[2] && strcmp(taken[0], taken[1]) != 0 && strcmp(taken[1], taken[2]) != 0,
	   "each take hands out another spare");
	ok(stat(taken[0], &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 0777 & ~0640) == 0,
	   "a spare is an empty regular file, mode 0640 at most");
	ok(strncmp(taken[0], spares, strlen(spares)) == 0, "in the spares' folder");
	is_int(wait_files(spares, 11), 11, "the maker makes up what was taken (8 ready + 3 taken)");
	for (int i = 0; i < 3; i++) {
		unlink(taken[i]);
		free(taken[i]);
	}
	outbox_spares_stop(&s);
	ok(s == NULL, "stop clears the handle");
	ok(access(spares, F_OK) != 0 && errno == ENOENT, "stop removes the unused spares and the empty folder");
	outbox_spares_stop(&s);	/* a second stop is a no-op */
}

static void test_sweep(const char *outbox)
{
	char spares[128], dead[192], live[192], other[192];

	snprintf(spares, sizeof(spares), "%s/" OUTBOX_SPARES_DIR, outbox);
	mkdir(spares, 0750);
	/* PIDs never exceed 2^22 on Linux: 99999999 runs nowhere */
	snprintf(dead, sizeof(dead), "%s/99999999.7", spares);
	snprintf(live, sizeof(live), "%s/%ld.7", spares, (long)getppid());
	snprintf(other, sizeof(other), "%s/notes.txt", spares);
	fclose(fopen(dead, "w"));
	fclose(fopen(live, "w"));
	fclose(fopen(other, "w"));
	is_int(outbox_spares_sweep(outbox), 1, "the sweep removes one spare");
	ok(access(dead, F_OK) != 0, "the spare of a process that no longer runs");
	ok(access(live, F_OK) == 0, "not the spare of a running process");
	ok(access(other, F_OK) == 0, "not a file that is no spare");
	unlink(live);
	unlink(other);
	rmdir(spares);
	is_int(outbox_spares_sweep("/nonexistent/outbox"), 0, "no folder, nothing to sweep");
	ok(outbox_spares_start("/nonexistent/outbox", 4) == NULL, "no maker where the folder cannot be made");
}

/* A notice through the outbox transport lands in a spare, made final by the flush. */
static void test_deliver(const char *outbox)
{
	char transport[128], path[192], spares[128], *err = NULL;
	struct buf msg = BUF_INIT;
	deliver_t *d = NULL;

	snprintf(transport, sizeof(transport), "outbox:%s", outbox);
	snprintf(spares, sizeof(spares), "%s/" OUTBOX_SPARES_DIR, outbox);
	is_int(deliver_new(transport, "mx.test", 4, &d, &err), 0, "deliver_new with 4 spares");
	is_int(wait_files(spares, 4), 4, "4 spares made");
	buf_puts(&msg, "Subject: test\n\nbody\n");
	is_int(deliver_send(d, "rg-0123", "rg@mx.test", "abuse@net.test", "", &msg, &err), 0, "deliver_send");
	is_int(wait_files(spares, 5), 5, "the notice is written into a spare (4 ready again + the notice's)");
	is_int(deliver_flush(d, &err), 0, "deliver_flush");
	snprintf(path, sizeof(path), "%s/rg-0123.eml", outbox);
	FILE *f = fopen(path, "r");
	char got[64] = "";
	if (f != NULL) {
		size_t n = fread(got, 1, sizeof(got) - 1, f);
		got[n] = '\0';
		fclose(f);
	}
	is_str(got, "Subject: test\n\nbody\n", "the notice is final under its name, whole");
	is_int(wait_files(spares, 4), 4, "after the flush: 4 spares ready");
	deliver_free(&d);
	ok(access(spares, F_OK) != 0, "deliver_free leaves no spares behind");
	is_int(count_files(outbox), 1, "the outbox holds the notice only");
	unlink(path);
	buf_free(&msg);
	free(err);
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/test_outbox_spares.XXXXXX");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_pool(top);
	test_sweep(top);
	test_deliver(top);
	rmdir(top);
	return tap_done();
}
