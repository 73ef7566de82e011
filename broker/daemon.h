/*
 * daemon.h - detaching from the terminal (-d/--daemon).
 *
 * daemon_start forks: the parent waits until the child reports that it is
 * up (listening, pidfile written) or has failed, and exits with that status,
 * so "brokerd -d" returns 0 only once the broker really serves, and 1 when
 * it could not start.  The child becomes a session leader and moves to "/"
 * (paths given relative to the start directory must be made absolute
 * first); daemon_ready then reports back and detaches standard input and
 * output (and standard error when it is a terminal: log to syslog, or
 * redirect stderr to a file, to keep the log of a daemon).
 */
#ifndef BROKERD_DAEMON_H
#define BROKERD_DAEMON_H

struct daemon {
	int report_fd; /* write end of the pipe to the parent; -1 when done */
};

/* Fork.  Returns 0 in the child, or -1 (errno-based message on stderr) when
 * the fork failed; the parent process exits inside this call. */
int daemon_start(struct daemon *d);

/* In the child: tell the parent `status` (0 ready, else the exit status it
 * should return) and detach stdio.  Idempotent. */
void daemon_ready(struct daemon *d, int status);

#endif
