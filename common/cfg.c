/* cfg - settings, the relayguard.conf parser, the refcounted config; see cfg.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "mem.h"

struct cfg_value {
	bool set;		/* given in the file */
	unsigned line;		/* where, when set */
	union {
		bool b;
		long long i;		/* int, size, mode */
		unsigned long long ms;	/* duration */
		int e;			/* enum choice */
		char *s;
		struct cfg_strlist list;
		struct cfg_netlist net;
		struct cfg_socket sock;
		struct cfg_sitelist sites;
		struct cfg_filelists files;
		struct cfg_hostports hp;
		struct cfg_map map;
		struct cfg_codelist codes;
	} u;
};

struct cfg {
	atomic_uint refs;
	char *path;
	char hostname[CFGVAL_HOST_MAX + 1];	/* myhostname when set to "" */
	struct cfg_value v[CFG__COUNT];
};

static void bad_value(struct buf *why, const struct cfg_setting *s, const char *v, size_t len, const char *what)
{
	buf_printf(why, "bad value for %s: ", s->name);
	cfgval_quote(why, v, len);
	buf_printf(why, ": %s", what);
}

/* ---- lists ------------------------------------------------------------- */

static void value_free(enum cfg_type type, struct cfg_value *v)
{
	switch (type) {
	case CFG_T_STRING:
		free(v->u.s);
		break;
	case CFG_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++)
			free(v->u.list.items[i]);
		free(v->u.list.items);
		break;
	case CFG_T_FILE_LISTS:
		for (size_t i = 0; i < v->u.files.n; i++)
			cfgval_free_file_list(&v->u.files.items[i]);
		free(v->u.files.items);
		break;
	case CFG_T_MAP:
		for (size_t i = 0; i < v->u.map.n; i++) {
			free(v->u.map.items[i].key);
			free(v->u.map.items[i].value);
		}
		free(v->u.map.items);
		break;
	case CFG_T_NETLIST:
		free(v->u.net.items);
		break;
	case CFG_T_SITES:
		free(v->u.sites.items);
		break;
	case CFG_T_HOSTPORTS:
		free(v->u.hp.items);
		break;
	case CFG_T_CODES:
		free(v->u.codes.items);
		break;
	default:
		break;
	}
	memset(&v->u, 0, sizeof(v->u));
}

/* The list types: element size and item parser; the typed struct is filled after. */
static int parse_list_value(const struct cfg_setting *s, const char *text, struct cfg_value *v,
			    struct buf *why)
{
	const char *error = NULL, *bad = NULL;
	size_t n, bad_len = 0;
	void *items;
	int rc;

#define LIST_CASE(T, field, elem_t, fn)                                                          \
	case T:                                                                                  \
		rc = cfgval_parse_list(text, sizeof(elem_t), fn, &items, &n, &error, &bad, &bad_len); \
		v->u.field.items = items;                                                        \
		v->u.field.n = n;                                                                \
		break;
	switch (s->type) {
	LIST_CASE(CFG_T_LIST, list, char *, cfgval_item_word)
	LIST_CASE(CFG_T_NETLIST, net, struct cfg_net, cfgval_item_net)
	LIST_CASE(CFG_T_SITES, sites, struct site, cfgval_item_site)
	LIST_CASE(CFG_T_FILE_LISTS, files, struct cfg_file_list, cfgval_item_file_list)
	LIST_CASE(CFG_T_HOSTPORTS, hp, struct cfg_hostport, cfgval_item_hostport)
	LIST_CASE(CFG_T_MAP, map, struct cfg_map_item, cfgval_item_map)
	LIST_CASE(CFG_T_CODES, codes, struct cfg_code, cfgval_item_code)
	default:
		abort();
	}
#undef LIST_CASE
	if (rc != 0) {
		bad_value(why, s, bad, bad_len, error);
		value_free(s->type, v);
	}
	return rc;
}

/* ---- scalars ----------------------------------------------------------- */

static void range_text(const struct cfg_setting *s, struct buf *out)
{
	struct buf lo = BUF_INIT, hi = BUF_INIT;

	if (s->type == CFG_T_DURATION) {
		cfgval_format_duration((unsigned long long)s->min, &lo);
		cfgval_format_duration((unsigned long long)s->max, &hi);
	} else if (s->type == CFG_T_SIZE) {
		cfgval_format_size(s->min, &lo);
		cfgval_format_size(s->max, &hi);
	} else if (s->type == CFG_T_MODE) {
		buf_printf(&lo, "%llo", s->min);
		buf_printf(&hi, "0%llo", s->max);
	} else {
		buf_printf(&lo, "%lld", s->min);
		buf_printf(&hi, "%lld", s->max);
	}
	buf_printf(out, "expected a%s %s from %s to %s", s->type == CFG_T_INT ? "n" : "",
		   cfg_type_name(s->id), buf_cstr(&lo), buf_cstr(&hi));
	buf_free(&lo);
	buf_free(&hi);
}

static int parse_enum(const struct cfg_setting *s, const char *text, struct cfg_value *v, struct buf *why)
{
	struct buf what = BUF_INIT;

	for (int i = 0; s->choices[i] != NULL; i++) {
		if (strcasecmp(text, s->choices[i]) == 0) {
			v->u.e = i;
			return 0;
		}
	}
	buf_puts(&what, "expected one of ");
	for (int i = 0; s->choices[i] != NULL; i++)
		buf_printf(&what, "%s%s", i ? ", " : "", s->choices[i]);
	bad_value(why, s, text, strlen(text), buf_cstr(&what));
	buf_free(&what);
	return -1;
}

/* Parse text as setting s into *v (zeroed by the caller).  Errors go to why. */
static int value_parse(const struct cfg_setting *s, const char *text, struct cfg_value *v, struct buf *why)
{
	const char *error = NULL;
	long long n = 0;
	int rc;

	switch (s->type) {
	case CFG_T_BOOL:
		rc = cfgval_parse_bool(text, &v->u.b, &error);
		break;
	case CFG_T_INT:
		rc = cfgval_parse_int(text, &n, &error);
		break;
	case CFG_T_SIZE:
		rc = cfgval_parse_size(text, &n, &error);
		break;
	case CFG_T_MODE:
		rc = cfgval_parse_mode(text, &n, &error);
		break;
	case CFG_T_DURATION:
		rc = cfgval_parse_duration(text, &v->u.ms, &error);
		n = v->u.ms > LLONG_MAX ? LLONG_MAX : (long long)v->u.ms;
		break;
	case CFG_T_STRING:
		rc = s->check != NULL ? s->check(text, &error) : 0;
		if (rc == 0)
			v->u.s = xstrdup(text);
		break;
	case CFG_T_ENUM:
		return parse_enum(s, text, v, why);
	case CFG_T_SOCKET:
		rc = cfgval_parse_socket(text, &v->u.sock, &error);
		break;
	default:
		return parse_list_value(s, text, v, why);
	}
	if (rc != 0) {
		bad_value(why, s, s->secret ? "(hidden)" : text, s->secret ? 8 : strlen(text), error);
		return -1;
	}
	if (s->type == CFG_T_INT || s->type == CFG_T_SIZE || s->type == CFG_T_MODE ||
	    s->type == CFG_T_DURATION) {
		if (n < s->min || n > s->max) {
			struct buf what = BUF_INIT;
			range_text(s, &what);
			bad_value(why, s, text, strlen(text), buf_cstr(&what));
			buf_free(&what);
			return -1;
		}
		if (s->type != CFG_T_DURATION)
			v->u.i = n;
	}
	return 0;
}

/* ---- the config object ------------------------------------------------- */

static void cfg_free(cfg_t *cfg)
{
	for (int i = 0; i < CFG__COUNT; i++)
		value_free(cfg_table[i].type, &cfg->v[i]);
	free(cfg->path);
	free(cfg);
}

/* A config holding the table defaults; they are checked by the unit tests. */
static cfg_t *cfg_new(const char *path)
{
	cfg_t *cfg = xcalloc(1, sizeof(*cfg));
	struct buf why = BUF_INIT;

	atomic_init(&cfg->refs, 1);
	cfg->path = xstrdup(path);
	for (int i = 0; i < CFG__COUNT; i++) {
		if (value_parse(&cfg_table[i], cfg_table[i].def, &cfg->v[i], &why) != 0) {
			log_error("cfg: built-in default: %s", buf_cstr(&why));
			abort();
		}
	}
	if (gethostname(cfg->hostname, sizeof(cfg->hostname) - 1) != 0 || cfg->hostname[0] == '\0')
		snprintf(cfg->hostname, sizeof(cfg->hostname), "localhost");
	return cfg;
}

cfg_t *cfg_defaults(void)
{
	return cfg_new("");
}

cfg_t *cfg_ref(cfg_t *cfg)
{
	atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
	return cfg;
}

void cfg_unref(cfg_t **cfgp)
{
	cfg_t *cfg = *cfgp;

	*cfgp = NULL;
	if (cfg != NULL && atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) == 1)
		cfg_free(cfg);
}

const char *cfg_path(const cfg_t *cfg)
{
	return cfg->path;
}

/* ---- the file ---------------------------------------------------------- */

struct parser {
	const char *name;
	cfg_t *cfg;
	struct buf errors;
	unsigned nerrors;
	bool gave_up;
};

static void __attribute__((format(printf, 3, 4))) parse_error(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (p->gave_up)
		return;
	if (p->nerrors > 0)
		buf_putc(&p->errors, '\n');
	if (++p->nerrors > CFG_ERRORS_MAX) {
		buf_printf(&p->errors, "%s: too many errors, giving up", p->name);
		p->gave_up = true;
		return;
	}
	buf_printf(&p->errors, line ? "%s:%u: " : "%s: ", p->name, line);
	va_start(ap, fmt);
	buf_vprintf(&p->errors, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance, for "did you mean"; a and b are short names. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void unknown_name(struct parser *p, unsigned line, const char *name)
{
	struct buf q = BUF_INIT;
	size_t len = strlen(name), best = SIZE_MAX, limit = len / 3;
	const char *guess = NULL;

	cfgval_quote(&q, name, len);
	q.data[0] = q.data[q.len - 1] = '\'';
	if (limit > 3)
		limit = 3;
	if (limit < 1)
		limit = 1;
	for (int i = 0; len <= 64 && i < CFG__COUNT; i++) {
		size_t d = edit_distance(name, cfg_table[i].name);
		if (d < best) {
			best = d;
			guess = cfg_table[i].name;
		}
	}
	if (guess != NULL && best <= limit)
		parse_error(p, line, "unknown setting %s (did you mean '%s'?)", buf_cstr(&q), guess);
	else
		parse_error(p, line, "unknown setting %s", buf_cstr(&q));
	buf_free(&q);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* One logical line "name = value" (modified in place). */
static void parse_setting(struct parser *p, unsigned line, char *text)
{
	char *eq = strchr(text, '='), *name, *value;
	struct cfg_value v;
	struct buf why = BUF_INIT;
	enum cfg_id id;

	if (eq == NULL) {
		struct buf q = BUF_INIT;
		cfgval_quote(&q, text, strlen(text));
		parse_error(p, line, "expected \"name = value\", got %s", buf_cstr(&q));
		buf_free(&q);
		return;
	}
	*eq = '\0';
	name = trim(text);
	value = trim(eq + 1);
	if (*name == '\0') {
		parse_error(p, line, "missing setting name before \"=\"");
		return;
	}
	if (cfg_find(name, &id) != 0) {
		unknown_name(p, line, name);
		return;
	}
	memset(&v, 0, sizeof(v));
	if (value_parse(&cfg_table[id], value, &v, &why) != 0) {
		parse_error(p, line, "%s", buf_cstr(&why));
		buf_free(&why);
		return;
	}
	value_free(cfg_table[id].type, &p->cfg->v[id]);
	v.set = true;
	v.line = line;
	p->cfg->v[id] = v;
}

static unsigned later_line(const cfg_t *cfg, enum cfg_id a, enum cfg_id b)
{
	return cfg->v[a].line > cfg->v[b].line ? cfg->v[a].line : cfg->v[b].line;
}

/* Exactly one way to reach Redis: a server, Sentinels with a master name,
 * or the seed nodes of a cluster; and no ACL user without a password. */
static void redis_cross_checks(struct parser *p)
{
	const cfg_t *cfg = p->cfg;
	bool server = cfg->v[CFG_REDIS_SERVER].u.s[0] != '\0';
	bool sentinels = cfg->v[CFG_REDIS_SENTINELS].u.s[0] != '\0';
	bool master = cfg->v[CFG_REDIS_SENTINEL_MASTER].u.s[0] != '\0';
	bool cluster = cfg->v[CFG_REDIS_CLUSTER_NODES].u.s[0] != '\0';

	if (cluster && (server || sentinels))
		parse_error(p, later_line(cfg, CFG_REDIS_CLUSTER_NODES,
					  server ? CFG_REDIS_SERVER : CFG_REDIS_SENTINELS),
			    "redis_cluster_nodes and %s are both set: set exactly one of redis_server, "
			    "redis_sentinels and redis_cluster_nodes",
			    server ? "redis_server" : "redis_sentinels");
	else if (cluster && cfg->v[CFG_REDIS_DB].u.i != 0)
		parse_error(p, later_line(cfg, CFG_REDIS_CLUSTER_NODES, CFG_REDIS_DB),
			    "redis_db is %lld but a Redis Cluster has only database 0: remove redis_db "
			    "(use redis_prefix to keep several sites apart)",
			    (long long)cfg->v[CFG_REDIS_DB].u.i);
	else if (server && sentinels)
		parse_error(p, later_line(cfg, CFG_REDIS_SERVER, CFG_REDIS_SENTINELS),
			    "redis_server and redis_sentinels are both set: set exactly one "
			    "(a standalone server, or the Sentinels that know the master)");
	else if (sentinels && !master)
		parse_error(p, cfg->v[CFG_REDIS_SENTINELS].line,
			    "redis_sentinels is set but redis_sentinel_master is not: "
			    "name the master the Sentinels watch");
	else if (master && !sentinels)
		parse_error(p, cfg->v[CFG_REDIS_SENTINEL_MASTER].line,
			    "redis_sentinel_master is set but redis_sentinels is not");
	/* AUTH names a user only together with a password */
	if (cfg->v[CFG_REDIS_USERNAME].u.s[0] != '\0' && cfg->v[CFG_REDIS_PASSWORD].u.s[0] == '\0')
		parse_error(p, cfg->v[CFG_REDIS_USERNAME].line,
			    "redis_username is set but redis_password is not: an ACL user needs its password");
	if (cfg->v[CFG_REDIS_SENTINEL_USERNAME].u.s[0] != '\0' &&
	    cfg->v[CFG_REDIS_SENTINEL_PASSWORD].u.s[0] == '\0')
		parse_error(p, cfg->v[CFG_REDIS_SENTINEL_USERNAME].line,
			    "redis_sentinel_username is set but redis_sentinel_password is not: "
			    "an ACL user needs its password");
}

/* Checks that involve more than one setting; run on an otherwise good file. */
static void cross_checks(struct parser *p)
{
	const cfg_t *cfg = p->cfg;

	if (cfg->v[CFG_DNSBL_MIN_TTL].u.ms > cfg->v[CFG_DNSBL_MAX_TTL].u.ms) {
		struct buf lo = BUF_INIT, hi = BUF_INIT;
		cfgval_format_duration(cfg->v[CFG_DNSBL_MIN_TTL].u.ms, &lo);
		cfgval_format_duration(cfg->v[CFG_DNSBL_MAX_TTL].u.ms, &hi);
		parse_error(p, later_line(cfg, CFG_DNSBL_MIN_TTL, CFG_DNSBL_MAX_TTL),
			    "dnsbl_min_ttl = %s is greater than dnsbl_max_ttl = %s", buf_cstr(&lo), buf_cstr(&hi));
		buf_free(&lo);
		buf_free(&hi);
	}
	redis_cross_checks(p);
	if (cfg->v[CFG_ALLOWLIST_THRESHOLD].u.i >= cfg->v[CFG_DNSBL_THRESHOLD].u.i)
		parse_error(p, later_line(cfg, CFG_ALLOWLIST_THRESHOLD, CFG_DNSBL_THRESHOLD),
			    "allowlist_threshold = %lld must be lower than dnsbl_threshold = %lld",
			    cfg->v[CFG_ALLOWLIST_THRESHOLD].u.i, cfg->v[CFG_DNSBL_THRESHOLD].u.i);
}

/* A physical line: refuse controls other than tab (NUL included). */
static bool line_is_clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Finish the pending logical line, if any. */
static void flush_logical(struct parser *p, struct buf *logical, unsigned *start)
{
	if (*start != 0)
		parse_setting(p, *start, logical->data);
	buf_reset(logical);
	*start = 0;
}

/* Feed one physical line (without its line end). */
static void feed_line(struct parser *p, struct buf *logical, unsigned *start, bool *skipping,
		      const char *s, size_t len, unsigned line)
{
	size_t lead = 0;

	while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (len > CFG_LINE_MAX || !line_is_clean(s, len)) {
		flush_logical(p, logical, start);
		if (len > CFG_LINE_MAX)
			parse_error(p, line, "line is longer than %d bytes", CFG_LINE_MAX);
		else
			parse_error(p, line, "line holds a control character");
		*skipping = true;	/* its continuation lines too */
		return;
	}
	if (lead == len || s[lead] == '#')
		return;		/* blank or comment: does not end a setting */
	if (lead == 0) {
		flush_logical(p, logical, start);
		*skipping = false;
		*start = line;
		buf_append(logical, s, len);
		return;
	}
	if (*skipping)
		return;
	if (*start == 0) {
		parse_error(p, line, "continuation line without a setting before it");
		*skipping = true;
		return;
	}
	if (logical->len + 1 + len - lead > CFG_LOGICAL_MAX) {
		parse_error(p, *start, "setting is longer than %d bytes with its continuation lines",
			    CFG_LOGICAL_MAX);
		buf_reset(logical);
		*start = 0;
		*skipping = true;
		return;
	}
	buf_putc(logical, ' ');
	buf_append(logical, s + lead, len - lead);
}

int cfg_load_mem(const char *name, const char *data, size_t len, cfg_t **cfg_r, char **error_r)
{
	struct parser p = { name, cfg_new(name), BUF_INIT, 0, false };
	struct buf logical = BUF_INIT;
	unsigned start = 0, line = 0;
	bool skipping = false;
	size_t pos = 0;

	while (pos < len && !p.gave_up) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len, n = end - pos;
		if (n > 0 && data[end - 1] == '\r')
			n--;
		feed_line(&p, &logical, &start, &skipping, data + pos, n, ++line);
		pos = nl ? end + 1 : len;
	}
	flush_logical(&p, &logical, &start);
	buf_free(&logical);
	if (p.nerrors == 0)
		cross_checks(&p);
	if (p.nerrors > 0) {
		cfg_unref(&p.cfg);
		*error_r = buf_detach(&p.errors);
		*cfg_r = NULL;
		return -1;
	}
	*cfg_r = p.cfg;
	return 0;
}

int cfg_load(const char *path, cfg_t **cfg_r, char **error_r)
{
	struct buf data = BUF_INIT, msg = BUF_INIT;
	char chunk[8192];
	struct stat st;
	size_t n;
	FILE *f;

	*cfg_r = NULL;
	f = fopen(path, "r");
	if (f == NULL || fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
		buf_printf(&msg, "%s: %s", path, strerror(f == NULL ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno));
		if (f != NULL)
			fclose(f);
		*error_r = buf_detach(&msg);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && data.len <= CFG_FILE_MAX)
		buf_append(&data, chunk, n);
	if (ferror(f))
		buf_printf(&msg, "%s: %s", path, strerror(errno));
	else if (data.len > CFG_FILE_MAX)
		buf_printf(&msg, "%s: file is larger than %d bytes", path, CFG_FILE_MAX);
	fclose(f);
	if (msg.len > 0) {
		buf_free(&data);
		*error_r = buf_detach(&msg);
		return -1;
	}
	int rc = cfg_load_mem(path, buf_cstr(&data), data.len, cfg_r, error_r);
	buf_free(&data);
	return rc;
}

int cfg_load_default(const char *path_or_null, cfg_t **cfg_r, char **error_r)
{
	struct stat st;

	if (path_or_null != NULL)
		return cfg_load(path_or_null, cfg_r, error_r);
	if (stat(DEFAULT_CONFIG_FILE, &st) != 0 && errno == ENOENT) {
		log_notice("%s does not exist: using the embedded default configuration", DEFAULT_CONFIG_FILE);
		*cfg_r = cfg_defaults();
		return 0;
	}
	return cfg_load(DEFAULT_CONFIG_FILE, cfg_r, error_r);
}

/* ---- accessors --------------------------------------------------------- */

/* The value of id, after checking that the caller expects its type. */
static const struct cfg_value *get(const cfg_t *cfg, enum cfg_id id, enum cfg_type t1, enum cfg_type t2,
				   enum cfg_type t3)
{
	if ((unsigned)id >= CFG__COUNT ||
	    (cfg_table[id].type != t1 && cfg_table[id].type != t2 && cfg_table[id].type != t3)) {
		log_error("cfg: setting %d read as the wrong type (%d): programming error", (int)id, (int)t1);
		abort();
	}
	return &cfg->v[id];
}

#define GET1(cfg, id, t) get(cfg, id, t, t, t)

bool cfg_bool(const cfg_t *cfg, enum cfg_id id)
{
	return GET1(cfg, id, CFG_T_BOOL)->u.b;
}

long long cfg_int(const cfg_t *cfg, enum cfg_id id)
{
	return get(cfg, id, CFG_T_INT, CFG_T_SIZE, CFG_T_MODE)->u.i;
}

unsigned long long cfg_ms(const cfg_t *cfg, enum cfg_id id)
{
	return GET1(cfg, id, CFG_T_DURATION)->u.ms;
}

int cfg_enum(const cfg_t *cfg, enum cfg_id id)
{
	return GET1(cfg, id, CFG_T_ENUM)->u.e;
}

const char *cfg_str(const cfg_t *cfg, enum cfg_id id)
{
	const char *s = GET1(cfg, id, CFG_T_STRING)->u.s;

	if (id == CFG_MYHOSTNAME && s[0] == '\0')
		return cfg->hostname;
	return s;
}

const struct cfg_strlist *cfg_list(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_LIST)->u.list;
}

const struct cfg_netlist *cfg_netlist(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_NETLIST)->u.net;
}

const struct cfg_socket *cfg_socket(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_SOCKET)->u.sock;
}

const struct cfg_sitelist *cfg_sites(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_SITES)->u.sites;
}

const struct cfg_filelists *cfg_file_lists(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_FILE_LISTS)->u.files;
}

const struct cfg_hostports *cfg_hostports(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_HOSTPORTS)->u.hp;
}

const struct cfg_map *cfg_map(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_MAP)->u.map;
}

const struct cfg_codelist *cfg_codes(const cfg_t *cfg, enum cfg_id id)
{
	return &GET1(cfg, id, CFG_T_CODES)->u.codes;
}

bool cfg_netlist_match(const struct cfg_netlist *list, const addr_t *addr)
{
	for (size_t i = 0; i < list->n; i++) {
		if (addr_in_prefix(addr, &list->items[i].addr, list->items[i].plen))
			return true;
	}
	return false;
}

const char *cfg_map_get(const struct cfg_map *map, const char *key)
{
	/* A key written twice: the last one wins, like a setting. */
	for (size_t i = map->n; i-- > 0;) {
		if (strcmp(map->items[i].key, key) == 0)
			return map->items[i].value;
	}
	return NULL;
}

bool cfg_is_set(const cfg_t *cfg, enum cfg_id id)
{
	return (unsigned)id < CFG__COUNT && cfg->v[id].set;
}

bool cfg_has_redis(const cfg_t *cfg)
{
	return cfg->v[CFG_REDIS_SERVER].u.s[0] != '\0' || cfg->v[CFG_REDIS_SENTINELS].u.s[0] != '\0' ||
	       cfg->v[CFG_REDIS_CLUSTER_NODES].u.s[0] != '\0';
}

/* ---- formatting -------------------------------------------------------- */

static void format_list_item(enum cfg_type type, const struct cfg_value *v, size_t i, struct buf *out)
{
	switch (type) {
	case CFG_T_LIST:
		buf_puts(out, v->u.list.items[i]);
		break;
	case CFG_T_NETLIST:
		cfgval_format_net(&v->u.net.items[i], out);
		break;
	case CFG_T_SITES:
		site_format(&v->u.sites.items[i], out);
		break;
	case CFG_T_FILE_LISTS:
		cfgval_format_file_list(&v->u.files.items[i], out);
		break;
	case CFG_T_HOSTPORTS:
		cfgval_format_hostport(&v->u.hp.items[i], out);
		break;
	case CFG_T_MAP:
		buf_printf(out, "%s=%s", v->u.map.items[i].key, v->u.map.items[i].value);
		break;
	case CFG_T_CODES:
		cfgval_format_code(&v->u.codes.items[i], out);
		break;
	default:
		abort();
	}
}

/* Items in a list value: the n of whichever list type it is. */
static size_t list_len(enum cfg_type type, const struct cfg_value *v)
{
	switch (type) {
	case CFG_T_LIST: return v->u.list.n;
	case CFG_T_NETLIST: return v->u.net.n;
	case CFG_T_SITES: return v->u.sites.n;
	case CFG_T_FILE_LISTS: return v->u.files.n;
	case CFG_T_HOSTPORTS: return v->u.hp.n;
	case CFG_T_MAP: return v->u.map.n;
	case CFG_T_CODES: return v->u.codes.n;
	default: abort();
	}
}

void cfg_format_value(const cfg_t *cfg, enum cfg_id id, struct buf *out)
{
	const struct cfg_setting *s = &cfg_table[id];
	const struct cfg_value *v = &cfg->v[id];

	switch (s->type) {
	case CFG_T_BOOL:
		buf_puts(out, v->u.b ? "yes" : "no");
		break;
	case CFG_T_INT:
		buf_printf(out, "%lld", v->u.i);
		break;
	case CFG_T_SIZE:
		cfgval_format_size(v->u.i, out);
		break;
	case CFG_T_MODE:
		buf_printf(out, "0%03llo", v->u.i);
		break;
	case CFG_T_DURATION:
		cfgval_format_duration(v->u.ms, out);
		break;
	case CFG_T_STRING:
		buf_puts(out, s->secret && v->u.s[0] != '\0' ? "(hidden)" : cfg_str(cfg, id));
		break;
	case CFG_T_ENUM:
		buf_puts(out, s->choices[v->u.e]);
		break;
	case CFG_T_SOCKET:
		cfgval_format_socket(&v->u.sock, out);
		break;
	default:
		for (size_t i = 0, n = list_len(s->type, v); i < n; i++) {
			if (i > 0)
				buf_puts(out, ", ");
			format_list_item(s->type, v, i, out);
		}
		break;
	}
}
