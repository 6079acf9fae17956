/* Unit tests for common/redis_slot and the key schema: every multi-key
 * command and script relayguard sends touches one hash slot, so it works
 * unchanged on Redis Cluster (doc/redis-schema.md). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "rcache.h"
#include "redis_slot.h"
#include "report.h"
#include "report_keys.h"
#include "rlists.h"
#include "tap.h"

static unsigned slot_of(const struct buf *b)
{
	return redis_slot(b->data, b->len);
}

static void test_crc(void)
{
	/* Reference values: the CRC16 check value and slots from the Redis
	 * Cluster specification and CLUSTER KEYSLOT. */
	is_int(redis_crc16("123456789", 9), 0x31c3, "CRC16/XMODEM check value");
	is_int((int)redis_slot("foo", 3), 12182, "CLUSTER KEYSLOT foo");
	is_int((int)redis_slot("bar", 3), 5061, "CLUSTER KEYSLOT bar");
	is_int((int)redis_slot("{user1000}.following", 20), (int)redis_slot("user1000", 8),
	       "a hash tag hashes only the tag");
	ok(redis_slot("foo{}{bar}", 10) != redis_slot("bar", 3), "an empty first tag is not skipped");
	is_int((int)redis_slot("foo{{bar}}zap", 13), (int)redis_slot("{bar", 4), "the tag is up to the first }");
	is_int((int)redis_slot("foo{bar", 7), (int)(redis_crc16("foo{bar", 7) % REDIS_SLOTS),
	       "no closing brace: the whole key");
}

/* The definition, one bit at a time: the table-driven redis_crc16 must
 * agree with it on every byte value and on longer strings. */
static uint16_t crc16_bitwise(const unsigned char *s, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(s[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) != 0 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

static void test_crc_table(void)
{
	unsigned char s[64];
	unsigned bad = 0, x = 12345;

	for (unsigned v = 0; v < 256; v++) {
		s[0] = (unsigned char)v;
		s[1] = (unsigned char)(255 - v);
		bad += redis_crc16((const char *)s, 1) != crc16_bitwise(s, 1);
		bad += redis_crc16((const char *)s, 2) != crc16_bitwise(s, 2);
	}
	for (unsigned n = 0; n < 1000; n++) {
		size_t len = n % sizeof(s);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;	/* any bytes will do */
			s[i] = (unsigned char)(x >> 16);
		}
		bad += redis_crc16((const char *)s, len) != crc16_bitwise(s, len);
	}
	is_int((int)bad, 0, "the table-driven CRC16 equals the bitwise definition (1,512 strings)");
}

/* One MGET of rcache_get(): the keys of one subject for all its sources. */
static void test_cache_mget(void)
{
	const char *subjects[] = { "192.0.2.1", "2001:db8::1", "example.org", "a}b.example", "x{y" };
	const char *sources[] = { "zen.example.org", "bl.example", "dbl.example", "wl.test", "a", "z.z" };

	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		struct buf first = BUF_INIT;
		bool same = true;
		rcache_key("rg:", sources[0], subjects[i], &first);
		for (size_t j = 1; j < sizeof(sources) / sizeof(sources[0]); j++) {
			struct buf k = BUF_INIT;
			rcache_key("rg:", sources[j], subjects[i], &k);
			same = same && slot_of(&k) == slot_of(&first);
			buf_free(&k);
		}
		ok(same, "cache MGET of subject %s: every source in slot %u", subjects[i], slot_of(&first));
		buf_free(&first);
	}
	struct buf a = BUF_INIT, b = BUF_INIT;
	rcache_key("rg:", "bl.example", "192.0.2.1", &a);
	rcache_key("rg:", "bl.example", "192.0.2.2", &b);
	ok(slot_of(&a) != slot_of(&b), "different subjects spread over slots");
	is_str(buf_cstr(&a), "rg:v2:c:{192.0.2.1}:bl.example", "the v2 cache key");
	buf_free(&a);
	buf_free(&b);
}

/* The rlists lookup script (3 keys per configured list), the import's
 * MULTI/EXEC (index, :t, :m, tmp keys, the set of names) and drop. */
static void test_rlists(void)
{
	const char *names[] = { "bl.test", "v4.test", "big.test", "x", "a-b_c.d" };
	const char *suffixes[] = { "", ":t", ":m", ":tmp:0123456789abcdef", ":tmp:0123456789abcdef:t" };
	struct buf set = BUF_INIT;
	bool same = true;

	rlists_key(&set, "rg:", NULL, NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = 0; j < sizeof(suffixes) / sizeof(suffixes[0]); j++) {
			struct buf k = BUF_INIT;
			rlists_key(&k, "rg:", names[i], suffixes[j]);
			if (slot_of(&k) != slot_of(&set)) {
				same = false;
				tap_diag("%s in slot %u", buf_cstr(&k), slot_of(&k));
			}
			buf_free(&k);
		}
	ok(same, "every key of every list and the set of names share slot %u", slot_of(&set));
	buf_free(&set);
}

/* The report emit script: stream, event marker, client dedupe key. */
static void test_report(void)
{
	const char *prefixes[] = { "rg:", "", "site-a:" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct buf st = BUF_INIT, mk = BUF_INIT, seen = BUF_INIT;
		report_keys_event(prefixes[i], "0123456789abcdef", "2001:db8::5", &st, &mk, &seen);
		ok(slot_of(&st) == slot_of(&mk) && slot_of(&st) == slot_of(&seen),
		   "report emit keys with prefix \"%s\" share slot %u (%s, %s, %s)", prefixes[i],
		   slot_of(&st), buf_cstr(&st), buf_cstr(&mk), buf_cstr(&seen));
		buf_free(&st);
		buf_free(&mk);
		buf_free(&seen);
	}
}

/* The notifier: the commit script (XACK on the stream, net, nets, told
 * keys), the claim script (notice, rate), the sent script (told, notice,
 * notices), each name as common/report_keys builds it. */
static void test_notifier(void)
{
	const char *prefixes[] = { "rg:", "", "n1:" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct buf st = BUF_INIT, mk = BUF_INIT, seen = BUF_INIT;
		bool same = true;
		report_keys_event(prefixes[i], "x", "192.0.2.1", &st, &mk, &seen);
		struct buf kp = BUF_INIT, k[7];
		report_keys_tagged(prefixes[i], &kp);
		for (size_t j = 0; j < 7; j++)
			buf_init(&k[j]);
		report_keys_nets(buf_cstr(&kp), 20000, &k[0]);
		report_keys_net(buf_cstr(&kp), 20000, "192.0.2.0-192.0.2.255", &k[1]);
		report_keys_told(buf_cstr(&kp), "192.0.2.0-192.0.2.255", &k[2]);
		report_keys_untold(buf_cstr(&kp), "192.0.2.0-192.0.2.255", &k[3]);
		report_keys_rate(buf_cstr(&kp), 480000, &k[4]);
		report_keys_notice(buf_cstr(&kp), "0123456789abcdef", &k[5]);
		report_keys_notices(buf_cstr(&kp), &k[6]);
		for (size_t j = 0; j < 7; j++) {
			if (slot_of(&k[j]) != slot_of(&st)) {
				same = false;
				tap_diag("%s in slot %u", buf_cstr(&k[j]), slot_of(&k[j]));
			}
			buf_free(&k[j]);
		}
		buf_free(&kp);
		ok(same, "notifier keys with prefix \"%s\" are in the stream's slot %u", prefixes[i], slot_of(&st));
		buf_free(&st);
		buf_free(&mk);
		buf_free(&seen);
	}
}

static addr_t addr_of(const char *s)
{
	addr_t a;

	if (addr_parse(s, &a) != 0)
		memset(&a, 0, sizeof(a));
	return a;
}

/* report_streams: the stream a client goes to (report_keys_pick). */
static void test_stream_pick(void)
{
	addr_t a = addr_of("192.0.2.1"), b = addr_of("192.0.2.254"), m = addr_of("::ffff:192.0.2.7");
	addr_t v6a = addr_of("2001:db8:1:1::1"), v6b = addr_of("2001:db8:1:ffff::9");
	bool seen[3] = { false, false, false }, in_range = true, same_24 = true;

	is_int((int)report_keys_pick(&a, 1), 0, "one stream: every client in stream 0");
	is_int((int)report_keys_pick(&a, 3), (int)report_keys_pick(&b, 3), "the same /24 gives the same stream");
	is_int((int)report_keys_pick(&m, 3), (int)report_keys_pick(&a, 3),
	       "an IPv4-mapped address goes with its IPv4 /24");
	is_int((int)report_keys_pick(&v6a, 3), (int)report_keys_pick(&v6b, 3), "the same /48 gives the same stream");
	/* 198.51.0.0/16: 256 /24s spread over all three streams */
	for (unsigned i = 0; i < 256; i++) {
		char text[32];
		snprintf(text, sizeof(text), "198.51.%u.9", i);
		addr_t x = addr_of(text);
		unsigned k = report_keys_pick(&x, 3);
		in_range = in_range && k < 3;
		seen[k < 3 ? k : 0] = true;
		snprintf(text, sizeof(text), "198.51.%u.200", i);
		addr_t y = addr_of(text);
		same_24 = same_24 && report_keys_pick(&y, 3) == k;
	}
	ok(in_range && seen[0] && seen[1] && seen[2], "256 /24s use every one of 3 streams");
	ok(same_24, "two addresses of each of 256 /24s share their stream");
}

/* report_streams: names, slots and the keys that go with each stream. */
static void test_stream_names(void)
{
	const char *prefixes[] = { "rg:", "", "site-a:", "n1:" };
	const unsigned counts[] = { 2, 3, 5, 64 };

	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		struct buf one = BUF_INIT, today = BUF_INIT, tagged = BUF_INIT, tagged_for = BUF_INIT;
		report_keys_stream_at(prefixes[p], 0, 1, &one);
		report_keys_stream(prefixes[p], &today);
		report_keys_tagged(prefixes[p], &tagged);
		report_keys_tagged_for(prefixes[p], buf_cstr(&today), &tagged_for);
		ok(strcmp(buf_cstr(&one), buf_cstr(&today)) == 0 && strcmp(buf_cstr(&tagged), buf_cstr(&tagged_for)) == 0,
		   "report_streams = 1 with prefix \"%s\": the names of today (%s, %s)", prefixes[p], buf_cstr(&one),
		   buf_cstr(&tagged));
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			unsigned n = counts[c];
			bool ranges[64] = { false }, spread = true, keys_ok = true;
			for (unsigned i = 0; i < n; i++) {
				struct buf st = BUF_INIT, mk = BUF_INIT, seen = BUF_INIT, kp = BUF_INIT, net = BUF_INIT;
				report_keys_stream_at(prefixes[p], i, n, &st);
				unsigned r = slot_of(&st) * n / REDIS_SLOTS;
				spread = spread && !ranges[r];
				ranges[r] = true;
				report_keys_event_for(prefixes[p], buf_cstr(&st), "id1", "192.0.2.1", &mk, &seen);
				report_keys_tagged_for(prefixes[p], buf_cstr(&st), &kp);
				report_keys_net(buf_cstr(&kp), 20000, "192.0.2.0-192.0.2.255", &net);
				keys_ok = keys_ok && slot_of(&mk) == slot_of(&st) && slot_of(&seen) == slot_of(&st) &&
					  slot_of(&net) == slot_of(&st) && (i > 0 || strcmp(buf_cstr(&st), buf_cstr(&today)) == 0);
				if (n == 3 && p == 0)
					tap_diag("report_streams = 3, stream %u: %s, slot %u", i, buf_cstr(&st), slot_of(&st));
				buf_free(&st);
				buf_free(&mk);
				buf_free(&seen);
				buf_free(&kp);
				buf_free(&net);
			}
			ok(spread, "report_streams = %u, prefix \"%s\": each stream in its own %u-th of the slots", n,
			   prefixes[p], n);
			ok(keys_ok, "report_streams = %u, prefix \"%s\": stream 0 keeps its name; marker, dedupe and "
			   "count keys share their stream's slot", n, prefixes[p]);
		}
		buf_free(&one);
		buf_free(&today);
		buf_free(&tagged);
		buf_free(&tagged_for);
	}
}

int main(void)
{
	test_crc();
	test_crc_table();
	test_cache_mget();
	test_rlists();
	test_report();
	test_notifier();
	test_stream_pick();
	test_stream_names();
	return tap_done();
}
