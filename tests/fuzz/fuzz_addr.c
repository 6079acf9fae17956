/* fuzz_addr - addr_parse, addr_prefix_parse and formatting must agree. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];
	addr_t a, b;
	unsigned plen;
	char out[ADDR_STRLEN], name[ADDR_QNAME_MAX];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (addr_parse_n(s, size, &a) == 0) {
		/* Round trip: the canonical text parses back to the same address. */
		if (addr_parse(addr_format(&a, out), &b) != 0 || addr_cmp(&a, &b) != 0)
			abort();
		if (addr_dnsbl_name(&a, "zone.example", name, sizeof(name)) != 0)
			abort();
		(void)addr_classify(&a);
	}
	if (addr_prefix_parse(s, true, &a, &plen) == 0) {
		if (plen > addr_bits(&a) || !addr_in_prefix(&a, &a, plen))
			abort();
	}
	return 0;
}
