/*
 * listener.h - the broker's listening sockets: every "listen" line of the
 * configuration (TCP over IPv4 or IPv6, or a Unix domain socket), or the
 * simple bind:port form when there is none.
 *
 * Running out of file descriptors (EMFILE/ENFILE on accept) is survived:
 * every listener is paused for LISTENER_BACKOFF_MS and then resumed, and one
 * waiting connection is accepted on a spare descriptor kept for the purpose,
 * told ERR SERVER_BUSY and closed, so clients are not left hanging.
 *
 * Ownership: listeners_open returns a set owned by the caller, freed with
 * listeners_close (which closes the sockets and removes the Unix socket
 * files it created).  The event base and the log are borrowed and must
 * outlive the set.
 */
#ifndef BROKERD_LISTENER_H
#define BROKERD_LISTENER_H

#include <event2/util.h>

#include "conf.h"
#include "log.h"

struct event_base;
struct listeners;
struct sockaddr;

#define LISTENER_BACKOFF_MS 100

/* Called for every accepted connection.  fd is non-blocking and owned by
 * the callee from now on; sa is borrowed for the call; pool is the
 * listener's pool name ("default" unless its listen line said pool=NAME),
 * valid until listeners_close; tls: the line said "tls". */
typedef void (*listener_accept_fn)(void *arg, evutil_socket_t fd,
				   struct sockaddr *sa, int socklen,
				   const char *pool, int tls);

/* Open every listener of c (its listen lines, or c->bind:c->port when there
 * are none), each logged at notice level.  Returns the set, or NULL with
 * the reason logged (nothing is left open then). */
struct listeners *listeners_open(struct event_base *base, const struct conf *c,
				 struct log *lg, listener_accept_fn cb,
				 void *arg);

/* Stop accepting until the next turn of the event loop (then resume on
 * its own); no-op while paused.  For the accept callback: libevent
 * accepts the whole backlog in one go otherwise, and connections closed
 * during it keep their descriptors until the loop turns. */
void listeners_yield(struct listeners *ls);

/* Close the sockets, remove the Unix socket files, free ls (NULL is a
 * no-op). */
void listeners_close(struct listeners *ls);

#endif
