/*
 * conf_pool.h - the settings of the broker's pools (bulkheads), read from
 * `pool.NAME.KEY value` lines of brokerd.conf (conf.c hands every key that
 * starts with "pool." to conf_pool_set).
 *
 *   pool.NAME.max_connections     connections at once (default: max_clients)
 *   pool.NAME.max_outbound_total  outbound bytes of all its clients (256M)
 *   pool.NAME.max_outbound        outbound bytes per client (max_outbound)
 *   pool.NAME.max_outbound_msgs   outbound messages per client (100000)
 *   pool.NAME.policy              drop-oldest | drop-newest | disconnect
 *                                 | block (drop-newest)
 *   pool.NAME.allow_block         may SUBs ask for block (yes); no:
 *                                 drop-newest instead
 *   pool.NAME.max_subs            subscriptions per client
 *                                 (max_subs_per_client)
 *   pool.NAME.pub_rate            frames (PUB/SUB/UNSUB) per second per
 *                                 client, 0 = unlimited (0)
 *   pool.NAME.pub_burst           bucket size for pub_rate (pub_rate)
 *
 * A key not given falls back to the global key in parentheses (read when
 * the pool is resolved, so the order of lines does not matter) or the
 * built-in default.  The pool "default" always exists; any other pool
 * exists once a pool.NAME.* line names it (conf.c also requires that of a
 * pool a listen line names; pool.c would give such a pool the defaults).  Plain data in fixed
 * arrays: a struct conf copies by value, no allocation, no global state.
 */
#ifndef BROKERD_CONF_POOL_H
#define BROKERD_CONF_POOL_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_POOLS 16
#define CONF_POOL_NAME_MAX 63 /* bytes, without the NUL */
#define CONF_POOL_DEFAULT "default"

struct conf;

/* One pool's limits; in a struct conf_pools only the keys flagged in
 * `set` are meaningful (see conf_pool_resolve). */
struct conf_pool {
	char name[CONF_POOL_NAME_MAX + 1];
	uint32_t set; /* bit per key given, private */
	uint32_t max_connections;
	uint64_t max_outbound_total;
	uint64_t max_outbound;
	uint32_t max_outbound_msgs;
	uint8_t policy;	     /* enum proto_policy, never NONE */
	uint8_t allow_block; /* SUBs may ask for block */
	uint32_t max_subs;
	uint32_t pub_rate;
	uint32_t pub_burst;
};

struct conf_pools {
	struct conf_pool v[CONF_MAX_POOLS];
	size_t n;
};

/* Only the pool "default", nothing set. */
void conf_pools_init(struct conf_pools *p);

/* Set `key` ("pool.NAME.FIELD") from its text value, creating the pool
 * NAME on first use.  0, or -1 with the reason in err[0..err_cap) (bad
 * name, unknown field, bad value, too many pools); p unchanged then. */
int conf_pool_set(struct conf_pools *p, const char *key, const char *value,
		  char *err, size_t err_cap);

/* Index of the pool called name, or -1. */
int conf_pool_index(const struct conf_pools *p, const char *name);

/* The effective limits of the pool called name into *out: keys not set
 * (all of them for a pool that only a listen line names) come from c's
 * global keys or the built-in defaults. */
void conf_pool_resolve(const struct conf *c, const char *name,
		       struct conf_pool *out);

#endif
