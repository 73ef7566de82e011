/*
 * pidfile.h - the pid file (--pidfile FILE or the pidfile key): written
 * once the broker listens, removed on exit, and locked (flock) while the
 * broker runs, so a second brokerd on the same file refuses to start.
 *
 * A file that is not locked but names a live process is taken over with a
 * warning (a stale file whose pid was reused); a locked file is refused.
 *
 * Ownership: the struct is owned by the caller; it owns the open file
 * until pidfile_release.
 */
#ifndef BROKERD_PIDFILE_H
#define BROKERD_PIDFILE_H

#include "conf.h"
#include "log.h"

struct pidfile {
	int fd; /* -1: none held */
	char path[CONF_MAX_PATH];
};

/* Lock path and write our pid into it.  Returns 0, or -1 with the reason
 * logged (another brokerd holds it, or an I/O error); p->fd is -1 then. */
int pidfile_acquire(struct pidfile *p, const char *path, struct log *lg);

/* Remove the file and drop the lock (no-op when none is held). */
void pidfile_release(struct pidfile *p);

#endif
