/*
 * proto_encode.c - frame encoders.  msgpack-c's packer does the msgpack
 * (it always picks the shortest encoding); it writes through `sink_write`
 * into the caller's bounded buffer, which records overflow instead of
 * growing.  Every encoder reserves the 4-byte length prefix, packs the
 * body, then fills the prefix in.  Nothing is allocated.
 *
 * Encoders enforce the protocol's length limits (a frame they produce is
 * always decodable) but not topic syntax: that is the receiver's check, and
 * tests must be able to send a syntactically bad topic.
 */
#include "proto.h"

#include <string.h>

#include <msgpack.h>

/* A bounded output buffer for the packer's write callback. */
struct sink {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int overflow;
};

static int sink_write(void *data, const char *p, size_t n)
{
	struct sink *s = data;

	if (s->overflow || n > s->cap - s->len) {
		s->overflow = 1;
		return -1;
	}
	if (n > 0)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* Start a frame: the packer writes after the 4 prefix bytes. */
static void frame_begin(struct sink *s, msgpack_packer *pk, uint8_t *out,
			size_t cap)
{
	s->buf = out;
	s->cap = cap;
	s->len = PROTO_HDR_LEN;
	s->overflow = cap < PROTO_HDR_LEN;
	msgpack_packer_init(pk, s, sink_write);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Finish a frame whose body continues with `extra` bytes not written here
 * (a payload or a MSG tail).  Returns the bytes written, or 0. */
static size_t frame_end(struct sink *s, uint64_t extra)
{
	uint64_t body;

	if (s->overflow)
		return 0;
	body = (uint64_t)(s->len - PROTO_HDR_LEN) + extra;
	if (body > UINT32_MAX)
		return 0;
	put_be32(s->buf, (uint32_t)body);
	return s->len;
}

/* A required string: NULL is packed as an empty str. */
static void pack_str(msgpack_packer *pk, struct proto_str v)
{
	msgpack_pack_str(pk, v.ptr ? v.len : 0);
	if (v.ptr && v.len)
		msgpack_pack_str_body(pk, v.ptr, v.len);
}

/* An optional string: NULL is packed as nil. */
static void pack_opt(msgpack_packer *pk, struct proto_str v)
{
	if (!v.ptr)
		msgpack_pack_nil(pk);
	else
		pack_str(pk, v);
}

/* Length of a required (NULL counts as "") or optional string. */
static uint32_t slen(struct proto_str v)
{
	return v.ptr ? v.len : 0;
}

struct proto_str proto_cstr(const char *s)
{
	struct proto_str v = { s, 0 };
	size_t n = s ? strlen(s) : 0;

	v.len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	return v;
}

size_t proto_enc_hello(uint8_t *out, size_t cap, uint32_t version,
		       struct proto_str client_name)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(client_name) > PROTO_MAX_NAME)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint8(&pk, PROTO_HELLO);
	msgpack_pack_uint32(&pk, version);
	pack_str(&pk, client_name);
	return frame_end(&s, 0);
}

size_t proto_enc_hello_auth(uint8_t *out, size_t cap, uint32_t version,
			    struct proto_str client_name, struct proto_str user,
			    struct proto_str pass)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(client_name) > PROTO_MAX_NAME || slen(user) > PROTO_MAX_NAME ||
	    slen(pass) > PROTO_MAX_PASS)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, PROTO_HELLO);
	msgpack_pack_uint32(&pk, version);
	pack_str(&pk, client_name);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, proto_cstr("user"));
	pack_str(&pk, user);
	pack_str(&pk, proto_cstr("pass"));
	pack_str(&pk, pass);
	return frame_end(&s, 0);
}

size_t proto_enc_welcome(uint8_t *out, size_t cap, uint32_t version,
			 struct proto_str server_name, uint64_t client_id,
			 uint64_t max_payload, uint64_t ping_ms)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(server_name) > PROTO_MAX_NAME)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_uint8(&pk, PROTO_WELCOME);
	msgpack_pack_uint32(&pk, version);
	pack_str(&pk, server_name);
	msgpack_pack_uint64(&pk, client_id);
	msgpack_pack_uint64(&pk, max_payload);
	msgpack_pack_uint64(&pk, ping_ms);
	return frame_end(&s, 0);
}

size_t proto_enc_sub(uint8_t *out, size_t cap, uint64_t req_id, uint32_t sid,
		     struct proto_str pattern, struct proto_str queue)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(pattern) > PROTO_MAX_TOPIC || slen(queue) > PROTO_MAX_NAME)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, PROTO_SUB);
	msgpack_pack_uint64(&pk, req_id);
	msgpack_pack_uint32(&pk, sid);
	pack_str(&pk, pattern);
	pack_opt(&pk, queue);
	return frame_end(&s, 0);
}

/* The SUB options map: only the options that are set. */
static void pack_sub_opts(msgpack_packer *pk, const struct proto_sub_opts *o)
{
	const char *policy = proto_policy_str(o->policy);
	const char *stall = proto_policy_str(o->stall_policy);

	msgpack_pack_map(pk, (policy != NULL) + (o->max_msgs != 0) +
				     (o->max_bytes != 0) + (stall != NULL));
	if (policy) {
		pack_str(pk, proto_cstr("policy"));
		pack_str(pk, proto_cstr(policy));
	}
	if (stall) {
		pack_str(pk, proto_cstr("stall_policy"));
		pack_str(pk, proto_cstr(stall));
	}
	if (o->max_msgs) {
		pack_str(pk, proto_cstr("max_msgs"));
		msgpack_pack_uint64(pk, o->max_msgs);
	}
	if (o->max_bytes) {
		pack_str(pk, proto_cstr("max_bytes"));
		msgpack_pack_uint64(pk, o->max_bytes);
	}
}

size_t proto_enc_sub_opts(uint8_t *out, size_t cap, uint64_t req_id,
			  uint32_t sid, struct proto_str pattern,
			  struct proto_str queue,
			  const struct proto_sub_opts *opts)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(pattern) > PROTO_MAX_TOPIC || slen(queue) > PROTO_MAX_NAME)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_uint8(&pk, PROTO_SUB);
	msgpack_pack_uint64(&pk, req_id);
	msgpack_pack_uint32(&pk, sid);
	pack_str(&pk, pattern);
	pack_opt(&pk, queue);
	pack_sub_opts(&pk, opts);
	return frame_end(&s, 0);
}

size_t proto_enc_unsub(uint8_t *out, size_t cap, uint64_t req_id, uint32_t sid)
{
	struct sink s;
	msgpack_packer pk;

	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint8(&pk, PROTO_UNSUB);
	msgpack_pack_uint64(&pk, req_id);
	msgpack_pack_uint32(&pk, sid);
	return frame_end(&s, 0);
}

/* [op] alone: PING and PONG. */
static size_t enc_bare(uint8_t *out, size_t cap, uint8_t op)
{
	struct sink s;
	msgpack_packer pk;

	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_uint8(&pk, op);
	return frame_end(&s, 0);
}

size_t proto_enc_ping(uint8_t *out, size_t cap)
{
	return enc_bare(out, cap, PROTO_PING);
}

size_t proto_enc_pong(uint8_t *out, size_t cap)
{
	return enc_bare(out, cap, PROTO_PONG);
}

size_t proto_enc_ok(uint8_t *out, size_t cap, uint64_t req_id)
{
	struct sink s;
	msgpack_packer pk;

	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, PROTO_OK);
	msgpack_pack_uint64(&pk, req_id);
	return frame_end(&s, 0);
}

/* [op, a, b, reason]: ERR and NOTICE have the same shape. */
static size_t enc_report(uint8_t *out, size_t cap, uint8_t op, uint64_t a,
			 uint64_t b, struct proto_str reason)
{
	struct sink s;
	msgpack_packer pk;

	if (slen(reason) > PROTO_MAX_REASON)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, op);
	msgpack_pack_uint64(&pk, a);
	msgpack_pack_uint64(&pk, b);
	pack_str(&pk, reason);
	return frame_end(&s, 0);
}

size_t proto_enc_err(uint8_t *out, size_t cap, uint64_t req_id,
		     enum proto_err code, struct proto_str reason)
{
	return enc_report(out, cap, PROTO_ERR, req_id, (uint64_t)code, reason);
}

size_t proto_enc_notice(uint8_t *out, size_t cap, enum proto_notice kind,
			uint64_t count, struct proto_str reason)
{
	return enc_report(out, cap, PROTO_NOTICE, (uint64_t)kind, count,
			  reason);
}

/* topic, reply_to, bin header: shared by PUB and the MSG tail. */
static int pack_route(msgpack_packer *pk, struct proto_str topic,
		      struct proto_str reply_to, uint32_t payload_len)
{
	if (slen(topic) > PROTO_MAX_TOPIC || slen(reply_to) > PROTO_MAX_TOPIC ||
	    payload_len > PROTO_ABS_MAX_PAYLOAD)
		return -1;
	pack_str(pk, topic);
	pack_opt(pk, reply_to);
	msgpack_pack_bin(pk, payload_len);
	return 0;
}

size_t proto_enc_pub_head_flags(uint8_t *out, size_t cap, uint64_t req_id,
				struct proto_str topic,
				struct proto_str reply_to, uint32_t payload_len,
				uint8_t flags)
{
	struct sink s;
	msgpack_packer pk;

	if (flags >= 0x80)
		return 0;
	frame_begin(&s, &pk, out, cap);
	msgpack_pack_array(&pk, flags ? 6 : 5);
	msgpack_pack_uint8(&pk, PROTO_PUB);
	msgpack_pack_uint64(&pk, req_id);
	if (pack_route(&pk, topic, reply_to, payload_len) != 0)
		return 0;
	/* the flags byte follows the payload: counted, written by the caller */
	return frame_end(&s, (uint64_t)payload_len + (flags ? 1 : 0));
}

size_t proto_enc_pub_head(uint8_t *out, size_t cap, uint64_t req_id,
			  struct proto_str topic, struct proto_str reply_to,
			  uint32_t payload_len)
{
	return proto_enc_pub_head_flags(out, cap, req_id, topic, reply_to,
					payload_len, 0);
}

/* Append payload bytes after a head of hlen bytes in out[0..cap). */
static size_t append_payload(uint8_t *out, size_t cap, size_t hlen,
			     struct proto_str payload)
{
	uint32_t plen = slen(payload);

	if (hlen == 0 || plen > cap - hlen)
		return 0;
	if (plen > 0)
		memcpy(out + hlen, payload.ptr, plen);
	return hlen + plen;
}

size_t proto_enc_pub(uint8_t *out, size_t cap, uint64_t req_id,
		     struct proto_str topic, struct proto_str reply_to,
		     struct proto_str payload)
{
	size_t hlen = proto_enc_pub_head(out, cap, req_id, topic, reply_to,
					 slen(payload));

	return append_payload(out, cap, hlen, payload);
}

/* A uint32 in msgpack's shortest form (what msgpack_pack_uint32 writes)
 * at p; returns its size (1, 2, 3 or 5). */
static size_t put_mp_uint32(uint8_t *p, uint32_t v)
{
	if (v < 0x80) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v <= UINT8_MAX) {
		p[0] = 0xcc;
		p[1] = (uint8_t)v;
		return 2;
	}
	if (v <= UINT16_MAX) {
		p[0] = 0xcd;
		p[1] = (uint8_t)(v >> 8);
		p[2] = (uint8_t)v;
		return 3;
	}
	p[0] = 0xce;
	put_be32(p + 1, v);
	return 5;
}

/* Written by hand, not through the packer: it runs once per receiver of
 * every publish.  Same bytes as msgpack_pack_array(5), _uint8(PROTO_MSG),
 * _uint32(sid). */
size_t proto_enc_msg_head(uint8_t *out, size_t cap, uint32_t sid,
			  size_t tail_len)
{
	size_t n = PROTO_HDR_LEN + 2 +
		   (sid < 0x80		? 1
		    : sid <= UINT8_MAX	? 2
		    : sid <= UINT16_MAX ? 3
					: 5);

	/* written in place, once the size is known to fit (building it in
	 * a local and copying stalled on store forwarding) */
	if (tail_len > PROTO_ABS_MAX_PAYLOAD + PROTO_FRAME_OVERHEAD || n > cap)
		return 0;
	put_be32(out, (uint32_t)(n - PROTO_HDR_LEN + tail_len));
	out[PROTO_HDR_LEN] = 0x95;
	out[PROTO_HDR_LEN + 1] = PROTO_MSG;
	put_mp_uint32(out + PROTO_HDR_LEN + 2, sid);
	return n;
}

/* A str (kind 0) or bin (kind 1) header for n bytes in msgpack's
 * shortest form, as msgpack_pack_str / _bin write it, at p (5 bytes of
 * room); returns its size. */
static size_t put_raw_hdr(uint8_t *p, uint32_t n, int bin)
{
	if (!bin && n < 32) {
		p[0] = (uint8_t)(0xa0 | n);
		return 1;
	}
	if (n <= UINT8_MAX) {
		p[0] = bin ? 0xc4 : 0xd9;
		p[1] = (uint8_t)n;
		return 2;
	}
	if (n <= UINT16_MAX) {
		p[0] = bin ? 0xc5 : 0xda;
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)n;
		return 3;
	}
	p[0] = bin ? 0xc6 : 0xdb;
	put_be32(p + 1, n);
	return 5;
}

/* Size of the header put_raw_hdr writes. */
static size_t raw_hdr_len(uint32_t n, int bin)
{
	if (!bin && n < 32)
		return 1;
	return n <= UINT8_MAX ? 2 : n <= UINT16_MAX ? 3 : 5;
}

/* Written by hand (once per publish), the same bytes as pack_route. */
size_t proto_enc_msg_tail(uint8_t *out, size_t cap, struct proto_str topic,
			  struct proto_str reply_to, uint32_t payload_len)
{
	uint32_t tl = slen(topic), rl = slen(reply_to);
	size_t n = 0;

	if (tl > PROTO_MAX_TOPIC || rl > PROTO_MAX_TOPIC ||
	    payload_len > PROTO_ABS_MAX_PAYLOAD ||
	    cap < raw_hdr_len(tl, 0) + tl +
			    (reply_to.ptr ? raw_hdr_len(rl, 0) + rl : 1) +
			    raw_hdr_len(payload_len, 1))
		return 0;
	n += put_raw_hdr(out + n, tl, 0);
	if (tl)
		memcpy(out + n, topic.ptr, tl);
	n += tl;
	if (!reply_to.ptr) {
		out[n++] = 0xc0;
	} else {
		n += put_raw_hdr(out + n, rl, 0);
		if (rl)
			memcpy(out + n, reply_to.ptr, rl);
		n += rl;
	}
	return n + put_raw_hdr(out + n, payload_len, 1);
}

size_t proto_enc_msg(uint8_t *out, size_t cap, uint32_t sid,
		     struct proto_str topic, struct proto_str reply_to,
		     struct proto_str payload)
{
	uint8_t probe[PROTO_MSG_HEAD_MAX];
	uint32_t plen = slen(payload);
	size_t hlen, tlen;

	/* the head's size depends only on sid: measure it, write the tail
	 * after it, then the real head in front */
	hlen = proto_enc_msg_head(probe, sizeof probe, sid, 0);
	if (hlen == 0 || hlen > cap)
		return 0;
	tlen = proto_enc_msg_tail(out + hlen, cap - hlen, topic, reply_to,
				  plen);
	if (tlen == 0 || append_payload(out, cap, hlen + tlen, payload) == 0)
		return 0;
	if (proto_enc_msg_head(out, hlen, sid, tlen + plen) != hlen)
		return 0;
	return hlen + tlen + plen;
}

/* Size of a uint in msgpack's shortest form (what msgpack_pack_uint64
 * writes). */
static size_t mp_uint_len(uint64_t v)
{
	if (v < 0x80)
		return 1;
	return v <= UINT8_MAX	 ? 2
	       : v <= UINT16_MAX ? 3
	       : v <= UINT32_MAX ? 5
				 : 9;
}

/* The bytes proto_enc_pub_head writes: prefix, array and op (one byte
 * each, see proto_enc_pub_head), req_id, then pack_route's topic,
 * reply_to (nil: one byte) and bin header. */
size_t proto_pub_head_size(uint64_t req_id, size_t topic_len, int reply_to_nil,
			   size_t reply_to_len, size_t payload_len)
{
	if (topic_len > PROTO_MAX_TOPIC ||
	    (!reply_to_nil && reply_to_len > PROTO_MAX_TOPIC) ||
	    payload_len > PROTO_ABS_MAX_PAYLOAD)
		return 0;
	return PROTO_HDR_LEN + 1 + 1 + mp_uint_len(req_id) +
	       raw_hdr_len((uint32_t)topic_len, 0) + topic_len +
	       (reply_to_nil ? 1
			     : raw_hdr_len((uint32_t)reply_to_len, 0) +
				       reply_to_len) +
	       raw_hdr_len((uint32_t)payload_len, 1);
}
