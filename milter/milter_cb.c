/*
 * milter_cb - libmilter callbacks and the per-connection context.  See
 * milter_cb.h for the contract and the stage rules.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "addr.h"
#include "buf.h"
#include "cfg.h"
#include "engine.h"
#include "log.h"
#include "mem.h"
#include "milter_cb.h"
#include "milter_gen.h"
#include "milter_recent.h"
#include "milter_reply.h"
#include "spf.h"
#include "verdict.h"

#define FILTER_NAME "relayguard-milter"
/* The queue id shown in log lines before the MTA has one (Postfix's word). */
#define NO_QUEUE_ID "NOQUEUE"
/* Macros asked for per stage (smfi_setsymlist): only what the checks read. */
#define MACROS_ENVFROM "i {auth_authen}"
#define MACROS_ENVRCPT "i"
#define MACROS_EOM "i"
/* The header of the SPF result (RFC 7208 9.1), inserted on top. */
#define SPF_HEADER "Received-SPF"

int milter_cb_start(cfg_t *cfg, char **error_r)
{
	return milter_gen_install(cfg, error_r);
}

int milter_cb_reload(cfg_t *cfg, char **error_r)
{
	return milter_gen_install(cfg, error_r);
}

bool milter_cb_stop(unsigned wait_ms)
{
	return milter_gen_shutdown(wait_ms);
}

/* ---- per-connection context --------------------------------------------- */

struct milter_conn {
	struct milter_gen *gen;	/* one reference, NULL when shutting down */
	unsigned long proto;	/* protocol flags negotiated (SMFIP_NR_* decide replies) */
	bool local;		/* no client address (local submission): passes */
	bool connected;		/* xxfi_connect seen */
	addr_t client;
	char *helo, *sender, *auth, *queue_id;
	struct engine_verdict *verdict;	/* of the last check, or NULL */
	bool checked;		/* a check ran for the current scope */
	bool failed;		/* it timed out or the engine was gone */
	bool logged;		/* its decision line was written */
	unsigned forged;	/* tag headers that came with the message */
	spf_t *spf;		/* made at the first SPF check, freed at close */
	bool spf_checked;	/* spf_out holds the result of this transaction */
	struct spf_outcome spf_out;
};

static struct milter_conn *conn_get(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->gen = milter_gen_acquire();
	milter_gen_conn_open();
	if (smfi_setpriv(ctx, c) != MI_SUCCESS)
		log_warning("smfi_setpriv failed");
	return c;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrndup(src, MILTER_ARG_MAX) : NULL;
}

/* Forget the verdict of the current scope (a new transaction or HELO). */
static void conn_reset_check(struct milter_conn *c)
{
	engine_verdict_free(&c->verdict);
	c->checked = c->failed = c->logged = false;
}

/* Forget the SPF result of the transaction. */
static void conn_reset_spf(struct milter_conn *c)
{
	spf_outcome_clear(&c->spf_out);
	c->spf_checked = false;
}

static void conn_free(SMFICTX *ctx, struct milter_conn *c)
{
	conn_reset_check(c);
	conn_reset_spf(c);
	milter_gen_spf_free(&c->spf);
	free(c->helo);
	free(c->sender);
	free(c->auth);
	free(c->queue_id);
	milter_gen_release(c->gen);
	free(c);
	(void)smfi_setpriv(ctx, NULL);
	milter_gen_conn_close();
}

static int stage_of(const struct milter_conn *c)
{
	return c->gen != NULL ? cfg_enum(c->gen->cfg, CFG_MILTER_REJECT_STAGE) : CFG_MILTER_STAGE_RCPT;
}

/* The return of a callback that lets the session go on (no reply when negotiated so). */
static sfsistat go_on(const struct milter_conn *c, unsigned long nr_flag)
{
	return (c->proto & nr_flag) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Pick up the queue id when the MTA has one by now ({i}). */
static void refresh_queue_id(SMFICTX *ctx, struct milter_conn *c)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid != NULL && *qid != '\0')
		set_str(&c->queue_id, qid);
}

static void fill_request(const struct milter_conn *c, struct engine_request *req)
{
	memset(req, 0, sizeof(*req));
	req->client = c->client;
	req->helo = c->helo;
	req->sender = c->sender;
	req->sasl_user = c->auth;
	req->queue_id = c->queue_id;
}

/* ---- decisions ---------------------------------------------------------- */

/* The SMTP reply a refusal sent, for the decision line (code, DSN, text). */
struct milter_said {
	int code;
	const char *dsn, *text;
};

/*
 * One info line per decision: where, what the milter did, the engine's
 * line, and for a refusal (said, else NULL) the reply the MTA was given as
 * reply="550 5.7.1 text" (verdict_reply(): the line the client sees).
 */
static void log_decision_said(struct milter_conn *c, const char *stage, const char *outcome,
			      const struct milter_said *said)
{
	struct buf line = BUF_INIT;
	struct engine_request req;
	char client[ADDR_STRLEN];

	fill_request(c, &req);
	log_kv_str(&line, "stage", stage);
	log_kv_str(&line, "milter", outcome);
	if (c->queue_id == NULL)
		log_kv_str(&line, "queue_id", NO_QUEUE_ID);
	if (c->verdict != NULL) {
		engine_verdict_log_line(c->verdict, &req, &line);
	} else {
		log_kv_str(&line, "client", addr_format(&c->client, client));
		log_kv_str(&line, "error", "check failed or timed out");
	}
	if (c->spf_checked) {
		log_kv_str(&line, "spf", spf_result_name(c->spf_out.result));
		if (c->spf_out.explanation != NULL)
			log_kv_str(&line, "spf_explanation", c->spf_out.explanation);
	}
	if (said != NULL && log_enabled(LOG_LVL_INFO)) {
		struct buf reply = BUF_INIT;
		verdict_reply(&reply, said->code, said->dsn, said->text);
		log_kv_str(&line, "reply", buf_cstr(&reply));
		buf_free(&reply);
	}
	log_info("%s", buf_cstr(&line));
	buf_free(&line);
	c->logged = true;
}

static void log_decision(struct milter_conn *c, const char *stage, const char *outcome)
{
	log_decision_said(c, stage, outcome, NULL);
}

/* Run the check now, waiting at most dnsbl_timeout + the margin. */
static void run_check(struct milter_conn *c)
{
	struct engine_request req;
	unsigned long long wait_ms;

	conn_reset_check(c);
	c->checked = true;
	if (c->gen == NULL) {
		c->failed = true;
		return;
	}
	fill_request(c, &req);
	wait_ms = cfg_ms(c->gen->cfg, CFG_DNSBL_TIMEOUT) + MILTER_CHECK_MARGIN_MS;
	if (engine_thread_check(c->gen->et, &req, (unsigned)wait_ms, &c->verdict) != 0)
		c->failed = true;
	/* no source could answer: an engine error, milter_error_action decides */
	else if (c->verdict->n_answered == 0 && c->verdict->n_failed > 0)
		c->failed = true;
	/* every source answered: the next connection from here needs no prefetch;
	 * a pass that came from the login says nothing about the address */
	else if (c->verdict->n_failed == 0)
		milter_recent_note(c->gen->recent, &c->client,
				   c->verdict->action == VERDICT_PASS &&
					   c->verdict->skip != ENGINE_SKIP_AUTHENTICATED);
}

/*
 * Start the DNS work without waiting: a check with a zero deadline is
 * abandoned at once but goes on in the engine, so the check at the reject
 * stage joins its in-flight lookups or finds its answers in the cache.
 * cb_connect() skips it for a client checked lately: the cache has its
 * answers already, and a hand-off to the engine thread is most of what a
 * warm check costs.
 */
static void prefetch(struct milter_conn *c)
{
	struct engine_request req;
	struct engine_verdict *v = NULL;

	if (c->gen == NULL)
		return;
	fill_request(c, &req);
	req.look_ahead = true;
	if (engine_thread_check(c->gen->et, &req, 0, &v) == 0)
		engine_verdict_free(&v);
}

/* smfi_setreply(), or smfi_setmlreply() when the text needs several lines. */
static void set_reply(SMFICTX *ctx, int code, const char *dsn, const char *text)
{
	char lines[MILTER_REPLY_LINES][MILTER_LINE_MAX];
	const char *l[MILTER_REPLY_LINES] = { NULL };
	char rcode[8];
	size_t n = milter_reply_split(text, MILTER_REPLY_WIDTH, lines, MILTER_REPLY_LINES);
	int rc;

	snprintf(rcode, sizeof(rcode), "%d", code);
	if (n <= 1) {
		rc = smfi_setreply(ctx, rcode, (char *)dsn, n == 1 ? lines[0] : NULL);
	} else {
		for (size_t i = 0; i < n; i++)
			l[i] = lines[i];
		/* the list ends at the first NULL: unused slots are NULL */
		rc = smfi_setmlreply(ctx, rcode, dsn, l[0], l[1], l[2], l[3], l[4], l[5], l[6],
				     l[7], l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15],
				     l[16], l[17], l[18], l[19], l[20], l[21], l[22], l[23], l[24],
				     l[25], l[26], l[27], l[28], l[29], l[30], l[31], (char *)NULL);
	}
	if (rc != MI_SUCCESS)
		log_warning("cannot set the SMTP reply %s %s", rcode, dsn != NULL ? dsn : "");
}

/* Apply the verdict of the reject stage: reject, tempfail, or go on. */
static sfsistat apply(SMFICTX *ctx, struct milter_conn *c, const char *stage, unsigned long nr)
{
	const struct engine_verdict *v = c->verdict;
	bool log_now = !c->logged;

	if (c->failed) {
		if (c->gen == NULL ||
		    cfg_enum(c->gen->cfg, CFG_MILTER_ERROR_ACTION) == CFG_MILTER_ERROR_ACCEPT) {
			if (log_now)
				log_decision(c, stage, "error-accept");
			return go_on(c, nr);
		}
		struct milter_said said = { (int)cfg_int(c->gen->cfg, CFG_TEMPFAIL_CODE),
					    cfg_str(c->gen->cfg, CFG_TEMPFAIL_DSN), MILTER_ERROR_TEXT };
		if (log_now)
			log_decision_said(c, stage, "error-tempfail", &said);
		set_reply(ctx, said.code, said.dsn, said.text);
		return SMFIS_TEMPFAIL;
	}
	if (v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL) {
		struct milter_said said = { v->reply_code, v->reply_dsn, v->reply_text };
		if (log_now)
			log_decision_said(c, stage, verdict_action_name(v->action), &said);
		set_reply(ctx, said.code, said.dsn, said.text);
		return v->action == VERDICT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	if (v->action == VERDICT_PASS && log_now)
		log_decision(c, stage, "pass");
	/* tag, quarantine and log are applied and logged at end of message */
	return go_on(c, nr);
}

/* ---- SPF ---------------------------------------------------------------- */

static int spf_mode(const struct milter_conn *c)
{
	return c->gen != NULL ? cfg_enum(c->gen->cfg, CFG_SPF) : CFG_SPF_NO;
}

/*
 * Does SPF apply to this transaction?  The engine says (spf_applies).  At
 * stage rcpt the verdict is this transaction's.  At stages connect and helo
 * it came before the sender and the login: the engine is asked again with
 * them (its answers are cached by now) and only its spf_applies is read.
 * Without a verdict (the check timed out) there is no SPF check.
 */
static bool spf_wanted(struct milter_conn *c)
{
	struct engine_request req;
	struct engine_verdict *v = NULL;
	bool applies;

	if (c->verdict == NULL || c->failed || c->gen == NULL)
		return false;
	if (stage_of(c) == CFG_MILTER_STAGE_RCPT)
		return c->verdict->spf_applies;
	fill_request(c, &req);
	if (engine_thread_check(c->gen->et, &req,
				(unsigned)(cfg_ms(c->gen->cfg, CFG_DNSBL_TIMEOUT) + MILTER_CHECK_MARGIN_MS),
				&v) != 0)
		return false;
	applies = v->spf_applies;
	engine_verdict_free(&v);
	return applies;
}

/* Check the sender of this transaction; blocks in libspf2 (this thread only). */
static void run_spf(struct milter_conn *c)
{
	char *err = NULL;

	conn_reset_spf(c);
	if (c->spf == NULL) {
		if (milter_gen_spf_new(c->gen, &c->spf, &err) != 0) {
			log_warning("spf: sender not checked: %s", err);
			free(err);
			return;
		}
	}
	/* -1: libspf2 could not build a request; the outcome says temperror */
	(void)spf_check(c->spf, &c->client, c->helo, c->sender, &c->spf_out);
	c->spf_checked = true;
}

/* SPF at MAIL FROM.  It needs the engine's verdict: at stage rcpt the check
 * moves here from the first RCPT (which adds nothing it reads) and is still
 * applied there; at stages connect and helo it ran already (cb_envfrom()
 * runs it for a client that skipped HELO). */
static sfsistat spf_at_mail(SMFICTX *ctx, struct milter_conn *c)
{
	struct buf text = BUF_INIT;
	const char *dsn;
	int code;

	if (spf_mode(c) == CFG_SPF_NO || c->local)
		return go_on(c, SMFIP_NR_MAIL);
	if (!c->checked)
		run_check(c);
	if (spf_wanted(c))
		run_spf(c);
	if (!c->spf_checked || c->spf_out.result != SPF_RESULT_FAIL || spf_mode(c) != CFG_SPF_REJECT) {
		/* the decision line at RCPT carries spf=; after connect/helo it was written */
		if (c->spf_checked && c->logged)
			log_decision(c, "mail", "spf");
		return go_on(c, SMFIP_NR_MAIL);
	}
	engine_spf_reject_reply(c->gen->cfg, c->spf_out.explanation, &code, &dsn, &text);
	log_decision_said(c, "mail", "spf-reject",
			  &(struct milter_said){ code, dsn, buf_cstr(&text) });
	/* set_reply() escapes '%': the explanation is the domain's text */
	set_reply(ctx, code, dsn, buf_cstr(&text));
	buf_free(&text);
	return SMFIS_REJECT;
}

/* Received-SPF on top of the header (RFC 7208 9.1), once per transaction. */
static void add_received_spf(SMFICTX *ctx, struct milter_conn *c)
{
	char *value = c->spf_out.received_spf;

	if (c->spf_checked && value != NULL &&
	    smfi_insheader(ctx, 0, (char *)SPF_HEADER, value) != MI_SUCCESS &&
	    smfi_addheader(ctx, (char *)SPF_HEADER, value) != MI_SUCCESS)
		log_warning("cannot add header %s", SPF_HEADER);
	conn_reset_spf(c);
}

/* ---- callbacks ---------------------------------------------------------- */

/*
 * Do SMFIP_NR_* (steps without a reply) save anything?  On a Unix socket,
 * yes: one write less per step.  Over TCP they cost 40 ms: the MTA then
 * writes several small commands in a row without reading, and Nagle holds
 * each one until the previous is acknowledged, while the milter's kernel
 * delays that ACK (it has nothing to send).  A reply carries the ACK at once.
 * The same goes for SMFIP_NODATA: Postfix still sends the DATA macros, alone,
 * and the first header waits behind them; answering DATA avoids that.
 */
static bool no_reply_pays(const struct milter_conn *c)
{
	return c->gen != NULL && cfg_socket(c->gen->cfg, CFG_MILTER_SOCKET)->kind == CFG_SOCKET_UNIX;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	struct milter_conn *c = conn_get(ctx);
	unsigned long want = SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NOEOH;
	int stage = stage_of(c);
	bool headers = c->gen != NULL && *cfg_str(c->gen->cfg, CFG_TAG_HEADER) != '\0';

	(void)f2;
	(void)f3;
	want |= headers ? 0 : SMFIP_NOHDRS;
	if (no_reply_pays(c)) {
		/* no reply is needed where the milter never rejects */
		want |= SMFIP_NODATA | (headers ? SMFIP_NR_HDR : 0);
		/* spf = reject answers MAIL, and so does stage helo (a client without HELO) */
		if (spf_mode(c) != CFG_SPF_REJECT && stage != CFG_MILTER_STAGE_HELO)
			want |= SMFIP_NR_MAIL;
		/* an early accept answers connect */
		if (stage != CFG_MILTER_STAGE_CONNECT && !c->gen->early_accept)
			want |= SMFIP_NR_CONN;
		if (stage != CFG_MILTER_STAGE_HELO)
			want |= SMFIP_NR_HELO;
		if (stage != CFG_MILTER_STAGE_RCPT)
			want |= SMFIP_NR_RCPT;
	}
	c->proto = want & f1;	/* only what the MTA offers */
	*pf0 = (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST) & f0;
	*pf1 = c->proto;
	*pf2 = *pf3 = 0;
	if ((f0 & SMFIF_SETSYMLIST) != 0) {
		(void)smfi_setsymlist(ctx, SMFIM_ENVFROM, MACROS_ENVFROM);
		(void)smfi_setsymlist(ctx, SMFIM_ENVRCPT, MACROS_ENVRCPT);
		(void)smfi_setsymlist(ctx, SMFIM_EOM, MACROS_EOM);
	}
	return SMFIS_CONTINUE;
}

/*
 * milter_early_accept: a pass at connect with every source answered cannot
 * change later in the connection (milter_gen allows it only then), so the
 * whole connection is accepted and the MTA sends no more events for it:
 * two round trips per connection instead of one per SMTP command and header.
 */
static bool early_pass(const struct milter_conn *c)
{
	return c->gen != NULL && c->gen->early_accept && !c->failed && c->verdict != NULL &&
	       c->verdict->action == VERDICT_PASS && c->verdict->n_failed == 0;
}

/* Accept the connection; without a verdict, on the word of milter_recent. */
static sfsistat accept_connection(struct milter_conn *c)
{
	struct buf line = BUF_INIT;
	char client[ADDR_STRLEN];

	if (c->verdict != NULL) {
		log_decision(c, "connect", "accept");
		return SMFIS_ACCEPT;
	}
	/* the fast path of a busy server: no line built for nothing */
	if (!log_enabled(LOG_LVL_INFO))
		return SMFIS_ACCEPT;
	log_kv_str(&line, "stage", "connect");
	log_kv_str(&line, "milter", "accept");
	log_kv_str(&line, "queue_id", NO_QUEUE_ID);
	log_kv_str(&line, "client", addr_format(&c->client, client));
	log_kv_str(&line, "verdict", "pass");
	log_kv_str(&line, "checked", "lately");
	log_info("%s", buf_cstr(&line));
	buf_free(&line);
	return SMFIS_ACCEPT;
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *c = conn_get(ctx);
	enum milter_recent_state recent = MILTER_RECENT_UNKNOWN;

	(void)hostname;
	c->connected = true;
	/* no address or "unknown": a local connection (sendmail -bs), it passes */
	c->local = hostaddr == NULL ||
		   (hostaddr->sa_family != AF_INET && hostaddr->sa_family != AF_INET6) ||
		   addr_from_sockaddr(hostaddr, &c->client) != 0;
	if (c->local)
		return go_on(c, SMFIP_NR_CONN);
	if (c->gen != NULL)
		recent = milter_recent_get(c->gen->recent, &c->client);
	/* its pass is younger than any answer it rests on: no need to ask the engine */
	if (recent == MILTER_RECENT_PASSED && c->gen->early_accept)
		return accept_connection(c);
	if (stage_of(c) == CFG_MILTER_STAGE_CONNECT) {
		run_check(c);
		return early_pass(c) ? accept_connection(c) : apply(ctx, c, "connect", SMFIP_NR_CONN);
	}
	if (recent == MILTER_RECENT_UNKNOWN)
		prefetch(c);
	return go_on(c, SMFIP_NR_CONN);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	struct milter_conn *c = conn_get(ctx);

	set_str(&c->helo, helo);
	if (c->local || stage_of(c) != CFG_MILTER_STAGE_HELO)
		return go_on(c, SMFIP_NR_HELO);
	run_check(c);
	return apply(ctx, c, "helo", SMFIP_NR_HELO);
}

/* "<a@b>" -> "a@b"; "<>" -> "" (the null sender). */
static void set_sender(struct milter_conn *c, const char *arg)
{
	size_t len;

	if (arg == NULL) {
		set_str(&c->sender, NULL);
		return;
	}
	len = strnlen(arg, MILTER_ARG_MAX);
	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		c->sender = xstrndup(arg + 1, len - 2);
	else
		c->sender = xstrndup(arg, len);
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = conn_get(ctx);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");

	/* a new transaction: its own sender, auth, queue id and headers */
	set_str(&c->sender, NULL);
	set_sender(c, argv != NULL ? argv[0] : NULL);
	set_str(&c->auth, auth != NULL && *auth != '\0' ? auth : NULL);
	set_str(&c->queue_id, NULL);
	refresh_queue_id(ctx, c);
	c->forged = 0;
	conn_reset_spf(c);
	if (stage_of(c) == CFG_MILTER_STAGE_RCPT)
		conn_reset_check(c);
	/* stage helo and no HELO: the client skipped it (Postfix does not insist
	 * by default); its check runs here, or skipping HELO would skip the check */
	if (stage_of(c) == CFG_MILTER_STAGE_HELO && !c->checked && !c->local) {
		run_check(c);
		sfsistat r = apply(ctx, c, "mail", SMFIP_NR_MAIL);
		if (r == SMFIS_REJECT || r == SMFIS_TEMPFAIL)
			return r;
	}
	return spf_at_mail(ctx, c);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = conn_get(ctx);

	(void)argv;
	if (c->local || stage_of(c) != CFG_MILTER_STAGE_RCPT)
		return go_on(c, SMFIP_NR_RCPT);
	refresh_queue_id(ctx, c);
	if (!c->checked)
		run_check(c);
	/* every RCPT of a refused transaction gets the same answer */
	return apply(ctx, c, "rcpt", SMFIP_NR_RCPT);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *c = conn_get(ctx);

	(void)value;
	if (c->gen != NULL && name != NULL &&
	    strcasecmp(name, cfg_str(c->gen->cfg, CFG_TAG_HEADER)) == 0)
		c->forged++;
	return go_on(c, SMFIP_NR_HDR);
}

/* Delete every copy the message came with, last first (indexes stay valid). */
static void strip_forged(SMFICTX *ctx, struct milter_conn *c, const char *name)
{
	for (unsigned i = c->forged; i >= 1; i--) {
		if (smfi_chgheader(ctx, (char *)name, (int)i, NULL) != MI_SUCCESS)
			log_warning("cannot delete header %s #%u", name, i);
	}
	if (c->forged > 0)
		log_info("queue_id=%s removed %u %s header(s) that came with the message",
			 c->queue_id != NULL ? c->queue_id : NO_QUEUE_ID, c->forged, name);
	c->forged = 0;
}

/* smfi_quarantine() with the reason the engine rendered. */
static void quarantine(SMFICTX *ctx, const struct engine_verdict *v)
{
	const char *reason = v->quarantine_reason;

	if (smfi_quarantine(ctx, (char *)(reason != NULL && *reason ? reason : "relayguard")) != MI_SUCCESS)
		log_warning("cannot quarantine the message");
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct milter_conn *c = conn_get(ctx);
	const struct engine_verdict *v;
	const char *name;

	if (c->gen == NULL)
		return SMFIS_ACCEPT;
	refresh_queue_id(ctx, c);
	name = cfg_str(c->gen->cfg, CFG_TAG_HEADER);
	if (*name != '\0')
		strip_forged(ctx, c, name);
	add_received_spf(ctx, c);
	v = c->verdict;
	if (v == NULL || c->failed)
		return SMFIS_ACCEPT;
	if ((v->action == VERDICT_TAG || v->action == VERDICT_QUARANTINE) && *name != '\0' &&
	    v->header != NULL && smfi_addheader(ctx, (char *)name, (char *)v->header) != MI_SUCCESS)
		log_warning("cannot add header %s", name);
	if (v->action == VERDICT_QUARANTINE)
		quarantine(ctx, v);
	if (v->action == VERDICT_TAG || v->action == VERDICT_QUARANTINE || v->action == VERDICT_LOG)
		log_decision(c, "eom", verdict_action_name(v->action));
	return SMFIS_ACCEPT;
}

/* Only asked for over TCP, where answering is cheaper than not (no_reply_pays()). */
static sfsistat cb_data(SMFICTX *ctx)
{
	return go_on(conn_get(ctx), SMFIP_NR_DATA);
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct milter_conn *c = conn_get(ctx);

	/* the transaction is gone; the connection (and a connect/helo verdict) stays */
	c->forged = 0;
	set_str(&c->queue_id, NULL);
	conn_reset_spf(c);
	if (stage_of(c) == CFG_MILTER_STAGE_RCPT)
		conn_reset_check(c);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		conn_free(ctx, c);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = FILTER_NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_data = cb_data,
	.xxfi_negotiate = cb_negotiate,
};

struct smfiDesc *milter_cb_desc(void)
{
	return &desc;
}

void milter_cb_socket_spec(const struct cfg_socket *s, struct buf *out)
{
	addr_t a;

	/* a literal address in brackets: libmilter then skips the resolver */
	if (s->kind == CFG_SOCKET_INET && addr_parse(s->host, &a) == 0)
		buf_printf(out, "inet:%u@[%s]", s->port, s->host);
	else
		cfgval_format_socket(s, out);
}
