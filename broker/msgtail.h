/*
 * msgtail.h - the shared part of an outgoing MSG frame.
 *
 * A publish is encoded once: proto_enc_msg_tail(topic, reply_to, len) plus
 * the payload bytes form the "tail", identical for every receiver; each
 * receiver only gets its own small head (proto_enc_msg_head with its sid).
 *
 * Large tails live in one reference-counted heap block that every receiving
 * connection's output evbuffer references (evbuffer_add_reference), so the
 * payload is copied once per publish, not once per subscriber; the block is
 * freed when the last evbuffer has sent (or dropped) it.  Small tails are
 * built in caller storage and copied into each evbuffer: below
 * MSG_TAIL_COPY_MAX bytes a plain copy into the buffer's existing chain is
 * cheaper than allocating a reference chain (libevent allocates a chain
 * struct per reference, and frees it with a callback) and keeps small
 * messages contiguous for writev; at 1 KiB the copy still wins (measured
 * with peer-bench's 1 KiB sweep).  Heap tails under that size (queued
 * messages) are copied too when they reach the output.
 */
#ifndef BROKERD_MSGTAIL_H
#define BROKERD_MSGTAIL_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct evbuffer;

#define MSG_TAIL_COPY_MAX 2048u

struct msg_tail {
	unsigned refs; /* heap tails: router + evbuffers holding it */
	int on_heap;
	size_t len;
	uint8_t *data;
	unsigned headroom; /* free bytes before data (local tails: room to
			      * put a receiver's head in front, so a MSG
			      * is one copy into the output) */
};

/* Build the tail of a MSG for one publish.  If it fits in
 * MSG_TAIL_COPY_MAX bytes after PROTO_MSG_HEAD_MAX bytes of headroom it is
 * written to local_buf (MSG_TAIL_COPY_MAX bytes, caller storage) and
 * described by *local, which is returned; otherwise a
 * heap tail holding one reference (the caller's) is returned.  NULL when
 * out of memory or when an argument is over a protocol limit.  Release the
 * caller's reference with msg_tail_release. */
struct msg_tail *msg_tail_build(struct msg_tail *local, uint8_t *local_buf,
				struct proto_str topic,
				struct proto_str reply_to,
				struct proto_str payload);

/* Append the tail to out: by reference (taking a reference, dropped when
 * out is done with the bytes) for heap tails, by copy otherwise.  0 or -1
 * (out of memory; nothing appended). */
int msg_tail_append(struct msg_tail *t, struct evbuffer *out);

/* Append one whole MSG to out: head[0..hlen) (hlen <= PROTO_MSG_HEAD_MAX)
 * then the tail, as one copy when the tail is small (one evbuffer_add, so
 * the output's callbacks run once per message).  0; -1 when out of memory
 * with nothing appended; -2 when the head went in but not the tail (the
 * stream now holds half a frame: the caller must close it). */
int msg_tail_append_msg(struct msg_tail *t, const uint8_t *head, size_t hlen,
			struct evbuffer *out);

/* A heap copy of a tail built in caller storage (one reference, the
 * caller's), for a receiver that must keep it past the fan-out (a queued
 * message).  NULL when out of memory. */
struct msg_tail *msg_tail_to_heap(const struct msg_tail *t);

/* Drop one reference; frees a heap tail on the last one.  No-op for local
 * tails and NULL. */
void msg_tail_release(struct msg_tail *t);

#endif
