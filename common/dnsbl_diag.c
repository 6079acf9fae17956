/*
 * dnsbl_diag - the diagnosis table of DNS list answers, and the
 * process-wide last error code per zone.  Contract in dnsbl_diag.h.
 *
 * The codes are those the list operators publish (Spamhaus: 127.255.255.252,
 * .254, .255 for every zone, 127.0.1.255 on its domain list); the fixes are
 * the two that work: a recursive resolver of the site's own, so the list
 * sees (and counts) the site's address, or the operator's keyed service.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl_diag.h"
#include "mem.h"

/* The two ways out of a refusal, said the same way everywhere. */
#define FIX_RESOLVER \
	"use a local recursive resolver (unbound, bind9, knot-resolver on this host or network, " \
	"not forwarding to a public one) and set dns_servers to it"
#define FIX_KEYED \
	"or use the operator's keyed service (for Spamhaus, DQS: KEY.zen.dq.spamhaus.net) with " \
	"dnsbl_reply_map = KEYZONE=name so that replies never show the key"

static const struct dnsbl_diag table[DNSBL_DIAG_COUNT] = {
	[DNSBL_DIAG_HEALTHY] = {
		DNSBL_DIAG_HEALTHY, "healthy", false, NULL,
		"the RFC 5782 test entries answer as they must",
		"nothing to do",
	},
	[DNSBL_DIAG_PUBLIC_RESOLVER] = {
		DNSBL_DIAG_PUBLIC_RESOLVER, "public-resolver", true,
		"error code 127.255.255.254 (query refused: use a local resolver)",
		"the list refuses queries that reach it through a public or shared resolver "
		"(or from an address without attributable reverse DNS); no answer of this zone "
		"protects you, and none counts as a listing",
		FIX_RESOLVER ", " FIX_KEYED,
	},
	[DNSBL_DIAG_QUOTA] = {
		DNSBL_DIAG_QUOTA, "quota", true,
		"error code 127.255.255.255 (excessive number of queries)",
		"the resolver's address sent more queries than the list's free use allows; the "
		"list answers this code instead of its data",
		FIX_RESOLVER " (its own address has its own quota; redis_server lets a fleet share "
		"answers), " FIX_KEYED,
	},
	[DNSBL_DIAG_BAD_NAME] = {
		DNSBL_DIAG_BAD_NAME, "bad-zone-name", true,
		"error code 127.255.255.252 (typing error in the DNSBL name)",
		"the list's servers do not know this zone: a typing error in the zone name, or "
		"in the access key of a keyed service",
		"compare the zone in dnsbl_sites / rhsbl_helo_sites / rhsbl_sender_sites with the "
		"operator's documentation, and the key with the one the operator gave you",
	},
	[DNSBL_DIAG_IP_QUERY] = {
		DNSBL_DIAG_IP_QUERY, "ip-query-on-domain-list", true,
		"error code 127.0.1.255 (IP queries not allowed on a domain list)",
		"a domain list was asked about an IP address: it is configured as an IP list",
		"move the zone from dnsbl_sites to rhsbl_helo_sites or rhsbl_sender_sites",
	},
	[DNSBL_DIAG_ERROR_CODE] = {
		DNSBL_DIAG_ERROR_CODE, "error-code", true,
		"configured error code (the list refused the query)",
		"the zone answered a code of dnsbl_error_codes: the list refuses the query (a "
		"refused resolver, a quota or a bad key, by the operator's own convention)",
		"look the code up in the operator's documentation; usually " FIX_RESOLVER ", "
		FIX_KEYED,
	},
	[DNSBL_DIAG_LISTS_EVERYTHING] = {
		DNSBL_DIAG_LISTS_EVERYTHING, "lists-everything", true,
		"the zone lists the RFC 5782 entry that must not be listed",
		"the zone lists the RFC 5782 entry that must never be listed: a dead list whose "
		"domain now answers \"listed\" for every address",
		"remove the zone from the configuration: it would reject every client (the health "
		"probes suspend it, but only after they ran)",
	},
	[DNSBL_DIAG_TEST_ENTRY_MISSING] = {
		DNSBL_DIAG_TEST_ENTRY_MISSING, "test-entry-missing", true,
		"the RFC 5782 test entry is not listed",
		"the RFC 5782 test entry that must be listed is not (NXDOMAIN or no A record): a "
		"mistyped zone, a list that no longer exists, or one that does not follow RFC 5782",
		"check the zone name against the operator's documentation (dig 2.0.0.127.ZONE A, "
		"or test.ZONE for a domain list); without its test entry the health probes suspend "
		"the zone",
	},
	[DNSBL_DIAG_NO_IPV6] = {
		DNSBL_DIAG_NO_IPV6, "no-ipv6-test-entry", false,
		"the RFC 5782 IPv6 test entry is not listed",
		"the IPv6 test entry (::FFFF:7F00:2) is not listed: the zone most likely lists IPv4 "
		"addresses only, and IPv6 clients are asked about for nothing",
		"nothing, if the list is IPv4-only; dnsbl_ipv6 = no saves those queries for every zone",
	},
	[DNSBL_DIAG_OUTSIDE] = {
		DNSBL_DIAG_OUTSIDE, "answer-outside-127", true,
		"answer outside 127.0.0.0/8",
		"an answer outside 127.0.0.0/8: the resolver rewrites unknown names (NXDOMAIN "
		"redirection to a search or block page), or the zone is not a DNS list",
		"use a resolver that passes NXDOMAIN through untouched: " FIX_RESOLVER,
	},
	[DNSBL_DIAG_TIMEOUT] = {
		DNSBL_DIAG_TIMEOUT, "timeout", true,
		"timeout",
		"no answer within dnsbl_timeout: the resolver cannot reach the list's servers, or "
		"the list is gone; every check waits for it",
		"ask the resolver by hand (dig @RESOLVER 2.0.0.127.ZONE A); check that dns_servers "
		"points at a resolver that answers, and remove lists that no longer answer",
	},
	[DNSBL_DIAG_SERVFAIL] = {
		DNSBL_DIAG_SERVFAIL, "servfail", true,
		"SERVFAIL",
		"the resolver could not get an answer from the list's servers (servers down, a "
		"broken delegation or a DNSSEC failure)",
		"read the resolver's log; if the list's servers are gone, remove the zone",
	},
	[DNSBL_DIAG_REFUSED] = {
		DNSBL_DIAG_REFUSED, "refused", true,
		"REFUSED",
		"the DNS server in dns_servers refused the query: it does not recurse for this "
		"host, or it is an authoritative server that does not serve this zone",
		"point dns_servers at a recursive resolver that serves this host (allow it in "
		"the resolver's access control)",
	},
	[DNSBL_DIAG_DNS_ERROR] = {
		DNSBL_DIAG_DNS_ERROR, "dns-error", true,
		"DNS error",
		"the query failed without an answer (no usable server, or a malformed reply)",
		"check dns_servers (or /etc/resolv.conf when it is empty)",
	},
};

/* Known error codes by value. */
static const struct {
	uint32_t code;
	enum dnsbl_diag_id id;
} known_codes[] = {
	{ 0x7ffffffcu, DNSBL_DIAG_BAD_NAME },		/* 127.255.255.252 */
	{ 0x7ffffffeu, DNSBL_DIAG_PUBLIC_RESOLVER },	/* 127.255.255.254 */
	{ 0x7fffffffu, DNSBL_DIAG_QUOTA },		/* 127.255.255.255 */
	{ 0x7f0001ffu, DNSBL_DIAG_IP_QUERY },		/* 127.0.1.255 */
};

const struct dnsbl_diag *dnsbl_diag_get(enum dnsbl_diag_id id)
{
	if ((unsigned)id >= DNSBL_DIAG_COUNT)
		id = DNSBL_DIAG_DNS_ERROR;
	return &table[id];
}

const struct dnsbl_diag *dnsbl_diag_for_code(uint32_t code)
{
	for (size_t i = 0; i < sizeof(known_codes) / sizeof(known_codes[0]); i++)
		if (known_codes[i].code == code)
			return &table[known_codes[i].id];
	return &table[DNSBL_DIAG_ERROR_CODE];
}

/* ---- process-wide state ------------------------------------------------ */

struct zone_state {
	char *zone;
	uint32_t code;
};

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone_state *states;	/* lives as long as the process */
static size_t n_states;

bool dnsbl_diag_state_swap(const char *zone, uint32_t code, uint32_t *before_r)
{
	bool changed = true;
	size_t i;

	*before_r = 0;
	pthread_mutex_lock(&state_lock);
	for (i = 0; i < n_states; i++)
		if (strcmp(states[i].zone, zone) == 0)
			break;
	if (i < n_states) {
		*before_r = states[i].code;
		changed = states[i].code != code;
		states[i].code = code;
	} else {
		/* Every zone starts answering normally (0): storing 0 is no change. */
		changed = code != 0;
		if (n_states < DNSBL_DIAG_ZONES_MAX) {
			states = xreallocarray(states, n_states + 1, sizeof(*states));
			states[n_states].zone = xstrdup(zone);
			states[n_states].code = code;
			n_states++;
		}
	}
	pthread_mutex_unlock(&state_lock);
	return changed;
}
