/*
 * daemon - detach, pid file, privilege drop.  See daemon.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "mem.h"

/* Longest pid file content we read back: a decimal pid and a newline. */
#define DAEMON_PID_TEXT_MAX 32

/* *error_r = "WHAT ARG: strerror(errno)"; returns -1. */
static int fail(char **error_r, const char *what, const char *arg)
{
	struct buf e = BUF_INIT;

	buf_printf(&e, "%s%s: %s", what, arg, strerror(errno));
	*error_r = buf_detach(&e);
	return -1;
}

int daemon_detach(char **error_r)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return fail(error_r, "cannot fork", "");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return fail(error_r, "cannot start a session", "");
	if (chdir("/") != 0)
		return fail(error_r, "cannot change to ", "/");
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return fail(error_r, "cannot open ", "/dev/null");
	/* stdin, stdout and stderr on /dev/null: nothing may write to a tty */
	for (int i = 0; i < 3; i++)
		(void)dup2(fd, i);
	if (fd > 2)
		close(fd);
	return 0;
}

/* daemon_mkdirs(), giving the folders it creates to uid/gid ((uid_t)-1: as they are). */
static int mkdirs_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	char *p = xstrdup(dir);
	int rc = 0;

	/* Each prefix ending before a '/', then the whole path. */
	for (char *s = p + 1; rc == 0; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, last ? mode : 0755) == 0) {
			if (uid != (uid_t)-1 && chown(p, uid, gid) != 0)
				rc = -1;
		} else if (errno != EEXIST) {
			rc = -1;
		}
		if (last)
			break;
		*s = '/';
	}
	int saved = errno;
	free(p);
	errno = saved;
	return rc;
}

int daemon_mkdirs(const char *dir, mode_t mode)
{
	return mkdirs_owned(dir, mode, (uid_t)-1, (gid_t)-1);
}

int daemon_pidfile_write(const char *path, const char *user, const char *group, char **error_r)
{
	char text[DAEMON_PID_TEXT_MAX];
	int fd, n;
	const char *slash = strrchr(path, '/');
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	/* only root gives files away, and only root drops privileges */
	if (geteuid() == 0 && daemon_lookup_ids(user, group, &uid, &gid, error_r) != 0)
		return -1;
	if (slash != NULL && slash != path) {
		char *parent = xstrndup(path, (size_t)(slash - path));
		(void)!mkdirs_owned(parent, 0755, uid, gid);
		free(parent);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(error_r, "cannot write pid file ", path);
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)n) != n ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return fail(error_r, "cannot write pid file ", path);
	}
	if (close(fd) != 0)
		return fail(error_r, "cannot write pid file ", path);
	return 0;
}

int daemon_pidfile_remove(const char *path)
{
	char text[DAEMON_PID_TEXT_MAX];
	FILE *f = fopen(path, "r");
	bool ours = false;

	if (f == NULL)
		return 0;
	if (fgets(text, sizeof(text), f) != NULL)
		ours = strtol(text, NULL, 10) == (long)getpid();
	fclose(f);
	return ours ? unlink(path) : 0;
}

int daemon_lookup_ids(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
		      char **error_r)
{
	struct passwd *pw;
	struct buf e = BUF_INIT;

	*uid_r = (uid_t)-1;
	*gid_r = (gid_t)-1;
	if (*user == '\0')
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		buf_printf(&e, "user: unknown user '%s'", user);
		*error_r = buf_detach(&e);
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	if (*group != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			buf_printf(&e, "group: unknown group '%s'", group);
			*error_r = buf_detach(&e);
			return -1;
		}
		*gid_r = gr->gr_gid;
	}
	return 0;
}

int daemon_drop_privileges(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
			   char **error_r)
{
	uid_t uid;
	gid_t gid;

	if (uid_r != NULL)
		*uid_r = (uid_t)-1;
	if (gid_r != NULL)
		*gid_r = (gid_t)-1;
	if (*user == '\0' || geteuid() != 0)
		return 0;
	if (daemon_lookup_ids(user, group, &uid, &gid, error_r) != 0)
		return -1;
	/* groups first: after setuid() we could no longer change them */
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		return fail(error_r, "cannot drop privileges to ", user);
	if (uid != 0 && setuid(0) == 0) {
		*error_r = xstrdup("privileges could be regained after dropping them");
		return -1;
	}
	if (uid_r != NULL)
		*uid_r = uid;
	if (gid_r != NULL)
		*gid_r = gid;
	return 0;
}

int daemon_chown_path(const char *path, const char *owner, const char *group, char **error_r)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (*owner != '\0') {
		if (daemon_lookup_ids(owner, group, &uid, &gid, error_r) != 0)
			return -1;
	} else if (*group != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			struct buf e = BUF_INIT;
			buf_printf(&e, "group: unknown group '%s'", group);
			*error_r = buf_detach(&e);
			return -1;
		}
		gid = gr->gr_gid;
	} else {
		return 0;
	}
	if (chown(path, uid, gid) != 0)
		return fail(error_r, "cannot change the owner of ", path);
	return 0;
}

unsigned long daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? ~0UL : (unsigned long)rl.rlim_cur;
}

int daemon_check_root(const char *user, bool allow_root, char **error_r)
{
	if (geteuid() != 0 || *user != '\0' || allow_root)
		return 0;
	*error_r = xstrdup("refusing to run as root: set user (the daemon switches to it after "
			   "binding its socket) or, to keep root, allow_root = yes");
	return -1;
}

/* One file: a line in warnings or errors when others may write it. */
static int check_one(const char *what, const char *path, struct buf *warnings, struct buf *errors)
{
	struct stat st;

	if (path == NULL || *path == '\0' || stat(path, &st) != 0)
		return 0;
	if ((st.st_mode & S_IWOTH) != 0) {
		buf_printf(errors, "%s %s is writable by every user (mode %04o): refused; "
			   "chmod o-w %s\n", what, path, (unsigned)(st.st_mode & 07777), path);
		return 1;
	}
	if ((st.st_mode & S_IWGRP) != 0) {
		struct group *gr = getgrgid(st.st_gid);
		buf_printf(warnings, "%s %s is writable by group %s (mode %04o): chmod g-w %s\n", what,
			   path, gr != NULL ? gr->gr_name : "?", (unsigned)(st.st_mode & 07777), path);
	}
	return 0;
}

int daemon_check_files(const cfg_t *cfg, struct buf *warnings, struct buf *errors)
{
	const struct cfg_filelists *fl = cfg_file_lists(cfg, CFG_FILE_LISTS);
	const struct cfg_strlist *owners = cfg_list(cfg, CFG_OWNERS_DB);
	int n = check_one("configuration file", cfg_path(cfg), warnings, errors);

	for (size_t i = 0; fl != NULL && i < fl->n; i++)
		n += check_one("list file", fl->items[i].path, warnings, errors);
	for (size_t i = 0; owners != NULL && i < owners->n; i++)
		n += check_one("owners_db file", owners->items[i], warnings, errors);
	n += check_one("notify_template", cfg_str(cfg, CFG_NOTIFY_TEMPLATE), warnings, errors);
	return n;
}

int daemon_check_files_log(const cfg_t *cfg)
{
	struct buf warnings = BUF_INIT, errors = BUF_INIT;
	int n = daemon_check_files(cfg, &warnings, &errors);

	log_lines(LOG_LVL_WARNING, buf_cstr(&warnings));
	log_lines(LOG_LVL_ERROR, buf_cstr(&errors));
	buf_free(&warnings);
	buf_free(&errors);
	return n;
}

int daemon_startup_checks(const cfg_t *cfg)
{
	char *err = NULL;

	if (daemon_check_root(cfg_str(cfg, CFG_USER), cfg_bool(cfg, CFG_ALLOW_ROOT), &err) != 0) {
		log_lines(LOG_LVL_ERROR, err);
		free(err);
		return -1;
	}
	return daemon_check_files_log(cfg) == 0 ? 0 : -1;
}
