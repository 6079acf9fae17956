/*
 * cfg_table - every setting of relayguard.conf: name, type, default text,
 * bounds, choices, a one-line description.  Rows are in enum cfg_id order
 * (a unit test checks cfg_table[i].id == i).  Add a setting here, in
 * cfg.h's enum, and in man/relayguard.conf.5; regenerate
 * conf/relayguard.conf with `relayguard-ctl show-config --sample`.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "metrics_http.h"
#include "mailbox.h"
#include "redis_cluster.h"
#include "redis_sentinel.h"

#define MS 1LL
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* Thresholds stay well inside int when weights are summed. */
#define SCORE_MAX 1000000LL

static const char *const log_levels[] = { "error", "warning", "notice", "info", "debug", NULL };
static const char *const bad_line_actions[] = { "skip", "abort", NULL };
static const char *const lookup_error_actions[] = { "pass", "tempfail", NULL };
static const char *const actions[] = { "reject", "tempfail", "tag", "quarantine", "log", NULL };
static const char *const spf_modes[] = { "no", "tag", "reject", NULL };
static const char *const check_states[] = { "CONNECT", "HELO", "MAIL", "RCPT", NULL };
static const char *const milter_stages[] = { "connect", "helo", "rcpt", NULL };
static const char *const milter_error_actions[] = { "accept", "tempfail", NULL };
static const char *const notify_formats[] = { "arf", "xarf", NULL };
static const char *const probe_relay_modes[] = { "rcpt", "deliver", NULL };

static int check_facility(const char *s, const char **error_r)
{
	int facility;

	*error_r = "expected a syslog facility: mail, daemon, user or local0..local7";
	return log_facility_parse(s, &facility);
}

static int check_hostname(const char *s, const char **error_r)
{
	return s[0] == '\0' ? 0 : cfgval_check_host(s, error_r);
}

/* The syntax here; the loopback rule at start (it depends on metrics_allow_remote). */
static int check_metrics_listen(const char *s, const char **error_r)
{
	static const char prefix[] = "metrics_listen: ";	/* the loader names the setting already */
	int rc = metrics_http_check_setting(s, error_r);

	if (rc != 0 && strncmp(*error_r, prefix, sizeof(prefix) - 1) == 0)
		*error_r += sizeof(prefix) - 1;
	return rc;
}

static int check_mailbox(const char *s, const char **error_r)
{
	enum mailbox_status st = s[0] == '\0' ? MAILBOX_OK : mailbox_check(s);

	*error_r = mailbox_status_text(st);
	return st == MAILBOX_OK ? 0 : -1;
}

static int check_dsn5(const char *s, const char **error_r)
{
	return cfgval_check_dsn(s, '5', error_r);
}

static int check_dsn4(const char *s, const char **error_r)
{
	return cfgval_check_dsn(s, '4', error_r);
}

#define ROW(id_, name_, type_, sect_, def_, min_, max_, choices_, check_, desc_) \
	[id_] = { id_, name_, type_, sect_, def_, min_, max_, choices_, check_, desc_, false }
#define BOOL(id_, name_, sect_, def_, desc_) ROW(id_, name_, CFG_T_BOOL, sect_, def_, 0, 0, NULL, NULL, desc_)
#define STR(id_, name_, sect_, def_, check_, desc_) \
	ROW(id_, name_, CFG_T_STRING, sect_, def_, 0, 0, NULL, check_, desc_)
#define ENUM(id_, name_, sect_, def_, ch_, desc_) ROW(id_, name_, CFG_T_ENUM, sect_, def_, 0, 0, ch_, NULL, desc_)
#define NUM(id_, name_, type_, sect_, def_, min_, max_, desc_) \
	ROW(id_, name_, type_, sect_, def_, min_, max_, NULL, NULL, desc_)
#define ANY(id_, name_, type_, sect_, def_, desc_) ROW(id_, name_, type_, sect_, def_, 0, 0, NULL, NULL, desc_)

static const char *const type_names[] = {
	[CFG_T_BOOL] = "bool",		[CFG_T_INT] = "integer",	[CFG_T_DURATION] = "duration",
	[CFG_T_SIZE] = "size",		[CFG_T_MODE] = "mode",		[CFG_T_STRING] = "string",
	[CFG_T_ENUM] = "enum",		[CFG_T_LIST] = "list",		[CFG_T_NETLIST] = "netlist",
	[CFG_T_SOCKET] = "socket",	[CFG_T_SITES] = "sites",	[CFG_T_FILE_LISTS] = "file_lists",
	[CFG_T_HOSTPORTS] = "hostports", [CFG_T_MAP] = "map",		[CFG_T_CODES] = "codes",
};

const struct cfg_setting cfg_table[CFG__COUNT] = {
	ENUM(CFG_LOG_LEVEL, "log_level", "general", "info", log_levels,
	     "least severe messages logged: error, warning, notice, info or debug"),
	STR(CFG_SYSLOG_FACILITY, "syslog_facility", "general", "mail", check_facility,
	    "syslog facility of the daemons: mail, daemon, user, local0..local7"),
	STR(CFG_SYSLOG_NAME, "syslog_name", "general", "relayguard", NULL,
	    "prefix of the program names in syslog"),
	STR(CFG_MYHOSTNAME, "myhostname", "general", "", check_hostname,
	    "this host's name in replies and notices; empty = the system host name"),
	STR(CFG_USER, "user", "general", "", NULL,
	    "user the daemons switch to after binding their sockets; empty = stay"),
	STR(CFG_GROUP, "group", "general", "", NULL,
	    "group the daemons switch to after binding; empty = the user's group"),
	BOOL(CFG_ALLOW_ROOT, "allow_root", "general", "no",
	     "let a daemon started as root with user empty keep running as root"),
	ENUM(CFG_LIST_BAD_LINE_ACTION, "list_bad_line_action", "general", "skip", bad_line_actions,
	     "a bad line in a list file: skip it (with a warning) or abort the load"),
	STR(CFG_STATS_DIR, "stats_dir", "general", RUNSTATEDIR "/relayguard", NULL,
	    "folder where the daemons leave their counters for relayguard-ctl stats; empty = none"),
	NUM(CFG_STATS_INTERVAL, "stats_interval", CFG_T_DURATION, "general", "10s", 1 * SEC, 1 * HOUR,
	    "how often the daemons write their counters to stats_dir"),
	STR(CFG_STATS_HISTORY_DIR, "stats_history_dir", "general", LOCALSTATEDIR "/lib/relayguard/history", NULL,
	    "folder where the daemons append their counters every stats_interval, for relayguard-ctl report"),
	NUM(CFG_STATS_HISTORY_INTERVAL, "stats_history_interval", CFG_T_DURATION, "general", "1m", 1 * SEC, 1 * DAY,
	    "how often the daemons append their counters to the history (at most every stats_interval)"),
	NUM(CFG_STATS_HISTORY_KEEP, "stats_history_keep", CFG_T_DURATION, "general", "30d", 0, 3660LL * DAY,
	    "how long the history's daily files are kept; 0 = keep no history"),
	NUM(CFG_STATS_HISTORY_MAX_SIZE, "stats_history_max_size", CFG_T_SIZE, "general", "256m", 64 * 1024,
	    64LL * 1024 * 1024 * 1024, "most bytes the history's files may take; the oldest days go first"),
	STR(CFG_METRICS_LISTEN, "metrics_listen", "general", "", check_metrics_listen,
	    "[PROGRAM=]ADDRESS:PORT items: where policyd, milter, notify serve Prometheus metrics; empty = none"),
	BOOL(CFG_METRICS_ALLOW_REMOTE, "metrics_allow_remote", "general", "no",
	     "let metrics_listen be an address other than loopback"),

	ANY(CFG_DNSBL_SITES, "dnsbl_sites", CFG_T_SITES, "sources", "",
	    "DNS blacklists for the client address: zone[=filter][*weight], postscreen syntax"),
	ANY(CFG_RHSBL_HELO_SITES, "rhsbl_helo_sites", CFG_T_SITES, "sources", "",
	    "domain blacklists for the HELO name, same syntax"),
	ANY(CFG_RHSBL_SENDER_SITES, "rhsbl_sender_sites", CFG_T_SITES, "sources", "",
	    "domain blacklists for the sender domain, same syntax"),
	ANY(CFG_REDIS_LISTS, "redis_lists", CFG_T_SITES, "sources", "",
	    "range lists imported into Redis: name[=filter][*weight]"),
	ANY(CFG_FILE_LISTS, "file_lists", CFG_T_FILE_LISTS, "sources", "",
	    "local list files read as rbldnsd does: NAME:[FORMAT:]/PATH[*weight]"),
	NUM(CFG_FILE_LISTS_MAX_ENTRIES, "file_lists_max_entries", CFG_T_INT, "sources", "10000000", 0,
	    2147483646, "most prefixes in one file list (0: no limit); a larger list is refused, at a reload the old one is kept"),
	BOOL(CFG_DNSBL_IPV6, "dnsbl_ipv6", "sources", "yes", "also look up IPv6 clients in the DNS blacklists"),
	BOOL(CFG_DNSBL_TXT, "dnsbl_txt", "sources", "yes", "also ask for TXT records, for the reply text"),
	ANY(CFG_DNS_SERVERS, "dns_servers", CFG_T_HOSTPORTS, "sources", "",
	    "DNS servers HOST[:PORT] or [IPV6]:PORT; empty = /etc/resolv.conf"),
	NUM(CFG_DNSBL_TIMEOUT, "dnsbl_timeout", CFG_T_DURATION, "sources", "5s", 100 * MS, 60 * SEC,
	    "deadline for all lookups of one check"),
	NUM(CFG_DNSBL_PROBE_INTERVAL, "dnsbl_probe_interval", CFG_T_DURATION, "sources", "5m", 0, 7 * DAY,
	    "how often each list is probed for health (it counts only while it passes); 0 = never"),
	ANY(CFG_DNSBL_ERROR_CODES, "dnsbl_error_codes", CFG_T_CODES, "sources",
	    "127.255.255.[252..255], 127.0.1.255, 127.0.0.255, 127.0.10.3",
	    "answers that mean a list refuses us, not a listing: FILTER or ZONE=FILTER"),
	ENUM(CFG_LOOKUP_ERROR_ACTION, "lookup_error_action", "sources", "pass", lookup_error_actions,
	     "when no source could answer: pass the client or tempfail"),
	NUM(CFG_DNSBL_THRESHOLD, "dnsbl_threshold", CFG_T_INT, "sources", "1", -SCORE_MAX, SCORE_MAX,
	    "a score at or above this is listed"),
	NUM(CFG_ALLOWLIST_THRESHOLD, "allowlist_threshold", CFG_T_INT, "sources", "-1", -SCORE_MAX,
	    SCORE_MAX, "a score at or below this is allowlisted (must be below dnsbl_threshold)"),
	ENUM(CFG_DNSBL_ACTION, "dnsbl_action", "sources", "reject", actions,
	     "what to do with a listed client: reject, tempfail, tag, quarantine or log"),
	ANY(CFG_ALLOW_NETWORKS, "allow_networks", CFG_T_NETLIST, "sources", "",
	    "clients never checked: addresses or networks ADDR/LEN"),
	BOOL(CFG_SKIP_SPECIAL, "skip_special", "sources", "yes",
	     "never check loopback, private, link-local and other special addresses"),
	BOOL(CFG_SKIP_AUTHENTICATED, "skip_authenticated", "sources", "yes",
	     "never check clients that authenticated with SMTP AUTH"),

	NUM(CFG_CACHE_SIZE, "cache_size", CFG_T_INT, "caches", "100000", 0, 100000000,
	    "entries of the in-process cache; 0 = none"),
	STR(CFG_REDIS_SERVER, "redis_server", "caches", "", cfgval_check_redis_server,
	    "Redis as HOST:PORT, [IPV6]:PORT or unix:/PATH; empty = no Redis"),
	STR(CFG_REDIS_SENTINELS, "redis_sentinels", "caches", "", redis_sentinel_check_list,
	    "Redis Sentinels as HOST:PORT, ...; instead of redis_server, with redis_sentinel_master"),
	STR(CFG_REDIS_SENTINEL_MASTER, "redis_sentinel_master", "caches", "", redis_sentinel_check_name,
	    "the master name the Sentinels watch (SENTINEL get-master-addr-by-name)"),
	STR(CFG_REDIS_SENTINEL_USERNAME, "redis_sentinel_username", "caches", "", cfgval_check_redis_username,
	    "ACL user of the Sentinels (Redis 6.2+); empty = the default user"),
	[CFG_REDIS_SENTINEL_PASSWORD] = { CFG_REDIS_SENTINEL_PASSWORD, "redis_sentinel_password",
					  CFG_T_STRING, "caches", "", 0, 0, NULL, NULL,
					  "AUTH password of the Sentinels; never shown or logged", true },
	STR(CFG_REDIS_CLUSTER_NODES, "redis_cluster_nodes", "caches", "", redis_cluster_check_list,
	    "seed nodes of a Redis Cluster as HOST:PORT, ...; instead of redis_server"),
	NUM(CFG_REDIS_DB, "redis_db", CFG_T_INT, "caches", "0", 0, 15, "Redis database number"),
	STR(CFG_REDIS_USERNAME, "redis_username", "caches", "", cfgval_check_redis_username,
	    "ACL user of the Redis servers (Redis 6+); empty = the default user"),
	[CFG_REDIS_PASSWORD] = { CFG_REDIS_PASSWORD, "redis_password", CFG_T_STRING, "caches", "", 0, 0,
				 NULL, NULL, "Redis AUTH password; never shown or logged", true },
	STR(CFG_REDIS_PREFIX, "redis_prefix", "caches", "rg:", NULL, "prefix of every Redis key"),
	NUM(CFG_REDIS_TIMEOUT, "redis_timeout", CFG_T_DURATION, "caches", "500ms", 10 * MS, 60 * SEC,
	    "deadline of one Redis round trip"),
	NUM(CFG_DNSBL_MIN_TTL, "dnsbl_min_ttl", CFG_T_DURATION, "caches", "60s", 0, 7 * DAY,
	    "shortest time an answer is cached"),
	NUM(CFG_DNSBL_MAX_TTL, "dnsbl_max_ttl", CFG_T_DURATION, "caches", "1d", 1 * SEC, 30 * DAY,
	    "longest time an answer is cached"),
	NUM(CFG_DNSBL_NEGATIVE_TTL, "dnsbl_negative_ttl", CFG_T_DURATION, "caches", "15m", 0, 7 * DAY,
	    "how long a not-listed answer is cached"),

	NUM(CFG_REJECT_CODE, "reject_code", CFG_T_INT, "replies", "550", 500, 599, "SMTP code of a reject"),
	STR(CFG_REJECT_DSN, "reject_dsn", "replies", "5.7.1", check_dsn5, "enhanced status code of a reject"),
	NUM(CFG_TEMPFAIL_CODE, "tempfail_code", CFG_T_INT, "replies", "450", 400, 499,
	    "SMTP code of a tempfail"),
	STR(CFG_TEMPFAIL_DSN, "tempfail_dsn", "replies", "4.7.1", check_dsn4,
	    "enhanced status code of a tempfail"),
	STR(CFG_REJECT_MESSAGE, "reject_message", "replies",
	    "Service unavailable; client [{client}] blocked using {list}{txt?: }{txt}", NULL,
	    "reply text template of a reject"),
	STR(CFG_TEMPFAIL_MESSAGE, "tempfail_message", "replies",
	    "Service temporarily unavailable; client [{client}] listed in {list}, try again later", NULL,
	    "reply text template of a tempfail"),
	STR(CFG_TAG_HEADER, "tag_header", "replies", "X-Relayguard", NULL,
	    "header added by the tag action"),
	STR(CFG_QUARANTINE_REASON, "quarantine_reason", "replies",
	    "relayguard: client [{client}] listed in {list}", NULL, "reason template of the quarantine action"),
	ANY(CFG_DNSBL_REPLY_MAP, "dnsbl_reply_map", CFG_T_MAP, "replies", "",
	    "names shown in replies instead of zones: zone=name"),

	ENUM(CFG_SPF, "spf", "spf", "no", spf_modes, "SPF check at MAIL FROM: no, tag or reject"),

	BOOL(CFG_REPORT_ENABLE, "report_enable", "reports", "yes", "queue a report event for each listed client"),
	NUM(CFG_REPORT_QUEUE_MAX, "report_queue_max", CFG_T_INT, "reports", "100000", 1, 100000000,
	    "longest report queue (Redis stream or spool)"),
	NUM(CFG_REPORT_DEDUPE_WINDOW, "report_dedupe_window", CFG_T_DURATION, "reports", "1d", 0, 30 * DAY,
	    "one report per client address within this time"),
	STR(CFG_REPORT_SPOOL, "report_spool", "reports", LOCALSTATEDIR "/spool/relayguard", NULL,
	    "folder of the local report journal"),
	BOOL(CFG_REPORT_SENDER_DOMAIN, "report_sender_domain", "reports", "no",
	     "include the sender domain in reports"),
	NUM(CFG_REPORT_MIN_REPLICAS, "report_min_replicas", CFG_T_INT, "reports", "0", 0, 16,
	    "replicas that must confirm an event (WAIT) before the spool lets it go; 0 = none"),
	NUM(CFG_REPORT_STREAMS, "report_streams", CFG_T_INT, "reports", "1", 1, 64,
	    "report streams, spread by client network (/24, /48) over Redis Cluster shards; the same on every "
	    "writer and notifier"),

	ANY(CFG_POLICY_LISTEN, "policy_listen", CFG_T_SOCKET, "policy", "inet:10040@127.0.0.1",
	    "socket of relayguard-policyd: inet:PORT@HOST, inet6:PORT@[ADDR], unix:/PATH"),
	NUM(CFG_POLICY_SOCKET_MODE, "policy_socket_mode", CFG_T_MODE, "policy", "0660", 0, 0777,
	    "permissions of a unix policy socket"),
	STR(CFG_POLICY_SOCKET_OWNER, "policy_socket_owner", "policy", "", NULL,
	    "owner of a unix policy socket (changing it needs root); empty = user"),
	STR(CFG_POLICY_SOCKET_GROUP, "policy_socket_group", "policy", "", NULL,
	    "group of a unix policy socket, e.g. postfix; empty = group"),
	ENUM(CFG_POLICY_CHECK_STATE, "policy_check_state", "policy", "RCPT", check_states,
	     "protocol state that is checked: CONNECT, HELO, MAIL or RCPT"),
	ANY(CFG_POLICY_ALLOWED_CLIENTS, "policy_allowed_clients", CFG_T_NETLIST, "policy",
	    "127.0.0.0/8, ::1/128", "peers allowed to connect to the policy socket"),
	STR(CFG_POLICY_PIDFILE, "policy_pidfile", "policy", RUNSTATEDIR "/relayguard/relayguard-policyd.pid",
	    NULL, "pid file of relayguard-policyd"),
	NUM(CFG_POLICY_MAX_CONNECTIONS, "policy_max_connections", CFG_T_INT, "policy", "1000", 1, 1000000,
	    "most simultaneous policy connections"),
	NUM(CFG_POLICY_IDLE_TIMEOUT, "policy_idle_timeout", CFG_T_DURATION, "policy", "310s", 1 * SEC, DAY,
	    "close a policy connection idle this long"),
	NUM(CFG_POLICY_REQUEST_TIMEOUT, "policy_request_timeout", CFG_T_DURATION, "policy", "10s", 1 * SEC,
	    HOUR, "close a policy connection whose request is not complete this long after its first byte"),
	NUM(CFG_POLICY_WORKERS, "policy_workers", CFG_T_INT, "policy", "0", 0, 1024,
	    "worker threads; 0 = one per core"),

	ANY(CFG_MILTER_SOCKET, "milter_socket", CFG_T_SOCKET, "milter", "inet:10041@127.0.0.1",
	    "socket of relayguard-milter: inet:PORT@HOST, inet6:PORT@[ADDR], unix:/PATH"),
	NUM(CFG_MILTER_TIMEOUT, "milter_timeout", CFG_T_DURATION, "milter", "30s", 1 * SEC, HOUR,
	    "libmilter I/O timeout with the MTA"),
	STR(CFG_MILTER_PIDFILE, "milter_pidfile", "milter", RUNSTATEDIR "/relayguard/relayguard-milter.pid",
	    NULL, "pid file of relayguard-milter"),
	ENUM(CFG_MILTER_REJECT_STAGE, "milter_reject_stage", "milter", "rcpt", milter_stages,
	     "SMTP stage at which a listed client is refused: connect, helo or rcpt"),
	ENUM(CFG_MILTER_ERROR_ACTION, "milter_error_action", "milter", "accept", milter_error_actions,
	     "on an internal error: accept the message or tempfail"),
	BOOL(CFG_MILTER_EARLY_ACCEPT, "milter_early_accept", "milter", "no",
	     "accept a whole connection at connect when its verdict is a pass known then (needs no RHSBL, no SPF); its messages are then not looked at"),

	ANY(CFG_OWNERS_DB, "owners_db", CFG_T_LIST, "notify", "",
	    "files that map networks to abuse contacts (RPSL, ARIN bulk whois or CSV; see relayguard-notify(8))"),
	STR(CFG_NOTIFY_FALLBACK_ADDRESS, "notify_fallback_address", "notify", "", check_mailbox,
	    "where notices go when no owner is found; empty = nowhere"),
	NUM(CFG_NOTIFY_CLAIM_IDLE, "notify_claim_idle", CFG_T_DURATION, "notify", "10m", 1 * SEC, DAY,
	    "take over queue events another notifier left pending this long"),
	NUM(CFG_NOTIFY_WINDOW, "notify_window", CFG_T_DURATION, "notify", "1d", 1 * MIN, 90 * DAY,
	    "time over which hits per network are counted"),
	NUM(CFG_NOTIFY_MIN_HITS, "notify_min_hits", CFG_T_INT, "notify", "3", 1, 1000000,
	    "hits within the window before a network is told"),
	NUM(CFG_NOTIFY_INTERVAL, "notify_interval", CFG_T_DURATION, "notify", "30d", 0, 365 * DAY,
	    "least time between two notices to one network"),
	ENUM(CFG_NOTIFY_FORMAT, "notify_format", "notify", "arf", notify_formats,
	     "notice format: arf (RFC 5965) or xarf"),
	STR(CFG_NOTIFY_FROM, "notify_from", "notify", "postmaster@$myhostname", NULL,
	    "sender address of notices"),
	STR(CFG_NOTIFY_BCC, "notify_bcc", "notify", "", NULL, "blind copy of every notice; empty = none"),
	NUM(CFG_NOTIFY_RATE, "notify_rate", CFG_T_INT, "notify", "100", 1, 1000000, "most notices per hour"),
	STR(CFG_NOTIFY_TRANSPORT, "notify_transport", "notify", "outbox:" LOCALSTATEDIR "/spool/relayguard/outbox",
	    cfgval_check_transport, "delivery: outbox:/DIR, sendmail:/PATH or smtp:HOST:PORT"),
	STR(CFG_NOTIFY_TEMPLATE, "notify_template", "notify", SYSCONFDIR "/relayguard/notice.txt", NULL,
	    "template of the notice text"),
	STR(CFG_NOTIFY_STATE_DIR, "notify_state_dir", "notify", LOCALSTATEDIR "/lib/relayguard", NULL,
	    "folder of the notifier's state"),
	STR(CFG_NOTIFY_ABUSE_ZONE, "notify_abuse_zone", "notify", "", check_hostname,
	    "DNS zone of abuse contacts (TXT under the reversed address), asked when owners_db has none; empty = not asked"),
	STR(CFG_NOTIFY_SUPPRESS, "notify_suppress", "notify", "", NULL,
	    "file of networks, contacts and domains that receive no notice; empty = none"),
	STR(CFG_NOTIFY_ENVELOPE_SENDER, "notify_envelope_sender", "notify", "", NULL,
	    "envelope sender of notices (where bounces go); empty = the address of notify_from"),
	BOOL(CFG_NOTIFY_VERIFY, "notify_verify", "notify", "no",
	     "probe a network's hosts (relayguard-probe's settings) before its notice, and put the evidence in it"),
	BOOL(CFG_NOTIFY_REQUIRE_CONFIRMATION, "notify_require_confirmation", "notify", "no",
	     "with notify_verify: report only hosts the probe confirmed; a network without one gets no notice"),
	NUM(CFG_NOTIFY_VERIFY_HOSTS, "notify_verify_hosts", CFG_T_INT, "notify", "3", 1, 64,
	    "hosts probed per notice, most active first"),
	NUM(CFG_NOTIFY_VERIFY_BUDGET, "notify_verify_budget", CFG_T_DURATION, "notify", "2m", 1 * SEC, 1 * HOUR,
	    "probing time per sending pass; notices still to verify wait for the next pass"),

	ANY(CFG_PROBE_ALLOWED_TARGETS, "probe_allowed_targets", CFG_T_NETLIST, "probe", "",
	    "networks relayguard-probe may contact; MUST be set, nothing outside is ever contacted"),
	ANY(CFG_PROBE_SMTP_PORTS, "probe_smtp_ports", CFG_T_LIST, "probe", "25, 587",
	    "ports tried for the open-relay test; empty = no relay test"),
	ANY(CFG_PROBE_PROXY_PORTS, "probe_proxy_ports", CFG_T_LIST, "probe", "1080, 3128, 8080",
	    "ports tried for the open-proxy test (HTTP CONNECT, GET, POST, SOCKS4, SOCKS5); empty = no proxy test"),
	STR(CFG_PROBE_CANARY_DOMAIN, "probe_canary_domain", "probe", "", NULL,
	    "domain of the relay test recipients; its MX is probe_canary; targets must not serve it"),
	ANY(CFG_PROBE_CANARY, "probe_canary", CFG_T_HOSTPORTS, "probe", "",
	    "ADDRESS:PORT the probe listens on while it runs (the canary); proxies are asked to reach it"),
	STR(CFG_PROBE_MAIL_FROM, "probe_mail_from", "probe", "postmaster@$myhostname", NULL,
	    "MAIL FROM of the relay test"),
	ENUM(CFG_PROBE_RELAY_MODE, "probe_relay_mode", "probe", "rcpt", probe_relay_modes,
	     "rcpt: stop at the RCPT reply (weaker evidence); deliver: send one message to the canary"),
	NUM(CFG_PROBE_TTL, "probe_ttl", CFG_T_DURATION, "probe", "1d", 0, 90 * DAY,
	    "how long a probe result is kept and reused for one host"),
	NUM(CFG_PROBE_HOST_INTERVAL, "probe_host_interval", CFG_T_DURATION, "probe", "1h", 0, 30 * DAY,
	    "least time between two probes of one host, also with --force"),
	NUM(CFG_PROBE_NETWORK_RATE, "probe_network_rate", CFG_T_INT, "probe", "10", 1, 1000000,
	    "most probes per hour into one /24 (IPv4) or /48 (IPv6)"),
	NUM(CFG_PROBE_GLOBAL_RATE, "probe_global_rate", CFG_T_INT, "probe", "100", 1, 1000000,
	    "most probes per hour in all"),
	NUM(CFG_PROBE_CONNECT_TIMEOUT, "probe_connect_timeout", CFG_T_DURATION, "probe", "10s", 100 * MS, 5 * MIN,
	    "TCP connect timeout of a probe"),
	NUM(CFG_PROBE_READ_TIMEOUT, "probe_read_timeout", CFG_T_DURATION, "probe", "30s", 100 * MS, 10 * MIN,
	    "wait for one reply of a probed host"),
	NUM(CFG_PROBE_CANARY_WAIT, "probe_canary_wait", CFG_T_DURATION, "probe", "30s", 100 * MS, 1 * HOUR,
	    "wait for the canary to see a token"),
	NUM(CFG_PROBE_READ_MAX, "probe_read_max", CFG_T_SIZE, "probe", "64k", 1024, 16 * 1024 * 1024,
	    "bytes read from one probed connection at most"),
	STR(CFG_PROBE_STATE_DIR, "probe_state_dir", "probe", LOCALSTATEDIR "/lib/relayguard/probe", NULL,
	    "folder of probe results, the rate-limit journal and per-host locks"),
};

const char *cfg_name(enum cfg_id id)
{
	return (unsigned)id < CFG__COUNT ? cfg_table[id].name : "(none)";
}

const char *cfg_description(enum cfg_id id)
{
	return (unsigned)id < CFG__COUNT ? cfg_table[id].description : "";
}

const char *cfg_default_text(enum cfg_id id)
{
	return (unsigned)id < CFG__COUNT ? cfg_table[id].def : "";
}

int cfg_find(const char *name, enum cfg_id *id_r)
{
	for (int i = 0; i < CFG__COUNT; i++) {
		if (strcmp(name, cfg_table[i].name) == 0) {
			*id_r = (enum cfg_id)i;
			return 0;
		}
	}
	return -1;
}

void cfg_write_sample(struct buf *out)
{
	const char *section = "";

	buf_puts(out,
		 "# relayguard.conf - configuration of relayguard; see relayguard.conf(5).\n"
		 "#\n"
		 "# Every setting is listed below with its default value, commented out.\n"
		 "# Syntax: \"name = value\".  A line that starts with white space continues\n"
		 "# the previous setting; a line whose first non-blank character is '#' is\n"
		 "# a comment.  A later definition overrides an earlier one.\n"
		 "#\n"
		 "# Generated by: relayguard-ctl show-config --sample\n");
	for (int i = 0; i < CFG__COUNT; i++) {
		const struct cfg_setting *s = &cfg_table[i];
		if (strcmp(section, s->section) != 0) {
			section = s->section;
			buf_printf(out, "\n# ---- %s ", section);
			for (size_t n = strlen(section); n < 64; n++)
				buf_putc(out, '-');
			buf_putc(out, '\n');
		}
		buf_printf(out, "\n# %s (", s->name);
		cfg_format_type(s->id, out);
		buf_printf(out, "): %s\n", s->description);
		buf_printf(out, "#%s =%s%s\n", s->name, s->def[0] ? " " : "", s->def);
	}
}

const char *cfg_type_name(enum cfg_id id)
{
	return type_names[cfg_table[id].type];
}

void cfg_format_type(enum cfg_id id, struct buf *out)
{
	const struct cfg_setting *s = &cfg_table[id];
	struct buf lo = BUF_INIT, hi = BUF_INIT;

	buf_puts(out, type_names[s->type]);
	if (s->type == CFG_T_ENUM) {
		for (int i = 0; s->choices[i] != NULL; i++)
			buf_printf(out, "%c%s", i ? '|' : ' ', s->choices[i]);
	} else if (s->type == CFG_T_DURATION) {
		cfgval_format_duration((unsigned long long)s->min, &lo);
		cfgval_format_duration((unsigned long long)s->max, &hi);
		buf_printf(out, " %s..%s", buf_cstr(&lo), buf_cstr(&hi));
	} else if (s->type == CFG_T_INT) {
		buf_printf(out, " %lld..%lld", s->min, s->max);
	}
	buf_free(&lo);
	buf_free(&hi);
}
