/*
 * addr - parse, format and classify IP addresses; DNSBL query names.
 *
 * An addr_t holds one IPv4 or IPv6 address in network byte order.  IPv4
 * lives in bytes[0..3] with family AF_INET; IPv6 uses all 16 bytes with
 * family AF_INET6.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is always
 * stored as the IPv4 address it maps: a client that reaches us over an IPv6
 * socket with a mapped address is checked against the IPv4 lists.
 *
 * Prefixes: an address plus a length (0..32 or 0..128).  Ranges "a-b" are
 * split into the minimal set of prefixes by addr_range_split().
 *
 * All functions are pure, allocation-free and thread-safe.
 */
#ifndef RELAYGUARD_ADDR_H
#define RELAYGUARD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; IPv4 uses bytes[0..3], the rest zero */
} addr_t;

/* Longest formatted address, with NUL ("ffff:...:255.255.255.255"). */
#define ADDR_STRLEN 46
/* Longest DNSBL query name for an address plus a zone of at most 253 bytes. */
#define ADDR_QNAME_MAX 320

/* Bits in an address of this family: 32 or 128. */
static inline unsigned addr_bits(const addr_t *a)
{
	return a->family == AF_INET ? 32u : 128u;
}

/*
 * Parse any textual IPv4 (strict dotted quad "192.0.2.1"; a leading zero
 * such as "010" is refused, since some resolvers read it as octal) or IPv6 address (all RFC 4291
 * forms: compressed "::", mixed "::ffff:1.2.3.4", upper or lower case).
 * Also accepts "[v6]" brackets and Postfix's "IPv6:" prefix.  A zone index
 * ("%eth0") is refused.  Returns 0, or -1 when s is not an address.
 */
int addr_parse(const char *s, addr_t *addr_r) __attribute__((warn_unused_result));
/* Same, on the first len bytes of s (not NUL-terminated). */
int addr_parse_n(const char *s, size_t len, addr_t *addr_r) __attribute__((warn_unused_result));

/* From a sockaddr (AF_INET or AF_INET6; mapped IPv6 becomes IPv4). */
int addr_from_sockaddr(const struct sockaddr *sa, addr_t *addr_r) __attribute__((warn_unused_result));

/* Canonical text (RFC 5952 for IPv6) into out[ADDR_STRLEN]; returns out. */
char *addr_format(const addr_t *a, char out[ADDR_STRLEN]);

/*
 * Parse "addr/len" or a bare address (len = full width).  Host bits set
 * beyond the prefix length are an error unless lenient, in which case they
 * are cleared (list files are lenient, the config is strict).
 * Returns 0 or -1.
 */
int addr_prefix_parse(const char *s, bool lenient, addr_t *addr_r, unsigned *plen_r)
	__attribute__((warn_unused_result));
/* Clear the bits beyond plen. */
void addr_mask(addr_t *a, unsigned plen);
/* Does a fall inside prefix/plen?  False across families. */
bool addr_in_prefix(const addr_t *a, const addr_t *prefix, unsigned plen);
/* Total order: IPv4 before IPv6, then by bytes.  <0, 0, >0. */
int addr_cmp(const addr_t *a, const addr_t *b);
/* Bit i (0 = most significant) of the address. */
static inline unsigned addr_bit(const addr_t *a, unsigned i)
{
	return (a->bytes[i >> 3] >> (7 - (i & 7))) & 1u;
}

/*
 * Split the inclusive range first..last (same family, first <= last) into
 * the minimal list of prefixes, calling emit for each in ascending order.
 * Returns the number of prefixes emitted, or -1 if the range is invalid.
 * emit returning non-zero stops the split and is returned as -1.
 */
typedef int addr_prefix_cb(const addr_t *prefix, unsigned plen, void *ctx);
int addr_range_split(const addr_t *first, const addr_t *last, addr_prefix_cb *emit, void *ctx);

/*
 * The DNSBL query name for a under zone (RFC 5782): reversed octets for
 * IPv4 ("5.2.0.192.zone"), 32 reversed nibbles for IPv6.  zone has no
 * trailing dot requirement; one is not added.  Returns 0, or -1 if the
 * result would not fit in outsz bytes.
 */
int addr_dnsbl_name(const addr_t *a, const char *zone, char *out, size_t outsz)
	__attribute__((warn_unused_result));

/* Special-purpose ranges (RFC 6890 and friends). */
enum addr_class {
	ADDR_CLASS_GLOBAL = 0,	/* ordinary routable address */
	ADDR_CLASS_UNSPECIFIED,	/* 0.0.0.0/8, :: */
	ADDR_CLASS_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	ADDR_CLASS_PRIVATE,	/* RFC 1918, fc00::/7 (ULA) */
	ADDR_CLASS_SHARED,	/* 100.64.0.0/10 carrier-grade NAT */
	ADDR_CLASS_LINKLOCAL,	/* 169.254.0.0/16, fe80::/10 */
	ADDR_CLASS_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
	ADDR_CLASS_BENCHMARK,	/* 198.18.0.0/15, 2001:2::/48 */
	ADDR_CLASS_MULTICAST,	/* 224.0.0.0/4, ff00::/8 */
	ADDR_CLASS_RESERVED,	/* 240.0.0.0/4, 255.255.255.255, 192.0.0.0/24, 100::/64 discard */
};
enum addr_class addr_classify(const addr_t *a);
const char *addr_class_name(enum addr_class c);
/*
 * The classes skip_special exempts from checks: everything that cannot be a
 * client on the public internet (loopback, private, shared, link-local,
 * unspecified, multicast, reserved).  Documentation and benchmark ranges are
 * NOT special here: tests use them as "public" clients.
 */
bool addr_is_special(const addr_t *a);

#endif
