/*
 * proto_decoders.h - the paths inside proto_decode, exposed only so that
 * tests/test_protocol.c and tests/fuzz_decode.c can check each shortcut
 * against the reference decoder.  Private to protocol/ and its tests: the
 * broker and the client call proto_decode (proto.h).
 *
 * proto_decode = proto_decode_pub_fast, else proto_decode_one_pass, else
 * proto_decode_ref.  The contract that makes this safe: whenever a
 * shortcut returns 1, proto_decode_ref returns PROTO_OK_CODE on the same
 * body and fills *out identically (proto_msg_same).
 *
 * All three zero *out first; views in *out borrow from body.
 */
#ifndef BROKERD_PROTO_DECODERS_H
#define BROKERD_PROTO_DECODERS_H

#include <string.h>

#include "proto.h"

/* PUB exactly as the encoders write it (fixarray of 5, fixint 3, nothing
 * after): 1 and *out filled, else 0 (declined; *out is then garbage). */
int proto_decode_pub_fast(const uint8_t *body, size_t len,
			  struct proto_msg *out);

/* Any valid frame but SUB with options, in one walk: 1 and *out filled,
 * else 0 (declined; *out is then garbage). */
int proto_decode_one_pass(const uint8_t *body, size_t len,
			  struct proto_msg *out);

/* The documented two passes alone (PROTOCOL.md, "Which error is
 * reported"): the verdict and the fields every path must agree with. */
enum proto_err proto_decode_ref(const uint8_t *body, size_t len,
				struct proto_msg *out);

/* Views compared by address and length: two decodes of one body must
 * point at the same bytes, not merely equal ones. */
static inline int proto_str_same(struct proto_str a, struct proto_str b)
{
	return a.ptr == b.ptr && a.len == b.len;
}

/* 1 when every field of a and b is the same. */
static inline int proto_msg_same(const struct proto_msg *a,
				 const struct proto_msg *b)
{
	return a->op == b->op && a->req_id == b->req_id && a->sid == b->sid &&
	       a->version == b->version && a->client_id == b->client_id &&
	       a->max_payload == b->max_payload && a->ping_ms == b->ping_ms &&
	       a->code == b->code && a->count == b->count &&
	       proto_str_same(a->name, b->name) &&
	       proto_str_same(a->topic, b->topic) &&
	       proto_str_same(a->reply_to, b->reply_to) &&
	       proto_str_same(a->queue, b->queue) &&
	       proto_str_same(a->payload, b->payload) &&
	       proto_str_same(a->reason, b->reason) &&
	       a->opts.policy == b->opts.policy &&
	       a->opts.max_msgs == b->opts.max_msgs &&
	       a->opts.max_bytes == b->opts.max_bytes;
}

#endif
