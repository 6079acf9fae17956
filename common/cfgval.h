/*
 * cfgval - typed value parsers and formatters for configuration values.
 *
 * Each cfgval_parse_*() reads one value (or one item of a list) from a
 * NUL-terminated string that has no surrounding white space, and either
 * fills *r and returns 0, or returns -1 and points *error_r at a static
 * sentence saying what was expected (for example "expected yes or no").
 * Ranges (min/max) are the caller's business: cfg checks them against its
 * table.  Other modules may reuse these parsers for their own input
 * (relayguard-ctl arguments, list files).
 *
 * The syntax of every type is described in relayguard.conf(5).
 *
 * The value structs are owned by whoever holds them; those with pointers
 * are released by the matching cfgval_free_*().  All functions are pure
 * and thread-safe.  The *_format() functions append to a caller's buffer.
 */
#ifndef RELAYGUARD_CFGVAL_H
#define RELAYGUARD_CFGVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "site.h"

/* Longest host name in a socket or host:port (DNS limit plus NUL room). */
#define CFGVAL_HOST_MAX 255
/* Longest unix socket path (sun_path is 108 bytes with its NUL). */
#define CFGVAL_PATH_MAX 107
/* Longest file list name. */
#define CFGVAL_LIST_NAME_MAX 63
/* Longest single list item we look at, in bytes. */
#define CFGVAL_ITEM_MAX 1024
/* Most items in one list value. */
#define CFG_ITEMS_MAX 4096
/* Bytes of a bad value quoted in a message. */
#define CFG_QUOTE_MAX 64

/* A list of words. */
struct cfg_strlist {
	size_t n;
	char **items;
};

/* Networks, strict CIDR (no host bits set). */
struct cfg_net {
	addr_t addr;
	unsigned plen;
};
struct cfg_netlist {
	size_t n;
	struct cfg_net *items;
};

/* A listening socket. */
enum cfg_socket_kind { CFG_SOCKET_INET, CFG_SOCKET_INET6, CFG_SOCKET_UNIX };
struct cfg_socket {
	enum cfg_socket_kind kind;
	char host[CFGVAL_HOST_MAX + 1];	/* INET/INET6: name or address; "0.0.0.0" / "::" = every address */
	unsigned port;			/* INET/INET6: 1..65535 */
	char path[CFGVAL_PATH_MAX + 1];	/* UNIX: absolute path */
};

struct cfg_sitelist {
	size_t n;
	struct site *items;
};

/* NAME:[FORMAT:]PATH[*weight] */
struct cfg_file_list {
	char name[CFGVAL_LIST_NAME_MAX + 1];
	char format[8];		/* a listfile format name ("ip4trie"...), "" = auto */
	char *path;
	int weight;
};
struct cfg_filelists {
	size_t n;
	struct cfg_file_list *items;
};

/* HOST[:PORT], [ADDR]:PORT */
struct cfg_hostport {
	char host[CFGVAL_HOST_MAX + 1];	/* name or address, IPv6 without brackets */
	unsigned port;
};
struct cfg_hostports {
	size_t n;
	struct cfg_hostport *items;
};

/* key=value pairs, in the order written; keys are unique. */
struct cfg_map_item {
	char *key;
	char *value;
};
struct cfg_map {
	size_t n;
	struct cfg_map_item *items;
};

/* Error-code filters: a bare filter for every zone or zone=filter. */
struct cfg_code {
	char zone[SITE_ZONE_MAX + 1];	/* "" = every zone */
	struct site_filter filter;
};
struct cfg_codelist {
	size_t n;
	struct cfg_code *items;
};

/*
 * List splitting: items are separated by commas and/or white space; empty
 * items are skipped.  Returns the next item's start and sets *len_r, or
 * NULL at the end; *cursor advances past the item.
 */
const char *cfgval_next_item(const char **cursor, size_t *len_r);

/*
 * Parse every item of a list with fn into a growing array of elem_size
 * elements (zeroed before fn fills each).  At most CFG_ITEMS_MAX items of at
 * most CFGVAL_ITEM_MAX bytes.  Returns 0, or -1 with *error_r and the bad
 * item in *bad_r with its length in *bad_len_r (inside text).  Either way *items_r and
 * *n_r hold the good elements parsed (caller frees them and the array); a
 * failed element owns no memory.
 */
typedef int cfgval_item_fn(const char *item, void *elem, const char **error_r);
int cfgval_parse_list(const char *text, size_t elem_size, cfgval_item_fn *fn, void **items_r, size_t *n_r,
		      const char **error_r, const char **bad_r, size_t *bad_len_r) __attribute__((warn_unused_result));
/* Item parsers for cfgval_parse_list; elem points at the type named. */
int cfgval_item_word(const char *item, void *elem, const char **error_r);	/* char *, allocated */
int cfgval_item_net(const char *item, void *elem, const char **error_r);	/* struct cfg_net */
int cfgval_item_site(const char *item, void *elem, const char **error_r);	/* struct site */
int cfgval_item_file_list(const char *item, void *elem, const char **error_r); /* struct cfg_file_list */
int cfgval_item_hostport(const char *item, void *elem, const char **error_r); /* struct cfg_hostport, port 53 */
int cfgval_item_map(const char *item, void *elem, const char **error_r);	/* struct cfg_map_item, allocated */
int cfgval_item_code(const char *item, void *elem, const char **error_r);	/* struct cfg_code */

/* Append len bytes of s in double quotes, controls, '"' and '\\' as \xNN,
 * cut at CFG_QUOTE_MAX bytes with "..." (for error messages). */
void cfgval_quote(struct buf *out, const char *s, size_t len);

/* yes/no, true/false, 1/0 (any case). */
int cfgval_parse_bool(const char *s, bool *r, const char **error_r) __attribute__((warn_unused_result));
/* A decimal integer with an optional sign. */
int cfgval_parse_int(const char *s, long long *r, const char **error_r) __attribute__((warn_unused_result));
/* A duration in ms: N[ms|s|m|h|d|w], bare N = seconds. */
int cfgval_parse_duration(const char *s, unsigned long long *ms_r, const char **error_r)
	__attribute__((warn_unused_result));
/* A size in bytes: N[k|m|g] (powers of 1024, either case), bare N = bytes. */
int cfgval_parse_size(const char *s, long long *r, const char **error_r) __attribute__((warn_unused_result));
/* An octal file mode ("0660"): 1 to 5 octal digits; the caller checks the range. */
int cfgval_parse_mode(const char *s, long long *r, const char **error_r) __attribute__((warn_unused_result));
/* inet:PORT[@HOST], inet6:PORT[@[ADDR]], unix:/PATH, local:/PATH. */
int cfgval_parse_socket(const char *s, struct cfg_socket *r, const char **error_r)
	__attribute__((warn_unused_result));
/* HOST[:PORT], [ADDR][:PORT], or a bare IPv6 address; port defaults to default_port. */
int cfgval_parse_hostport(const char *s, unsigned default_port, struct cfg_hostport *r,
			  const char **error_r) __attribute__((warn_unused_result));
/* ADDR or ADDR/LEN, host bits clear. */
int cfgval_parse_net(const char *s, struct cfg_net *r, const char **error_r) __attribute__((warn_unused_result));
/* NAME:[FORMAT:]PATH[*weight]; r->path is allocated (cfgval_free_file_list). */
int cfgval_parse_file_list(const char *s, struct cfg_file_list *r, const char **error_r)
	__attribute__((warn_unused_result));
void cfgval_free_file_list(struct cfg_file_list *r);
/* FILTER or ZONE=FILTER. */
int cfgval_parse_code(const char *s, struct cfg_code *r, const char **error_r) __attribute__((warn_unused_result));
/* A host name (letters, digits, '-', '.', '_') or address, at most CFGVAL_HOST_MAX. */
int cfgval_check_host(const char *s, const char **error_r) __attribute__((warn_unused_result));

/* Validators for string settings of a special form. */
int cfgval_check_dsn(const char *s, char cls, const char **error_r) __attribute__((warn_unused_result));
int cfgval_check_redis_server(const char *s, const char **error_r) __attribute__((warn_unused_result));
#define CFGVAL_REDIS_USER_MAX 128
int cfgval_check_redis_username(const char *s, const char **error_r) __attribute__((warn_unused_result));
int cfgval_check_transport(const char *s, const char **error_r) __attribute__((warn_unused_result));

/* Normalized text: "30s", "1d", "500ms", "0s"; "64k", "16m", "100". */
void cfgval_format_duration(unsigned long long ms, struct buf *out);
void cfgval_format_size(long long bytes, struct buf *out);
void cfgval_format_socket(const struct cfg_socket *s, struct buf *out);
void cfgval_format_hostport(const struct cfg_hostport *hp, struct buf *out);
/* "HOST:PORT,[V6]:PORT" (the resolver's server syntax); nothing for an empty list. */
void cfgval_format_hostports(const struct cfg_hostports *list, struct buf *out);
void cfgval_format_net(const struct cfg_net *net, struct buf *out);	/* always ADDR/LEN */
void cfgval_format_file_list(const struct cfg_file_list *fl, struct buf *out); /* *weight when not 1 */
void cfgval_format_code(const struct cfg_code *code, struct buf *out);

#endif
