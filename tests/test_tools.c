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
	tcase_add_test(tc, mqtt_habits);
	tcase_add_test(tc, errors_name_the_cause);
	tcase_add_test(tc, sub_count_alias_and_idle);
	tcase_add_test(tc, req_reply_tools);
	tcase_add_test(tc, broker_url_env);
	tcase_add_test(tc, unix_socket_address);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(tools_suite());
}
