#ifndef RELAYGUARD_REDIS_AUTH_H
#define RELAYGUARD_REDIS_AUTH_H
/*
 * redis_auth - what relayguard says in AUTH, to a Redis server or to a
 * Sentinel, for every client it has: the cache, the report writer, the
 * notifier's queue, the list import, the probe store and the blocking
 * resolvers.
 *
 * With a user (redis_username, a Redis 6 ACL user), "AUTH user password".
 * Without one, "AUTH password": Redis 6 and later take it as the user
 * "default", older ones as their requirepass.  Without a password, no AUTH
 * at all.  The configuration refuses a user without a password, so that
 * case never reaches here.
 *
 * A struct redis_auth owns both strings: fill it with redis_auth_set() or
 * redis_auth_from_cfg() and release it with redis_auth_clear(), which
 * wipes the password.  A zeroed struct is "no AUTH".  The password is
 * never logged and never quoted; the user name may be.
 */
#include <stdbool.h>
#include <stddef.h>

struct cfg;

struct redis_auth {
	char *user;		/* NULL: the default user */
	char *password;		/* NULL: send no AUTH */
};

enum redis_auth_of {
	REDIS_AUTH_SERVER,	/* redis_username, redis_password */
	REDIS_AUTH_SENTINEL,	/* redis_sentinel_username, redis_sentinel_password */
};

/* Copies user and password into a (NULL or "" for none). */
void redis_auth_set(struct redis_auth *a, const char *user, const char *password);

/* The credentials cfg gives the servers or the Sentinels, copied into a. */
void redis_auth_from_cfg(struct redis_auth *a, const struct cfg *cfg, enum redis_auth_of which);

/* Wipes the password, frees both strings, and leaves a zeroed. */
void redis_auth_clear(struct redis_auth *a);

/* The AUTH command of a in argv and lens, which point into a: returns
 * argc, 2 or 3, or 0 when there is nothing to send. */
int redis_auth_argv(const struct redis_auth *a, const char *argv[3], size_t lens[3]);

/* Whether text (an error a server sent back) contains the password, and so
 * must not be quoted in a log line.  Redis does not echo it; be sure. */
bool redis_auth_in(const struct redis_auth *a, const char *text);

/* The settings to check when a server refuses the AUTH of a:
 * "redis_password", or "redis_username/redis_password" with a user. */
const char *redis_auth_settings(const struct redis_auth *a);

#endif
