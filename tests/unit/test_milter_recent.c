/* test_milter_recent - the milter's table of clients checked lately. */
#include "config.h"

#include <time.h>

#include "milter_recent.h"
#include "tap.h"

static addr_t ip(const char *s)
{
	addr_t a;
	if (addr_parse(s, &a) != 0)
		abort();
	return a;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	milter_recent_t *r = milter_recent_new(80);
	addr_t a = ip("192.0.2.5"), b = ip("192.0.2.6"), v6 = ip("2001:db8::5");

	is_int(milter_recent_get(r, &a), MILTER_RECENT_UNKNOWN, "an empty table knows nobody");
	milter_recent_note(r, &a, false);
	is_int(milter_recent_get(r, &a), MILTER_RECENT_CHECKED, "a noted client is known");
	is_int(milter_recent_get(r, &b), MILTER_RECENT_UNKNOWN, "another client is not");
	milter_recent_note(r, &b, true);
	is_int(milter_recent_get(r, &b), MILTER_RECENT_PASSED, "a client that passed is known as such");
	milter_recent_note(r, &b, false);
	is_int(milter_recent_get(r, &b), MILTER_RECENT_CHECKED, "the last check counts: listed now");
	milter_recent_note(r, &v6, true);
	is_int(milter_recent_get(r, &v6), MILTER_RECENT_PASSED, "IPv6 clients too");
	sleep_ms(120);
	is_int(milter_recent_get(r, &a), MILTER_RECENT_UNKNOWN, "an entry expires after its ttl");
	is_int(milter_recent_get(r, &v6), MILTER_RECENT_UNKNOWN, "a pass expires too");

	/* Fill more clients than there are slots: the table never says yes wrongly. */
	int wrong = 0;
	for (unsigned i = 0; i < 3 * MILTER_RECENT_SLOTS; i++) {
		addr_t x = { .family = AF_INET, .bytes = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i } };
		milter_recent_note(r, &x, true);
	}
	for (unsigned i = 0; i < 256; i++) {
		addr_t y = { .family = AF_INET, .bytes = { 198, 19, 0, (uint8_t)i } };
		wrong += milter_recent_get(r, &y) != MILTER_RECENT_UNKNOWN;
	}
	is_int(wrong, 0, "collisions forget clients, never confuse them");
	milter_recent_free(&r);
	ok(r == NULL, "free clears the pointer");

	r = milter_recent_new(0);
	milter_recent_note(r, &a, true);
	is_int(milter_recent_get(r, &a), MILTER_RECENT_UNKNOWN, "a table with ttl 0 remembers nothing");
	milter_recent_free(&r);
	return tap_done();
}
