/* pool.c - see pool.h. */
#include "config.h"

#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "conf.h"
#include "clock.h"
#include "conn.h"

/* Add a pool called name with its limits from conf.  0 or -1. */
static int add_pool(struct pools *ps, const struct conf *conf, const char *name)
{
	struct pool *p;

	if (ps->n == POOLS_MAX)
		return -1;
	p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	conf_pool_resolve(conf, name, &p->lim);
	TAILQ_INIT(&p->handshaking);
	ps->v[ps->n++] = p;
	return 0;
}

/* Any pool (retired or not) called name, or NULL. */
static struct pool *by_name(struct pools *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i]->lim.name, name) == 0)
			return ps->v[i];
	return NULL;
}

/* Is name a pool of conf: set by a key, or named by a listen line? */
static int in_conf(const struct conf *conf, const char *name)
{
	if (conf_pool_index(&conf->pools, name) >= 0)
		return 1;
	for (unsigned i = 0; i < conf->nlisten; i++)
		if (strcmp(conf->listen[i].pool, name) == 0)
			return 1;
	return 0;
}

/* Update or add the pool called name.  0 or -1. */
static int refresh(struct pools *ps, const struct conf *conf, const char *name)
{
	struct pool *p = by_name(ps, name);

	if (!p)
		return add_pool(ps, conf, name);
	conf_pool_resolve(conf, name, &p->lim);
	return 0;
}

int pools_reconfigure(struct pools *ps, const struct conf *conf)
{
	int rc = 0;

	for (size_t i = 0; i < ps->n; i++)
		ps->v[i]->retired = !in_conf(conf, ps->v[i]->lim.name);
	for (size_t i = 0; i < conf->pools.n; i++)
		if (refresh(ps, conf, conf->pools.v[i].name) != 0)
			rc = -1;
	for (unsigned i = 0; i < conf->nlisten; i++)
		if (conf->listen[i].pool[0] &&
		    refresh(ps, conf, conf->listen[i].pool) != 0)
			rc = -1;
	return rc;
}

struct pools *pools_new(const struct conf *conf)
{
	struct pools *ps = calloc(1, sizeof *ps);

	if (!ps)
		return NULL;
	if (pools_reconfigure(ps, conf) != 0) {
		pools_free(ps);
		return NULL;
	}
	return ps;
}

void pools_free(struct pools *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps);
}

struct pool *pool_find(struct pools *ps, const char *name)
{
	struct pool *p = by_name(ps, name && *name ? name : CONF_POOL_DEFAULT);

	return p && !p->retired ? p : NULL;
}

/* Other connections from c's IP address (none for a unix socket). */
static size_t same_addr(const struct conn *c)
{
	const struct conn *o;
	size_t n = 0;

	TAILQ_FOREACH(o, &c->b->conns, link)
	if (o != c && o->state != CONN_CLOSING && conn_same_host(o, c))
		n++;
	return n;
}

/* Log a refusal or an eviction at notice, at most one line a second: a
 * flood of connections must not become a flood of log lines. */
static void note(struct pools *ps, const struct conn *c, const char *what)
{
	uint64_t now = clock_mono_ms();

	if (ps->noted_at != 0 && now - ps->noted_at < POOL_NOTE_EVERY_MS) {
		ps->unnoted++;
		return;
	}
	conn_log(c, LOG_LEVEL_NOTICE, "%s (%llu more not logged)", what,
		 (unsigned long long)ps->unnoted);
	ps->noted_at = now;
	ps->unnoted = 0;
}

/* Refuse c: count, log, ERR SERVER_BUSY, close. */
static int refuse(struct pools *ps, struct conn *c, uint64_t *counter,
		  uint64_t *total, const char *why)
{
	char what[128];

	(*counter)++;
	(*total)++;
	snprintf(what, sizeof what, "refused: %s", why);
	note(ps, c, what);
	conn_fail(c, PROTO_E_SERVER_BUSY, why);
	return -1;
}

/* Close old (NULL: nobody to evict, 0) to make room; its slots are free
 * when this returns.  1 when evicted. */
static int evict(struct pools *ps, struct conn *old)
{
	if (!old)
		return 0;
	old->ob.pool->st.evicted++;
	old->b->stats.bulk.evicted++;
	note(ps, old, "evicted: no HELLO yet and the server is full");
	pool_leave(old);
	broker_release_slot(old->b, old);
	conn_fail(old, PROTO_E_SERVER_BUSY,
		  "server full: oldest connection without HELLO closed");
	return 1;
}

int pools_evict_oldest(struct pools *ps)
{
	struct conn *old = NULL, *h;

	/* Ids grow in accept order: the oldest head is the oldest. */
	for (size_t i = 0; i < ps->n; i++) {
		h = TAILQ_FIRST(&ps->v[i]->handshaking);
		if (h && (!old || h->id < old->id))
			old = h;
	}
	return evict(ps, old);
}

void pools_refuse_busy(struct pools *ps, struct conn *c)
{
	note(ps, c, "refused: too many clients");
	conn_fail(c, PROTO_E_SERVER_BUSY, "too many clients");
}

int pool_admit(struct pools *ps, struct conn *c, const char *pool_name)
{
	struct pool *p = pool_find(ps, pool_name);
	struct bulk_counters *tot = &c->b->stats.bulk;
	uint32_t per_addr = c->b->conf.max_conns_per_addr;
	char why[96];

	if (!p) {
		c->ob.pool = ps->v[0];
		outbound_account(c);
		snprintf(why, sizeof why, "no pool '%.40s'", pool_name);
		return refuse(ps, c, &ps->v[0]->st.refused_full,
			      &tot->refused_full, why);
	}
	c->ob.pool = p;
	outbound_account(c);
	/* The address first: a refused connection evicts nobody. */
	if (per_addr > 0 && same_addr(c) >= per_addr)
		return refuse(ps, c, &p->st.refused_addr, &tot->refused_addr,
			      "too many connections from this address");
	if (p->nconns >= p->lim.max_connections &&
	    !evict(ps, TAILQ_FIRST(&p->handshaking))) {
		snprintf(why, sizeof why, "pool '%s' full", p->lim.name);
		return refuse(ps, c, &p->st.refused_full, &tot->refused_full,
			      why);
	}
	p->nconns++;
	c->ob.admitted = 1;
	if (c->state == CONN_HANDSHAKE) {
		TAILQ_INSERT_TAIL(&p->handshaking, c, hs_link);
		c->hs_linked = 1;
	}
	return 0;
}

void pool_handshake_over(struct conn *c)
{
	if (c->hs_linked) {
		TAILQ_REMOVE(&c->ob.pool->handshaking, c, hs_link);
		c->hs_linked = 0;
	}
}

void pool_leave(struct conn *c)
{
	pool_handshake_over(c);
	if (c->ob.admitted && c->ob.pool) {
		c->ob.pool->nconns--;
		c->ob.admitted = 0;
	}
}
