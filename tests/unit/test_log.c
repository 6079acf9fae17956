/* test_log - rate-limited warnings (log_limit_pass) and key=value quoting. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "log.h"
#include "tap.h"

static void test_limit(void)
{
	struct log_limit l = LOG_LIMIT_INIT;
	unsigned long sup = 99;
	int logged = 0;

	ok(log_limit_pass(&l, 1000, &sup), "the first occurrence is logged");
	is_int(sup, 0, "... with nothing suppressed");
	/* a flood: 1,000 more within the interval */
	for (int i = 0; i < 1000; i++)
		logged += log_limit_pass(&l, 1001 + (uint64_t)i, &sup);
	is_int(logged, 0, "1,000 more within the interval: none logged");
	ok(!log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS - 1, &sup), "still inside the interval: counted");
	ok(log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS, &sup), "the first after the interval is logged");
	is_int(sup, 1001, "... reporting the 1,001 suppressed");
	ok(!log_limit_pass(&l, 1000 + LOG_LIMIT_INTERVAL_MS + 1, &sup), "a new interval starts there");
	ok(log_limit_pass(&l, 1000 + 5 * LOG_LIMIT_INTERVAL_MS, &sup), "much later: logged");
	is_int(sup, 1, "... reporting the one suppressed since");
}

static void test_quote(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "\"\"" },
		{ "a b", "\"a b\"" },
		{ "cr\rlf\n", "\"cr\\x0dlf\\x0a\"" },
		{ "esc\x1b[31m", "\"esc\\x1b[31m\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		log_kv_quote(&b, cases[i].in);
		is_str(buf_cstr(&b), cases[i].out, "quote case %zu", i);
		buf_free(&b);
	}
}

int main(void)
{
	test_limit();
	test_quote();
	return tap_done();
}
