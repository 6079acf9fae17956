/*
 * bench_owners - load owners files as relayguard-notify does, then look up
 * addresses: load time, lookups per second, and the counters.  Peak memory
 * is measured around it (bench/owners-bench.sh runs it under /usr/bin/time).
 *
 * usage: bench_owners FILE... [-- ADDRESS...]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "owners.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	owners_t *o = owners_new();
	struct owners_stats st;
	int i = 1;

	log_set_level(LOG_LVL_WARNING);
	double t0 = now();
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *err = NULL;
		if (owners_load(o, argv[i], &err) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	owners_finish(o);
	double t1 = now();
	owners_stats(o, &st);
	printf("load: %.2f s, %zu networks, %zu contacts, %zu prefixes, %zu without abuse contact, "
	       "%zu bad lines, %zu KiB counted\n",
	       t1 - t0, st.objects, st.handles, st.prefixes, st.no_abuse, st.bad_lines, st.memory / 1024);
	size_t found = 0, with_abuse = 0, n = 0;
	double t2 = now();
	for (unsigned k = 0; k < 1000000; k++) {
		addr_t a = { .family = AF_INET };
		a.bytes[0] = 10;
		a.bytes[1] = (uint8_t)(k >> 16);
		a.bytes[2] = (uint8_t)(k >> 8);
		a.bytes[3] = (uint8_t)k;
		struct owner_info info;
		n++;
		if (owners_lookup(o, &a, &info, NULL)) {
			found++;
			with_abuse += info.abuse[0] != '\0';
		}
	}
	double t3 = now();
	printf("lookups: %zu in %.2f s, %zu with an owner, %zu with an abuse contact\n", n, t3 - t2, found,
	       with_abuse);
	for (i++; i < argc; i++) {
		addr_t a;
		struct owner_info info;
		if (addr_parse(argv[i], &a) == 0 && owners_lookup(o, &a, &info, NULL))
			printf("%s: %s %s abuse=%s\n", argv[i], info.network, info.netname, info.abuse);
	}
	owners_free(&o);
	return 0;
}
