/*
 * owners_rpsl - RPSL objects (RIPE, APNIC, AFRINIC, LACNIC) and ARIN's
 * bulk whois and whois output into the owners store.  See owners.h for
 * the formats.
 *
 * Both are paragraphs of "name: value" lines separated by blank lines, so
 * one reader collects the attributes we keep (by name, case-insensitive,
 * the first occurrence wins) and the object's kind is decided at its end
 * from its first attribute: inetnum/inet6num, NetHandle/V6NetHandle or
 * NetRange are networks; role/person/irt/organisation, LACNIC's
 * nic-hdl/nic-hdl-br, ARIN's OrgID/POCHandle/OrgName/OrgAbuseHandle are
 * contacts.  Everything else is skipped.
 *
 * ARIN bulk whois field names, from the text layout of ARIN's bulk whois
 * (arin_db.txt: the transform of its XML, namespace
 * http://www.arin.net/bulkwhois/core/v1, as published in public
 * repositories) and whois.arin.net output (e.g. the "n 199.43.0.44" answer
 * kept as test data by github.com/c1982/ripego, arin_test.go).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "owners_int.h"

enum slot {
	S_KEY,		/* the first attribute's value */
	S_NETNAME,
	S_ORG,		/* org:, OrgID:, ownerid: */
	S_ORG_NAME,	/* org-name:, OrgName:, owner: */
	S_ORGANIZATION,	/* ARIN whois output "Organization: Name (ID)" */
	S_COUNTRY,
	S_MAILBOX,	/* abuse-mailbox: */
	S_EMAIL,	/* e-mail:, Mailbox:, OrgAbuseEmail: */
	S_ABUSE_C,	/* abuse-c:, AbuseHandle:, OrgAbuseHandle: */
	S_IRT,		/* mnt-irt: */
	S_OWNER_C,	/* owner-c: */
	S_NIC_HDL,	/* nic-hdl:, nic-hdl-br: */
	S_RANGE,	/* NetRange: */
	S_COUNT
};

struct owners_obj {
	char cls[32];	/* the first attribute's name, lower case; "" between objects */
	char val[S_COUNT][OWNERS_VALUE_MAX + 1];
	size_t line[S_COUNT];
};

static const struct {
	const char *name;
	enum slot slot;
} attrs[] = {
	{ "netname", S_NETNAME },
	{ "org", S_ORG },
	{ "orgid", S_ORG },
	{ "ownerid", S_ORG },
	{ "org-name", S_ORG_NAME },
	{ "orgname", S_ORG_NAME },
	{ "owner", S_ORG_NAME },
	{ "organization", S_ORGANIZATION },
	{ "country", S_COUNTRY },
	{ "abuse-mailbox", S_MAILBOX },
	{ "e-mail", S_EMAIL },
	{ "mailbox", S_EMAIL },
	{ "orgabuseemail", S_EMAIL },
	{ "abuse-c", S_ABUSE_C },
	{ "abusehandle", S_ABUSE_C },
	{ "orgabusehandle", S_ABUSE_C },
	{ "mnt-irt", S_IRT },
	{ "owner-c", S_OWNER_C },
	{ "nic-hdl", S_NIC_HDL },
	{ "nic-hdl-br", S_NIC_HDL },
	{ "netrange", S_RANGE },
};

struct owners_obj *owners_obj_new(void)
{
	return xcalloc(1, sizeof(struct owners_obj));
}

void owners_obj_free(struct owners_obj **obj)
{
	free(*obj);
	*obj = NULL;
}

static void obj_clear(struct owners_obj *obj)
{
	obj->cls[0] = '\0';
	for (int i = 0; i < S_COUNT; i++) {
		obj->val[i][0] = '\0';
		obj->line[i] = 0;
	}
}

static bool is_cls(const struct owners_obj *obj, const char *a, const char *b)
{
	return strcmp(obj->cls, a) == 0 || (b != NULL && strcmp(obj->cls, b) == 0);
}

/* "Google LLC (GOGL)": the handle in the last parentheses into id, the name before it into name. */
static void split_organization(char *text, const char **name_r, const char **id_r)
{
	char *open = strrchr(text, '(');
	char *close = open != NULL ? strchr(open, ')') : NULL;

	*name_r = text;
	*id_r = "";
	if (close == NULL)
		return;
	*close = '\0';
	*id_r = open + 1;
	while (open > text && open[-1] == ' ')
		open--;
	*open = '\0';
}

static void end_network(owners_t *o, struct owners_obj *obj, const char *file)
{
	struct owners_net net = {
		.range = obj->val[S_KEY],
		.netname = obj->val[S_NETNAME],
		.org = obj->val[S_ORG],
		.org_name = obj->val[S_ORG_NAME],
		.country = obj->val[S_COUNTRY],
		.mailbox = obj->val[S_MAILBOX],
		.abuse_c = obj->val[S_ABUSE_C],
		.irt = obj->val[S_IRT],
		.owner_c = obj->val[S_OWNER_C],
		.line = obj->line[S_KEY],
		.mailbox_line = obj->line[S_MAILBOX],
	};

	if (is_cls(obj, "nethandle", "v6nethandle")) {	/* ARIN bulk: the key is the handle */
		net.range = obj->val[S_RANGE];
		net.line = obj->line[S_RANGE] != 0 ? obj->line[S_RANGE] : obj->line[S_KEY];
		net.org_name = "";
	} else if (is_cls(obj, "netrange", NULL)) {	/* ARIN whois output */
		split_organization(obj->val[S_ORGANIZATION], &net.org_name, &net.org);
		net.abuse_c = "";
	}
	owners_add_net(o, &net, file);
}

static void end_contact(owners_t *o, struct owners_obj *obj, const char *file)
{
	const char *key = obj->val[S_KEY];
	const char *mailbox = obj->val[S_MAILBOX];
	size_t mline = obj->line[S_MAILBOX];

	if (is_cls(obj, "role", "person")) {
		key = obj->val[S_NIC_HDL];
	} else if (is_cls(obj, "nic-hdl", "nic-hdl-br") || is_cls(obj, "pochandle", NULL)) {
		if (mailbox[0] == '\0') {	/* LACNIC e-mail:, ARIN Mailbox: */
			mailbox = obj->val[S_EMAIL];
			mline = obj->line[S_EMAIL];
		}
	} else if (is_cls(obj, "orgid", NULL)) {	/* ARIN bulk Org */
		o->arin_org = owners_handle_key(o, key);
	} else if (is_cls(obj, "orgname", NULL)) {	/* ARIN whois output Org: OrgName first, then OrgId */
		key = obj->val[S_ORG];
		o->arin_org = owners_handle_key(o, key);
	} else if (is_cls(obj, "orgabusehandle", NULL)) {	/* ARIN whois output: the Org's abuse POC */
		owners_add_handle(o, key, obj->val[S_EMAIL], obj->line[S_EMAIL], "", "", file);
		if (o->arin_org != 0) {
			char org[OWNERS_VALUE_MAX + 1];
			if (str_copy(org, owners_str(o, o->arin_org), sizeof(org)) == 0)
				owners_add_handle(o, org, "", 0, key, "", file);
		}
		return;
	}
	owners_add_handle(o, key, mailbox, mline, obj->val[S_ABUSE_C], obj->val[S_ORG_NAME], file);
}

static void object_end(owners_t *o, struct owners_obj *obj, const char *file)
{
	static const char *const networks[] = { "inetnum", "inet6num", "nethandle", "v6nethandle", "netrange" };
	static const char *const contacts[] = { "role",	   "person",   "irt",	  "organisation",   "nic-hdl",
						"nic-hdl-br", "orgid", "pochandle", "orgname", "orgabusehandle" };

	if (obj->cls[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(networks) / sizeof(networks[0]); i++)
		if (strcmp(obj->cls, networks[i]) == 0)
			end_network(o, obj, file);
	for (size_t i = 0; i < sizeof(contacts) / sizeof(contacts[0]); i++)
		if (strcmp(obj->cls, contacts[i]) == 0)
			end_contact(o, obj, file);
	obj_clear(obj);
}

/* "Name:   value" -> lower-case name and trimmed value; -1 when not an attribute line. */
static int split_attr(char *line, char **attr_r, char **val_r)
{
	char *colon = strchr(line, ':');

	if (colon == NULL || colon == line)
		return -1;
	for (char *p = line; p < colon; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '/' || (*p >= 'A' && *p <= 'Z')))
			return -1;	/* ARIN's "State/Prov:" has a '/' */
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	}
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	char *end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	char *hash = strstr(v, " #");	/* end-of-line remark */
	if (hash != NULL) {
		*hash = '\0';
		while (hash > v && hash[-1] == ' ')
			*--hash = '\0';
	}
	*attr_r = line;
	*val_r = v;
	return 0;
}

/* Keep at most OWNERS_VALUE_MAX bytes of a value: a longer one is cut, not refused. */
static void keep(struct owners_obj *obj, enum slot slot, const char *val, size_t lineno)
{
	if (obj->line[slot] != 0)
		return;	/* the first occurrence wins: an object may list several abuse-c */
	if (str_copy(obj->val[slot], val, OWNERS_VALUE_MAX + 1) != 0)
		log_debug("owners: value cut to %d bytes", OWNERS_VALUE_MAX);
	obj->line[slot] = lineno;
}

void owners_rpsl_line(owners_t *o, struct owners_obj *obj, char *line, size_t lineno, const char *file)
{
	char *attr, *val;

	if (line[0] == '\0' || line[0] == '\r') {
		object_end(o, obj, file);
		return;
	}
	if (line[0] == '%' || line[0] == '#' || line[0] == ' ' || line[0] == '\t' || line[0] == '+')
		return;
	if (split_attr(line, &attr, &val) != 0) {
		owners_bad_line(o, file, lineno, "not an attribute line");
		return;
	}
	if (obj->cls[0] == '\0') {
		if (str_copy(obj->cls, attr, sizeof(obj->cls)) != 0)
			strcpy(obj->cls, "?");	/* no class we know is that long: skip the object */
		keep(obj, S_KEY, val, lineno);
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (strcmp(attr, attrs[i].name) == 0) {
			keep(obj, attrs[i].slot, val, lineno);
			break;
		}
	}
}

void owners_rpsl_end(owners_t *o, struct owners_obj *obj, const char *file)
{
	object_end(o, obj, file);
	o->arin_org = 0;
}
