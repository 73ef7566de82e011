/* safe_write.c - see safe_write.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_write.h"

/* The directory of path into buf[0..cap). */
static void dir_of(const char *path, char *buf, size_t cap)
{
	char copy[4096];

	snprintf(copy, sizeof copy, "%s", path);
	snprintf(buf, cap, "%s", dirname(copy));
}

/* All of data to fd, then fsync.  0 or -1 (errno set). */
static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd); /* best effort: the rename is done */
		close(fd);
	}
}

int safe_write(const char *path, const void *data, size_t len, mode_t mode,
	       uid_t uid, gid_t gid, char *why, size_t why_cap)
{
	char dir[4096], tmp[4200];
	int fd, err;

	dir_of(path, dir, sizeof dir);
	if (snprintf(tmp, sizeof tmp, "%s/.brokerd-passwd.XXXXXX", dir) >=
	    (int)sizeof tmp) {
		snprintf(why, why_cap, "%s: path too long", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(why, why_cap, "cannot create a file in %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0 && errno != EPERM)
		goto fail;
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		fd = -1;
		goto fail;
	}
	sync_dir(dir);
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	snprintf(why, why_cap, "cannot write %s: %s", path, strerror(err));
	return -1;
}
