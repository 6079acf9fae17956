/*
 * json - the little JSON writing relayguard needs (relayguard-ctl --json,
 * X-ARF reports): strings escaped per RFC 8259, appended to a struct buf.
 * No parser.  Reentrant.
 */
#ifndef RELAYGUARD_JSON_H
#define RELAYGUARD_JSON_H

#include "buf.h"

/* Append s as a JSON string ("..." with escapes); NULL becomes null.  A
 * byte that is not part of valid UTF-8 becomes \ufffd, so the output is
 * valid JSON whatever the bytes (a registry's netname, a client's HELO). */
void json_str(struct buf *out, const char *s);
/* Append "key": with a leading comma when out does not end in '{' or '['. */
void json_key(struct buf *out, const char *key);

#endif
