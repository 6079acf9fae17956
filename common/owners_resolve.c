/*
 * owners_resolve - every network's contact, once, after the loads: the
 * abuse-c rules of owners.h, inheritance from the nearest enclosing
 * network, and the trie.
 *
 * The networks are visited in address order, an enclosing network before
 * the ones inside it (first address ascending, last address descending,
 * load order on a tie).  A stack holds the networks that may still enclose
 * the next one, so the nearest enclosing network is found without a second
 * index, and it has been resolved already when its children need it.
 * Inserting the prefixes into the trie in the same order makes the more
 * specific of two objects sharing an exact prefix, or the later of two
 * equal ones, keep it.
 *
 * Memory beyond the records: the order (4 bytes per network, only when the
 * files were not in address order) and the stack (as deep as the nesting),
 * both freed before returning.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "owners_int.h"

#define NO_PARENT UINT32_MAX

/* ---- order --------------------------------------------------------------- */

static int rec_cmp(const owners_t *o, uint32_t a, uint32_t b)
{
	int c = addr_cmp(&o->rec[a].first, &o->rec[b].first);
	if (c == 0)
		c = addr_cmp(&o->rec[b].last, &o->rec[a].last);
	return c != 0 ? c : (a < b ? -1 : a > b);
}

static void sift_down(const owners_t *o, uint32_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && rec_cmp(o, v[child], v[child + 1]) < 0)
			child++;
		if (rec_cmp(o, v[root], v[child]) >= 0)
			return;
		uint32_t t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

/* Heapsort: in place, no allocation, n log n even on hostile input. */
static void sort_order(const owners_t *o, uint32_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(o, v, i, n);
	for (size_t end = n; end > 1; end--) {
		uint32_t t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(o, v, 0, end - 1);
	}
}

/* ---- one network's own search -------------------------------------------- */

struct search {
	uint32_t contact, via_handle;
	uint32_t refused;	/* refused[] index + 1 of the first refused mailbox met */
	enum owner_via via;
	enum owner_why why;	/* the worst reason met so far */
};

static void note(struct search *s, enum owner_why why)
{
	if (why > s->why)
		s->why = why;
}

/* The mailbox a handle leads to, following at most depth references. */
static uint32_t follow(const owners_t *o, uint32_t key, unsigned depth, struct search *s)
{
	const struct owners_handle *h = owners_handle_find(o, key);

	if (h == NULL) {
		note(s, OWNER_WHY_UNKNOWN_HANDLE);
		return 0;
	}
	if (h->mailbox != 0)
		return h->mailbox;
	if (h->refused != 0) {
		note(s, OWNER_WHY_REFUSED);
		if (s->refused == 0)
			s->refused = h->refused;
	}
	if (h->ref != 0 && depth > 1)
		return follow(o, h->ref, depth - 1, s);
	if (h->refused == 0)
		note(s, OWNER_WHY_NO_MAILBOX);
	return 0;
}

/* Steps 1 to 4 of owners.h on r alone (its u.ref still holds the references). */
static void search_own(const owners_t *o, const struct owners_rec *r, struct search *s)
{
	const struct {
		enum owner_via via;
		uint32_t key;
	} steps[] = {
		{ OWNER_VIA_ABUSE_C, r->u.ref.abuse_c },
		{ OWNER_VIA_ORG, r->org },
		{ OWNER_VIA_IRT, r->u.ref.irt },
	};

	memset(s, 0, sizeof(*s));
	if (r->why == OWNER_WHY_REFUSED) {	/* its own abuse-mailbox was refused */
		note(s, OWNER_WHY_REFUSED);
		s->refused = r->contact + 1;
	} else if (r->contact != 0) {
		s->contact = r->contact;
		s->via = OWNER_VIA_MAILBOX;
		return;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].key == 0)
			continue;
		s->contact = follow(o, steps[i].key, OWNERS_REF_DEPTH, s);
		if (s->contact != 0) {
			s->via = steps[i].via;
			s->via_handle = steps[i].key;
			return;
		}
	}
	note(s, OWNER_WHY_NO_CONTACT);
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	uint32_t *stack;
	size_t depth, cap;
	size_t refused_nets, refused_none, logged;
};

/* The nearest network on the stack that holds r whole, or NO_PARENT. */
static uint32_t find_parent(const owners_t *o, struct walk *w, const struct owners_rec *r)
{
	while (w->depth > 0 && addr_cmp(&o->rec[w->stack[w->depth - 1]].last, &r->first) < 0)
		w->depth--;	/* ends before r starts: it holds nothing from here on */
	for (size_t j = w->depth, seen = 0; j > 0 && seen < OWNERS_PARENT_SCAN; j--, seen++) {
		if (addr_cmp(&o->rec[w->stack[j - 1]].last, &r->last) >= 0)
			return w->stack[j - 1];
	}
	return NO_PARENT;
}

static void log_refused(const owners_t *o, struct walk *w, const struct owners_rec *r, const struct search *own)
{
	const struct owners_refused *x = &o->refused[own->refused - 1];
	char net[OWNERS_NET_TEXT_MAX], name[OWNERS_VALUE_MAX + 1];
	const char *s = owners_str(o, r->netname);
	size_t n = 0;

	w->refused_nets++;
	w->refused_none += r->contact == 0;
	if (++w->logged > OWNERS_REFUSED_LOG_MAX)
		return;
	owners_format_range(r, net);
	for (; s[n] != '\0' && n < OWNERS_VALUE_MAX; n++)	/* a log line gets printable ASCII only */
		name[n] = s[n] >= ' ' && s[n] < 0x7f ? s[n] : '?';
	name[n] = '\0';
	log_warning("%s:%u: contact refused (%s) for %s%s%s%s; %s", owners_str(o, x->file), x->line,
		    mailbox_status_text((enum mailbox_status)x->status), net, n > 0 ? " (" : "", name, n > 0 ? ")" : "",
		    r->contact == 0 ? "it has no contact" : r->u.res.src != (uint32_t)(r - o->rec) ? "it inherits one"
											   : "another one is used");
}

/* Resolve rec[i], whose parent (resolved already) is p or NO_PARENT. */
static void resolve_one(owners_t *o, struct walk *w, uint32_t i, uint32_t p)
{
	struct owners_rec *r = &o->rec[i];
	const struct owners_rec *pr = p != NO_PARENT ? &o->rec[p] : NULL;
	struct search s;
	uint32_t src = i;

	search_own(o, r, &s);
	struct search own = s;
	uint32_t owner_c = r->u.ref.owner_c;
	if (s.contact == 0 && pr != NULL && pr->contact != 0) {
		s.contact = pr->contact;
		s.via = (enum owner_via)pr->via;
		s.via_handle = pr->u.res.via_handle;
		src = pr->u.res.src;
	} else if (s.contact == 0 && owner_c != 0) {
		s.contact = follow(o, owner_c, OWNERS_REF_DEPTH, &s);
		s.via = OWNER_VIA_OWNER_C;
		s.via_handle = owner_c;
	}
	if (s.contact == 0 && pr != NULL && pr->why > s.why) {	/* the enclosing network's reason is worse */
		s.why = (enum owner_why)pr->why;
		s.refused = pr->why == OWNER_WHY_REFUSED ? pr->u.res.src + 1 : 0;
	}
	r->contact = s.contact;
	r->via = (uint8_t)(s.contact != 0 ? s.via : OWNER_VIA_NONE);
	r->why = (uint8_t)(s.contact != 0 ? OWNER_WHY_NONE : s.why);
	r->u.res.via_handle = s.contact != 0 ? s.via_handle : 0;
	r->u.res.src = s.contact != 0 ? src : (s.why == OWNER_WHY_REFUSED && s.refused != 0 ? s.refused - 1 : 0);
	r->u.res.spare = 0;
	o->no_abuse += s.contact == 0;
	o->inherited += s.contact != 0 && src != i;
	if (own.refused != 0)
		log_refused(o, w, r, &own);
}

struct insert_ctx {
	owners_t *o;
	uint32_t idx;
};

static int insert_prefix(const addr_t *prefix, unsigned plen, void *arg)
{
	struct insert_ctx *c = arg;

	(void)cidrset_insert(c->o->set, prefix, plen, c->idx);
	return 0;
}

/* Are the networks loaded in the walk's order already (most registry dumps are)? */
static bool in_order(const owners_t *o)
{
	for (size_t i = 1; i < o->n_rec; i++)
		if (rec_cmp(o, (uint32_t)(i - 1), (uint32_t)i) > 0)
			return false;
	return true;
}

void owners_resolve(owners_t *o)
{
	uint32_t *order = NULL;	/* NULL: the load order is the walk's order */
	struct walk w = { 0 };

	o->no_abuse = o->inherited = 0;
	if (!in_order(o)) {
		order = xreallocarray(NULL, o->n_rec, sizeof(*order));
		for (size_t i = 0; i < o->n_rec; i++)
			order[i] = (uint32_t)i;
		sort_order(o, order, o->n_rec);
	}
	for (size_t k = 0; k < o->n_rec; k++) {
		uint32_t i = order != NULL ? order[k] : (uint32_t)k;
		uint32_t p = find_parent(o, &w, &o->rec[i]);
		resolve_one(o, &w, i, p);
		if (w.depth == w.cap) {
			w.cap = w.cap ? w.cap * 2 : 64;
			w.stack = xreallocarray(w.stack, w.cap, sizeof(*w.stack));
		}
		w.stack[w.depth++] = i;
		struct insert_ctx c = { o, i };
		(void)addr_range_split(&o->rec[i].first, &o->rec[i].last, insert_prefix, &c);
	}
	free(order);
	free(w.stack);
	if (o->n_refused > 0)
		log_warning("owners: %zu contacts refused (not one valid mailbox with a domain); %zu networks named "
			    "one, %zu of them have no contact",
			    o->n_refused, w.refused_nets, w.refused_none);
}
