/* filelists - local list files, loaded and kept fresh; see filelists.h. */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filelists.h"
#include "listfile.h"
#include "log.h"
#include "mem.h"

struct filelist {
	char *name;
	char *path;
	enum listfile_format format;	/* auto unless file_lists names one */
	listfile_t *list;
	struct stat st;		/* of the file as last loaded */
};

struct filelists {
	struct filelist *items;
	size_t n;
	bool abort_on_bad_line;
	size_t max_entries;	/* file_lists_max_entries, per list */
	struct event *poll;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Load one file into f (replacing its list on success). */
static int filelist_load(const struct filelists *fl, struct filelist *f, char **error_r)
{
	struct listfile_opts opts = { .format = f->format,
				      .abort_on_bad_line = fl->abort_on_bad_line,
				      .max_entries = fl->max_entries };
	listfile_t *list = NULL;
	struct stat st;

	/* stat before reading: a change during the read is seen at the next poll. */
	if (stat(f->path, &st) != 0)
		memset(&st, 0, sizeof(st));
	if (listfile_load(f->path, &opts, &list, error_r) != 0)
		return -1;
	listfile_free(&f->list);
	f->list = list;
	f->st = st;
	return 0;
}

static void filelist_refresh(struct filelists *fl, struct filelist *f, bool force)
{
	struct stat st;
	char *error = NULL;

	if (!force && (stat(f->path, &st) != 0 || same_file(&st, &f->st)))
		return;
	if (filelist_load(fl, f, &error) != 0) {
		log_error("file list %s: reload failed, keeping the previous contents: %s", f->name, error);
		free(error);
		/* Do not retry the same broken file every poll. */
		if (stat(f->path, &st) == 0)
			f->st = st;
		return;
	}
	log_notice("file list %s: reloaded %zu entries from %s", f->name, listfile_entries(f->list),
		   f->path);
}

static void filelists_poll(evutil_socket_t fd, short what, void *arg)
{
	struct filelists *fl = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < fl->n; i++)
		filelist_refresh(fl, &fl->items[i], false);
}

int filelists_new(struct event_base *base, const struct cfg_filelists *cf, bool abort_on_bad_line,
		  size_t max_entries, filelists_t **lists_r, char **error_r)
{
	struct filelists *fl = xcalloc(1, sizeof(*fl));

	*lists_r = NULL;
	fl->abort_on_bad_line = abort_on_bad_line;
	fl->max_entries = max_entries;
	fl->items = xcalloc(cf->n ? cf->n : 1, sizeof(*fl->items));
	for (size_t i = 0; i < cf->n; i++) {
		struct filelist *f = &fl->items[fl->n++];
		f->name = xstrdup(cf->items[i].name);
		f->path = xstrdup(cf->items[i].path);
		if (listfile_format_parse(cf->items[i].format, &f->format) != 0)
			f->format = LISTFILE_AUTO;	/* "" */
		if (filelist_load(fl, f, error_r) != 0) {
			filelists_free(&fl);
			return -1;
		}
		log_info("file list %s: %zu entries from %s", f->name, listfile_entries(f->list), f->path);
	}
	if (fl->n > 0) {
		struct timeval tv = { FILELISTS_POLL_MS / 1000, (FILELISTS_POLL_MS % 1000) * 1000 };
		fl->poll = event_new(base, -1, EV_PERSIST, filelists_poll, fl);
		event_add(fl->poll, &tv);
	}
	*lists_r = fl;
	return 0;
}

void filelists_free(filelists_t **flp)
{
	struct filelists *fl = *flp;

	if (fl == NULL)
		return;
	if (fl->poll != NULL)
		event_free(fl->poll);
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->items[i].name);
		free(fl->items[i].path);
		listfile_free(&fl->items[i].list);
	}
	free(fl->items);
	free(fl);
	*flp = NULL;
}

bool filelists_lookup(const filelists_t *fl, size_t index, const addr_t *a, uint32_t *code_r,
		      struct buf *txt)
{
	struct listfile_hit hit;

	if (index >= fl->n || !listfile_lookup(fl->items[index].list, a, &hit))
		return false;
	*code_r = hit.code;
	if (txt != NULL && hit.text != NULL)
		listfile_expand_text(hit.text, a, txt);
	return true;
}

void filelists_reload(filelists_t *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		filelist_refresh(fl, &fl->items[i], true);
}

size_t filelists_entries(const filelists_t *fl, size_t index)
{
	return index < fl->n ? listfile_entries(fl->items[index].list) : 0;
}
