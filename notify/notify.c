/*
 * relayguard-notify - turns report events into one notice per offending
 * network, sent to its abuse contact.  See relayguard-notify(8).
 *
 * With redis_server: reads {prefix}reports as a member of the consumer
 * group "notify" (several notifiers may run), counts each batch per
 * network and commits counts and acknowledgements in one atomic step
 * (nqueue), then sends the notices of networks that reached
 * notify_min_hits and were not told within notify_interval.  A notice is
 * claimed in Redis before it is sent, so two notifiers never both send it.
 * Without redis_server: nspool.c, on the spool journal.
 *
 * usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "nqueue.h"

/* A network to consider for a notice. */
struct due {
	long long window;
	char *netkey;
};

struct run {
	struct notifier *n;
	nqueue_t *q;
	nagg_t *batch;
	char **ids;
	size_t n_ids;
	struct due *due;
	size_t n_due, cap_due;
	long long max_window;	/* newest window seen */
	struct buf scratch;
};

static struct notifier *the_notifier;

static void on_signal(int sig)
{
	(void)sig;
	if (the_notifier != NULL)
		the_notifier->stop = 1;
}

/* ---- shared with nspool.c -------------------------------------------- */

void notify_owner(const struct notifier *n, const addr_t *client, struct nagg_owner *o,
		  struct buf *scratch)
{
	struct owner_info info;

	buf_reset(scratch);
	memset(o, 0, sizeof(*o));
	if (n->owners != NULL && owners_lookup(n->owners, client, &info, NULL)) {
		/* the netkey is the network without blanks: one token in keys and logs */
		for (const char *p = info.network; *p; p++)
			if (*p != ' ')
				buf_putc(scratch, *p);
		buf_putc(scratch, '\0');
		size_t net_off = scratch->len;
		buf_puts(scratch, info.network);
		o->netkey = scratch->data;
		o->network = scratch->data + net_off;
		o->netname = info.netname;
		o->org = info.org;
		o->country = info.country;
		o->abuse = info.abuse;
		o->owned = true;
		return;
	}
	owners_fallback_network(client, scratch);
	o->netkey = o->network = scratch->data;
	o->netname = o->org = o->country = "";
	o->abuse = cfg_str(n->cfg, CFG_NOTIFY_FALLBACK_ADDRESS);
	o->owned = false;
}

void notify_render(const struct notifier *n, const struct net_agg *net, char id[NOTICE_ID_MAX],
		   struct buf *out)
{
	struct notice_opts o = {
		.from = n->from,
		.to = net->abuse,
		.bcc = cfg_str(n->cfg, CFG_NOTIFY_BCC),
		.myhostname = cfg_str(n->cfg, CFG_MYHOSTNAME),
		.template_text = n->template_text,
		.format = cfg_enum(n->cfg, CFG_NOTIFY_FORMAT) == CFG_NOTIFY_FORMAT_XARF ? NOTICE_XARF : NOTICE_ARF,
		.window_s = n->window_s,
		.now = time(NULL),
	};
	notice_id(net, id);
	notice_render(net, &o, out);
}

void notify_log_json(const struct net_agg *net, const char *id, const char *to, struct buf *out)
{
	buf_puts(out, "{");
	json_key(out, "id");
	json_str(out, id);
	json_key(out, "time");
	buf_printf(out, "%lld", (long long)time(NULL));
	json_key(out, "network");
	json_str(out, net->network);
	json_key(out, "netname");
	json_str(out, net->netname);
	json_key(out, "to");
	json_str(out, to);
	json_key(out, "addresses");
	buf_printf(out, "%zu", net->n_addrs);
	json_key(out, "hits");
	buf_printf(out, "%lld}", net->hits);
}

/* ---- Redis back end ------------------------------------------------------ */

static void add_due(long long window, const char *netkey, void *ctx)
{
	struct run *r = ctx;
	const struct net_agg *mine = r->batch ? nagg_find(r->batch, window, netkey) : NULL;

	/* no owner and no notify_fallback_address: only counted */
	if (mine != NULL && !mine->owned && *cfg_str(r->n->cfg, CFG_NOTIFY_FALLBACK_ADDRESS) == '\0')
		return;

	for (size_t i = 0; i < r->n_due; i++)
		if (r->due[i].window == window && strcmp(r->due[i].netkey, netkey) == 0)
			return;
	if (r->n_due == r->cap_due) {
		r->cap_due = r->cap_due ? r->cap_due * 2 : 64;
		r->due = xreallocarray(r->due, r->cap_due, sizeof(*r->due));
	}
	r->due[r->n_due].window = window;
	r->due[r->n_due++].netkey = xstrdup(netkey);
}

static void clear_due(struct run *r)
{
	for (size_t i = 0; i < r->n_due; i++)
		free(r->due[i].netkey);
	r->n_due = 0;
}

static void on_entry(const char *id, const struct report_event *ev, void *ctx)
{
	struct run *r = ctx;
	struct notifier *n = r->n;
	struct nagg_owner owner;

	r->ids[r->n_ids++] = xstrdup(id);
	if (ev == NULL) {
		n->bad_events++;
		return;
	}
	n->events++;
	notify_owner(n, &ev->client, &owner, &r->scratch);
	long long w = ev->time / n->window_s;
	if (w > r->max_window)
		r->max_window = w;
	nagg_add(r->batch, w, &owner, ev);
}

/* One notice for one network, if it is due; false when notices must stop for now. */
static bool notice_one(struct run *r, long long window, const char *netkey)
{
	struct notifier *n = r->n;
	nagg_t *scratch = nagg_new();
	char id[NOTICE_ID_MAX];
	char *err = NULL;
	struct buf msg = BUF_INIT, logline = BUF_INIT;
	bool go_on = true;

	if (nqueue_told(r->q, netkey) != 0)
		goto out;	/* told within notify_interval (or Redis trouble: later) */
	struct net_agg *net = nqueue_load_net(r->q, scratch, window, netkey, &err);
	if (net != NULL && !net->owned) {
		/* no owner: the fallback address of the configuration in force now */
		free(net->abuse);
		net->abuse = xstrdup(cfg_str(n->cfg, CFG_NOTIFY_FALLBACK_ADDRESS));
	}
	if (net == NULL || net->hits < n->min_hits || net->abuse[0] == '\0')
		goto out;	/* gone, not there yet, or nobody to tell (only counted) */
	notice_id(net, id);
	int claim = nqueue_claim_send(r->q, id, (unsigned)(cfg_ms(n->cfg, CFG_NOTIFY_CLAIM_IDLE) / 1000), n->rate);
	if (claim == 0 || claim < 0)
		goto out;	/* sent already, another notifier is sending it, or Redis trouble */
	if (claim == 2) {
		n->deferred++;
		n->rate_exhausted = true;
		log_notice("notify_rate (%lld per hour) reached: the notice for %s waits", n->rate, netkey);
		go_on = false;
		goto out;
	}
	notify_render(n, net, id, &msg);
	if (deliver_send(n->deliver, id, n->from, net->abuse, cfg_str(n->cfg, CFG_NOTIFY_BCC), &msg, &err) != 0) {
		log_warning("notice %s for %s to %s not delivered: %s", id, netkey, net->abuse, err);
		nqueue_unclaim(r->q, id);
		nqueue_rate_give(r->q);
		n->failed++;
		goto out;
	}
	notify_log_json(net, id, net->abuse, &logline);
	if (nqueue_sent(r->q, id, netkey, n->interval_s, 2 * n->window_s + n->interval_s + 3600,
			buf_cstr(&logline), &err) != 0)
		log_warning("notice %s delivered but not recorded: %s", id, err);
	n->notices++;
	log_info("notice %s sent: network=%s to=%s addresses=%zu hits=%lld", id, net->network, net->abuse,
		 net->n_addrs, net->hits);
out:
	free(err);
	buf_free(&msg);
	buf_free(&logline);
	nagg_free(&scratch);
	return go_on;
}

static void send_due(struct run *r)
{
	for (size_t i = 0; i < r->n_due && !r->n->rate_exhausted; i++)
		if (!notice_one(r, r->due[i].window, r->due[i].netkey))
			break;
	clear_due(r);
}

/* Every network over the threshold in the current and the last window. */
static int scan_due(struct run *r)
{
	long long now_w = (long long)time(NULL) / r->n->window_s;
	long long top = r->max_window > now_w ? r->max_window : now_w;
	char *err = NULL;

	for (long long w = top - 1; w <= top; w++) {
		if (nqueue_due(r->q, w, r->n->min_hits, add_due, r, &err) != 0) {
			log_warning("%s", err);
			free(err);
			return -1;
		}
	}
	send_due(r);
	return 0;
}

/* Read one batch of phase, commit it, send what became due.  Entries read, or -1. */
static long one_batch(struct run *r, enum nqueue_phase phase, int block_ms)
{
	char *err = NULL;

	long got = nqueue_read(r->q, phase, NOTIFY_BATCH, block_ms, on_entry, r, &err);
	if (got > 0 && nqueue_commit(r->q, r->batch, r->ids, r->n_ids, r->n->min_hits, add_due, r, &err) != 0)
		got = -1;
	if (got < 0) {
		log_warning("%s", err);
		free(err);
	}
	nagg_clear(r->batch);
	for (size_t i = 0; i < r->n_ids; i++)
		free(r->ids[i]);
	r->n_ids = 0;
	if (got > 0)
		send_due(r);
	return got;
}

static int run_redis(struct notifier *n)
{
	struct run r = { .n = n, .batch = nagg_new(), .ids = xcalloc(NOTIFY_BATCH, sizeof(char *)) };
	char *err = NULL;
	int status = 0;
	time_t last_scan = 0;

	if (nqueue_open(n->cfg, n->consumer, &r.q, &err) != 0) {
		log_error("%s", err);
		free(err);
		nagg_free(&r.batch);
		free(r.ids);
		return 1;
	}
	/* First what this consumer had before a restart, then others' stale work. */
	while (!n->stop && one_batch(&r, NQUEUE_OWN_PENDING, 0) > 0)
		;
	while (!n->stop) {
		long claimed = one_batch(&r, NQUEUE_CLAIM, 0);
		long got = one_batch(&r, NQUEUE_NEW, n->once ? 0 : NOTIFY_BLOCK_MS);
		if (got < 0 || claimed < 0) {
			if (n->once) {
				status = 1;
				break;
			}
			sleep(1);
		}
		n->rate_exhausted = false;	/* try again: the hour may have turned */
		if (time(NULL) - last_scan >= NOTIFY_DUE_SCAN_S || (n->once && got == 0 && claimed == 0)) {
			scan_due(&r);
			last_scan = time(NULL);
		}
		if (n->once && got == 0 && claimed == 0)
			break;
	}
	clear_due(&r);
	free(r.due);
	nqueue_close(&r.q);
	nagg_free(&r.batch);
	free(r.ids);
	buf_free(&r.scratch);
	return status;
}

/* --dry-run on Redis: the whole stream counted in memory, nothing written. */
static void dry_entry(const char *id, const struct report_event *ev, void *ctx)
{
	struct run *r = ctx;
	struct nagg_owner owner;

	(void)id;
	if (ev == NULL)
		return;
	r->n->events++;
	notify_owner(r->n, &ev->client, &owner, &r->scratch);
	nagg_add(r->batch, ev->time / r->n->window_s, &owner, ev);
}

static int run_dry_redis(struct notifier *n)
{
	struct run r = { .n = n, .batch = nagg_new() };
	char cursor[NQUEUE_ID_MAX] = "";
	char *err = NULL;
	long got;

	if (nqueue_open(n->cfg, n->consumer, &r.q, &err) != 0) {
		log_error("%s", err);
		free(err);
		nagg_free(&r.batch);
		return 1;
	}
	while ((got = nqueue_scan(r.q, cursor, NOTIFY_BATCH, dry_entry, &r, &err)) > 0)
		;
	if (got < 0) {
		log_error("%s", err);
		free(err);
	}
	for (size_t i = 0; i < nagg_count(r.batch); i++) {
		struct net_agg *net = nagg_at(r.batch, i);
		char id[NOTICE_ID_MAX];
		struct buf msg = BUF_INIT;
		if (net->hits < n->min_hits || net->abuse[0] == '\0' || nqueue_told(r.q, net->netkey) == 1)
			continue;
		notify_render(n, net, id, &msg);
		printf("%s\n", buf_cstr(&msg));
		n->notices++;
		buf_free(&msg);
	}
	nqueue_close(&r.q);
	nagg_free(&r.batch);
	buf_free(&r.scratch);
	return got < 0;
}

/* ---- setup --------------------------------------------------------------- */

static int load_owners(struct notifier *n)
{
	const struct cfg_strlist *dbs = cfg_list(n->cfg, CFG_OWNERS_DB);
	struct owners_stats st;
	char *err = NULL;
	clock_t t0 = clock();

	n->owners = owners_new();
	for (size_t i = 0; i < dbs->n; i++) {
		if (owners_load(n->owners, dbs->items[i], &err) != 0) {
			log_error("owners_db: %s", err);
			free(err);
			return -1;
		}
	}
	owners_finish(n->owners);
	owners_stats(n->owners, &st);
	log_info("owners: %zu networks, %zu contacts, %zu prefixes, %zu without abuse contact, "
		 "%zu bad lines, %zu KiB, %.2f s",
		 st.objects, st.handles, st.prefixes, st.no_abuse, st.bad_lines, st.memory / 1024,
		 (double)(clock() - t0) / CLOCKS_PER_SEC);
	return 0;
}

static int load_template(struct notifier *n)
{
	const char *path = cfg_str(n->cfg, CFG_NOTIFY_TEMPLATE);
	FILE *fp = fopen(path, "r");
	struct buf text = BUF_INIT;
	char chunk[4096];
	size_t got;
	const char *why;

	if (fp == NULL) {
		log_error("notify_template %s: cannot open: %m", path);
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len <= NOTICE_TEMPLATE_MAX)
		buf_append(&text, chunk, got);
	fclose(fp);
	if (notice_template_check(buf_cstr(&text), &why) != 0) {
		log_error("notify_template %s: %s", path, why);
		buf_free(&text);
		return -1;
	}
	n->template_text = buf_detach(&text);
	return 0;
}

/* notify_from with $myhostname (or ${myhostname}) replaced. */
static char *expand_from(const cfg_t *cfg)
{
	const char *from = cfg_str(cfg, CFG_NOTIFY_FROM);
	struct buf out = BUF_INIT;

	for (const char *p = from; *p; p++) {
		if (strncmp(p, "${myhostname}", 13) == 0) {
			buf_puts(&out, cfg_str(cfg, CFG_MYHOSTNAME));
			p += 12;
		} else if (strncmp(p, "$myhostname", 11) == 0) {
			buf_puts(&out, cfg_str(cfg, CFG_MYHOSTNAME));
			p += 10;
		} else {
			buf_putc(&out, *p);
		}
	}
	return buf_detach(&out);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguard-notify [-c FILE] [--once] [--dry-run] [--consumer NAME] [-v]\n"
		     "  -c FILE          configuration file (default %s)\n"
		     "  --once           handle what is queued now, send the notices, exit\n"
		     "  --dry-run        print the notices that are due instead of sending them\n"
		     "                   (reads without consuming; implies --once)\n"
		     "  --consumer NAME  this notifier's name in the consumer group (default myhostname)\n"
		     "  -v               debug messages\n",
		     DEFAULT_CONFIG_FILE);
}

static int parse_args(int argc, char **argv, struct notifier *n, const char **config_r)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },	   { "dry-run", no_argument, NULL, 'd' },
		{ "consumer", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config_r = optarg; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'o': n->once = true; break;
		case 'd': n->dry_run = n->once = true; break;
		case 'n': n->consumer = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int setup(struct notifier *n, const char *config)
{
	char *err = NULL;

	if (cfg_load_default(config, &n->cfg, &err) != 0) {
		fprintf(stderr, "relayguard-notify: %s\n", err);
		free(err);
		return -1;
	}
	n->window_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_WINDOW) / 1000);
	n->interval_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_INTERVAL) / 1000);
	n->min_hits = cfg_int(n->cfg, CFG_NOTIFY_MIN_HITS);
	n->rate = cfg_int(n->cfg, CFG_NOTIFY_RATE);
	n->from = expand_from(n->cfg);
	if (n->consumer == NULL)
		n->consumer = cfg_str(n->cfg, CFG_MYHOSTNAME);
	if (load_owners(n) != 0 || load_template(n) != 0)
		return -1;
	if (!n->dry_run &&
	    deliver_new(cfg_str(n->cfg, CFG_NOTIFY_TRANSPORT), cfg_str(n->cfg, CFG_MYHOSTNAME), &n->deliver, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct notifier n = { 0 };
	const char *config = NULL;
	int status;

	log_open("relayguard-notify", LOG_TO_STDERR, 0);
	if (parse_args(argc, argv, &n, &config) != 0)
		return 2;
	the_notifier = &n;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&n, config) != 0) {
		status = 1;
	} else {
		bool redis = *cfg_str(n.cfg, CFG_REDIS_SERVER) != '\0' ||
			     *cfg_str(n.cfg, CFG_REDIS_SENTINELS) != '\0';
		if (n.dry_run && redis)
			status = run_dry_redis(&n);
		else if (redis)
			status = run_redis(&n);
		else
			status = nspool_run(&n);
		log_info("events=%llu unreadable=%llu notices=%llu deferred=%llu failed=%llu", n.events,
			 n.bad_events, n.notices, n.deferred, n.failed);
	}
	deliver_free(&n.deliver);
	owners_free(&n.owners);
	free(n.template_text);
	free(n.from);
	cfg_unref(&n.cfg);
	return status;
}
