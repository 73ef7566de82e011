/*
 * bench_routing.h - broker-bench's routing workloads (--workload NAME):
 * many topics, wildcard patterns, subscription churn and a million
 * subscriptions (issue #17).  The other workloads publish to one topic;
 * these measure the broker's subscription index instead.
 *
 *   topics     --conns subscribers (10) share --subs exact subscriptions
 *              (100000, one topic each: site.S.dev.D.temp) plus two
 *              wildcards each; one publisher cycles through the topics.
 *   wildcards  --conns subscribers (1000) with one pattern each, of three
 *              shapes (w.A.*.c, w.A.>, *.*.B.c); publishes spread over
 *              10000 topics w.A.B.c.
 *   churn      --conns connections (1) each repeat, with 64 in flight:
 *              SUB an inbox, request with that reply-to, take the one
 *              reply, UNSUB; a publisher/subscriber pair streams on
 *              another topic meanwhile.  Then one connection floods
 *              SUB/UNSUB pairs back to back.
 *   subs       --subs subscriptions (1000000) over --conns connections
 *              (10000): time to subscribe, broker memory per
 *              subscription, then 1->1 publish rate while they exist.
 *
 * With --broker-pid, the broker's RSS and CPU time are read from /proc
 * (any broker on this machine).  Output: one line of key=value pairs.
 */
#ifndef BENCH_ROUTING_H
#define BENCH_ROUTING_H

#include "bench_args.h"

/* Run cfg->workload; prints its result line on stdout.  Returns the exit
 * status (0, or BENCH_EXIT_RUNTIME after an error, reported on stderr). */
int bench_routing_run(const struct bench_cfg *cfg);

#endif
