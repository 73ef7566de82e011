/*
 * tool_args.h - command-line handling shared by broker-pub and broker-sub
 * (like mosquitto's client_shared.c): option parsing, connecting, and the
 * one-line error messages.  Uses only the public libbrokerclient API.
 */
#ifndef TOOL_ARGS_H
#define TOOL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerclient.h"

#define TOOL_MAX_TOPICS 64
#define TOOL_EXIT_RUNTIME 1
#define TOOL_EXIT_USAGE 2
/* --policy pool: ask for nothing, the pool's policy applies */
#define TOOL_POLICY_POOL 100

enum tool_kind { TOOL_PUB, TOOL_SUB };

/* Parsed command line.  Every string borrows from argv. */
struct tool_args {
	enum tool_kind kind;
	const char *prog;                 /* "broker-pub" or "broker-sub" */
	const char *host;
	int port;
	const char *id;                   /* client name, NULL: default */
	const char *topics[TOOL_MAX_TOPICS];
	int ntopics;
	int retry;                        /* --retry: extra connect attempts */
	int retry_max_ms;                 /* --retry-max: backoff cap, 0: default */
	int timeout_ms;                   /* --timeout, 0: library default */
	/* broker-pub */
	const char *message;              /* -m */
	const char *file;                 /* -f */
	int lines;                        /* -l */
	int whole_stdin;                  /* -s */
	const char *reply_to;             /* -r */
	/* broker-sub */
	const char *queue;                /* -q */
	long count;                       /* -n, 0: unlimited */
	int verbose;                      /* -v */
	int no_newline;                   /* -N */
	int reconnect;                    /* --reconnect */
	int policy;                       /* --policy: enum bc_policy, 0:
					   * not given (block),
					   * TOOL_POLICY_POOL: "pool" */
	uint64_t max_queue_msgs;          /* --max-queue-msgs, 0: not given */
	uint64_t max_queue_bytes;         /* --max-queue-bytes, 0: not given */
};

/* The first asynchronous error the library reported (error callback). */
struct tool_error {
	int err;                          /* 0: none yet */
	int server_code;
	char reason[320];
};

/* Parse argv into *a.  Returns -1 to go on, or an exit status: 0 after
 * --help / --version (printed on stdout), TOOL_EXIT_USAGE after a usage
 * error (one line on stderr). */
int tool_parse(struct tool_args *a, enum tool_kind kind, int argc,
	       char **argv);

/* Print "prog: <formatted text>\n" on stderr. */
void tool_fail(const struct tool_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Error callback that records the first error into a struct tool_error. */
void tool_error_cb(bc_client *c, int err, int server_code,
		   const char *reason, void *arg);

/* Options from the arguments with tool_error_cb(e): host, port, name,
 * --retry/--retry-max/--timeout, and reconnecting only with --reconnect
 * (otherwise a lost connection ends the tool).  NULL and a message on
 * failure.  Caller frees with bc_options_free. */
bc_options *tool_options(const struct tool_args *a, struct tool_error *e);

/* Connect; on failure print "cannot connect to host:port: reason" (or
 * the handshake failure) and return NULL. */
bc_client *tool_connect(const struct tool_args *a, const bc_options *o,
			struct tool_error *e);

/* broker-sub: subscription options from --policy / --max-queue-msgs /
 * --max-queue-bytes in *out (caller frees with bc_sub_options_free), or
 * *out NULL when none was given.  0, or 1 after a message (no memory). */
int tool_sub_options(const struct tool_args *a, bc_sub_options **out);

/* Print the broker's last ERR on c as "<what>: <reason> (code N)" or the
 * library error text, after "prog: ". */
void tool_fail_op(const struct tool_args *a, bc_client *c, int rc,
		  const char *what);

#endif
