/*
 * spf - SPF checks (RFC 7208) through libspf2, with its DNS through our
 * own resolver settings.
 *
 * libspf2 evaluates the record; every DNS lookup it makes goes through a
 * private DNS layer of this module: a c-ares channel owned by the spf_t,
 * driven synchronously (poll + ares_process_fd) and pinned to the servers
 * of spf_opts.servers ("HOST[:PORT],..." as in resolver.h; NULL or "" =
 * /etc/resolv.conf).  Types answered: TXT, A, AAAA, MX, PTR; the obsolete
 * SPF type 99 is answered "no data" without a query.
 *
 * Bounds: each DNS lookup takes at most timeout_ms in total (retries
 * included; a lookup that runs out becomes temperror).  RFC 7208 4.6.4's
 * limit of 10 DNS-querying terms is enforced across include: and
 * redirect= (libspf2 alone counts per record only): a check that needs
 * more ends as permerror.  An exp= lookup past the limit is refused, the
 * fail stands (with our default explanation or none).  "Void lookup"
 * counting (4.6.4, 2 at most) is not done.  Explanations: libspf2 1.2.10
 * stops expanding macros after a literal space, so the DNS layer hands it
 * non-SPF TXT records with spaces written as the "%_" macro.
 *
 * Results: the seven RFC 7208 results.  received_spf is the VALUE of a
 * Received-SPF header (section 9.1), e.g.
 *   pass (mx.example: domain of s@pass.spf.test designates 192.0.2.5 as
 *   permitted sender) client-ip=192.0.2.5; envelope-from="s@pass.spf.test";
 *   helo=client.example; receiver=mx.example; identity=mailfrom
 * (one line).  It and explanation are cleaned with verdict_clean_text():
 * printable ASCII only, never CR or LF; received_spf is at most
 * VERDICT_HEADER_MAX bytes, explanation at most VERDICT_REPLY_MAX.
 *
 * Thread-safety: an spf_t is NOT thread-safe: one per thread (spf_pool
 * gives each worker its own).  spf_new() and spf_free() touch c-ares'
 * unlocked library-wide reference count and libspf2's global log hooks:
 * create and free spf_t's from one thread at a time.
 */
#ifndef RELAYGUARD_SPF_H
#define RELAYGUARD_SPF_H

#include "addr.h"

typedef struct spf spf_t;

/* Default for spf_opts.timeout_ms == 0, and the accepted bounds. */
#define SPF_DEFAULT_TIMEOUT_MS 3000u
#define SPF_TIMEOUT_MS_MIN 10u
#define SPF_TIMEOUT_MS_MAX 60000u
/* Longest receiving host name accepted in spf_opts. */
#define SPF_RECEIVER_MAX 253u

struct spf_opts {
	/* "HOST[:PORT],..." (resolver.h syntax); NULL or "" = /etc/resolv.conf */
	const char *servers;
	/* total per DNS lookup; 0 = SPF_DEFAULT_TIMEOUT_MS */
	unsigned timeout_ms;
	/* our host name (myhostname) for Received-SPF; NULL = gethostname() */
	const char *receiving_host;
};

/*
 * Create a checker.  opts is only read during the call.  Returns 0 and
 * stores the new checker in *spf_r (caller frees with spf_free()), or -1
 * with a message in *error_r (caller frees with free()): a malformed server
 * list, a timeout out of bounds, a bad receiving host, a c-ares or libspf2
 * initialisation failure.  Sends nothing.
 */
int spf_new(const struct spf_opts *opts, spf_t **spf_r, char **error_r)
	__attribute__((warn_unused_result));

/* Free *spf and set it to NULL (NULL or *spf NULL: no-op). */
void spf_free(spf_t **spf);

enum spf_result {
	SPF_RESULT_NONE,
	SPF_RESULT_NEUTRAL,
	SPF_RESULT_PASS,
	SPF_RESULT_FAIL,
	SPF_RESULT_SOFTFAIL,
	SPF_RESULT_TEMPERROR,
	SPF_RESULT_PERMERROR,
};

/* Static lower-case name: "none", "neutral", "pass", "fail", "softfail",
 * "temperror", "permerror" ("unknown" for a value outside the enum). */
const char *spf_result_name(enum spf_result result);

struct spf_outcome {
	enum spf_result result;
	/* Received-SPF header value, cleaned, one line; owned by the outcome */
	char *received_spf;
	/* fail only: text for the SMTP reply (exp= or our default), cleaned;
	 * NULL when there is none.  Untrusted content (the domain chose it):
	 * never use it as a printf format. */
	char *explanation;
};

/*
 * Check client (the SMTP client address) for sender (MAIL FROM; with or
 * without <>; NULL, "" or "<>" = null sender) and helo (may be NULL).
 * A null sender checks the HELO identity (postmaster@helo, RFC 7208 2.4);
 * a null sender with no usable HELO name, or a sender or HELO domain that
 * is not a valid multi-label domain name (4.3), gives none.  A loopback
 * client passes (libspf2's rule).
 *
 * Blocking: up to about timeout_ms per DNS lookup, at most 10 terms (each
 * mx/ptr term up to 10 more lookups).  Returns 0 with *out_r filled (any
 * result, temperror and permerror included; release with
 * spf_outcome_clear()), or -1 on an internal failure (libspf2 could not
 * build a request), *out_r then zeroed with result temperror.
 * The strings are borrowed for the call only.
 */
int spf_check(spf_t *spf, const addr_t *client, const char *helo, const char *sender,
	      struct spf_outcome *out_r);

/* Free the strings of out and zero it (result becomes none).  NULL: no-op. */
void spf_outcome_clear(struct spf_outcome *out);

#endif
