/*
 * transport.h - one connection's byte stream: its socket, its read and
 * write events, its input and output buffers, and the per-loop flush list
 * that writes every connection with new output once per loop turn.
 *
 * It knows nothing of the broker's policy (connections, pools, bounds,
 * counters): it reports back through three callbacks with the owner's
 * context pointer (struct transport_cbs), and the owner decides.
 * transport_tcp.c is the plain TCP (and Unix socket) implementation; a TLS
 * one is a second implementation of the same ops (transport_impl.h).
 *
 * Memory is what this module is for: an idle transport costs its struct
 * and its read event.  The input and output evbuffers exist only while they
 * hold bytes (made by the first read or the first byte queued, freed when
 * emptied), and the write event only once a write would have blocked.  (A
 * libevent bufferevent costs about 1 KiB per connection whether it is used
 * or not, and an epoll_ctl pair per burst of output.)
 *
 * Writes are batched: transport_flush_soon links the transport into its
 * loop's flush list; one event per loop, made active when the list becomes
 * non-empty, runs after the callbacks already active in the same loop turn
 * and writes every listed transport, up to TRANSPORT_MAX_WRITE bytes each
 * per pass (one with more waits for the next pass, after the next
 * epoll_wait, so reads and timers get a turn).  So what one publisher's read
 * fans out leaves in one writev per subscriber, without waiting for epoll.
 * Only when the socket is full does a transport add its write event, until
 * its output is empty again.
 *
 * Buffer access (transport_out, _out_len, _flush_soon, _in, _in_trim) is
 * common code, called directly: every implementation keeps the plaintext
 * in evbuffers, and these run once per message.  The I/O itself (reading,
 * writing, closing) goes through the implementation's ops table, once per
 * read, per write pass or per event.
 */
#ifndef BROKERD_TRANSPORT_H
#define BROKERD_TRANSPORT_H

#include <stddef.h>

#include <event2/util.h>

struct event_base;
struct evbuffer;
struct ssl_ctx_st;
struct transport;
struct transport_loop;

/* Most bytes one write pass moves per transport. */
#define TRANSPORT_MAX_WRITE (1024u * 1024u)

/* Why a transport stopped on its own (it reads no more after these). */
enum transport_end {
	TRANSPORT_EOF,	     /* the peer closed its side */
	TRANSPORT_ERROR,     /* a socket error */
	TRANSPORT_NOMEM,     /* out of memory for a buffer or an event */
	TRANSPORT_HANDSHAKE, /* TLS: the handshake failed (a plain client on a
			     * TLS port, a certificate refused...); reported
			     * once the peer had its alert: it hung up, or
			     * after at most 1 s of discarding its input */
};

/* The owner's side; every callback gets the ctx given at creation.  None
 * may free the transport (free it later, from another event). */
struct transport_cbs {
	/* Bytes were appended to the input (transport_in).  The transport
	 * trims an emptied input afterwards. */
	void (*input)(void *ctx);
	/* A write moved bytes; left: what the output still holds. */
	void (*written)(void *ctx, size_t left);
	/* End of stream, error or out of memory: see enum transport_end. */
	void (*ended)(void *ctx, enum transport_end why);
	/* The most bytes the next read may take (at least 1). */
	size_t (*read_max)(void *ctx);
};

/* The flush list and its event for one event loop.  Owned by the caller;
 * free it after every transport made on it.  NULL when out of memory. */
struct transport_loop *transport_loop_new(struct event_base *base);
void transport_loop_free(struct transport_loop *l);

/* A plain TCP or Unix-socket transport on the accepted, non-blocking
 * socket fd (owned by the transport from now on, also on failure), reading
 * from the start.  cbs (borrowed, must outlive it) and ctx (borrowed) are
 * the owner's.  Returns the transport (owned by the caller: transport_free)
 * or NULL when out of memory. */
struct transport *transport_tcp_new(struct transport_loop *l,
				    evutil_socket_t fd,
				    const struct transport_cbs *cbs, void *ctx);

/* A TLS transport on the accepted, non-blocking socket fd (owned by the
 * transport from now on, also on failure): the handshake (server side, with
 * ctx, which the session holds a reference to: the caller may free its own
 * at once) comes first, then input as for transport_tcp_new.  Returns the
 * transport (owned by the caller: transport_free) or NULL when out of
 * memory. */
struct transport *transport_tls_new(struct transport_loop *l,
				    evutil_socket_t fd, struct ssl_ctx_st *ctx,
				    const struct transport_cbs *cbs,
				    void *cbctx);

/* The common name (CN) of the verified client certificate of a TLS
 * transport whose handshake is done, NUL-terminated into buf (cap bytes).
 * 0, or -1 for a plain transport, no certificate, one not verified, or a
 * CN that is missing, longer than cap - 2 bytes or holds a NUL byte. */
int transport_tls_peer_cn(struct transport *t, char *buf, size_t cap);

/* Close the socket and free t with its events and buffers (releasing what
 * the output referenced).  NULL is a no-op.  Not from t's own callbacks. */
void transport_free(struct transport *t);

/* Start (on != 0) or stop reading.  Idempotent. */
void transport_read(struct transport *t, int on);

/* The output buffer, made when missing (borrowed: t owns it and may free it
 * once it is written out, so do not keep it past the current callback).
 * NULL when out of memory or abandoned. */
struct evbuffer *transport_out(struct transport *t);

/* Bytes in the output buffer (0 when there is none). */
size_t transport_out_len(const struct transport *t);

/* There is new output: write it later in this loop turn.  Cheap to call
 * once per frame. */
void transport_flush_soon(struct transport *t);

/* The input buffer (borrowed), NULL while nothing was read. */
struct evbuffer *transport_in(struct transport *t);

/* Free the input buffer if it is empty (its bytes were handled). */
void transport_in_trim(struct transport *t);

/* The output is unusable (half a frame in it): never write again and
 * stop reading.  The socket stays open until transport_free.  Safe from
 * any callback, also t's own. */
void transport_abandon(struct transport *t);

#endif
