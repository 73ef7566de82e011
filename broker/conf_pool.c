/* conf_pool.c - see conf_pool.h. */
#include "config.h"

#include "conf_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "proto.h"

enum field_kind { F_NUMBER, F_SIZE, F_POLICY, F_BOOL };

struct field_def {
	const char *name;
	enum field_kind kind;
	size_t off, width;
	uint64_t min, max;
};

#define PFIELD(f) offsetof(struct conf_pool, f), \
	sizeof(((struct conf_pool *)0)->f)

static const struct field_def fields[] = {
	{ "max_connections", F_NUMBER, PFIELD(max_connections), 1, 1000000 },
	{ "max_outbound_total", F_SIZE, PFIELD(max_outbound_total), 1024,
	  UINT64_C(1) << 40 },
	{ "max_outbound", F_SIZE, PFIELD(max_outbound), 1024,
	  UINT64_C(1) << 40 },
	{ "max_outbound_msgs", F_NUMBER, PFIELD(max_outbound_msgs), 1,
	  100000000 },
	{ "policy", F_POLICY, PFIELD(policy), 0, 0 },
	{ "max_subs", F_NUMBER, PFIELD(max_subs), 1, 10000000 },
	{ "pub_rate", F_NUMBER, PFIELD(pub_rate), 0, 100000000 },
	{ "pub_burst", F_NUMBER, PFIELD(pub_burst), 0, 100000000 },
	{ "allow_block", F_BOOL, PFIELD(allow_block), 0, 1 },
};

#define NFIELDS (sizeof fields / sizeof fields[0])

void conf_pools_init(struct conf_pools *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->v[0].name, sizeof p->v[0].name, "%s", CONF_POOL_DEFAULT);
	p->n = 1;
}

int conf_pool_index(const struct conf_pools *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A pool name: 1..CONF_POOL_NAME_MAX of [A-Za-z0-9_-]. */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > CONF_POOL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

static void store(struct conf_pool *cp, const struct field_def *f,
		  uint64_t v)
{
	char *p = (char *)cp + f->off;

	if (f->width == sizeof(uint8_t)) {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, sizeof x);
	} else if (f->width == sizeof(uint32_t)) {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, sizeof x);
	} else {
		memcpy(p, &v, sizeof v);
	}
}

/* Parse value for field f into *v.  0 or -1 (reason in err). */
static int parse_value(const struct field_def *f, const char *value,
		       uint64_t *v, char *err, size_t cap)
{
	char *end;

	if (f->kind == F_POLICY) {
		*v = proto_policy_parse(value, strlen(value));
		if (*v == PROTO_POLICY_NONE) {
			snprintf(err, cap, "'%s' is not one of drop-oldest, "
				 "drop-newest, disconnect, block", value);
			return -1;
		}
		return 0;
	}
	if (f->kind == F_BOOL) {
		*v = strcmp(value, "yes") == 0;
		if (!*v && strcmp(value, "no") != 0) {
			snprintf(err, cap, "'%s' is not yes or no", value);
			return -1;
		}
		return 0;
	}
	if (f->kind == F_SIZE ? conf_parse_size(value, v) != 0 :
	    (*value < '0' || *value > '9' ||
	     (*v = strtoull(value, &end, 10), *end != 0))) {
		snprintf(err, cap, "'%s' is not %s", value, f->kind == F_SIZE ?
			 "a size (e.g. 512, 64k, 16M)" : "a number");
		return -1;
	}
	if (*v < f->min || *v > f->max) {
		snprintf(err, cap, "%s out of range (%llu..%llu)", value,
			 (unsigned long long)f->min,
			 (unsigned long long)f->max);
		return -1;
	}
	return 0;
}

static const struct field_def *find_field(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* The pool named name[0..len), created when new; NULL (err set) if the
 * name is bad or there are too many pools. */
static struct conf_pool *pool_for(struct conf_pools *p, const char *name,
				  size_t len, char *err, size_t cap)
{
	char buf[CONF_POOL_NAME_MAX + 1];
	int i;

	if (!name_ok(name, len)) {
		snprintf(err, cap, "pool name must be 1..%d of A-Z a-z 0-9 _ -",
			 CONF_POOL_NAME_MAX);
		return NULL;
	}
	memcpy(buf, name, len);
	buf[len] = 0;
	i = conf_pool_index(p, buf);
	if (i >= 0)
		return &p->v[i];
	if (p->n == CONF_MAX_POOLS) {
		snprintf(err, cap, "too many pools (at most %d)",
			 CONF_MAX_POOLS);
		return NULL;
	}
	memset(&p->v[p->n], 0, sizeof p->v[p->n]);
	memcpy(p->v[p->n].name, buf, len + 1);
	return &p->v[p->n++];
}

int conf_pool_set(struct conf_pools *p, const char *key, const char *value,
		  char *err, size_t err_cap)
{
	const char *name = key + strlen("pool."), *dot;
	const struct field_def *f;
	struct conf_pool *cp;
	uint64_t v;

	dot = strncmp(key, "pool.", 5) == 0 ? strrchr(name, '.') : NULL;
	if (!dot) {
		snprintf(err, err_cap, "expected pool.NAME.SETTING");
		return -1;
	}
	f = find_field(dot + 1);
	if (!f) {
		snprintf(err, err_cap, "unknown pool setting '%s'", dot + 1);
		return -1;
	}
	if (parse_value(f, value, &v, err, err_cap) != 0)
		return -1;
	cp = pool_for(p, name, (size_t)(dot - name), err, err_cap);
	if (!cp)
		return -1;
	store(cp, f, v);
	cp->set |= 1u << (f - fields);
	return 0;
}

/* Field i of from, if set, over to. */
static void take_if_set(struct conf_pool *to, const struct conf_pool *from,
			size_t i)
{
	const struct field_def *f = &fields[i];

	if (from->set & (1u << i))
		memcpy((char *)to + f->off, (const char *)from + f->off,
		       f->width);
}

void conf_pool_resolve(const struct conf *c, const char *name,
		       struct conf_pool *out)
{
	int i = conf_pool_index(&c->pools, name);
	const struct conf_pool *cp = i >= 0 ? &c->pools.v[i] : NULL;

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->max_connections = c->max_clients;
	out->max_outbound_total = UINT64_C(256) * 1024 * 1024;
	out->max_outbound = c->max_outbound;
	out->max_outbound_msgs = 100000;
	out->policy = PROTO_POLICY_DROP_NEWEST;
	out->allow_block = 1;
	out->max_subs = c->max_subs_per_client;
	for (size_t k = 0; cp && k < NFIELDS; k++)
		take_if_set(out, cp, k);
	if (out->pub_burst == 0)
		out->pub_burst = out->pub_rate > 0 ? out->pub_rate : 1;
	out->set = cp ? cp->set : 0;
}
