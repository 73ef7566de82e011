/* auth_login.c - see auth_login.h. */
#include "config.h"

#include "auth_login.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "auth_worker.h"
#include "authdelay.h"
#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "handle.h"
#include "pool.h"
#include "transport.h"

#define AUTH_FAILED_TEXT "authentication failed"

struct login {
	struct auth_job job; /* first: the worker frees leftovers as a job */
	struct conn *c;	     /* NULL once the connection went away */
	struct event *delay; /* the failure's delay, then ERR; owned */
	char user[PROTO_MAX_NAME + 1];
	char client[PROTO_MAX_NAME + 1];
	uint8_t digest[USERS_DIGEST_LEN];
	uint8_t known; /* the user exists (else the dummy hash) */
	/* Single flight: a login with the same user, hash and password as
	 * one being hashed (its leader) waits for that answer instead of
	 * hashing again.  prev/next: a leader's place in a->flights, a
	 * waiter's in its leader's waiters. */
	uint8_t flying;	       /* a leader in a->flights */
	struct login *leader;  /* a waiter's; NULL for a leader */
	struct login *waiters; /* a leader's */
	struct login *prev, *next;
};

static struct auth *auth_of(const struct conn *c)
{
	return c->b->auth;
}

/* HMAC-SHA256(u->key, pass) into out. */
static void digest(const struct users *u, const char *pass, size_t len,
		   uint8_t out[USERS_DIGEST_LEN])
{
	unsigned int n = USERS_DIGEST_LEN;

	if (!HMAC(EVP_sha256(), u->key, (int)sizeof u->key,
		  (const unsigned char *)pass, len, out, &n))
		memset(out, 0, USERS_DIGEST_LEN);
}

static void list_add(struct login **head, struct login *l)
{
	l->prev = NULL;
	l->next = *head;
	if (*head)
		(*head)->prev = l;
	*head = l;
}

static void list_del(struct login **head, struct login *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		*head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

/* The login being hashed that l can wait for, or NULL.  A clean
 * address's login does not wait behind a suspect one (queued last). */
static struct login *flight_find(const struct auth *a, const struct login *l)
{
	for (struct login *f = a->flights; f; f = f->next)
		if (f->known == l->known &&
		    (!f->job.suspect || l->job.suspect) &&
		    strcmp(f->user, l->user) == 0 &&
		    strcmp(f->job.hash, l->job.hash) == 0 &&
		    CRYPTO_memcmp(f->digest, l->digest, sizeof l->digest) == 0)
			return f;
	return NULL;
}

/* l no longer takes waiters (its check is back, or nobody wants it). */
static void land(struct auth *a, struct login *l)
{
	if (l->flying) {
		list_del(&a->flights, l);
		l->flying = 0;
	}
}

static void login_free(struct login *l)
{
	if (l->delay)
		event_free(l->delay);
	OPENSSL_cleanse(l->job.pass, sizeof l->job.pass);
	free(l);
}

/* Logged in as usr: the tenant's pool, WELCOME, then the frames that
 * waited behind the HELLO. */
static void succeed(struct conn *c, struct user *usr, struct proto_str client)
{
	struct auth *a = auth_of(c);

	a->ok++;
	c->user = user_ref(usr);
	if (usr->pool[0] && strcmp(c->ob.pool->lim.name, usr->pool) != 0) {
		pool_leave(c);
		if (pool_admit(c->b->pools, c, usr->pool) != 0)
			return; /* refused: ERR SERVER_BUSY, closing */
	}
	conn_log(c, LOG_LEVEL_INFO, "logged in as '%s'", usr->name);
	handle_hello_welcome(c, client);
	/* Checked by the worker: the frames behind the HELLO wait.  (A
	 * login decided inside the HELLO's own dispatch never paused: the
	 * read loop goes on by itself.) */
	if (c->pause & CONN_PAUSE_AUTH)
		conn_unpause(c, CONN_PAUSE_AUTH);
}

/* The delay is over: ERR AUTH_FAILED and close. */
static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct login *l = arg;
	struct conn *c = l->c;

	(void)fd;
	(void)what;
	c->login = NULL;
	login_free(l);
	conn_fail(c, PROTO_E_AUTH_FAILED, AUTH_FAILED_TEXT);
}

/* Failed: logged now, answered after the address's delay (at once when
 * the timer cannot be made). */
static void fail(struct conn *c, struct login *l, const char *why)
{
	struct auth *a = auth_of(c);
	uint32_t ms = authdelay_fail(a->delays, c->addr.ip, c->addr.family,
				     clock_mono_ms());
	struct timeval tv = clock_ms_tv(ms);

	a->failed++;
	conn_log(c, LOG_LEVEL_NOTICE,
		 "authentication failed for user '%s' (%s); answering in %u ms",
		 l->user, why, ms);
	conn_pause(c, CONN_PAUSE_AUTH);
	l->c = c;
	c->login = l;
	l->delay = evtimer_new(c->b->base, delay_cb, l);
	if (!l->delay || evtimer_add(l->delay, &tv) != 0)
		delay_cb(-1, 0, l);
}

/* A login the worker checked.  The table may have been reloaded since:
 * the user must still be there with the same hash. */
static void checked(struct conn *c, struct login *l)
{
	struct auth *a = auth_of(c);
	struct user *usr = a->users ? users_find(a->users, l->user,
						 strlen(l->user))
				    : NULL;

	c->login = NULL;
	if (!l->job.ok || !l->known)
		fail(c, l, l->known ? "wrong password" : "unknown user");
	else if (!usr || strcmp(usr->hash, l->job.hash) != 0)
		fail(c, l, "user changed by a reload");
	else {
		memcpy(usr->ok_digest, l->digest, sizeof usr->ok_digest);
		usr->ok_cached = 1;
		succeed(c, usr, proto_cstr(l->client));
		login_free(l);
	}
}

/* l's answer came back: nobody waits for it any more (freed), or its
 * connection gets it. */
static void answer(struct login *l)
{
	if (!l->c || l->c->state == CONN_CLOSING) {
		if (l->c)
			l->c->login = NULL;
		login_free(l);
		return;
	}
	checked(l->c, l);
}

void auth_login_done(struct auth_job *job, void *arg)
{
	struct login *l = (struct login *)job, *w;
	struct broker *b = arg;

	b->auth->hashed += l->job.hashed;
	land(b->auth, l);
	/* one at a time off the list: an answer may close other
	 * connections, which then leave it (auth_login_cancel) */
	while ((w = l->waiters) != NULL) {
		list_del(&l->waiters, w);
		w->leader = NULL;
		w->job.ok = l->job.ok;
		b->auth->shared++;
		answer(w);
	}
	answer(l);
}

void auth_login_cancel(struct conn *c)
{
	struct login *l = c->login;

	if (!l)
		return;
	c->login = NULL;
	if (l->leader) { /* waiting for another's answer: ours */
		list_del(&l->leader->waiters, l);
		login_free(l);
	} else if (l->delay) {
		login_free(l); /* waiting for its delay: ours */
	} else {
		l->c = NULL; /* in the worker: freed when it comes back */
		if (l->waiters)
			return; /* others still want the answer */
		land(auth_of(c), l);
		auth_worker_cancel(&l->job);
	}
}

/* A new login for c named user[0..len), or NULL (out of memory). */
static struct login *login_new(const struct proto_str *user,
			       const struct proto_str *client)
{
	struct login *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	/* the name is logged: never raw bytes a client made up */
	if (user->ptr && proto_check_name(user->ptr, user->len,
					  PROTO_E_BAD_NAME) == PROTO_OK_CODE)
		memcpy(l->user, user->ptr, user->len);
	else
		snprintf(l->user, sizeof l->user, "%s",
			 user->ptr ? "(not a valid name)" : "(none)");
	memcpy(l->client, client->ptr ? client->ptr : "", client->len);
	return l;
}

/* The worker's queue is full: SERVER_BUSY, logged at most once a second
 * (a storm must not become a storm of log lines). */
static void busy(struct conn *c)
{
	struct auth *a = auth_of(c);
	uint64_t now = clock_mono_ms();

	a->busy++;
	if (a->busy_noted_at == 0 || now - a->busy_noted_at >= 1000) {
		conn_log(c, LOG_LEVEL_WARNING,
			 "login refused: %zu password checks already queued "
			 "(%llu refused so far)",
			 auth_worker_pending(a->worker),
			 (unsigned long long)a->busy);
		a->busy_noted_at = now;
	}
	conn_fail(c, PROTO_E_SERVER_BUSY, "too many logins in progress");
}

/* Hand l to the worker (the user's hash, or the dummy), or let it wait
 * for the same check already there. */
static void submit(struct conn *c, struct login *l, const struct user *usr,
		   const struct proto_str *pass)
{
	struct auth *a = auth_of(c);

	snprintf(l->job.hash, sizeof l->job.hash, "%s",
		 usr ? usr->hash : a->dummy);
	memcpy(l->job.pass, pass->ptr ? pass->ptr : "", pass->len);
	l->job.suspect = authdelay_suspect(a->delays, c->addr.ip,
					   c->addr.family, clock_mono_ms());
	l->known = usr != NULL;
	l->c = c;
	if ((l->leader = flight_find(a, l)) != NULL) {
		list_add(&l->leader->waiters, l);
	} else if (auth_worker_submit(a->worker, &l->job) == 0) {
		list_add(&a->flights, l);
		l->flying = 1;
	} else {
		login_free(l);
		busy(c);
		return;
	}
	c->login = l;
	conn_pause(c, CONN_PAUSE_AUTH);
}

/* A HELLO with user and password. */
static void with_password(struct conn *c, const struct proto_msg *m)
{
	struct auth *a = auth_of(c);
	struct user *usr = users_find(a->users, m->user.ptr, m->user.len);
	struct login *l = login_new(&m->user, &m->name);

	if (!l) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	/* "anonymous" has no password; crypt(3) would stop at a NUL */
	if ((usr && usr->hash[0] == 0) ||
	    (m->pass.ptr && memchr(m->pass.ptr, 0, m->pass.len)))
		usr = NULL;
	digest(a->users, m->pass.ptr ? m->pass.ptr : "", m->pass.len,
	       l->digest);
	if (usr && usr->ok_cached &&
	    CRYPTO_memcmp(usr->ok_digest, l->digest, sizeof l->digest) == 0) {
		a->cached++;
		succeed(c, usr, proto_cstr(l->client));
		login_free(l);
		return;
	}
	submit(c, l, usr, &m->pass);
}

/* tls_identity_from_cert: the certificate's CN names the user. */
static void with_cert(struct conn *c, const struct proto_msg *m)
{
	struct auth *a = auth_of(c);
	char cn[PROTO_MAX_NAME + 2];
	struct proto_str name = { cn, 0 };
	struct user *usr = NULL;
	struct login *l;

	if (transport_tls_peer_cn(c->t, cn, sizeof cn) == 0) {
		name.len = (uint32_t)strlen(cn);
		usr = users_find(a->users, cn, name.len);
	}
	l = login_new(&name, &m->name);
	if (!l) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (usr && usr->hash[0]) {
		succeed(c, usr, proto_cstr(l->client));
		login_free(l);
		return;
	}
	fail(c, l,
	     name.len ? "certificate name is not a user"
		      : "no client certificate name");
}

void auth_login(struct conn *c, const struct proto_msg *m)
{
	struct auth *a = auth_of(c);

	if (c->b->conf.tls_identity_from_cert && c->tls) {
		with_cert(c, m);
	} else if (m->user.ptr || m->pass.ptr) {
		with_password(c, m);
	} else if (c->b->conf.allow_anonymous) {
		succeed(c, a->users->anonymous, m->name);
	} else {
		conn_log(c, LOG_LEVEL_NOTICE,
			 "no credentials and anonymous clients are not "
			 "allowed");
		conn_fail(c, PROTO_E_AUTH_FAILED, "authentication required");
	}
}
