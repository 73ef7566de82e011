/* harness.c - see harness.h.  Test code only. */
#include "config.h"

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

int64_t harness_now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

int harness_poll(int (*cond)(void *arg), void *arg, int timeout_ms,
		 int interval_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	long tries = interval_ms > 0 ? timeout_ms / interval_ms + 1 : 1;

	for (long i = 0; i < tries; i++) {
		int r = cond(arg);

		if (r || harness_now_ms() >= deadline)
			return r;
		usleep((useconds_t)interval_ms * 1000);
	}
	return cond(arg);
}

int harness_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

const char *harness_prog(const char *env, const char *fallback)
{
	const char *p = getenv(env);
	return (p && *p) ? p : fallback;
}

int harness_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int harness_listen(int *port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int harness_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* In the child: the environment and limits asked for in o (may be NULL). */
static void apply_opts(const struct harness_opts *o)
{
	struct rlimit rl;

	if (!o)
		return;
	for (const char *const *e = o->env; e && *e; e++)
		putenv((char *)*e);
	if (o->nofile > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)o->nofile;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void exec_broker(const struct broker_proc *b, const char *const *extra,
			const struct harness_opts *o)
{
	const char *argv[64];
	char port[16];
	int n = 0, fd;

	snprintf(port, sizeof port, "%d", b->port);
	argv[n++] = harness_prog("BROKERD", "../broker/brokerd");
	if (!o || !o->no_listen_args) {
		argv[n++] = "-b";
		argv[n++] = "127.0.0.1";
		argv[n++] = "-p";
		argv[n++] = port;
	}
	if (b->conf[0]) {
		argv[n++] = "-c";
		argv[n++] = b->conf;
	}
	for (; extra && *extra && n < 62; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	apply_opts(o);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* Ready: the port accepts, and the broker's loop answers our EOF by
 * closing (the kernel accepts on a listening socket before the loop runs,
 * so an accept alone does not say that every other listener is open). */
static int wait_ready(struct broker_proc *b)
{
	int64_t deadline = harness_now_ms() + 10000;

	while (harness_now_ms() < deadline) {
		int fd = harness_connect(b->port);
		if (fd >= 0) {
			shutdown(fd, SHUT_WR);
			harness_wait_closed(fd, 10000);
			close(fd);
			return 0;
		}
		if (!harness_broker_alive(b))
			return -1;
		usleep(10000);
	}
	return -1;
}

static void dump_log(const struct broker_proc *b)
{
	char line[512];
	FILE *f = fopen(b->log, "r");

	if (!f)
		return;
	fprintf(stderr, "--- brokerd log (%s) ---\n", b->log);
	while (fgets(line, sizeof line, f))
		fputs(line, stderr);
	fclose(f);
}

/* One try at starting brokerd on port: 0 ready, -1 did not come up
 * (killed, log dumped), -2 could not even set up (no point retrying). */
static int start_once(struct broker_proc *b, int port, const char *conf_text,
		      const char *const *extra_args,
		      const struct harness_opts *o)
{
	memset(b, 0, sizeof *b);
	snprintf(b->dir, sizeof b->dir, "/tmp/brokerd-test-XXXXXX");
	if (!mkdtemp(b->dir))
		return -2;
	snprintf(b->log, sizeof b->log, "%s/brokerd.log", b->dir);
	if (conf_text) {
		snprintf(b->conf, sizeof b->conf, "%s/brokerd.conf", b->dir);
		if (write_file(b->conf, conf_text) != 0)
			return -2;
	}
	b->port = port;
	b->pid = fork();
	if (b->pid < 0)
		return -2;
	if (b->pid == 0)
		exec_broker(b, extra_args, o);
	if (wait_ready(b) == 0)
		return 0;
	dump_log(b);
	harness_stop_broker(b, SIGKILL, 1000);
	return -1;
}

int harness_start_broker(struct broker_proc *b, const char *conf_text,
			 const char *const *extra_args)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int rc = start_once(b, harness_free_port(), conf_text,
				    extra_args, NULL);

		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1;
	}
	fprintf(stderr, "harness: brokerd did not start\n");
	return -1;
}

int harness_start_broker_on(struct broker_proc *b, int port,
			    const char *conf_text,
			    const char *const *extra_args)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int rc = start_once(b, port, conf_text, extra_args, NULL);

		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1;
		usleep(100000); /* the port may still be held a moment */
	}
	fprintf(stderr, "harness: brokerd did not start on port %d\n", port);
	return -1;
}

int harness_start_broker_opts(struct broker_proc *b, const char *conf_text,
			      const char *const *extra_args,
			      const struct harness_opts *o)
{
	for (int attempt = 0; attempt < (o->port ? 1 : 5); attempt++) {
		int rc = start_once(b, o->port ? o->port : harness_free_port(),
				    conf_text, extra_args, o);

		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1;
	}
	fprintf(stderr, "harness: brokerd did not start\n");
	return -1;
}

int harness_broker_alive(struct broker_proc *b)
{
	int st;

	if (b->pid <= 0)
		return 0;
	if (waitpid(b->pid, &st, WNOHANG) == b->pid) {
		b->pid = -st - 1; /* remember the status, mark as gone */
		return 0;
	}
	return 1;
}

int harness_wait_pid(pid_t pid, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	int st;

	while (harness_now_ms() < deadline) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	return waitpid(pid, &st, 0) == pid ? st : -1;
}

int harness_stop_broker(struct broker_proc *b, int sig, int timeout_ms)
{
	int st = -1;
	char cmd[300];

	if (b->pid > 0) {
		kill(b->pid, sig);
		st = harness_wait_pid(b->pid, timeout_ms);
	} else if (b->pid < 0) {
		st = -(b->pid + 1);
	}
	b->pid = 0;
	if (b->dir[0] && strncmp(b->dir, "/tmp/brokerd-test-", 18) == 0) {
		if (st != 0 && getenv("HARNESS_KEEP_LOGS") == NULL)
			dump_log(b);
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n",
				b->dir);
		b->dir[0] = 0;
	}
	return st;
}

int harness_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes before the deadline. */
static int recv_exact(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int harness_recv_msg(int fd, uint8_t *buf, size_t cap, struct proto_msg *msg,
		     int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	uint32_t body;

	if (cap < PROTO_HDR_LEN || recv_exact(fd, buf, PROTO_HDR_LEN, deadline))
		return -1;
	if (proto_frame_peek(buf, PROTO_HDR_LEN,
			     (uint32_t)(cap - PROTO_HDR_LEN),
			     &body) == PROTO_FRAME_BAD)
		return -1;
	if (recv_exact(fd, buf + PROTO_HDR_LEN, body, deadline))
		return -1;
	memset(msg, 0, sizeof *msg);
	return (int)proto_decode(buf + PROTO_HDR_LEN, body, msg);
}

int harness_hello(int fd, const char *name)
{
	uint8_t buf[1024];
	struct proto_msg m;
	size_t n = proto_enc_hello(buf, sizeof buf, PROTO_VERSION,
				   proto_cstr(name));

	if (n == 0 || harness_send(fd, buf, n) != 0)
		return -1;
	if (harness_recv_msg(fd, buf, sizeof buf, &m, 5000) != 0)
		return -1;
	return m.op == PROTO_WELCOME ? 0 : -1;
}

int harness_client(int port, const char *name)
{
	int fd = harness_connect(port);

	if (fd >= 0 && harness_hello(fd, name) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int harness_slow_client(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), size = 4096;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    harness_hello(fd, "slow") != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int harness_wait_closed(int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	uint8_t buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return 1;
	}
}

/* Write all of buf to a pipe (send() would fail there: ENOTSOCK). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void child_exec(char *const argv[], int in_fd, int out_fd, int err_fd)
{
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	execv(argv[0], argv);
	_exit(127);
}

/* Append what fd has to buf; returns 0 at EOF, 1 if open, -1 error. */
static int drain_into(int fd, char *buf, size_t cap, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof tmp);

	if (n == 0)
		return 0;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 1 : -1;
	if (*len + 1 < cap) {
		size_t take = (size_t)n < cap - 1 - *len ? (size_t)n
							 : cap - 1 - *len;
		memcpy(buf + *len, tmp, take);
		*len += take;
		buf[*len] = 0;
	}
	return 1;
}

static void collect(int ofd, int efd, char *out, size_t ocap, char *err,
		    size_t ecap, int64_t deadline)
{
	size_t olen = 0, elen = 0;
	int oopen = 1, eopen = 1;

	while ((oopen || eopen) && harness_now_ms() < deadline) {
		struct pollfd p[2] = {
			{ .fd = oopen ? ofd : -1, .events = POLLIN },
			{ .fd = eopen ? efd : -1, .events = POLLIN }
		};
		if (poll(p, 2, 50) < 0 && errno != EINTR)
			break;
		if (oopen && p[0].revents)
			oopen = drain_into(ofd, out, ocap, &olen) > 0;
		if (eopen && p[1].revents)
			eopen = drain_into(efd, err, ecap, &elen) > 0;
	}
}

int harness_run(char *const argv[], const char *input, char *out,
		size_t out_cap, char *err, size_t err_cap, int timeout_ms)
{
	int ip[2], op[2], ep[2], st;
	pid_t pid;

	out[0] = err[0] = 0;
	if (pipe(ip) || pipe(op) || pipe(ep))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(ip[1]);
		close(op[0]);
		close(ep[0]);
		child_exec(argv, ip[0], op[1], ep[1]);
	}
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	signal(SIGPIPE, SIG_IGN);
	if (input && write_all(ip[1], input, strlen(input)) != 0)
		fprintf(stderr, "harness: could not write stdin\n");
	close(ip[1]);
	collect(op[0], ep[0], out, out_cap, err, err_cap,
		harness_now_ms() + timeout_ms);
	close(op[0]);
	close(ep[0]);
	st = harness_wait_pid(pid, 100);
	return st;
}

pid_t harness_spawn(char *const argv[], int *out_fd)
{
	int op[2], devnull = open("/dev/null", O_RDONLY);
	pid_t pid;

	if (devnull < 0 || pipe(op))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(op[0]);
		child_exec(argv, devnull, op[1], 2);
	}
	close(devnull);
	close(op[1]);
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	*out_fd = op[0];
	return pid;
}

int harness_read_until(int fd, char *buf, size_t cap, const char *needle,
		       int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t len = strlen(buf);

	while (!strstr(buf, needle)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		if (drain_into(fd, buf, cap, &len) <= 0 && !strstr(buf, needle))
			return 0;
	}
	return 1;
}
