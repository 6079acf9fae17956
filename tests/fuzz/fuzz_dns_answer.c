/*
 * fuzz_dns_answer - the resolver's reading of DNS answer messages
 * (resolver_answer_parse(): c-ares' A and TXT parsers, our TTL and
 * negative-TTL readers, the TXT joining).
 *
 * Input: one selector byte, then the message.  Selector bit 0: a TXT
 * question (else A); bits 1-2: the status the transport reported (OK,
 * NXDOMAIN, NODATA, SERVFAIL).  Any bytes must give a status and, for OK, at
 * most RESOLVER_MAX_A addresses or a NUL-terminated text, never a crash, a
 * leak or a read out of bounds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum resolver_status statuses[] = { RESOLVER_OK, RESOLVER_NXDOMAIN,
							 RESOLVER_NODATA, RESOLVER_SERVFAIL };
	struct resolver_answer ans;
	struct buf txt = BUF_INIT;

	if (size == 0)
		return 0;
	memset(&ans, 0, sizeof(ans));
	ans.status = statuses[(data[0] >> 1) & 3u];
	resolver_answer_parse(data[0] & 1u, data + 1, size - 1, &ans, &txt);
	if (ans.n_a > RESOLVER_MAX_A)
		abort();
	if (ans.status == RESOLVER_OK && (data[0] & 1u) && (ans.txt == NULL || strlen(ans.txt) != txt.len))
		abort();	/* a TXT success always has its text, NULs made spaces */
	if (ans.status == RESOLVER_OK && !(data[0] & 1u) && ans.n_a == 0)
		abort();	/* an A success without addresses must have been NODATA */
	buf_free(&txt);
	return 0;
}
