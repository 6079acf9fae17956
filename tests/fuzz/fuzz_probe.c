/* fuzz_probe - the parsers relayguard-probe runs on bytes from probed hosts
 * and from its own state files: SMTP reply lines, HTTP status lines, the
 * canary's token scan, and result files (which must round-trip). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_canary.h"
#include "probe/probe_proxy.h"
#include "probe/probe_smtp.h"
#include "probe/probe_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct probe_result *r)
{
	struct probe_result again;
	struct buf out = BUF_INIT;

	probe_store_format(r, &out);
	probe_result_init(&again, NULL);
	if (out.len <= PROBE_STORE_MAX &&
	    (probe_store_parse(out.data, out.len, &again) != 0 || addr_cmp(&r->addr, &again.addr) != 0 ||
	     r->when != again.when || r->relay != again.relay || r->proxy != again.proxy))
		abort();
	probe_result_free(&again);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[PROBE_LINE_MAX], token[PROBE_TOKEN_LEN + 1];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	int code;
	bool more;
	struct probe_result r;

	memcpy(line, data, n);
	line[n] = '\0';
	if (probe_smtp_reply_line(line, &code, &more) == 0 && (code < 200 || code > 599))
		abort();
	if (probe_proxy_http_status(line, &code) == 0 && (code < 100 || code > 599))
		abort();
	if (probe_token_scan((const char *)data, size, token) == 1 &&
	    (strlen(token) != PROBE_TOKEN_LEN || memcmp(token, PROBE_TOKEN_PREFIX, 8) != 0))
		abort();
	probe_result_init(&r, NULL);
	if (probe_store_parse((const char *)data, size, &r) == 0)
		round_trip(&r);
	probe_result_free(&r);
	return 0;
}
