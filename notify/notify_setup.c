/*
 * notify_setup - a struct notifier from the configuration: settings, the
 * owners databases, the notice template, the sender, the contact chain,
 * notify_suppress and the transport; and back.  See notify.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "mem.h"
#include "notify.h"

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

static char *expand_hostname(const cfg_t *cfg, const char *from);

/* conf/notice.txt, built in (notify/notice_default.inc is made from it by make). */
static const char default_template[] =
#include "notice_default.inc"
	;

/*
 * notify_template: "" = the built-in template.  The default path
 * ($sysconfdir/relayguard/notice.txt, installed by make install) missing
 * is not an error either: the built-in template is used and that is
 * logged.  Any other path that cannot be read is an error: the site asked
 * for that file.
 */
static int load_template(struct notifier *n)
{
	const char *path = cfg_str(n->cfg, CFG_NOTIFY_TEMPLATE);
	struct buf text = BUF_INIT;
	char chunk[4096];
	size_t got;
	const char *why;

	if (path[0] == '\0') {
		buf_puts(&text, default_template);
		path = "(built in)";
	} else {
		FILE *fp = fopen(path, "r");
		if (fp == NULL && errno == ENOENT && strcmp(path, cfg_default_text(CFG_NOTIFY_TEMPLATE)) == 0) {
			log_notice("notify_template %s does not exist: using the built-in template", path);
			buf_puts(&text, default_template);
		} else if (fp == NULL) {
			log_error("notify_template %s: cannot open: %m", path);
			return -1;
		} else {
			while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len <= NOTICE_TEMPLATE_MAX)
				buf_append(&text, chunk, got);
			fclose(fp);
		}
	}
	if (notice_template_check(buf_cstr(&text), &why) != 0) {
		log_error("notify_template %s: %s", path, why);
		buf_free(&text);
		return -1;
	}
	n->template_text = buf_detach(&text);
	return 0;
}

/*
 * The envelope sender: notify_envelope_sender, or the address of
 * notify_from ("Name <a@b>" -> a@b); $myhostname expanded.  It must be
 * safe (deliver_sender_ok): it reaches sendmail's command line and MAIL FROM.
 */
static int setup_sender(struct notifier *n)
{
	const char *es = cfg_str(n->cfg, CFG_NOTIFY_ENVELOPE_SENDER);
	const char *why;

	if (es[0] != '\0') {
		n->sender = expand_hostname(n->cfg, es);
	} else {
		const char *lt = strrchr(n->from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		n->sender = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : xstrdup(n->from);
	}
	if (!deliver_sender_ok(n->sender, &why)) {
		log_error("%s %s: not usable as the envelope sender: %s", es[0] ? "notify_envelope_sender" : "notify_from", n->sender,
			  why);
		return -1;
	}
	return 0;
}

/* from with $myhostname (or ${myhostname}) replaced. */
static char *expand_hostname(const cfg_t *cfg, const char *from)
{
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

/* Root only when asked (allow_root), else the user; no file others may write. */
static int notify_privileges(const cfg_t *cfg)
{
	char *err = NULL;

	if (daemon_startup_checks(cfg) != 0)
		return -1;
	if (daemon_drop_privileges(cfg_str(cfg, CFG_USER), cfg_str(cfg, CFG_GROUP), NULL, NULL, &err) != 0) {
		log_lines(LOG_LVL_ERROR, err);
		free(err);
		return -1;
	}
	return 0;
}

int notify_setup(struct notifier *n, const char *config)
{
	char *err = NULL;

	if (cfg_load_default(config, &n->cfg, &err) != 0) {
		fprintf(stderr, "relayguard-notify: %s\n", err);
		free(err);
		return -1;
	}
	if (notify_privileges(n->cfg) != 0)
		return -1;
	n->window_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_WINDOW) / 1000);
	n->interval_s = (long long)(cfg_ms(n->cfg, CFG_NOTIFY_INTERVAL) / 1000);
	n->min_hits = cfg_int(n->cfg, CFG_NOTIFY_MIN_HITS);
	n->rate = cfg_int(n->cfg, CFG_NOTIFY_RATE);
	n->from = expand_hostname(n->cfg, cfg_str(n->cfg, CFG_NOTIFY_FROM));
	if (n->consumer == NULL)
		n->consumer = cfg_str(n->cfg, CFG_MYHOSTNAME);
	/* the transport first: an outbox makes its spare files while the owners
	 * load; no more than an hour's notices (notify_rate) */
	if (!n->dry_run &&
	    deliver_new(cfg_str(n->cfg, CFG_NOTIFY_TRANSPORT), cfg_str(n->cfg, CFG_MYHOSTNAME), (size_t)n->rate,
			&n->deliver, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	if (setup_sender(n) != 0 || load_owners(n) != 0 || load_template(n) != 0)
		return -1;
	if (ncontact_new(n->cfg, &n->contacts, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	n->suppress = nsuppress_new(cfg_str(n->cfg, CFG_NOTIFY_SUPPRESS));
	nsuppress_refresh(n->suppress);
	if (nverify_new(n->cfg, n->dry_run, &n->verify, &err) != 0) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

void notify_release(struct notifier *n)
{
	deliver_free(&n->deliver);
	owners_free(&n->owners);
	ncontact_free(&n->contacts);
	nsuppress_free(&n->suppress);
	nverify_free(&n->verify);
	free(n->template_text);
	n->template_text = NULL;
	free(n->from);
	n->from = NULL;
	free(n->sender);
	n->sender = NULL;
	cfg_unref(&n->cfg);
}
