/*
 * broker.h - the broker: settings, log, counters, the event loop, the
 * listener, the signal handling and the list of connections.
 *
 * main() owns one struct broker (no global state) and passes it down; every
 * connection keeps a borrowed pointer to it.
 */
#ifndef BROKERD_BROKER_H
#define BROKERD_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conf.h"
#include "log.h"
#include "qdelay.h"
#include "sdnotify.h"
#include "stats.h"

/* Connections without a max_clients slot (refused or evicted, waiting to
 * flush their ERR) that may hold descriptors before accepting yields to
 * the loop, which frees them: half of fdlimit.h's FDLIMIT_RESERVE, which
 * keeps room for them beyond max_clients. */
#define BROKER_MAX_UNCOUNTED 32

struct auth;
struct conn;
struct event;
struct engine;
struct event_base;
struct listeners;
struct monitor;
struct pools;
struct router;
struct sys_topics;
struct transport_loop;
struct ssl_ctx_st;

TAILQ_HEAD(conn_list, conn);

struct broker {
	struct conf conf;	    /* copy of the settings in use */
	uint32_t frame_max_payload; /* max_payload at start-up: WELCOME
					 * announces it and it bounds every
					 * frame both ways; a reload may lower
					 * conf.max_payload (PAYLOAD_TOO_LARGE
					 * above it), never raise it above
					 * this (clients were told this) */
	struct log log;
	struct broker_stats stats;
	struct event_base *base;     /* owned */
	struct listeners *listeners; /* owned; NULL once stopping */
	struct sdnotify notify;	     /* systemd notifications */
	struct event *sig_int, *sig_term;
	struct event *stop_timer;	   /* bounds the shutdown flush */
	struct event *sweep;		   /* connection timeouts (sweep.h) */
	struct router *router;		   /* owned */
	struct pools *pools;		   /* owned (pool.h) */
	struct sys_topics *sys;		   /* owned ($SYS, sys_topics.h) */
	struct monitor *monitor;	   /* owned (monitor.h); NULL: off */
	struct engine *engine;		   /* owned (engine.h); NULL: not
					    * federated */
	struct conn_list conns;		   /* connections, owned (conn.link) */
	struct transport_loop *transports; /* owned: the flush list
					    * (transport.h) */
	struct auth *auth;		   /* owned (auth.h): users, the
					    * password-check worker */
	struct ssl_ctx_st *tls;		   /* owned (tls_ctx.h): what TLS
					 * listeners' new connections use;
					 * NULL when there are none */
	size_t nclients;		   /* connections holding a slot */
	size_t nconns;			   /* connections in conns */
	uint64_t next_id;		   /* last client id given out */
	int stopping;
	struct qdelay qdelay; /* queueing-delay sampler (qdelay.h) */
	struct conn *hold_on; /* borrowed, flowhold.h: the block
					 * subscriber the PUB being routed
					 * must pause for, NULL: none */
};

/* Set up b with a copy of conf: log destination, event base, router,
 * signals, systemd watchdog, and the listeners (listener.h).  Returns 0, or
 * -1 with the reason logged (b is then cleaned up; broker_free is still
 * safe). */
int broker_init(struct broker *b, const struct conf *conf);

/* Run the event loop until SIGINT/SIGTERM and the shutdown flush are done.
 * Returns 0, or -1 when the loop failed. */
int broker_run(struct broker *b);

/* Free every connection, the listener, the router and the base; logs the
 * counters.  Safe on a zeroed or failed-init broker. */
void broker_free(struct broker *b);

/* Begin a graceful stop: tell systemd STOPPING=1, stop accepting, tell
 * every client, flush their output (bounded by conf.drain_timeout_ms), then
 * leave the loop. */
void broker_stop(struct broker *b);

/* Stop accepting new connections (listeners closed; idempotent). */
void broker_stop_accepting(struct broker *b);

/* Unlink c from the list (called by conn_free). */
void broker_detach(struct broker *b, struct conn *c);

/* Give up c's max_clients slot now, before c is freed (an evicted
 * connection); no-op when it holds none. */
void broker_release_slot(struct broker *b, struct conn *c);

#endif
