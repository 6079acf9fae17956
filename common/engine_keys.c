/*
 * engine_keys - the engine's small string work: the LRU key of a source,
 * the in-flight key of a lookup, sender domains, hashing.  Keys are built on
 * the stack while they fit (ENGINE_KEY_STACK), because every check builds
 * several and the heap showed in profiles.  See engine_int.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "mem.h"

unsigned engine_hash_str(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The domain of an envelope sender ("<u@Example.ORG>" -> "example.org"), or NULL:
 * in stack[size] when it fits, else in *heap_r (caller frees). */
char *engine_sender_domain(const char *sender, char *stack, size_t size, char **heap_r)
{
	const char *at;
	size_t len;

	*heap_r = NULL;
	if (sender == NULL || (at = strrchr(sender, '@')) == NULL || at[1] == '\0')
		return NULL;
	at++;
	len = strlen(at);
	if (len > 0 && at[len - 1] == '>')
		len--;
	if (len == 0)
		return NULL;
	char *d = len < size ? stack : (*heap_r = xmalloc(len + 1));
	for (size_t i = 0; i < len; i++)
		d[i] = (char)((at[i] >= 'A' && at[i] <= 'Z') ? at[i] - 'A' + 'a' : at[i]);
	d[len] = '\0';
	return d;
}

char *engine_sender_domain_dup(const char *sender)
{
	char stack[ENGINE_DOMAIN_STACK], *heap;
	const char *d = engine_sender_domain(sender, stack, sizeof(stack), &heap);

	if (heap != NULL || d == NULL)
		return heap;
	return xstrdup(d);
}

char *engine_lower_dup(const char *s)
{
	if (s == NULL || *s == '\0')
		return NULL;
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	return d;
}


void engine_key_init(struct engine_key *k)
{
	buf_init(&k->spill);
	k->len = 0;
}

void engine_key_done(struct engine_key *k)
{
	buf_free(&k->spill);
}

void engine_key_add(struct engine_key *k, const char *p, size_t n)
{
	if (k->spill.len == 0 && k->len + n < sizeof(k->stack)) {
		memcpy(k->stack + k->len, p, n);
	} else {
		if (k->spill.len == 0)
			buf_append(&k->spill, k->stack, k->len);
		buf_append(&k->spill, p, n);
	}
	k->len += n;
}

/* The key's bytes, NUL-terminated (the terminator is not part of len). */
const char *engine_key_data(struct engine_key *k)
{
	if (k->spill.len > 0)
		return buf_cstr(&k->spill);
	k->stack[k->len] = '\0';
	return k->stack;
}

/* The LRU key of one source for one subject: kind, name, NUL, subject. */
const char *engine_cache_key(const struct engine_source *s, const char *subject, struct engine_key *key)
{
	char kind = (char)('0' + s->kind);

	buf_reset(&key->spill);
	key->len = 0;
	engine_key_add(key, &kind, 1);
	engine_key_add(key, s->name, strlen(s->name) + 1);
	engine_key_add(key, subject, strlen(subject));
	return engine_key_data(key);
}

