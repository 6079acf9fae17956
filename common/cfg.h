/*
 * cfg - the settings table, the relayguard.conf parser, and the immutable
 * refcounted configuration every program reads.
 *
 * File format (Postfix main.cf style; full text in relayguard.conf(5)):
 *   name = value
 * A line whose first non-blank character is '#' is a comment; '#' elsewhere
 * is part of the value.  Blank lines are ignored.  A line that starts with
 * white space continues the previous setting (joined with one space); comment
 * and blank lines in between do not end it.  Later definitions override
 * earlier ones.  CRLF line ends are accepted.  Every definition is checked
 * where it is written, also when a later one overrides it.
 *
 * Errors: cfg_load*() collect every error, one line each "PATH:LINE: what",
 * in file order, at most CFG_ERRORS_MAX of them; cross-setting checks run
 * only on a file without other errors.  The caller frees *error_r.
 *
 * Lifetime and threads: a cfg_t is immutable once returned.  It is
 * refcounted with atomics: a reload builds a new cfg_t and swaps a pointer
 * while threads that took a reference to the old one keep using it until
 * they cfg_unref() it.  Pointers returned by the accessors live as long as
 * the reference the caller holds.  All functions here are thread-safe
 * (cfg_load_default() may log).
 *
 * Accessors abort (log_error + abort) when called with an id of another
 * type: that is a programming error, never a configuration error.
 */
#ifndef RELAYGUARD_CFG_H
#define RELAYGUARD_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "cfgval.h"
#include "site.h"

#define DEFAULT_CONFIG_FILE SYSCONFDIR "/relayguard/relayguard.conf"

/* Named limits of the parser. */
#define CFG_LINE_MAX 4096	/* one physical line, without its newline */
#define CFG_LOGICAL_MAX 65536	/* a setting with all its continuation lines */
#define CFG_FILE_MAX (1024 * 1024) /* whole file */
#define CFG_ERRORS_MAX 20	/* errors reported before giving up */
/* CFG_ITEMS_MAX and CFG_QUOTE_MAX: see cfgval.h */

/* One per setting, in table order (cfg_table[i].id == i). */
enum cfg_id {
	/* general */
	CFG_LOG_LEVEL, CFG_SYSLOG_FACILITY, CFG_SYSLOG_NAME, CFG_MYHOSTNAME, CFG_USER, CFG_GROUP,
	CFG_ALLOW_ROOT, CFG_LIST_BAD_LINE_ACTION, CFG_STATS_DIR, CFG_STATS_INTERVAL,
	CFG_STATS_HISTORY_DIR, CFG_STATS_HISTORY_INTERVAL, CFG_STATS_HISTORY_KEEP, CFG_STATS_HISTORY_MAX_SIZE,
	CFG_METRICS_LISTEN, CFG_METRICS_ALLOW_REMOTE,
	/* engine and sources */
	CFG_DNSBL_SITES, CFG_RHSBL_HELO_SITES, CFG_RHSBL_SENDER_SITES, CFG_REDIS_LISTS,
	CFG_FILE_LISTS, CFG_FILE_LISTS_MAX_ENTRIES, CFG_DNSBL_IPV6, CFG_DNSBL_TXT, CFG_DNS_SERVERS, CFG_DNSBL_TIMEOUT,
	CFG_DNSBL_PROBE_INTERVAL, CFG_DNSBL_ERROR_CODES, CFG_LOOKUP_ERROR_ACTION,
	CFG_DNSBL_THRESHOLD, CFG_ALLOWLIST_THRESHOLD, CFG_DNSBL_ACTION, CFG_ALLOW_NETWORKS,
	CFG_SKIP_SPECIAL, CFG_SKIP_AUTHENTICATED,
	/* caches */
	CFG_CACHE_SIZE, CFG_REDIS_SERVER, CFG_REDIS_SENTINELS, CFG_REDIS_SENTINEL_MASTER,
	CFG_REDIS_SENTINEL_USERNAME, CFG_REDIS_SENTINEL_PASSWORD, CFG_REDIS_CLUSTER_NODES, CFG_REDIS_DB,
	CFG_REDIS_USERNAME, CFG_REDIS_PASSWORD, CFG_REDIS_PREFIX,
	CFG_REDIS_TIMEOUT, CFG_DNSBL_MIN_TTL, CFG_DNSBL_MAX_TTL, CFG_DNSBL_NEGATIVE_TTL,
	/* replies */
	CFG_REJECT_CODE, CFG_REJECT_DSN, CFG_TEMPFAIL_CODE, CFG_TEMPFAIL_DSN, CFG_REJECT_MESSAGE,
	CFG_TEMPFAIL_MESSAGE, CFG_TAG_HEADER, CFG_QUARANTINE_REASON, CFG_DNSBL_REPLY_MAP,
	/* spf */
	CFG_SPF,
	/* reports */
	CFG_REPORT_ENABLE, CFG_REPORT_QUEUE_MAX, CFG_REPORT_DEDUPE_WINDOW, CFG_REPORT_SPOOL,
	CFG_REPORT_SENDER_DOMAIN, CFG_REPORT_MIN_REPLICAS, CFG_REPORT_STREAMS,
	/* policy */
	CFG_POLICY_LISTEN, CFG_POLICY_SOCKET_MODE, CFG_POLICY_SOCKET_OWNER,
	CFG_POLICY_SOCKET_GROUP, CFG_POLICY_CHECK_STATE,
	CFG_POLICY_ALLOWED_CLIENTS, CFG_POLICY_PIDFILE, CFG_POLICY_MAX_CONNECTIONS,
	CFG_POLICY_IDLE_TIMEOUT, CFG_POLICY_REQUEST_TIMEOUT, CFG_POLICY_WORKERS,
	/* milter */
	CFG_MILTER_SOCKET, CFG_MILTER_TIMEOUT, CFG_MILTER_PIDFILE, CFG_MILTER_REJECT_STAGE,
	CFG_MILTER_ERROR_ACTION, CFG_MILTER_EARLY_ACCEPT,
	/* notify */
	CFG_OWNERS_DB, CFG_NOTIFY_FALLBACK_ADDRESS, CFG_NOTIFY_CLAIM_IDLE, CFG_NOTIFY_WINDOW,
	CFG_NOTIFY_MIN_HITS, CFG_NOTIFY_INTERVAL, CFG_NOTIFY_FORMAT, CFG_NOTIFY_FROM,
	CFG_NOTIFY_BCC, CFG_NOTIFY_RATE, CFG_NOTIFY_TRANSPORT, CFG_NOTIFY_TEMPLATE,
	CFG_NOTIFY_STATE_DIR, CFG_NOTIFY_ABUSE_ZONE, CFG_NOTIFY_SUPPRESS, CFG_NOTIFY_ENVELOPE_SENDER,
	CFG_NOTIFY_VERIFY, CFG_NOTIFY_REQUIRE_CONFIRMATION, CFG_NOTIFY_VERIFY_HOSTS, CFG_NOTIFY_VERIFY_BUDGET,
	/* probe */
	CFG_PROBE_ALLOWED_TARGETS, CFG_PROBE_SMTP_PORTS, CFG_PROBE_PROXY_PORTS, CFG_PROBE_CANARY_DOMAIN,
	CFG_PROBE_CANARY, CFG_PROBE_MAIL_FROM, CFG_PROBE_RELAY_MODE, CFG_PROBE_TTL, CFG_PROBE_HOST_INTERVAL,
	CFG_PROBE_NETWORK_RATE, CFG_PROBE_GLOBAL_RATE, CFG_PROBE_CONNECT_TIMEOUT, CFG_PROBE_READ_TIMEOUT,
	CFG_PROBE_CANARY_WAIT, CFG_PROBE_READ_MAX, CFG_PROBE_STATE_DIR,
	CFG__COUNT
};

/* The value of each enum setting: choice indexes in table order. */
enum cfg_log_level { CFG_LOG_LEVEL_ERROR, CFG_LOG_LEVEL_WARNING, CFG_LOG_LEVEL_NOTICE,
		     CFG_LOG_LEVEL_INFO, CFG_LOG_LEVEL_DEBUG };	/* same order as enum log_level */
enum cfg_bad_line_action { CFG_BAD_LINE_SKIP, CFG_BAD_LINE_ABORT };
enum cfg_lookup_error_action { CFG_LOOKUP_ERROR_PASS, CFG_LOOKUP_ERROR_TEMPFAIL };
enum cfg_action { CFG_ACTION_REJECT, CFG_ACTION_TEMPFAIL, CFG_ACTION_TAG, CFG_ACTION_QUARANTINE,
		  CFG_ACTION_LOG };
enum cfg_spf { CFG_SPF_NO, CFG_SPF_TAG, CFG_SPF_REJECT };
enum cfg_check_state { CFG_STATE_CONNECT, CFG_STATE_HELO, CFG_STATE_MAIL, CFG_STATE_RCPT };
enum cfg_milter_stage { CFG_MILTER_STAGE_CONNECT, CFG_MILTER_STAGE_HELO, CFG_MILTER_STAGE_RCPT };
enum cfg_milter_error_action { CFG_MILTER_ERROR_ACCEPT, CFG_MILTER_ERROR_TEMPFAIL };
enum cfg_notify_format { CFG_NOTIFY_FORMAT_ARF, CFG_NOTIFY_FORMAT_XARF };
enum cfg_probe_relay_mode { CFG_PROBE_RELAY_RCPT, CFG_PROBE_RELAY_DELIVER };

enum cfg_type {
	CFG_T_BOOL, CFG_T_INT, CFG_T_DURATION, CFG_T_SIZE, CFG_T_MODE, CFG_T_STRING, CFG_T_ENUM,
	CFG_T_LIST, CFG_T_NETLIST, CFG_T_SOCKET, CFG_T_SITES, CFG_T_FILE_LISTS, CFG_T_HOSTPORTS,
	CFG_T_MAP, CFG_T_CODES,
};

/*
 * One row of the settings table.  min/max bound int (value), duration (ms),
 * size (bytes) and mode; choices is a NULL-terminated array for enums;
 * check validates a string of a special form (NULL = any text).
 */
struct cfg_setting {
	enum cfg_id id;
	const char *name;
	enum cfg_type type;
	const char *section;	/* heading in the sample file */
	const char *def;	/* default, as text in the file syntax */
	long long min, max;
	const char *const *choices;
	int (*check)(const char *value, const char **error_r);
	const char *description; /* one line */
	bool secret;		/* never shown: redis_password */
};

/* The table, CFG__COUNT rows, defined in cfg_table.c. */
extern const struct cfg_setting cfg_table[CFG__COUNT];

typedef struct cfg cfg_t;

/*
 * Parse the file at path.  On success returns 0 and *cfg_r (refcount 1).
 * On error returns -1, *cfg_r = NULL, *error_r set (caller frees):
 *   "PATH: No such file or directory" (any errno text), "PATH: file is
 *   larger than 1048576 bytes", or one "PATH:LINE: ..." line per error.
 */
int cfg_load(const char *path, cfg_t **cfg_r, char **error_r) __attribute__((warn_unused_result));
/* Same, from memory: name stands for the path in messages and cfg_path(). */
int cfg_load_mem(const char *name, const char *data, size_t len, cfg_t **cfg_r, char **error_r)
	__attribute__((warn_unused_result));
/*
 * What programs call: a path given -> cfg_load(path) (missing = error).
 * NULL -> DEFAULT_CONFIG_FILE when it exists, else the embedded defaults,
 * with a log_notice saying so.
 */
int cfg_load_default(const char *path_or_null, cfg_t **cfg_r, char **error_r)
	__attribute__((warn_unused_result));
/* The embedded defaults (refcount 1; never fails). */
cfg_t *cfg_defaults(void);

cfg_t *cfg_ref(cfg_t *cfg);
/* Drop a reference, free on the last, set *cfg = NULL.  NULL is a no-op. */
void cfg_unref(cfg_t **cfg);

/* The file it came from; "" for the embedded defaults. */
const char *cfg_path(const cfg_t *cfg);

bool cfg_bool(const cfg_t *cfg, enum cfg_id id);
/* int, size (bytes) and mode settings */
long long cfg_int(const cfg_t *cfg, enum cfg_id id);
/* duration settings, in milliseconds */
unsigned long long cfg_ms(const cfg_t *cfg, enum cfg_id id);
/* enum settings: the choice index (the cfg_* C enums above) */
int cfg_enum(const cfg_t *cfg, enum cfg_id id);
/* string settings; never NULL.  myhostname "" reads as gethostname(). */
const char *cfg_str(const cfg_t *cfg, enum cfg_id id);
const struct cfg_strlist *cfg_list(const cfg_t *cfg, enum cfg_id id);
const struct cfg_netlist *cfg_netlist(const cfg_t *cfg, enum cfg_id id);
const struct cfg_socket *cfg_socket(const cfg_t *cfg, enum cfg_id id);
const struct cfg_sitelist *cfg_sites(const cfg_t *cfg, enum cfg_id id);
const struct cfg_filelists *cfg_file_lists(const cfg_t *cfg, enum cfg_id id);
const struct cfg_hostports *cfg_hostports(const cfg_t *cfg, enum cfg_id id);
const struct cfg_map *cfg_map(const cfg_t *cfg, enum cfg_id id);
const struct cfg_codelist *cfg_codes(const cfg_t *cfg, enum cfg_id id);

/* Does addr fall inside any network of the list? */
bool cfg_netlist_match(const struct cfg_netlist *list, const addr_t *addr);
/* The value for key, or NULL. */
const char *cfg_map_get(const struct cfg_map *map, const char *key);

/* Was the setting given in the file? */
bool cfg_is_set(const cfg_t *cfg, enum cfg_id id);
/* Is Redis configured: redis_server, redis_sentinels or redis_cluster_nodes? */
bool cfg_has_redis(const cfg_t *cfg);
/* Append the normalized effective value; a non-empty secret is "(hidden)". */
void cfg_format_value(const cfg_t *cfg, enum cfg_id id, struct buf *out);

const char *cfg_name(enum cfg_id id);
const char *cfg_description(enum cfg_id id);
const char *cfg_default_text(enum cfg_id id);
const char *cfg_type_name(enum cfg_id id);
/* Append the type with its bounds or choices: "duration 100ms..60s", "enum pass|tempfail". */
void cfg_format_type(enum cfg_id id, struct buf *out);
/* 0 and *id_r, or -1 for an unknown name. */
int cfg_find(const char *name, enum cfg_id *id_r) __attribute__((warn_unused_result));

/* Append the commented sample configuration (relayguard-ctl show-config --sample). */
void cfg_write_sample(struct buf *out);

#endif
