/* tool_command.c - see tool_command.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool_command.h"

/* The child's end of the pipes becomes its stdin/stdout; it runs cmd. */
static void child(const char *cmd, const int in[2], const int out[2])
{
	if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
		_exit(127);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

struct sink {
	char *buf;
	size_t len, cap;
};

/* Append what one read gives; 0 at EOF, 1 to go on, -1 on error. */
static int take_output(int fd, struct sink *s)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof chunk);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	if (s->len + (size_t)n > TOOL_COMMAND_MAX_OUT)
		return 1; /* over the limit: discarded */
	if (s->len + (size_t)n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		char *p;

		while (cap < s->len + (size_t)n)
			cap *= 2;
		if (!(p = realloc(s->buf, cap)))
			return -1;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, chunk, (size_t)n);
	s->len += (size_t)n;
	return 1;
}

/* Feed the input and drain the output together, so a command that
 * writes before it has read everything cannot deadlock us. */
static int pump(int wfd, const char *in, size_t len, int rfd, struct sink *s)
{
	size_t off = 0;
	int rc = 1;

	if (len == 0) {
		close(wfd);
		wfd = -1;
	}
	while (rc > 0) {
		struct pollfd p[2] = { { rfd, POLLIN, 0 },
				       { wfd, POLLOUT, 0 } };

		if (poll(p, wfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (wfd >= 0 &&
		    (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(wfd, in + off, len - off);

			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				off = len; /* it stopped reading: fine */
			if (off == len) {
				close(wfd);
				wfd = -1;
			}
		}
		if (p[0].revents)
			rc = take_output(rfd, s);
	}
	if (wfd >= 0)
		close(wfd);
	return rc;
}

int tool_command_run(const char *cmd, const void *in, size_t len, char **out,
		     size_t *out_len)
{
	int pin[2], pout[2], st, rc;
	struct sink s = { NULL, 0, 0 };
	pid_t pid;

	*out = NULL;
	*out_len = 0;
	if (pipe(pin) != 0)
		return -1;
	if (pipe(pout) != 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	if ((pid = fork()) == 0)
		child(cmd, pin, pout);
	close(pin[0]);
	close(pout[1]);
	if (pid < 0) {
		close(pin[1]);
		close(pout[0]);
		return -1;
	}
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	rc = pump(pin[1], in, len, pout[0], &s);
	close(pout[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		free(s.buf);
		errno = ENOMEM;
		return -1;
	}
	*out = s.buf;
	*out_len = s.len;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
