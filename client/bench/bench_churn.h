/*
 * bench_churn.h - the churn workload (see bench_routing.h): request/reply
 * with a fresh inbox subscription per request, beside a steady stream,
 * then a SUB/UNSUB flood on one connection.
 */
#ifndef BENCH_CHURN_H
#define BENCH_CHURN_H

#include "bench_rt.h"

/* Run it on r (no clients yet) and print the result line.  0 / -1. */
int bench_churn_run(struct rt *r);

#endif
