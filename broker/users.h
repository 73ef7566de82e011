/*
 * users.h - the users file: who may log in (a crypt(3) hash per user), the
 * pool a user's connections move to (a tenant), and each user's
 * publish/subscribe rules (acl.h).
 *
 * File format, one statement a line, '#' comments and blank lines ignored:
 *   user NAME HASH [pool=NAME]     HASH: yescrypt ($y$) or SHA-512-crypt ($6$)
 *   allow USER pub|sub|all PATTERN
 *   deny USER pub|sub|all PATTERN
 * NAME follows the client-name rules (proto_check_name).  Rules name a user
 * declared anywhere in the file, or the reserved `anonymous` (the record
 * clients without credentials get when allow_anonymous is on), which has
 * no `user` line.  Bounded: USERS_MAX_LINE bytes a line, USERS_MAX users,
 * USERS_MAX_RULES rules in all.
 *
 * The parser (users_parse) is a pure function over a buffer, so the fuzzer
 * drives it; users_load reads the file and calls it.
 *
 * Ownership and lifetime: a struct users (the table) owns a reference to
 * each of its records.  A connection that logged in as a user holds its
 * own reference (user_ref / user_unref), so a record, its name and its acl
 * stay valid after a reload replaced the table, until the last connection
 * using it lets go.  References are taken and dropped on the loop thread
 * only.
 */
#ifndef BROKERD_USERS_H
#define BROKERD_USERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

struct acl;

#define USERS_MAX 10000
#define USERS_MAX_RULES 100000
#define USERS_MAX_LINE 1024
#define USERS_MAX_HASH 255
#define USERS_MAX_FILE (16u * 1024u * 1024u)
#define USERS_ANONYMOUS "anonymous"
#define USERS_DIGEST_LEN 32

struct user {
	char *name; /* owned, NUL-terminated */
	size_t name_len;
	struct acl *acl;	       /* owned; never NULL (empty: nothing) */
	char hash[USERS_MAX_HASH + 1]; /* crypt(3) string; "" anonymous */
	char pool[CONF_MAX_POOL_NAME]; /* "" : keep the listener's pool */
	unsigned refs;		       /* the table's and connections' */
	/* The last password that verified, as an HMAC under the table's
	 * key (auth_login.c): a reconnect with it skips the hash. */
	uint8_t ok_digest[USERS_DIGEST_LEN];
	uint8_t ok_cached;
	unsigned line; /* of its user line (messages); 0 anonymous */
};

struct users {
	struct user **v; /* owned references, sorted by name */
	size_t n;
	struct user *anonymous;	       /* one of v (always present) */
	uint8_t key[USERS_DIGEST_LEN]; /* random: keys ok_digest */
};

/* Parse the users file text buf[0..len) (not NUL-terminated; path is only
 * used in messages).  conf: the settings whose pools (pool.NAME.* or
 * listen ... pool=NAME lines, or "default") a pool= must name (NULL: any
 * name accepted).  Every problem is reported on errs (may
 * be NULL) as "PATH:LINE: reason", parsing goes on to show them all.
 * Returns the table (owned by the caller: users_free) or NULL when there
 * was any problem (*problems set, at least 1) or memory ran out. */
struct users *users_parse(const char *buf, size_t len, const char *path,
			  const struct conf *conf, FILE *errs, int *problems);

/* Read path (at most USERS_MAX_FILE bytes) and users_parse it. */
struct users *users_load(const char *path, const struct conf *conf, FILE *errs,
			 int *problems);

/* Drop the table's references (records still used by connections live
 * on).  NULL is a no-op. */
void users_free(struct users *u);

/* The record called name[0..len) (borrowed from the table), or NULL. */
struct user *users_find(const struct users *u, const char *name, size_t len);

/* Take / drop a reference to a record; the last drop frees it.  NULL is
 * a no-op for both.  user_ref returns its argument. */
struct user *user_ref(struct user *usr);
void user_unref(struct user *usr);

/* Is hash a crypt(3) string of an accepted method ($y$ or $6$, well
 * formed)?  NULL when it is, else the reason. */
const char *users_hash_problem(const char *hash);

#endif
