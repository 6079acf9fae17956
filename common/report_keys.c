/*
 * report_keys - the report queue's Redis key names.  See report_keys.h.
 */
#include "config.h"

#include "report_keys.h"

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
	/* The stream key has no tag, so its slot is the hash of its whole
	 * name; tagging the others with that name puts them in its slot. */
	report_keys_stream(prefix, stream);
	buf_printf(mark, "%srep:{%sreports}:id:%s", prefix, prefix, id);
	buf_printf(seen, "%srep:{%sreports}:seen:%s", prefix, prefix, client);
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
