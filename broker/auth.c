/* auth.c - see auth.h. */
#include "config.h"

#include "auth.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth_login.h"
#include "auth_worker.h"
#include "authdelay.h"
#include "authz.h"
#include "broker.h"
#include "conn.h"

/* A yescrypt hash of a random password nobody knows, at the default cost:
 * what an unknown user is checked against when the file has no user. */
static const char fallback_dummy[] =
	"$y$j9T$bYWE73sAMm2rt7vCEftFz1$"
	"lcJ/z0MlJQqcgMf1gbs5wwh9RHbrjPYsKXIUQno5ZR5";

int auth_host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6) ||
		       (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
	return 0;
}

/* One listener against the safe default.  0, or 1 (reported). */
static int exposed(const struct conf *c, const char *what,
		   const struct conf_listen *l, FILE *errs)
{
	char addr[CONF_MAX_BIND + 16];

	if (l->is_unix || auth_host_is_loopback(l->host) || c->users_file[0] ||
	    c->allow_anonymous)
		return 0;
	conf_listen_format(l, addr, sizeof addr);
	fprintf(errs,
		"brokerd: %s %s is not on loopback and no users_file is set: "
		"anyone who reaches it could use the broker; set users_file "
		"(see \"Securing brokerd\") or allow_anonymous yes\n",
		what, addr);
	return 1;
}

int auth_check_conf(const struct conf *c, FILE *errs)
{
	struct conf_listen one;
	int problems = 0, p = 0;

	if (c->nlisten == 0) {
		memset(&one, 0, sizeof one);
		snprintf(one.host, sizeof one.host, "%s", c->bind);
		one.port = c->port;
		problems += exposed(c, "listener", &one, errs);
	}
	for (unsigned i = 0; i < c->nlisten; i++)
		problems += exposed(c, "listener", &c->listen[i], errs);
	if (c->monitor.port)
		problems += exposed(c, "monitor", &c->monitor, errs);
	if (c->users_file[0]) {
		users_free(users_load(c->users_file, c, errs, &p));
		problems += p;
	}
	return problems;
}

/* The hash an unknown user is checked against. */
static void set_dummy(struct auth *a)
{
	const char *h = fallback_dummy;

	for (size_t i = 0; a->users && i < a->users->n; i++) {
		if (a->users->v[i]->hash[0]) {
			h = a->users->v[i]->hash;
			break;
		}
	}
	snprintf(a->dummy, sizeof a->dummy, "%s", h);
}

/* A loaded table's random key for the verified-password cache. */
static int keyed(struct users *u)
{
	return !u || RAND_bytes(u->key, sizeof u->key) == 1 ? 0 : -1;
}

/* The worker and the delay table, made with the first users table. */
static int start_worker(struct broker *b)
{
	struct auth *a = b->auth;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (!a->delays && !(a->delays = authdelay_new()))
		return -1;
	if (!a->worker)
		a->worker = auth_worker_new(b->base, cpus > 2 ? 2 : 1,
					    b->conf.failed_login_cpu,
					    auth_login_done, b);
	return a->worker ? 0 : -1;
}

/* Load path into a new table; NULL when it does not load (logged). */
static struct users *load_logged(struct broker *b, const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&text, &len);
	struct users *u = NULL;
	int problems = 1;

	if (errs) {
		u = users_load(c->users_file, c, errs, &problems);
		fclose(errs);
	}
	if (u && keyed(u) != 0) {
		users_free(u);
		u = NULL;
	}
	if (!u) {
		char *save = NULL;

		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save))
			log_msg(&b->log, LOG_LEVEL_ERROR, "%s", l);
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"users file %s not loaded (%d problems)", c->users_file,
			problems);
	}
	free(text);
	return u;
}

int auth_init(struct broker *b)
{
	b->auth = calloc(1, sizeof *b->auth);
	if (!b->auth) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "out of memory");
		return -1;
	}
	if (!b->conf.users_file[0])
		return 0;
	b->auth->users = load_logged(b, &b->conf);
	if (!b->auth->users)
		return -1;
	set_dummy(b->auth);
	if (start_worker(b) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"cannot start the password-check thread");
		return -1;
	}
	log_msg(&b->log, LOG_LEVEL_NOTICE,
		"users file %s: %zu users, anonymous clients %s",
		b->conf.users_file, b->auth->users->n - 1,
		b->conf.allow_anonymous ? "allowed" : "refused");
	return 0;
}

void auth_free(struct broker *b)
{
	struct auth *a = b->auth;

	if (!a)
		return;
	auth_worker_free(a->worker);
	authdelay_free(a->delays);
	users_free(a->users);
	free(a);
	b->auth = NULL;
}

int auth_reload_load(struct broker *b, const struct conf *fresh,
		     struct users **out)
{
	*out = NULL;
	if (!fresh->users_file[0])
		return 0;
	if (start_worker(b) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"reload: cannot start the password-check thread");
		return -1;
	}
	*out = load_logged(b, fresh);
	return *out ? 0 : -1;
}

/* c's user under the new table (NULL: none; *gone set when it must
 * go, with the reason). */
static struct user *new_record(const struct broker *b, const struct conn *c,
			       const struct users *fresh, const char **gone)
{
	struct user *usr;

	*gone = NULL;
	if (!fresh)
		return NULL;
	if (!c->user || c->user->hash[0] == 0) {
		if (!b->conf.allow_anonymous)
			*gone = "anonymous clients no longer allowed";
		return fresh->anonymous;
	}
	usr = users_find(fresh, c->user->name, c->user->name_len);
	if (!usr)
		*gone = "user removed";
	return usr;
}

/* One logged-in connection under the new table. */
static void follow(struct broker *b, struct conn *c, struct users *fresh)
{
	const char *gone;
	struct user *usr = new_record(b, c, fresh, &gone);

	if (gone) {
		conn_log(c, LOG_LEVEL_NOTICE, "user '%s': %s, disconnecting",
			 c->user ? c->user->name : USERS_ANONYMOUS, gone);
		conn_fail(c, PROTO_E_AUTH_FAILED, gone);
		return;
	}
	user_unref(c->user);
	c->user = user_ref(usr);
	authz_reapply(c); /* its subscriptions under the new rules */
}

void auth_reload_apply(struct broker *b, struct users *fresh)
{
	struct auth *a = b->auth;
	struct conn *c, *next;

	users_free(a->users);
	a->users = fresh;
	set_dummy(a);
	if (a->worker)
		auth_worker_set_share(a->worker, b->conf.failed_login_cpu);
	/* conn_fail never frees at once, but take the next one first */
	for (c = TAILQ_FIRST(&b->conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->state == CONN_READY)
			follow(b, c, fresh);
	}
	if (fresh)
		log_msg(&b->log, LOG_LEVEL_NOTICE,
			"users file %s reloaded: %zu users", b->conf.users_file,
			fresh->n - 1);
}
