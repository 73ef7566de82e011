/*
 * conn.h - one client connection: its bufferevent, frame reading, replies,
 * outbound bound for messages, and deferred closing.
 *
 * Lifetime: created by the broker's accept callback (conn_new), linked in
 * the broker's list, and freed either from its own deferred close event
 * (after conn_close and the output flush, bounded by a timeout) or by
 * broker_free at exit (conn_free).  Nothing frees a connection from inside
 * one of its own bufferevent callbacks: conn_close only marks it closing.
 */
#ifndef BROKERD_CONN_H
#define BROKERD_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "inbound.h"
#include "log.h"
#include "outbound.h"
#include "proto.h"
#include "subs.h"

struct broker;
struct bufferevent;
struct event;
struct msg_tail;
struct sockaddr;

enum conn_state {
	CONN_HANDSHAKE,     /* waiting for HELLO */
	CONN_READY,         /* HELLO done */
	CONN_CLOSING,       /* no more reading; output flushing; freed soon */
};

struct conn {
	struct broker *b;            /* borrowed */
	struct bufferevent *bev;     /* owned, closes the socket */
	struct event *timer;         /* owned: handshake, then keepalive */
	struct event *close_ev;      /* owned: deferred free / flush timeout */
	struct conn *prev, *next;    /* the broker's list */
	uint64_t id;
	enum conn_state state;
	int counted;                 /* holds a max_clients slot */
	int read_paused;             /* own replies over max_outbound */
	int broken;                  /* half a frame queued: free soon */
	int draining;                /* broker stopping: not reading; closed
				      * once its queue is in the output */
	unsigned pings_out;          /* PINGs sent since the last frame in */
	struct outbound ob;          /* outbound queue, bound, drops */
	struct inbound in;           /* rate limit, frame timeout */
	struct subs subs;            /* sid -> struct sub, records owned */
	char addr[64];               /* "127.0.0.1:51234" / "[::1]:51234" */
	char name[PROTO_MAX_NAME + 1]; /* client name from HELLO, or "" */
};

/* Wrap an accepted, non-blocking socket (the connection owns fd from now
 * on, even on failure).  counted: whether it takes a max_clients slot.
 * Starts reading and the handshake timer.  Returns the connection (owned
 * by the broker list; the caller links it) or NULL when out of memory. */
struct conn *conn_new(struct broker *b, evutil_socket_t fd,
		      const struct sockaddr *sa, int socklen, uint64_t id,
		      int counted);

/* Mark c closing: stop reading, drop its subscriptions, flush what is
 * queued (at most CONN_FLUSH_MS), then free it from a deferred event.
 * Safe to call from any callback, several times.  why is logged. */
void conn_close(struct conn *c, const char *why);

/* The broker is stopping (SIGTERM): stop reading c and, once every
 * message queued for it is in its output, send ERR SHUTTING_DOWN and close
 * (flushed within conf.drain_timeout_ms).  At once when nothing is queued.
 * Safe from any callback. */
void conn_drain(struct conn *c);

/* Send ERR [0, code, reason or the code's text] and close. */
void conn_fail(struct conn *c, enum proto_err code, const char *reason);

/* Free c now (unlink it, unsubscribe, close the socket).  Only from the
 * deferred close event or the broker's teardown. */
void conn_free(struct conn *c);

/* Queue a complete control frame (copied).  0, or -1 when out of memory. */
int conn_send_frame(struct conn *c, const uint8_t *frame, size_t len);

/* Send ERR [req_id, code, reason]; reason NULL: proto_err_str(code).
 * Counted in the broker stats; c stays open. */
void conn_send_err(struct conn *c, uint64_t req_id, enum proto_err code,
		   const char *reason);

/* Send OK [req_id]. */
void conn_send_ok(struct conn *c, uint64_t req_id);

/* (conn_send_msg, queueing one MSG, is in outbound.h.) */

/* Bytes queued for sending (output buffer and outbound queue). */
size_t conn_out_pending(const struct conn *c);

/* Start reading again after a pause (inbound.h) and handle the frames
 * already buffered.  No-op while closing or paused for another reason. */
void conn_read_resume(struct conn *c);

/* Log with the prefix "client ID ADDR: ". */
void conn_log(const struct conn *c, enum log_level level, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

#define CONN_FLUSH_MS 2000

#endif
