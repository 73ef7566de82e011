/* daemon.c - see daemon.h. */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

/* The parent: wait for the child's status byte and exit with it. */
static void parent_wait(int fd, pid_t child)
{
	unsigned char status = 1;
	ssize_t n;
	int st;

	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		/* The child died before reporting: pass its status on. */
		status = 1;
		if (waitpid(child, &st, 0) == child && WIFEXITED(st) &&
		    WEXITSTATUS(st) != 0)
			status = (unsigned char)WEXITSTATUS(st);
	}
	_exit(status);
}

int daemon_start(struct daemon *d)
{
	int p[2];
	pid_t pid;

	d->report_fd = -1;
	fflush(NULL);
	if (pipe(p) != 0) {
		fprintf(stderr, "brokerd: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "brokerd: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		parent_wait(p[0], pid);
	}
	close(p[0]);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	d->report_fd = p[1];
	setsid();
	if (chdir("/") != 0)
		fprintf(stderr, "brokerd: chdir /: %s\n", strerror(errno));
	return 0;
}

void daemon_ready(struct daemon *d, int status)
{
	unsigned char byte = (unsigned char)status;
	int null;

	if (d->report_fd < 0)
		return;
	fflush(NULL);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (isatty(2))
			dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(d->report_fd, &byte, 1) != 1)
		byte = 1; /* the parent is gone: nothing to tell */
	close(d->report_fd);
	d->report_fd = -1;
}
