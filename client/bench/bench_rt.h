/*
 * bench_rt.h - the small engine under the routing workloads
 * (bench_routing.c): many clients on one event_base, driven in
 * straight-line phases ("connect these", "wait until that") instead of
 * the callback state machine of bench_run.c, because these workloads are
 * sequences of bulk steps rather than one steady stream.
 *
 * Ownership: struct rt owns its event_base, tick event and clients (all
 * freed by rt_free); everything else is borrowed.
 */
#ifndef BENCH_RT_H
#define BENCH_RT_H

#include <stddef.h>
#include <stdint.h>

#include "bench_args.h"
#include "brokerclient.h"

struct event;
struct event_base;

struct rt {
	const struct bench_cfg *cfg; /* borrowed */
	struct event_base *base;     /* owned */
	struct event *tick;	     /* owned: wakes waits regularly */
	bc_client **cl;		     /* owned, ncl clients */
	int ncl, cap;
	int nconnected;
	int acks;	   /* acknowledged publishes pending */
	uint64_t received; /* messages to rt_count_msg */
	double t_last_rx;  /* rt_drain: last progress (s) */
	uint64_t deadline; /* ns; the run fails after it */
	int failed;
	char err[200];
};

/* Set up (0) or fail (-1, message on stderr). */
int rt_init(struct rt *r, const struct bench_cfg *cfg);
/* Close the clients, free everything. */
void rt_free(struct rt *r);

/* Record the first error; waits stop. */
void rt_fail(struct rt *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Connect n more clients (appended to r->cl) and wait for all. 0 / -1. */
int rt_connect(struct rt *r, int n);

/* Run the loop until done(r, arg) is true: 0, or -1 on failure or when
 * the deadline passes.  done is checked at least every tick (10 ms). */
int rt_wait(struct rt *r, int (*done)(const struct rt *, const void *),
	    const void *arg);

/* Run the loop until the broker answered an acknowledged publish on each
 * client in cl[from..to): their earlier SUBs/UNSUBs are then in effect. */
int rt_sync(struct rt *r, int from, int to);

/* Process what is ready without waiting. */
void rt_poll(struct rt *r);

/* Publish (waits while the client's output buffer is full). 0 / -1. */
int rt_publish(struct rt *r, bc_client *c, const char *topic, const void *data,
	       size_t len, const char *reply_to);

/* Message callback that counts into r->received (arg: r). */
void rt_count_msg(bc_client *c, const bc_msg *m, void *arg);

/* Wait until r->received reaches want, or nothing arrived for 1 s (what
 * is missing then is lost).  0 / -1. */
int rt_drain(struct rt *r, uint64_t want);

/* The broker's resident memory (KiB) and CPU time (user + system, s) from
 * /proc, when cfg->broker_pid is set; 0 otherwise or when unreadable. */
uint64_t rt_broker_rss_kib(const struct rt *r);
double rt_broker_cpu(const struct rt *r);

/* Monotonic seconds. */
double rt_now(void);

#endif
