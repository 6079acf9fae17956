/*
 * fuzz_dns_servers - the resolver's server-list parser (resolver_new()).
 *
 * Any bytes as the servers string: resolver_new() must either accept it
 * (and c-ares must then accept our normalised form) or refuse it with a
 * message, never crash, leak or read out of bounds.  Sends nothing.
 */
#include "config.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	char *servers = xmalloc(size + 1);	/* data may be NULL when size is 0 */
	struct resolver_opts opts = { servers, 0, 0 };
	resolver_t *res = NULL;
	char *error = NULL;

	if (size > 0)
		memcpy(servers, data, size);
	servers[size] = '\0';
	if (base == NULL)
		base = event_base_new();
	if (resolver_new(base, &opts, &res, &error) == 0) {
		char which[8];
		(void)resolver_uses_public_server(res, which, sizeof(which));
		resolver_free(&res);
	} else if (error == NULL || strncmp(error, "c-ares initialisation failed", 28) == 0) {
		abort();	/* refused without a message, or our check let through what c-ares refuses */
	}
	free(error);
	free(servers);
	return 0;
}
