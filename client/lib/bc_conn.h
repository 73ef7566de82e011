/*
 * bc_conn.h - the connection: resolving, connecting, the HELLO, reading
 * frames, queueing output, losing the connection.  The bufferevent itself
 * is in struct bc_client (bev): the frame loop and most modules test it.
 */
#ifndef BC_CONN_H
#define BC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "bc_resolve.h"
#include "brokerclient.h"

struct event;
struct ssl_ctx_st;

/* Room for "address: reason" of a failed connect. */
#define BC_CONN_WHY_MAX 320

struct bc_conn {
	struct bc_resolver res;	    /* addresses of the current server */
	int sock;		    /* being connected, -1 otherwise */
	struct event *connect_ev;   /* owned: sock writable */
	struct event *deadline_ev;  /* owned: connect timeout */
	struct event *kick_ev;	    /* owned: first attempt, from the loop */
	int sys_err;		    /* errno of the last failed attempt */
	int lost_err;		    /* why the connection ended */
	char why[BC_CONN_WHY_MAX];  /* "address: reason" of the last failed
				       attempt; "" if none */
	int want_drain;		    /* a publish got WOULDBLOCK */
	struct ssl_ctx_st *tls_ctx; /* owned: made at start when a server
				       uses TLS, kept across reconnects */
	int tls;		    /* bev is a TLS bufferevent */
	int tls_up;		    /* its handshake is done (our side) */
};

/* Resolve opts.servers[recon.srv_idx] (blocking mode: here; base mode:
 * evdns, on the loop) and start connecting (HELLO queued; the attempts
 * run from the loop; over TLS when the server wants it, a fresh session
 * each time); state CONNECTING (no callback).  A failed lookup is
 * reported like a failed connect, a failed TLS handshake as BC_ERR_TLS.
 * BC_OK, or an error (BC_ERR_TLS: the CA file or client certificate does
 * not load) with its text in reason[0..cap) (the caller's). */
int bc_conn_start(bc_client *c, char *reason, size_t cap);
/* The broker sent garbage: BC_ERR_HANDSHAKE or BC_ERR_PROTOCOL, close.
 * reason is borrowed for the call. */
void bc_conn_garbage(bc_client *c, const char *reason);
/* Connection lost or connect failed: free the socket, fail the waits,
 * report err/code/reason (a C string, borrowed), state DISCONNECTED.
 * Callbacks run; the caller must hold bc_enter if it touches c
 * afterwards. */
void bc_conn_lost(bc_client *c, int err, int code, const char *reason);
/* Queue buf[0..len) (borrowed, copied) for the broker.  BC_OK or
 * BC_ERR_NOMEM/CLOSED. */
int bc_conn_send(bc_client *c, const void *buf, size_t len);
/* Queue a PUB frame (topic/reply_to already checked; all borrowed and
 * copied) with req_id and PUB flags (enum proto_pub_flag, 0: none; not
 * kept in the offline buffer); to the offline buffer when not ready. */
int bc_conn_send_pub(bc_client *c, uint64_t req_id, const char *topic,
		     const char *reply_to, const void *data, size_t len,
		     uint8_t flags);
/* Handle complete frames left in the input by bc_break. */
void bc_conn_resume(bc_client *c);
/* Connected, handshake done, not draining: frames go on the wire. */
int bc_conn_ready(const bc_client *c);
/* Bytes queued and not yet written. */
size_t bc_conn_outbuf(const bc_client *c);
/* A publish got BC_ERR_WOULDBLOCK: call the drain callback once the
 * output has fallen to half of max_outbuf (or the connection is lost). */
void bc_conn_want_drain(bc_client *c);
/* Call the drain callback if one is owed (and clear the debt). */
void bc_conn_drained(bc_client *c);
/* Best effort non-blocking write of pending output (base-mode close). */
void bc_conn_write_now(bc_client *c);
/* Free socket, bufferevent, connect state and timers (no callbacks); a
 * running name lookup is cancelled.  The resolver stays for the next
 * attempt. */
void bc_conn_free(bc_client *c);
/* bc_conn_free and the resolver: the client is going away. */
void bc_conn_destroy(bc_client *c);

#endif
