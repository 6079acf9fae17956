/*
 * spf_int - the libspf2 side of the spf module, behind a neutral interface.
 *
 * libspf2's <spf2/spf.h> declares SPF_RESULT_* enumerators that clash with
 * ours (spf.h), so no file includes both: spf_lib.c alone talks to libspf2
 * and c-ares (the server list, the synchronous c-ares driver, the libspf2
 * DNS layer and its RFC 7208 4.6.4 term count, the log hooks); spf.c does
 * identities, results and the Received-SPF value.  Not for other modules.
 *
 * Thread-safety and lifetimes as for spf_t (spf.h): one spf_lib per thread;
 * create and free from one thread at a time.
 */
#ifndef RELAYGUARD_SPF_INT_H
#define RELAYGUARD_SPF_INT_H

#include <stdbool.h>

#include "addr.h"

struct spf_lib;

/* Same values, same order as enum spf_result (spf.c checks this). */
enum spf_lib_result {
	SPF_LIB_NONE,
	SPF_LIB_NEUTRAL,
	SPF_LIB_PASS,
	SPF_LIB_FAIL,
	SPF_LIB_SOFTFAIL,
	SPF_LIB_TEMPERROR,
	SPF_LIB_PERMERROR,
};

struct spf_lib_answer {
	enum spf_lib_result result;
	bool localhost;		/* pass by libspf2's loopback rule */
	const char *problem;	/* temperror/permerror cause: static text, or NULL */
	char *explanation;	/* fail: raw (uncleaned) text, caller frees; or NULL */
};

/*
 * New libspf2 server with our DNS layer on servers (resolver.h syntax; NULL
 * or "" = /etc/resolv.conf), timeout_ms per lookup (already checked by the
 * caller), receiver as the receiving domain (%{r}).  0, or -1 with a
 * message in *error_r (caller frees).
 */
int spf_lib_new(const char *servers, unsigned timeout_ms, const char *receiver,
		struct spf_lib **lib_r, char **error_r) __attribute__((warn_unused_result));
/* Free *lib and set it to NULL; NULL or *lib NULL: no-op. */
void spf_lib_free(struct spf_lib **lib);
/*
 * Evaluate the identity from (an address "local@domain" with a valid
 * domain) for client, helo (non-NULL: "unknown" when the client gave none).
 * 0 with *ans_r filled, or -1 when libspf2 could not build the request.
 */
int spf_lib_check(struct spf_lib *lib, const addr_t *client, const char *helo, const char *from,
		  struct spf_lib_answer *ans_r);

#endif
