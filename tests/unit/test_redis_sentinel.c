/* Unit tests for common/redis_sentinel: targets, lists, +switch-master,
 * and the configuration rule "exactly one way to reach Redis". */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "redis_sentinel.h"
#include "tap.h"

static void test_list(void)
{
	struct redis_sentinel_spec spec;
	const char *why = NULL;

	ok(redis_sentinel_parse_list("127.0.0.1:26379, 127.0.0.2:26380,[::1]:26381", &spec, &why) == 0,
	   "a list of three Sentinels parses");
	is_int((int)spec.n, 3, "three Sentinels");
	is_str(spec.sentinels[1].host, "127.0.0.2", "second host");
	is_int(spec.sentinels[1].port, 26380, "second port");
	is_str(spec.sentinels[2].host, "::1", "IPv6 without brackets");
	ok(redis_sentinel_parse_list("localhost:26379", &spec, &why) == 0 &&
		   strcmp(spec.sentinels[0].host, "127.0.0.1") == 0,
	   "localhost is read as 127.0.0.1 (no resolver)");
	const char *bad[] = { "", ",", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "host.example:26379",
			      "127.0.0.1:26379,", "127.0.0.1:26379;127.0.0.2:1", "127.0.0.1:2x", "[::1:26379" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ok(redis_sentinel_parse_list(bad[i], &spec, &why) == -1 && why != NULL,
		   "bad list \"%s\" refused with a message", bad[i]);
	}
	char many[512] = "";
	for (int i = 0; i < REDIS_SENTINELS_MAX + 1; i++)
		strcat(many, i ? ",127.0.0.1:1" : "127.0.0.1:1");
	ok(redis_sentinel_parse_list(many, &spec, &why) == -1, "more than %d Sentinels refused",
	   REDIS_SENTINELS_MAX);
}

static void test_target(void)
{
	struct redis_sentinel_spec spec;
	const char *why;

	ok(redis_target_is_sentinel("sentinel:m@127.0.0.1:1"), "sentinel target recognised");
	ok(!redis_target_is_sentinel("127.0.0.1:6379"), "standalone target is not sentinel");
	ok(!redis_target_is_sentinel("unix:/run/redis.sock"), "unix target is not sentinel");
	ok(redis_sentinel_parse("sentinel:my-master.1@127.0.0.1:26379,127.0.0.1:26380", &spec, &why) == 0,
	   "sentinel target parses");
	is_str(spec.master, "my-master.1", "master name");
	is_int((int)spec.n, 2, "two Sentinels");
	ok(redis_sentinel_parse("sentinel:@127.0.0.1:1", &spec, &why) == -1, "empty master name refused");
	ok(redis_sentinel_parse("sentinel:a b@127.0.0.1:1", &spec, &why) == -1, "space in name refused");
	ok(redis_sentinel_parse("sentinel:m", &spec, &why) == -1, "no @ refused");
	ok(redis_sentinel_name_ok("mymaster") && !redis_sentinel_name_ok("") &&
		   !redis_sentinel_name_ok("a:b"),
	   "master names");
}

static void test_switch(void)
{
	struct redis_sentinel_addr a;
	const char *m = "mymaster 127.0.0.1 6380 127.0.0.1 6381";

	is_int(redis_sentinel_parse_switch(m, strlen(m), "mymaster", &a), 1, "our master switched");
	is_str(a.host, "127.0.0.1", "new host");
	is_int(a.port, 6381, "new port");
	is_int(redis_sentinel_parse_switch(m, strlen(m), "other", &a), 0, "another master: ignored");
	is_int(redis_sentinel_parse_switch(m, strlen(m), "mymaste", &a), 0, "a prefix of the name is not it");
	const char *bad[] = { "", "mymaster", "mymaster 1 2 3", "mymaster 1 2 3 4 5",
			      "mymaster  127.0.0.1 6380 127.0.0.1 6381", "mymaster a 1 b 2",
			      "mymaster 127.0.0.1 6380 127.0.0.1 0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(redis_sentinel_parse_switch(bad[i], strlen(bad[i]), "mymaster", &a), -1,
		       "malformed \"%s\"", bad[i]);
	char buf[64];
	struct redis_sentinel_addr v6 = { "::1", 6379 };
	redis_sentinel_addr_format(&v6, buf, sizeof(buf));
	is_str(buf, "[::1]:6379", "IPv6 formatted with brackets");
}

/* Parse a configuration text; returns the error or NULL. */
static char *cfg_error(const char *text)
{
	cfg_t *cfg = NULL;
	char *err = NULL;

	if (cfg_load_mem("t.conf", text, strlen(text), &cfg, &err) == 0) {
		char *target = redis_target_from_cfg(cfg);
		free(target);
		cfg_unref(&cfg);
		return NULL;
	}
	return err;
}

static void test_cfg(void)
{
	char *e;

	ok((e = cfg_error("redis_sentinels = 127.0.0.1:26379, 127.0.0.1:26380\n"
			  "redis_sentinel_master = mymaster\n")) == NULL, "sentinels + master accepted");
	free(e);
	e = cfg_error("redis_server = 127.0.0.1:6379\nredis_sentinels = 127.0.0.1:26379\n"
		      "redis_sentinel_master = m\n");
	ok(e != NULL && strstr(e, "t.conf:2:") != NULL && strstr(e, "both set") != NULL,
	   "redis_server and redis_sentinels together refused at the later line: %s", e ? e : "");
	free(e);
	e = cfg_error("redis_sentinels = 127.0.0.1:26379\n");
	ok(e != NULL && strstr(e, "redis_sentinel_master is not") != NULL,
	   "sentinels without a master name refused: %s", e ? e : "");
	free(e);
	e = cfg_error("redis_sentinel_master = m\n");
	ok(e != NULL && strstr(e, "redis_sentinels is not") != NULL, "a master name alone refused");
	free(e);
	e = cfg_error("redis_sentinels = 127.0.0.1\nredis_sentinel_master = m\n");
	ok(e != NULL && strstr(e, "t.conf:1:") != NULL, "a bad Sentinel list refused with file:line: %s",
	   e ? e : "");
	free(e);

	cfg_t *cfg = NULL;
	char *err = NULL;
	const char *three = "redis_sentinels = 127.0.0.1:26379\nredis_sentinel_master = mm\n"
			    "redis_sentinel_password = s3cret\n";
	if (cfg_load_mem("t.conf", three, strlen(three), &cfg, &err) == 0) {
		char *t = redis_target_from_cfg(cfg);
		is_str(t, "sentinel:mm@127.0.0.1:26379", "the target built from the settings");
		free(t);
		cfg_unref(&cfg);
	} else {
		ok(false, "config parses: %s", err);
		free(err);
	}
}

int main(void)
{
	test_list();
	test_target();
	test_switch();
	test_cfg();
	return tap_done();
}
