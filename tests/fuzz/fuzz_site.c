/* fuzz_site - site_parse and site_filter_parse: no crash, and the normalized
 * text parses back to the same site. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[1024];
	const char *error;
	struct site site, again;
	struct site_filter f, g;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (site_parse(s, &site, &error) == 0) {
		struct buf out = BUF_INIT;
		site_format(&site, &out);
		/* A normalized site may be longer than the input ([1;2;3] stays, 1..3 grows). */
		if (out.len <= SITE_TEXT_MAX) {
			if (site_parse(buf_cstr(&out), &again, &error) != 0 || strcmp(site.zone, again.zone) != 0 ||
			    site.weight != again.weight || !site_filter_equal(&site.filter, &again.filter))
				abort();
		}
		buf_free(&out);
		(void)site_filter_match(&site.filter, 0x7f000002);
	} else if (error == NULL) {
		abort();
	}
	if (site_filter_parse(s, &f, &error) == 0) {
		struct buf out = BUF_INIT;
		site_filter_format(&f, &out);
		if (out.len <= SITE_TEXT_MAX &&
		    (site_filter_parse(buf_cstr(&out), &g, &error) != 0 || !site_filter_equal(&f, &g)))
			abort();
		buf_free(&out);
	}
	return 0;
}
