/*
 * ctl_config - relayguard-ctl's configuration verbs.
 *
 *   check-config [-c FILE]   parse, print "name = value" for each setting
 *                            that is set and differs from its default
 *                            (like postconf -n); exit 1 on a bad file;
 *                            a "warning:" line on stderr for each setting
 *                            a door cannot show to the client;
 *                            like `postfix check`, it warns on standard
 *                            error about a configuration or list file its
 *                            group may write, and fails (exit 1) on one
 *                            every user may write: the daemons refuse it.
 *   show-config [--sample]   every setting with its effective value, or the
 *                            commented sample configuration.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "daemon.h"

/* Postfix's access_map_defer_code default: the code of a DEFER_IF_PERMIT. */
#define CTL_POSTFIX_DEFER_CODE 450

/* name = value, without a trailing blank when the value is empty. */
static void print_setting(const cfg_t *cfg, enum cfg_id id)
{
	struct buf v = BUF_INIT;

	cfg_format_value(cfg, id, &v);
	printf("%s =%s%s\n", cfg_name(id), v.len ? " " : "", buf_cstr(&v));
	buf_free(&v);
}

/*
 * Settings a door cannot show to the client as configured.  check-config
 * knows the door from the settings alone: milter_reject_stage is read only
 * by relayguard-milter, and DEFER_IF_PERMIT is the policy server's tempfail.
 */
static bool stage_connect(const cfg_t *cfg)
{
	return cfg_enum(cfg, CFG_MILTER_REJECT_STAGE) == CFG_MILTER_STAGE_CONNECT;
}

static bool tempfail_code_hidden(const cfg_t *cfg)
{
	return cfg_int(cfg, CFG_TEMPFAIL_CODE) != CTL_POSTFIX_DEFER_CODE;
}

static const struct door_warning {
	bool (*applies)(const cfg_t *cfg);
	const char *text;
} door_warnings[] = {
	{ stage_connect,
	  "milter_reject_stage = connect: Sendmail refuses the client with its own text "
	  "(\"554 ... not accepting messages\", then \"550 5.0.0 Command rejected\"), never "
	  "reject_code, reject_dsn and reject_message; Postfix shows them, at MAIL FROM. "
	  "milter_reject_stage = rcpt (the default) shows them in both MTAs" },
	{ tempfail_code_hidden,
	  "tempfail_code: relayguard-policyd answers a tempfail with DEFER_IF_PERMIT, and "
	  "Postfix then replies with its access_map_defer_code (450), not this code; "
	  "tempfail_dsn and tempfail_message are shown (relayguard-milter shows the code)" },
};

/* One "warning:" line on stderr for each setting a door cannot show. */
static void warn_doors(const cfg_t *cfg)
{
	for (size_t i = 0; i < sizeof(door_warnings) / sizeof(door_warnings[0]); i++)
		if (door_warnings[i].applies(cfg))
			fprintf(stderr, "warning: %s\n", door_warnings[i].text);
}

/* Print each line of text to standard error after prefix. */
static void print_lines(const char *prefix, const char *text)
{
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		int len = nl != NULL ? (int)(nl - text) : (int)strlen(text);
		fprintf(stderr, "%s%.*s\n", prefix, len, text);
		text += len + (nl != NULL);
	}
}

/* Files others may write: warnings printed; false when one is refused. */
static bool files_safe(const cfg_t *cfg)
{
	struct buf warnings = BUF_INIT, errors = BUF_INIT;
	int n = daemon_check_files(cfg, &warnings, &errors);

	print_lines("relayguard-ctl: warning: ", buf_cstr(&warnings));
	print_lines("relayguard-ctl: error: ", buf_cstr(&errors));
	buf_free(&warnings);
	buf_free(&errors);
	return n == 0;
}

int ctl_check_config(struct ctl_ctx *ctx, int argc, char **argv)
{
	cfg_t *cfg, *defaults;
	int c;

	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			return ctl_usage_error(argv[0], "usage: check-config [-c FILE]");
		ctx->config_path = optarg;
	}
	if (optind != argc)
		return ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if ((cfg = ctl_load_config(ctx)) == NULL)
		return CTL_FAIL;
	if (!files_safe(cfg)) {
		cfg_unref(&cfg);
		return CTL_FAIL;
	}
	defaults = cfg_defaults();
	for (int i = 0; i < CFG__COUNT; i++) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		if (!cfg_is_set(cfg, (enum cfg_id)i))
			continue;
		cfg_format_value(cfg, (enum cfg_id)i, &a);
		cfg_format_value(defaults, (enum cfg_id)i, &b);
		if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0)
			print_setting(cfg, (enum cfg_id)i);
		buf_free(&a);
		buf_free(&b);
	}
	warn_doors(cfg);
	cfg_unref(&defaults);
	cfg_unref(&cfg);
	return CTL_OK;
}

int ctl_show_config(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { { "sample", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
	bool sample = false;
	cfg_t *cfg;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 's')
			return ctl_usage_error(argv[0], "usage: show-config [--sample]");
		sample = true;
	}
	if (optind != argc)
		return ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (sample) {
		struct buf out = BUF_INIT;
		cfg_write_sample(&out);
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
		return CTL_OK;
	}
	if ((cfg = ctl_load_config(ctx)) == NULL)
		return CTL_FAIL;
	for (int i = 0; i < CFG__COUNT; i++)
		print_setting(cfg, (enum cfg_id)i);
	cfg_unref(&cfg);
	return CTL_OK;
}
