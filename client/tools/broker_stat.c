/*
 * broker_stat.c - broker-stat: a broker's statistics, like `redis-cli
 * --stat` and nats-top.  It asks $SYS.REQ.STATS (bc_request) and prints
 * the answer as a table (tool_stat_show.h), or with -w one line of
 * per-second rates each second, from successive answers, or with --json
 * the answer itself, one object per line.
 *
 * Each answer is itself a message the broker publishes and delivers (to
 * us), so between two answers the broker's "published" and "delivered"
 * grow by one of ours: the rates leave it out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_args.h"
#include "tool_stat_show.h"
#include "tool_stats.h"
#include "tool_stop.h"

#define STAT_TOPIC "$SYS.REQ.STATS"
#define STAT_TIMEOUT_MS 5000
#define STAT_PERIOD_MS 1000
#define STAT_HEADER_EVERY 20
#define STAT_TICK_MS 100

/* One answer: the text (owned, bc_msg_free) and what it says. */
struct sample {
	bc_msg *msg;
	struct tool_stats stats;
	long long at_ms; /* monotonic, when the request was sent */
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The request's failure, as one line. */
static void fail_ask(const struct tool_args *a, bc_client *c, int rc,
		     int timeout_ms)
{
	if (rc == BC_ERR_TIMEOUT)
		tool_fail(a, "no answer to " STAT_TOPIC " within %d ms",
			  timeout_ms);
	else if (rc == BC_ERR_NO_RESPONDERS)
		tool_fail(a, "the broker does not answer " STAT_TOPIC);
	else
		tool_fail_op(a, c, rc, STAT_TOPIC " failed");
}

/* Ask and read one answer into *s (s->msg freed first).  0, or 1 after
 * a message. */
static int ask(const struct tool_args *a, bc_client *c, struct sample *s)
{
	int timeout = a->timeout_ms ? a->timeout_ms : STAT_TIMEOUT_MS;
	char why[160];
	int rc;

	bc_msg_free(s->msg);
	s->msg = NULL;
	s->at_ms = mono_ms();
	rc = bc_request(c, STAT_TOPIC, "", 0, timeout, &s->msg);
	if (rc != BC_OK) {
		fail_ask(a, c, rc, timeout);
		return 1;
	}
	if (tool_stats_parse(bc_msg_data(s->msg), bc_msg_len(s->msg), &s->stats,
			     why, sizeof why) != 0) {
		tool_fail(a, "malformed " STAT_TOPIC " answer: %s", why);
		return 1;
	}
	return 0;
}

/* The answer on one line: JSON allows no raw line breaks inside strings,
 * so those outside them can become spaces. */
static int print_json(const bc_msg *m)
{
	const char *p = bc_msg_data(m);
	size_t n = bc_msg_len(m);

	for (size_t i = 0; i < n; i++)
		putchar(p[i] == '\n' || p[i] == '\r' ? ' ' : p[i]);
	putchar('\n');
	return fflush(stdout) != 0;
}

/* Serve the connection until the next period starts at from + period.
 * 0, or 1 when stopped by a signal or the connection was lost. */
static int wait_period(const struct tool_args *a, bc_client *c, long long from)
{
	long long left;

	while ((left = from + STAT_PERIOD_MS - mono_ms()) > 0) {
		if (tool_stop_requested())
			return 1;
		if (bc_run(c, left < STAT_TICK_MS ? (int)left : STAT_TICK_MS) !=
		    BC_OK) {
			tool_fail(a, "connection lost");
			return 1;
		}
	}
	return tool_stop_requested();
}

/* -w: a baseline, then a line per period (--json: each answer). */
static int watch(const struct tool_args *a, bc_client *c, struct sample s[2])
{
	int cur = 0;

	if (ask(a, c, &s[cur]) != 0)
		return TOOL_EXIT_RUNTIME;
	if (a->json && print_json(s[cur].msg))
		return TOOL_EXIT_RUNTIME;
	for (long n = a->json; !a->count || n < a->count; n++) {
		if (wait_period(a, c, s[cur].at_ms))
			return tool_stop_requested() ? 0 : TOOL_EXIT_RUNTIME;
		cur = !cur;
		if (ask(a, c, &s[cur]) != 0)
			return TOOL_EXIT_RUNTIME;
		if (a->json) {
			if (print_json(s[cur].msg))
				return TOOL_EXIT_RUNTIME;
			continue;
		}
		if (n % STAT_HEADER_EVERY == 0)
			tool_stat_header(stdout);
		tool_stat_rates(stdout, &s[!cur].stats, &s[cur].stats,
				s[cur].at_ms - s[!cur].at_ms, 1);
		if (fflush(stdout) != 0)
			return TOOL_EXIT_RUNTIME;
	}
	return 0;
}

static int once(const struct tool_args *a, bc_client *c, struct sample *s)
{
	char addr[300];

	if (ask(a, c, s) != 0)
		return TOOL_EXIT_RUNTIME;
	if (a->json)
		return print_json(s->msg) ? TOOL_EXIT_RUNTIME : 0;
	tool_addr(a, addr, sizeof addr);
	tool_stat_table(stdout, addr, &s->stats);
	return fflush(stdout) != 0 ? TOOL_EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	struct tool_args a;
	struct tool_error e = { 0, 0, "" };
	struct sample *s;
	bc_options *o;
	bc_client *c;
	int rc = tool_parse(&a, TOOL_STAT, argc, argv);

	if (rc >= 0)
		return rc;
	tool_stop_install();
	s = calloc(2, sizeof *s);
	if (!s) {
		tool_fail(&a, "out of memory");
		return TOOL_EXIT_RUNTIME;
	}
	o = tool_options(&a, &e);
	c = o ? tool_connect(&a, o, &e) : NULL;
	bc_options_free(o);
	rc = !c	       ? TOOL_EXIT_RUNTIME
	     : a.watch ? watch(&a, c, s)
		       : once(&a, c, s);
	bc_close(c);
	bc_msg_free(s[0].msg);
	bc_msg_free(s[1].msg);
	free(s);
	return rc;
}
