/* test_daemon - pid files and the privilege drop's checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

static const struct {
	const char *user, *group;
	const char *error;	/* NULL: must succeed; else a substring of the error */
} id_cases[] = {
	{ "", "", NULL },
	{ "root", "", NULL },
	{ "root", "root", NULL },
	{ "no-such-user-rg", "", "unknown user 'no-such-user-rg'" },
	{ "root", "no-such-group-rg", "unknown group 'no-such-group-rg'" },
};

static void test_pidfile(void)
{
	char dir[] = "/tmp/rg-daemon-XXXXXX", path[64], text[32] = "";
	char *err = NULL;
	FILE *f;

	if (!ok(mkdtemp(dir) != NULL, "temp folder"))
		return;
	snprintf(path, sizeof(path), "%s/x.pid", dir);
	ok(daemon_pidfile_write(path, "", "", &err) == 0, "pid file written");
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(text, sizeof(text), f) == NULL)
			text[0] = '\0';
		fclose(f);
	}
	is_int(strtol(text, NULL, 10), getpid(), "it holds our pid");
	is_int(daemon_pidfile_remove(path), 0, "removing our pid file succeeds");
	ok(access(path, F_OK) != 0, "removed when it is ours");
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("1\n", f);
		fclose(f);
	}
	daemon_pidfile_remove(path);
	ok(access(path, F_OK) == 0, "kept when another pid is in it");
	unlink(path);
	snprintf(path, sizeof(path), "%s/run/relayguard/x.pid", dir);
	ok(daemon_pidfile_write(path, "", "", &err) == 0 && access(path, F_OK) == 0,
	   "missing folders above a pid file are created");
	unlink(path);
	if (geteuid() == 0) {
		/* as root: the folders made for the pid file and the file go to the daemon's user */
		struct stat st_dir, st_file;
		char sub[96];
		snprintf(path, sizeof(path), "%s/o1/o2/x.pid", dir);
		snprintf(sub, sizeof(sub), "%s/o1/o2", dir);
		ok(daemon_pidfile_write(path, "nobody", "nogroup", &err) == 0 && stat(sub, &st_dir) == 0 &&
			   stat(path, &st_file) == 0,
		   "pid file written for user nobody, group nogroup");
		ok(st_dir.st_uid == 65534 && st_dir.st_gid == 65534, "the folder made for it is the user's");
		ok(st_file.st_uid == 65534, "the file is the user's");
		snprintf(sub, sizeof(sub), "%s/o1", dir);
		ok(stat(sub, &st_dir) == 0 && st_dir.st_uid == 65534 && stat(dir, &st_file) == 0 &&
			   st_file.st_uid == 0,
		   "so is every folder made above it; a folder that existed keeps its owner");
		unlink(path);
		ok(daemon_pidfile_write(path, "no-such-user-rg", "", &err) != 0 && err != NULL &&
			   strstr(err, "unknown user 'no-such-user-rg'") != NULL && access(path, F_OK) != 0,
		   "an unknown user is an error, and no pid file is written");
		free(err);
		err = NULL;
		snprintf(path, sizeof(path), "%s/o1/o2", dir);
		rmdir(path);
		rmdir(sub);
	} else {
		for (int i = 0; i < 5; i++)
			tap_skip("not root: ownership of the pid file");
	}
	snprintf(path, sizeof(path), "%s/run/relayguard", dir);
	ok(daemon_mkdirs(path, 0700) == 0, "daemon_mkdirs on an existing folder is fine");
	rmdir(path);
	snprintf(path, sizeof(path), "%s/run", dir);
	rmdir(path);
	rmdir(dir);
	ok(daemon_pidfile_write("/dev/null/x.pid", "", "", &err) != 0 && err != NULL &&
		   strstr(err, "cannot write pid file /dev/null/x.pid") != NULL,
	   "a pid file that cannot be written is an error naming it");
	free(err);
	ok(daemon_mkdirs("/dev/null/sub", 0755) == -1, "daemon_mkdirs under a file fails");
}

int main(void)
{
	test_pidfile();
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		uid_t uid;
		gid_t gid;
		char *err = NULL;
		int rc = daemon_lookup_ids(id_cases[i].user, id_cases[i].group, &uid, &gid, &err);

		if (id_cases[i].error == NULL) {
			ok(rc == 0, "lookup '%s' '%s'", id_cases[i].user, id_cases[i].group);
			if (*id_cases[i].user == '\0')
				ok(uid == (uid_t)-1 && gid == (gid_t)-1, "no user: no ids");
			else
				is_int(uid, 0, "root is uid 0");
		} else {
			ok(rc != 0 && err != NULL && strstr(err, id_cases[i].error) != NULL,
			   "lookup '%s' '%s': %s", id_cases[i].user, id_cases[i].group,
			   id_cases[i].error);
		}
		free(err);
	}
	return tap_done();
}
