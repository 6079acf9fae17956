/* Unit tests for common/redis_cluster: cluster targets, the CLUSTER SLOTS
 * reader (replies as Redis 7.0 sends them, RESP bytes through hiredis'
 * reader), MOVED/ASK, the key of each command relayguard sends. */
#include "config.h"

#include <string.h>

#include <hiredis/hiredis.h>

#include <stdlib.h>

#include <event2/event.h>

#include "cfg.h"
#include "rcache.h"
#include "redis_cluster.h"
#include "tap.h"

/* Parse RESP bytes as a CLUSTER SLOTS reply asked of 127.0.0.9. */
static int map_from_resp(const char *resp, struct redis_cluster_map *map, const char **why)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;
	struct rcache_reply copy;
	int rc = -2;

	memset(&copy, 0, sizeof(copy));
	redisReaderFeed(rd, resp, strlen(resp));
	if (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL &&
	    rcache_reply_copy(reply, &copy) == 0)
		rc = redis_cluster_map_parse(&copy, "127.0.0.9", map, why);
	rcache_reply_release(&copy);
	if (reply != NULL)
		freeReplyObject(reply);
	redisReaderFree(rd);
	return rc;
}

static const char *node_text(const struct redis_cluster_map *m, unsigned slot, char *out, size_t size)
{
	const struct redis_sentinel_addr *a = redis_cluster_map_node(m, slot);

	if (a == NULL)
		return "none";
	redis_sentinel_addr_format(a, out, size);
	return out;
}

static void test_targets(void)
{
	struct redis_cluster_seeds s;
	const char *why;

	ok(redis_target_is_cluster("cluster:127.0.0.1:7000"), "cluster: is a cluster target");
	ok(!redis_target_is_cluster("127.0.0.1:7000"), "HOST:PORT is not");
	ok(!redis_target_is_cluster("sentinel:m@127.0.0.1:1"), "sentinel: is not");
	is_int(redis_cluster_parse("cluster:127.0.0.1:7000, localhost:7001,[::1]:7002", &s, &why), 0,
	       "three seeds parse");
	is_int((int)s.n, 3, "three seeds");
	is_str(s.node[1].host, "127.0.0.1", "localhost is read as 127.0.0.1 (never a resolver call)");
	is_int(s.node[2].port, 7002, "an IPv6 seed's port");
	is_int(redis_cluster_parse("cluster:", &s, &why), -1, "no seed is an error");
	is_int(redis_cluster_parse("cluster:redis.example:7000", &s, &why), -1, "a host name is refused");
	is_int(redis_cluster_check_list("", &why), 0, "unset is fine for the configuration");
	is_int(redis_cluster_check_list("127.0.0.1", &why), -1, "a seed without port is refused");
}

static void test_map(void)
{
	static struct redis_cluster_map m;
	const char *why = NULL;
	char t[64];

	/* Redis 7.0.15, three masters, as read from a real cluster. */
	is_int(map_from_resp("*3\r\n"
			     "*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:42265\r\n$3\r\nid1\r\n*0\r\n"
			     "*4\r\n:5461\r\n:10922\r\n*4\r\n$9\r\n127.0.0.2\r\n:43347\r\n$3\r\nid2\r\n*0\r\n"
			     "*4\r\n$9\r\n127.0.0.5\r\n:1\r\n$3\r\nid5\r\n*0\r\n"
			     "*3\r\n:10923\r\n:16383\r\n*4\r\n$9\r\n127.0.0.3\r\n:40667\r\n$3\r\nid3\r\n*0\r\n",
			     &m, &why), 0, "a Redis 7 CLUSTER SLOTS reply parses");
	is_int((int)m.masters, 3, "three masters");
	is_int((int)m.n, 4, "four nodes: the replica is one");
	is_int((int)m.covered, 16384, "every slot is covered");
	is_str(node_text(&m, 0, t, sizeof(t)), "127.0.0.1:42265", "slot 0");
	is_str(node_text(&m, 5460, t, sizeof(t)), "127.0.0.1:42265", "slot 5460, the end of a range");
	is_str(node_text(&m, 5461, t, sizeof(t)), "127.0.0.2:43347", "slot 5461");
	is_str(node_text(&m, 12182, t, sizeof(t)), "127.0.0.3:40667", "slot of foo");
	is_str(node_text(&m, 16384, t, sizeof(t)), "none", "slot 16384 does not exist");

	is_int(map_from_resp("*2\r\n*3\r\n:0\r\n:99\r\n*2\r\n$0\r\n\r\n:7000\r\n"
			     "*3\r\n:100\r\n:199\r\n*2\r\n$1\r\n?\r\n:7001\r\n", &m, &why), 0,
	       "an empty host and an unknown endpoint parse");
	is_str(node_text(&m, 5, t, sizeof(t)), "127.0.0.9:7000", "\"\" is the host we asked");
	is_str(node_text(&m, 150, t, sizeof(t)), "none", "\"?\" leaves the range unmapped");
	is_int((int)m.covered, 100, "100 slots covered");

	is_int(map_from_resp("*0\r\n", &m, &why), 0, "a cluster without slots parses");
	is_int((int)m.covered, 0, "and covers nothing");
	is_int(map_from_resp("-ERR This instance has cluster support disabled\r\n", &m, &why), -1,
	       "an error reply (not a cluster) is refused");
	ok(why != NULL && strstr(why, "refused") != NULL, "with a reason: %s", why);
	is_int(map_from_resp("*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", &m, &why), -1,
	       "end before start is refused");
	is_int(map_from_resp("*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", &m, &why), -1,
	       "slot 16384 is refused");
	is_int(map_from_resp("*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$9\r\n127.0.0.1\r\n:0\r\n", &m, &why), -1,
	       "port 0 is refused");
	is_int(map_from_resp("*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$4\r\nhost\r\n:7000\r\n", &m, &why), -1,
	       "a host name is refused (no resolver calls)");
	is_int(map_from_resp("*1\r\n*2\r\n:0\r\n:1\r\n", &m, &why), -1, "a range without master is refused");
	is_int((int)m.n, 0, "a refused reply leaves an empty map");

	/* 65 masters: one more than REDIS_CLUSTER_NODES_MAX. */
	struct buf b = BUF_INIT;
	buf_printf(&b, "*65\r\n");
	for (int i = 0; i < 65; i++)
		buf_printf(&b, "*3\r\n:%d\r\n:%d\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n", i, i, 7000 + i);
	is_int(map_from_resp(buf_cstr(&b), &m, &why), -1, "65 masters are refused (at most 64 nodes)");
	buf_free(&b);
}

static void test_redirect(void)
{
	static const struct {
		const char *msg;
		int rc;
		int kind;
		unsigned slot;
		const char *host;
		int port;
	} cases[] = {
		{ "MOVED 12182 127.0.0.1:40667", 1, REDIS_CLUSTER_MOVED, 12182, "127.0.0.1", 40667 },
		{ "ASK 3999 127.0.0.1:6381", 1, REDIS_CLUSTER_ASK, 3999, "127.0.0.1", 6381 },
		{ "MOVED 0 [::1]:7000", 1, REDIS_CLUSTER_MOVED, 0, "::1", 7000 },
		{ "MOVED 16383 :6380", 1, REDIS_CLUSTER_MOVED, 16383, "", 6380 },
		{ "MOVED 16384 127.0.0.1:7000", -1, 0, 0, NULL, 0 },
		{ "MOVED 123456 127.0.0.1:7000", -1, 0, 0, NULL, 0 },
		{ "MOVED x 127.0.0.1:7000", -1, 0, 0, NULL, 0 },
		{ "MOVED 1 127.0.0.1", -1, 0, 0, NULL, 0 },
		{ "MOVED 1 127.0.0.1:0", -1, 0, 0, NULL, 0 },
		{ "MOVED 1 redis.example:7000", -1, 0, 0, NULL, 0 },
		{ "ASK 1 127.0.0.1:7000 extra", -1, 0, 0, NULL, 0 },
		{ "CLUSTERDOWN The cluster is down", 0, 0, 0, NULL, 0 },
		{ "TRYAGAIN Multiple keys request during rehashing of slot", 0, 0, 0, NULL, 0 },
		{ "ERR unknown command", 0, 0, 0, NULL, 0 },
		{ "MOVED", 0, 0, 0, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct redis_cluster_redirect r;
		int rc = redis_cluster_parse_redirect(cases[i].msg, strlen(cases[i].msg), &r);
		is_int(rc, cases[i].rc, "\"%s\": %d", cases[i].msg, cases[i].rc);
		if (rc != 1 || cases[i].rc != 1)
			continue;
		ok((int)r.kind == cases[i].kind && r.slot == cases[i].slot &&
		   strcmp(r.to.host, cases[i].host) == 0 && r.to.port == cases[i].port,
		   "\"%s\": kind, slot, host and port", cases[i].msg);
	}
}

static void test_command_key(void)
{
	static const struct {
		const char *argv[5];
		int argc;
		int key;
	} cases[] = {
		{ { "MGET", "k1", "k2" }, 3, 1 },
		{ { "SET", "k", "v", "EX", "5" }, 5, 1 },
		{ { "EVAL", "return 1", "3", "k1", "k2" }, 5, 3 },
		{ { "evalsha", "abc", "1", "k" }, 4, 3 },
		{ { "EVAL", "return 1", "0" }, 3, -1 },
		{ { "EVAL", "return 1", "0", "arg" }, 4, -1 },
		{ { "HGETALL", "h" }, 2, 1 },
		{ { "HSET", "h", "f", "v" }, 4, 1 },
		{ { "HDEL", "h", "f" }, 3, 1 },
		{ { "EXPIRE", "h", "5" }, 3, 1 },
		{ { "XADD", "s", "*", "f", "v" }, 5, 1 },
		{ { "PING" }, 1, -1 },
		{ { "WAIT", "1", "100" }, 3, -1 },
		{ { "SCRIPT", "LOAD", "return 1" }, 3, -1 },
		{ { "cluster", "slots" }, 2, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t lens[5] = { 0 };
		for (int k = 0; k < cases[i].argc; k++)
			lens[k] = strlen(cases[i].argv[k]);
		is_int(redis_cluster_command_key(cases[i].argc, cases[i].argv, lens), cases[i].key,
		       "%s with %d arguments: key at %d", cases[i].argv[0], cases[i].argc, cases[i].key);
	}
}

/* Parse a configuration text; returns the error or NULL (and the target). */
static char *cfg_error(const char *text, char **target_r)
{
	cfg_t *cfg = NULL;
	char *err = NULL;

	*target_r = NULL;
	if (cfg_load_mem("t.conf", text, strlen(text), &cfg, &err) == 0) {
		*target_r = redis_target_from_cfg(cfg);
		cfg_unref(&cfg);
		return NULL;
	}
	return err;
}

static void test_cfg(void)
{
	char *e, *t;

	e = cfg_error("redis_cluster_nodes = 127.0.0.1:7000, 127.0.0.1:7001\n", &t);
	ok(e == NULL, "redis_cluster_nodes alone is accepted");
	is_str(t != NULL ? t : "", "cluster:127.0.0.1:7000, 127.0.0.1:7001", "its target");
	free(t);
	free(e);
	e = cfg_error("redis_server = 127.0.0.1:6379\nredis_cluster_nodes = 127.0.0.1:7000\n", &t);
	ok(e != NULL && strstr(e, "t.conf:2:") != NULL && strstr(e, "exactly one of redis_server, "
			"redis_sentinels and redis_cluster_nodes") != NULL,
	   "redis_server and redis_cluster_nodes together refused at the later line: %s", e ? e : "");
	free(e);
	e = cfg_error("redis_cluster_nodes = 127.0.0.1:7000\nredis_sentinels = 127.0.0.1:26379\n"
		      "redis_sentinel_master = m\n", &t);
	ok(e != NULL && strstr(e, "redis_sentinels are both set") != NULL,
	   "redis_sentinels and redis_cluster_nodes together refused: %s", e ? e : "");
	free(e);
	e = cfg_error("redis_db = 3\nredis_cluster_nodes = 127.0.0.1:7000\n", &t);
	ok(e != NULL && strstr(e, "t.conf:2:") != NULL && strstr(e, "only database 0") != NULL,
	   "redis_db with a cluster refused: %s", e ? e : "");
	free(e);
	e = cfg_error("redis_cluster_nodes = 127.0.0.1\n", &t);
	ok(e != NULL && strstr(e, "t.conf:1:") != NULL, "a bad seed list refused with file:line: %s",
	   e ? e : "");
	free(e);
}

/* rcache on a cluster target: options checked, nothing up before a map. */
static void test_rcache_opts(void)
{
	struct event_base *base = event_base_new();
	struct rcache_opts o = { .server = "cluster:127.0.0.1:1", .db = 2 };
	rcache_t *rc = NULL;
	char *err = NULL;

	is_int(rcache_new(base, &o, &rc, &err), -1, "a cluster with redis_db 2 is refused by rcache_new");
	ok(err != NULL && strstr(err, "only database 0") != NULL, "saying why: %s", err ? err : "");
	free(err);
	err = NULL;
	o.db = 0;
	is_int(rcache_new(base, &o, &rc, &err), 0, "a cluster whose seed is down is not an error");
	ok(!rcache_up(rc), "but it is not up");
	is_str(rcache_state(rc), "down", "state down");
	rcache_free(&rc);
	ok(rc == NULL, "rcache_free sets NULL");
	event_base_free(base);
}

int main(void)
{
	test_cfg();
	test_rcache_opts();
	test_targets();
	test_map();
	test_redirect();
	test_command_key();
	return tap_done();
}
