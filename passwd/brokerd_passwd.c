/*
 * brokerd_passwd.c - brokerd-passwd, like mosquitto_passwd: add, update
 * or delete a user's line in a brokerd users file (see users_edit.h),
 * hashing the password with yescrypt or SHA-512-crypt (pw_hash.h), the
 * password read from the terminal or stdin (pw_read.h) and only with -b
 * from the command line, the file replaced safely (safe_write.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pw_hash.h"
#include "pw_read.h"
#include "safe_write.h"
#include "users_edit.h"

#define EXIT_USAGE 2
/* Largest users file read (a file of a million users is far smaller). */
#define MAX_FILE (64 * 1024 * 1024)
#define PROG "brokerd-passwd"

static const char usage[] =
	"Usage: brokerd-passwd [-c] [-6] FILE USER\n"
	"       brokerd-passwd [-c] [-6] -b FILE USER PASSWORD\n"
	"       brokerd-passwd -D FILE USER\n"
	"Add or update USER's line in a brokerd users file (users_file),\n"
	"keeping every other line, or delete it.\n\n"
	"  -c         create FILE (mode 0600), replacing an existing one\n"
	"  -b         take the password from the command line (visible in\n"
	"             ps and shell history: for scripts that must)\n"
	"  -D         delete USER's line (its allow/deny lines stay)\n"
	"  -6         hash with SHA-512-crypt ($6$) instead of yescrypt ($y$)\n"
	"      --help     show this help and exit\n"
	"      --version  show the version and exit\n\n"
	"Without -b the password is read from the terminal (twice, without\n"
	"echo) or as one line from standard input.  Exits 0 on success, 1\n"
	"on errors, 2 on usage errors.\n";

struct args {
	int create, batch, delete;
	enum pw_method method;
	const char *file, *user, *pass;
};

/* "brokerd-passwd: <text>" on stderr; returns EXIT_FAILURE. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

static int usage_error(const char *what)
{
	fprintf(stderr, PROG ": %s (see --help)\n", what);
	return EXIT_USAGE;
}

/* -1 to go on, or an exit status. */
static int parse(struct args *a, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, want;

	memset(a, 0, sizeof *a);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "cbD6", longs, NULL)) != -1) {
		if (opt == 'H')
			return fputs(usage, stdout) == EOF;
		if (opt == 'V')
			return printf(PROG " %s\n", PACKAGE_VERSION) < 0;
		if (opt == 'c')
			a->create = 1;
		else if (opt == 'b')
			a->batch = 1;
		else if (opt == 'D')
			a->delete = 1;
		else if (opt == '6')
			a->method = PW_SHA512;
		else
			return usage_error("invalid option");
	}
	if (a->delete &&(a->create || a->batch))
		return usage_error("-D does not go with -c or -b");
	want = a->batch ? 3 : 2;
	if (argc - optind != want)
		return usage_error(a->batch ? "give FILE USER PASSWORD"
					    : "give FILE USER");
	a->file = argv[optind];
	a->user = argv[optind + 1];
	a->pass = a->batch ? argv[optind + 2] : NULL;
	if (!users_valid_name(a->user))
		return fail("invalid user name (1..128 bytes, no spaces or "
			    "control characters, not starting with #)");
	return -1;
}

/* The file's contents (malloc'd) and its mode and owner.  0, or an exit
 * status after a message. */
static int load(const char *path, char **text, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0)
		return errno == ENOENT
			       ? fail("%s does not exist (-c creates it)", path)
			       : fail("cannot open %s: %s", path,
				      strerror(errno));
	if (fstat(fd, st) != 0) {
		close(fd);
		return fail("cannot stat %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st->st_mode) || st->st_size > MAX_FILE) {
		close(fd);
		return fail("%s: %s", path,
			    S_ISREG(st->st_mode) ? "too large"
						 : "not a regular file");
	}
	*text = malloc((size_t)st->st_size + 1);
	if (*text)
		n = read(fd, *text, (size_t)st->st_size + 1);
	close(fd);
	if (!*text || n < 0 || n > st->st_size)
		return fail("cannot read %s: %s", path,
			    *text ? "it changed while read" : "out of memory");
	*len = (size_t)n;
	return 0;
}

/* The hash of the password (-b, terminal or stdin) into hash[0..cap). */
static int make_hash(const struct args *a, char *hash, size_t cap)
{
	char pass[PW_MAX + 2], why[160];
	int rc = 0;

	if (a->pass && (!*a->pass || strlen(a->pass) > PW_MAX))
		return fail("%s", *a->pass ? "password too long (at most 1024 "
					     "bytes)"
					   : "empty password");
	if (!a->pass && pw_read(pass, sizeof pass, why, sizeof why) != 0)
		return fail("%s", why);
	if (pw_hash(a->method, a->pass ? a->pass : pass, hash, cap, why,
		    sizeof why) != 0)
		rc = fail("%s", why);
	explicit_bzero(pass, sizeof pass);
	return rc;
}

/* Edit text and write the file. */
static int store(const struct args *a, const char *text, size_t len,
		 const char *hash, const struct stat *st)
{
	char *out = NULL, why[512];
	size_t out_len = 0;
	int found = 0, rc = 0;

	if (users_edit(text, len, a->user, a->delete ? NULL : hash, &out,
		       &out_len, &found) != 0)
		rc = fail("out of memory");
	else if (a->delete &&!found)
		rc = fail("user %s is not in %s", a->user, a->file);
	else if (safe_write(a->file, out, out_len,
			    st ? st->st_mode & 07777 : 0600,
			    st ? st->st_uid : (uid_t)-1,
			    st ? st->st_gid : (gid_t)-1, why, sizeof why) != 0)
		rc = fail("%s", why);
	free(out);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;
	struct stat st;
	char hash[512] = "", *text = NULL;
	size_t len = 0;
	int rc = parse(&a, argc, argv);

	if (rc >= 0)
		return rc;
	if (!a.create && (rc = load(a.file, &text, &len, &st)) != 0)
		return rc;
	if (!a.delete &&(rc = make_hash(&a, hash, sizeof hash)) != 0) {
		free(text);
		return rc;
	}
	rc = store(&a, text ? text : "", len, hash, a.create ? NULL : &st);
	free(text);
	return rc;
}
