/* users_parse.c - the users file's text into a table (users.h): two
 * passes over the buffer, `user` lines first (so rules may come before
 * the user they name), then `allow`/`deny`.  No I/O but the report. */
#include "config.h"

#include "users.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "proto.h"

#define MAX_WORDS 5

/* The state of one parse. */
struct parse {
	const char *path;
	const struct conf *conf; /* NULL: any pool name */
	FILE *errs;
	int problems;
	unsigned line;
	size_t nrules;
	struct users *u;
	size_t cap; /* of u->v */
};

static void problem(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	p->problems++;
	if (!p->errs)
		return;
	fprintf(p->errs, "%s:%u: ", p->path, p->line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

/* A new record (one reference: the table's), or NULL. */
static struct user *user_new(const char *name, size_t len)
{
	struct user *usr = calloc(1, sizeof *usr);

	if (!usr)
		return NULL;
	usr->name = malloc(len + 1);
	usr->acl = acl_new();
	if (!usr->name || !usr->acl) {
		acl_free(usr->acl);
		free(usr->name);
		free(usr);
		return NULL;
	}
	memcpy(usr->name, name, len);
	usr->name[len] = 0;
	usr->name_len = len;
	usr->refs = 1;
	return usr;
}

/* Append usr to the (not yet sorted) table.  0 or -1 (usr freed). */
static int append(struct parse *p, struct user *usr)
{
	struct user **v;

	if (p->u->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		v = realloc(p->u->v, cap * sizeof *v);
		if (!v) {
			user_unref(usr);
			return -1;
		}
		p->u->v = v;
		p->cap = cap;
	}
	p->u->v[p->u->n++] = usr;
	return 0;
}

/* Is pool the name of a configured pool? */
static int pool_known(const struct conf *c, const char *pool)
{
	if (!c || strcmp(pool, CONF_POOL_DEFAULT) == 0 ||
	    conf_pool_index(&c->pools, pool) >= 0)
		return 1;
	for (unsigned i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].pool, pool) == 0)
			return 1;
	return 0;
}

/* "pool=NAME" into usr->pool.  0 or -1 (reported). */
static int take_pool(struct parse *p, struct user *usr, const char *opt)
{
	if (strncmp(opt, "pool=", 5) != 0 || !opt[5]) {
		problem(p, "'%s': expected pool=NAME", opt);
		return -1;
	}
	opt += 5;
	if (strlen(opt) >= sizeof usr->pool || !pool_known(p->conf, opt)) {
		problem(p,
			"pool '%.64s' is not defined (no pool.%.64s.* or "
			"listen ... pool=%.64s line)",
			opt, opt, opt);
		return -1;
	}
	memcpy(usr->pool, opt, strlen(opt) + 1);
	return 0;
}

/* Is w a user name (the client-name rules)?  Reports when not. */
static int name_ok(struct parse *p, const char *w)
{
	if (proto_check_name(w, strlen(w), PROTO_E_BAD_NAME) == PROTO_OK_CODE)
		return 1;
	problem(p,
		"'%.64s' is not a valid user name (1..%u bytes of UTF-8, "
		"no blanks or control characters)",
		w, PROTO_MAX_NAME);
	return 0;
}

/* "user NAME HASH [pool=NAME]" */
static void user_line(struct parse *p, char **w, int n)
{
	const char *why;
	struct user *usr;

	if (n < 3 || n > 4) {
		problem(p, "expected: user NAME HASH [pool=NAME]");
		return;
	}
	if (!name_ok(p, w[1]))
		return;
	if (strcmp(w[1], USERS_ANONYMOUS) == 0) {
		problem(p, "'anonymous' is reserved for clients without "
			   "credentials (allow_anonymous); it has no password");
		return;
	}
	if ((why = users_hash_problem(w[2])) != NULL) {
		problem(p, "user '%s': %s", w[1], why);
		return;
	}
	if (p->u->n > USERS_MAX) {
		problem(p, "more than %d users", USERS_MAX);
		return;
	}
	usr = user_new(w[1], strlen(w[1]));
	if (!usr || append(p, usr) != 0) {
		problem(p, "out of memory");
		return;
	}
	usr->line = p->line;
	memcpy(usr->hash, w[2], strlen(w[2]) + 1);
	if (n == 4)
		take_pool(p, usr, w[3]); /* a problem is reported */
}

/* "allow|deny USER pub|sub|all PATTERN" */
static void rule_line(struct parse *p, char **w, int n)
{
	static const char *const acts[] = { "pub", "sub", "all" };
	enum acl_action act = 0;
	struct user *usr;

	if (n != 4) {
		problem(p, "expected: %s USER pub|sub|all PATTERN", w[0]);
		return;
	}
	for (int i = 0; i < 3; i++)
		if (strcmp(w[2], acts[i]) == 0)
			act = (enum acl_action)(i + 1);
	usr = users_find(p->u, w[1], strlen(w[1]));
	if (!usr)
		problem(p, "unknown user '%.64s' (no user line)", w[1]);
	else if (!act)
		problem(p, "'%.16s': expected pub, sub or all", w[2]);
	else if (proto_check_pattern(w[3], strlen(w[3])) != PROTO_OK_CODE)
		problem(p, "'%.64s' is not a valid pattern", w[3]);
	else if (++p->nrules > USERS_MAX_RULES)
		problem(p, "more than %d rules", USERS_MAX_RULES);
	else if (acl_add(usr->acl, w[0][0] == 'a' ? ACL_ALLOW : ACL_DENY, act,
			 w[3], strlen(w[3])) != 0)
		problem(p, "out of memory");
}

/* Split line (NUL-terminated, '#' comment cut) into at most MAX_WORDS + 1
 * words.  Returns the count (MAX_WORDS + 1: too many). */
static int split(char *line, char **w)
{
	char *save = NULL, *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = 0;
	for (char *t = strtok_r(line, " \t\r", &save); t && n <= MAX_WORDS;
	     t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	return n;
}

/* One line of the given pass (1: user lines, 2: rules). */
static void one_line(struct parse *p, char *line, int pass)
{
	char *w[MAX_WORDS + 1];
	int n = split(line, w);

	if (n == 0)
		return;
	if (strcmp(w[0], "user") == 0) {
		if (pass == 1)
			user_line(p, w, n);
	} else if (strcmp(w[0], "allow") == 0 || strcmp(w[0], "deny") == 0) {
		if (pass == 2)
			rule_line(p, w, n);
	} else if (pass == 1) {
		problem(p, "'%.32s': expected user, allow or deny", w[0]);
	}
}

/* Walk buf line by line for one pass.  Overlong lines and NUL bytes are
 * reported (in pass 1) and skipped. */
static void walk(struct parse *p, const char *buf, size_t len, int pass)
{
	char line[USERS_MAX_LINE + 1];
	size_t off = 0;

	p->line = 0;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - off;

		p->line++;
		if (n > USERS_MAX_LINE) {
			if (pass == 1)
				problem(p, "line longer than %d bytes",
					USERS_MAX_LINE);
		} else if (memchr(buf + off, 0, n)) {
			if (pass == 1)
				problem(p, "NUL byte (not a text file)");
		} else {
			memcpy(line, buf + off, n);
			line[n] = 0;
			one_line(p, line, pass);
		}
		off = end + 1;
	}
}

static int by_name(const void *a, const void *b)
{
	const struct user *x = *(struct user *const *)a;
	const struct user *y = *(struct user *const *)b;
	int r = memcmp(x->name, y->name,
		       x->name_len < y->name_len ? x->name_len : y->name_len);

	if (r != 0)
		return r;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Sort the table, and report a user declared twice. */
static void sort_users(struct parse *p)
{
	struct users *u = p->u;

	if (u->n > 1)
		qsort(u->v, u->n, sizeof *u->v, by_name);
	for (size_t i = 1; i < u->n; i++) {
		if (by_name(&u->v[i - 1], &u->v[i]) != 0)
			continue;
		p->line = u->v[i]->line > u->v[i - 1]->line ? u->v[i]->line
							    : u->v[i - 1]->line;
		problem(p, "user '%s' declared twice", u->v[i]->name);
	}
}

struct users *users_parse(const char *buf, size_t len, const char *path,
			  const struct conf *conf, FILE *errs, int *problems)
{
	struct parse p = { path, conf, errs, 0, 0, 0, NULL, 0 };
	struct user *anon = user_new(USERS_ANONYMOUS, strlen(USERS_ANONYMOUS));

	p.u = calloc(1, sizeof *p.u);
	if (!p.u || !anon || append(&p, anon) != 0) {
		if (!p.u)
			user_unref(anon);
		users_free(p.u);
		*problems = 1;
		if (errs)
			fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	walk(&p, buf, len, 1);
	sort_users(&p);
	walk(&p, buf, len, 2);
	p.u->anonymous = users_find(p.u, USERS_ANONYMOUS,
				    strlen(USERS_ANONYMOUS));
	*problems = p.problems;
	if (p.problems == 0)
		return p.u;
	users_free(p.u);
	return NULL;
}
