/*
 * probe_proxy - the open-proxy test of one host.
 *
 * On every port of probe_proxy_ports, each method in turn asks the host to
 * reach the canary (probe_canary) and carry a fresh token there:
 *
 *   http-connect  CONNECT CANARY:PORT HTTP/1.0, then the token line through the tunnel
 *   http-get      GET http://CANARY:PORT/TOKEN HTTP/1.0
 *   http-post     POST http://CANARY:PORT/ HTTP/1.0 with the token as the body
 *   socks4        SOCKS4 CONNECT (IPv4 canary only), then the token line
 *   socks5        SOCKS5, method "no authentication", CONNECT, then the token line
 *
 * A proxy is PROBE_CONFIRMED only when the canary sees the token (within
 * probe_canary_wait after the proxy said yes, or a short grace otherwise);
 * a "yes" without the token reaching the canary is only PROBE_CLOSED with
 * that said in the detail.  The first confirmation ends the test.  Without
 * a canary the test is PROBE_NOT_TESTED.  Replies are read with the read
 * timeout and at most probe_read_max bytes per connection.
 */
#ifndef RELAYGUARD_PROBE_PROXY_H
#define RELAYGUARD_PROBE_PROXY_H

#include "probe.h"

#define PROBE_PROXY_METHODS 5

const char *probe_proxy_method_name(unsigned i);
/*
 * Parse an HTTP status line: 0 and *status_r, or -1.  ("HTTP/1.x NNN ...")
 */
int probe_proxy_http_status(const char *line, int *status_r) __attribute__((warn_unused_result));

/* Run the proxy test; fills r->proxy, r->proxy_detail, r->transcript. */
void probe_proxy_run(const struct probe_settings *s, struct probe_result *r);

#endif
