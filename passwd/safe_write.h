/*
 * safe_write.h - replace a file's contents all at once: a temporary file
 * in the same directory, written, fsync'ed, then renamed over the file
 * (and the directory fsync'ed), so a crash leaves the old or the new
 * file, never half of one.
 */
#ifndef SAFE_WRITE_H
#define SAFE_WRITE_H

#include <stddef.h>
#include <sys/types.h>

/* Write data[0..len) (borrowed) to path (borrowed) that way.  The new
 * file gets mode (and owner uid/gid when uid is not (uid_t)-1 and we may
 * set it).  0, or -1 with a one-line reason in why[0..why_cap). */
int safe_write(const char *path, const void *data, size_t len, mode_t mode,
	       uid_t uid, gid_t gid, char *why, size_t why_cap);

#endif
