/*
 * pool.h - pools: named compartments (bulkheads) of connections, each with
 * its own limits (struct conf_pool) and counters.  A listener names its
 * pool; a connection belongs to one pool for its life.  When a pool is full
 * or over its outbound budget only its own clients feel it.
 *
 * Ownership: the broker owns one struct pools (pools_new/pools_free); the
 * pools inside never move or disappear while it lives (a pool removed from
 * the config on reload is only retired: no new connections, its limits
 * frozen, its counters kept), so connections hold plain borrowed pointers.
 * Limits are re-read from the live conf by pools_reconfigure (SIGHUP).
 */
#ifndef BROKERD_POOL_H
#define BROKERD_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conf_pool.h"
#include "stats.h"

struct conf;
struct conn;

#define POOLS_MAX (2 * CONF_MAX_POOLS)

/* Refusals and evictions are logged at most once per this many ms. */
#define POOL_NOTE_EVERY_MS 1000

TAILQ_HEAD(pool_hs_list, conn);

struct pool {
	struct conf_pool lim; /* effective limits, refreshed on reload */
	struct pool_hs_list handshaking; /* admitted, no HELLO yet, oldest
				    * first (conn.hs_link; borrowed) */
	size_t nconns;		   /* connections admitted and not freed */
	uint64_t out_bytes;	   /* outbound bytes of its clients now */
	uint64_t budget_low_since; /* inbound.c: ms (monotonic) when less
				    * than a tenth of the budget was left,
				    * 0: not low */
	struct bulk_counters st;
	int retired; /* no longer in the config */
};

struct pools {
	struct pool *v[POOLS_MAX]; /* owned */
	size_t n;
	uint64_t noted_at; /* ms (monotonic) of the last refusal or
				    * eviction logged */
	uint64_t unnoted;  /* those not logged since */
};

/* Pools for every pool in conf (at least "default").  NULL when out of
 * memory.  Free with pools_free (after every connection is gone). */
struct pools *pools_new(const struct conf *conf);
void pools_free(struct pools *ps);

/* Re-read every pool's limits from conf (after a reload swapped it in):
 * new pools are added, pools gone from conf are retired.  Connections keep
 * their pool; the new limits apply from their next message.  0, or -1 when
 * a new pool could not be added (out of memory or POOLS_MAX; the others
 * are updated). */
int pools_reconfigure(struct pools *ps, const struct conf *conf);

/* The live (not retired) pool called name (NULL or "" means "default"),
 * borrowed; NULL when there is none. */
struct pool *pool_find(struct pools *ps, const char *name);

/* Put a freshly accepted connection in the pool named pool_name (see
 * pool_find): checks the broker's max_conns_per_addr, then the pool's
 * max_connections: a full pool first evicts its oldest connection that
 * has not sent HELLO (see pools_evict_oldest).  On refusal the connection
 * is sent ERR SERVER_BUSY "pool 'NAME' full" (or the reason) and closed,
 * the refusal counted and logged at notice (at most one line a second);
 * returns -1.  0 when admitted: c is in the pool's handshaking list until
 * pool_handshake_over. */
int pool_admit(struct pools *ps, struct conn *c, const char *pool_name);

/* The broker is full (max_clients): make room by closing the oldest
 * connection, over all pools, that has not sent HELLO, so a flood of
 * sockets that never speak cannot lock out clients that do.  It gets
 * ERR SERVER_BUSY "server full: oldest connection without HELLO closed"
 * and is closed; its broker slot and pool slot are free when this
 * returns; counted as evicted.  The pools' lists are in accept order, so
 * this looks at one connection per pool.  1 when one was evicted, 0 when
 * every connection has sent HELLO. */
int pools_evict_oldest(struct pools *ps);

/* Refuse c, the broker being full and nobody to evict: ERR SERVER_BUSY
 * "too many clients", close, log at notice (at most one line a second). */
void pools_refuse_busy(struct pools *ps, struct conn *c);

/* c sent HELLO or is closing: out of its pool's handshaking list (no-op
 * when not in it). */
void pool_handshake_over(struct conn *c);

/* Take c out of its pool's count and handshaking list (conn_free, or an
 * eviction). */
void pool_leave(struct conn *c);

#endif
