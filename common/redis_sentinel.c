/* redis_sentinel - which Redis server is the master; see redis_sentinel.h. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "cfg.h"
#include "mem.h"
#include "redis_auth.h"
#include "redis_sentinel.h"

bool redis_target_is_sentinel(const char *target)
{
	return target != NULL &&
	       strncmp(target, REDIS_SENTINEL_PREFIX, strlen(REDIS_SENTINEL_PREFIX)) == 0;
}

bool redis_sentinel_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > REDIS_SENTINEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int redis_sentinel_addr_set(struct redis_sentinel_addr *a, const char *host, size_t hlen,
			    const char *port, size_t plen)
{
	unsigned char scratch[16];
	long p = 0;

	if (hlen == 0 || hlen > REDIS_SENTINEL_HOST_MAX || plen == 0 || plen > 5)
		return -1;
	for (size_t i = 0; i < plen; i++) {
		if (port[i] < '0' || port[i] > '9')
			return -1;
		p = p * 10 + (port[i] - '0');
	}
	if (p < 1 || p > 65535)
		return -1;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (strcmp(a->host, "localhost") == 0)
		memcpy(a->host, "127.0.0.1", sizeof("127.0.0.1"));	/* never a resolver call */
	if (inet_pton(AF_INET, a->host, scratch) != 1 && inet_pton(AF_INET6, a->host, scratch) != 1)
		return -1;
	a->port = (int)p;
	return 0;
}

void redis_sentinel_addr_format(const struct redis_sentinel_addr *a, char *out, size_t size)
{
	snprintf(out, size, strchr(a->host, ':') != NULL ? "[%s]:%d" : "%s:%d", a->host, a->port);
}

/* One "HOST:PORT" or "[V6]:PORT" item of len bytes. */
static int parse_item(const char *s, size_t len, struct redis_sentinel_addr *a)
{
	const char *colon = NULL;

	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (colon == NULL)
		return -1;
	const char *h = s;
	size_t hl = (size_t)(colon - s);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	return redis_sentinel_addr_set(a, h, hl, colon + 1, len - (size_t)(colon + 1 - s));
}

int redis_sentinel_parse_list(const char *list, struct redis_sentinel_spec *spec,
			      const char **error_r)
{
	const char *p = list;

	spec->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, ", \t");
		if (len == 0) {
			*error_r = "expected HOST:PORT, HOST:PORT, ... (numeric addresses or localhost)";
			return -1;
		}
		if (spec->n == REDIS_SENTINELS_MAX) {
			*error_r = "too many Sentinels (at most 16)";
			return -1;
		}
		if (parse_item(p, len, &spec->sentinels[spec->n]) != 0) {
			*error_r = "expected HOST:PORT, HOST:PORT, ... (numeric addresses or localhost)";
			return -1;
		}
		spec->n++;
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',') {
			*error_r = "expected a comma between Sentinels";
			return -1;
		}
	}
}

int redis_sentinel_parse(const char *target, struct redis_sentinel_spec *spec, const char **error_r)
{
	const char *name, *at;

	if (!redis_target_is_sentinel(target)) {
		*error_r = "not a sentinel target";
		return -1;
	}
	name = target + strlen(REDIS_SENTINEL_PREFIX);
	at = strchr(name, '@');
	if (at == NULL || (size_t)(at - name) > REDIS_SENTINEL_NAME_MAX) {
		*error_r = "bad Sentinel master name";
		return -1;
	}
	memcpy(spec->master, name, (size_t)(at - name));
	spec->master[at - name] = '\0';
	if (!redis_sentinel_name_ok(spec->master)) {
		*error_r = "bad Sentinel master name (letters, digits, '.', '_', '-')";
		return -1;
	}
	return redis_sentinel_parse_list(at + 1, spec, error_r);
}

int redis_sentinel_parse_switch(const char *msg, size_t len, const char *master,
				struct redis_sentinel_addr *new_r)
{
	const char *f[5];
	size_t fl[5], n = 0, i = 0;

	while (i < len && n < 5) {
		size_t start = i;
		while (i < len && msg[i] != ' ')
			i++;
		f[n] = msg + start;
		fl[n++] = i - start;
		if (i < len)
			i++;	/* the space */
	}
	if (n != 5 || i != len)
		return -1;
	for (size_t k = 0; k < 5; k++)
		if (fl[k] == 0)
			return -1;
	if (fl[0] != strlen(master) || memcmp(f[0], master, fl[0]) != 0)
		return 0;
	return redis_sentinel_addr_set(new_r, f[3], fl[3], f[4], fl[4]) == 0 ? 1 : -1;
}

/* ---- blocking resolution ------------------------------------------------ */

static redisReply *cmd(redisContext *c, int argc, const char **argv)
{
	return redisCommandArgv(c, argc, argv, NULL);
}

redisContext *redis_connect_sync(const struct redis_sentinel_addr *s, const struct redis_auth *auth,
				struct timeval tv, struct buf *why)
{
	redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);
	const char *av[3];
	size_t lens[3];
	int ac;

	if (c == NULL || c->err) {
		buf_printf(why, "%s", c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if ((ac = redis_auth_argv(auth, av, lens)) > 0) {
		redisReply *r = redisCommandArgv(c, ac, av, lens);
		bool refused = r == NULL || r->type == REDIS_REPLY_ERROR;
		if (r != NULL)
			freeReplyObject(r);
		if (refused) {
			buf_puts(why, "AUTH refused");	/* never quote around the password */
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

/* Ask one Sentinel; 0 with *a_r filled, -1 with a reason in why. */
static int ask_one(const struct redis_sentinel_addr *s, const char *master, const struct redis_auth *auth,
		   struct timeval tv, struct redis_sentinel_addr *a_r, struct buf *why)
{
	redisContext *c = redis_connect_sync(s, auth, tv, why);
	redisReply *r = NULL;
	int rc = -1;

	if (c == NULL)
		return -1;
	const char *av[] = { "SENTINEL", "get-master-addr-by-name", master };
	r = cmd(c, 3, av);
	if (r == NULL)
		buf_printf(why, "%s", c->errstr);
	else if (r->type == REDIS_REPLY_NIL)
		buf_printf(why, "does not know master \"%s\"", master);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		 r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING ||
		 redis_sentinel_addr_set(a_r, r->element[0]->str, r->element[0]->len,
					 r->element[1]->str, r->element[1]->len) != 0)
		buf_puts(why, "unexpected reply to SENTINEL get-master-addr-by-name");
	else
		rc = 0;
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return rc;
}

/* Does the server at a say ROLE master?  With the server's credentials
 * (redis_username, redis_password) when there are any.  A NOAUTH answer
 * (a password the caller does not know) is taken as "cannot tell": the
 * data connection's own handshake then says what is wrong. */
static bool role_is_master(const struct redis_sentinel_addr *a, const struct redis_auth *auth,
			   struct timeval tv, struct buf *why)
{
	struct buf cwhy = BUF_INIT;
	redisContext *c = redis_connect_sync(a, auth, tv, &cwhy);
	redisReply *r = NULL;
	bool ok = false;

	if (c == NULL) {
		if (strcmp(buf_cstr(&cwhy), "AUTH refused") == 0)
			buf_printf(why, "it refused %s (AUTH)", redis_auth_settings(auth));
		else
			buf_puts(why, buf_cstr(&cwhy));
		buf_free(&cwhy);
		return false;
	}
	const char *av[] = { "ROLE" };
	r = cmd(c, 1, av);
	if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0)
		ok = true;
	else if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		 r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0)
		ok = true;
	else
		buf_puts(why, "it is not a master (ROLE)");
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

int redis_sentinel_resolve_sync(const char *target, const struct redis_auth *sentinel_auth,
				const struct redis_auth *auth, unsigned timeout_ms, char **server_r, char **error_r)
{
	struct redis_sentinel_spec spec;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct buf why = BUF_INIT;
	const char *err;
	char text[64];

	if (!redis_target_is_sentinel(target)) {
		*server_r = xstrdup(target);
		return 0;
	}
	if (redis_sentinel_parse(target, &spec, &err) != 0) {
		buf_printf(&why, "redis sentinel target: %s", err);
		*error_r = buf_detach(&why);
		return -1;
	}
	buf_printf(&why, "no Sentinel gave a usable master \"%s\":", spec.master);
	for (size_t i = 0; i < spec.n; i++) {
		struct redis_sentinel_addr m;
		redis_sentinel_addr_format(&spec.sentinels[i], text, sizeof(text));
		buf_printf(&why, "%s %s: ", i > 0 ? ";" : "", text);
		if (ask_one(&spec.sentinels[i], spec.master, sentinel_auth, tv, &m, &why) != 0)
			continue;
		redis_sentinel_addr_format(&m, text, sizeof(text));
		buf_printf(&why, "named %s, but ", text);
		if (!role_is_master(&m, auth, tv, &why))
			continue;
		buf_free(&why);
		*server_r = xstrdup(text);
		return 0;
	}
	buf_putc(&why, '.');
	*error_r = buf_detach(&why);
	return -1;
}

char *redis_target_from_cfg(const cfg_t *cfg)
{
	const char *sentinels = cfg_str(cfg, CFG_REDIS_SENTINELS);
	const char *cluster = cfg_str(cfg, CFG_REDIS_CLUSTER_NODES);
	struct buf t = BUF_INIT;

	if (*cluster != '\0') {
		buf_printf(&t, "cluster:%s", cluster);	/* REDIS_CLUSTER_PREFIX, redis_cluster.h */
		return buf_detach(&t);
	}
	if (*sentinels == '\0')
		return xstrdup(cfg_str(cfg, CFG_REDIS_SERVER));
	buf_printf(&t, REDIS_SENTINEL_PREFIX "%s@%s", cfg_str(cfg, CFG_REDIS_SENTINEL_MASTER), sentinels);
	return buf_detach(&t);
}

int redis_sentinel_check_list(const char *s, const char **error_r)
{
	struct redis_sentinel_spec spec;

	return s[0] == '\0' ? 0 : redis_sentinel_parse_list(s, &spec, error_r);
}

int redis_sentinel_check_name(const char *s, const char **error_r)
{
	*error_r = "expected 1 to 64 letters, digits, '.', '_' or '-'";
	return s[0] == '\0' || redis_sentinel_name_ok(s) ? 0 : -1;
}
