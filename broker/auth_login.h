/*
 * auth_login.h - one connection's login, between its HELLO and its
 * WELCOME (or ERR AUTH_FAILED), when a users file is in force.
 *
 * HELLO -> auth_login: the user is found (credentials, or the TLS
 * certificate's CN with tls_identity_from_cert), and, unless the password
 * matches the one cached for that user, a job goes to the worker
 * (auth_worker.h) while the connection stays in HANDSHAKE with reading
 * paused (CONN_PAUSE_AUTH): frames pipelined behind the HELLO wait and are
 * handled in order after WELCOME.  An unknown user is checked against a
 * dummy hash, so it costs and answers what a wrong password does.  A
 * failure waits the address's brute-force delay (authdelay.h), then gets
 * ERR AUTH_FAILED "authentication failed" and is closed; it is logged
 * with address and user name, never the password.  Success moves the
 * connection to its user's pool (pool=NAME) and sends WELCOME.
 *
 * The verified-password cache: after a success, the user's record keeps
 * HMAC-SHA256(table key, password); a HELLO whose password has that
 * digest skips the hash.  Keyed per table with a random key, one digest
 * per user (the last verified), and dropped with the table on reload.
 * Single flight: a HELLO with the same user and password as a login
 * being hashed (and the same hash) waits for that answer instead of
 * queueing another hash (a clean address never waits on a suspect one,
 * which is queued last); it takes no place in the worker's queue.
 *
 * Ownership: the login in flight (struct login, c->login) is owned by the
 * connection while it waits for its delay or for another's check, by the
 * worker while hashed;
 * auth_login_cancel (close, free) detaches or frees it, so a connection
 * that goes away mid-check is never touched again.
 */
#ifndef BROKERD_AUTH_LOGIN_H
#define BROKERD_AUTH_LOGIN_H

#include "proto.h"

struct conn;
struct auth_job;

/* c's valid HELLO m (version and name checked) with a users file in
 * force: log it in, now or later. */
void auth_login(struct conn *c, const struct proto_msg *m);

/* c is closing or being freed: forget its login in flight.  Idempotent. */
void auth_login_cancel(struct conn *c);

/* The worker's done callback (auth_worker.h); arg is the broker. */
void auth_login_done(struct auth_job *job, void *arg);

#endif
