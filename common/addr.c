/* addr - parse, format and classify IP addresses; see addr.h. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Store 16 IPv6 bytes, folding an IPv4-mapped address into IPv4. */
static void addr_set_v6(addr_t *a, const uint8_t bytes[16])
{
	memset(a, 0, sizeof(*a));
	if (memcmp(bytes, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		a->family = AF_INET;
		memcpy(a->bytes, bytes + 12, 4);
	} else {
		a->family = AF_INET6;
		memcpy(a->bytes, bytes, 16);
	}
}

/*
 * Strict dotted quad: four decimal octets 0..255, no signs, no empty parts,
 * at most three digits each.  inet_pton() agrees on all of that except that
 * glibc accepts leading zeros ("010"), which some resolvers read as octal; we
 * refuse them so that "010.1.1.1" is never silently 10.1.1.1.
 */
static int parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return -1;	/* leading zero */
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || v > 255)
				return -1;
			i++;
		}
		if (digits == 0)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

int addr_parse_n(const char *s, size_t len, addr_t *addr_r)
{
	char tmp[ADDR_STRLEN + 8];
	uint8_t v6[16];

	if (len >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		len -= 5;
	}
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	if (memchr(s, ':', len) == NULL) {
		memset(addr_r, 0, sizeof(*addr_r));
		addr_r->family = AF_INET;
		return parse_v4(s, len, addr_r->bytes);
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (memchr(tmp, '%', len) != NULL || inet_pton(AF_INET6, tmp, v6) != 1)
		return -1;
	addr_set_v6(addr_r, v6);
	return 0;
}

int addr_parse(const char *s, addr_t *addr_r)
{
	return addr_parse_n(s, strlen(s), addr_r);
}

int addr_from_sockaddr(const struct sockaddr *sa, addr_t *addr_r)
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
		memset(addr_r, 0, sizeof(*addr_r));
		addr_r->family = AF_INET;
		memcpy(addr_r->bytes, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		addr_set_v6(addr_r, sin6->sin6_addr.s6_addr);
		return 0;
	}
	return -1;
}

char *addr_format(const addr_t *a, char out[ADDR_STRLEN])
{
	/* IPv4 by hand: every check formats its client, and inet_ntop's
	 * printf showed in profiles.  Same text: plain dotted decimal. */
	if (a->family == AF_INET) {
		char *p = out;
		for (int i = 0; i < 4; i++) {
			unsigned b = a->bytes[i];
			if (i > 0)
				*p++ = '.';
			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
		}
		*p = '\0';
		return out;
	}
	/* glibc's inet_ntop follows RFC 5952 (lower case, longest zero run). */
	if (inet_ntop(AF_INET6, a->bytes, out, ADDR_STRLEN) == NULL)
		snprintf(out, ADDR_STRLEN, "?");
	return out;
}

void addr_mask(addr_t *a, unsigned plen)
{
	unsigned bits = addr_bits(a);

	for (unsigned i = 0; i < 16; i++) {
		unsigned start = i * 8;
		if (start >= bits || start >= plen + 8) {
			a->bytes[i] = 0;
		} else if (start + 8 > plen) {
			a->bytes[i] &= (uint8_t)(0xff << (8 - (plen - start)));
		}
	}
}

bool addr_in_prefix(const addr_t *a, const addr_t *prefix, unsigned plen)
{
	if (a->family != prefix->family || plen > addr_bits(a))
		return false;
	unsigned full = plen / 8, rest = plen % 8;
	if (memcmp(a->bytes, prefix->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->bytes[full] & mask) == (prefix->bytes[full] & mask);
}

int addr_cmp(const addr_t *a, const addr_t *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

int addr_prefix_parse(const char *s, bool lenient, addr_t *addr_r, unsigned *plen_r)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned plen;

	if (addr_parse_n(s, alen, addr_r) != 0)
		return -1;
	/* "::ffff:1.2.3.0/120" names an IPv4 prefix: its length loses 96 bits. */
	bool mapped = addr_r->family == AF_INET && memchr(s, ':', alen) != NULL;
	if (slash == NULL) {
		*plen_r = addr_bits(addr_r);
		return 0;
	}
	const char *p = slash + 1;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
		return -1;
	plen = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		plen = plen * 10 + (unsigned)(*p - '0');
		if (plen > 128)
			return -1;
	}
	if (mapped) {
		if (plen < 96)
			return -1;
		plen -= 96;
	}
	if (plen > addr_bits(addr_r))
		return -1;
	addr_t masked = *addr_r;
	addr_mask(&masked, plen);
	if (addr_cmp(&masked, addr_r) != 0 && !lenient)
		return -1;
	*addr_r = masked;
	*plen_r = plen;
	return 0;
}

/* a + 1 within its family; returns false on wrap-around. */
static bool addr_increment(addr_t *a)
{
	for (int i = (int)addr_bits(a) / 8 - 1; i >= 0; i--) {
		if (++a->bytes[i] != 0)
			return true;
	}
	return false;
}

/* Is every bit of a from bit plen on equal to v (0 or 1)? */
static bool addr_tail_is(const addr_t *a, unsigned plen, unsigned v)
{
	for (unsigned i = plen; i < addr_bits(a); i++) {
		if (addr_bit(a, i) != v)
			return false;
	}
	return true;
}

int addr_range_split(const addr_t *first, const addr_t *last, addr_prefix_cb *emit, void *ctx)
{
	addr_t cur = *first;
	int count = 0;

	if (first->family != last->family || addr_cmp(first, last) > 0)
		return -1;
	for (;;) {
		/* The largest aligned block starting at cur that ends at or before last. */
		unsigned plen = 0;
		addr_t end;
		for (;; plen++) {
			if (!addr_tail_is(&cur, plen, 0))
				continue;
			end = cur;
			for (unsigned i = plen; i < addr_bits(&cur); i++)
				end.bytes[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
			if (addr_cmp(&end, last) <= 0)
				break;
		}
		if (emit(&cur, plen, ctx) != 0)
			return -1;
		count++;
		if (addr_cmp(&end, last) == 0)
			return count;
		cur = end;
		if (!addr_increment(&cur))
			return count;
	}
}

int addr_dnsbl_name(const addr_t *a, const char *zone, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, zlen = strlen(zone);
	char tmp[80];

	if (a->family == AF_INET) {
		int len = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u.", a->bytes[3], a->bytes[2],
				   a->bytes[1], a->bytes[0]);
		n = (size_t)len;
	} else {
		for (int i = 15; i >= 0; i--) {
			tmp[n++] = hex[a->bytes[i] & 0xf];
			tmp[n++] = '.';
			tmp[n++] = hex[a->bytes[i] >> 4];
			tmp[n++] = '.';
		}
	}
	if (n + zlen + 1 > outsz)
		return -1;
	memcpy(out, tmp, n);
	memcpy(out + n, zone, zlen + 1);
	return 0;
}

struct class_range {
	addr_t prefix;
	unsigned plen;
	enum addr_class cls;
};

#define V4(a, b, c, d) { AF_INET, { a, b, c, d } }
#define V6(...) { AF_INET6, { __VA_ARGS__ } }

/* RFC 6890 special-purpose ranges that matter for a mail client. */
static const struct class_range class_ranges[] = {
	{ V4(0, 0, 0, 0), 8, ADDR_CLASS_UNSPECIFIED },
	{ V4(127, 0, 0, 0), 8, ADDR_CLASS_LOOPBACK },
	{ V4(10, 0, 0, 0), 8, ADDR_CLASS_PRIVATE },
	{ V4(172, 16, 0, 0), 12, ADDR_CLASS_PRIVATE },
	{ V4(192, 168, 0, 0), 16, ADDR_CLASS_PRIVATE },
	{ V4(100, 64, 0, 0), 10, ADDR_CLASS_SHARED },
	{ V4(169, 254, 0, 0), 16, ADDR_CLASS_LINKLOCAL },
	{ V4(192, 0, 2, 0), 24, ADDR_CLASS_DOCUMENTATION },
	{ V4(198, 51, 100, 0), 24, ADDR_CLASS_DOCUMENTATION },
	{ V4(203, 0, 113, 0), 24, ADDR_CLASS_DOCUMENTATION },
	{ V4(198, 18, 0, 0), 15, ADDR_CLASS_BENCHMARK },
	{ V4(192, 0, 0, 0), 24, ADDR_CLASS_RESERVED },
	{ V4(224, 0, 0, 0), 4, ADDR_CLASS_MULTICAST },
	{ V4(240, 0, 0, 0), 4, ADDR_CLASS_RESERVED },
	{ V6(0), 128, ADDR_CLASS_UNSPECIFIED },
	{ V6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, ADDR_CLASS_LOOPBACK },
	{ V6(0xfc), 7, ADDR_CLASS_PRIVATE },
	{ V6(0xfe, 0x80), 10, ADDR_CLASS_LINKLOCAL },
	{ V6(0x20, 0x01, 0x0d, 0xb8), 32, ADDR_CLASS_DOCUMENTATION },
	{ V6(0x3f, 0xff), 20, ADDR_CLASS_DOCUMENTATION },
	{ V6(0x20, 0x01, 0x00, 0x02, 0x00, 0x00), 48, ADDR_CLASS_BENCHMARK },
	{ V6(0xff), 8, ADDR_CLASS_MULTICAST },
	{ V6(0x01, 0x00), 64, ADDR_CLASS_RESERVED },
};

#undef V4
#undef V6

enum addr_class addr_classify(const addr_t *a)
{
	for (size_t i = 0; i < sizeof(class_ranges) / sizeof(class_ranges[0]); i++) {
		if (addr_in_prefix(a, &class_ranges[i].prefix, class_ranges[i].plen))
			return class_ranges[i].cls;
	}
	return ADDR_CLASS_GLOBAL;
}

const char *addr_class_name(enum addr_class c)
{
	switch (c) {
	case ADDR_CLASS_GLOBAL: return "global";
	case ADDR_CLASS_UNSPECIFIED: return "unspecified";
	case ADDR_CLASS_LOOPBACK: return "loopback";
	case ADDR_CLASS_PRIVATE: return "private";
	case ADDR_CLASS_SHARED: return "shared";
	case ADDR_CLASS_LINKLOCAL: return "link-local";
	case ADDR_CLASS_DOCUMENTATION: return "documentation";
	case ADDR_CLASS_BENCHMARK: return "benchmark";
	case ADDR_CLASS_MULTICAST: return "multicast";
	case ADDR_CLASS_RESERVED: return "reserved";
	}
	return "unknown";
}

bool addr_is_special(const addr_t *a)
{
	switch (addr_classify(a)) {
	case ADDR_CLASS_GLOBAL:
	case ADDR_CLASS_DOCUMENTATION:
	case ADDR_CLASS_BENCHMARK:
		return false;
	default:
		return true;
	}
}
