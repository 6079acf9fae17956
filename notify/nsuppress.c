/*
 * nsuppress - the notify_suppress list.  See nsuppress.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cidrset.h"
#include "log.h"
#include "mailbox.h"
#include "mem.h"
#include "nsuppress.h"

/* A sorted set of lower-case strings. */
struct strset {
	char **v;
	size_t n, cap;
};

struct nsuppress {
	char *path;
	cidrset_t *nets;
	struct strset contacts, domains;
	size_t entries;
	/* what the file was when last read */
	bool seen;
	struct stat st;
	int last_errno;
};

static void strset_add(struct strset *s, const char *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strset_has(const struct strset *s, const char *v)
{
	return s->n > 0 && bsearch(&v, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

static void strset_clear(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

nsuppress_t *nsuppress_new(const char *path)
{
	nsuppress_t *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->nets = cidrset_new();
	return s;
}

static void clear(nsuppress_t *s)
{
	cidrset_free(&s->nets);
	s->nets = cidrset_new();
	strset_clear(&s->contacts);
	strset_clear(&s->domains);
	s->entries = 0;
}

void nsuppress_free(nsuppress_t **sp)
{
	nsuppress_t *s = *sp;

	if (s == NULL)
		return;
	clear(s);
	cidrset_free(&s->nets);
	free(s->path);
	free(s);
	*sp = NULL;
}

size_t nsuppress_count(const nsuppress_t *s)
{
	return s->entries;
}

static void lower_into(struct buf *out, const char *s)
{
	for (; *s; s++)
		buf_putc(out, (char)tolower((unsigned char)*s));
}

int nsuppress_parse(const char *text, enum nsuppress_kind *kind_r, struct buf *canon, const char **why_r)
{
	addr_t a;
	unsigned plen;
	char shown[ADDR_STRLEN];

	if (text[0] == '\0') {
		*why_r = "empty entry";
		return -1;
	}
	if (strchr(text, '@') != NULL) {
		enum mailbox_status st = mailbox_check(text);
		if (st != MAILBOX_OK) {
			*why_r = mailbox_status_text(st);
			return -1;
		}
		*kind_r = NSUPPRESS_CONTACT;
		lower_into(canon, text);
		return 0;
	}
	if (strchr(text, ':') != NULL || strchr(text, '/') != NULL ||
	    strspn(text, "0123456789.") == strlen(text)) {
		if (addr_prefix_parse(text, false, &a, &plen) != 0) {
			*why_r = "not a network (CIDR with no host bits set, or an address)";
			return -1;
		}
		*kind_r = NSUPPRESS_NETWORK;
		buf_printf(canon, "%s/%u", addr_format(&a, shown), plen);
		return 0;
	}
	/* a domain: valid when "x@domain" is a valid mailbox */
	struct buf probe = BUF_INIT;
	buf_printf(&probe, "x@%s", text);
	bool ok = mailbox_valid(buf_cstr(&probe));
	buf_free(&probe);
	if (!ok) {
		*why_r = "not a network, a contact (mailbox) or a domain";
		return -1;
	}
	*kind_r = NSUPPRESS_DOMAIN;
	lower_into(canon, text);
	return 0;
}

/* The entry of a line: blanks and comment cut off (line is modified). */
static char *line_entry(char *line)
{
	line[strcspn(line, "#")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(line);
	while (n > 0 && strchr(" \t\r\n", line[n - 1]) != NULL)
		line[--n] = '\0';
	return line;
}

static bool add_entry(nsuppress_t *s, const char *text, const char **why_r)
{
	enum nsuppress_kind kind;
	struct buf canon = BUF_INIT;
	addr_t a;
	unsigned plen;

	if (nsuppress_parse(text, &kind, &canon, why_r) != 0) {
		buf_free(&canon);
		return false;
	}
	if (kind == NSUPPRESS_NETWORK) {
		if (addr_prefix_parse(buf_cstr(&canon), false, &a, &plen) == 0)
			(void)cidrset_insert(s->nets, &a, plen, 1);
	} else {
		strset_add(kind == NSUPPRESS_CONTACT ? &s->contacts : &s->domains, buf_cstr(&canon));
	}
	s->entries++;
	buf_free(&canon);
	return true;
}

size_t nsuppress_load_text(nsuppress_t *s, const char *text, size_t len, const char *name)
{
	char line[NSUPPRESS_LINE_MAX + 1];
	size_t bad = 0, lineno = 0;
	const char *why;

	clear(s);
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		if (llen > NSUPPRESS_LINE_MAX || memchr(text + off, '\0', llen) != NULL) {
			log_warning("%s:%zu: line too long or not text, skipped", name, lineno);
			bad++;
		} else {
			memcpy(line, text + off, llen);
			line[llen] = '\0';
			char *e = line_entry(line);
			if (*e == '\0') {
				/* blank or comment */
			} else if (s->entries >= NSUPPRESS_ENTRIES_MAX) {
				log_warning("%s:%zu: more than %u entries, the rest is ignored", name, lineno,
					    NSUPPRESS_ENTRIES_MAX);
				bad++;
				break;
			} else if (!add_entry(s, e, &why)) {
				log_warning("%s:%zu: '%.*s' skipped: %s", name, lineno, 80, e, why);
				bad++;
			}
		}
		off += llen + (nl != NULL);
	}
	if (s->contacts.n > 1)
		qsort(s->contacts.v, s->contacts.n, sizeof(char *), cmp_str);
	if (s->domains.n > 1)
		qsort(s->domains.v, s->domains.n, sizeof(char *), cmp_str);
	return bad;
}

/* The whole file, or NULL with errno. */
static char *read_file(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "r");
	struct buf text = BUF_INIT;
	char chunk[8192];
	size_t got;

	if (fp == NULL)
		return NULL;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&text, chunk, got);
	int err = ferror(fp) ? errno : 0;
	fclose(fp);
	if (err != 0) {
		buf_free(&text);
		errno = err;
		return NULL;
	}
	*len_r = text.len;
	buf_putc(&text, '\0');
	return buf_detach(&text);
}

void nsuppress_refresh(nsuppress_t *s)
{
	struct stat st;
	size_t len = 0;

	if (s->path[0] == '\0')
		return;
	if (stat(s->path, &st) != 0) {
		if (s->last_errno != errno)
			log_warning("notify_suppress %s: %s (%zu entries kept)", s->path, strerror(errno), s->entries);
		s->last_errno = errno;
		return;
	}
	if (s->seen && st.st_size == s->st.st_size && st.st_mtim.tv_sec == s->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == s->st.st_mtim.tv_nsec && st.st_ino == s->st.st_ino)
		return;
	char *text = read_file(s->path, &len);
	if (text == NULL) {
		if (s->last_errno != errno)
			log_warning("notify_suppress %s: %s (%zu entries kept)", s->path, strerror(errno), s->entries);
		s->last_errno = errno;
		return;
	}
	s->last_errno = 0;
	s->seen = true;
	s->st = st;
	size_t bad = nsuppress_load_text(s, text, len, s->path);
	free(text);
	log_info("notify_suppress %s: %zu entries, %zu bad lines", s->path, s->entries, bad);
}

static bool domain_listed(const nsuppress_t *s, const char *contact, struct buf *entry)
{
	const char *at = strrchr(contact, '@');
	struct buf low = BUF_INIT;
	bool hit = false;

	if (at == NULL || s->domains.n == 0)
		return false;
	lower_into(&low, at + 1);
	for (const char *d = buf_cstr(&low); d != NULL && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
		if (strset_has(&s->domains, d)) {
			buf_puts(entry, d);
			hit = true;
			break;
		}
	}
	buf_free(&low);
	return hit;
}

static bool network_listed(const nsuppress_t *s, const struct net_agg *net, struct buf *entry)
{
	addr_t a, first = { 0 };
	unsigned plen = 0, first_plen = 0;
	uint32_t v;

	if (net->n_addrs == 0 || cidrset_count(s->nets) == 0)
		return false;
	for (size_t i = 0; i < net->n_addrs; i++) {
		if (addr_parse(net->addrs[i].addr, &a) != 0 || !cidrset_lookup(s->nets, &a, &v, &plen))
			return false;
		if (i == 0) {
			first = a;
			first_plen = plen;
		}
	}
	char text[ADDR_STRLEN];
	addr_mask(&first, first_plen);
	buf_printf(entry, "%s/%u", addr_format(&first, text), first_plen);
	return true;
}

bool nsuppress_match(const nsuppress_t *s, const struct net_agg *net, const char *contact, struct buf *entry)
{
	struct buf low = BUF_INIT;

	lower_into(&low, contact);
	bool hit = strset_has(&s->contacts, buf_cstr(&low));
	if (hit)
		buf_puts(entry, buf_cstr(&low));
	buf_free(&low);
	return hit || domain_listed(s, contact, entry) || network_listed(s, net, entry);
}

static int edit_fail(char **error_r, const char *path, const char *what)
{
	struct buf e = BUF_INIT;

	buf_printf(&e, "%s: %s: %s", path, what, strerror(errno));
	*error_r = buf_detach(&e);
	return -1;
}

/* Write text to path through a temporary file in the same folder, fsync, rename, fsync the folder. */
static int replace_file(const char *path, const struct buf *text, mode_t mode, char **error_r)
{
	struct buf tmp = BUF_INIT;
	int rc = -1;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = edit_fail(error_r, buf_cstr(&tmp), "cannot create");
		goto out;
	}
	bool ok = write(fd, text->data, text->len) == (ssize_t)text->len && fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		rc = edit_fail(error_r, buf_cstr(&tmp), "cannot write");
		unlink(buf_cstr(&tmp));
		goto out;
	}
	if (rename(buf_cstr(&tmp), path) != 0) {
		rc = edit_fail(error_r, path, "cannot replace");
		unlink(buf_cstr(&tmp));
		goto out;
	}
	char *dcopy = xstrdup(path);
	int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dcopy);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}

/* Does the entry of line (a copy is parsed) have the canonical form want? */
static bool line_is(const char *line, size_t len, const char *want)
{
	char copy[NSUPPRESS_LINE_MAX + 1];
	enum nsuppress_kind kind;
	struct buf canon = BUF_INIT;
	const char *why;

	if (len > NSUPPRESS_LINE_MAX)
		return false;
	memcpy(copy, line, len);
	copy[len] = '\0';
	char *e = line_entry(copy);
	bool same = *e != '\0' && nsuppress_parse(e, &kind, &canon, &why) == 0 && strcmp(buf_cstr(&canon), want) == 0;
	buf_free(&canon);
	return same;
}

int nsuppress_edit(const char *path, const char *entry, bool add, char **error_r)
{
	enum nsuppress_kind kind;
	struct buf want = BUF_INIT, out = BUF_INIT;
	const char *why;
	struct stat st;
	size_t len = 0;
	int rc = 1;
	bool found = false;

	if (nsuppress_parse(entry, &kind, &want, &why) != 0) {
		buf_printf(&out, "'%s' is not a valid entry: %s", entry, why);
		*error_r = buf_detach(&out);
		buf_free(&want);
		return -1;
	}
	char *text = read_file(path, &len);
	if (text == NULL && errno != ENOENT) {
		rc = edit_fail(error_r, path, "cannot read");
		goto out;
	}
	for (size_t off = 0; text != NULL && off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (text + off)) : len - off;
		if (line_is(text + off, llen, buf_cstr(&want))) {
			found = true;
			if (add)
				break;
		} else {
			buf_append(&out, text + off, llen);
			buf_putc(&out, '\n');
		}
		off += llen + (nl != NULL);
	}
	if (add == found)	/* already there, or not there to remove */
		goto out;
	if (add)
		buf_printf(&out, "%s\n", buf_cstr(&want));
	rc = replace_file(path, &out, stat(path, &st) == 0 ? st.st_mode & 07777 : 0644, error_r);
out:
	free(text);
	buf_free(&want);
	buf_free(&out);
	return rc;
}
