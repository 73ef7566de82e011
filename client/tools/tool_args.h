/*
 * tool_args.h - command-line handling shared by broker-pub, broker-sub,
 * broker-req and broker-reply
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
#define TOOL_EXIT_TIMEOUT 3	  /* -W / broker-req: nothing came */
#define TOOL_EXIT_NO_RESPONDERS 4 /* broker-req: nobody listens */
/* --policy pool: ask for nothing, the pool's policy applies */
#define TOOL_POLICY_POOL 100

enum tool_kind { TOOL_PUB, TOOL_SUB, TOOL_REQ, TOOL_REPLY, TOOL_STAT };

/* Parsed command line.  Every string borrows from argv. */
struct tool_args {
	enum tool_kind kind;
	const char *prog; /* "broker-pub", "broker-sub", ... */
	const char *host; /* "unix:/PATH" passed as is */
	int port;
	char url_host[256]; /* host part of BROKER_URL */
	const char *id;	    /* client name, NULL: default */
	const char *topics[TOOL_MAX_TOPICS];
	int ntopics;
	int retry;	  /* --retry: extra connect attempts */
	int retry_max_ms; /* --retry-max: backoff cap, 0: default */
	int timeout_ms;	  /* --timeout, 0: library default */
	int literal;	  /* --literal: '+' '#' as written */
	/* broker-pub */
	const char *message;  /* -m; broker-req: the PAYLOAD */
	const char *command;  /* broker-reply --command */
	const char *file;     /* -f */
	int lines;	      /* -l */
	int whole_stdin;      /* -s */
	const char *reply_to; /* -r */
	/* broker-sub */
	const char *queue;	  /* -q */
	long count;		  /* -n / -C, 0: unlimited (req: 1) */
	int idle_s;		  /* -W: broker-sub: exit after this
					   * long without a message, 0: never;
					   * broker-req: wait this long */
	int verbose;		  /* -v */
	int no_newline;		  /* -N */
	int reconnect;		  /* --reconnect */
	int policy;		  /* --policy: enum bc_policy, 0:
					   * not given (block),
					   * TOOL_POLICY_POOL: "pool" */
	uint64_t max_queue_msgs;  /* --max-queue-msgs, 0: not given */
	uint64_t max_queue_bytes; /* --max-queue-bytes, 0: not given */
	/* TLS and credentials (every tool) */
	int tls;	    /* --tls, implied by the others, tls:// URL */
	const char *cafile; /* --cafile, NULL: the system CA store */
	const char *cert;   /* --cert */
	const char *key;    /* --key */
	int insecure;	    /* --insecure: no certificate/name check */
	const char *user;   /* -u */
	const char *pass;   /* -P, else BROKER_PASSWORD, else NULL */
	/* broker-sub output formats; --json also broker-stat's */
	const char *format; /* -F FORMAT (checked by tool_format_check) */
	int json;	    /* --json */
	int pretty;	    /* --pretty: msgpack payloads as JSON */
	/* broker-stat */
	int watch; /* -w: refresh every second (also implied by -n) */
};

/* The first asynchronous error the library reported (error callback). */
struct tool_error {
	int err; /* 0: none yet */
	int server_code;
	char reason[320];
};

/* Parse argv into *a, after BROKER_URL from the environment (HOST,
 * HOST:PORT, [IPV6]:PORT, with an optional "brokerd://" or "tls://" (TLS,
 * default port 7655), or unix:/PATH), which -h and -p override; the
 * password of -u from BROKER_PASSWORD when -P is not given.  Returns -1 to go on, or an exit status: 0
 * after --help / --version (printed on stdout), TOOL_EXIT_USAGE after a
 * usage error (one line on stderr). */
int tool_parse(struct tool_args *a, enum tool_kind kind, int argc, char **argv);

/* Print "prog: <formatted text>\n" on stderr. */
void tool_fail(const struct tool_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Error callback that records the first error into a struct tool_error. */
void tool_error_cb(bc_client *c, int err, int server_code, const char *reason,
		   void *arg);

/* Options from the arguments with tool_error_cb(e): host, port, name,
 * --retry/--retry-max/--timeout, and reconnecting only with --reconnect
 * (otherwise a lost connection ends the tool).  NULL and a message on
 * failure.  Caller frees with bc_options_free. */
bc_options *tool_options(const struct tool_args *a, struct tool_error *e);

/* The broker's address for messages: "host:port", or the unix: host. */
void tool_addr(const struct tool_args *a, char *buf, size_t cap);

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
