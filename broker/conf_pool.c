/* conf_pool.c - see conf_pool.h. */
#include "config.h"

#include "conf_pool.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_value.h"
#include "proto.h"

static int word_policy(const char *s, int *out);

#define NUM(name, kind, f, min, max)                                         \
	{                                                                    \
		name, kind, CONF_FIELD(struct conf_pool, f), min, max, 0, 0, \
			NULL, NULL                                           \
	}

static const struct conf_key fields[] = {
	NUM("max_connections", CONF_NUMBER, max_connections, 1, 1000000),
	NUM("max_outbound_total", CONF_SIZE, max_outbound_total, 1024,
	    UINT64_C(1) << 40),
	NUM("max_outbound", CONF_SIZE, max_outbound, 1024, UINT64_C(1) << 40),
	NUM("max_outbound_msgs", CONF_NUMBER, max_outbound_msgs, 1, 100000000),
	{ "policy", CONF_WORD, CONF_FIELD(struct conf_pool, policy), 0, 0, 0, 0,
	  word_policy, "one of drop-oldest, drop-newest, disconnect, block" },
	NUM("max_subs", CONF_NUMBER, max_subs, 1, 10000000),
	NUM("pub_rate", CONF_NUMBER, pub_rate, 0, 100000000),
	NUM("pub_burst", CONF_NUMBER, pub_burst, 0, 100000000),
	{ "allow_block", CONF_WORD, CONF_FIELD(struct conf_pool, allow_block),
	  0, 0, 0, 0, conf_parse_bool, "yes or no" },
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

/* The CONF_WORD parser of policy: never PROTO_POLICY_NONE. */
static int word_policy(const char *s, int *out)
{
	enum proto_policy p = proto_policy_parse(s, strlen(s));

	if (p == PROTO_POLICY_NONE)
		return -1;
	*out = (int)p;
	return 0;
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
	const struct conf_key *f;
	struct conf_pool *cp, tmp;

	dot = strncmp(key, "pool.", 5) == 0 ? strrchr(name, '.') : NULL;
	if (!dot) {
		snprintf(err, err_cap, "expected pool.NAME.SETTING");
		return -1;
	}
	f = conf_key_find(fields, NFIELDS, dot + 1);
	if (!f) {
		snprintf(err, err_cap, "unknown pool setting '%s'", dot + 1);
		return -1;
	}
	/* the value is judged before the pool is made: a bad line must not
	 * leave a new, empty pool behind */
	if (conf_value_set(&tmp, f, value, err, err_cap) != 0)
		return -1;
	cp = pool_for(p, name, (size_t)(dot - name), err, err_cap);
	if (!cp)
		return -1;
	memcpy((char *)cp + f->off, (char *)&tmp + f->off, f->width);
	cp->set |= 1u << (f - fields);
	return 0;
}

/* Field i of from, if set, over to. */
static void take_if_set(struct conf_pool *to, const struct conf_pool *from,
			size_t i)
{
	const struct conf_key *f = &fields[i];

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
