/* users.c - see users.h: the table, its records and their references,
 * the hash check and reading the file (the parser is users_parse.c). */
#include "config.h"

#include "users.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

struct user *user_ref(struct user *usr)
{
	if (usr)
		usr->refs++;
	return usr;
}

void user_unref(struct user *usr)
{
	if (!usr || --usr->refs > 0)
		return;
	acl_free(usr->acl);
	free(usr->name);
	free(usr);
}

void users_free(struct users *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		user_unref(u->v[i]);
	free(u->v);
	free(u);
}

/* Order by name: bytes, then length. */
static int cmp_name(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

struct user *users_find(const struct users *u, const char *name, size_t len)
{
	size_t lo = 0, hi = u ? u->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct user *m = u->v[mid];
		int r = cmp_name(name, len, m->name, m->name_len);

		if (r == 0)
			return u->v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The characters of crypt(3)'s base64 and of the parameter fields. */
static int hash_chars_ok(const char *h)
{
	return h[strspn(h, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "abcdefghijklmnopqrstuvwxyz$=")] == 0;
}

/* Fields between '$' signs: "$6$salt$hash" has 3, with rounds= 4. */
static size_t dollar_fields(const char *h)
{
	size_t n = 0;

	for (; *h; h++)
		n += *h == '$';
	return n;
}

const char *users_hash_problem(const char *h)
{
	size_t len = strlen(h), fields = dollar_fields(h);
	const char *last = strrchr(h, '$');

	if (len > USERS_MAX_HASH)
		return "hash too long";
	if (strncmp(h, "$y$", 3) != 0 && strncmp(h, "$6$", 3) != 0)
		return "unsupported hash: use yescrypt ($y$) or SHA-512-crypt "
		       "($6$), e.g. from brokerd-passwd, mkpasswd or "
		       "'openssl passwd -6'";
	if (!hash_chars_ok(h))
		return "hash has characters crypt(3) never writes";
	if (h[1] == 'y' ? fields != 4
			: fields != 3 && !(fields == 4 &&
					   strncmp(h, "$6$rounds=", 10) == 0))
		return "malformed hash (wrong number of '$' fields)";
	if (!last || last[1] == 0 || crypt_checksalt(h) != CRYPT_SALT_OK)
		return "malformed hash (crypt(3) does not accept its "
		       "settings)";
	return NULL;
}

struct users *users_load(const char *path, const struct conf *conf, FILE *errs,
			 int *problems)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(USERS_MAX_FILE + 1);
	size_t len = 0;
	struct users *u = NULL;

	*problems = 1;
	if (!f || !buf) {
		if (errs)
			fprintf(errs, "%s: cannot open: %s\n", path,
				f ? "out of memory" : strerror(errno));
	} else if ((len = fread(buf, 1, USERS_MAX_FILE + 1, f)) >
			   USERS_MAX_FILE ||
		   ferror(f)) {
		if (errs)
			fprintf(errs, "%s: %s\n", path,
				ferror(f) ? "read error"
					  : "larger than 16 MiB");
	} else {
		u = users_parse(buf, len, path, conf, errs, problems);
	}
	if (f)
		fclose(f);
	free(buf);
	return u;
}
