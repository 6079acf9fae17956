/*
 * notify_lib - the steps both queue back ends of relayguard-notify share
 * (notify.c on Redis, nspool.c on the spool journal): the owner of an
 * event, the notice of a network, who receives it, the log lines.  See
 * notify.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "notify.h"

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

static void render(const struct notifier *n, const struct net_agg *net, const struct nevidence *ev,
		   char id[NOTICE_ID_MAX], struct buf *out)
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
		.verify = ev,
	};
	notice_id(net, id);
	notice_render(net, &o, out);
}

void notify_render(const struct notifier *n, const struct net_agg *net, char id[NOTICE_ID_MAX],
		   struct buf *out)
{
	render(n, net, NULL, id, out);
}

enum notify_rendered notify_render_verified(struct notifier *n, struct net_agg *net, char id[NOTICE_ID_MAX],
					     struct buf *out)
{
	struct nverify_notice nn;

	if (n->verify == NULL) {
		render(n, net, NULL, id, out);
		return NOTIFY_RENDERED;
	}
	switch (nverify_net(n->verify, net, &nn)) {
	case NVERIFY_DROP: return NOTIFY_UNCONFIRMED;
	case NVERIFY_WAIT: return NOTIFY_VERIFY_WAIT;
	case NVERIFY_SEND: break;
	}
	render(n, nn.net, &nn.ev, id, out);
	nverify_notice_free(&nn);
	return NOTIFY_RENDERED;
}

enum notify_to notify_recipient(struct notifier *n, const struct net_agg *net, struct buf *to, struct buf *why)
{
	size_t why_start = why->len;

	if (ncontact_find(n->contacts, net, to, why) == NCONTACT_NONE)
		return NOTIFY_TO_NONE;
	buf_truncate(why, why_start);	/* the links passed over do not matter now */
	struct buf entry = BUF_INIT;
	bool hit = nsuppress_match(n->suppress, net, buf_cstr(to), &entry);
	if (hit)
		buf_printf(why, "notify_suppress lists %s (contact %s)", buf_cstr(&entry), buf_cstr(to));
	buf_free(&entry);
	return hit ? NOTIFY_TO_SUPPRESSED : NOTIFY_TO_SEND;
}

/* Notices notify_suppress held back (notify_log_untold()): the notifier's thread only. */
static unsigned long long suppressed_total;

unsigned long long notify_suppressed_total(void)
{
	return suppressed_total;
}

void notify_log_untold(const struct net_agg *net, enum notify_to what, const char *why)
{
	if (what == NOTIFY_TO_SUPPRESSED)
		suppressed_total++;
	if (what == NOTIFY_TO_SUPPRESSED)
		log_info("network %s (%s): no notice, %s", net->network, net->netkey, why);
	else
		log_notice("network %s (%s): no notice, no contact: %s", net->network, net->netkey, why);
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
