/*
 * bench_failfast.c - how fast libbrokerclient fails a call while its
 * circuit breaker is open, for `make bench` (tests/bench.sh).  The figure
 * test_resilience.c used to assert (< 1 ms per call) and no longer does:
 * on a loaded host any bound is either flaky or meaningless, so it is
 * measured and printed here instead.
 *
 * Usage: bench_failfast PORT PID - connects to the brokerd PID listening
 * on 127.0.0.1:PORT, SIGKILLs it, lets the breaker open (three refused
 * attempts, 60 s cool-down), then times CALLS bc_publish_sync calls that
 * must each return BC_ERR_CIRCUIT_OPEN.  Prints the median and the
 * maximum per call.  Exit 0, or 1 when any step fails.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "brokerclient.h"
#include "clock.h"

enum { CALLS = 10001 };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Connect with a breaker that opens after three failures and stays open
 * for the whole measurement.  NULL on failure. */
static bc_client *connect_with_breaker(int port)
{
	bc_options *o = bc_options_new();
	bc_client *c = NULL;

	if (!o || bc_options_set_port(o, port) != BC_OK ||
	    bc_options_set_backoff(o, 10, 50, 2.0) != BC_OK ||
	    bc_options_set_breaker(o, 3, 60000) != BC_OK ||
	    bc_connect(&c, o) != BC_OK)
		c = NULL;
	bc_options_free(o);
	return c;
}

/* Run c's loop until its breaker opens, at most 10 s.  0 or -1. */
static int wait_open(bc_client *c)
{
	uint64_t deadline = clock_mono_ms() + 10000;

	while (bc_breaker_state(c) != BC_BREAKER_OPEN &&
	       clock_mono_ms() < deadline)
		if (bc_run(c, 10) != BC_OK)
			return -1;
	return bc_breaker_state(c) == BC_BREAKER_OPEN ? 0 : -1;
}

/* Time CALLS fail-fast calls into ns[]; 0, or -1 if one did not fail
 * fast with BC_ERR_CIRCUIT_OPEN. */
static int time_calls(bc_client *c, uint64_t *ns)
{
	for (int i = 0; i < CALLS; i++) {
		uint64_t t0 = clock_mono_ns();
		int rc = bc_publish_sync(c, "bench.x", "x", 1,
					 BC_TIMEOUT_DEFAULT);

		ns[i] = clock_mono_ns() - t0;
		if (rc != BC_ERR_CIRCUIT_OPEN)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint64_t ns[CALLS];
	bc_client *c;
	int ok;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_failfast PORT PID\n");
		return 2;
	}
	c = connect_with_breaker(atoi(argv[1]));
	if (!c) {
		fprintf(stderr, "bench_failfast: cannot connect\n");
		return 1;
	}
	kill((pid_t)atol(argv[2]), SIGKILL);
	ok = wait_open(c) == 0 && time_calls(c, ns) == 0;
	bc_close(c);
	if (!ok) {
		fprintf(stderr, "bench_failfast: the breaker did not open or "
				"a call did not fail fast\n");
		return 1;
	}
	qsort(ns, CALLS, sizeof ns[0], cmp_u64);
	printf("breaker fail-fast: %d calls, median %.2f us, max %.2f us "
	       "per call\n",
	       CALLS, ns[CALLS / 2] / 1000.0, ns[CALLS - 1] / 1000.0);
	return 0;
}
