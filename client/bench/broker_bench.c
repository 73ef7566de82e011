/*
 * broker_bench.c - broker-bench: measure a running brokerd (throughput,
 * fan-out, queue groups, request/reply, latency at a fixed rate).  See
 * --help and docs/BENCHMARKS.md.  Links only libbrokerclient (and
 * libevent, whose event_base the clients share).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "bench_args.h"
#include "bench_report.h"
#include "bench_routing.h"
#include "bench_run.h"

int main(int argc, char **argv)
{
	struct bench_cfg cfg;
	struct bench_result res;
	int rc = bench_parse_args(&cfg, argc, argv);

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (cfg.workload)
		return bench_routing_run(&cfg);
	rc = bench_run(&cfg, &res);
	if (res.pub.clients > 0) {
		bench_report_print(stdout, &res);
		/* machine-readable output keeps warnings on stderr */
		if (cfg.output != BENCH_OUT_TEXT)
			bench_report_warnings(stderr, &res);
	}
	fflush(stdout);
	if (rc < 0)
		fprintf(stderr, "broker-bench: %s\n", res.error);
	bench_result_release(&res);
	return rc < 0 ? BENCH_EXIT_RUNTIME : 0;
}
