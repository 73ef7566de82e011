/*
 * conn.h - one client connection: its state and pause mask (the one
 * place that decides whether it is read), frame reading, replies, and
 * deferred closing.  Its socket I/O is transport.h, which reports back
 * through callbacks made here; what happens to its MSGs is outbound.h.
 *
 * Lifetime: created by the broker's accept callback (conn_new), linked in
 * the broker's list, and freed either from its own deferred close event
 * (after conn_close and the output flush, bounded by a timeout) or by
 * broker_free at exit (conn_free).  Nothing frees a connection from inside
 * one of its own event callbacks: conn_close only marks it closing.
 */
#ifndef BROKERD_CONN_H
#define BROKERD_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/util.h>

#include "flowhold.h"
#include "inbound.h"
#include "log.h"
#include "outbound.h"
#include "proto.h"
#include "subs.h"

struct broker;
struct login;
struct ssl_ctx_st;
struct user;
struct event;
struct evbuffer;
struct msg_tail;
struct sockaddr;
struct transport;

enum conn_state {
	CONN_HANDSHAKE, /* waiting for HELLO */
	CONN_READY,	/* HELLO done */
	CONN_DRAINING,	/* broker stopping: not reading; closed once
			     * its queue is in the output (conn_drain) */
	CONN_CLOSING,	/* no more reading; output flushing; freed soon */
};

/* Why a connection is not read (bits of struct conn.pause).  It is read
 * iff its state is HANDSHAKE or READY and no bit is set: conn.c decides
 * that in one place (conn_pause, conn_unpause). */
enum conn_pause {
	CONN_PAUSE_OUTPUT = 1u << 0, /* own replies over max_outbound: until
				      * the output drains */
	CONN_PAUSE_RATE = 1u << 1,   /* rate limit (inbound.h): until its
				      * timer */
	CONN_PAUSE_BUDGET = 1u << 2, /* pool budget low (inbound.h): until
				      * its timer */
	CONN_PAUSE_CUT = 1u << 3,    /* cut off (policy disconnect), closed
				      * soon: never cleared */
	CONN_PAUSE_BROKEN = 1u << 4, /* half a frame queued or out of
				      * memory, freed soon: never cleared */
	CONN_PAUSE_BLOCK = 1u << 5,  /* a block subscriber it publishes to
				      * is over its mark (flowhold.h):
				      * until it drains or stalls */
	CONN_PAUSE_AUTH = 1u << 6,   /* its HELLO's login is being checked
				      * (auth_login.h): until WELCOME */
};
/* Reading stops right after the frame that set one of these. */
#define CONN_PAUSE_NOW (CONN_PAUSE_OUTPUT | CONN_PAUSE_AUTH)
/* The output is dead: nothing more is queued for it. */
#define CONN_PAUSE_GONE (CONN_PAUSE_CUT | CONN_PAUSE_BROKEN)

/* The peer's address, kept in binary (formatted only for the log). */
struct conn_addr {
	uint8_t ip[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;	/* host order */
	uint8_t family; /* AF_INET, AF_INET6, AF_UNIX, 0: other */
};

/* What a connection did, for the monitor's /connz: bumped on paths that
 * already touch the connection (a frame read, a frame queued, a drop). */
struct conn_io {
	uint64_t msgs_in;   /* PUBs received */
	uint64_t bytes_in;  /* bytes of every frame received (prefix too) */
	uint64_t msgs_out;  /* MSGs queued to it */
	uint64_t bytes_out; /* bytes of every frame queued to it */
	uint64_t drops;	    /* MSGs dropped instead of queued to it */
};

/*
 * Memory: this is what every connection costs besides its transport and
 * its subscriptions, so it holds no per-connection timer events (sweep.h
 * keeps deadlines instead) and allocates nothing that an idle connection
 * does not use: the input and output buffers and the write event
 * (transport.h), the close event, the outbound ring (outq.h), the
 * rate-limit state (inbound.h) and the subscription array (subs.h) come
 * with their first use.
 */
struct conn {
	struct broker *b;	/* borrowed */
	struct transport *t;	/* owned: socket, buffers, events */
	struct event *close_ev; /* owned, made by the first close (or
				      * cut-off): deferred free / flush
				      * timeout; NULL before */
	TAILQ_ENTRY(conn) link; /* the broker's list */
	TAILQ_ENTRY(conn)
	hs_link; /* its pool's handshaking list (pool.h),
				      * while hs_linked */
	uint64_t id;
	uint64_t timer_at;  /* sweep.h clock, 0: none.  Handshake
				      * deadline, then the next PING; once
				      * closing or broken with no close_ev
				      * (out of memory), when to free */
	struct outbound ob; /* outbound queue, bound, drops */
	struct inbound in;  /* rate limit, frame timeout */
	struct flowhold fh; /* block policy: who waits for whom */
	struct subs subs;   /* sid -> struct sub, records owned */
	unsigned pings_out; /* PINGs sent since the last frame in */
	uint8_t state;	    /* enum conn_state */
	uint8_t counted;    /* holds a max_clients slot */
	uint8_t pause;	    /* enum conn_pause bits */
	uint8_t hs_linked;  /* in its pool's handshaking list */
	uint8_t tls;	    /* accepted on a TLS listener */
	struct conn_addr addr;
	char *name;	  /* owned: the name HELLO gave, NULL: none (or
				 * not yet: kept only after HELLO) */
	int64_t since_ms; /* wall clock at accept (the loop's cached
				 * time), ms since the epoch */
	struct conn_io io;

	/* Authentication (auth.h).  user: a reference (users.h) once logged
	 * in with a users file, NULL without one; login: the login being
	 * checked or delayed (auth_login.h), NULL: none. */
	struct user *user;
	struct login *login;
};

/* Wrap an accepted, non-blocking socket (the connection owns fd from now
 * on, even on failure).  counted: whether it takes a max_clients slot.
 * Starts reading and the handshake timer, in the default pool until
 * pool_admit moves it.  tls (borrowed; the session takes its own
 * reference): speak TLS with this server context, NULL for plain.
 * Returns the connection (owned by the broker list; the caller links it)
 * or NULL when out of memory. */
struct conn *conn_new(struct broker *b, evutil_socket_t fd,
		      const struct sockaddr *sa, int socklen, uint64_t id,
		      int counted, struct ssl_ctx_st *tls);

/* Mark c closing: stop reading, drop its subscriptions, flush what is
 * queued (at most CONN_FLUSH_MS), then free it from a deferred event.
 * Safe to call from any callback, several times.  why is logged. */
void conn_close(struct conn *c, const char *why);

/* The broker is stopping (SIGTERM): stop reading c and, once every
 * message queued for it is in its output, send ERR SHUTTING_DOWN and close
 * (flushed within conf.drain_timeout_ms).  At once when nothing is queued.
 * Safe from any callback. */
void conn_drain(struct conn *c);

/* Close c without flushing (the peer is gone or the stream is broken):
 * conn_close, then free it soon.  Safe from any callback. */
void conn_abort(struct conn *c, const char *why);

/* Send ERR [0, code, reason or the code's text] and close. */
void conn_fail(struct conn *c, enum proto_err code, const char *reason);

/* Free c now (unlink it, unsubscribe, close the socket).  Only from the
 * deferred close event or the broker's teardown. */
void conn_free(struct conn *c);

/* Queue a complete control frame (copied), in order behind the MSGs
 * already queued (outbound_send_ctl).  0, or -1 when out of memory. */
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

/* Stop reading c for the reasons in bits (enum conn_pause). */
void conn_pause(struct conn *c, unsigned bits);

/* Those reasons are over: read again, and handle the frames already
 * buffered, unless the state or another bit still forbids it. */
void conn_unpause(struct conn *c, unsigned bits);

/* The transport read bytes into its input: handle the complete frames. */
void conn_input(struct conn *c);

/* c's output is down to outbound_lowmark(c): pump queued messages, resume
 * reading, finish a drain or a close. */
void conn_output_drained(struct conn *c);

/* The sweep (sweep.h) found deadlines of c passed at now: handshake or
 * keepalive, frame timeout, or a free that had no close event.  May free
 * c. */
void conn_tick(struct conn *c, uint64_t now);

/* Free c from the event loop soon (never from inside this call): at once,
 * or after ms milliseconds unless something frees it earlier; ms replaces
 * a delay set before.  Falls back to the sweep when out of memory. */
void conn_free_later(struct conn *c, uint32_t ms);

/* Do a and b come from the same IP address (the port aside)?  0 for
 * anything but IPv4 and IPv6. */
int conn_same_host(const struct conn *a, const struct conn *b);

/* Log with the prefix "client ID ADDR: ". */
void conn_log(const struct conn *c, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CONN_FLUSH_MS 2000

/* Most bytes one read takes (a read only takes what the socket holds, so
 * idle connections do not grow).  The input then holds at most one frame
 * plus one read.  (A write pass: TRANSPORT_MAX_WRITE.) */
#define CONN_MAX_READ (256u * 1024u)
/* ... and before WELCOME (a HELLO is at most PROTO_PREHELLO_MAX). */
#define CONN_HANDSHAKE_READ (2u * PROTO_PREHELLO_MAX)

#endif
