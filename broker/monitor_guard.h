/*
 * monitor_guard.h - bounds on the monitor's HTTP connections that
 * libevent 2.1's evhttp lacks: at most MONITOR_MAX_CONNS at once (the
 * listener stops accepting at the cap, so a flood waits in the kernel's
 * backlog instead of taking descriptors), and at most
 * MONITOR_CONN_MAX_S seconds of life each.  evhttp_set_timeout alone
 * does not stop a slowloris: every byte trickled in restarts it.
 *
 * How: evhttp's bevcb lets us make each connection's bufferevent; we keep
 * a reference on it, so we can tell (its callbacks are cleared) when
 * evhttp is done with it, and shut its socket down when it overstays, so
 * evhttp sees the end and frees it itself.  A sweep every
 * MONITOR_SWEEP_MS drops finished ones and cuts late ones.
 *
 * Ownership: the monitor owns the guard (monitor_guard_new/_free); the
 * guard borrows the evhttp and its bound socket.  Free it after
 * evhttp_free.
 */
#ifndef BROKERD_MONITOR_GUARD_H
#define BROKERD_MONITOR_GUARD_H

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct monitor_guard;

#define MONITOR_MAX_CONNS 32
#define MONITOR_CONN_MAX_S 10
#define MONITOR_SWEEP_MS 500

/* Guard every connection of http accepted on bound (both borrowed).
 * NULL when out of memory. */
struct monitor_guard *monitor_guard_new(struct event_base *base,
					struct evhttp *http,
					struct evhttp_bound_socket *bound);

/* Release every reference held.  NULL is a no-op. */
void monitor_guard_free(struct monitor_guard *g);

#endif
