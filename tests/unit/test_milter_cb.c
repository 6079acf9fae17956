/* test_milter_cb - milter_socket in libmilter's syntax. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "cfgval.h"
#include "milter_cb.h"
#include "tap.h"

static const struct {
	const char *setting;	/* milter_socket as written in relayguard.conf */
	const char *spec;	/* what smfi_setconn() gets */
} socket_cases[] = {
	{ "inet:10041@127.0.0.1", "inet:10041@[127.0.0.1]" },
	{ "inet:10041@0.0.0.0", "inet:10041@[0.0.0.0]" },
	{ "inet:25@localhost", "inet:25@localhost" },
	{ "inet6:10041@[::1]", "inet6:10041@[::1]" },
	{ "inet6:8891@[2001:db8::5]", "inet6:8891@[2001:db8::5]" },
	{ "unix:/run/relayguard/milter.sock", "unix:/run/relayguard/milter.sock" },
	{ "local:/var/spool/postfix/rg.sock", "unix:/var/spool/postfix/rg.sock" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(socket_cases) / sizeof(socket_cases[0]); i++) {
		struct cfg_socket s;
		struct buf out = BUF_INIT;
		const char *err = NULL;

		if (!ok(cfgval_parse_socket(socket_cases[i].setting, &s, &err) == 0, "parse %s",
			socket_cases[i].setting)) {
			tap_diag("  %s", err);
			continue;
		}
		milter_cb_socket_spec(&s, &out);
		is_str(buf_cstr(&out), socket_cases[i].spec, "%s -> %s", socket_cases[i].setting,
		       socket_cases[i].spec);
		buf_free(&out);
	}
	return tap_done();
}
