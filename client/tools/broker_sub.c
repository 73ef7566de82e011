/*
 * broker_sub.c - broker-sub: subscribe to one or more patterns and print
 * every message (payload, or "topic payload" with -v), one per line,
 * flushing stdout each time so a pipe reader sees it at once.  With
 * --reconnect the library reconnects and resubscribes by itself; the tool
 * only prints the state changes on stderr.  --policy and --max-queue-*
 * are sent with every SUB (bc_subscribe_ex); messages the broker drops
 * for us are reported on stderr as they are announced, and so is a
 * subscription the broker revokes (a reload narrowed the user's rules):
 * the tool goes on with the others and fails once none is left.  -F FORMAT,
 * --json and --pretty choose how a message is printed (tool_format.h,
 * tool_pretty.h); the receive time is taken as the callback starts.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tool_args.h"
#include "tool_format.h"
#include "tool_json.h"
#include "tool_pretty.h"
#include "tool_stop.h"

/* Slice of the loop between checks of the signal flag. */
#define SUB_TICK_MS 100

struct sub_state {
	const struct tool_args *a;
	uint32_t sids[TOOL_MAX_TOPICS]; /* of a->topics[i]; 0: revoked */
	int live;			/* subscriptions not revoked */
	long received;
	int write_failed;
	int up;		   /* connected (for --reconnect) */
	long long last_ms; /* last message (or start), for -W */
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --pretty: the payload as JSON, or a warning and its bytes in hex. */
static void print_pretty(const struct tool_args *a, const bc_msg *m)
{
	const char *why = "";

	if (tool_pretty(stdout, bc_msg_data(m), bc_msg_len(m), &why) == 0)
		return;
	tool_fail(a, "warning: payload on '%s' is not msgpack (%s), hex:",
		  bc_msg_topic(m), why);
	tool_json_hex(stdout, bc_msg_data(m), bc_msg_len(m), 0);
}

/* The message in the output format the arguments chose. */
static void print_msg(const struct tool_args *a, const bc_msg *m)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	if (a->format) {
		tool_format_msg(stdout, a->format, m, &rt);
		if (!a->no_newline)
			putchar('\n');
		return;
	}
	if (a->json) {
		tool_format_json(stdout, m, &rt);
		putchar('\n');
		return;
	}
	if (a->verbose)
		printf("%s ", bc_msg_topic(m));
	if (a->pretty)
		print_pretty(a, m);
	else
		fwrite(bc_msg_data(m), 1, bc_msg_len(m), stdout);
	if (!a->no_newline)
		putchar('\n');
}

static void on_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct sub_state *st = arg;
	const struct tool_args *a = st->a;

	if (st->write_failed || (a->count && st->received >= a->count))
		return;
	st->last_ms = mono_ms();
	print_msg(a, m);
	if (fflush(stdout) != 0)
		st->write_failed = 1;
	if (st->write_failed || (a->count && ++st->received >= a->count))
		bc_break(c);
}

/* NOTICE REVOKED for sid: say which pattern, and stop once none is left
 * (run() sees live == 0). */
static void revoked(bc_client *c, struct sub_state *st, uint64_t sid,
		    const char *reason)
{
	const struct tool_args *a = st->a;

	for (int i = 0; i < a->ntopics; i++) {
		if (st->sids[i] == 0 || st->sids[i] != sid)
			continue;
		st->sids[i] = 0;
		tool_fail(a, "subscription to '%s' revoked by the broker: %s",
			  a->topics[i], reason);
		if (--st->live == 0)
			bc_break(c);
		return;
	}
}

static void on_notice(bc_client *c, int kind, uint64_t count,
		      const char *reason, void *arg)
{
	struct sub_state *st = arg;
	const struct tool_args *a = st->a;

	if (kind == BC_NOTICE_REVOKED)
		revoked(c, st, count, reason);
	else if (kind == BC_NOTICE_DROPPED)
		tool_fail(a, "broker dropped %llu messages: %s",
			  (unsigned long long)count, reason);
	else if (kind == BC_NOTICE_LAME_DUCK)
		tool_fail(a, "broker going away in %llu ms: %s",
			  (unsigned long long)count, reason);
	else if (kind == BC_NOTICE_POLICY)
		tool_fail(a,
			  "warning: %s; messages may be dropped if this "
			  "subscriber falls behind",
			  reason);
}

/* --reconnect: one stderr line per loss and per recovery. */
static void on_state(bc_client *c, int state, int err, void *arg)
{
	struct sub_state *st = arg;
	const char *host = "?";
	int port = 0;

	(void)err;
	if (state == BC_STATE_CONNECTED) {
		st->up = 1;
	} else if (state == BC_STATE_DISCONNECTED && st->up) {
		st->up = 0;
		tool_fail(st->a, "disconnected, reconnecting");
	} else if (state == BC_STATE_RECONNECTED) {
		st->up = 1;
		bc_server(c, &host, &port);
		tool_fail(st->a, "reconnected to %s:%d", host, port);
	}
}

static int subscribe_one(const struct tool_args *a, bc_client *c, int i,
			 const bc_sub_options *so, struct sub_state *st)
{
	const char *pattern = a->topics[i];
	char what[300];
	int rc = bc_subscribe_ex(c, pattern, a->queue, so, on_msg, st,
				 &st->sids[i]);

	if (rc == BC_ERR_INVALID) {
		tool_fail(a, "invalid queue group '%s'", a->queue);
		return 1;
	}
	if (rc != BC_OK) {
		snprintf(what, sizeof what, "subscription to '%s' failed",
			 pattern);
		tool_fail_op(a, c, rc, what);
		return 1;
	}
	st->live++;
	return 0;
}

/* Every -t, with the queue options (the same for all). */
static int subscribe_all(const struct tool_args *a, bc_client *c,
			 struct sub_state *st)
{
	bc_sub_options *so;
	int rc = tool_sub_options(a, &so);

	for (int i = 0; i < a->ntopics && rc == 0; i++)
		rc = subscribe_one(a, c, i, so, st);
	bc_sub_options_free(so);
	return rc;
}

/* One line saying why the connection ended. */
static void report_lost(const struct tool_args *a, const struct tool_error *e)
{
	if (e->err == BC_ERR_SERVER)
		tool_fail(a, "connection lost: %s (code %d)", e->reason,
			  e->server_code);
	else if (e->err == BC_ERR_CLOSED)
		tool_fail(a, "%s", e->reason); /* "connection lost: ..." */
	else
		tool_fail(a, "connection lost");
}

/* -W: has the subscriber gone that long without a message? */
static int idle_expired(const struct tool_args *a, const struct sub_state *st)
{
	return a->idle_s && mono_ms() - st->last_ms >= a->idle_s * 1000LL;
}

/* Dispatch until -n is reached, -W passes idle, a signal, or the
 * connection is lost. */
static int run(const struct tool_args *a, bc_client *c,
	       const struct sub_state *st, const struct tool_error *e)
{
	while (!tool_stop_requested()) {
		if (idle_expired(a, st))
			return TOOL_EXIT_TIMEOUT;
		int rc = bc_run(c, SUB_TICK_MS);

		if (st->write_failed || st->live == 0)
			return 1; /* after its message */
		if (a->count && st->received >= a->count)
			return 0;
		if (rc != BC_OK) {
			report_lost(a, e);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tool_args a;
	struct tool_error e = { 0, 0, "" };
	struct sub_state st = { .a = &a };
	bc_options *o;
	bc_client *c;
	char why[128];
	int rc = tool_parse(&a, TOOL_SUB, argc, argv);

	if (rc >= 0)
		return rc;
	if (a.format && tool_format_check(a.format, why, sizeof why) != 0) {
		tool_fail(&a, "invalid -F format: %s", why);
		return TOOL_EXIT_USAGE;
	}
	for (int i = 0; i < a.ntopics; i++) {
		if (bc_check_pattern(a.topics[i]) != BC_OK) {
			tool_fail(&a, "invalid pattern '%s'", a.topics[i]);
			return TOOL_EXIT_RUNTIME;
		}
	}
	tool_stop_install();
	o = tool_options(&a, &e);
	if (o)
		bc_options_set_notice_cb(o, on_notice, &st);
	if (o && a.reconnect)
		bc_options_set_state_cb(o, on_state, &st);
	c = o ? tool_connect(&a, o, &e) : NULL;
	bc_options_free(o);
	if (!c)
		return TOOL_EXIT_RUNTIME;
	st.last_ms = mono_ms();
	rc = subscribe_all(&a, c, &st);
	if (rc == 0)
		rc = run(&a, c, &st, &e);
	bc_close(c);
	return rc;
}
