/*
 * daemon - what a relayguard daemon does between parsing its config and
 * serving: detach from the terminal, write a pid file, drop root.
 *
 * Order, as the daemons use it: open every socket that needs root, then
 * daemon_detach(), daemon_pidfile_write(), daemon_drop_privileges(); on
 * exit daemon_pidfile_remove().  Errors are reported through *error_r
 * (caller frees) so that the caller decides how loud to be; nothing here
 * logs or exits.
 *
 * Thread-safety: meant for the main thread at startup and exit, before
 * other threads exist (daemon_detach() forks) or after they ended.
 */
#ifndef RELAYGUARD_DAEMON_H
#define RELAYGUARD_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "cfg.h"

/*
 * The daemons' umask: files they create (stats snapshots, the spool
 * journal, notify.state, pid files) are never writable by their group nor
 * readable by others, whatever umask they were started with.
 */
#define DAEMON_UMASK 027

/*
 * Fork into the background: the parent exits 0, the child becomes a
 * session leader with its standard streams on /dev/null and "/" as its
 * working directory.  Returns 0 in the child, or -1 with *error_r.
 */
int daemon_detach(char **error_r) __attribute__((warn_unused_result));

/*
 * Create dir and every missing folder above it (like mkdir -p): the parents
 * mode 0755, dir itself mode.  An existing folder is fine.  Returns 0, or -1
 * with errno set.
 */
int daemon_mkdirs(const char *dir, mode_t mode) __attribute__((warn_unused_result));

/*
 * Write the current pid and a newline to path (created mode 0644, replaced
 * when it exists; a missing folder is created, as with daemon_mkdirs).
 * Run as root with user non-empty, the file and the folders made for it go
 * to the user and group daemon_drop_privileges() will switch to, so that the
 * daemon can still remove it after dropping root.  Returns 0, or -1 with
 * *error_r ("cannot write pid file PATH: reason", or the unknown user/group).
 */
int daemon_pidfile_write(const char *path, const char *user, const char *group, char **error_r)
	__attribute__((warn_unused_result));

/* Remove path when it still holds our pid (a newer instance may own it).
 * A folder the daemon may no longer write keeps the file: returns -1 with
 * errno then, 0 otherwise. */
int daemon_pidfile_remove(const char *path);

/*
 * When running as root and user is non-empty: switch to user, and to group
 * when non-empty (else the user's primary group), dropping supplementary
 * groups, and check that root cannot be regained.  Not root or user "" is
 * a no-op.  uid_r/gid_r (may be NULL) receive the ids switched to, or -1
 * cast when nothing changed.  Returns 0, or -1 with *error_r naming the
 * unknown user or group or the failed call.
 */
int daemon_drop_privileges(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
			   char **error_r) __attribute__((warn_unused_result));

/*
 * Look up the ids daemon_drop_privileges() would switch to, without
 * switching (to chown a socket before dropping).  Returns 0 with the ids
 * ((uid_t)-1 / (gid_t)-1 when user is ""), or -1 with *error_r.
 */
int daemon_lookup_ids(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
		      char **error_r) __attribute__((warn_unused_result));

/*
 * Give path to owner and group: owner "" keeps the owner; group "" means
 * the owner's primary group (or keeps the group when owner is "" too).
 * Both "" is a no-op.  Changing the owner needs root; a group the process
 * belongs to needs not.  Returns 0, or -1 with *error_r naming the unknown
 * name or the failed chown.
 */
int daemon_chown_path(const char *path, const char *owner, const char *group, char **error_r)
	__attribute__((warn_unused_result));

/*
 * Raise the soft limit of open descriptors (RLIMIT_NOFILE) to the hard
 * limit: every connection is a descriptor, and the usual soft limit of 1024
 * would let idle clients exhaust them.  Returns the soft limit now in force.
 */
unsigned long daemon_raise_nofile(void);

/*
 * A daemon started as root keeps root only when asked to: returns 0 when
 * not root, when user is set (the daemon drops to it after binding), or
 * when allow_root is true; else -1 with *error_r saying what to set.
 */
int daemon_check_root(const char *user, bool allow_root, char **error_r)
	__attribute__((warn_unused_result));

/*
 * Who may change what the daemon reads, as `postfix check` asks: the
 * configuration file and every file it names (file_lists, owners_db,
 * notify_template).  A file writable by its group adds a line to
 * warnings; one writable by every user adds a line to errors (the daemons
 * refuse to start on it).  Lines end with '\n'; missing files are left to
 * their loaders.  Returns the number of errors.
 */
int daemon_check_files(const cfg_t *cfg, struct buf *warnings, struct buf *errors);

/* daemon_check_files() with its lines logged (log_warning, log_error), as
 * the daemons do at start and at a reload; returns the number of errors. */
int daemon_check_files_log(const cfg_t *cfg);

/*
 * What every daemon checks before it binds: daemon_check_root() and
 * daemon_check_files().  Logs each warning (log_warning) and each refusal
 * (log_error), one line each; returns 0, or -1 when the daemon must not
 * start (or, on a reload, must keep its running configuration).
 */
int daemon_startup_checks(const cfg_t *cfg) __attribute__((warn_unused_result));

#endif
