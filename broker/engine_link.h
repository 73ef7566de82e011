/*
 * engine_link.h - the libnats side of federation: two connections to the
 * NATS cluster, the publisher thread, and the hand-off of received
 * messages to the loop.  Everything that calls libnats is here; the loop
 * side (engine.c) never blocks on it.
 *
 *   "main" connection (no_echo): every forwarded publish, and one plain
 *       subscription per distinct local pattern.  no_echo: a message we
 *       publish never comes back to our own subscriptions.
 *   "queue" connection: one queue subscription per distinct local
 *       (pattern, group).  It never publishes, so NATS may pick it for our
 *       own publishes: that is how a local queue member gets a local
 *       publish while NATS alone picks the one member cluster-wide.
 *
 * Threads: the publisher thread (ours) makes every libnats call that can
 * block (publish, subscribe, unsubscribe), fed through a bounded
 * engine_queue ("out").  libnats's delivery thread runs our message
 * callback, which copies the message into the bounded "in" queue and
 * writes a byte to the loop's wake-up pipe; its connection callbacks only
 * store atomics and write the same byte.  engine_link_status is safe from
 * the loop.
 *
 * Ownership: engine_link_new returns an owned link (engine_link_free).  An
 * upstream subscription record (struct engine_up, opaque) is reference
 * counted across threads: engine_link_subscribe returns one reference,
 * which engine_link_unsubscribe gives back.
 */
#ifndef BROKERD_ENGINE_LINK_H
#define BROKERD_ENGINE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "engine_queue.h"

struct engine_link;
struct engine_up;

/* Settings; every string is borrowed for engine_link_new only. */
struct engine_link_conf {
	const char *servers;	 /* "nats://h:p[,nats://h:p...]" */
	const char *name;	 /* connection name shown by the server */
	const char *tls_ca_file; /* "" when not set (also below) */
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *user;
	const char *password;
	const char *creds_file;
	int tls;	       /* require TLS */
	int reconnect_wait_ms; /* between tries at each address */
	size_t out_max_msgs;   /* the outbound bulkhead */
	size_t out_max_bytes;
};

struct engine_link_status {
	int up;		     /* both connections connected */
	uint64_t reconnects; /* completed, both connections */
	uint64_t disconnects;
	uint64_t pub_ok, pub_failed;	  /* publishes made by the thread */
	int last_pub_ok;		  /* the latest publish succeeded */
	uint64_t out_passed, out_dropped; /* the outbound queue */
	size_t out_held;
	uint64_t sub_failed; /* upstream SUBs libnats refused */
	char url[256];	     /* main connection's server, "" when none */
};

/* Start connecting (in the background: brokerd starts even while the
 * engine is unreachable) and start the publisher thread.  Received
 * messages go into in (borrowed, must outlive the link); each time in goes
 * from empty to not empty, and at every connection change, one byte is
 * written to wake_fd (borrowed, non-blocking).  NULL with a reason in
 * err[0..cap) on a bad setting (an address libnats refuses, an unreadable
 * TLS or creds file) or when out of resources. */
struct engine_link *engine_link_new(const struct engine_link_conf *c,
				    struct engine_queue *in, int wake_fd,
				    char *err, size_t cap);

/* Stop the thread, close both connections, wait for libnats's threads to
 * finish, free every upstream record.  NULL is a no-op. */
void engine_link_free(struct engine_link *lk);

/* Hand a publish to the thread (m: kind ENGINE_MSG_PUB, tag unused).
 * 0: taken over; -1: refused by the bulkhead (counted), m still the
 * caller's. */
int engine_link_publish(struct engine_link *lk, struct engine_msg *m);

/* Have the thread wake the loop after its next publish, whatever the
 * outcome (the breaker's trial message). */
void engine_link_want_outcome(struct engine_link *lk);

/* Subscribe upstream to pattern (queue NULL: plain, on the main
 * connection; else a queue subscription on the queue connection).  The
 * returned reference is the caller's until engine_link_unsubscribe.  NULL
 * when out of memory. */
struct engine_up *engine_link_subscribe(struct engine_link *lk,
					const char *pattern, size_t len,
					const char *queue);

/* Unsubscribe upstream and give back the caller's reference. */
void engine_link_unsubscribe(struct engine_link *lk, struct engine_up *up);

/* A snapshot of the link's counters and state (any thread). */
void engine_link_status(struct engine_link *lk, struct engine_link_status *st);

#endif
