/*
 * probe_store - the cached result of probing one host, and its evidence.
 *
 * One file per host, STATE_DIR/results/ADDRESS, written atomically
 * (temporary file + rename):
 *
 *   relayguard-probe 1
 *   address 198.51.100.25
 *   time 1796540400
 *   mode deliver
 *   relay confirmed
 *   relay_detail port 25, form plain: the canary received token ...
 *   proxy not-tested
 *   proxy_detail
 *   <blank line>
 *   the transcript, verbatim, to the end of the file
 *
 * A result is reused while younger than probe_ttl.  relayguard-ctl probe
 * reads the same file.  probe_store_parse() accepts untrusted bytes (the
 * file may be damaged): unknown keys are ignored, a missing or bad
 * address/time/verdict makes it fail; it is fuzzed.
 */
#ifndef RELAYGUARD_PROBE_STORE_H
#define RELAYGUARD_PROBE_STORE_H

#include <stddef.h>

#include "probe.h"
#include "probe_net.h"

#define PROBE_STORE_MAX (PROBE_TRANSCRIPT_MAX + 8192)	/* a bigger file is not ours */

/* Append the file form of r to out. */
void probe_store_format(const struct probe_result *r, struct buf *out);
/* Parse a file into r (probe_result_init()ed by the caller); 0 or -1. */
int probe_store_parse(const char *text, size_t len, struct probe_result *r) __attribute__((warn_unused_result));
/* Write r under dir; 0, or -1 with a message in why. */
int probe_store_save(const char *dir, const struct probe_result *r, char *why, size_t why_size)
	__attribute__((warn_unused_result));
/*
 * Read the result of a from dir into r (probe_result_init()ed):
 * 1 found, 0 none, -1 unreadable (why says why).  Age is not checked here.
 */
int probe_store_load(const char *dir, const addr_t *a, struct probe_result *r, char *why, size_t why_size)
	__attribute__((warn_unused_result));

#endif
