/*
 * broker_req.c - broker-req: send one request and print its replies, like
 * `nats req`.  The tool makes its own inbox subscription (so it can wait
 * for more than one reply, -n) and publishes with bc_publish_request, so
 * a broker that knows nobody subscribes says so at once (exit 4) instead
 * of letting the wait run out (exit 3).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool_args.h"

/* Slice of the loop between checks of the deadline. */
#define REQ_TICK_MS 100

struct req_state {
	const struct tool_args *a;
	long replies;
	int ack_done;
	int ack_err;
	int write_failed;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_reply(bc_client *c, const bc_msg *m, void *arg)
{
	struct req_state *st = arg;

	if (st->write_failed || st->replies >= st->a->count)
		return;
	fwrite(bc_msg_data(m), 1, bc_msg_len(m), stdout);
	putchar('\n');
	if (fflush(stdout) != 0)
		st->write_failed = 1;
	if (st->write_failed || ++st->replies >= st->a->count)
		bc_break(c);
}

static void on_ack(bc_client *c, int err, void *arg)
{
	struct req_state *st = arg;

	st->ack_done = 1;
	st->ack_err = err;
	if (err != BC_OK)
		bc_break(c);
}

/* A private inbox topic: nobody else subscribes to it by accident.  With
 * -u USER (one topic token) it is inside _INBOX.USER.>, the inbox tree a
 * broker with a users file keeps for that user alone. */
static void make_inbox(char *buf, size_t cap, const char *user)
{
	struct timespec ts;
	int own = user && *user && !strpbrk(user, ".*>");

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, cap, "_INBOX.%s%sreq%ld.%lld%09ld", own ? user : "",
		 own ? "." : "", (long)getpid(), (long long)ts.tv_sec,
		 ts.tv_nsec);
}

/* Wait for the replies, the ack's verdict or the deadline. */
static int wait_replies(const struct tool_args *a, bc_client *c,
			struct req_state *st)
{
	long long deadline = mono_ms() + a->idle_s * 1000LL;

	while (st->replies < a->count && !st->write_failed) {
		long long left = deadline - mono_ms();

		if (st->ack_done && st->ack_err == BC_ERR_NO_RESPONDERS) {
			tool_fail(a, "no responders on '%s'", a->topics[0]);
			return TOOL_EXIT_NO_RESPONDERS;
		}
		if (st->ack_done && st->ack_err != BC_OK) {
			tool_fail_op(a, c, st->ack_err, "request failed");
			return TOOL_EXIT_RUNTIME;
		}
		if (left <= 0) {
			tool_fail(a,
				  "timed out after %d s (%ld of %ld "
				  "replies)",
				  a->idle_s, st->replies, a->count);
			return TOOL_EXIT_TIMEOUT;
		}
		if (bc_run(c, left < REQ_TICK_MS ? (int)left : REQ_TICK_MS) !=
			    BC_OK &&
		    st->replies < a->count) {
			tool_fail(a, "connection lost");
			return TOOL_EXIT_RUNTIME;
		}
	}
	return st->write_failed ? TOOL_EXIT_RUNTIME : 0;
}

static int request(const struct tool_args *a, bc_client *c)
{
	struct req_state st = { a, 0, 0, 0, 0 };
	const char *msg = a->message;
	char inbox[64 + 128]; /* a user name is at most 128 bytes */
	int rc;

	make_inbox(inbox, sizeof inbox, a->user);
	rc = bc_subscribe(c, inbox, NULL, on_reply, &st, NULL);
	if (rc != BC_OK) {
		tool_fail_op(a, c, rc, "cannot subscribe to the inbox");
		return TOOL_EXIT_RUNTIME;
	}
	rc = bc_publish_request(c, a->topics[0], msg, strlen(msg), inbox,
				on_ack, &st);
	if (rc == BC_ERR_TOO_LARGE) {
		tool_fail(a, "request too large (%zu bytes, broker allows %zu)",
			  strlen(msg), bc_max_payload(c));
		return TOOL_EXIT_RUNTIME;
	}
	if (rc != BC_OK) {
		tool_fail_op(a, c, rc, "request failed");
		return TOOL_EXIT_RUNTIME;
	}
	return wait_replies(a, c, &st);
}

int main(int argc, char **argv)
{
	struct tool_args a;
	struct tool_error e = { 0, 0, "" };
	bc_options *o;
	bc_client *c;
	int rc = tool_parse(&a, TOOL_REQ, argc, argv);

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (bc_check_topic(a.topics[0]) != BC_OK) {
		tool_fail(&a, "invalid topic '%s'", a.topics[0]);
		return TOOL_EXIT_RUNTIME;
	}
	o = tool_options(&a, &e);
	c = o ? tool_connect(&a, o, &e) : NULL;
	bc_options_free(o);
	if (!c)
		return TOOL_EXIT_RUNTIME;
	rc = request(&a, c);
	bc_close(c);
	return rc;
}
