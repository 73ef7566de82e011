/*
 * bc_internal.h - libbrokerclient internals shared by its .c files.  Not
 * installed.  One section per module; each module's functions are
 * documented here with their ownership rules.
 */
#ifndef BC_INTERNAL_H
#define BC_INTERNAL_H

#include <stdint.h>
#include <sys/time.h>

#include "bc_breaker.h"
#include "brokerclient.h"
#include "proto.h"

struct addrinfo;
struct bufferevent;
struct event;
struct evbuffer;

/* Internal result of a blocking wait: the client was freed inside it. */
#define BC_GONE (-1)

#define BC_DEFAULT_MAX_OUTBUF (4u * 1024u * 1024u)
#define BC_MIN_MAX_OUTBUF (64u * 1024u)

#define BC_MAX_SERVERS 16

/* ---- bc_options.c ---- */
struct bc_server {
	char *host;                 /* owned */
	int port;
};

struct bc_options {
	struct bc_server servers[BC_MAX_SERVERS]; /* [0]: set_host/set_port */
	size_t nservers;            /* >= 1 in every copy */
	char *name;                 /* owned */
	int connect_timeout_ms;
	int timeout_ms;
	int close_timeout_ms;
	size_t max_outbuf;
	bc_error_cb error_cb;
	void *error_arg;
	bc_drain_cb drain_cb;
	void *drain_arg;
	bc_notice_cb notice_cb;
	void *notice_arg;
	bc_state_cb state_cb;
	void *state_arg;
	bc_breaker_cb breaker_cb;
	void *breaker_arg;
	int reconnect;              /* 1: reconnect after a loss */
	int max_reconnect;          /* failed attempts in a row; -1: forever */
	int connect_retries;        /* extra first-connect attempts; -1: forever */
	int backoff_initial_ms;
	int backoff_max_ms;
	double backoff_mult;
	double jitter;              /* 0..1 */
	size_t offline_max_bytes;   /* 0: no offline buffer */
	size_t offline_max_msgs;
	int breaker_threshold;      /* 0: breaker off */
	int breaker_cooldown_ms;
};

/* Deep copy src (or the defaults if src is NULL) into dst; BC_OK or
 * BC_ERR_NOMEM (dst then holds nothing to free). */
int bc_options_copy(struct bc_options *dst, const struct bc_options *src);
/* Free the strings a copy owns. */
void bc_options_clear(struct bc_options *o);

/* ---- bc_msg.c ---- */
struct bc_msg {
	uint32_t sid;
	int owned;                  /* 1: from bc_msg_dup, one allocation */
	const char *topic;
	const char *reply_to;       /* NULL: none */
	const void *data;
	size_t len;
};

/* ---- bc_sub_options.c ---- */
struct bc_sub_options {
	struct proto_sub_opts o;    /* 0 / PROTO_POLICY_NONE: not set */
};

/* ---- bc_sub.c: the subscription table, sorted by sid ---- */
struct bc_sub {
	uint32_t sid;
	char *pattern;              /* owned */
	char *queue;                /* owned, NULL: none */
	struct proto_sub_opts opts; /* sent with every SUB of it */
	int has_opts;               /* 0: a plain 5-element SUB */
	bc_msg_cb cb;
	void *arg;
	int busy;                   /* callbacks of this sub running */
	int dead;                   /* removed while busy: free when idle */
};

struct bc_sub_table {
	struct bc_sub **v;          /* owned array of owned subs */
	size_t n, cap;
	uint32_t next_sid;
};

/* New sub with copies of pattern, queue and opts (NULL: none), added to
 * the table with the next sid; NULL when out of memory or sids are
 * exhausted. */
struct bc_sub *bc_sub_add(struct bc_sub_table *t, const char *pattern,
			  const char *queue, const struct bc_sub_options *so,
			  bc_msg_cb cb, void *arg);
/* The live sub with sid, or NULL (borrowed from the table). */
struct bc_sub *bc_sub_find(const struct bc_sub_table *t, uint32_t sid);
/* Take sid out of the table and free it (later, if busy).  0 or -1. */
int bc_sub_remove(struct bc_sub_table *t, uint32_t sid);
/* Deliver m to its subscription's callback (nothing if unknown). */
void bc_sub_dispatch(bc_client *c, struct bc_sub_table *t,
		     const struct bc_msg *m);
/* Free every subscription (none may be busy). */
void bc_sub_table_free(struct bc_sub_table *t);

/* ---- bc_backoff.c: delays between attempts, and randomness ---- */
/* Fill buf with random bytes (getrandom, /dev/urandom, else a mix of time
 * and pid: unique, not secret). */
void bc_random_bytes(uint8_t *buf, size_t len);
/* Next value of a xorshift64* generator (*state must not be 0). */
uint64_t bc_rand_next(uint64_t *state);
/* Delay before retry n (n >= 1) of a run of failures:
 * min(max_ms, initial_ms * mult^(n-1)), minus a random part of up to
 * jitter (0..1) of it, from *rng. */
int64_t bc_backoff_delay(int n, int initial_ms, int max_ms, double mult,
			 double jitter, uint64_t *rng);

/* ---- bc_pending.c: waits for OK/ERR (by req_id) or for PONG ---- */
struct bc_pending;
/* Called once when the wait ends: err BC_OK, BC_ERR_SERVER (server error
 * stored in the client), BC_ERR_TIMEOUT or BC_ERR_CLOSED.  p is already
 * unlinked and is freed after fn returns. */
typedef void (*bc_pending_fn)(bc_client *c, struct bc_pending *p, int err);

struct bc_pending {
	struct bc_pending *next, *prev;
	uint64_t req_id;            /* 0 in the PONG list */
	struct event *timer;        /* NULL: no timeout */
	bc_client *c;
	bc_pending_fn fn;
	bc_ack_cb ack;              /* user callback, for fn's use */
	void *arg;                  /* for fn's use */
	uint32_t sid;               /* for fn's use */
	int on_wire;                /* for fn's use */
	struct bc_pending_list *list;
};

struct bc_pending_list {
	struct bc_pending *head, *tail;
};

/* Append a wait to l ending after timeout_ms (< 0: never).  The list owns
 * it.  NULL when out of memory. */
struct bc_pending *bc_pending_add(bc_client *c, struct bc_pending_list *l,
				  uint64_t req_id, int timeout_ms,
				  bc_pending_fn fn);
/* Drop a wait without calling fn (used when its frame was not sent). */
void bc_pending_cancel(struct bc_pending *p);
/* End the wait for req_id (the head for req_id 0) with err; 0 if found. */
int bc_pending_complete(bc_client *c, struct bc_pending_list *l,
			uint64_t req_id, int err);
/* End every wait in l with err. */
void bc_pending_fail_all(bc_client *c, struct bc_pending_list *l, int err);
/* End the waits of l whose req_id is <= max (l sorted by req_id). */
void bc_pending_fail_upto(bc_client *c, struct bc_pending_list *l,
			  uint64_t max, int err);
/* Move p (timer and all) to the end of list l. */
void bc_pending_move(struct bc_pending *p, struct bc_pending_list *l);

/* ---- bc_request.c ---- */
struct bc_req {
	struct bc_req *next, *prev;
	struct bc_req *hnext;       /* bucket chain of the request map */
	uint64_t n;                 /* last token of the reply topic */
	bc_reply_cb cb;
	void *arg;
	struct event *timer;
	bc_client *c;
	uint64_t pub_req_id;        /* req_id of the request's PUB */
	struct bc_pending *ack;     /* the PUB's wait, NULL once it ended */
};

/* ---- bc_reqmap.c: outstanding requests by number (a hash map) ---- */
struct bc_reqmap {
	struct bc_req **b;          /* owned array of nb bucket chains */
	size_t nb;                  /* 0 or a power of two */
	size_t n;                   /* requests in the map */
};

/* Add r (borrowed; it stays the caller's) under r->n; 0, or -1 when out
 * of memory (r not added). */
int bc_reqmap_add(struct bc_reqmap *m, struct bc_req *r);
/* The request numbered n, or NULL (borrowed). */
struct bc_req *bc_reqmap_find(const struct bc_reqmap *m, uint64_t n);
/* Take r out of the map (it must be in it). */
void bc_reqmap_remove(struct bc_reqmap *m, struct bc_req *r);
/* Free the bucket array (the requests are not the map's). */
void bc_reqmap_free(struct bc_reqmap *m);

/* End every outstanding request with err (BC_ERR_CLOSED). */
void bc_request_fail_all(bc_client *c, int err);
/* End the requests whose PUB went out with a req_id <= max. */
void bc_request_fail_upto(bc_client *c, uint64_t max, int err);

/* ---- the client ---- */
struct bc_client {
	struct bc_options opts;     /* own copy */
	struct event_base *base;
	int own_base;               /* blocking mode */
	struct bufferevent *bev;    /* NULL when disconnected */
	int state;                  /* enum bc_state */

	/* connecting */
	struct addrinfo *ai_list;   /* owned (freeaddrinfo) */
	struct addrinfo *ai_next;
	int sock;                   /* being connected, -1 otherwise */
	struct event *connect_ev;   /* sock writable */
	struct event *deadline_ev;  /* connect timeout */
	struct event *kick_ev;      /* first attempt, from the loop */
	int no_handle;              /* inside bc_connect: bc_close ignored */
	int sys_err;                /* errno of the last failed attempt */
	int lost_err;               /* why the connection ended */

	/* reconnecting (bc_reconnect.c) */
	size_t srv_idx;             /* opts.servers[] in use or being tried */
	int ever_connected;         /* a WELCOME was seen once */
	int reconnecting;           /* lost, and going to try again */
	int attempts;               /* failed attempts in a row */
	int fatal;                  /* refused for a client reason: give up */
	int draining;               /* lame duck: finishing, then switching */
	struct event *retry_ev;     /* next attempt */
	uint64_t rng;               /* jitter */

	/* circuit breaker (bc_guard.c) */
	struct bc_breaker breaker;
	struct event *breaker_ev;   /* end of the cool-down */

	/* offline buffer (bc_offline.c): whole PUB frames */
	struct evbuffer *offline;   /* owned */
	size_t offline_msgs;
	uint64_t wire_req_id;       /* highest req_id handed to a connection */

	/* from WELCOME */
	uint64_t max_payload;
	uint64_t ping_ms;
	uint64_t client_id;
	struct event *keepalive_ev;
	int64_t last_rx_ms;
	int64_t last_check_ms;
	int silent_checks;          /* keepalive periods without input */

	uint64_t next_req_id;
	const struct timeval *ack_tv; /* common timeout for acks */
	struct bc_sub_table subs;
	struct bc_pending_list acks;  /* by req_id, ascending */
	struct bc_pending_list pongs; /* FIFO */
	struct bc_pending_list flushes; /* bc_flush_async waiting for a
					 * connection: PINGs not sent yet */
	struct bc_req *reqs;          /* outstanding requests */
	struct bc_reqmap reqmap;      /* the same, by number */
	int want_drain;               /* a publish got WOULDBLOCK */
	char inbox[32];               /* "_INBOX.<16 hex>", "" until needed */
	uint32_t inbox_sid;
	uint64_t next_req_n;

	int last_code;
	char last_reason[PROTO_MAX_REASON + 1];
	char good_topic[PROTO_MAX_TOPIC]; /* last topic found valid */
	size_t good_topic_len;            /* 0: none (no topic is empty) */

	int depth;                  /* libevent/user callbacks on the stack */
	int loop_depth;             /* a blocking call runs the loop */
	int closing;                /* bc_close called */
	int close_deferred;         /* free once depth and loop_depth are 0 */
	int break_req;              /* bc_break called */
	int input_pending;          /* frames left unread after a break */
	int in_run;                 /* the loop runs for bc_run */
};

/* ---- bc_client.c ---- */
/* Bracket code that may call user callbacks. */
void bc_enter(bc_client *c);
/* Returns 1 if c was freed (a deferred close), 0 otherwise. */
int bc_leave(bc_client *c);
/* Free everything now. */
void bc_destroy(bc_client *c);
/* Monotonic milliseconds. */
int64_t bc_now_ms(void);
/* Common argument/state check for operations: BC_OK, BC_ERR_INVALID for a
 * NULL client, BC_ERR_CLOSED when closing or disconnected for good. */
int bc_usable(const bc_client *c);
/* Connected, handshake done, not draining: frames go on the wire. */
int bc_conn_ready(const bc_client *c);

/* ---- bc_error.c ---- */
/* Remember a broker ERR (reason view copied, truncated). */
void bc_set_server_error(bc_client *c, int code, struct proto_str reason);
/* Call the error callback, if any, with err/code/reason (a C string). */
void bc_report_error(bc_client *c, int err, int code, const char *reason);

/* ---- bc_conn.c: socket, handshake, frames ---- */
/* Resolve opts.servers[c->srv_idx] and start connecting (HELLO queued;
 * the attempts run from the loop); state CONNECTING (no callback).  BC_OK,
 * or an error with its text in reason[0..cap). */
int bc_conn_start(bc_client *c, char *reason, size_t cap);
/* The broker sent garbage: BC_ERR_HANDSHAKE or BC_ERR_PROTOCOL, close. */
void bc_conn_garbage(bc_client *c, const char *reason);
/* Connection lost or connect failed: free the socket, fail the waits,
 * report err/code/reason (a C string), state DISCONNECTED.  Callbacks run;
 * the caller must hold bc_enter if it touches c afterwards. */
void bc_conn_lost(bc_client *c, int err, int code, const char *reason);
/* Queue bytes (copied) for the broker.  BC_OK or BC_ERR_NOMEM/CLOSED. */
int bc_conn_send(bc_client *c, const void *buf, size_t len);
/* Queue a PUB frame (topic/reply_to already checked) with req_id. */
int bc_conn_send_pub(bc_client *c, uint64_t req_id, const char *topic,
		     const char *reply_to, const void *data, size_t len);
/* Handle complete frames left in the input by bc_break. */
void bc_conn_resume(bc_client *c);
/* Bytes queued and not yet written. */
size_t bc_conn_outbuf(const bc_client *c);
/* A publish got BC_ERR_WOULDBLOCK: call the drain callback once the
 * output has fallen to half of max_outbuf (or the connection is lost). */
void bc_conn_want_drain(bc_client *c);
/* Call the drain callback if one is owed (and clear the debt). */
void bc_conn_drained(bc_client *c);
/* Best effort non-blocking write of pending output (base-mode close). */
void bc_conn_write_now(bc_client *c);
/* Free socket, bufferevent, connect state and timers (no callbacks). */
void bc_conn_free(bc_client *c);

/* ---- bc_frame.c: handling decoded frames ---- */
void bc_frame_handle(bc_client *c, const struct proto_msg *m);
/* Change state and tell the state callback (RECONNECTED: the state becomes
 * CONNECTED, the callback gets RECONNECTED). */
void bc_set_state(bc_client *c, int state, int err);

/* ---- bc_reconnect.c: retries, backoff, lame-duck switching ---- */
/* After a loss (was_connected) or a failed attempt: should the client try
 * again?  Counts the attempt and sets c->reconnecting. */
int bc_reconnect_wanted(bc_client *c, int was_connected);
/* Arm the next attempt: next address, backoff delay, not before the
 * breaker's cool-down ends.  BC_OK or BC_ERR_NOMEM. */
int bc_reconnect_schedule(bc_client *c);
/* The handshake succeeded: reset the counters. */
void bc_reconnect_done(bc_client *c);
/* NOTICE LAME_DUCK: with several addresses, drain (PING/PONG) and move to
 * the next one, without reporting an error. */
void bc_reconnect_lame_duck(bc_client *c);

/* ---- bc_guard.c: the client's circuit breaker ---- */
/* Set up the breaker and its timer.  BC_OK or BC_ERR_NOMEM. */
int bc_guard_init(bc_client *c);
/* Before a guarded call: BC_OK (go ahead; while connected this may be
 * the half-open trial, whose outcome bc_guard_result must report),
 * BC_ERR_CIRCUIT_OPEN, or BC_GONE (closed inside the breaker callback). */
int bc_guard_enter(bc_client *c);
/* Outcome of a guarded call or connect attempt (err a bc_err, code the
 * broker's ERR code or 0). */
void bc_guard_result(bc_client *c, int err, int code);
/* May a connect attempt start now?  1 or 0 (no network touched). */
int bc_guard_connect(bc_client *c);

/* ---- bc_offline.c: the offline buffer ---- */
/* BC_OK or BC_ERR_NOMEM. */
int bc_offline_init(bc_client *c);
/* Append one PUB frame (head copied, then len bytes of data, copied):
 * BC_OK, BC_ERR_BUFFER_FULL, BC_ERR_NOMEM, or when the buffer is
 * disabled BC_ERR_CLOSED / BC_ERR_CIRCUIT_OPEN. */
int bc_offline_add(bc_client *c, const uint8_t *head, size_t n,
		   const void *data, size_t len);
/* Move everything to the connection's output, in order. */
int bc_offline_flush(bc_client *c);
/* Drop everything buffered. */
void bc_offline_clear(bc_client *c);
/* Free the buffer. */
void bc_offline_free(bc_client *c);

/* ---- bc_flush.c: PING/PONG flushes ---- */
/* Send the PINGs of the flushes that waited for a connection (after a
 * WELCOME, behind the offline buffer). */
void bc_flush_send_waiting(bc_client *c);

/* ---- bc_loop.c: blocking mode ---- */
typedef int (*bc_pred)(bc_client *c, void *arg);
/* Run the private loop until pred(c, arg) is true (BC_OK), timeout_ms
 * passes (BC_ERR_TIMEOUT; < 0: no limit), the connection is down
 * (BC_ERR_CLOSED), or c was freed by a deferred close (BC_GONE: the caller
 * must not touch c).  BC_ERR_WOULDBLOCK in base mode or in a callback. */
int bc_loop_until(bc_client *c, bc_pred pred, void *arg, int timeout_ms);
/* Can this call block?  BC_OK or BC_ERR_WOULDBLOCK. */
int bc_can_block(const bc_client *c);
/* Pred and flag for waits completed by a callback. */
struct bc_waiter {
	int done;
	int err;
	bc_msg *reply;              /* bc_request: owned copy */
};
int bc_waiter_done(bc_client *c, void *waiter);

/* ---- bc_subscribe.c ---- */
/* Send SUB for every subscription of the table (after a WELCOME). */
void bc_subscribe_restore(bc_client *c);
/* Subscribe without waiting, whatever the mode (library-internal subs,
 * no options).  *sid gets the sid.  BC_OK or an error. */
int bc_subscribe_async(bc_client *c, const char *pattern, bc_msg_cb cb,
		       void *arg, uint32_t *sid);

/* ---- bc_publish.c ---- */
/* Checks shared by all publishes: BC_OK or an error. */
int bc_publish_check(bc_client *c, const char *topic, const void *data,
		     size_t len, const char *reply_to);
/* Make room in the output buffer: wait in blocking mode, else
 * BC_ERR_WOULDBLOCK when over the limit.  May return BC_GONE. */
int bc_publish_room(bc_client *c);
/* Timeout argument: -1 means the options' timeout. */
int bc_timeout(const bc_client *c, int timeout_ms);

#endif
