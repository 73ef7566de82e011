/*
 * auth.h - authentication as a whole: the users table in force, the
 * password-check worker, the brute-force table, the safe-default rule, and
 * SIGHUP's new users file.  The per-connection login is auth_login.h.
 *
 * Without users_file everything is as before authentication existed:
 * c->user stays NULL and everyone may do everything.  With one, every
 * connection that passed HELLO has c->user: its user's record, or the
 * table's `anonymous` record (allow_anonymous yes, no credentials).
 *
 * Ownership: the broker owns one struct auth (b->auth, auth_init /
 * auth_free), which owns the table, the worker and the delay table.
 * auth_free runs after every connection is freed.
 */
#ifndef BROKERD_AUTH_H
#define BROKERD_AUTH_H

#include <stdint.h>
#include <stdio.h>

#include "users.h"

struct broker;
struct conf;
struct auth_worker;
struct authdelay;
struct login;

struct auth {
	struct users *users;	    /* owned; NULL: no users_file */
	struct auth_worker *worker; /* owned; made with the first table */
	struct authdelay *delays;   /* owned; the same */
	/* An unknown user's password is checked against this (the first
	 * user's hash, so it costs what a real check costs). */
	char dummy[USERS_MAX_HASH + 1];
	/* logins being hashed (auth_login.c's, loop thread only) */
	struct login *flights;
	/* logins: succeeded, failed, refused busy; checks: passwords
	 * hashed, matched the cached digest, answered by a check of the
	 * same password in flight */
	uint64_t ok, failed, busy, hashed, cached, shared;
	uint64_t busy_noted_at; /* ms: last "refused" line */
};

/* Load b->conf.users_file (when set) and start the worker.  0, or -1
 * with the reason logged. */
int auth_init(struct broker *b);

/* Stop the worker, free the tables.  Safe on a zeroed broker. */
void auth_free(struct broker *b);

/* --check-config and every load of the settings: the users file must parse
 * (against conf's pools), and the safe default must hold: a TCP client
 * listener or the monitor on a non-loopback address needs a users_file or
 * allow_anonymous yes.  Every problem on errs; returns their count. */
int auth_check_conf(const struct conf *conf, FILE *errs);

/* SIGHUP, after the new settings passed auth_check_conf: load fresh's
 * users file.  *out is the new table (NULL: no users_file).  0, or -1 when
 * it does not load now (logged; the reload must be refused). */
int auth_reload_load(struct broker *b, const struct conf *fresh,
		     struct users **out);

/* Put the table from auth_reload_load in force (taking it over): every
 * logged-in connection's c->user moves to its user's new record and its
 * rules are re-applied (authz_reapply); one whose user is gone is sent
 * ERR AUTH_FAILED "user removed" and closed.  Users whose hash changed keep
 * their connection. */
void auth_reload_apply(struct broker *b, struct users *fresh);

/* Is host (a listen address: literal, name, "" for every interface) on
 * the loopback interface only? */
int auth_host_is_loopback(const char *host);

#endif
