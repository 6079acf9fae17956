/* redis_auth - the credentials of an AUTH command (see redis_auth.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "cfg.h"
#include "redis_auth.h"
#include "mem.h"

static char *copy_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

void redis_auth_set(struct redis_auth *a, const char *user, const char *password)
{
	a->user = copy_or_null(user);
	a->password = copy_or_null(password);
}

void redis_auth_from_cfg(struct redis_auth *a, const struct cfg *cfg, enum redis_auth_of which)
{
	if (which == REDIS_AUTH_SENTINEL)
		redis_auth_set(a, cfg_str(cfg, CFG_REDIS_SENTINEL_USERNAME),
			       cfg_str(cfg, CFG_REDIS_SENTINEL_PASSWORD));
	else
		redis_auth_set(a, cfg_str(cfg, CFG_REDIS_USERNAME), cfg_str(cfg, CFG_REDIS_PASSWORD));
}

void redis_auth_clear(struct redis_auth *a)
{
	if (a->password != NULL) {
		explicit_bzero(a->password, strlen(a->password));
		free(a->password);
	}
	free(a->user);
	a->user = NULL;
	a->password = NULL;
}

int redis_auth_argv(const struct redis_auth *a, const char *argv[3], size_t lens[3])
{
	int argc = 0;

	if (a == NULL || a->password == NULL)
		return 0;
	argv[argc] = "AUTH";
	lens[argc++] = 4;
	if (a->user != NULL) {
		argv[argc] = a->user;
		lens[argc++] = strlen(a->user);
	}
	argv[argc] = a->password;
	lens[argc++] = strlen(a->password);
	return argc;
}

bool redis_auth_in(const struct redis_auth *a, const char *text)
{
	return a != NULL && a->password != NULL && text != NULL && strstr(text, a->password) != NULL;
}

const char *redis_auth_settings(const struct redis_auth *a)
{
	return a != NULL && a->user != NULL ? "redis_username/redis_password" : "redis_password";
}
