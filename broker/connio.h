/*
 * connio.h - a connection's socket: reading into its input buffer and
 * writing its output buffer, with one read event per connection and
 * one write pass per loop turn for the whole broker.
 *
 * Memory is what this module is for: an idle connection costs its read
 * event and nothing else here.  The input and output evbuffers exist only
 * while they hold bytes (made by the first read or the first frame queued,
 * freed when emptied), and the write event only once a write would have
 * blocked.  (A libevent bufferevent costs about 1 KiB per connection
 * whether it is used or not, and an epoll_ctl pair per burst of output.)
 *
 * Writes are batched: queueing output (conn_io_flush_soon) links the
 * connection into the broker's flush list; one broker-wide event, made
 * active when the list becomes non-empty, runs after the callbacks already
 * active in the same loop turn and writes every listed connection, up to
 * CONN_MAX_WRITE bytes each per pass (one with more to write waits for the
 * next pass, after the next epoll_wait, so reads and timers get a turn).  So what one publisher's read fans out
 * leaves in one writev per subscriber, without waiting for epoll.  Only
 * when the socket is full does a connection add its write event, until its
 * output is empty again.
 *
 * Calls back into conn.c (conn.h): conn_input for the bytes read,
 * conn_output_drained when the output fell to its low watermark, and
 * conn_close / conn_abort on end of stream and errors.
 */
#ifndef BROKERD_CONNIO_H
#define BROKERD_CONNIO_H

#include <stddef.h>

#include <event2/util.h>

struct broker;
struct conn;
struct evbuffer;

/* Make b's flush event (b->flush_ev).  0, or -1 when out of memory. */
int conn_io_setup(struct broker *b);

/* Free b's flush event (after every connection is freed). */
void conn_io_teardown(struct broker *b);

/* Give c the accepted non-blocking socket fd (owned by c from now on, also
 * on failure: conn_io_close closes it) and start reading.  0, or -1 when
 * out of memory. */
int conn_io_open(struct conn *c, evutil_socket_t fd);

/* Free c's events and buffers (releasing what the output referenced), take
 * it off the flush list and close its socket.  Safe on a half-opened c. */
void conn_io_close(struct conn *c);

/* Start (on != 0) or stop reading c's socket.  Idempotent. */
void conn_io_read(struct conn *c, int on);

/* c's output buffer, made when missing (borrowed: c owns it; it may be
 * freed once it is empty and written, so do not keep it past the current
 * callback).  NULL when out of memory. */
struct evbuffer *conn_io_out(struct conn *c);

/* Bytes in c's output buffer (0 when it has none). */
size_t conn_io_out_len(const struct conn *c);

/* c has new output: write it later in this loop turn.  Cheap to call
 * once per frame. */
void conn_io_flush_soon(struct conn *c);

/* Free c's input buffer if it is empty (after its frames were handled). */
void conn_io_in_trim(struct conn *c);

#endif
