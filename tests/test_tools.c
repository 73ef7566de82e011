/*
 * test_tools.c - broker-pub and broker-sub against the real brokerd: what
 * they print, their exit statuses, and their one-line error messages.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct broker_proc broker;
static char port_str[16];

static const char *pub_path(void)
{
	return harness_prog("BROKER_PUB", "../client/broker-pub");
}

static const char *sub_path(void)
{
	return harness_prog("BROKER_SUB", "../client/broker-sub");
}

static const char *req_path(void)
{
	return harness_prog("BROKER_REQ", "../client/broker-req");
}

static const char *reply_path(void)
{
	return harness_prog("BROKER_REPLY", "../client/broker-reply");
}

static const char *stat_path(void)
{
	return harness_prog("BROKER_STAT", "../client/broker-stat");
}

static void start_broker(const char *conf)
{
	ck_assert_int_eq(harness_start_broker(&broker, conf, NULL), 0);
	snprintf(port_str, sizeof port_str, "%d", broker.port);
}

static void stop_broker(void)
{
	int st = harness_stop_broker(&broker, SIGTERM, 5000);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "brokerd exit status %d", st);
}

struct run_out {
	int status;
	char out[8192];
	char err[2048];
};

/* Run a tool with argv (NULL-terminated, argv[0] the path), stdin input. */
static void run_tool(struct run_out *r, const char *input, const char **argv)
{
	r->status = harness_run((char *const *)argv, input, r->out,
				sizeof r->out, r->err, sizeof r->err, 5000);
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Exactly one line, starting with prog ": ". */
static void assert_one_line(const char *err, const char *prog)
{
	size_t n = strlen(err);

	ck_assert_msg(n > 0 && err[n - 1] == '\n' &&
			      strchr(err, '\n') == err + n - 1,
		      "not one line: '%s'", err);
	ck_assert_msg(strncmp(err, prog, strlen(prog)) == 0, "'%s'", err);
}

static void pub_ok(const char *topic, const char *msg)
{
	struct run_out r;
	const char *argv[] = { pub_path(), "-p", port_str, "-t",
			       topic,	   "-m", msg,	   NULL };

	run_tool(&r, NULL, argv);
	ck_assert_msg(exit_code(r.status) == 0, "broker-pub: %s", r.err);
	ck_assert_str_eq(r.err, "");
}

/* Publish probe messages on topic until `needle` shows on fd: proves the
 * subscriber is subscribed.  Bounded to 5 s. */
static void wait_subscribed(int fd, char *buf, size_t cap, const char *topic,
			    const char *needle)
{
	int64_t deadline = harness_now_ms() + 5000;

	while (harness_now_ms() < deadline) {
		pub_ok(topic, "probe");
		if (harness_read_until(fd, buf, cap, needle, 100))
			return;
	}
	ck_abort_msg("subscriber never saw '%s' (has '%s')", needle, buf);
}

struct sub_proc {
	pid_t pid;
	int fd;
	char buf[8192];
};

static void sub_start(struct sub_proc *s, const char **argv)
{
	s->buf[0] = 0;
	s->pid = harness_spawn((char *const *)argv, &s->fd);
	ck_assert_int_gt(s->pid, 0);
}

/* SIGTERM must make broker-sub exit 0. */
static void sub_stop(struct sub_proc *s)
{
	int st;

	kill(s->pid, SIGTERM);
	st = harness_wait_pid(s->pid, 3000);
	close(s->fd);
	ck_assert_int_eq(exit_code(st), 0);
}

START_TEST(sub_count_one)
{
	struct sub_proc s;
	const char *argv[] = { sub_path(), "-p", NULL, "-t", "a.>",
			       "-v",	   "-n", "1",  NULL };
	int64_t deadline;
	int st;

	start_broker(NULL);
	argv[2] = port_str;
	sub_start(&s, argv);
	deadline = harness_now_ms() + 5000;
	while (!strstr(s.buf, "a.b hi\n") && harness_now_ms() < deadline) {
		pub_ok("a.b", "hi");
		harness_read_until(s.fd, s.buf, sizeof s.buf, "a.b hi\n", 100);
	}
	st = harness_wait_pid(s.pid, 3000);
	close(s.fd);
	ck_assert_int_eq(exit_code(st), 0);
	ck_assert_str_eq(s.buf, "a.b hi\n");
	stop_broker();
}
END_TEST

START_TEST(pub_lines_stdin_file)
{
	struct sub_proc s;
	struct run_out r;
	const char *sub_argv[] = { sub_path(), "-p", NULL, "-t",
				   "l.>",      "-v", NULL };
	const char *l_argv[] = { pub_path(), "-p", port_str, "-t",
				 "l.x",	     "-l", NULL };
	const char *s_argv[] = { pub_path(), "-p", port_str, "-t",
				 "l.s",	     "-s", NULL };
	const char *f_argv[] = { pub_path(), "-p", port_str, "-t",
				 "l.f",	     "-f", NULL,     NULL };
	char file[] = "/tmp/test_tools_XXXXXX";
	int fd;
	const char *after;

	start_broker(NULL);
	sub_argv[2] = port_str;
	sub_start(&s, sub_argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "l.probe",
			"l.probe probe\n");
	run_tool(&r, "one\n\nthree\n", l_argv);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	run_tool(&r, "all\nof it", s_argv);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "from file", 9), 9);
	close(fd);
	f_argv[6] = file;
	run_tool(&r, NULL, f_argv);
	unlink(file);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert(harness_read_until(s.fd, s.buf, sizeof s.buf,
				     "l.f from file\n", 3000));
	after = strstr(s.buf, "l.x one\n");
	ck_assert_ptr_nonnull(after);
	ck_assert_str_eq(after, "l.x one\nl.x \nl.x three\n"
				"l.s all\nof it\nl.f from file\n");
	sub_stop(&s);
	/* Unreadable file: one line, exit 1. */
	f_argv[6] = "/nonexistent/file";
	run_tool(&r, NULL, f_argv);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-pub: cannot open");
	stop_broker();
}
END_TEST

static int count_lines(const char *buf, const char *prefix)
{
	int n = 0;

	for (const char *p = buf; (p = strstr(p, prefix)) != NULL; p++)
		n++;
	return n;
}

START_TEST(queue_group_and_many_topics)
{
	struct sub_proc q[2], multi;
	struct run_out r;
	const char *q_argv[] = { sub_path(), "-p",  NULL, "-t", "w.>",
				 "-q",	     "grp", "-v", NULL };
	const char *m_argv[] = { sub_path(), "-p",  NULL, "-t", "p.a",
				 "-t",	     "p.b", "-v", NULL };
	const char *l_argv[] = { pub_path(), "-p", port_str, "-t",
				 "w.job",    "-l", NULL };
	int64_t deadline;
	int total = 0;

	start_broker(NULL);
	q_argv[2] = m_argv[2] = port_str;
	for (int i = 0; i < 2; i++) {
		sub_start(&q[i], q_argv);
		wait_subscribed(q[i].fd, q[i].buf, sizeof q[i].buf, "w.probe",
				"w.probe");
	}
	run_tool(&r, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", l_argv);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	deadline = harness_now_ms() + 3000;
	while (total < 10 && harness_now_ms() < deadline) {
		total = 0;
		for (int i = 0; i < 2; i++) {
			harness_read_until(q[i].fd, q[i].buf, sizeof q[i].buf,
					   "\x01", 50);
			total += count_lines(q[i].buf, "w.job ");
		}
	}
	ck_assert_int_eq(total, 10);
	for (int i = 0; i < 2; i++)
		sub_stop(&q[i]);

	sub_start(&multi, m_argv);
	wait_subscribed(multi.fd, multi.buf, sizeof multi.buf, "p.a",
			"p.a probe\n");
	pub_ok("p.c", "no");
	pub_ok("p.b", "yes");
	ck_assert(harness_read_until(multi.fd, multi.buf, sizeof multi.buf,
				     "p.b yes\n", 3000));
	ck_assert_ptr_null(strstr(multi.buf, "p.c"));
	sub_stop(&multi);
	stop_broker();
}
END_TEST

START_TEST(errors_one_line)
{
	struct run_out r;
	char port[16];
	const char *refused[] = { pub_path(), "-p", port, "-t",
				  "a",	      "-m", "x",  NULL };
	const char *bad_topic[] = { pub_path(), "-t", "a..b", "-m", "x", NULL };
	const char *bad_pattern[] = { sub_path(), "-t", "a..b", NULL };
	const char *no_topic[] = { pub_path(), "-m", "x", NULL };
	const char *two_modes[] = {
		pub_path(), "-t", "a", "-m", "x", "-l", NULL
	};
	const char *bad_port[] = { sub_path(), "-t", "a", "-p", "0", NULL };
	const char *sub_refused[] = { sub_path(), "-p", port, "-t", "a", NULL };

	snprintf(port, sizeof port, "%d", harness_free_port());
	run_tool(&r, NULL, refused);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-pub: cannot connect to 127.0.0.1:");
	ck_assert_ptr_nonnull(strstr(r.err, "refused"));
	run_tool(&r, NULL, sub_refused);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-sub: cannot connect to 127.0.0.1:");
	run_tool(&r, NULL, bad_topic);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-pub: invalid topic 'a..b'");
	run_tool(&r, NULL, bad_pattern);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-sub: invalid pattern 'a..b'");
	run_tool(&r, NULL, no_topic);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: ");
	run_tool(&r, NULL, two_modes);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: ");
	run_tool(&r, NULL, bad_port);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-sub: invalid port '0'");
}
END_TEST

START_TEST(broker_rejects)
{
	struct run_out r;
	char big[300];
	const char *too_big[] = { pub_path(), "-p", port_str, "-t",
				  "a",	      "-m", big,      NULL };
	const char *two_subs[] = { sub_path(), "-p", port_str, "-t",
				   "a",	       "-t", "b",      NULL };

	start_broker("max_payload 100\nmax_subs_per_client 1\n");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	run_tool(&r, NULL, too_big);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-pub: message too large");
	run_tool(&r, NULL, two_subs);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-sub: subscription to 'b' failed: ");
	ck_assert_ptr_nonnull(strstr(r.err, "(code 15)"));
	stop_broker();
}
END_TEST

START_TEST(sub_connection_lost)
{
	struct sub_proc s;
	char cmd[512];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int st;

	start_broker(NULL);
	/* stderr joins stdout so the message can be checked. */
	snprintf(cmd, sizeof cmd, "exec '%s' -p %d -t 'z.>' 2>&1", sub_path(),
		 broker.port);
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "z.p", "probe\n");
	stop_broker();
	ck_assert(harness_read_until(s.fd, s.buf, sizeof s.buf,
				     "broker-sub: connection lost", 3000));
	st = harness_wait_pid(s.pid, 3000);
	close(s.fd);
	ck_assert_int_eq(exit_code(st), 1);
}
END_TEST

/* --reconnect: the broker is killed and restarted on the same port;
 * broker-sub says so on stderr and goes on printing new messages. */
START_TEST(sub_reconnects_across_restart)
{
	struct sub_proc s;
	char cmd[512], expect[64];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int port;

	start_broker(NULL);
	port = broker.port;
	snprintf(cmd, sizeof cmd,
		 "exec '%s' -p %d -t 'y.>' -v --reconnect "
		 "--retry-max 50 2>&1",
		 sub_path(), port);
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "y.p", "y.p probe\n");
	harness_stop_broker(&broker, SIGKILL, 2000);
	ck_assert(harness_read_until(s.fd, s.buf, sizeof s.buf,
				     "broker-sub: disconnected, reconnecting\n",
				     3000));
	ck_assert_int_eq(harness_start_broker_on(&broker, port, NULL, NULL), 0);
	snprintf(expect, sizeof expect,
		 "broker-sub: reconnected to "
		 "127.0.0.1:%d\n",
		 port);
	/* Within 5 s even if the breaker opened (its cool-down is 5 s). */
	ck_assert_msg(
		harness_read_until(s.fd, s.buf, sizeof s.buf, expect, 8000),
		"'%s'", s.buf);
	/* Resubscribed by the library: new messages arrive. */
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "y.after",
			"y.after probe\n");
	sub_stop(&s);
	stop_broker();
}
END_TEST

START_TEST(retry_options)
{
	struct run_out r;
	char port[16];
	const char *retry[] = { pub_path(), "-p",	   port, "-t",
				"a",	    "-m",	   "x",	 "--retry",
				"2",	    "--retry-max", "20", "--timeout",
				"500",	    NULL };
	const char *bad[] = { pub_path(), "-t",	     "a",  "-m",
			      "x",	  "--retry", "-1", NULL };
	const char *pub_reconnect[] = { pub_path(), "-t",	   "a", "-m",
					"x",	    "--reconnect", NULL };

	snprintf(port, sizeof port, "%d", harness_free_port());
	run_tool(&r, NULL, retry);
	/* Three attempts, 10..20 ms apart, then one line. */
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-pub: cannot connect to 127.0.0.1:");
	run_tool(&r, NULL, bad);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: invalid retry count '-1'");
	run_tool(&r, NULL, pub_reconnect);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: option '--reconnect' is not for "
			       "broker-pub");
}
END_TEST

START_TEST(help_and_version)
{
	struct run_out r;
	char expect[64];
	const char *progs[] = { pub_path(), sub_path(), req_path(),
				reply_path() };
	const char *names[] = { "broker-pub", "broker-sub", "broker-req",
				"broker-reply" };

	for (int i = 0; i < 4; i++) {
		const char *help[] = { progs[i], "--help", NULL };
		const char *version[] = { progs[i], "--version", NULL };

		run_tool(&r, NULL, help);
		ck_assert_int_eq(exit_code(r.status), 0);
		ck_assert(strncmp(r.out, "Usage: ", 7) == 0);
		ck_assert_str_eq(r.err, "");
		run_tool(&r, NULL, version);
		ck_assert_int_eq(exit_code(r.status), 0);
		snprintf(expect, sizeof expect, "%s %s\n", names[i],
			 PACKAGE_VERSION);
		ck_assert_str_eq(r.out, expect);
	}
}
END_TEST

/* Read and discard fd until EOF (the writer exited) or timeout_ms. */
static void discard_until_eof(int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	char junk[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = read(fd, junk, sizeof junk);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
	}
}

/* broker-sub's queue options reach the broker: with --policy disconnect
 * and a queue of one message, a subscriber that stops reading (SIGSTOP)
 * while 8 MB are published is disconnected by the broker (the default
 * policy would only drop), and exits 1 once it runs again.  Bad values
 * are usage errors. */
START_TEST(sub_queue_options)
{
	static const char *bad[][2] = {
		{ "--policy", "drop" },		{ "--max-queue-msgs", "0" },
		{ "--max-queue-msgs", "4k" },	{ "--max-queue-bytes", "x" },
		{ "--max-queue-bytes", "12T" },
	};
	struct run_out r;
	struct sub_proc s;
	const char *argv[] = { sub_path(),   "-p",
			       NULL,	     "-t",
			       "q.>",	     "--policy",
			       "disconnect", "--max-queue-msgs",
			       "1",	     "--max-queue-bytes",
			       "64k",	     NULL };
	const char *flood[] = {
		pub_path(), "-p", NULL, "-t", "q.x", "-l", NULL
	};
	char *lines;
	int st;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *a[] = { sub_path(), "-t",	   "x",
				    bad[i][0],	bad[i][1], NULL };

		run_tool(&r, NULL, a);
		ck_assert_int_eq(exit_code(r.status), 2);
		assert_one_line(r.err, "broker-sub: invalid ");
	}
	start_broker(NULL);
	argv[2] = port_str;
	flood[2] = port_str;
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "q.probe", "probe");
	ck_assert_int_eq(kill(s.pid, SIGSTOP), 0);
	lines = malloc(8000 * 1001 + 1);
	ck_assert_ptr_nonnull(lines);
	for (int i = 0; i < 8000; i++) {
		memset(lines + i * 1001, 'x', 1000);
		lines[i * 1001 + 1000] = '\n';
	}
	lines[8000 * 1001] = 0;
	run_tool(&r, lines, flood);
	free(lines);
	ck_assert_msg(exit_code(r.status) == 0, "broker-pub: %s", r.err);
	ck_assert_int_eq(kill(s.pid, SIGCONT), 0);
	discard_until_eof(s.fd, 5000); /* what it prints meanwhile */
	st = harness_wait_pid(s.pid, 3000);
	close(s.fd);
	ck_assert_int_eq(exit_code(st), 1);
	stop_broker();
}
END_TEST

/* broker-sub asks for block by default; a broker whose pool forbids it
 * (allow_block no) answers with NOTICE POLICY, and broker-sub says on
 * stderr, once, that messages may now be dropped, and keeps going. */
START_TEST(sub_block_refused_warns)
{
	struct sub_proc s;
	char cmd[512];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };

	start_broker("pool.default.allow_block no\n");
	snprintf(cmd, sizeof cmd, "exec %s -p %s -t w.x 2>&1", sub_path(),
		 port_str);
	sub_start(&s, sh);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "w.x", "probe");
	ck_assert_msg(strstr(s.buf, "broker-sub: warning: block not allowed "
				    "in pool 'default': drop-newest; "
				    "messages may be dropped") != NULL,
		      "no warning in '%s'", s.buf);
	ck_assert_ptr_eq(strstr(strstr(s.buf, "warning:") + 1, "warning:"),
			 NULL);
	sub_stop(&s);
	stop_broker();
}
END_TEST

/* mosquitto habits: '+' and '#' are refused with brokerd's spelling of
 * the pattern, unless --literal; -q 0/1/2 warns; --help says -r is not
 * retain. */
START_TEST(mqtt_habits)
{
	static const char *cases[][2] = {
		{ "a/#", "did you mean 'a.>'?" },
		{ "sensors/+/temp", "did you mean 'sensors.*.temp'?" },
	};
	struct run_out r;
	struct sub_proc s;
	char cmd[512];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	const char *pub_hash[] = { pub_path(), "-t", "a/#", "-m", "x", NULL };
	const char *help[] = { pub_path(), "--help", NULL };
	const char *lit[] = { pub_path(), "-p",	 port_str,    "-t", "h#",
			      "-m",	  "lit", "--literal", NULL };
	int64_t deadline;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *a[] = { sub_path(), "-t", cases[i][0], NULL };

		run_tool(&r, NULL, a);
		ck_assert_int_eq(exit_code(r.status), 2);
		assert_one_line(r.err, "broker-sub: brokerd patterns use '.' "
				       "'*' and '>': did you mean");
		ck_assert_msg(strstr(r.err, cases[i][1]) != NULL, "%s", r.err);
	}
	run_tool(&r, NULL, pub_hash);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: brokerd topics use '.'");
	run_tool(&r, NULL, help);
	ck_assert_ptr_nonnull(strstr(r.out, "retain"));

	/* --literal: 'h#' is an ordinary topic; -q 1 joins group "1" with a
	 * warning on stderr (joined to stdout here). */
	start_broker(NULL);
	snprintf(cmd, sizeof cmd,
		 "exec '%s' -p %d -t 'h#' --literal -q 1 "
		 "-n 1 2>&1",
		 sub_path(), broker.port);
	sub_start(&s, sh);
	deadline = harness_now_ms() + 5000;
	while (!strstr(s.buf, "lit\n") && harness_now_ms() < deadline) {
		run_tool(&r, NULL, lit);
		ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
		harness_read_until(s.fd, s.buf, sizeof s.buf, "lit\n", 100);
	}
	ck_assert_int_eq(exit_code(harness_wait_pid(s.pid, 3000)), 0);
	close(s.fd);
	ck_assert_msg(strstr(s.buf, "broker-sub: warning: -q 1 joins queue "
				    "group '1'") != NULL,
		      "%s", s.buf);
	ck_assert_ptr_nonnull(strstr(s.buf, "lit\n"));
	stop_broker();
}
END_TEST

/* A server that greets every connection with `greeting` (like NATS's
 * INFO) and reads until the client goes; in a child process.  Returns
 * its pid; *port gets its port. */
static pid_t fake_text_server(int *port, const char *greeting)
{
	int lfd = harness_listen(port, 4);
	pid_t pid;

	ck_assert_int_ge(lfd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char junk[4096];
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0 && write(fd, greeting, strlen(greeting)) > 0)
			while (read(fd, junk, sizeof junk) > 0)
				;
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* Errors name what is wrong: the option, the non-broker server and what
 * it sent, the directory. */
START_TEST(errors_name_the_cause)
{
	struct run_out r;
	char port[16], expect[128];
	const char *bogus[] = { pub_path(), "--bogus", "-t", "a",
				"-m",	    "x",       NULL };
	const char *bad_short[] = { sub_path(), "-x", "-t", "a", NULL };
	const char *no_value[] = { pub_path(), "-m", "x", "-t", NULL };
	const char *dir[] = { pub_path(), "-t", "a", "-f", "/tmp", NULL };
	const char *nats[] = { pub_path(), "-p", port, "-t",
			       "a",	   "-m", "x",  NULL };
	int fport;
	pid_t srv;

	run_tool(&r, NULL, bogus);
	ck_assert_int_eq(exit_code(r.status), 2);
	ck_assert_str_eq(r.err, "broker-pub: invalid option '--bogus' "
				"(see --help)\n");
	run_tool(&r, NULL, bad_short);
	ck_assert_int_eq(exit_code(r.status), 2);
	ck_assert_str_eq(r.err, "broker-sub: invalid option '-x' "
				"(see --help)\n");
	run_tool(&r, NULL, no_value);
	ck_assert_int_eq(exit_code(r.status), 2);
	ck_assert_str_eq(r.err, "broker-pub: option '-t' needs a value "
				"(see --help)\n");
	run_tool(&r, NULL, dir);
	ck_assert_int_eq(exit_code(r.status), 1);
	ck_assert_str_eq(r.err, "broker-pub: cannot publish '/tmp': it is a "
				"directory\n");

	srv = fake_text_server(&fport, "INFO {\"server_id\":\"NATS\"}\r\n");
	snprintf(port, sizeof port, "%d", fport);
	run_tool(&r, NULL, nats);
	harness_wait_pid(srv, 3000);
	ck_assert_int_eq(exit_code(r.status), 1);
	snprintf(expect, sizeof expect,
		 "broker-pub: 127.0.0.1:%d does not "
		 "speak the brokerd protocol (it sent \"INFO {.server_id.",
		 fport);
	assert_one_line(r.err, expect);
}
END_TEST

/* -C is -n; -W SECONDS exits 3 when nothing came in that time, 0 when
 * the count was reached first. */
START_TEST(sub_count_alias_and_idle)
{
	struct run_out r;
	struct sub_proc s;
	const char *idle[] = { sub_path(), "-p", port_str, "-t",
			       "i.x",	   "-W", "1",	   NULL };
	const char *bad[] = { sub_path(), "-t", "i.x", "-W", "0", NULL };
	const char *argv[] = { sub_path(), "-p", port_str, "-t", "c.>",
			       "-C",	   "1",	 "-W",	   "30", NULL };
	int64_t deadline;

	run_tool(&r, NULL, bad);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-sub: invalid -W seconds '0'");
	start_broker(NULL);
	run_tool(&r, NULL, idle);
	ck_assert_int_eq(exit_code(r.status), 3);
	ck_assert_str_eq(r.out, "");
	sub_start(&s, argv);
	deadline = harness_now_ms() + 5000;
	while (!strstr(s.buf, "hi\n") && harness_now_ms() < deadline) {
		pub_ok("c.x", "hi");
		harness_read_until(s.fd, s.buf, sizeof s.buf, "hi\n", 100);
	}
	ck_assert_int_eq(exit_code(harness_wait_pid(s.pid, 3000)), 0);
	close(s.fd);
	ck_assert_str_eq(s.buf, "hi\n");
	stop_broker();
}
END_TEST

/* broker-req until it gets an answer (the responder may not have
 * subscribed yet: exit 4 then), bounded; returns the last run. */
static void req_until_answered(struct run_out *r, const char **argv)
{
	int64_t deadline = harness_now_ms() + 5000;

	do
		run_tool(r, NULL, argv);
	while (exit_code(r->status) == 4 && harness_now_ms() < deadline);
}

/* broker-req / broker-reply: no responders (4), a round trip with -m and
 * with --command (the request on the command's stdin), -n for several
 * replies, and a timeout (3) when a subscriber never answers. */
START_TEST(req_reply_tools)
{
	struct run_out r;
	struct sub_proc fixed, cmd, silent;
	const char *req_none[] = { req_path(), "-p", port_str,
				   "svc.none", "x",  NULL };
	const char *reply_m[] = { reply_path(), "-p",	port_str, "svc.fixed",
				  "-m",		"pong", NULL };
	const char *req_fixed[] = { req_path(),	 "-p",	 port_str,
				    "svc.fixed", "ping", NULL };
	const char *reply_cmd[] = { reply_path(), "-p",	       port_str,
				    "svc.>",	  "--command", "tr a-z A-Z",
				    "-q",	  "g",	       NULL };
	const char *req_cmd[] = { req_path(),  "-p",	port_str,
				  "svc.upper", "hello", NULL };
	const char *req_two[] = { req_path(), "-p",	   port_str, "-n",
				  "2",	      "svc.fixed", "hi",     NULL };
	const char *sub_silent[] = { sub_path(), "-p",	    port_str,
				     "-t",	 "q.quiet", NULL };
	const char *req_quiet[] = { req_path(), "-p",	   port_str, "-W",
				    "1",	"q.quiet", "x",	     NULL };
	const char *usage[] = { reply_path(), "svc.x", NULL };

	run_tool(&r, NULL, usage);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-reply: give exactly one of -m, "
			       "--command");
	start_broker(NULL);
	run_tool(&r, NULL, req_none);
	ck_assert_int_eq(exit_code(r.status), 4);
	ck_assert_str_eq(r.err, "broker-req: no responders on 'svc.none'\n");

	sub_start(&fixed, reply_m);
	req_until_answered(&r, req_fixed);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "pong\n");

	/* svc.> with --command: svc.fixed now has two responders. */
	sub_start(&cmd, reply_cmd);
	req_until_answered(&r, req_cmd);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "HELLO\n");
	run_tool(&r, NULL, req_two);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_msg(strcmp(r.out, "pong\nHI\n") == 0 ||
			      strcmp(r.out, "HI\npong\n") == 0,
		      "%s", r.out);

	sub_start(&silent, sub_silent);
	wait_subscribed(silent.fd, silent.buf, sizeof silent.buf, "q.quiet",
			"probe\n");
	run_tool(&r, NULL, req_quiet);
	ck_assert_int_eq(exit_code(r.status), 3);
	assert_one_line(r.err, "broker-req: timed out");
	sub_stop(&silent);
	sub_stop(&cmd);
	sub_stop(&fixed);
	stop_broker();
}
END_TEST

/* BROKER_URL gives the address; -p overrides its port; a bad one is a
 * usage error. */
START_TEST(broker_url_env)
{
	struct run_out r;
	char cmd[512];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };

	start_broker(NULL);
	snprintf(cmd, sizeof cmd,
		 "BROKER_URL=127.0.0.1:%d exec '%s' -t a "
		 "-m x",
		 broker.port, pub_path());
	run_tool(&r, NULL, sh);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	snprintf(cmd, sizeof cmd,
		 "BROKER_URL=brokerd://127.0.0.1:1 exec '%s' "
		 "-p %d -t a -m x",
		 pub_path(), broker.port);
	run_tool(&r, NULL, sh);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	snprintf(cmd, sizeof cmd, "BROKER_URL=a:b:c exec '%s' -t a -m x",
		 pub_path());
	run_tool(&r, NULL, sh);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-pub: invalid BROKER_URL 'a:b:c'");
	stop_broker();
}
END_TEST

/* -h unix:/PATH and BROKER_URL=unix:/PATH reach a broker listening on a
 * unix socket: the tools pass the address to the library unchanged.
 * Needs the library's unix: support (client/lib branch). */
START_TEST(unix_socket_address)
{
	struct harness_opts o = { 0 };
	struct run_out r, r2;
	char conf[512], sock[128], cmd[512];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	const char *pub[] = {
		pub_path(), "-h", sock, "-t", "u", "-m", "x", NULL
	};

	snprintf(sock, sizeof sock, "unix:/tmp/test_tools_%d.sock",
		 (int)getpid());
	unlink(sock + 5); /* a leftover of an earlier run */
	o.port = harness_free_port();
	o.no_listen_args = 1;
	snprintf(conf, sizeof conf, "listen 127.0.0.1:%d\nlisten %s\n", o.port,
		 sock);
	ck_assert_int_eq(harness_start_broker_opts(&broker, conf, NULL, &o), 0);
	snprintf(cmd, sizeof cmd, "BROKER_URL=%s exec '%s' -t u -m x", sock,
		 pub_path());
	run_tool(&r, NULL, pub);
	run_tool(&r2, NULL, sh);
	/* Stop first, so a failure leaves no broker or socket behind. */
	stop_broker();
	unlink(sock + 5);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_msg(exit_code(r2.status) == 0, "%s", r2.err);
}
END_TEST

/* Run `python3 -c script` on text; the script's exit status is the
 * verdict (it prints why on failure). */
static void python_check(const char *script, const char *text)
{
	struct run_out r;
	const char *argv[] = { "/usr/bin/env", "python3", "-c", script, NULL };

	run_tool(&r, text, argv);
	ck_assert_msg(exit_code(r.status) == 0, "python3 check failed: %s%s",
		      r.out, r.err);
}

/* broker-stat without -w: one table naming the broker, the counters
 * and the default pool; with -w it runs until SIGTERM (exit 0). */
START_TEST(stat_table)
{
	struct run_out r;
	struct sub_proc w;
	const char *argv[] = { stat_path(), "-p", NULL, NULL };
	const char *watch[] = { stat_path(), "-p", NULL, "-w", NULL };
	char want[64];

	start_broker("sys_interval 0\n");
	argv[2] = watch[2] = port_str;
	pub_ok("t.a", "x");
	run_tool(&r, NULL, argv);
	/* -w runs until SIGTERM, which ends it with status 0. */
	sub_start(&w, watch);
	ck_assert(
		harness_read_until(w.fd, w.buf, sizeof w.buf, "drops/s", 5000));
	sub_stop(&w);
	stop_broker();
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_str_eq(r.err, "");
	snprintf(want, sizeof want, "brokerd at 127.0.0.1:%s\n", port_str);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	/* Our own connection, and the one PUB routed before we asked. */
	ck_assert_msg(strstr(r.out, "\nconnections     1 now, "), "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nmessages in     1 published\n"), "%s",
		      r.out);
	ck_assert_msg(strstr(r.out, "\ndropped         0 total, 0 drop-oldest"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "\ndefault "), "%s", r.out);
}
END_TEST

/* --json: the answer, one object per line, that a JSON parser reads with
 * the documented keys; -n 2 gives two of them. */
START_TEST(stat_json)
{
	struct run_out r;
	const char *argv[] = { stat_path(), "-p", NULL, "--json", NULL };
	const char *argv2[] = { stat_path(), "-p", NULL, "--json",
				"-n",	     "2",  NULL };
	const char *check =
		"import json, sys\n"
		"lines = sys.stdin.read().split('\\n')\n"
		"assert lines[-1] == '', lines\n"
		"assert len(lines) - 1 == N, lines\n"
		"for l in lines[:-1]:\n"
		"    d = json.loads(l)\n"
		"    b = d['broker']\n"
		"    for k in ('published', 'delivered', 'dropped',\n"
		"              'connections', 'subscriptions'):\n"
		"        assert isinstance(b[k], int), k\n"
		"    assert b['connections'] == 1, b\n"
		"    assert d['pools']['default']['name'] == 'default', d\n";
	char script[1024];

	start_broker("sys_interval 0\n");
	argv[2] = argv2[2] = port_str;
	run_tool(&r, NULL, argv);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	snprintf(script, sizeof script, "N = 1\n%s", check);
	python_check(script, r.out);
	run_tool(&r, NULL, argv2);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	snprintf(script, sizeof script, "N = 2\n%s", check);
	python_check(script, r.out);
	stop_broker();
}
END_TEST

/* in/s of each line of -w output (after its header), into rates[]. */
static int stat_rates(const char *out, long *rates, int cap)
{
	const char *line = strstr(out, "drops/s");
	int n = 0;
	char hms[16];
	long conns, subs, in;

	ck_assert_msg(line != NULL, "no header: %s", out);
	while ((line = strchr(line, '\n')) && *++line && n < cap) {
		ck_assert_msg(sscanf(line, "%15s %ld %ld %ld", hms, &conns,
				     &subs, &in) == 4,
			      "bad line in: %s", out);
		rates[n++] = in;
	}
	return n;
}

/* -w -n 3: three lines of rates; with nothing published in/s is 0
 * (broker-stat's own answers are not counted), with broker-pub
 * publishing meanwhile it is above 0. */
START_TEST(stat_watch_rates)
{
	struct run_out r;
	struct sub_proc s;
	const char *quiet[] = { stat_path(), "-p", NULL, "-n", "1", NULL };
	const char *busy[] = { stat_path(), "-p", NULL, "-w", "-n", "3", NULL };
	const char *pub[] = { pub_path(), "-p", NULL, "-t", "w.x", "-l", NULL };
	char lines[256];
	long rates[8], sum = 0;
	int64_t deadline;
	int st, n;

	start_broker("sys_interval 0\n");
	quiet[2] = busy[2] = pub[2] = port_str;
	run_tool(&r, NULL, quiet);
	ck_assert_msg(exit_code(r.status) == 0, "%s", r.err);
	ck_assert_int_eq(stat_rates(r.out, rates, 8), 1);
	ck_assert_msg(rates[0] == 0, "in/s without traffic: %s", r.out);

	for (n = 0; n < 100; n++)
		strcpy(lines + n * 2, "m\n");
	/* Publish 100 messages at a time until the header and 3 lines. */
	sub_start(&s, busy);
	deadline = harness_now_ms() + 15000;
	while (count_lines(s.buf, "\n") < 4 && harness_now_ms() < deadline) {
		run_tool(&r, lines, pub);
		harness_read_until(s.fd, s.buf, sizeof s.buf, "\001", 1);
	}
	st = harness_wait_pid(s.pid, 3000);
	close(s.fd);
	stop_broker();
	ck_assert_int_eq(exit_code(st), 0);
	ck_assert_int_eq(stat_rates(s.buf, rates, 8), 3);
	for (n = 0; n < 3; n++)
		sum += rates[n];
	ck_assert_msg(sum > 0, "no rate seen: %s", s.buf);
}
END_TEST

/* Broker down, or not answering in time: one line, exit 1. */
START_TEST(stat_errors)
{
	struct run_out r;
	char port[16];
	const char *down[] = { stat_path(), "-p", port, NULL };
	const char *extra[] = { stat_path(), "x", NULL };
	const char *bad_opt[] = { stat_path(), "-t", "a", NULL };

	snprintf(port, sizeof port, "%d", harness_free_port());
	run_tool(&r, NULL, down);
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-stat: cannot connect to 127.0.0.1:");
	ck_assert_str_eq(r.out, "");
	run_tool(&r, NULL, extra);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-stat: unexpected argument 'x'");
	run_tool(&r, NULL, bad_opt);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-stat: invalid option '-t'");
}
END_TEST

/* A broker that stops answering (SIGSTOP) while broker-stat -w watches:
 * the next request runs out of --timeout, one line, exit 1.  A broker
 * whose max_payload cannot hold the answer refuses it: one line too. */
START_TEST(stat_no_answer)
{
	struct sub_proc s;
	struct run_out r;
	char cmd[512];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	const char *small[] = { stat_path(), "-p", port_str, NULL };
	const char *err;
	int st;

	start_broker("sys_interval 0\n");
	snprintf(cmd, sizeof cmd, "exec '%s' -p %s -w --timeout 500 2>&1",
		 stat_path(), port_str);
	sub_start(&s, sh);
	ck_assert_msg(harness_read_until(s.fd, s.buf, sizeof s.buf, "\n", 5000),
		      "%s", s.buf);
	ck_assert_int_eq(kill(broker.pid, SIGSTOP), 0);
	harness_read_until(s.fd, s.buf, sizeof s.buf, "ms\n", 5000);
	st = harness_wait_pid(s.pid, 5000);
	close(s.fd);
	kill(broker.pid, SIGCONT);
	stop_broker();
	ck_assert_int_eq(exit_code(st), 1);
	err = strstr(s.buf, "broker-stat: ");
	ck_assert_msg(err != NULL, "%s", s.buf);
	ck_assert_str_eq(err, "broker-stat: no answer to $SYS.REQ.STATS "
			      "within 500 ms\n");

	start_broker("sys_interval 0\nmax_payload 256\n");
	run_tool(&r, NULL, small);
	stop_broker();
	ck_assert_int_eq(exit_code(r.status), 1);
	assert_one_line(r.err, "broker-stat: $SYS.REQ.STATS failed: stats do "
			       "not fit in max_payload");
	ck_assert_str_eq(r.out, "");
}
END_TEST

/* Write len bytes to a new temporary file; its name into path. */
static void temp_file(char *path, const void *data, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_tools_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* broker-pub -f with these bytes (they may hold NULs). */
static void pub_bytes(const char *topic, const void *data, size_t len,
		      const char *reply_to)
{
	struct run_out r;
	char path[32];
	const char *argv[] = { pub_path(), "-p", port_str, "-t",     topic,
			       "-f",	   path, "-r",	   reply_to, NULL };

	if (!reply_to)
		argv[7] = NULL;
	temp_file(path, data, len);
	run_tool(&r, NULL, argv);
	unlink(path);
	ck_assert_msg(exit_code(r.status) == 0, "broker-pub: %s", r.err);
}

/* -F with every conversion and escape, on a message with a reply-to. */
START_TEST(sub_format)
{
	struct sub_proc s;
	const char *argv[] = { sub_path(),
			       "-p",
			       port_str,
			       "-t",
			       "f.>",
			       "-F",
			       "%t|%p|%x|%X|%l|%r|%I|%U|%%|\\t|\\\\|",
			       NULL };
	const char *bad[] = { sub_path(), "-t", "a", "-F", "%q", NULL };
	const char *both[] = {
		sub_path(), "-t", "a", "-F", "%t", "--json", NULL
	};
	const char *at;
	size_t off;
	char iso[32], frac[16];
	long long secs;
	struct run_out r;

	run_tool(&r, NULL, bad);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-sub: invalid -F format: unknown "
			       "conversion '%q'");
	run_tool(&r, NULL, both);
	ck_assert_int_eq(exit_code(r.status), 2);
	assert_one_line(r.err, "broker-sub: give at most one of -F");

	start_broker(NULL);
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "f.probe", "|probe|");
	pub_bytes("f.x", "Hi\xff", 3, "f.back");
	ck_assert_msg(
		harness_read_until(s.fd, s.buf, sizeof s.buf, "f.x|", 3000),
		"%s", s.buf);
	off = (size_t)(strstr(s.buf, "f.x|") - s.buf);
	ck_assert_msg(harness_read_until(s.fd, s.buf + off, sizeof s.buf - off,
					 "\\|\n", 3000),
		      "%s", s.buf);
	at = s.buf + off;
	ck_assert_msg(strncmp(at, "f.x|Hi\xff|4869ff|4869FF|3|f.back|", 31) ==
			      0,
		      "%s", at);
	at += 31;
	/* 2026-12-06T04:30:12.345Z|1796531412.345678901|%|<tab>|\|\n */
	ck_assert_msg(sscanf(at, "%24[0-9T:.Z-]|%lld.%9[0-9]|", iso, &secs,
			     frac) == 3,
		      "%s", at);
	ck_assert_int_eq(strlen(iso), 24);
	ck_assert(iso[4] == '-' && iso[10] == 'T' && iso[19] == '.' &&
		  iso[23] == 'Z');
	ck_assert_int_eq(strlen(frac), 9);
	ck_assert_int_gt(secs, 1700000000LL);
	ck_assert_msg(strstr(at, "|%|\t|\\|\n") != NULL, "%s", at);
	sub_stop(&s);
	stop_broker();
}
END_TEST

/* --json (and -F %j): valid JSON for UTF-8 and for binary payloads. */
START_TEST(sub_json)
{
	static const unsigned char bin[] = { 0, 0xff, 0xfe, 0x80, '\n', '"' };
	static const char text[] = "h\xc3\xa9llo \"q\" \\ \t\x01\x7f";
	struct sub_proc s;
	size_t off;
	const char *argv[] = { sub_path(), "-p",     port_str, "-t",
			       "j.>",	   "--json", NULL };
	const char *check =
		"import base64, json, sys, datetime\n"
		"msgs = [json.loads(l) for l in "
		"sys.stdin.read().splitlines()]\n"
		"msgs = [m for m in msgs if m['topic'] != 'j.probe']\n"
		"assert len(msgs) == 2, msgs\n"
		"t, b = msgs\n"
		"assert t['topic'] == 'j.text' and t['reply_to'] == 'j.r', t\n"
		"assert t['payload'] == 'h\\u00e9llo \"q\" \\\\ "
		"\\t\\x01\\x7f', t\n"
		"assert t['payload_len'] == 16 and 'payload_b64' not in t, t\n"
		"assert b['reply_to'] is None and 'payload' not in b, b\n"
		"assert base64.b64decode(b['payload_b64']) == "
		"b'\\x00\\xff\\xfe\\x80\\n\"', b\n"
		"assert b['payload_len'] == 6, b\n"
		"r = b['received']\n"
		"assert r.endswith('Z') and len(r) == 24, r\n"
		"datetime.datetime.strptime(r, '%Y-%m-%dT%H:%M:%S.%fZ')\n";

	start_broker(NULL);
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "j.probe", "\"probe\"");
	pub_bytes("j.text", text, strlen(text), "j.r");
	pub_bytes("j.bin", bin, sizeof bin, NULL);
	ck_assert_msg(harness_read_until(s.fd, s.buf, sizeof s.buf,
					 "\"payload_len\":6", 3000),
		      "%s", s.buf);
	off = (size_t)(strstr(s.buf, "\"payload_len\":6") - s.buf);
	ck_assert(harness_read_until(s.fd, s.buf + off, sizeof s.buf - off,
				     "\n", 3000));
	sub_stop(&s);
	stop_broker();
	python_check(check, s.buf);
}
END_TEST

/* --pretty: a msgpack map as JSON; garbage as a warning and hex. */
START_TEST(sub_pretty)
{
	/* {"a": 1, "b": [true, nil, -2, 1.5], "c": bin 01 02 03, 7: "seven",
	 *  "d": float32 0.1} */
	static const unsigned char mp[] = {
		0x85, 0xa1, 'a',  0x01, 0xa1, 'b',  0x94, 0xc3, 0xc0, 0xfe,
		0xcb, 0x3f, 0xf8, 0,	0,    0,    0,	  0,	0,    0xa1,
		'c',  0xc4, 3,	  1,	2,    3,    7,	  0xa5, 's',  'e',
		'v',  'e',  'n',  0xa1, 'd',  0xca, 0x3d, 0xcc, 0xcc, 0xcd
	};
	static const unsigned char junk[] = { 0xc1, 0x00 };
	struct sub_proc s;
	char cmd[512];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *check =
		"import json, sys\n"
		"text = sys.stdin.read()\n"
		"start = text.index('p.map {')\n"
		"body = text[start + 6:text.index('\\n}', start) + 2]\n"
		"assert json.loads(body) == {'a': 1, 'b': [True, None, -2, "
		"1.5],"
		" 'c': 'AQID', '7': 'seven', 'd': 0.1}, body\n"
		"assert '\\n  \"a\": 1,' in body, body\n";
	const char *at;

	start_broker(NULL);
	snprintf(cmd, sizeof cmd, "exec '%s' -p %s -t 'p.>' -v --pretty 2>&1",
		 sub_path(), port_str);
	sub_start(&s, argv);
	wait_subscribed(s.fd, s.buf, sizeof s.buf, "p.probe", "p.probe ");
	pub_bytes("p.map", mp, sizeof mp, NULL);
	ck_assert_msg(
		harness_read_until(s.fd, s.buf, sizeof s.buf, "\n}\n", 3000),
		"%s", s.buf);
	pub_bytes("p.junk", junk, sizeof junk, NULL);
	ck_assert_msg(
		harness_read_until(s.fd, s.buf, sizeof s.buf, "c100\n", 3000),
		"%s", s.buf);
	sub_stop(&s);
	stop_broker();
	python_check(check, s.buf);
	at = strstr(s.buf, "broker-sub: warning: payload on 'p.junk' is not "
			   "msgpack");
	ck_assert_msg(at != NULL, "%s", s.buf);
	ck_assert_msg(strstr(s.buf, "p.junk c100\n") != NULL, "%s", s.buf);
}
END_TEST

static Suite *tools_suite(void)
{
	Suite *s = suite_create("tools");
	TCase *tc = tcase_create("tools");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, sub_count_one);
	tcase_add_test(tc, pub_lines_stdin_file);
	tcase_add_test(tc, queue_group_and_many_topics);
	tcase_add_test(tc, errors_one_line);
	tcase_add_test(tc, broker_rejects);
	tcase_add_test(tc, sub_connection_lost);
	tcase_add_test(tc, sub_reconnects_across_restart);
	tcase_add_test(tc, retry_options);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, sub_queue_options);
	tcase_add_test(tc, sub_block_refused_warns);
	tcase_add_test(tc, mqtt_habits);
	tcase_add_test(tc, errors_name_the_cause);
	tcase_add_test(tc, sub_count_alias_and_idle);
	tcase_add_test(tc, req_reply_tools);
	tcase_add_test(tc, broker_url_env);
	tcase_add_test(tc, unix_socket_address);
	tcase_add_test(tc, stat_table);
	tcase_add_test(tc, stat_json);
	tcase_add_test(tc, stat_watch_rates);
	tcase_add_test(tc, stat_errors);
	tcase_add_test(tc, stat_no_answer);
	tcase_add_test(tc, sub_format);
	tcase_add_test(tc, sub_json);
	tcase_add_test(tc, sub_pretty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(tools_suite());
}
