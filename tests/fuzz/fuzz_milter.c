/* fuzz_milter - the milter callbacks (milter/milter_cb.c) on what a hostile
 * SMTP client and a careless MTA can hand them: connect addresses, HELO
 * names, MAIL FROM and RCPT TO arguments, headers, macros ({auth_authen},
 * {i}, ...), in any order (RCPT before MAIL, MAIL twice, no HELO, abort in
 * the middle, EOM without a transaction, no negotiation).
 *
 * The seam: this file plays libmilter.  It is linked instead of -lmilter
 * and defines the smfi_* functions the callbacks call (private pointer,
 * macros, replies, headers, quarantine), then drives the callbacks of
 * milter_cb_desc() one session per input, ending with xxfi_close as
 * libmilter always does.  The engine behind them is real: one generation
 * per configuration variant (reject stage connect/helo/rcpt x action
 * reject/tag/quarantine), a local list file holding 192.0.2.0/24,
 * 10.0.0.0/8 and 2001:db8::/32, no Redis, no DNS.
 *
 * Checked: no crash, no leak (xxfi_close frees the connection); every
 * reply code is 4xx/5xx with printable text lines (no CR, LF or lone '%',
 * which libmilter refuses or mangles) of at most 512 bytes; every header
 * value the milter adds has no CR and no LF that does not start a folded
 * line; the private pointer is cleared at close.
 *
 * Input: byte 0 selects the variant (and whether the MTA negotiates), then
 * commands: one byte each, followed by its NUL-terminated arguments:
 *   C addr     xxfi_connect ("" = no address; not an address = AF_UNIX)
 *   H name     xxfi_helo
 *   M args     xxfi_envfrom (args split on ' ', at most 8)
 *   R args     xxfi_envrcpt
 *   h name val xxfi_header
 *   D / E / A  xxfi_data / xxfi_eom / xxfi_abort
 *   S name val a macro the MTA sends ("" value = unset)
 * Other command bytes are skipped. */
#include "config.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "cfg.h"
#include "log.h"
#include "milter_cb.h"
#include "milter_gen.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VARIANTS 9
#define MACROS_MAX 8
#define ARG_MAX 2048
#define ARGS_MAX 8

/* ---- the libmilter side ------------------------------------------------ */

struct smfi_str {
	void *priv;
	struct {
		char name[64], value[256];
	} macro[MACROS_MAX];
	size_t n_macros;
};

static void check_text(const char *s, size_t max)
{
	if (s == NULL)
		return;
	if (strlen(s) > max)
		abort();
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
		if (*p == '%' && *++p != '%')	/* libmilter: a lone '%' drops the text */
			abort();
	}
}

static void check_code(const char *rcode, const char *xcode)
{
	if (rcode == NULL || strlen(rcode) != 3 || (rcode[0] != '4' && rcode[0] != '5'))
		abort();
	check_text(xcode, 16);
}

int smfi_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *message)
{
	(void)ctx;
	check_code(rcode, xcode);
	check_text(message, 510);
	return MI_SUCCESS;
}

int smfi_setmlreply(SMFICTX *ctx, const char *rcode, const char *xcode, ...)
{
	va_list ap;
	const char *line;
	int n = 0;

	(void)ctx;
	check_code(rcode, xcode);
	va_start(ap, xcode);
	while ((line = va_arg(ap, const char *)) != NULL) {
		check_text(line, 510);
		if (++n > 32)	/* libmilter's limit */
			abort();
	}
	va_end(ap);
	return MI_SUCCESS;
}

static void check_header(const char *name, const char *value)
{
	if (name == NULL || name[0] == '\0' || strpbrk(name, ": \t\r\n") != NULL)
		abort();
	if (value == NULL)
		return;
	for (const char *p = value; *p; p++)
		if (*p == '\r' || (*p == '\n' && p[1] != '\t' && p[1] != ' '))
			abort();
}

int smfi_addheader(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	check_header(name, value);
	return MI_SUCCESS;
}

int smfi_insheader(SMFICTX *ctx, int idx, char *name, char *value)
{
	(void)ctx;
	(void)idx;
	check_header(name, value);
	return MI_SUCCESS;
}

int smfi_chgheader(SMFICTX *ctx, char *name, int idx, char *value)
{
	(void)ctx;
	if (idx < 1)
		abort();
	check_header(name, value);
	return MI_SUCCESS;
}

int smfi_quarantine(SMFICTX *ctx, char *reason)
{
	(void)ctx;
	if (reason == NULL || reason[0] == '\0')
		abort();
	check_text(reason, 4096);
	return MI_SUCCESS;
}

int smfi_setsymlist(SMFICTX *ctx, int where, char *macros)
{
	(void)ctx;
	(void)where;
	return macros != NULL ? MI_SUCCESS : MI_FAILURE;
}

int smfi_setpriv(SMFICTX *ctx, void *priv)
{
	ctx->priv = priv;
	return MI_SUCCESS;
}

void *smfi_getpriv(SMFICTX *ctx)
{
	return ctx->priv;
}

char *smfi_getsymval(SMFICTX *ctx, char *name)
{
	for (size_t i = 0; i < ctx->n_macros; i++)
		if (strcmp(ctx->macro[i].name, name) == 0)
			return ctx->macro[i].value[0] ? ctx->macro[i].value : NULL;
	return NULL;
}

/* ---- the configurations ------------------------------------------------ */

static int current = -1;
static cfg_t *variants[VARIANTS];
static char list_path[64];

static void list_remove(void)
{
	unlink(list_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const stages[] = { "connect", "helo", "rcpt" };
	static const char *const actions[] = { "reject", "tag", "quarantine" };
	char list[] = "/tmp/relayguard-fuzz-milter-XXXXXX";
	int fd = mkstemp(list);

	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	if (fd < 0 || write(fd, "192.0.2.0/24\n10.0.0.0/8\n2001:db8::/32\n", 38) != 38)
		abort();
	close(fd);
	for (int i = 0; i < VARIANTS; i++) {
		char text[1024], *err = NULL;
		int len = snprintf(text, sizeof(text),
				   "file_lists = local:%s\nmilter_reject_stage = %s\ndnsbl_action = %s\n"
				   "report_enable = no\nstats_dir =\nmilter_early_accept = %s\n"
				   "reject_message = 100%% sure: [{client}] is in {list}{txt?: }{txt}\n",
				   list, stages[i % 3], actions[i / 3], i == 4 ? "yes" : "no");
		if (cfg_load_mem("fuzz.conf", text, (size_t)len, &variants[i], &err) != 0) {
			fprintf(stderr, "fuzz_milter: %s\n", err);
			abort();
		}
	}
	char *err = NULL;
	if (milter_cb_start(variants[0], &err) != 0) {
		fprintf(stderr, "fuzz_milter: %s\n", err);
		abort();
	}
	current = 0;
	/* every reload reads the list file again: it goes when the process ends */
	snprintf(list_path, sizeof(list_path), "%s", list);
	atexit(list_remove);
	return 0;
}

/* ---- one session ------------------------------------------------------- */

struct reader {
	const uint8_t *p, *end;
};

/* Copy src into dst of cap bytes, cut. */
static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The next NUL-terminated argument, cut at ARG_MAX - 1 bytes. */
static const char *next(struct reader *r, char out[ARG_MAX])
{
	size_t n = 0;

	while (r->p < r->end && *r->p != '\0') {
		if (n < ARG_MAX - 1)
			out[n++] = (char)*r->p;
		r->p++;
	}
	if (r->p < r->end)
		r->p++;
	out[n] = '\0';
	return out;
}

static sfsistat do_connect(const struct smfiDesc *d, SMFICTX *ctx, const char *text)
{
	struct sockaddr_storage ss;
	addr_t a;

	memset(&ss, 0, sizeof(ss));
	if (text[0] == '\0')
		return d->xxfi_connect(ctx, (char *)"localhost", NULL);
	if (addr_parse(text, &a) == 0 && a.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a.bytes, 4);
	} else if (addr_parse(text, &a) == 0) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a.bytes, 16);
	} else {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
		sun->sun_family = AF_UNIX;
		copy(sun->sun_path, sizeof(sun->sun_path), text);
	}
	return d->xxfi_connect(ctx, (char *)text, (struct sockaddr *)&ss);
}

/* Split text on ' ' into argv (NULL-terminated), as libmilter hands ESMTP args. */
static char **split(char *text, char *argv[ARGS_MAX + 1])
{
	size_t n = 0;

	for (char *p = strtok(text, " "); p != NULL && n < ARGS_MAX; p = strtok(NULL, " "))
		argv[n++] = p;
	argv[n] = NULL;
	return argv;
}

static void macro_set(SMFICTX *ctx, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < ctx->n_macros && strcmp(ctx->macro[i].name, name) != 0; i++)
		;
	if (i == MACROS_MAX)
		return;
	copy(ctx->macro[i].name, sizeof(ctx->macro[i].name), name);
	copy(ctx->macro[i].value, sizeof(ctx->macro[i].value), value);
	if (i == ctx->n_macros)
		ctx->n_macros++;
}

/*
 * Let the engine thread finish what the session started: xxfi_connect's
 * prefetch does not wait for its check, and a check still running when the
 * input ends looks like a leak to libFuzzer (it counts the allocations of
 * every thread) and makes inputs depend on timing.  The engine thread takes
 * its queue in batches: the second of two blocking checks is answered only
 * after the batch that held the prefetch has ended.
 */
static void engine_drain(void)
{
	struct milter_gen *g = milter_gen_acquire();
	struct engine_request req;

	if (g == NULL)
		return;
	memset(&req, 0, sizeof(req));
	if (addr_parse("198.51.100.250", &req.client) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		struct engine_verdict *v = NULL;
		if (engine_thread_check(g->et, &req, 10000, &v) == 0)
			engine_verdict_free(&v);
	}
	milter_gen_release(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a1[ARG_MAX], a2[ARG_MAX];
	const struct smfiDesc *d = milter_cb_desc();
	struct smfi_str ctx;
	struct reader r;
	char *argv[ARGS_MAX + 1];

	if (size < 1)
		return 0;
	int want = (data[0] & 0x7f) % VARIANTS;
	if (want != current) {
		char *err = NULL;
		if (milter_cb_reload(variants[want], &err) != 0) {
			fprintf(stderr, "fuzz_milter: reload: %s\n", err);
			abort();
		}
		current = want;
	}
	memset(&ctx, 0, sizeof(ctx));
	if (data[0] & 0x80) {
		unsigned long f0, f1, f2, f3;
		(void)d->xxfi_negotiate(&ctx, SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
					0x1fffff, 0, 0, &f0, &f1, &f2, &f3);
	}
	r.p = data + 1;
	r.end = data + size;
	while (r.p < r.end) {
		sfsistat rc = SMFIS_CONTINUE;
		uint8_t cmd = *r.p++;
		switch (cmd) {
		case 'C': rc = do_connect(d, &ctx, next(&r, a1)); break;
		case 'H': rc = d->xxfi_helo(&ctx, (char *)next(&r, a1)); break;
		case 'M': rc = d->xxfi_envfrom(&ctx, split((char *)next(&r, a1), argv)); break;
		case 'R': rc = d->xxfi_envrcpt(&ctx, split((char *)next(&r, a1), argv)); break;
		case 'h':
			next(&r, a1);
			rc = d->xxfi_header(&ctx, a1, (char *)next(&r, a2));
			break;
		case 'D': rc = d->xxfi_data(&ctx); break;
		case 'E': rc = d->xxfi_eom(&ctx); break;
		case 'A': rc = d->xxfi_abort(&ctx); break;
		case 'S':
			next(&r, a1);
			macro_set(&ctx, a1, next(&r, a2));
			break;
		default: break;
		}
		/* libmilter sends no more events after an accept or a refused connect */
		if (rc == SMFIS_ACCEPT || rc == SMFIS_DISCARD ||
		    (cmd == 'C' && (rc == SMFIS_REJECT || rc == SMFIS_TEMPFAIL)))
			break;
	}
	(void)d->xxfi_close(&ctx);
	if (ctx.priv != NULL)
		abort();
	engine_drain();
	return 0;
}
