/* fuzz_report - report_event_parse on untrusted journal lines: whatever
 * parses formats back to a line that parses to the same event. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_event ev, back;
	const char *why;
	struct buf line = BUF_INIT;

	if (report_event_parse((const char *)data, size, &ev, &why) != 0)
		return 0;
	report_event_format(&ev, &line);
	if (report_event_parse(line.data, line.len, &back, &why) != 0 || strcmp(back.id, ev.id) != 0 ||
	    strcmp(back.helo, ev.helo) != 0 || back.n_lists != ev.n_lists || addr_cmp(&back.client, &ev.client) != 0)
		abort();
	buf_free(&line);
	return 0;
}
