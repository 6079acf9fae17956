/* test_zone_health - the zone health rules (zone_health.h) and the shared
 * value codec (zone_share.h), as tables. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tap.h"
#include "zone_health.h"
#include "zone_share.h"

/* One step: a round of ours (r), or the fleet's view (shared: host or NULL). */
enum step_kind { ROUND, SHARED };
struct step {
	enum step_kind kind;
	enum zone_round r;
	const char *host;
	enum zone_state want;
	bool changed;
	const char *why_has;	/* the reason must contain this */
};

struct scenario {
	const char *name;
	bool probed;
	struct step steps[8];
	size_t n;
};

#define R(r, want, ch, why) { ROUND, r, NULL, want, ch, why }
#define S(host, want, ch, why) { SHARED, ZONE_ROUND_PASS, host, want, ch, why }

static const struct scenario scenarios[] = {
	{ "healthy at start", true, { R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, "probe") }, 1 },
	{ "dead at start: never in service", true,
	  { R(ZONE_ROUND_DEAD, ZONE_SUSPENDED, true, "probe DEAD"),
	    R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, "probe") }, 2 },
	{ "first rounds fail: not yet probed, then suspended", true,
	  { R(ZONE_ROUND_FAILED, ZONE_UNPROBED, false, "no probe round has passed yet"),
	    R(ZONE_ROUND_FAILED, ZONE_UNPROBED, false, "probe FAILED"),
	    R(ZONE_ROUND_FAILED, ZONE_SUSPENDED, true, "3 probe rounds failed in a row"),
	    R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, "probe") }, 4 },
	{ "in service: two failed rounds keep it, the third suspends", true,
	  { R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, NULL),
	    R(ZONE_ROUND_FAILED, ZONE_IN_SERVICE, false, NULL),
	    R(ZONE_ROUND_FAILED, ZONE_IN_SERVICE, false, NULL),
	    R(ZONE_ROUND_FAILED, ZONE_SUSPENDED, true, "failed in a row") }, 4 },
	{ "a dead round suspends at once", true,
	  { R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, NULL),
	    R(ZONE_ROUND_DEAD, ZONE_SUSPENDED, true, "probe DEAD") }, 2 },
	{ "the fleet's dead verdict beats our passing rounds", true,
	  { R(ZONE_ROUND_PASS, ZONE_IN_SERVICE, true, NULL),
	    S("mx2/relayguard/policyd", ZONE_SUSPENDED, true, "shared from Redis by host mx2/relayguard/policyd: other"),
	    R(ZONE_ROUND_PASS, ZONE_SUSPENDED, false, "shared from Redis"),
	    S(NULL, ZONE_IN_SERVICE, true, "probe") }, 4 },
	{ "shared dead before our first round: suspended, not in service after it", true,
	  { S("mx2", ZONE_SUSPENDED, true, "mx2"),
	    R(ZONE_ROUND_PASS, ZONE_SUSPENDED, false, "mx2"),
	    S(NULL, ZONE_IN_SERVICE, true, NULL) }, 3 },
	{ "our own dead verdict outranks the fleet's", true,
	  { S("mx2", ZONE_SUSPENDED, true, "mx2"),
	    R(ZONE_ROUND_DEAD, ZONE_SUSPENDED, false, "probe DEAD"),
	    S(NULL, ZONE_SUSPENDED, false, "probe DEAD") }, 3 },
	{ "without probes: in service whatever happens", false,
	  { S("mx2", ZONE_IN_SERVICE, false, "probes are off"),
	    R(ZONE_ROUND_DEAD, ZONE_IN_SERVICE, false, "probes are off") }, 2 },
};

static void run_scenario(const struct scenario *sc)
{
	struct zone_health h;
	char why[64];

	zone_health_init(&h, "bl.example", sc->probed, 1000);
	is_int(h.state, sc->probed ? ZONE_UNPROBED : ZONE_IN_SERVICE, "%s: initial state", sc->name);
	ok(!zone_health_counts(&h) == sc->probed, "%s: counts at start only without probes", sc->name);
	for (size_t i = 0; i < sc->n; i++) {
		const struct step *st = &sc->steps[i];
		bool changed;
		if (st->kind == ROUND) {
			snprintf(why, sizeof(why), "probe %s",
				 st->r == ZONE_ROUND_DEAD ? "DEAD" : st->r == ZONE_ROUND_FAILED ? "FAILED" : "PASS");
			changed = zone_health_round(&h, st->r, why, 2000 + (int64_t)i);
		} else {
			changed = zone_health_shared(&h, st->host, "other", 1500, 2000 + (int64_t)i);
		}
		is_str(zone_state_name(h.state), zone_state_name(st->want), "%s: step %zu state", sc->name, i + 1);
		ok(changed == st->changed, "%s: step %zu %s", sc->name, i + 1,
		   st->changed ? "is a change" : "is no change");
		ok(zone_health_counts(&h) == (st->want == ZONE_IN_SERVICE), "%s: step %zu counts", sc->name,
		   i + 1);
		if (st->why_has != NULL && !ok(strstr(h.why, st->why_has) != NULL, "%s: step %zu reason",
					       sc->name, i + 1))
			tap_diag("reason '%s' lacks '%s'", h.why, st->why_has);
	}
}

static const struct {
	const char *v;
	int rc;
	bool dead;
	long long at;
	const char *why;
} values[] = {
	{ "A 1765000000000 300000", 0, false, 1765000000000LL, NULL },
	{ "D 1765000000000 300000 1.0.0.127.bl listed 127.0.0.2", 0, true, 1765000000000LL,
	  "1.0.0.127.bl listed 127.0.0.2" },
	{ "A 0 1", 0, false, 0, NULL },
	{ "D 5 100 ", -1, false, 0, NULL },		/* empty reason */
	{ "D 5 100", -1, false, 0, NULL },		/* no reason */
	{ "A 05 100", -1, false, 0, NULL },		/* leading zero */
	{ "A 5 0", -1, false, 0, NULL },		/* interval 0 */
	{ "A 5 604800001", -1, false, 0, NULL },	/* interval over a week */
	{ "A 5 100 x", -1, false, 0, NULL },		/* trailing bytes */
	{ "A  5 100", -1, false, 0, NULL },		/* two spaces */
	{ "D 5 100 a\tb", -1, false, 0, NULL },		/* control byte */
	{ "X 5 100", -1, false, 0, NULL },
	{ "", -1, false, 0, NULL },
	{ "A 1234567890123456789 1", -1, false, 0, NULL },	/* 19 digits */
};

static void test_codec(void)
{
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct zone_share_value v;
		int rc = zone_share_value_parse(values[i].v, strlen(values[i].v), &v);
		is_int(rc, values[i].rc, "parse '%s'", values[i].v);
		if (rc != 0 || values[i].rc != 0)
			continue;
		ok(v.dead == values[i].dead && v.at_ms == values[i].at, "parse '%s': fields", values[i].v);
		if (values[i].why != NULL)
			ok(v.why_len == strlen(values[i].why) && memcmp(v.why, values[i].why, v.why_len) == 0,
			   "parse '%s': reason", values[i].v);
		struct buf out = BUF_INIT;
		ok(zone_share_value_format(&v, &out) == 0 && strcmp(buf_cstr(&out), values[i].v) == 0,
		   "format '%s' back", values[i].v);
		buf_free(&out);
	}
	struct zone_share_value bad = { .dead = true, .at_ms = 1, .interval_ms = 1, .why = "a\nb", .why_len = 3 };
	struct buf out = BUF_INIT;
	is_int(zone_share_value_format(&bad, &out), -1, "format refuses a control byte in the reason");
	is_int((int)out.len, 0, "and appends nothing");
	buf_free(&out);
}

int main(void)
{
	log_open("test_zone_health", LOG_TO_STDERR, 0);
	log_set_level(LOG_LVL_ERROR);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
	test_codec();
	return tap_done();
}
