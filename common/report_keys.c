/*
 * report_keys - the report queue's Redis key names.  See report_keys.h.
 */
#include "config.h"

#include "redis_slot.h"
#include "report_keys.h"

/* Names tried for one stream before the plain "…reports:I" is taken: far
 * more than the 2n expected (n <= REPORT_STREAMS_MAX). */
#define REPORT_KEYS_SEARCH_MAX 200000u

unsigned report_keys_pick(const addr_t *client, unsigned n)
{
	/* FNV-1a over the family and the routing network's bytes: the same
	 * /24 or /48 always gives the same stream, on every writer */
	size_t len = client->family == AF_INET ? 3 : 6;
	uint32_t h = 2166136261u;

	if (n <= 1)
		return 0;
	h = (h ^ client->family) * 16777619u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ client->bytes[i]) * 16777619u;
	return h % n;
}

/* The slot of the whole text of b (a stream name has no tag). */
static unsigned slot_of(const struct buf *b)
{
	return redis_slot(b->data, b->len);
}

void report_keys_stream_at(const char *prefix, unsigned i, unsigned n, struct buf *out)
{
	struct buf name = BUF_INIT;

	if (i == 0 || n <= 1) {
		report_keys_stream(prefix, out);
		return;
	}
	/* Stream 0 keeps its name, so its slot lies in one of n equal ranges
	 * of the slot space, r0; stream i aims at range (r0 + i) mod n, in its
	 * middle half, so a slot layout of n equal ranges (redis-cli --cluster
	 * create on n masters) puts each stream on its own master. */
	report_keys_stream(prefix, &name);
	unsigned r0 = slot_of(&name) * n / REDIS_SLOTS, k = (r0 + i) % n;
	unsigned lo = k * REDIS_SLOTS / n, hi = (k + 1) * REDIS_SLOTS / n, q = (hi - lo) / 4;
	for (unsigned s = 0; s < REPORT_KEYS_SEARCH_MAX; s++) {
		buf_reset(&name);
		buf_printf(&name, "%sreports:%u.%u", prefix, i, s);
		unsigned slot = slot_of(&name);
		if (slot >= lo + q && slot < hi - q) {
			buf_append(out, name.data, name.len);
			buf_free(&name);
			return;
		}
	}
	buf_free(&name);
	buf_printf(out, "%sreports:%u", prefix, i);
}

void report_keys_tagged_for(const char *prefix, const char *stream, struct buf *out)
{
	buf_printf(out, "%s{%s}:", prefix, stream);
}

void report_keys_event_for(const char *prefix, const char *stream, const char *id, const char *client,
			   struct buf *mark, struct buf *seen)
{
	/* The stream key has no tag, so its slot is the hash of its whole
	 * name; tagging the others with that name puts them in its slot. */
	buf_printf(mark, "%srep:{%s}:id:%s", prefix, stream, id);
	buf_printf(seen, "%srep:{%s}:seen:%s", prefix, stream, client);
}

void report_keys_stream(const char *prefix, struct buf *out)
{
	buf_printf(out, "%sreports", prefix);
}

void report_keys_tagged(const char *prefix, struct buf *out)
{
	buf_printf(out, "%s{%sreports}:", prefix, prefix);
}

void report_keys_event(const char *prefix, const char *id, const char *client, struct buf *stream,
		       struct buf *mark, struct buf *seen)
{
	struct buf name = BUF_INIT;

	report_keys_stream(prefix, &name);
	report_keys_event_for(prefix, buf_cstr(&name), id, client, mark, seen);
	buf_append(stream, name.data, name.len);
	buf_free(&name);
}

void report_keys_net(const char *kp, long long window, const char *netkey, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_NET "%lld:%s", kp, window, netkey);
}

void report_keys_nets(const char *kp, long long window, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_NETS "%lld", kp, window);
}

void report_keys_told(const char *kp, const char *netkey, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_TOLD "%s", kp, netkey);
}

void report_keys_untold(const char *kp, const char *netkey, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_UNTOLD "%s", kp, netkey);
}

void report_keys_notice(const char *kp, const char *id, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_NOTICE "%s", kp, id);
}

void report_keys_rate(const char *kp, long long hour, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_RATE "%lld", kp, hour);
}

void report_keys_notices(const char *kp, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_NOTICES, kp);
}

void report_keys_streams(const char *kp, struct buf *out)
{
	buf_printf(out, "%s" REPORT_KEYS_STREAMS, kp);
}
