/* pidfile.c - see pidfile.h. */
#include "config.h"

#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>

/* The pid written in fd, or 0. */
static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

static int write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

int pidfile_acquire(struct pidfile *p, const char *path, struct log *lg)
{
	long old;

	p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	snprintf(p->path, sizeof p->path, "%s", path);
	if (p->fd < 0) {
		log_msg(lg, LOG_LEVEL_ERROR, "pidfile %s: %s", path,
			strerror(errno));
		return -1;
	}
	old = read_pid(p->fd);
	if (flock(p->fd, LOCK_EX | LOCK_NB) != 0) {
		log_msg(lg, LOG_LEVEL_ERROR,
			"pidfile %s is held by a running "
			"brokerd (pid %ld): not starting",
			path, old);
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	if (old > 0 && old != (long)getpid() &&
	    (kill((pid_t)old, 0) == 0 || errno == EPERM))
		log_msg(lg, LOG_LEVEL_WARNING,
			"pidfile %s names live pid %ld "
			"but is not locked: stale, taking it over",
			path, old);
	if (write_pid(p->fd) != 0) {
		log_msg(lg, LOG_LEVEL_ERROR, "pidfile %s: %s", path,
			strerror(errno));
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	return 0;
}

void pidfile_release(struct pidfile *p)
{
	if (p->fd < 0)
		return;
	unlink(p->path);
	close(p->fd);
	p->fd = -1;
}
