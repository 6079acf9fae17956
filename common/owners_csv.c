/*
 * owners_csv - "network,owner,abuse_address" rows (RFC 4180) into the
 * owners store.  See owners.h for the format.
 *
 * A field is either unquoted (no '"' in it; blanks around it trimmed) or
 * quoted: '"' ... '"', with "" for one quote and commas allowed inside;
 * blanks around the quotes are ignored.  Fields are decoded in place: the
 * decoded text is never longer than the line.  A record must have exactly
 * three fields; a quoted field that does not close on its line is refused
 * (the loader reads one line at a time).
 */
#include "config.h"

#include <string.h>

#include "owners_int.h"

#define CSV_FIELDS 3

/* Split line into fields (decoded in place); the count, or -1 with *why_r. */
static int csv_split(char *line, char *field[CSV_FIELDS], const char **why_r)
{
	char *p = line;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (n == CSV_FIELDS) {
			*why_r = "more than 3 fields (quote a field that holds a comma)";
			return -1;
		}
		char *out = p;
		field[n++] = out;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0') {
					*why_r = "quoted field not closed on its line";
					return -1;
				}
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;	/* "" is one quote */
				*out++ = *p++;
			}
			p++;	/* the closing quote */
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0') {
				*why_r = "text after a closing quote";
				return -1;
			}
		} else {
			while (*p != ',' && *p != '\0') {
				if (*p == '"') {
					*why_r = "a quote inside an unquoted field";
					return -1;
				}
				*out++ = *p++;
			}
			while (out > field[n - 1] && (out[-1] == ' ' || out[-1] == '\t'))
				out--;
		}
		char sep = *p;
		*out = '\0';	/* out <= p: never past the separator */
		if (sep == '\0')
			return n;
		p++;
	}
}

void owners_csv_line(owners_t *o, char *line, size_t lineno, const char *file)
{
	char *f[CSV_FIELDS];
	const char *why = "expected network,owner,abuse_address";

	line[strcspn(line, "\r")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return;
	int n = csv_split(line, f, &why);
	addr_t first, last;
	if (n != CSV_FIELDS || owners_parse_network(f[0], &first, &last) != 0) {
		if (lineno != 1 || n < 0)	/* line 1 may be a header */
			owners_bad_line(o, file, lineno, n < 0 ? why : "expected network,owner,abuse_address");
		return;
	}
	if (strlen(f[1]) > OWNERS_VALUE_MAX || strlen(f[2]) > OWNERS_VALUE_MAX) {
		owners_bad_line(o, file, lineno, "field too long");
		return;
	}
	struct owners_net net = {
		.range = f[0],
		.netname = f[1],
		.org = "",
		.org_name = "",
		.country = "",
		.mailbox = f[2],
		.abuse_c = "",
		.irt = "",
		.owner_c = "",
		.line = lineno,
		.mailbox_line = lineno,
	};
	owners_add_net(o, &net, file);
}
