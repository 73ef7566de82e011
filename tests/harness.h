/*
 * harness.h - helpers for integration tests: start the real brokerd on a
 * free 127.0.0.1 port, talk to it over raw sockets, run the CLI tools.
 * Every wait is bounded by a timeout.  Test code only.
 */
#ifndef BROKERD_TEST_HARNESS_H
#define BROKERD_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>

#include "proto.h"

struct broker_proc {
	pid_t pid;
	int port;
	char dir[256];	/* private temp dir (config, logs), removed on stop */
	char conf[300]; /* path of the generated config file, "" if none */
	char log[300];	/* path of brokerd's stderr/stdout */
};

/* Path of an executable under test from its environment variable (BROKERD,
 * BROKER_PUB, BROKER_SUB), falling back to the build-tree default.  Static
 * storage, never NULL. */
const char *harness_prog(const char *env, const char *fallback);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int harness_free_port(void);

/* Start brokerd -b 127.0.0.1 -p <free port> [-c <file holding conf_text>]
 * [extra_args...] and wait (up to 10 s) until it accepts connections.
 * conf_text may be NULL.  extra_args is a NULL-terminated list or NULL.
 * Returns 0, or -1 (child killed, message on stderr). */
int harness_start_broker(struct broker_proc *b, const char *conf_text,
			 const char *const *extra_args);

/* The same on a given port (e.g. to restart a broker where its clients
 * expect it); retries a few times while the port is still busy.  Returns 0
 * or -1. */
int harness_start_broker_on(struct broker_proc *b, int port,
			    const char *conf_text,
			    const char *const *extra_args);

/* Options for harness_start_broker_opts. */
struct harness_opts {
	const char *const *env; /* "NAME=VALUE" added to brokerd's
				  * environment, NULL-terminated, or NULL;
				  * the strings must outlive the call */
	long nofile;		/* RLIMIT_NOFILE for brokerd; 0: inherited */
	int no_listen_args;	/* 1: no -b/-p (the config's listen lines
				  * must include 127.0.0.1:port) */
	int port;		/* 0: a free port (retried); else this one */
};

/* harness_start_broker with options (o must not be NULL).  Readiness is
 * still a TCP connect to 127.0.0.1:b->port.  Returns 0 or -1. */
int harness_start_broker_opts(struct broker_proc *b, const char *conf_text,
			      const char *const *extra_args,
			      const struct harness_opts *o);

/* Send sig, wait up to timeout_ms for exit, then SIGKILL.  Returns the exit
 * status as from waitpid (use WIFEXITED etc), or -1.  Removes the temp dir. */
int harness_stop_broker(struct broker_proc *b, int sig, int timeout_ms);

/* Is the broker process still running? */
int harness_broker_alive(struct broker_proc *b);

/* A TCP socket listening on 127.0.0.1 on a free port with the given
 * backlog; *port gets the port.  Returns the fd (the caller closes it), or
 * -1 on failure (*port untouched). */
int harness_listen(int *port, int backlog);

/* Connect a blocking TCP socket to 127.0.0.1:port; -1 on failure. */
int harness_connect(int port);

/* Write all of buf; 0 or -1. */
int harness_send(int fd, const void *buf, size_t len);

/* Read one frame into buf (cap bytes) within timeout_ms and decode it into
 * *msg (views into buf).  Returns the decode result (PROTO_OK_CODE = 0), or
 * -1 on timeout/EOF/oversize. */
int harness_recv_msg(int fd, uint8_t *buf, size_t cap, struct proto_msg *msg,
		     int timeout_ms);

/* Send HELLO and expect WELCOME.  Returns 0 or -1. */
int harness_hello(int fd, const char *name);

/* Connect and handshake; -1 on failure. */
int harness_client(int port, const char *name);

/* Connect with a 4 KiB receive buffer and handshake as "slow": while it
 * does not read, the broker's socket fills at once and the rest waits in
 * the broker's queue (a stalled reader).  -1 on failure. */
int harness_slow_client(int port);

/* 1 if the peer closed the connection within timeout_ms (reading and
 * discarding whatever arrives before), else 0. */
int harness_wait_closed(int fd, int timeout_ms);

/* Run argv (argv[0] is the path) with stdin from `input` (may be NULL),
 * capture stdout and stderr (NUL-terminated, truncated to cap-1), kill it
 * after timeout_ms.  Returns the exit status as from waitpid, or -1. */
int harness_run(char *const argv[], const char *input, char *out,
		size_t out_cap, char *err, size_t err_cap, int timeout_ms);

/* Start argv in the background with stdout to a pipe; *out_fd gets the read
 * end (non-blocking).  Returns the pid or -1. */
pid_t harness_spawn(char *const argv[], int *out_fd);

/* Append what is readable on fd to buf (NUL-terminated) until `needle`
 * appears or timeout_ms passes.  Returns 1 if found. */
int harness_read_until(int fd, char *buf, size_t cap, const char *needle,
		       int timeout_ms);

/* Wait for pid up to timeout_ms (SIGKILL after); returns waitpid status. */
int harness_wait_pid(pid_t pid, int timeout_ms);

/* A test program's main(): ignore SIGPIPE, run suite s (ownership passes
 * to the runner, which frees it) with CK_NORMAL output.  Returns
 * EXIT_SUCCESS if every test passed, else EXIT_FAILURE. */
int harness_run_suite(Suite *s);

/* Milliseconds on a monotonic clock (common/clock.h's clock_mono_ms). */
int64_t harness_now_ms(void);

/* Wait for a condition instead of sleeping a fixed time: call cond(arg)
 * every interval_ms until it returns non-zero, at most timeout_ms and
 * timeout_ms / interval_ms + 1 times (the last call may come after the
 * deadline on a loaded host).  Returns cond's last value: 0 = never
 * true.  arg is passed through, not owned. */
int harness_poll(int (*cond)(void *arg), void *arg, int timeout_ms,
		 int interval_ms);

#endif
