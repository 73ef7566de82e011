/*
 * broker_reply.c - broker-reply: answer requests on a pattern, like
 * `nats reply`: with fixed text (-m) or with the output of a command run
 * once per request with the request on its stdin (--command).  -q serves
 * in a queue group, so several broker-reply processes share the load.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_args.h"
#include "tool_stop.h"
#include "tool_command.h"

/* Slice of the loop between checks of the signal flag. */
#define REPLY_TICK_MS 100

struct reply_state {
	const struct tool_args *a;
	long answered;
	int failed; /* an answer could not be sent */
};

/* The answer to m: -m's text, or the command's output. */
static int answer(struct reply_state *st, bc_client *c, const bc_msg *m)
{
	const struct tool_args *a = st->a;
	char *out;
	size_t len;
	int status, rc;

	if (a->message)
		return bc_respond(c, m, a->message, strlen(a->message));
	status = tool_command_run(a->command, bc_msg_data(m), bc_msg_len(m),
				  &out, &len);
	if (status < 0) {
		tool_fail(a, "cannot run '%s': %s", a->command,
			  strerror(errno));
		return BC_ERR_INVALID;
	}
	if (status != 0) /* its output is still the answer */
		tool_fail(a, "command exited with status %d", status);
	rc = bc_respond(c, m, out, len);
	free(out);
	return rc;
}

static void on_request(bc_client *c, const bc_msg *m, void *arg)
{
	struct reply_state *st = arg;
	const struct tool_args *a = st->a;
	int rc;

	if (st->failed || (a->count && st->answered >= a->count))
		return;
	if (!bc_msg_reply_to(m))
		return; /* a plain publish: nobody to answer */
	rc = answer(st, c, m);
	if (rc != BC_OK) {
		if (rc != BC_ERR_INVALID)
			tool_fail_op(a, c, rc, "cannot send the reply");
		st->failed = 1;
		bc_break(c);
		return;
	}
	if (a->count && ++st->answered >= a->count)
		bc_break(c);
}

/* Serve until -n answers, a signal, a failed answer or a lost link. */
static int serve(const struct tool_args *a, bc_client *c,
		 struct reply_state *st)
{
	int rc = bc_subscribe(c, a->topics[0], a->queue, on_request, st, NULL);

	if (rc == BC_ERR_INVALID) {
		tool_fail(a, "invalid pattern '%s' or queue group",
			  a->topics[0]);
		return TOOL_EXIT_RUNTIME;
	}
	if (rc != BC_OK) {
		tool_fail_op(a, c, rc, "subscription failed");
		return TOOL_EXIT_RUNTIME;
	}
	while (!tool_stop_requested()) {
		rc = bc_run(c, REPLY_TICK_MS);
		if (st->failed)
			return TOOL_EXIT_RUNTIME;
		if (a->count && st->answered >= a->count)
			break;
		if (rc != BC_OK) {
			tool_fail(a, "connection lost");
			return TOOL_EXIT_RUNTIME;
		}
	}
	/* The last answers are queued: make sure they left. */
	return bc_flush(c, BC_TIMEOUT_DEFAULT) == BC_OK ? 0 : TOOL_EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	struct tool_args a;
	struct tool_error e = { 0, 0, "" };
	struct reply_state st = { &a, 0, 0 };
	bc_options *o;
	bc_client *c;
	int rc = tool_parse(&a, TOOL_REPLY, argc, argv);

	if (rc >= 0)
		return rc;
	if (bc_check_pattern(a.topics[0]) != BC_OK) {
		tool_fail(&a, "invalid pattern '%s'", a.topics[0]);
		return TOOL_EXIT_RUNTIME;
	}
	tool_stop_install();
	o = tool_options(&a, &e);
	c = o ? tool_connect(&a, o, &e) : NULL;
	bc_options_free(o);
	if (!c)
		return TOOL_EXIT_RUNTIME;
	rc = serve(&a, c, &st);
	bc_close(c);
	return rc;
}
