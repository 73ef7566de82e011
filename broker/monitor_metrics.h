/*
 * monitor_metrics.h - the broker's counters in the Prometheus text
 * exposition format 0.0.4, for the monitor's /metrics (/varz is
 * monitor_varz.h).  Pure rendering: reads the broker, allocates only in
 * the output buffer.
 */
#ifndef BROKERD_MONITOR_METRICS_H
#define BROKERD_MONITOR_METRICS_H

#include <stdint.h>

#include "stats.h"

struct broker;
struct evbuffer;

#define MONITOR_METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append every metric of b to out (borrowed).  uptime_s: seconds since
 * start.  0, or -1 when out of memory. */
int monitor_metrics(const struct broker *b, double uptime_s,
		    struct evbuffer *out);

/* b's counters as of now: *tot the totals (b->stats.bulk), pools[k] those
 * of pool k (room for POOLS_MAX), each with the traffic of the live
 * connections (struct conn_io, added to the pool's counters only when a
 * connection is freed) added: one walk of the connections. */
void monitor_counters(const struct broker *b, struct bulk_counters *tot,
		      struct bulk_counters *pools);

#endif
