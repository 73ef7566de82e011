/*
 * bench_report.h - the outcome of one broker-bench run and how it is
 * printed: text for people, or one CSV row, or one JSON object.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "bench_args.h"
#include "bench_hist.h"

/* One side (publishers or subscribers) of a run. */
struct bench_side {
	int clients;
	uint64_t msgs;	   /* messages sent / received in all */
	uint64_t bytes;	   /* payload bytes of those */
	double secs;	   /* first send to last ack / last receive */
	double min_rate;   /* slowest client, msgs/s */
	double max_rate;   /* fastest client, msgs/s */
	uint64_t min_msgs; /* fewest messages one client handled */
	uint64_t max_msgs; /* most */
};

struct bench_result {
	const struct bench_cfg *cfg; /* borrowed */
	struct bench_side pub;	     /* publishers or requesters */
	struct bench_side sub;	     /* subscribers; requesters' replies */
	uint64_t expected;	     /* messages that should arrive */
	uint64_t dropped;	     /* broker's NOTICE DROPPED counts */
	uint64_t notices;	     /* how many such notices */
	uint64_t gaps;		     /* sequence numbers skipped */
	uint64_t reorders;	     /* sequence went back (dup/reorder) */
	uint64_t bad;		     /* short or foreign payloads */
	uint64_t req_failed;	     /* requests timed out or failed */
	uint64_t pacer_late_max_ns;  /* worst lateness of the sender */
	double elapsed;		     /* first send to end of run, s */
	double tool_cpu;	     /* broker-bench's CPU time then, s */
	struct bench_hist *lat;	     /* owned (bench_result_release);
					 * NULL: no latency measured */
	struct bench_hist *late;     /* owned, rate mode: how late each
					 * message left against its schedule;
					 * NULL otherwise */
	int timed_out;		     /* the run hit --timeout */
	int lame_duck;		     /* the broker said it is leaving */
	char error[320];	     /* "" or why the run failed */
};

/* Print r on out in the configured format (r->cfg->output). */
void bench_report_print(FILE *out, const struct bench_result *r);

/* Print the loss/drop warnings (text) on out; nothing if all is well. */
void bench_report_warnings(FILE *out, const struct bench_result *r);

#endif
