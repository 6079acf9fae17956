/*
 * ctl_reports - relayguard-ctl queue, networks, notices: the state of the
 * report queue and of relayguard-notify, read from Redis (redis_server
 * set) or from the spool journal and the notifier's state file.
 * Read-only, except that `queue` creates the empty stream and group when
 * they do not exist yet (as relayguard-notify would), and that `notices
 * --suppress/--unsuppress` edit the notify_suppress file.
 */
#include "config.h"

#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "mem.h"
#include "notify/nqueue.h"
#include "notify/nstreams.h"
#include "notify/nsuppress.h"
#include "spool.h"

#define CTL_REPORTS_TOP_DEFAULT 20
#define CTL_REPORTS_TOP_MAX 1000
#define CTL_REPORTS_LINE_MAX 8192


/* Every report stream (report_streams), or NULL after a message. */
static nstreams_t *open_queue(const cfg_t *cfg)
{
	nstreams_t *qs = NULL;
	char *err = NULL;

	if (nstreams_open(cfg, "relayguard-ctl", &qs, &err) != 0) {
		fprintf(stderr, "relayguard-ctl: %s\n", err);
		free(err);
	}
	return qs;
}

/* Stream 0's queue alone: the notice keys are all there, whatever report_streams is. */
static nqueue_t *open_home(const cfg_t *cfg)
{
	nqueue_t *q = NULL;
	char *err = NULL;

	if (nqueue_open(cfg, "relayguard-ctl", &q, &err) != 0) {
		fprintf(stderr, "relayguard-ctl: %s\n", err);
		free(err);
	}
	return q;
}

/* The options of networks and notices. */
struct opts {
	long top;		/* -n N */
	bool untold;		/* networks --untold */
	const char *suppress;	/* notices --suppress X */
	const char *unsuppress;	/* notices --unsuppress X */
};

/* -n N and the verb's long options; 0, or -1 after a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "untold", no_argument, NULL, 'u' },
		{ "suppress", required_argument, NULL, 's' },
		{ "unsuppress", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	bool networks = strcmp(argv[0], "networks") == 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->top = CTL_REPORTS_TOP_DEFAULT;
	while ((c = getopt_long(argc, argv, "n:", longs, NULL)) != -1) {
		char *end;
		if (c == 'n' && (o->top = strtol(optarg, &end, 10), *end == '\0') && o->top >= 1 &&
		    o->top <= CTL_REPORTS_TOP_MAX)
			continue;
		if (c == 'u' && networks)
			o->untold = true;
		else if (c == 's' && !networks)
			o->suppress = optarg;
		else if (c == 'U' && !networks)
			o->unsuppress = optarg;
		else {
			ctl_usage_error(argv[0], "expected [-n 1..%d]%s", CTL_REPORTS_TOP_MAX,
					networks ? " [--untold]" : " or --suppress X or --unsuppress X");
			return -1;
		}
	}
	if (optind != argc) {
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->suppress != NULL && o->unsuppress != NULL) {
		ctl_usage_error(argv[0], "--suppress and --unsuppress exclude each other");
		return -1;
	}
	return 0;
}

/* The value of field name in an XINFO-style flat [name, value, ...] array. */
static const redisReply *info_field(const redisReply *r, const char *name)
{
	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	return NULL;
}

static void print_field(const char *label, const redisReply *v)
{
	if (v == NULL || v->type == REDIS_REPLY_NIL)
		printf("%-10s -\n", label);
	else if (v->type == REDIS_REPLY_INTEGER)
		printf("%-10s %lld\n", label, v->integer);
	else if (v->type == REDIS_REPLY_STRING || v->type == REDIS_REPLY_STATUS)
		printf("%-10s %s\n", label, v->str);
}

/* One stream's length, group and consumers. */
static int queue_stream(nqueue_t *q)
{
	struct buf stream = BUF_INIT;

	buf_puts(&stream, nqueue_stream(q));
	redisReply *len = nqueue_command(q, "XLEN", buf_cstr(&stream), NULL);
	redisReply *groups = nqueue_command(q, "XINFO", "GROUPS", buf_cstr(&stream), NULL);
	redisReply *consumers = nqueue_command(q, "XINFO", "CONSUMERS", buf_cstr(&stream), NQUEUE_GROUP, NULL);
	int rc = CTL_FAIL;
	if (len != NULL && len->type == REDIS_REPLY_INTEGER && groups != NULL && groups->type == REDIS_REPLY_ARRAY) {
		printf("%-10s %s (Redis stream)\n", "queue", buf_cstr(&stream));
		printf("%-10s %lld\n", "length", len->integer);
		for (size_t i = 0; i < groups->elements; i++) {
			const redisReply *g = groups->element[i];
			const redisReply *name = info_field(g, "name");
			if (name == NULL || name->type != REDIS_REPLY_STRING || strcmp(name->str, NQUEUE_GROUP) != 0)
				continue;
			print_field("pending", info_field(g, "pending"));
			print_field("consumers", info_field(g, "consumers"));
			print_field("lag", info_field(g, "lag"));
			print_field("delivered", info_field(g, "last-delivered-id"));
		}
		for (size_t i = 0; consumers != NULL && consumers->type == REDIS_REPLY_ARRAY && i < consumers->elements; i++) {
			const redisReply *c = consumers->element[i];
			const redisReply *name = info_field(c, "name"), *pend = info_field(c, "pending"),
					 *idle = info_field(c, "idle");
			if (name != NULL && pend != NULL && idle != NULL && name->type == REDIS_REPLY_STRING)
				printf("consumer   %s pending=%lld idle=%llds\n", name->str, pend->integer,
				       idle->integer / 1000);
		}
		rc = CTL_OK;
	} else {
		fprintf(stderr, "relayguard-ctl: queue: Redis did not answer\n");
	}
	if (len)
		freeReplyObject(len);
	if (groups)
		freeReplyObject(groups);
	if (consumers)
		freeReplyObject(consumers);
	buf_free(&stream);
	return rc;
}

static int queue_redis(const cfg_t *cfg)
{
	nstreams_t *qs = open_queue(cfg);
	int rc = CTL_OK;

	if (qs == NULL)
		return CTL_FAIL;
	/* one block per stream (report_streams), stream 0 first */
	for (size_t i = 0; i < nstreams_count(qs); i++)
		if (queue_stream(nstreams_at(qs, i)) != CTL_OK)
			rc = CTL_FAIL;
	/* check-config reads no Redis: a change of report_streams shows here */
	unsigned last = nstreams_recorded(qs);
	if (last == 0) {
		fprintf(stderr, "relayguard-ctl: queue: cannot read the report_streams the notifiers last read\n");
		rc = CTL_FAIL;
	} else {
		printf("%-10s %zu here, %u when the notifiers last started\n", "streams", nstreams_count(qs), last);
		if (last != nstreams_count(qs))
			fprintf(stderr,
				"relayguard-ctl: queue: warning: report_streams is %zu here but the notifiers last read "
				"%u streams; a notifier with %zu refuses to start while a stream it would no longer "
				"read holds events (relayguard.conf(5), report_streams)\n",
				nstreams_count(qs), last, nstreams_count(qs));
	}
	nstreams_close(&qs);
	return rc;
}

static int count_cb(const char *rec, size_t len, uint64_t end, void *ctx)
{
	(void)rec;
	(void)len;
	(void)end;
	(*(size_t *)ctx)++;
	return 0;
}

static int queue_spool(const cfg_t *cfg)
{
	spool_t *sp = NULL;
	char *err = NULL;
	const char *why;
	struct spool_pos pos;
	size_t pending = 0;
	uint64_t next;

	if (spool_open(cfg_str(cfg, CFG_REPORT_SPOOL), &sp, &err) != 0) {
		fprintf(stderr, "relayguard-ctl: %s\n", err);
		free(err);
		return CTL_FAIL;
	}
	if (spool_pos_load(sp, &pos, &why) != 0 || spool_read(sp, pos.offset, (size_t)-1, count_cb, &pending, &next, &why) < 0) {
		fprintf(stderr, "relayguard-ctl: spool %s: %s\n", spool_dir(sp), why);
		spool_close(&sp);
		return CTL_FAIL;
	}
	printf("%-10s %s/reports.journal (spool, no Redis)\n", "queue", spool_dir(sp));
	printf("%-10s %llu bytes\n", "length", (unsigned long long)spool_size(sp));
	printf("%-10s %zu\n", "pending", pending);
	printf("%-10s %llu\n", "position", (unsigned long long)pos.offset);
	spool_close(&sp);
	return CTL_OK;
}

int ctl_queue(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage_error(argv[0], "takes no arguments");
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	int rc = cfg_has_redis(cfg) ? queue_redis(cfg) : queue_spool(cfg);
	cfg_unref(&cfg);
	return rc;
}

/* ---- networks ------------------------------------------------------------ */

/* One row of networks; with only_untold, rows of networks nobody can be told, with the reason. */
static void network_row(nstreams_t *qs, long long w, const char *netkey, const char *hits, bool only_untold,
			long *left)
{
	struct buf told = BUF_INIT, untold = BUF_INIT;
	nqueue_t *q = nstreams_home(qs);	/* told and untold are stream 0's */

	report_keys_told(nqueue_prefix(q), netkey, &told);
	report_keys_untold(nqueue_prefix(q), netkey, &untold);
	nagg_t *one = nagg_new();
	char *err = NULL;
	const struct net_agg *net = nstreams_load_net(qs, one, w, netkey);
	redisReply *t = nqueue_command(q, "EXISTS", buf_cstr(&told), NULL);
	redisReply *u = nqueue_command(q, "GET", buf_cstr(&untold), NULL);
	const char *netname = net ? net->netname : "", *abuse = net ? net->abuse : "";
	const char *network = net ? net->network : netkey;
	free(err);	/* a row without its facts says enough */
	bool is_told = t != NULL && t->type == REDIS_REPLY_INTEGER && t->integer > 0;
	/* the marker is "TIME TAB reason" (relayguard-notify's untold_once) */
	const char *why = u != NULL && u->type == REDIS_REPLY_STRING ? strchr(u->str, '\t') : NULL;
	if (!only_untold) {
		printf("%-33s %-20.20s %7s  %-4s %s\n", netkey, netname[0] ? netname : "-", hits,
		       is_told ? "yes" : why != NULL ? "none" : "no", abuse[0] ? abuse : "-");
	} else if (why != NULL && (*left)-- > 0) {
		printf("%-33s %-20.20s %7s  %s: %s\n", netkey, netname[0] ? netname : "-", hits, network, why + 1);
	}
	nagg_free(&one);
	if (t)
		freeReplyObject(t);
	if (u)
		freeReplyObject(u);
	buf_free(&told);
	buf_free(&untold);
}

struct networks_ctx {
	nstreams_t *qs;
	const struct opts *o;
	long left;
};

static void networks_one(long long w, const char *netkey, long long hits, void *ctx)
{
	struct networks_ctx *c = ctx;
	char h[24];

	snprintf(h, sizeof(h), "%lld", hits);
	network_row(c->qs, w, netkey, h, c->o->untold, &c->left);
}

static int networks_redis(const cfg_t *cfg, const struct opts *o)
{
	struct networks_ctx c = { open_queue(cfg), o, o->top };
	long long w = (long long)time(NULL) / (long long)(cfg_ms(cfg, CFG_NOTIFY_WINDOW) / 1000);
	char *err = NULL;

	if (c.qs == NULL)
		return CTL_FAIL;
	if (o->untold)
		printf("%-33s %-20s %7s  %s\n", "network", "netname", "hits", "range: why nobody is told");
	else
		printf("%-33s %-20s %7s  %-4s %s\n", "network", "netname", "hits", "told", "abuse contact");
	/* hits summed over every stream; --untold filters: look at every
	 * network of the window, print the first top */
	int rc = nstreams_top(c.qs, w, o->untold ? -1 : o->top, networks_one, &c, &err) == 0 ? CTL_OK : CTL_FAIL;
	if (rc != CTL_OK)
		fprintf(stderr, "relayguard-ctl: networks: %s\n", err);
	free(err);
	nstreams_close(&c.qs);
	return rc;
}

/* Lines of the notifier's state file starting with tag, each split at TAB. */
static int state_lines(const cfg_t *cfg, const char *tag, void (*cb)(char **f, size_t n, void *ctx), void *ctx)
{
	struct buf path = BUF_INIT;
	char *line = xmalloc(CTL_REPORTS_LINE_MAX);
	size_t tlen = strlen(tag);

	buf_printf(&path, "%s/notify.state", cfg_str(cfg, CFG_NOTIFY_STATE_DIR));
	FILE *fp = fopen(buf_cstr(&path), "r");
	if (fp == NULL) {
		printf("(no state yet: %s)\n", buf_cstr(&path));
	} else {
		while (fgets(line, CTL_REPORTS_LINE_MAX, fp) != NULL) {
			char *f[16];
			size_t n = 0;
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, tag, tlen) != 0 || line[tlen] != '\t')
				continue;
			for (char *p = line; p != NULL && n < 16;) {
				f[n++] = p;
				if ((p = strchr(p, '\t')) != NULL)
					*p++ = '\0';
			}
			cb(f, n, ctx);
		}
		fclose(fp);
	}
	buf_free(&path);
	free(line);
	return CTL_OK;
}

static void net_line(char **f, size_t n, void *ctx)
{
	long *left = ctx;

	if (n == 12 && (*left)-- > 0)
		printf("%-33s %-20.20s %7s  %-4s %s\n", f[2], f[4][0] ? f[4] : "-", f[9], "-", f[7][0] ? f[7] : "-");
}

/* Spool mode --untold: the networks whose "no notice" was logged (reasons are in the log). */
static void untold_line(char **f, size_t n, void *ctx)
{
	long *left = ctx;
	char when[32];
	struct tm tm;

	if (n == 3 && (*left)-- > 0) {
		time_t t = (time_t)atoll(f[2]);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		printf("%-33s no contact or suppressed, logged %s UTC (see relayguard-notify's log)\n", f[1], when);
	}
}

int ctl_networks(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct opts o;

	if (parse_opts(argc, argv, &o) != 0)
		return CTL_USAGE;
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	int rc;
	if (cfg_has_redis(cfg)) {
		rc = networks_redis(cfg, &o);
	} else if (o.untold) {
		printf("%-33s %s\n", "network", "why nobody is told");
		rc = state_lines(cfg, "untold", untold_line, &o.top);
	} else {
		printf("%-33s %-20s %7s  %-4s %s\n", "network", "netname", "hits", "told", "abuse contact");
		rc = state_lines(cfg, "net", net_line, &o.top);
	}
	cfg_unref(&cfg);
	return rc;
}

/* ---- notices ------------------------------------------------------------- */

/* The value of "key": in one of our JSON log lines (strings unescaped simply). */
static void json_field(const char *json, const char *key, char *out, size_t size)
{
	char pat[32];
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(json, pat);
	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(pat);
	bool quoted = *p == '"';
	p += quoted;
	for (; *p && o + 1 < size; p++) {
		if (quoted && *p == '\\' && p[1]) {
			p++;
		} else if ((quoted && *p == '"') || (!quoted && (*p == ',' || *p == '}'))) {
			break;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

static void notice_row(const char *json)
{
	char id[64], t[32], network[128], to[256], addrs[16], hits[24], when[32];
	struct tm tm;

	json_field(json, "id", id, sizeof(id));
	json_field(json, "time", t, sizeof(t));
	json_field(json, "network", network, sizeof(network));
	json_field(json, "to", to, sizeof(to));
	json_field(json, "addresses", addrs, sizeof(addrs));
	json_field(json, "hits", hits, sizeof(hits));
	time_t tt = (time_t)atoll(t);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&tt, &tm));
	printf("%-19s  %-19s  %-33s %5s %6s  %s\n", when, id, network, addrs, hits, to);
}

struct log_ctx {
	char **lines;
	size_t n;
};

static void log_line(char **f, size_t n, void *ctx)
{
	struct log_ctx *l = ctx;

	if (n >= 2) {
		l->lines = xreallocarray(l->lines, l->n + 1, sizeof(*l->lines));
		l->lines[l->n++] = xstrdup(f[1]);
	}
}

/* notices --suppress X / --unsuppress X: edit the notify_suppress file. */
static int edit_suppress(const cfg_t *cfg, const struct opts *o)
{
	const char *path = cfg_str(cfg, CFG_NOTIFY_SUPPRESS);
	const char *entry = o->suppress != NULL ? o->suppress : o->unsuppress;
	char *err = NULL;

	if (path[0] == '\0') {
		fprintf(stderr, "relayguard-ctl: notices: notify_suppress is not set in %s\n", cfg_path(cfg));
		return CTL_FAIL;
	}
	int rc = nsuppress_edit(path, entry, o->suppress != NULL, &err);
	if (rc < 0) {
		fprintf(stderr, "relayguard-ctl: notices: %s\n", err);
		free(err);
		return CTL_FAIL;
	}
	if (o->suppress != NULL)
		printf(rc == 0 ? "%s: added %s\n" : "%s: %s is already there\n", path, entry);
	else
		printf(rc == 0 ? "%s: removed %s\n" : "%s: %s was not there\n", path, entry);
	return CTL_OK;
}

int ctl_notices(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	char stop[24];

	if (parse_opts(argc, argv, &o) != 0)
		return CTL_USAGE;
	long top = o.top;
	cfg_t *cfg = ctl_load_config(ctx);
	if (cfg == NULL)
		return CTL_FAIL;
	if (o.suppress != NULL || o.unsuppress != NULL) {
		int erc = edit_suppress(cfg, &o);
		cfg_unref(&cfg);
		return erc;
	}
	int rc = CTL_OK;
	printf("%-19s  %-19s  %-33s %5s %6s  %s\n", "sent (UTC)", "notice", "network", "addrs", "hits", "to");
	if (cfg_has_redis(cfg)) {
		nqueue_t *q = open_home(cfg);
		struct buf key = BUF_INIT;
		rc = CTL_FAIL;
		if (q != NULL) {
			report_keys_notices(nqueue_prefix(q), &key);
			snprintf(stop, sizeof(stop), "%ld", top - 1);
			redisReply *r = nqueue_command(q, "LRANGE", buf_cstr(&key), "0", stop, NULL);
			if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
				for (size_t i = 0; i < r->elements; i++)
					if (r->element[i]->type == REDIS_REPLY_STRING)
						notice_row(r->element[i]->str);
				rc = CTL_OK;
			}
			if (r)
				freeReplyObject(r);
			nqueue_close(&q);
		}
		buf_free(&key);
	} else {
		struct log_ctx l = { NULL, 0 };
		rc = state_lines(cfg, "log", log_line, &l);
		for (size_t i = l.n; i > 0; i--) {
			if ((long)(l.n - i) < top)
				notice_row(l.lines[i - 1]);
			free(l.lines[i - 1]);
		}
		free(l.lines);
	}
	cfg_unref(&cfg);
	return rc;
}
