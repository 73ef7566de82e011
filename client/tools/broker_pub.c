/*
 * broker_pub.c - broker-pub: publish one message (-m, -f, -s) or one per
 * stdin line (-l) and exit 0 only once the broker has accepted all of
 * them: single messages are acknowledged, a -l stream ends with a flush
 * (PING/PONG), so any ERR for it has arrived by then.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool_args.h"

/* Refuse to read more than this from a file or stdin (the protocol's
 * absolute payload limit is 64 MiB; the broker's is usually smaller). */
#define PUB_MAX_INPUT (64u * 1024u * 1024u + 1u)

struct pub_buf {
	char *data;
	size_t len;
};

/* Read all of f (up to PUB_MAX_INPUT bytes) into b.  0 or an errno. */
static int read_all(FILE *f, struct pub_buf *b)
{
	size_t cap = 0;

	b->data = NULL;
	b->len = 0;
	for (;;) {
		size_t n;

		if (b->len == cap) {
			char *p;

			if (cap >= PUB_MAX_INPUT)
				return EFBIG;
			cap = cap ? cap * 2 : 65536;
			if (cap > PUB_MAX_INPUT)
				cap = PUB_MAX_INPUT;
			if (!(p = realloc(b->data, cap)))
				return ENOMEM;
			b->data = p;
		}
		n = fread(b->data + b->len, 1, cap - b->len, f);
		b->len += n;
		if (n == 0)
			return ferror(f) ? EIO : 0;
	}
}

static int is_directory(FILE *f)
{
	struct stat st;

	return fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
}

/* The payload of -m, -f or -s.  0, or 1 with a message printed. */
static int load_payload(const struct tool_args *a, struct pub_buf *b)
{
	FILE *f = stdin;
	int err;

	if (a->message) {
		b->data = NULL;
		b->len = strlen(a->message);
		return 0;
	}
	if (a->file && !(f = fopen(a->file, "rb"))) {
		tool_fail(a, "cannot open '%s': %s", a->file, strerror(errno));
		return 1;
	}
	if (f != stdin && is_directory(f)) {
		/* fopen takes a directory; only the read fails, with EIO. */
		tool_fail(a, "cannot publish '%s': it is a directory", a->file);
		fclose(f);
		return 1;
	}
	err = read_all(f, b);
	if (f != stdin)
		fclose(f);
	if (err) {
		free(b->data); /* what was read before the error */
		b->data = NULL;
		tool_fail(a, "cannot read '%s': %s",
			  a->file ? a->file : "stdin",
			  err == EFBIG ? "too large" : strerror(err));
		return 1;
	}
	return 0;
}

struct pub_ack {
	int err;
	int done;
};

static void on_ack(bc_client *c, int err, void *arg)
{
	struct pub_ack *ack = arg;

	(void)c;
	ack->err = err;
	ack->done = 1;
}

/* Report a failed publish; returns 1. */
static int pub_failed(const struct tool_args *a, bc_client *c, int rc,
		      size_t len, const struct tool_error *e)
{
	if (rc == BC_ERR_TOO_LARGE)
		tool_fail(a, "message too large (%zu bytes, broker allows %zu)",
			  len, bc_max_payload(c));
	else if (rc == BC_ERR_SERVER)
		tool_fail_op(a, c, rc, "broker rejected the message");
	else if (rc == BC_ERR_CLOSED && e->err == BC_ERR_CLOSED)
		tool_fail(a, "%s", e->reason);
	else
		tool_fail(a, "publish failed: %s", bc_strerror(rc));
	return 1;
}

/* One acknowledged message.  The flush after it returns once the OK or
 * ERR has been handled. */
static int pub_one(const struct tool_args *a, bc_client *c,
		   const struct pub_buf *b, const struct tool_error *e)
{
	const char *data = a->message ? a->message : b->data;
	struct pub_ack ack = { 0, 0 };
	int rc = bc_publish_ex(c, a->topics[0], data, b->len, a->reply_to,
			       on_ack, &ack);

	if (rc == BC_OK)
		rc = bc_flush(c, BC_TIMEOUT_DEFAULT);
	if (rc == BC_OK && ack.done)
		rc = ack.err;
	else if (rc == BC_OK)
		rc = BC_ERR_TIMEOUT;
	return rc == BC_OK ? 0 : pub_failed(a, c, rc, b->len, e);
}

/* -l: one message per line, unacknowledged, then a flush. */
static int pub_lines(const struct tool_args *a, bc_client *c,
		     const struct tool_error *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = BC_OK;

	while (rc == BC_OK && !e->err &&
	       (n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		rc = bc_publish_ex(c, a->topics[0], line, (size_t)n,
				   a->reply_to, NULL, NULL);
		if (rc != BC_OK) {
			pub_failed(a, c, rc, (size_t)n, e);
			free(line);
			return 1;
		}
	}
	free(line);
	rc = bc_flush(c, BC_TIMEOUT_DEFAULT);
	if (e->err == BC_ERR_SERVER) {
		tool_fail(a, "broker rejected a message: %s (code %d)",
			  e->reason, e->server_code);
		return 1;
	}
	return rc == BC_OK ? 0 : pub_failed(a, c, rc, 0, e);
}

int main(int argc, char **argv)
{
	struct tool_args a;
	struct tool_error e = { 0, 0, "" };
	struct pub_buf b = { NULL, 0 };
	bc_options *o;
	bc_client *c;
	int rc = tool_parse(&a, TOOL_PUB, argc, argv);

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (bc_check_topic(a.topics[0]) != BC_OK) {
		tool_fail(&a, "invalid topic '%s'", a.topics[0]);
		return TOOL_EXIT_RUNTIME;
	}
	if (a.reply_to && bc_check_topic(a.reply_to) != BC_OK) {
		tool_fail(&a, "invalid reply-to topic '%s'", a.reply_to);
		return TOOL_EXIT_RUNTIME;
	}
	if (!a.lines && load_payload(&a, &b) != 0)
		return TOOL_EXIT_RUNTIME;
	o = tool_options(&a, &e);
	c = o ? tool_connect(&a, o, &e) : NULL;
	bc_options_free(o);
	if (c)
		rc = a.lines ? pub_lines(&a, c, &e) : pub_one(&a, c, &b, &e);
	else
		rc = TOOL_EXIT_RUNTIME;
	bc_close(c);
	free(b.data);
	return rc;
}
