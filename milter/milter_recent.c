/* milter_recent - clients checked lately; see milter_recent.h. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "clock.h"
#include "mem.h"
#include "milter_recent.h"

struct recent_slot {
	addr_t addr;
	uint64_t until_ms;	/* 0: empty */
	bool passed;
};

struct milter_recent {
	pthread_mutex_t mu;	/* guards slots */
	uint64_t ttl_ms;
	struct recent_slot slots[MILTER_RECENT_SLOTS];
};

milter_recent_t *milter_recent_new(unsigned long long ttl_ms)
{
	milter_recent_t *r = xcalloc(1, sizeof(*r));

	pthread_mutex_init(&r->mu, NULL);
	r->ttl_ms = ttl_ms;
	return r;
}

void milter_recent_free(milter_recent_t **rp)
{
	if (*rp == NULL)
		return;
	pthread_mutex_destroy(&(*rp)->mu);
	free(*rp);
	*rp = NULL;
}

/* FNV-1a over the address: the slot of a client. */
static struct recent_slot *slot_of(milter_recent_t *r, const addr_t *a)
{
	uint32_t h = 2166136261u ^ a->family;

	for (size_t i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return &r->slots[h % MILTER_RECENT_SLOTS];
}

enum milter_recent_state milter_recent_get(milter_recent_t *r, const addr_t *a)
{
	enum milter_recent_state state = MILTER_RECENT_UNKNOWN;

	if (r->ttl_ms == 0)
		return state;
	uint64_t now = clock_now_ms();
	pthread_mutex_lock(&r->mu);
	struct recent_slot *s = slot_of(r, a);
	if (s->until_ms != 0 && addr_cmp(&s->addr, a) == 0 && now < s->until_ms)
		state = s->passed ? MILTER_RECENT_PASSED : MILTER_RECENT_CHECKED;
	pthread_mutex_unlock(&r->mu);
	return state;
}

void milter_recent_note(milter_recent_t *r, const addr_t *a, bool passed)
{
	if (r->ttl_ms == 0)
		return;
	uint64_t until = clock_now_ms() + r->ttl_ms;
	pthread_mutex_lock(&r->mu);
	struct recent_slot *s = slot_of(r, a);
	s->addr = *a;
	s->until_ms = until;
	s->passed = passed;
	pthread_mutex_unlock(&r->mu);
}
