/*
 * stats.h - broker-wide counters.  Owned by the broker struct; the modules
 * that count (router, connections) hold a borrowed pointer to it.
 */
#ifndef BROKERD_STATS_H
#define BROKERD_STATS_H

#include <stdint.h>

struct broker_stats {
	uint64_t published;     /* PUBs accepted and routed */
	uint64_t delivered;     /* MSGs queued to subscribers */
	uint64_t dropped;       /* MSGs dropped (slow consumer) */
	uint64_t connections;   /* connections accepted */
	uint64_t errors_sent;   /* ERR frames sent */
};

#endif
