/* fuzz_policy_proto - the policy request parser on arbitrary bytes, fed in
 * pieces whose sizes come from the input itself (so splits are fuzzed too). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "policy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy_parser_t *p = policy_parser_new();
	size_t step = size > 0 ? (size_t)data[0] % 17 + 1 : 1;
	size_t off = 0;

	while (off < size) {
		size_t piece = size - off < step ? size - off : step, used = 0;
		enum policy_status st =
			policy_parser_feed(p, (const char *)data + off, piece, &used, NULL);
		if (st == POLICY_ERROR)
			break;
		if (st == POLICY_REQUEST) {
			(void)policy_parser_get(p, "client_address");
			(void)policy_parser_count(p);
		}
		off += used;
	}
	policy_parser_free(&p);
	return 0;
}
