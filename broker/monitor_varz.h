/*
 * monitor_varz.h - the monitor's /varz: server, version, uptime, the
 * settings in force, totals, drops by reason and one object per pool, as
 * JSON (docs/MONITORING.md).  Pure rendering: reads the broker (one walk
 * of the connections for the pools' subscription counts), allocates only
 * in the output buffer.
 */
#ifndef BROKERD_MONITOR_VARZ_H
#define BROKERD_MONITOR_VARZ_H

#include <stdint.h>

struct broker;
struct evbuffer;

/* Append the /varz JSON object of b to out (borrowed).  uptime_s: seconds
 * since start; start_unix: the wall clock then.  0, or -1 when out of
 * memory. */
int monitor_varz(const struct broker *b, double uptime_s, int64_t start_unix,
		 struct evbuffer *out);

#endif
