/*
 * stats.h - counters.  The broker owns one struct broker_stats (totals);
 * each pool owns a struct bulk_counters (its share).  The modules that count
 * (router, connections, pools) hold borrowed pointers to them.  stats_json
 * renders every counter as JSON for $SYS (see sys_topics.h).
 */
#ifndef BROKERD_STATS_H
#define BROKERD_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Drops, refusals and disconnects: kept per pool and in total. */
struct bulk_counters {
	uint64_t delivered;	 /* MSGs queued to subscribers */
	uint64_t dropped;	 /* MSGs dropped, all reasons (sum below) */
	uint64_t dropped_oldest; /* queue full, drop-oldest discarded it */
	uint64_t dropped_newest; /* queue full, the new one discarded */
	uint64_t dropped_budget; /* the pool's outbound budget was used up */
	uint64_t dropped_disconnect; /* queued when a slow client was cut off */
	uint64_t slow_disconnects;   /* clients cut off by policy disconnect */
	uint64_t refused_full;	     /* connections refused: pool full */
	uint64_t refused_addr;	     /* refused: max_conns_per_addr */
	uint64_t evicted;	     /* closed before HELLO to make room for
				     * a new connection (pool.h) */
	uint64_t frame_timeouts;     /* cut off: partial frame too slow */
	uint64_t rate_pauses;	     /* reading paused: pub_rate */
	uint64_t budget_pauses;	     /* reading paused: outbound budget */
	uint64_t block_pauses;	     /* publishers paused by block subscribers
				     * (counted in the subscriber's pool) */
	uint64_t block_pause_ms;     /* the total length of those pauses */
	uint64_t block_stalls;	     /* block subscribers found stalled */
	/* Traffic of the connections gone (conn.io, added as each is
	 * freed): the monitor adds the live ones' (monitor_counters). */
	uint64_t msgs_in;	  /* PUBs received from its clients */
	uint64_t bytes_in;	  /* frame bytes received from them */
	uint64_t bytes_out;	  /* frame bytes queued to them */
	uint64_t slow_consumers;  /* episodes: a subscriber began dropping
				      * or was cut off (drop ... NOTICE), or
				      * began pausing its publishers (block) */
	uint64_t notices_dropped; /* NOTICE frames sent, by kind */
	uint64_t notices_lame_duck;
	uint64_t notices_policy;
};

struct broker_stats {
	uint64_t published;   /* PUBs accepted and routed */
	uint64_t delivered;   /* MSGs queued to subscribers (= bulk) */
	uint64_t dropped;     /* MSGs dropped (= bulk.dropped) */
	uint64_t connections; /* connections accepted */
	uint64_t errors_sent; /* ERR frames sent */
	uint64_t payload_in;  /* payload bytes of the PUBs routed */
	uint64_t payload_out; /* payload bytes of the MSGs queued */
	uint64_t forbidden;   /* PUBs and SUBs refused by the rules (authz.h) */
	uint64_t revoked;     /* subscriptions a reload's rules removed */
	struct bulk_counters bulk;
};

struct broker;
struct pool;

/* Write the broker's totals as one JSON object into buf[0..cap)
 * (NUL-terminated).  Returns the length, or 0 when cap is too small. */
size_t stats_json_broker(const struct broker *b, char *buf, size_t cap);

/* The same for one pool. */
size_t stats_json_pool(const struct pool *p, char *buf, size_t cap);

/* Everything: {"broker": {...}, "pools": {"NAME": {...}, ...}}. */
size_t stats_json_all(const struct broker *b, char *buf, size_t cap);

#endif
