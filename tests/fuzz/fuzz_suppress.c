/* fuzz_suppress - the notify_suppress file (and the mailbox check it uses) on
 * untrusted bytes: no crash; every entry the file parser keeps parses
 * again on its own; a match against a fixed network and contact works on
 * whatever was loaded. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox.h"
#include "mem.h"
#include "nsuppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_LVL_ERROR);
	nsuppress_t *s = nsuppress_new("");
	(void)nsuppress_load_text(s, (const char *)data, size, "fuzz");

	/* one line of the input as a single entry and as a mailbox */
	char *line = xstrndup((const char *)data, size);
	line[strcspn(line, "\n")] = '\0';
	enum nsuppress_kind kind;
	struct buf canon = BUF_INIT, again = BUF_INIT, entry = BUF_INIT;
	const char *why;
	if (nsuppress_parse(line, &kind, &canon, &why) == 0) {
		enum nsuppress_kind kind2;
		if (nsuppress_parse(buf_cstr(&canon), &kind2, &again, &why) != 0 || kind2 != kind ||
		    strcmp(buf_cstr(&canon), buf_cstr(&again)) != 0)
			abort();	/* the canonical form is a fixed point */
	}
	if (mailbox_valid(line) && (line[0] == '-' || strchr(line, '@') == NULL))
		abort();

	nagg_t *n = nagg_new();
	struct nagg_owner o = { "192.0.2.0-192.0.2.255", "192.0.2.0 - 192.0.2.255", "", "", "", "", true };
	struct net_agg *net = nagg_get(n, 1, &o);
	(void)nagg_addr_get(net, "192.0.2.7");
	(void)nsuppress_match(s, net, line, &entry);
	(void)nsuppress_match(s, net, "abuse@example.net", &entry);

	nagg_free(&n);
	buf_free(&canon);
	buf_free(&again);
	buf_free(&entry);
	free(line);
	nsuppress_free(&s);
	return 0;
}
