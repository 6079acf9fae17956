/*
 * spf_lib - the libspf2 side of the spf module: server list, a synchronous
 * c-ares driver, the libspf2 DNS layer, the log hooks and one evaluation.
 * Contract in spf_int.h (and spf.h for the behaviour).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "mem.h"
#include "spf_int.h"

#include <ares.h>
#include <poll.h>
#include <pthread.h>

#include <spf2/spf.h>

/* Same limits as resolver.h's server lists. */
#define SPF_SERVERS_MAX_LEN 1024u
#define SPF_SERVERS_MAX 16u
/* Records taken from one answer; more are ignored. */
#define SPF_ANSWER_RR_MAX 64
/* c-ares tries per lookup; the per-try timeout is timeout_ms / tries. */
#define SPF_ARES_TRIES 2

/* Our default explanation for fail (instead of libspf2's dead URL). */
/* Spaces as "%_": libspf2 1.2.10 stops expanding macros after a literal space. */
#define SPF_DEFAULT_EXPLANATION "%{o}%_does%_not%_designate%_%{i}%_as%_a%_permitted%_sender"
/* RFC 7208 4.6.4: DNS-querying terms per check (include/redirect too). */
#define SPF_MAX_TERMS 10u

struct spf_lib {
	ares_channel channel;
	unsigned timeout_ms;
	SPF_dns_server_t layer;	/* our DNS layer, hook = this */
	SPF_server_t *server;
	/* sockets c-ares wants watched (ARES_OPT_SOCK_STATE_CB) */
	struct pollfd *socks;
	size_t n_socks, cap_socks;
	/* per-check state, reset by spf_lib_check() */
	unsigned txt_queries;	/* TXT lookups (record, include, redirect, exp) */
	unsigned terms;		/* other lookups that are terms, not mx/ptr targets */
	bool limit_hit;		/* more terms than RFC 7208 4.6.4 allows */
	bool temp_failure;	/* some lookup failed temporarily */
	struct buf derived;	/* "\n"-joined mx/ptr target names of this check */
};

/* One lookup in flight: filled by the c-ares callback. */
struct lookup {
	bool done;
	int status;
	unsigned char *abuf;
	int alen;
};

/* ---- server list ------------------------------------------------------ */

static bool all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return n > 0;
}

static bool port_ok(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || !all_of(s, n, "0123456789"))
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return v >= 1 && v <= 65535;
}

/* One item: "v4", "v4:port", "v6", "[v6]", "[v6]:port"; appended in the
 * form c-ares 1.18 takes ("[v6]" without a port becomes a bare "v6"). */
static const char *server_item(const char *s, size_t n, struct buf *out)
{
	static const char v6chars[] = "0123456789abcdefABCDEF:.";
	const char *colon = memchr(s, ':', n);
	addr_t a;

	if (s[0] == '[') {
		const char *end = memchr(s, ']', n);
		size_t alen = end ? (size_t)(end - s - 1) : 0;
		if (end == NULL || !all_of(s + 1, alen, v6chars) || addr_parse_n(s + 1, alen, &a) != 0 ||
		    memchr(s + 1, ':', alen) == NULL)
			return "bracketed server must be [IPv6] or [IPv6]:PORT";
		size_t rest = n - alen - 2;
		if (rest > 0 && (end[1] != ':' || !port_ok(end + 2, rest - 1)))
			return "port must be a number 1..65535";
		buf_append(out, rest == 0 ? s + 1 : s, rest == 0 ? alen : n);
		return NULL;
	}
	if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL) {
		if (!all_of(s, n, v6chars) || addr_parse_n(s, n, &a) != 0)
			return "server is not an IPv6 address (use [IPv6]:PORT for a port)";
		buf_append(out, s, n);
		return NULL;
	}
	size_t hlen = colon ? (size_t)(colon - s) : n;
	if (!all_of(s, hlen, "0123456789.") || addr_parse_n(s, hlen, &a) != 0)
		return "server must be an IPv4 or IPv6 address (no host names)";
	if (colon != NULL && !port_ok(colon + 1, n - hlen - 1))
		return "port must be a number 1..65535";
	buf_append(out, s, n);
	return NULL;
}

/* Validate servers and write the c-ares CSV form into out. */
static int parse_servers(const char *servers, struct buf *out, char **error_r)
{
	const char *p = servers, *why = NULL;
	size_t count = 0;

	if (strlen(servers) > SPF_SERVERS_MAX_LEN)
		why = "list too long";
	while (why == NULL && *p != '\0') {
		size_t n = strcspn(p, ",");
		const char *item = p;
		size_t len = n;
		while (len > 0 && (*item == ' ' || *item == '\t'))
			item++, len--;
		while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			len--;
		if (len == 0)
			why = "empty item";
		else if (++count > SPF_SERVERS_MAX)
			why = "too many servers";
		else {
			if (out->len > 0)
				buf_putc(out, ',');
			why = server_item(item, len, out);
		}
		p += n;
		if (why == NULL && *p == ',' && *++p == '\0')
			why = "ends with a comma";
	}
	if (why == NULL)
		return 0;
	struct buf msg = BUF_INIT;
	buf_printf(&msg, "spf dns server list \"%s\": %s", servers, why);
	*error_r = buf_detach(&msg);
	return -1;
}

/* ---- synchronous c-ares ----------------------------------------------- */

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct spf_lib *spf = data;
	size_t i;

	for (i = 0; i < spf->n_socks && spf->socks[i].fd != fd; i++)
		;
	if (!readable && !writable) {
		if (i < spf->n_socks)
			spf->socks[i] = spf->socks[--spf->n_socks];
		return;
	}
	if (i == spf->n_socks) {
		if (spf->n_socks == spf->cap_socks) {
			spf->cap_socks = spf->cap_socks ? spf->cap_socks * 2 : 4;
			spf->socks = xreallocarray(spf->socks, spf->cap_socks, sizeof(*spf->socks));
		}
		spf->n_socks++;
		spf->socks[i].fd = fd;
	}
	spf->socks[i].events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
}

static void query_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup *lk = arg;

	(void)timeouts;
	lk->done = true;
	lk->status = status;
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0) {
		lk->abuf = xmalloc((size_t)alen);
		memcpy(lk->abuf, abuf, (size_t)alen);
		lk->alen = alen;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run one query to completion or until timeout_ms have passed, whichever
 * comes first; at the deadline the query is cancelled (ARES_ECANCELLED).
 */
static void run_query(struct spf_lib *spf, const char *name, int type, struct lookup *lk)
{
	int64_t deadline = now_ms() + spf->timeout_ms;

	ares_query(spf->channel, name, ns_c_in, type, query_done, lk);
	while (!lk->done) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			ares_cancel(spf->channel);
			break;
		}
		struct timeval max = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 }, tv;
		struct timeval *t = ares_timeout(spf->channel, &max, &tv);
		int wait = (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
		size_t n = spf->n_socks;
		struct pollfd pfd[n > 0 ? n : 1];
		memcpy(pfd, spf->socks, n * sizeof(*pfd));
		int rc = poll(pfd, n, wait);
		if (rc < 0 && errno != EINTR) {
			log_warning("spf: poll: %s", strerror(errno));
			ares_cancel(spf->channel);
			break;
		}
		if (rc <= 0) {
			ares_process_fd(spf->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			bool rd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
			bool wr = (pfd[i].revents & POLLOUT) != 0;
			ares_process_fd(spf->channel, rd ? pfd[i].fd : ARES_SOCKET_BAD,
					wr ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
	if (!lk->done) {	/* cannot happen: ares_cancel() calls back */
		lk->done = true;
		lk->status = ARES_ECANCELLED;
	}
}

/* ---- the libspf2 DNS layer -------------------------------------------- */

/*
 * libspf2 dereferences whatever its DNS layer returns, so there is no answer
 * to give it without one: a failed allocation here is out of memory, which
 * ends the process as every allocation in relayguard does (mem.h).
 */
static SPF_dns_rr_t *rr_new(SPF_dns_server_t *layer, const char *domain, ns_type type, int ttl,
			    SPF_dns_stat_t herrno)
{
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(layer, domain, type, ttl, herrno);

	if (rr == NULL)
		log_fatal("spf: out of memory");
	return rr;
}

/* Append one record of len bytes (for strings: len includes the NUL).  A
 * record libspf2 cannot store is left out of the answer, not fatal. */
static void rr_add(SPF_dns_rr_t *rr, const void *data, size_t len)
{
	if (rr->num_rr >= SPF_ANSWER_RR_MAX)
		return;
	if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, len) != SPF_E_SUCCESS) {
		log_warning("spf: %s: a record of %zu bytes left out of the answer (no memory)",
			    rr->domain != NULL ? rr->domain : "?", len);
		return;
	}
	memcpy(rr->rr[rr->num_rr], data, len);
	rr->num_rr++;
}

static bool is_derived(const struct spf_lib *spf, const char *name)
{
	const char *p = buf_cstr(&spf->derived);
	size_t n = strlen(name);

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == '\n');
	}
	return false;
}

static void add_derived(struct spf_lib *spf, const char *name)
{
	/* bounded: at most SPF_ANSWER_RR_MAX names per answer, 10 answers */
	buf_puts(&spf->derived, name);
	buf_putc(&spf->derived, '\n');
}

/*
 * Count a lookup against RFC 7208 4.6.4.  TXT lookups are the record, each
 * include/redirect, and exp; A/AAAA/MX/PTR lookups are terms unless they
 * resolve an mx or ptr target.  Returns false once the limit is passed.
 */
static bool count_term(struct spf_lib *spf, const char *domain, ns_type type)
{
	if (type == ns_t_txt)
		spf->txt_queries++;
	else if ((type == ns_t_a || type == ns_t_aaaa) && is_derived(spf, domain))
		return true;
	else if (type != ns_t_ptr || !is_derived(spf, domain))
		spf->terms++;
	/* the first TXT is the record itself; an exp= TXT is counted too,
	 * but map_result() forgives it (see there) */
	unsigned txt_terms = spf->txt_queries > 1 ? spf->txt_queries - 1 : 0;
	if (spf->terms + txt_terms > SPF_MAX_TERMS)
		spf->limit_hit = true;
	return !spf->limit_hit;
}

/*
 * Hand libspf2 one TXT record.  Records that are not SPF records may be an
 * exp= explanation: libspf2 1.2.10 stops expanding macros after the first
 * literal space of one, so spaces go in as the "%_" macro, which expands
 * back to a space (RFC 7208 7.2).
 */
static void rr_add_txt(SPF_dns_rr_t *rr, struct buf *one)
{
	static const char spf_prefix[] = "v=spf1 ";
	struct buf b = BUF_INIT;
	const char *text = buf_cstr(one);

	if (one->len < sizeof(spf_prefix) - 1 ||
	    strncasecmp(text, spf_prefix, sizeof(spf_prefix) - 1) != 0) {
		for (size_t i = 0; i < one->len; i++)
			buf_puts(&b, text[i] == ' ' ? "%_" : (char[2]){ text[i], '\0' });
		text = buf_cstr(&b);
	}
	rr_add(rr, text, strlen(text) + 1);
	buf_free(&b);
	buf_reset(one);
}

static void fill_txt(SPF_dns_rr_t *rr, const struct lookup *lk, int *status)
{
	struct ares_txt_ext *txt = NULL;
	struct buf one = BUF_INIT;

	*status = ares_parse_txt_reply_ext(lk->abuf, lk->alen, &txt);
	for (struct ares_txt_ext *t = txt; *status == ARES_SUCCESS && t != NULL; t = t->next) {
		if (t->record_start && t != txt)
			rr_add_txt(rr, &one);
		/* an embedded NUL would cut the record short in libspf2: a space */
		for (size_t i = 0; i < t->length; i++)
			buf_putc(&one, t->txt[i] == '\0' ? ' ' : (char)t->txt[i]);
	}
	if (*status == ARES_SUCCESS && txt != NULL)
		rr_add_txt(rr, &one);
	buf_free(&one);
	if (txt != NULL)
		ares_free_data(txt);
}

static void fill_addr(SPF_dns_rr_t *rr, const struct lookup *lk, int *status)
{
	int n = SPF_ANSWER_RR_MAX;

	if (rr->rr_type == ns_t_a) {
		struct ares_addrttl a[SPF_ANSWER_RR_MAX];
		*status = ares_parse_a_reply(lk->abuf, lk->alen, NULL, a, &n);
		for (int i = 0; *status == ARES_SUCCESS && i < n; i++)
			rr_add(rr, &a[i].ipaddr, sizeof(a[i].ipaddr));
	} else {
		struct ares_addr6ttl a[SPF_ANSWER_RR_MAX];
		*status = ares_parse_aaaa_reply(lk->abuf, lk->alen, NULL, a, &n);
		for (int i = 0; *status == ARES_SUCCESS && i < n; i++)
			rr_add(rr, &a[i].ip6addr, sizeof(a[i].ip6addr));
	}
}

static void fill_names(struct spf_lib *spf, SPF_dns_rr_t *rr, const struct lookup *lk, int *status)
{
	if (rr->rr_type == ns_t_mx) {
		struct ares_mx_reply *mx = NULL;
		*status = ares_parse_mx_reply(lk->abuf, lk->alen, &mx);
		for (struct ares_mx_reply *m = mx; *status == ARES_SUCCESS && m != NULL; m = m->next) {
			rr_add(rr, m->host, strlen(m->host) + 1);
			add_derived(spf, m->host);
		}
		if (mx != NULL)
			ares_free_data(mx);
		return;
	}
	/* PTR: c-ares puts every name of the answer into h_aliases */
	struct hostent *he = NULL;
	unsigned char dummy[16] = { 0 };
	*status = ares_parse_ptr_reply(lk->abuf, lk->alen, dummy, sizeof(dummy), AF_INET6, &he);
	if (*status != ARES_SUCCESS || he == NULL)
		return;
	if (he->h_aliases != NULL && he->h_aliases[0] != NULL) {
		for (char **p = he->h_aliases; *p != NULL; p++) {
			rr_add(rr, *p, strlen(*p) + 1);
			add_derived(spf, *p);
		}
	} else if (he->h_name != NULL) {
		rr_add(rr, he->h_name, strlen(he->h_name) + 1);
		add_derived(spf, he->h_name);
	}
	ares_free_hostent(he);
}

/* The lookup function of our layer: never NULL, herrno as libspf2 wants. */
static SPF_dns_rr_t *layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
				  int should_cache)
{
	struct spf_lib *spf = layer->hook;
	struct lookup lk = { false, 0, NULL, 0 };
	int status;

	(void)should_cache;
	if (type != ns_t_txt && type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx &&
	    type != ns_t_ptr)
		return rr_new(layer, domain, type, 0, NO_DATA);	/* type 99 among them */
	if (!count_term(spf, domain, type)) {
		log_debug("spf: lookup limit passed at %s", domain);
		return rr_new(layer, domain, type, 0, TRY_AGAIN);	/* stops the evaluation */
	}
	run_query(spf, domain, (int)type, &lk);
	SPF_dns_rr_t *rr = rr_new(layer, domain, type, 0, NETDB_SUCCESS);
	status = lk.status;
	if (status == ARES_SUCCESS) {
		if (type == ns_t_txt)
			fill_txt(rr, &lk, &status);
		else if (type == ns_t_a || type == ns_t_aaaa)
			fill_addr(rr, &lk, &status);
		else
			fill_names(spf, rr, &lk, &status);
		if (status == ARES_SUCCESS && rr->num_rr == 0)
			status = ARES_ENODATA;
	}
	free(lk.abuf);
	if (status == ARES_SUCCESS)
		return rr;
	rr->num_rr = 0;
	if (status == ARES_ENODATA)
		rr->herrno = NO_DATA;
	else if (status == ARES_ENOTFOUND)
		rr->herrno = HOST_NOT_FOUND;
	else {
		rr->herrno = TRY_AGAIN;
		spf->temp_failure = true;
		log_debug("spf: lookup %s type %d: %s", domain, (int)type, ares_strerror(status));
	}
	return rr;
}

static int dns_open(struct spf_lib *spf, const char *servers, char **error_r)
{
	struct ares_options ao;
	struct buf csv = BUF_INIT;
	int rc;

	if (servers != NULL && parse_servers(servers, &csv, error_r) != 0) {
		buf_free(&csv);
		return -1;
	}
	memset(&ao, 0, sizeof(ao));
	ao.timeout = (int)(spf->timeout_ms / SPF_ARES_TRIES);
	ao.tries = SPF_ARES_TRIES;
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = spf;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc == ARES_SUCCESS) {
		rc = ares_init_options(&spf->channel, &ao,
				       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
					       ARES_OPT_SOCK_STATE_CB);
		if (rc != ARES_SUCCESS)
			ares_library_cleanup();
	}
	if (rc == ARES_SUCCESS && csv.len > 0) {
		rc = ares_set_servers_ports_csv(spf->channel, buf_cstr(&csv));
		if (rc != ARES_SUCCESS) {
			ares_destroy(spf->channel);
			ares_library_cleanup();
		}
	}
	buf_free(&csv);
	if (rc == ARES_SUCCESS)
		return 0;
	struct buf msg = BUF_INIT;
	buf_printf(&msg, "spf: c-ares initialisation failed: %s", ares_strerror(rc));
	*error_r = buf_detach(&msg);
	return -1;
}

static void dns_close(struct spf_lib *spf)
{
	ares_destroy(spf->channel);
	ares_library_cleanup();
}

static void dns_reset(struct spf_lib *spf)
{
	spf->txt_queries = 0;
	spf->terms = 0;
	spf->limit_hit = false;
	spf->temp_failure = false;
	buf_reset(&spf->derived);
}

/* ---- libspf2 log hooks ------------------------------------------------ */

static void __attribute__((noreturn)) hook_error(const char *file, int line, const char *msg)
{
	log_error("libspf2 %s:%d: %s", file ? file : "?", line, msg);
	abort();
}

static void hook_warning(const char *file, int line, const char *msg)
{
	(void)file, (void)line;
	log_warning("libspf2: %s", msg);
}

static void hook_debug(const char *file, int line, const char *msg)
{
	(void)file, (void)line;
	log_debug("libspf2: %s", msg);
}

static void hooks_install(void)
{
	SPF_error_handler = hook_error;
	SPF_warning_handler = hook_warning;
	SPF_info_handler = hook_debug;
	SPF_debug_handler = hook_debug;
}

/* ---- evaluation ------------------------------------------------------- */

/* True when libspf2 reported a record that did not compile. */
static bool compile_failed(SPF_response_t *resp)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);
		SPF_errcode_t code = e ? SPF_error_code(e) : SPF_E_SUCCESS;
		if (e != NULL && SPF_error_errorp(e) && code != SPF_E_NOT_SPF && code != SPF_E_DNS_ERROR)
			return true;
	}
	return false;
}

/*
 * libspf2 leaves the result "invalid" when it stops early (no record, a
 * DNS failure, a record that does not compile): sort those out here.
 */
static enum spf_lib_result map_result(struct spf_lib *spf, SPF_response_t *resp,
				      SPF_errcode_t err, const char **problem_r)
{
	*problem_r = NULL;
	/*
	 * A lookup refused by the limit answers TRY_AGAIN, which ends any
	 * evaluation in temperror; only the exp= lookup comes after a result
	 * is known, so a fail here means the exp= TXT was the one refused.
	 */
	if (spf->limit_hit && SPF_response_result(resp) != SPF_RESULT_FAIL) {
		*problem_r = "too many DNS lookups";
		return SPF_LIB_PERMERROR;
	}
	switch (SPF_response_result(resp)) {
	case SPF_RESULT_PASS: return SPF_LIB_PASS;
	case SPF_RESULT_FAIL: return SPF_LIB_FAIL;
	case SPF_RESULT_SOFTFAIL: return SPF_LIB_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return SPF_LIB_NEUTRAL;
	case SPF_RESULT_NONE: return SPF_LIB_NONE;
	case SPF_RESULT_TEMPERROR:
		*problem_r = "temporary DNS failure";
		return SPF_LIB_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		*problem_r = SPF_strerror(SPF_response_errcode(resp));
		return SPF_LIB_PERMERROR;
	default:
		break;
	}
	if (err == SPF_E_DNS_ERROR || spf->temp_failure) {
		*problem_r = "temporary DNS failure";
		return SPF_LIB_TEMPERROR;
	}
	if (compile_failed(resp)) {
		*problem_r = "malformed SPF record";
		return SPF_LIB_PERMERROR;
	}
	return SPF_LIB_NONE;
}

static int set_client(SPF_request_t *req, const addr_t *client)
{
	if (client->family == AF_INET) {
		struct in_addr a4;
		memcpy(&a4, client->bytes, sizeof(a4));
		return SPF_request_set_ipv4(req, a4) == SPF_E_SUCCESS ? 0 : -1;
	}
	struct in6_addr a6;
	memcpy(&a6, client->bytes, sizeof(a6));
	return SPF_request_set_ipv6(req, a6) == SPF_E_SUCCESS ? 0 : -1;
}

int spf_lib_check(struct spf_lib *spf, const addr_t *client, const char *helo, const char *from,
		  struct spf_lib_answer *ans_r)
{
	SPF_request_t *req = SPF_request_new(spf->server);
	SPF_response_t *resp = NULL;

	memset(ans_r, 0, sizeof(*ans_r));
	if (req == NULL)
		return -1;
	if (set_client(req, client) != 0 || SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, from) != 0) {
		SPF_request_free(req);
		return -1;
	}
	dns_reset(spf);
	SPF_errcode_t err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL) {
		SPF_request_free(req);
		return -1;
	}
	ans_r->result = map_result(spf, resp, err, &ans_r->problem);
	ans_r->localhost = SPF_response_reason(resp) == SPF_REASON_LOCALHOST;
	const char *exp = SPF_response_get_explanation(resp);
	if (ans_r->result == SPF_LIB_FAIL && exp != NULL)
		ans_r->explanation = xstrdup(exp);
	/* the response points into the request: free it first */
	SPF_response_free(resp);
	SPF_request_free(req);
	return 0;
}

/* ---- life cycle ------------------------------------------------------- */

int spf_lib_new(const char *servers, unsigned timeout_ms, const char *receiver,
		struct spf_lib **lib_r, char **error_r)
{
	static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
	SPF_response_t *resp = NULL;

	pthread_once(&hooks_once, hooks_install);
	struct spf_lib *spf = xcalloc(1, sizeof(*spf));
	spf->timeout_ms = timeout_ms;
	buf_init(&spf->derived);
	if (dns_open(spf, servers, error_r) != 0) {
		free(spf);
		return -1;
	}
	/* destroy stays NULL: libspf2 must not free the layer, it lives here */
	spf->layer.lookup = layer_lookup;
	spf->layer.name = "relayguard";
	spf->layer.hook = spf;
	spf->server = SPF_server_new_dns(&spf->layer, 0);
	if (spf->server == NULL || SPF_server_set_rec_dom(spf->server, receiver) != SPF_E_SUCCESS ||
	    SPF_server_set_explanation(spf->server, SPF_DEFAULT_EXPLANATION, &resp) != SPF_E_SUCCESS) {
		if (resp != NULL)
			SPF_response_free(resp);
		*error_r = xstrdup("spf: libspf2 initialisation failed");
		spf_lib_free(&spf);
		return -1;
	}
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_server_set_sanitize(spf->server, 1);
	*lib_r = spf;
	return 0;
}

void spf_lib_free(struct spf_lib **libp)
{
	if (libp == NULL || *libp == NULL)
		return;
	struct spf_lib *spf = *libp;
	if (spf->server != NULL)
		SPF_server_free(spf->server);
	dns_close(spf);
	free(spf->socks);
	buf_free(&spf->derived);
	free(spf);
	*libp = NULL;
}
