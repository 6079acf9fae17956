/*
 * ncontact - who receives the notice of a network: the fallback chain.
 *
 *   1. owners_db: the abuse contact the owners database gave the network
 *      (stored with its counts when its first event was counted);
 *   2. notify_abuse_zone: the TXT record "<reversed address>.<zone>" of
 *      the network's most active address (IPv4 octets or IPv6 nibbles, as
 *      the public abuse-contact zones publish them), asked through
 *      dns_servers with dnsbl_timeout;
 *   3. notify_fallback_address.
 *
 * Each link is optional.  A contact, from any link, is used only if it is
 * a valid mailbox (mailbox_valid); a refused one is logged as a warning
 * with the network and the link it came from, and the chain goes on.
 *
 * A network found without any contact is remembered (LRU, key = netkey)
 * for NCONTACT_RECHECK_S: the DNS is not asked again for it meanwhile.
 * A DNS failure (timeout, SERVFAIL, REFUSED, no server) pauses the zone
 * for NCONTACT_DNS_PAUSE_S, so a dead server costs one timeout, not one
 * per network; NXDOMAIN and NODATA are answers ("no contact there").
 *
 * Blocking (relayguard-notify is a batch program): a DNS lookup runs a
 * private event loop until it is answered.  Not thread-safe.
 */
#ifndef RELAYGUARD_NCONTACT_H
#define RELAYGUARD_NCONTACT_H

#include "buf.h"
#include "cfg.h"
#include "nagg.h"

#define NCONTACT_RECHECK_S 3600		/* a network without contact is looked at again after this */
#define NCONTACT_DNS_PAUSE_S 60		/* the zone is not asked for this long after a failure */
#define NCONTACT_CACHE_MAX 100000	/* networks remembered without contact */

enum ncontact_source { NCONTACT_NONE, NCONTACT_OWNERS, NCONTACT_DNS, NCONTACT_FALLBACK };

typedef struct ncontact ncontact_t;

/* Set up from cfg (borrowed; must outlive c).  0, or -1 with *error_r (caller frees). */
int ncontact_new(const cfg_t *cfg, ncontact_t **c_r, char **error_r) __attribute__((warn_unused_result));
void ncontact_free(ncontact_t **c);

/*
 * The contact of net: appended to to (a valid mailbox) with its source;
 * or NCONTACT_NONE with the reason appended to why ("no abuse contact in
 * owners_db; abuse zone x: nxdomain; no notify_fallback_address").
 */
enum ncontact_source ncontact_find(ncontact_t *c, const struct net_agg *net, struct buf *to, struct buf *why);

/* "owners_db", "notify_abuse_zone", "notify_fallback_address", "none". */
const char *ncontact_source_name(enum ncontact_source s);

#endif
