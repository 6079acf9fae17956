/*
 * ctl - relayguard-ctl, the operator's command: shared declarations.
 *
 * Each group of verbs lives in its own ctl/ctl_<group>.c and exports its
 * verb functions here; ctl.c lists every verb in one static table.  To add
 * a verb: write int ctl_<verb>(struct ctl_ctx *, int argc, char **argv) in
 * your group file, declare it below, and add one row to the table in ctl.c.
 *
 * A verb gets argv[0] = the verb name and its own arguments after it (use
 * getopt with optind = 1 for verb options).  It returns the exit status:
 * CTL_OK, CTL_FAIL (the operation failed; message on stderr) or CTL_USAGE
 * (bad arguments; ctl_usage_error() prints the message).  Output goes to
 * stdout, diagnostics to stderr.  Single-threaded.
 */
#ifndef RELAYGUARD_CTL_H
#define RELAYGUARD_CTL_H

#include <stdbool.h>

#include "cfg.h"

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl_ctx {
	const char *config_path;	/* -c FILE, or NULL for the default */
	bool verbose;			/* -v */
};

typedef int ctl_verb_fn(struct ctl_ctx *ctx, int argc, char **argv);

struct ctl_verb {
	const char *name;
	ctl_verb_fn *fn;
	const char *usage;	/* arguments, e.g. "[-c FILE]" */
	const char *help;	/* one line */
};

/* Print "relayguard-ctl VERB: message" and a usage hint to stderr; returns CTL_USAGE. */
int ctl_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Load the configuration named by ctx (cfg_load_default).  On error prints
 * the parser's message to stderr and returns NULL.  Caller cfg_unref()s.
 */
cfg_t *ctl_load_config(const struct ctl_ctx *ctx);

/* ctl_config.c */
int ctl_check_config(struct ctl_ctx *ctx, int argc, char **argv);
int ctl_show_config(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_check.c */
int ctl_check(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_doctor.c: the DNS lists' RFC 5782 test entries through the resolver */
int ctl_doctor(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_stats.c */
int ctl_stats(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_lists.c: range lists in Redis */
int ctl_import(struct ctl_ctx *ctx, int argc, char **argv);
int ctl_lists(struct ctl_ctx *ctx, int argc, char **argv);
int ctl_drop(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_reports.c */
int ctl_queue(struct ctl_ctx *ctx, int argc, char **argv);
int ctl_networks(struct ctl_ctx *ctx, int argc, char **argv);
int ctl_notices(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_report.c: report --html, from the stats history and the notifier's state */
int ctl_report(struct ctl_ctx *ctx, int argc, char **argv);

/* ctl_probe.c: relayguard-probe's stored results */
int ctl_probe(struct ctl_ctx *ctx, int argc, char **argv);

#endif
