/* cfgval - typed value parsers and formatters; see cfgval.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgval.h"
#include "listfile.h"
#include "mem.h"

/* The error texts; tests assert them word for word. */
#define E_BOOL "expected yes or no (also true/false, 1/0)"
#define E_INT "expected an integer"
#define E_DURATION "expected a duration: a number with unit ms, s, m, h, d or w (a bare number is seconds)"
#define E_SIZE "expected a size: a number with unit k, m or g (a bare number is bytes)"
#define E_MODE "expected an octal file mode such as 0660"
#define E_SOCKET "expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/PATH or local:/PATH"
#define E_PORT "port must be a number from 1 to 65535"
#define E_SOCK_PATH "socket path must be absolute and at most 107 bytes"
#define E_SOCK_INET "inet: takes an IPv4 address or a host name; use inet6:PORT@[ADDR] for IPv6"
#define E_SOCK_INET6 "inet6: takes an IPv6 address, as inet6:PORT@[ADDR]"
#define E_HOST "host must be a name (letters, digits, '-', '_', '.') or an address"
#define E_HOSTPORT "expected HOST[:PORT] or [IPV6-ADDRESS][:PORT]"
#define E_NET "expected an address or a network ADDR/LEN"
#define E_NET_HOSTBITS "network has host bits set beyond its prefix length"
#define E_FILELIST "expected NAME:[FORMAT:]PATH[*weight]"
#define E_FILELIST_FORMAT "list format must be auto, ip4set, ip4trie, ip6tset, ip6trie or cidr"
#define E_FILELIST_NAME "list name must be 1 to 63 letters, digits, '-', '_' or '.'"
#define E_FILELIST_PATH "list path must be absolute"
#define E_WEIGHT "weight must be an integer from -100000 to 100000"
#define E_CODE_WEIGHT "an error code filter takes no weight"
#define E_CODE_ZONE "expected FILTER or ZONE=FILTER"
#define E_DSN4 "expected an enhanced status code 4.X.Y"
#define E_DSN5 "expected an enhanced status code 5.X.Y"
#define E_REDIS "expected HOST:PORT, [IPV6-ADDRESS]:PORT or unix:/PATH"
#define E_REDIS_USER "expected a Redis user name without spaces or control characters, at most 128 bytes"
#define E_TRANSPORT "expected outbox:/DIR, sendmail:/PATH or smtp:HOST:PORT"

const char *cfgval_next_item(const char **cursor, size_t *len_r)
{
	const char *p = *cursor, *start;

	while (*p == ',' || *p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*cursor = p;
		return NULL;
	}
	start = p;
	while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
		p++;
	*len_r = (size_t)(p - start);
	*cursor = p;
	return start;
}

int cfgval_parse_bool(const char *s, bool *r, const char **error_r)
{
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*r = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	*error_r = E_BOOL;
	return -1;
}

int cfgval_parse_int(const char *s, long long *r, const char **error_r)
{
	const char *d = s + (*s == '-' || *s == '+');
	char *end;

	*error_r = E_INT;
	if (*d < '0' || *d > '9')
		return -1;
	errno = 0;
	*r = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Leading decimal digits of s as an unsigned value; -1 on none or overflow. */
static int parse_digits(const char **s, unsigned long long *v_r)
{
	const char *p = *s;
	unsigned long long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*s = p;
	*v_r = v;
	return 0;
}

/* n * mult, or -1 when it would pass limit. */
static int scale(unsigned long long n, unsigned long long mult, unsigned long long limit,
		 unsigned long long *r)
{
	if (n != 0 && mult > limit / n)
		return -1;
	*r = n * mult;
	return 0;
}

static const struct {
	const char *suffix;
	unsigned long long ms;
} duration_units[] = {
	{ "w", 604800000ULL }, { "d", 86400000ULL }, { "h", 3600000ULL },
	{ "m", 60000ULL },     { "s", 1000ULL },     { "ms", 1ULL },
};

int cfgval_parse_duration(const char *s, unsigned long long *ms_r, const char **error_r)
{
	unsigned long long n, mult = 1000;	/* bare number: seconds */

	*error_r = E_DURATION;
	if (parse_digits(&s, &n) != 0)
		return -1;
	if (*s != '\0') {
		mult = 0;
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			if (strcmp(s, duration_units[i].suffix) == 0)
				mult = duration_units[i].ms;
		}
		if (mult == 0)
			return -1;
	}
	return scale(n, mult, ULLONG_MAX, ms_r);
}

void cfgval_format_duration(unsigned long long ms, struct buf *out)
{
	if (ms == 0) {
		buf_puts(out, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (ms % duration_units[i].ms == 0) {
			buf_printf(out, "%llu%s", ms / duration_units[i].ms, duration_units[i].suffix);
			return;
		}
	}
}

static const struct {
	char suffix;
	long long bytes;
} size_units[] = { { 'g', 1LL << 30 }, { 'm', 1LL << 20 }, { 'k', 1LL << 10 } };

int cfgval_parse_size(const char *s, long long *r, const char **error_r)
{
	unsigned long long n, mult = 1, v;

	*error_r = E_SIZE;
	if (parse_digits(&s, &n) != 0)
		return -1;
	if (*s != '\0') {
		mult = 0;
		for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
			if (s[1] == '\0' && tolower((unsigned char)s[0]) == size_units[i].suffix)
				mult = (unsigned long long)size_units[i].bytes;
		}
		if (mult == 0)
			return -1;
	}
	if (scale(n, mult, LLONG_MAX, &v) != 0)
		return -1;
	*r = (long long)v;
	return 0;
}

void cfgval_format_size(long long bytes, struct buf *out)
{
	for (size_t i = 0; bytes != 0 && i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (bytes % size_units[i].bytes == 0) {
			buf_printf(out, "%lld%c", bytes / size_units[i].bytes, size_units[i].suffix);
			return;
		}
	}
	buf_printf(out, "%lld", bytes);
}

int cfgval_parse_mode(const char *s, long long *r, const char **error_r)
{
	size_t n = strlen(s);
	long long v = 0;

	*error_r = E_MODE;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (s[i] - '0');
	}
	*r = v;
	return 0;
}

int cfgval_check_host(const char *s, const char **error_r)
{
	size_t n = strlen(s);
	addr_t a;

	*error_r = E_HOST;
	if (n == 0 || n > CFGVAL_HOST_MAX)
		return -1;
	if (strchr(s, ':') != NULL)
		return addr_parse(s, &a);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return -1;
	}
	return 0;
}

/* A port 1..65535 in decimal, no leading zero. */
static int parse_port(const char *s, unsigned *port_r, const char **error_r)
{
	unsigned long long v;
	const char *p = s;

	*error_r = E_PORT;
	if (*s == '0' || parse_digits(&p, &v) != 0 || *p != '\0' || v < 1 || v > 65535)
		return -1;
	*port_r = (unsigned)v;
	return 0;
}

/* Copy an IPv6 literal, bracketed or not, after checking it. */
static int copy_v6(const char *s, char *out, size_t outsz)
{
	size_t n = strlen(s);
	addr_t a;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= outsz || memchr(s, ':', n) == NULL || addr_parse_n(s, n, &a) != 0)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int parse_path(const char *s, char *out, const char **error_r)
{
	*error_r = E_SOCK_PATH;
	return s[0] != '/' || str_copy(out, s, CFGVAL_PATH_MAX + 1) != 0 ? -1 : 0;
}

/* PORT[@HOST] after "inet:" or "inet6:". */
static int parse_inet(const char *s, struct cfg_socket *r, const char **error_r)
{
	char port[8];
	const char *at = strchr(s, '@');
	size_t plen = at ? (size_t)(at - s) : strlen(s);

	*error_r = E_PORT;
	if (plen >= sizeof(port))
		return -1;
	memcpy(port, s, plen);
	port[plen] = '\0';
	if (parse_port(port, &r->port, error_r) != 0)
		return -1;
	if (r->kind == CFG_SOCKET_INET6) {
		*error_r = E_SOCK_INET6;
		if (at == NULL)
			return str_copy(r->host, "::", sizeof(r->host));
		return copy_v6(at + 1, r->host, sizeof(r->host));
	}
	if (at == NULL)
		return str_copy(r->host, "0.0.0.0", sizeof(r->host));
	if (strchr(at + 1, ':') != NULL || at[1] == '[') {
		*error_r = E_SOCK_INET;
		return -1;
	}
	if (cfgval_check_host(at + 1, error_r) != 0)
		return -1;
	return str_copy(r->host, at + 1, sizeof(r->host));
}

int cfgval_parse_socket(const char *s, struct cfg_socket *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
		r->kind = CFG_SOCKET_UNIX;
		return parse_path(strchr(s, ':') + 1, r->path, error_r);
	}
	if (strncmp(s, "inet:", 5) == 0) {
		r->kind = CFG_SOCKET_INET;
		return parse_inet(s + 5, r, error_r);
	}
	if (strncmp(s, "inet6:", 6) == 0) {
		r->kind = CFG_SOCKET_INET6;
		return parse_inet(s + 6, r, error_r);
	}
	*error_r = E_SOCKET;
	return -1;
}

void cfgval_format_socket(const struct cfg_socket *s, struct buf *out)
{
	switch (s->kind) {
	case CFG_SOCKET_INET:
		buf_printf(out, "inet:%u@%s", s->port, s->host);
		break;
	case CFG_SOCKET_INET6:
		buf_printf(out, "inet6:%u@[%s]", s->port, s->host);
		break;
	case CFG_SOCKET_UNIX:
		buf_printf(out, "unix:%s", s->path);
		break;
	}
}

int cfgval_parse_hostport(const char *s, unsigned default_port, struct cfg_hostport *r,
			  const char **error_r)
{
	char host[CFGVAL_HOST_MAX + 3];
	const char *colon;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->port = default_port;
	*error_r = E_HOSTPORT;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		colon = close[1] == ':' ? close + 1 : NULL;
		n = (size_t)(close + 1 - s);
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address: no port */
		n = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (colon != NULL && parse_port(colon + 1, &r->port, error_r) != 0)
		return -1;
	if (strchr(host, ':') != NULL) {
		*error_r = E_HOSTPORT;
		return copy_v6(host, r->host, sizeof(r->host));
	}
	*error_r = E_HOSTPORT;
	if (host[0] == '[' || cfgval_check_host(host, error_r) != 0)
		return -1;
	return str_copy(r->host, host, sizeof(r->host));
}

void cfgval_format_hostport(const struct cfg_hostport *hp, struct buf *out)
{
	if (strchr(hp->host, ':') != NULL)
		buf_printf(out, "[%s]:%u", hp->host, hp->port);
	else
		buf_printf(out, "%s:%u", hp->host, hp->port);
}

void cfgval_format_hostports(const struct cfg_hostports *list, struct buf *out)
{
	for (size_t i = 0; i < list->n; i++) {
		if (i > 0)
			buf_putc(out, ',');
		cfgval_format_hostport(&list->items[i], out);
	}
}

int cfgval_parse_net(const char *s, struct cfg_net *r, const char **error_r)
{
	if (addr_prefix_parse(s, false, &r->addr, &r->plen) == 0)
		return 0;
	/* Tell "10.1.0.0/8" (a likely typo of a real network) from garbage. */
	*error_r = addr_prefix_parse(s, true, &r->addr, &r->plen) == 0 ? E_NET_HOSTBITS : E_NET;
	return -1;
}

/* "*weight" at the end of s, if any: sets *weight_r and returns where it starts. */
static const char *split_weight(const char *s, int *weight_r, const char **error_r, bool *bad_r)
{
	const char *star = strrchr(s, '*');
	struct site tmp;
	char spec[16];

	*weight_r = 1;
	*bad_r = false;
	if (star == NULL)
		return s + strlen(s);
	/* Reuse the site parser's weight rules through a throwaway site. */
	if (strlen(star) > sizeof(spec) - 2) {
		*error_r = E_WEIGHT;
		*bad_r = true;
		return star;
	}
	spec[0] = 'x';
	memcpy(spec + 1, star, strlen(star) + 1);
	if (site_parse(spec, &tmp, error_r) != 0)
		*bad_r = true;
	*weight_r = tmp.weight;
	return star;
}

int cfgval_parse_file_list(const char *s, struct cfg_file_list *r, const char **error_r)
{
	const char *colon = strchr(s, ':'), *end;
	bool bad;
	size_t n;

	memset(r, 0, sizeof(*r));
	*error_r = E_FILELIST;
	if (colon == NULL)
		return -1;
	n = (size_t)(colon - s);
	*error_r = E_FILELIST_NAME;
	if (n == 0 || n > CFGVAL_LIST_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return -1;
	}
	memcpy(r->name, s, n);
	if (colon[1] != '/' && strchr(colon + 1, ':') != NULL) {
		/* NAME:FORMAT:/PATH: the rbldnsd dataset type the file is. */
		const char *fmt = colon + 1, *c2 = strchr(fmt, ':');
		enum listfile_format f;
		char tmp[sizeof(r->format)];
		*error_r = E_FILELIST_FORMAT;
		if ((size_t)(c2 - fmt) >= sizeof(tmp))
			return -1;
		memcpy(tmp, fmt, (size_t)(c2 - fmt));
		tmp[c2 - fmt] = '\0';
		if (listfile_format_parse(tmp, &f) != 0)
			return -1;
		memcpy(r->format, tmp, sizeof(tmp));
		colon = c2;
	}
	end = split_weight(colon + 1, &r->weight, error_r, &bad);
	if (bad)
		return -1;
	*error_r = E_FILELIST_PATH;
	if (colon[1] != '/')
		return -1;
	r->path = xstrndup(colon + 1, (size_t)(end - colon - 1));
	return 0;
}

void cfgval_free_file_list(struct cfg_file_list *r)
{
	free(r->path);
	r->path = NULL;
}

int cfgval_parse_code(const char *s, struct cfg_code *r, const char **error_r)
{
	struct site site;

	memset(r, 0, sizeof(*r));
	if (strchr(s, '*') != NULL) {
		*error_r = E_CODE_WEIGHT;
		return -1;
	}
	if (strchr(s, '=') == NULL)
		return site_filter_parse(s, &r->filter, error_r);
	if (s[0] == '=') {
		*error_r = E_CODE_ZONE;
		return -1;
	}
	if (site_parse(s, &site, error_r) != 0)
		return -1;
	memcpy(r->zone, site.zone, sizeof(r->zone));
	r->filter = site.filter;
	return 0;
}

int cfgval_check_dsn(const char *s, char cls, const char **error_r)
{
	const char *p = s + 2;
	unsigned long long v;

	*error_r = cls == '4' ? E_DSN4 : E_DSN5;
	if (s[0] != cls || s[1] != '.')
		return -1;
	/* RFC 3463: subject up to 3 digits, detail up to 3 digits. */
	if (parse_digits(&p, &v) != 0 || p - s > 5 || *p != '.')
		return -1;
	const char *d = ++p;
	if (parse_digits(&p, &v) != 0 || p - d > 3 || *p != '\0')
		return -1;
	return 0;
}

int cfgval_check_redis_server(const char *s, const char **error_r)
{
	struct cfg_hostport hp;
	char path[CFGVAL_PATH_MAX + 1];

	if (s[0] == '\0')
		return 0;	/* no Redis */
	if (strncmp(s, "unix:", 5) == 0)
		return parse_path(s + 5, path, error_r);
	if (cfgval_parse_hostport(s, 0, &hp, error_r) != 0)
		return -1;
	*error_r = E_REDIS;
	return hp.port == 0 ? -1 : 0;
}

/* Redis refuses user names with spaces (ACL SETUSER); a control byte
 * would be a typo that can only fail at AUTH, so say it here. */
int cfgval_check_redis_username(const char *s, const char **error_r)
{
	size_t n = 0;

	*error_r = E_REDIS_USER;
	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return -1;
	return n <= CFGVAL_REDIS_USER_MAX ? 0 : -1;
}

int cfgval_check_transport(const char *s, const char **error_r)
{
	struct cfg_hostport hp;

	*error_r = E_TRANSPORT;
	if (strncmp(s, "outbox:", 7) == 0)
		return s[7] == '/' ? 0 : -1;
	if (strncmp(s, "sendmail:", 9) == 0)
		return s[9] == '/' ? 0 : -1;
	if (strncmp(s, "smtp:", 5) == 0) {
		if (cfgval_parse_hostport(s + 5, 0, &hp, error_r) != 0)
			return -1;
		*error_r = E_TRANSPORT;
		return hp.port == 0 ? -1 : 0;
	}
	return -1;
}

void cfgval_quote(struct buf *out, const char *s, size_t len)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < len && i < CFG_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			buf_printf(out, "\\x%02x", c);
		else
			buf_putc(out, (char)c);
	}
	if (len > CFG_QUOTE_MAX)
		buf_puts(out, "...");
	buf_putc(out, '"');
}

int cfgval_parse_list(const char *text, size_t elem_size, cfgval_item_fn *fn, void **items_r, size_t *n_r,
		      const char **error_r, const char **bad_r, size_t *bad_len_r)
{
	const char *cursor = text, *item;
	size_t len;

	*items_r = NULL;
	*n_r = 0;
	while ((item = cfgval_next_item(&cursor, &len)) != NULL) {
		*bad_r = item;
		*bad_len_r = len;
		if (len > CFGVAL_ITEM_MAX) {
			*error_r = "item is longer than 1024 bytes";
			return -1;
		}
		if (*n_r >= CFG_ITEMS_MAX) {
			*error_r = "more than 4096 items";
			return -1;
		}
		*items_r = xreallocarray(*items_r, *n_r + 1, elem_size);
		void *elem = (char *)*items_r + *n_r * elem_size;
		memset(elem, 0, elem_size);
		char *copy = xstrndup(item, len);
		int rc = fn(copy, elem, error_r);
		free(copy);
		if (rc != 0)
			return -1;
		(*n_r)++;
	}
	return 0;
}

int cfgval_item_word(const char *item, void *elem, const char **error_r)
{
	*(char **)elem = xstrdup(item);
	return 0;
}

int cfgval_item_net(const char *item, void *elem, const char **error_r)
{
	return cfgval_parse_net(item, elem, error_r);
}

int cfgval_item_site(const char *item, void *elem, const char **error_r)
{
	return site_parse(item, elem, error_r);
}

int cfgval_item_file_list(const char *item, void *elem, const char **error_r)
{
	return cfgval_parse_file_list(item, elem, error_r);
}

int cfgval_item_hostport(const char *item, void *elem, const char **error_r)
{
	return cfgval_parse_hostport(item, 53, elem, error_r);
}

int cfgval_item_code(const char *item, void *elem, const char **error_r)
{
	return cfgval_parse_code(item, elem, error_r);
}

int cfgval_item_map(const char *item, void *elem, const char **error_r)
{
	struct cfg_map_item *m = elem;
	const char *eq = strchr(item, '=');

	if (eq == NULL || eq == item || eq[1] == '\0') {
		*error_r = "expected KEY=VALUE";
		return -1;
	}
	m->key = xstrndup(item, (size_t)(eq - item));
	m->value = xstrdup(eq + 1);
	return 0;
}

void cfgval_format_net(const struct cfg_net *net, struct buf *out)
{
	char a[ADDR_STRLEN];

	buf_printf(out, "%s/%u", addr_format(&net->addr, a), net->plen);
}

void cfgval_format_file_list(const struct cfg_file_list *fl, struct buf *out)
{
	buf_printf(out, "%s:%s%s%s", fl->name, fl->format, fl->format[0] != '\0' ? ":" : "",
		   fl->path);
	if (fl->weight != 1)
		buf_printf(out, "*%d", fl->weight);
}

void cfgval_format_code(const struct cfg_code *code, struct buf *out)
{
	if (code->zone[0] != '\0')
		buf_printf(out, "%s=", code->zone);
	site_filter_format(&code->filter, out);
}
