/*
 * test_protocol.c - unit tests for protocol/: encode/decode round trips,
 * every malformed-input class, topic/pattern/name validation, the stream
 * reader.  Odd frames are built either from hex or with msgpack-c's own
 * packer (an encoder independent of ours).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto.h"
#include "proto_decoders.h"

#define BIG_BODY (PROTO_ABS_MAX_PAYLOAD + PROTO_FRAME_OVERHEAD)

/* ---- helpers ---------------------------------------------------------- */

static int str_is(struct proto_str v, const char *s)
{
	size_t n = strlen(s);

	return v.ptr != NULL && v.len == n && memcmp(v.ptr, s, n) == 0;
}

/* Peek a whole encoded frame (it must be exactly one READY frame), then
 * decode its body. */
static enum proto_err decode_frame(const uint8_t *f, size_t n,
				   struct proto_msg *m)
{
	uint32_t blen = 0;

	ck_assert_uint_ge(n, PROTO_HDR_LEN + 1);
	ck_assert_int_eq(proto_frame_peek(f, n, BIG_BODY, &blen),
			 PROTO_FRAME_READY);
	ck_assert_uint_eq((size_t)blen + PROTO_HDR_LEN, n);
	ck_assert_int_eq(proto_frame_peek(f, n - 1, BIG_BODY, &blen),
			 PROTO_FRAME_NEED_MORE);
	return proto_decode(f + PROTO_HDR_LEN, blen, m);
}

/* "93 01 a1 41" -> bytes; returns the count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (sscanf(hex, " %2x%n", &v, &used) == 1) {
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)v;
		hex += used;
	}
	return n;
}

/* Decode a body given in hex; m's views point into body[0..cap). */
static enum proto_err decode_hex_in(const char *hex, uint8_t *body, size_t cap,
				    struct proto_msg *m)
{
	return proto_decode(body, unhex(hex, body, cap), m);
}

/* The same when only numbers are looked at (the views die on return). */
static enum proto_err decode_hex(const char *hex, struct proto_msg *m)
{
	uint8_t body[256];

	return decode_hex_in(hex, body, sizeof body, m);
}

/* A byte string of n copies of c (static storage up to 1024). */
static struct proto_str filled(char c, size_t n)
{
	static char buf[2048];
	struct proto_str v = { buf, (uint32_t)n };

	ck_assert_uint_le(n, sizeof buf);
	memset(buf, c, n);
	return v;
}

/* ---- round trips ------------------------------------------------------ */

/* HELLO's credentials map: read back, unknown keys skipped, limits. */
START_TEST(rt_hello_auth)
{
	static const char unknown_key[] =
		"94 01 01 a1 63 83 a1 78 91 01 a4 75 73 65 72 a1 61 "
		"a4 70 61 73 73 a2 70 77";
	uint8_t f[1024], body[64];
	char big[PROTO_MAX_PASS + 2];
	struct proto_msg m;
	size_t n;

	n = proto_enc_hello_auth(f, sizeof f, PROTO_VERSION, proto_cstr("c"),
				 proto_cstr("alice"), proto_cstr("s3cret"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert(str_is(m.user, "alice"));
	ck_assert(str_is(m.pass, "s3cret"));
	ck_assert(str_is(m.name, "c"));
	ck_assert_int_eq(decode_hex_in(unknown_key, body, sizeof body, &m),
			 PROTO_OK_CODE);
	ck_assert(str_is(m.user, "a"));
	ck_assert(str_is(m.pass, "pw"));
	n = proto_enc_hello(f, sizeof f, PROTO_VERSION, proto_cstr("c"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_ptr_null(m.user.ptr);
	ck_assert_ptr_null(m.pass.ptr);
	memset(big, 'p', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ck_assert_uint_eq(proto_enc_hello_auth(f, sizeof f, 1, proto_cstr("c"),
					       proto_cstr("u"),
					       proto_cstr(big)),
			  0);
}
END_TEST

START_TEST(rt_hello_welcome)
{
	uint8_t f[512];
	struct proto_msg m;
	size_t n;

	n = proto_enc_hello(f, sizeof f, PROTO_VERSION, proto_cstr("cli-1"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_HELLO);
	ck_assert_uint_eq(m.version, PROTO_VERSION);
	ck_assert(str_is(m.name, "cli-1"));

	n = proto_enc_welcome(f, sizeof f, 1, proto_cstr("brokerd"), UINT64_MAX,
			      PROTO_DEFAULT_MAX_PAYLOAD, 30000);
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_WELCOME);
	ck_assert_uint_eq(m.version, 1);
	ck_assert(str_is(m.name, "brokerd"));
	ck_assert(m.client_id == UINT64_MAX);
	ck_assert_uint_eq(m.max_payload, PROTO_DEFAULT_MAX_PAYLOAD);
	ck_assert_uint_eq(m.ping_ms, 30000);

	/* names over the limit are refused by the encoder */
	ck_assert_uint_eq(proto_enc_hello(f, sizeof f, 1,
					  filled('n', PROTO_MAX_NAME + 1)),
			  0);
	n = proto_enc_hello(f, sizeof f, 1, filled('n', PROTO_MAX_NAME));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.name.len, PROTO_MAX_NAME);
}
END_TEST

/* The map key k (a str) holds the str v. */
static int map_has(const msgpack_object_map *mp, const char *k, const char *v)
{
	for (uint32_t i = 0; i < mp->size; i++) {
		const msgpack_object *key = &mp->ptr[i].key;
		const msgpack_object *val = &mp->ptr[i].val;

		if (key->type == MSGPACK_OBJECT_STR &&
		    key->via.str.size == strlen(k) &&
		    !memcmp(key->via.str.ptr, k, strlen(k)))
			return val->type == MSGPACK_OBJECT_STR &&
			       val->via.str.size == strlen(v) &&
			       !memcmp(val->via.str.ptr, v, strlen(v));
	}
	return 0;
}

/* HELLO with credentials: [1, version, name, {"user": .., "pass": ..}],
 * read back by our decoder (which skips the 4th element, as an old
 * broker does) and by msgpack-c. */
START_TEST(rt_hello_auth_msgpack)
{
	uint8_t f[PROTO_PREHELLO_MAX];
	struct proto_msg m;
	msgpack_unpacked up;
	const msgpack_object_array *a;
	size_t n;

	n = proto_enc_hello_auth(f, sizeof f, PROTO_VERSION, proto_cstr("c1"),
				 proto_cstr("alice"), proto_cstr("s3cret"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_HELLO);
	ck_assert(str_is(m.name, "c1"));
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(msgpack_unpack_next(&up,
					     (const char *)f + PROTO_HDR_LEN,
					     n - PROTO_HDR_LEN, NULL),
			 MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(up.data.type, MSGPACK_OBJECT_ARRAY);
	a = &up.data.via.array;
	ck_assert_uint_eq(a->size, 4);
	ck_assert_int_eq(a->ptr[3].type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(a->ptr[3].via.map.size, 2);
	ck_assert(map_has(&a->ptr[3].via.map, "user", "alice"));
	ck_assert(map_has(&a->ptr[3].via.map, "pass", "s3cret"));
	msgpack_unpacked_destroy(&up);

	/* limits: the largest HELLO still fits the pre-HELLO frame limit */
	n = proto_enc_hello_auth(f, sizeof f, 1, filled('n', PROTO_MAX_NAME),
				 proto_cstr("u"), proto_cstr(""));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(proto_enc_hello_auth(f, sizeof f, 1, proto_cstr("c"),
					       filled('u', PROTO_MAX_NAME + 1),
					       proto_cstr("p")),
			  0);
	ck_assert_uint_eq(proto_enc_hello_auth(f, sizeof f, 1, proto_cstr("c"),
					       proto_cstr("u"),
					       filled('p', PROTO_MAX_PASS + 1)),
			  0);
	n = proto_enc_hello_auth(f, sizeof f, 1, proto_cstr("c"),
				 proto_cstr("u"), filled('p', PROTO_MAX_PASS));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(PROTO_HDR_LEN + 2 * PROTO_MAX_NAME + PROTO_MAX_PASS +
				  32,
			  PROTO_PREHELLO_MAX);
}
END_TEST

START_TEST(rt_pub)
{
	uint8_t f[1024];
	struct proto_msg m;
	size_t n;
	struct proto_str pay = { "\0\1\2\3", 4 };

	n = proto_enc_pub(f, sizeof f, 42, proto_cstr("a.b"),
			  proto_cstr("_INBOX.x.1"), pay);
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_PUB);
	ck_assert_uint_eq(m.req_id, 42);
	ck_assert(str_is(m.topic, "a.b"));
	ck_assert(str_is(m.reply_to, "_INBOX.x.1"));
	ck_assert_uint_eq(m.payload.len, 4);
	ck_assert(memcmp(m.payload.ptr, "\0\1\2\3", 4) == 0);

	/* nil reply_to, empty payload (NULL payload too) */
	n = proto_enc_pub(f, sizeof f, 0, proto_cstr("t"), proto_cstr(NULL),
			  proto_cstr(""));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_ptr_null(m.reply_to.ptr);
	ck_assert_ptr_nonnull(m.payload.ptr);
	ck_assert_uint_eq(m.payload.len, 0);
	n = proto_enc_pub(f, sizeof f, 0, proto_cstr("t"), proto_cstr(NULL),
			  proto_cstr(NULL));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.payload.len, 0);

	/* max-size topic and reply_to; one byte more is refused */
	n = proto_enc_pub(f, sizeof f, 7, filled('t', PROTO_MAX_TOPIC),
			  proto_cstr("r"), pay);
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.topic.len, PROTO_MAX_TOPIC);
	ck_assert_uint_eq(proto_enc_pub(f, sizeof f, 7,
					filled('t', PROTO_MAX_TOPIC + 1),
					proto_cstr(NULL), pay),
			  0);
	ck_assert_uint_eq(proto_enc_pub(f, sizeof f, 7, proto_cstr("t"),
					filled('r', PROTO_MAX_TOPIC + 1), pay),
			  0);
}
END_TEST

START_TEST(rt_pub_large)
{
	size_t plen = PROTO_DEFAULT_MAX_PAYLOAD, cap = plen + PROTO_MAX_HEAD;
	uint8_t *f = malloc(cap);
	struct proto_msg m;
	size_t h;

	ck_assert_ptr_nonnull(f);
	h = proto_enc_pub_head(f, cap, 9, proto_cstr("big.one"),
			       proto_cstr(NULL), (uint32_t)plen);
	ck_assert_uint_gt(h, 0);
	ck_assert_uint_le(h, PROTO_MAX_HEAD);
	for (size_t i = 0; i < plen; i++)
		f[h + i] = (uint8_t)(i * 7);
	ck_assert_int_eq(decode_frame(f, h + plen, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.payload.len, plen);
	ck_assert(m.payload.ptr == (const char *)f + h);
	ck_assert_uint_eq((uint8_t)m.payload.ptr[plen - 1],
			  (uint8_t)((plen - 1) * 7));
	/* over the absolute maximum: refused */
	ck_assert_uint_eq(proto_enc_pub_head(f, cap, 9, proto_cstr("t"),
					     proto_cstr(NULL),
					     PROTO_ABS_MAX_PAYLOAD + 1),
			  0);
	free(f);
}
END_TEST

START_TEST(rt_sub_unsub)
{
	uint8_t f[512];
	struct proto_msg m;
	size_t n;

	n = proto_enc_sub(f, sizeof f, 5, UINT32_MAX, proto_cstr("a.*.>"),
			  proto_cstr("workers"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_SUB);
	ck_assert_uint_eq(m.req_id, 5);
	ck_assert_uint_eq(m.sid, UINT32_MAX);
	ck_assert(str_is(m.topic, "a.*.>"));
	ck_assert(str_is(m.queue, "workers"));

	n = proto_enc_sub(f, sizeof f, 0, 1, proto_cstr(">"), proto_cstr(NULL));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.sid, 1);
	ck_assert_ptr_null(m.queue.ptr);
	ck_assert_uint_eq(proto_enc_sub(f, sizeof f, 0, 1, proto_cstr("a"),
					filled('q', PROTO_MAX_NAME + 1)),
			  0);

	n = proto_enc_unsub(f, sizeof f, 1ull << 40, 77);
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_UNSUB);
	ck_assert(m.req_id == 1ull << 40);
	ck_assert_uint_eq(m.sid, 77);
}
END_TEST

START_TEST(rt_msg)
{
	static const uint32_t sids[] = { 1,   127,   128,   255,
					 256, 65535, 65536, UINT32_MAX };
	uint8_t whole[512], split[512], tail[512];
	struct proto_str pay = { "hello", 5 };
	struct proto_msg m;

	for (size_t i = 0; i < sizeof sids / sizeof sids[0]; i++) {
		size_t n = proto_enc_msg(whole, sizeof whole, sids[i],
					 proto_cstr("x.y"), proto_cstr("r.1"),
					 pay);
		size_t t = proto_enc_msg_tail(tail, sizeof tail,
					      proto_cstr("x.y"),
					      proto_cstr("r.1"), pay.len);
		size_t h = proto_enc_msg_head(split, PROTO_MSG_HEAD_MAX,
					      sids[i], t + pay.len);

		ck_assert_uint_gt(h, 0);
		ck_assert_uint_le(h, PROTO_MSG_HEAD_MAX);
		memcpy(split + h, tail, t);
		memcpy(split + h + t, pay.ptr, pay.len);
		ck_assert_uint_eq(n, h + t + pay.len);
		ck_assert(memcmp(whole, split, n) == 0);
		ck_assert_int_eq(decode_frame(split, n, &m), PROTO_OK_CODE);
		ck_assert_uint_eq(m.op, PROTO_MSG);
		ck_assert_uint_eq(m.sid, sids[i]);
		ck_assert(str_is(m.topic, "x.y"));
		ck_assert(str_is(m.reply_to, "r.1"));
		ck_assert(str_is(m.payload, "hello"));
	}
	/* nil reply_to, empty payload */
	ck_assert_int_eq(
		decode_frame(whole,
			     proto_enc_msg(whole, sizeof whole, 3,
					   proto_cstr("t"), proto_cstr(NULL),
					   proto_cstr(NULL)),
			     &m),
		PROTO_OK_CODE);
	ck_assert_ptr_null(m.reply_to.ptr);
	ck_assert_uint_eq(m.payload.len, 0);
}
END_TEST

START_TEST(rt_small_frames)
{
	uint8_t f[512];
	struct proto_msg m;
	size_t n;

	ck_assert_int_eq(decode_frame(f, proto_enc_ping(f, sizeof f), &m),
			 PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_PING);
	ck_assert_int_eq(decode_frame(f, proto_enc_pong(f, sizeof f), &m),
			 PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_PONG);
	ck_assert_int_eq(decode_frame(f, proto_enc_ok(f, sizeof f, 99), &m),
			 PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_OK);
	ck_assert_uint_eq(m.req_id, 99);

	n = proto_enc_err(f, sizeof f, 12, PROTO_E_BAD_TOPIC,
			  proto_cstr("empty token"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_ERR);
	ck_assert_uint_eq(m.req_id, 12);
	ck_assert_uint_eq(m.code, PROTO_E_BAD_TOPIC);
	ck_assert(str_is(m.reason, "empty token"));
	n = proto_enc_err(f, sizeof f, 0, PROTO_E_INTERNAL, proto_cstr(NULL));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert(str_is(m.reason, ""));
	ck_assert_uint_eq(proto_enc_err(f, sizeof f, 0, PROTO_E_INTERNAL,
					filled('r', PROTO_MAX_REASON + 1)),
			  0);

	n = proto_enc_notice(f, sizeof f, PROTO_NOTICE_DROPPED, 1234,
			     proto_cstr("slow consumer"));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_NOTICE);
	ck_assert_uint_eq(m.code, PROTO_NOTICE_DROPPED);
	ck_assert_uint_eq(m.count, 1234);
	ck_assert(str_is(m.reason, "slow consumer"));
}
END_TEST

/* Every encoder returns 0 for every capacity short of its frame. */
START_TEST(enc_overflow)
{
	uint8_t f[512];
	struct proto_str pay = { "payload", 7 };
	size_t full[12], n, k = 0;

	full[k++] = proto_enc_hello(f, sizeof f, 1, proto_cstr("c"));
	full[k++] = proto_enc_welcome(f, sizeof f, 1, proto_cstr("s"), 1, 2, 3);
	full[k++] = proto_enc_sub(f, sizeof f, 1, 2, proto_cstr("p"),
				  proto_cstr("q"));
	full[k++] = proto_enc_unsub(f, sizeof f, 1, 2);
	full[k++] = proto_enc_ping(f, sizeof f);
	full[k++] = proto_enc_pong(f, sizeof f);
	full[k++] = proto_enc_ok(f, sizeof f, 1);
	full[k++] = proto_enc_err(f, sizeof f, 1, 2, proto_cstr("r"));
	full[k++] = proto_enc_notice(f, sizeof f, 1, 2, proto_cstr("r"));
	full[k++] = proto_enc_pub(f, sizeof f, 1, proto_cstr("t"),
				  proto_cstr("r"), pay);
	full[k++] = proto_enc_msg(f, sizeof f, 1, proto_cstr("t"),
				  proto_cstr("r"), pay);
	full[k++] = proto_enc_msg_tail(f, sizeof f, proto_cstr("t"),
				       proto_cstr("r"), 7);
	for (size_t cap = 0; cap < 40; cap++) {
		size_t got[12];

		k = 0;
		got[k++] = proto_enc_hello(f, cap, 1, proto_cstr("c"));
		got[k++] = proto_enc_welcome(f, cap, 1, proto_cstr("s"), 1, 2,
					     3);
		got[k++] = proto_enc_sub(f, cap, 1, 2, proto_cstr("p"),
					 proto_cstr("q"));
		got[k++] = proto_enc_unsub(f, cap, 1, 2);
		got[k++] = proto_enc_ping(f, cap);
		got[k++] = proto_enc_pong(f, cap);
		got[k++] = proto_enc_ok(f, cap, 1);
		got[k++] = proto_enc_err(f, cap, 1, 2, proto_cstr("r"));
		got[k++] = proto_enc_notice(f, cap, 1, 2, proto_cstr("r"));
		got[k++] = proto_enc_pub(f, cap, 1, proto_cstr("t"),
					 proto_cstr("r"), pay);
		got[k++] = proto_enc_msg(f, cap, 1, proto_cstr("t"),
					 proto_cstr("r"), pay);
		got[k++] = proto_enc_msg_tail(f, cap, proto_cstr("t"),
					      proto_cstr("r"), 7);
		for (size_t i = 0; i < k; i++) {
			n = cap < full[i] ? 0 : full[i];
			ck_assert_msg(got[i] == n, "encoder %zu cap %zu: %zu",
				      i, cap, got[i]);
		}
	}
}
END_TEST

/* ---- framing ---------------------------------------------------------- */

START_TEST(frame_peek)
{
	uint8_t b[16] = { 0, 0, 0, 3, 0x91, 0x07 };
	uint32_t blen = 12345;

	ck_assert_int_eq(proto_frame_peek(b, 3, 100, &blen),
			 PROTO_FRAME_NEED_MORE);
	ck_assert_uint_eq(blen, 12345); /* untouched below 4 bytes */
	ck_assert_int_eq(proto_frame_peek(b, 6, 100, &blen),
			 PROTO_FRAME_NEED_MORE);
	ck_assert_uint_eq(blen, 3);
	b[3] = 2;
	ck_assert_int_eq(proto_frame_peek(b, 6, 100, &blen), PROTO_FRAME_READY);
	/* length 0 */
	b[3] = 0;
	ck_assert_int_eq(proto_frame_peek(b, 6, 100, &blen), PROTO_FRAME_BAD);
	/* too long: rejected from the prefix alone, before any body */
	b[0] = 0x7f;
	ck_assert_int_eq(proto_frame_peek(b, 4, BIG_BODY, &blen),
			 PROTO_FRAME_BAD);
	ck_assert_uint_eq(blen, 0x7f000000u);
	b[0] = 0;
	b[1] = 0;
	b[2] = 0;
	b[3] = 101;
	ck_assert_int_eq(proto_frame_peek(b, 4, 100, &blen), PROTO_FRAME_BAD);
	b[3] = 100;
	ck_assert_int_eq(proto_frame_peek(b, 4, 100, &blen),
			 PROTO_FRAME_NEED_MORE);
}
END_TEST

/* ---- malformed bodies ------------------------------------------------- */

struct bad_case {
	const char *hex;
	enum proto_err err;
	unsigned op;	 /* expected out->op */
	uint64_t req_id; /* expected out->req_id */
};

static const struct bad_case bad_cases[] = {
	/* not msgpack, truncated, not an array, empty, trailing bytes */
	{ "", PROTO_E_MALFORMED, 0, 0 },
	{ "c1", PROTO_E_MALFORMED, 0, 0 },
	{ "91 c1", PROTO_E_MALFORMED, 0, 0 },
	{ "07", PROTO_E_MALFORMED, 0, 0 },
	{ "a4 50 49 4e 47", PROTO_E_MALFORMED, 0, 0 },
	{ "81 07 07", PROTO_E_MALFORMED, 0, 0 },
	{ "90", PROTO_E_MALFORMED, 0, 0 },
	{ "91 07 00", PROTO_E_MALFORMED, PROTO_PING, 0 },
	{ "91 07 91 07", PROTO_E_MALFORMED, PROTO_PING, 0 },
	/* count past the end: op and req_id are still read, so the ERR can
	 * echo the req_id (issue #13) */
	{ "92 09", PROTO_E_MALFORMED, PROTO_OK, 0 },
	{ "93 09 05", PROTO_E_MALFORMED, PROTO_OK, 5 },
	{ "95 03 07", PROTO_E_MALFORMED, PROTO_PUB, 7 },
	{ "95 03 cd 01 00 a1 74", PROTO_E_MALFORMED, PROTO_PUB, 256 },
	{ "dc 00 05 04 09", PROTO_E_MALFORMED, PROTO_SUB, 9 },
	{ "dd 00 00 00 03 05 d0 0b", PROTO_E_MALFORMED, PROTO_UNSUB, 11 },
	{ "95 03 cd 01", PROTO_E_MALFORMED, PROTO_PUB, 0 },
	{ "95 06 07", PROTO_E_MALFORMED, PROTO_MSG, 0 },
	{ "93 09 05 c1", PROTO_E_MALFORMED, PROTO_OK, 5 },
	{ "dc 00", PROTO_E_MALFORMED, 0, 0 },
	/* declared counts/lengths past the end: fail at once, no allocation */
	{ "dd 00 ff ff ff", PROTO_E_MALFORMED, 0, 0 },
	{ "dd ff ff ff ff", PROTO_E_MALFORMED, 0, 0 },
	{ "df ff ff ff ff", PROTO_E_MALFORMED, 0, 0 },
	{ "92 07 de ff ff", PROTO_E_MALFORMED, PROTO_PING, 0 },
	{ "92 07 82 01 02", PROTO_E_MALFORMED, PROTO_PING, 0 },
	{ "92 09 d9 05 41", PROTO_E_MALFORMED, PROTO_OK, 0 },
	{ "93 03 01 db ff ff ff ff 41", PROTO_E_MALFORMED, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 c0 c6 ff ff ff ff", PROTO_E_MALFORMED, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 c0 c4 02 41", PROTO_E_MALFORMED, PROTO_PUB, 1 },
	{ "92 07 c7 05 01 41", PROTO_E_MALFORMED, PROTO_PING, 0 },
	{ "92 07 cb 00 00", PROTO_E_MALFORMED, PROTO_PING, 0 },
	{ "92 09 cf 00 00 00", PROTO_E_MALFORMED, PROTO_OK, 0 },
	/* op code */
	{ "91 a1 07", PROTO_E_MALFORMED, 0, 0 },
	{ "91 ff", PROTO_E_MALFORMED, 0, 0 },
	{ "91 d0 f9", PROTO_E_MALFORMED, 0, 0 },
	{ "91 c0", PROTO_E_MALFORMED, 0, 0 },
	{ "91 ca 40 e0 00 00", PROTO_E_MALFORMED, 0, 0 },
	{ "91 00", PROTO_E_UNKNOWN_OP, 0, 0 },
	{ "91 0c", PROTO_E_UNKNOWN_OP, 12, 0 },
	{ "92 7f 01", PROTO_E_UNKNOWN_OP, 127, 0 },
	{ "91 cd 01 07", PROTO_E_UNKNOWN_OP, 0, 0 },
	{ "91 cf 00 00 00 01 00 00 00 07", PROTO_E_UNKNOWN_OP, 0, 0 },
	/* missing fields */
	{ "91 01", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "92 01 01", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "95 02 01 a1 73 01 02", PROTO_E_BAD_FIELD, PROTO_WELCOME, 0 },
	{ "92 03 08", PROTO_E_BAD_FIELD, PROTO_PUB, 8 },
	{ "94 03 08 a1 74 c0", PROTO_E_BAD_FIELD, PROTO_PUB, 8 },
	{ "94 04 08 01 a1 74", PROTO_E_BAD_FIELD, PROTO_SUB, 8 },
	{ "92 05 08", PROTO_E_BAD_FIELD, PROTO_UNSUB, 8 },
	{ "94 06 01 a1 74 c0", PROTO_E_BAD_FIELD, PROTO_MSG, 0 },
	{ "91 09", PROTO_E_BAD_FIELD, PROTO_OK, 0 },
	{ "93 0a 08 05", PROTO_E_BAD_FIELD, PROTO_ERR, 8 },
	{ "93 0b 01 05", PROTO_E_BAD_FIELD, PROTO_NOTICE, 0 },
	/* wrong types */
	{ "93 01 a1 31 a1 63", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "93 01 01 c4 01 63", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "93 01 01 c0", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "96 02 01 a1 73 01 02 a1 33", PROTO_E_BAD_FIELD, PROTO_WELCOME, 0 },
	{ "96 02 01 a1 73 ff 02 03", PROTO_E_BAD_FIELD, PROTO_WELCOME, 0 },
	{ "95 03 a1 31 a1 74 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 0 },
	{ "95 03 ff a1 74 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 0 },
	{ "95 03 c3 a1 74 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 0 },
	{ "95 03 cb 3f f0 00 00 00 00 00 00 a1 74 c0 c4 00", PROTO_E_BAD_FIELD,
	  PROTO_PUB, 0 },
	{ "95 03 01 c0 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 03 01 c4 01 74 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 05 c4 00", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 c0 c0", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 c0 05", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 03 01 a1 74 c0 90", PROTO_E_BAD_FIELD, PROTO_PUB, 1 },
	{ "95 04 01 a1 31 a1 74 c0", PROTO_E_BAD_FIELD, PROTO_SUB, 1 },
	{ "95 04 01 01 01 c0", PROTO_E_BAD_FIELD, PROTO_SUB, 1 },
	{ "95 04 01 01 a1 74 05", PROTO_E_BAD_FIELD, PROTO_SUB, 1 },
	{ "95 04 01 01 a1 74 c4 01 71", PROTO_E_BAD_FIELD, PROTO_SUB, 1 },
	{ "93 05 01 ff", PROTO_E_BAD_FIELD, PROTO_UNSUB, 1 },
	{ "95 06 c0 a1 74 c0 c4 00", PROTO_E_BAD_FIELD, PROTO_MSG, 0 },
	{ "95 06 01 a1 74 c2 c4 00", PROTO_E_BAD_FIELD, PROTO_MSG, 0 },
	{ "92 09 a1 31", PROTO_E_BAD_FIELD, PROTO_OK, 0 },
	{ "94 0a 01 a1 35 a1 72", PROTO_E_BAD_FIELD, PROTO_ERR, 1 },
	{ "94 0a 01 05 c0", PROTO_E_BAD_FIELD, PROTO_ERR, 1 },
	{ "94 0b 01 c0 a1 72", PROTO_E_BAD_FIELD, PROTO_NOTICE, 0 },
	{ "94 0b 01 05 05", PROTO_E_BAD_FIELD, PROTO_NOTICE, 0 },
	/* HELLO credentials: not a map, a non-str key or value, a key twice */
	{ "94 01 01 a1 63 c0", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "94 01 01 a1 63 a1 75", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "94 01 01 a1 63 81 01 a1 75", PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	{ "94 01 01 a1 63 81 a4 75 73 65 72 05", PROTO_E_BAD_FIELD, PROTO_HELLO,
	  0 },
	{ "94 01 01 a1 63 82 a4 75 73 65 72 a1 61 a4 75 73 65 72 a1 62",
	  PROTO_E_BAD_FIELD, PROTO_HELLO, 0 },
	/* sid range */
	{ "95 04 01 00 a1 74 c0", PROTO_E_BAD_SID, PROTO_SUB, 1 },
	{ "95 04 01 cf 00 00 00 01 00 00 00 00 a1 74 c0", PROTO_E_BAD_SID,
	  PROTO_SUB, 1 },
	{ "93 05 02 00", PROTO_E_BAD_SID, PROTO_UNSUB, 2 },
	{ "95 06 00 a1 74 c0 c4 00", PROTO_E_BAD_SID, PROTO_MSG, 0 },
	/* a correct frame needs none of the above */
	{ "91 07", PROTO_OK_CODE, PROTO_PING, 0 },
};

START_TEST(bad_frames)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct proto_msg m;
	enum proto_err e = decode_hex(bc->hex, &m);

	ck_assert_msg(e == bc->err, "[%s]: got %d want %d", bc->hex, e,
		      bc->err);
	ck_assert_msg(m.op == bc->op, "[%s]: op %u", bc->hex, m.op);
	ck_assert_msg(m.req_id == bc->req_id, "[%s]: req_id", bc->hex);
}
END_TEST

/* Non-negative ints in signed encodings are accepted wherever a uint is. */
START_TEST(signed_ints)
{
	struct proto_msg m;
	uint8_t body[64];

	ck_assert_int_eq(decode_hex("95 d0 03 d0 05 a1 74 c0 c4 00", &m),
			 PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_PUB);
	ck_assert_uint_eq(m.req_id, 5);
	ck_assert_int_eq(
		decode_hex("95 04 d1 01 00 d2 00 00 00 07 a1 74 c0", &m),
		PROTO_OK_CODE);
	ck_assert_uint_eq(m.req_id, 256);
	ck_assert_uint_eq(m.sid, 7);
	ck_assert_int_eq(decode_hex("92 09 d3 7f ff ff ff ff ff ff ff", &m),
			 PROTO_OK_CODE);
	ck_assert(m.req_id == INT64_MAX);
	ck_assert_int_eq(decode_hex("92 09 cf ff ff ff ff ff ff ff ff", &m),
			 PROTO_OK_CODE);
	ck_assert(m.req_id == UINT64_MAX);
	ck_assert_int_eq(decode_hex("93 05 00 cc 09", &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.sid, 9);
	ck_assert_int_eq(decode_hex("93 05 00 d3 ff ff ff ff ff ff ff ff", &m),
			 PROTO_E_BAD_FIELD);
	/* str8/str16 encodings of short strings and a str payload */
	ck_assert_int_eq(decode_hex_in("95 03 00 d9 01 74 da 00 01 72 a2 68 69",
				       body, sizeof body, &m),
			 PROTO_OK_CODE);
	ck_assert(str_is(m.topic, "t"));
	ck_assert(str_is(m.reply_to, "r"));
	ck_assert(str_is(m.payload, "hi"));
	/* trailing elements of any type are ignored */
	ck_assert_int_eq(decode_hex("95 09 01 81 a1 6b 92 c3 cb 00 00 00 00 00 "
				    "00 00 00 d4 01 00 d8 01 00 00 00 00 00 00"
				    " 00 00 00 00 00 00 00 00 00",
				    &m),
			 PROTO_E_MALFORMED); /* one byte short of fixext16 */
	ck_assert_int_eq(decode_hex("95 09 01 81 a1 6b 92 c3 cb 00 00 00 00 00 "
				    "00 00 00 d4 01 00 d8 01 00 00 00 00 00 00"
				    " 00 00 00 00 00 00 00 00 00 00",
				    &m),
			 PROTO_OK_CODE);
	ck_assert_uint_eq(m.req_id, 1);
}
END_TEST

/* Frames with over-limit strings, built with msgpack-c's packer. */
struct packed {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void pk_begin(struct packed *p, unsigned n, unsigned op)
{
	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
	msgpack_pack_array(&p->pk, n);
	msgpack_pack_uint32(&p->pk, op);
}

static void pk_str(struct packed *p, size_t n)
{
	struct proto_str s = filled('z', n);

	msgpack_pack_str_with_body(&p->pk, s.ptr, n);
}

static enum proto_err pk_end(struct packed *p, struct proto_msg *m)
{
	enum proto_err e = proto_decode((const uint8_t *)p->sb.data, p->sb.size,
					m);

	msgpack_sbuffer_destroy(&p->sb);
	return e;
}

/* [op, ...] with one string of length n at position `at` (1-based after
 * op); elsewhere uints, except PUB/SUB get nil at 3..4 (PUB: bin at 4). */
static enum proto_err limit_case(unsigned op, unsigned nfields, unsigned at,
				 size_t n)
{
	struct packed p;
	struct proto_msg m;

	pk_begin(&p, nfields + 1, op);
	for (unsigned i = 1; i <= nfields; i++) {
		if (i == at)
			pk_str(&p, n);
		else if (op == PROTO_PUB && i == 4)
			msgpack_pack_bin_with_body(&p.pk, "x", 1);
		else if ((op == PROTO_PUB || op == PROTO_SUB) && i > 2)
			msgpack_pack_nil(&p.pk);
		else
			msgpack_pack_uint32(&p.pk, 1);
	}
	return pk_end(&p, &m);
}

START_TEST(length_limits)
{
	ck_assert_int_eq(limit_case(PROTO_HELLO, 2, 2, PROTO_MAX_NAME),
			 PROTO_OK_CODE);
	ck_assert_int_eq(limit_case(PROTO_HELLO, 2, 2, PROTO_MAX_NAME + 1),
			 PROTO_E_BAD_NAME);
	ck_assert_int_eq(limit_case(PROTO_WELCOME, 5, 2, PROTO_MAX_NAME + 1),
			 PROTO_E_BAD_NAME);
	ck_assert_int_eq(limit_case(PROTO_PUB, 4, 2, PROTO_MAX_TOPIC),
			 PROTO_OK_CODE);
	ck_assert_int_eq(limit_case(PROTO_PUB, 4, 2, PROTO_MAX_TOPIC + 1),
			 PROTO_E_BAD_TOPIC);
	ck_assert_int_eq(limit_case(PROTO_PUB, 4, 3, PROTO_MAX_TOPIC),
			 PROTO_E_BAD_FIELD); /* position 3 needs a topic */
	ck_assert_int_eq(limit_case(PROTO_SUB, 4, 3, PROTO_MAX_TOPIC),
			 PROTO_OK_CODE);
	ck_assert_int_eq(limit_case(PROTO_SUB, 4, 3, PROTO_MAX_TOPIC + 1),
			 PROTO_E_BAD_PATTERN);
	ck_assert_int_eq(limit_case(PROTO_SUB, 4, 4, PROTO_MAX_NAME + 1),
			 PROTO_E_BAD_FIELD); /* pattern missing (nil) */
	ck_assert_int_eq(limit_case(PROTO_ERR, 3, 3, PROTO_MAX_REASON),
			 PROTO_OK_CODE);
	ck_assert_int_eq(limit_case(PROTO_ERR, 3, 3, PROTO_MAX_REASON + 1),
			 PROTO_E_BAD_FIELD);
	ck_assert_int_eq(limit_case(PROTO_NOTICE, 3, 3, PROTO_MAX_REASON + 1),
			 PROTO_E_BAD_FIELD);
}
END_TEST

START_TEST(length_limits_optional)
{
	struct packed p;
	struct proto_msg m;

	/* SUB queue and PUB/MSG reply_to */
	pk_begin(&p, 5, PROTO_SUB);
	msgpack_pack_uint32(&p.pk, 1);
	msgpack_pack_uint32(&p.pk, 1);
	pk_str(&p, 3);
	pk_str(&p, PROTO_MAX_NAME + 1);
	ck_assert_int_eq(pk_end(&p, &m), PROTO_E_BAD_QUEUE);
	ck_assert_uint_eq(m.req_id, 1);

	pk_begin(&p, 5, PROTO_PUB);
	msgpack_pack_uint32(&p.pk, 1);
	pk_str(&p, 3);
	pk_str(&p, PROTO_MAX_TOPIC + 1);
	msgpack_pack_bin_with_body(&p.pk, "x", 1);
	ck_assert_int_eq(pk_end(&p, &m), PROTO_E_BAD_TOPIC);

	pk_begin(&p, 5, PROTO_MSG);
	msgpack_pack_uint32(&p.pk, 1);
	pk_str(&p, PROTO_MAX_TOPIC + 1);
	msgpack_pack_nil(&p.pk);
	msgpack_pack_bin_with_body(&p.pk, "x", 1);
	ck_assert_int_eq(pk_end(&p, &m), PROTO_E_BAD_TOPIC);
}
END_TEST

/* [7, x] where x is nested `levels` arrays deep (or maps). */
static enum proto_err nested(unsigned levels, int maps)
{
	uint8_t body[300];
	size_t n = 0;
	struct proto_msg m;

	ck_assert_uint_lt(levels * 2 + 4, sizeof body);
	body[n++] = 0x92;
	body[n++] = 0x07;
	for (unsigned i = 0; i < levels; i++) {
		body[n++] = maps ? 0x81 : 0x91;
		if (maps)
			body[n++] = 0x01; /* key; the value nests on */
	}
	body[n++] = 0xc0;
	return proto_decode(body, n, &m);
}

START_TEST(too_deep)
{
	/* the frame's own array is level 1 */
	ck_assert_int_eq(nested(PROTO_MAX_DEPTH - 1, 0), PROTO_OK_CODE);
	ck_assert_int_eq(nested(PROTO_MAX_DEPTH, 0), PROTO_E_TOO_DEEP);
	ck_assert_int_eq(nested(100, 0), PROTO_E_TOO_DEEP);
	ck_assert_int_eq(nested(PROTO_MAX_DEPTH - 1, 1), PROTO_OK_CODE);
	ck_assert_int_eq(nested(PROTO_MAX_DEPTH, 1), PROTO_E_TOO_DEEP);
	ck_assert_int_eq(nested(100, 1), PROTO_E_TOO_DEEP);
}
END_TEST

/* Every strict prefix of a valid frame body is rejected, never crashes. */
START_TEST(truncations)
{
	uint8_t f[512];
	struct proto_msg m;
	size_t n = proto_enc_pub(f, sizeof f, 300, proto_cstr("a.b.c"),
				 proto_cstr("r.s"), proto_cstr("payload"));

	ck_assert_uint_gt(n, PROTO_HDR_LEN);
	for (size_t k = 0; k < n - PROTO_HDR_LEN; k++)
		ck_assert_int_ne(proto_decode(f + PROTO_HDR_LEN, k, &m),
				 PROTO_OK_CODE);
	ck_assert_int_eq(proto_decode(f + PROTO_HDR_LEN, n - PROTO_HDR_LEN, &m),
			 PROTO_OK_CODE);
}
END_TEST

/* ---- validation ------------------------------------------------------- */

struct check_case {
	const char *s;
	int topic_ok;
	int pattern_ok;
};

static const struct check_case check_cases[] = {
	{ "a", 1, 1 },
	{ "sensors.kitchen.temp", 1, 1 },
	{ "_INBOX.k3J9.7", 1, 1 },
	{ "a-b_c:d/e", 1, 1 },
	{ "caf\xc3\xa9.men\xc3\xbc", 1, 1 },	   /* 2-byte UTF-8 */
	{ "\xe2\x82\xac.\xf0\x9f\x98\x80", 1, 1 }, /* 3 and 4 bytes */
	{ "", 0, 0 },
	{ "a..b", 0, 0 },
	{ ".a", 0, 0 },
	{ "a.", 0, 0 },
	{ ".", 0, 0 },
	{ "*", 0, 1 },
	{ ">", 0, 1 },
	{ "a.*", 0, 1 },
	{ "a.>", 0, 1 },
	{ "*.b.>", 0, 1 },
	{ "*.*", 0, 1 },
	{ "a.>.b", 0, 0 },
	{ ">.a", 0, 0 },
	{ "a*", 0, 0 },
	{ "*a", 0, 0 },
	{ ">a", 0, 0 },
	{ "a>", 0, 0 },
	{ "a.**", 0, 0 },
	{ "a.>>", 0, 0 },
	{ "a b", 0, 0 },
	{ "a\tb", 0, 0 },
	{ "a\nb", 0, 0 },
	{ "a\x7f", 0, 0 },
	{ "a\x01", 0, 0 },
	{ "\xc3", 0, 0 },	      /* truncated sequence */
	{ "\xc3\x28", 0, 0 },	      /* bad continuation */
	{ "\x80", 0, 0 },	      /* lone continuation */
	{ "\xc0\xaf", 0, 0 },	      /* overlong '/' */
	{ "\xe0\x80\xaf", 0, 0 },     /* overlong, 3 bytes */
	{ "\xf0\x80\x80\xaf", 0, 0 }, /* overlong, 4 bytes */
	{ "\xed\xa0\x80", 0, 0 },     /* surrogate U+D800 */
	{ "\xf4\x90\x80\x80", 0, 0 }, /* U+110000 */
	{ "\xf5\x80\x80\x80", 0, 0 },
	{ "\xff", 0, 0 },
};

START_TEST(topic_pattern_table)
{
	const struct check_case *cc = &check_cases[_i];
	size_t n = strlen(cc->s);

	ck_assert_msg((proto_check_topic(cc->s, n) == PROTO_OK_CODE) ==
			      cc->topic_ok,
		      "topic [%s]", cc->s);
	ck_assert_msg((proto_check_pattern(cc->s, n) == PROTO_OK_CODE) ==
			      cc->pattern_ok,
		      "pattern [%s]", cc->s);
	if (!cc->topic_ok)
		ck_assert_int_eq(proto_check_topic(cc->s, n),
				 PROTO_E_BAD_TOPIC);
	if (!cc->pattern_ok)
		ck_assert_int_eq(proto_check_pattern(cc->s, n),
				 PROTO_E_BAD_PATTERN);
}
END_TEST

/* "t.t.t...." with ntok tokens of tlen bytes. */
static size_t make_tokens(char *buf, unsigned ntok, unsigned tlen)
{
	size_t n = 0;

	for (unsigned i = 0; i < ntok; i++) {
		if (i)
			buf[n++] = '.';
		memset(buf + n, 't', tlen);
		n += tlen;
	}
	return n;
}

START_TEST(topic_limits)
{
	char buf[1024];
	size_t n;

	n = make_tokens(buf, PROTO_MAX_TOKENS, 1);
	ck_assert_int_eq(proto_check_topic(buf, n), PROTO_OK_CODE);
	n = make_tokens(buf, PROTO_MAX_TOKENS + 1, 1);
	ck_assert_int_eq(proto_check_topic(buf, n), PROTO_E_BAD_TOPIC);
	ck_assert_int_eq(proto_check_pattern(buf, n), PROTO_E_BAD_PATTERN);
	n = make_tokens(buf, 1, PROTO_MAX_TOPIC);
	ck_assert_int_eq(proto_check_topic(buf, n), PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_pattern(buf, n), PROTO_OK_CODE);
	n = make_tokens(buf, 1, PROTO_MAX_TOPIC + 1);
	ck_assert_int_eq(proto_check_topic(buf, n), PROTO_E_BAD_TOPIC);
	ck_assert_int_eq(proto_check_pattern(buf, n), PROTO_E_BAD_PATTERN);
	/* a NUL byte inside the length is a control byte */
	ck_assert_int_eq(proto_check_topic("a\0b", 3), PROTO_E_BAD_TOPIC);
	ck_assert_int_eq(proto_check_topic(NULL, 0), PROTO_E_BAD_TOPIC);
}
END_TEST

START_TEST(name_check)
{
	struct proto_str s = filled('n', PROTO_MAX_NAME + 1);

	ck_assert_int_eq(proto_check_name("workers", 7, PROTO_E_BAD_QUEUE),
			 PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_name("a.*>", 4, PROTO_E_BAD_QUEUE),
			 PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_name("caf\xc3\xa9", 5, PROTO_E_BAD_NAME),
			 PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_name("", 0, PROTO_E_BAD_QUEUE),
			 PROTO_E_BAD_QUEUE);
	ck_assert_int_eq(proto_check_name("a b", 3, PROTO_E_BAD_NAME),
			 PROTO_E_BAD_NAME);
	ck_assert_int_eq(proto_check_name("\xc0\xaf", 2, PROTO_E_BAD_NAME),
			 PROTO_E_BAD_NAME);
	ck_assert_int_eq(
		proto_check_name(s.ptr, PROTO_MAX_NAME, PROTO_E_BAD_NAME),
		PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_name(s.ptr, s.len, PROTO_E_BAD_NAME),
			 PROTO_E_BAD_NAME);
}
END_TEST

START_TEST(names)
{
	static const int codes[] = {
		1,  2,	3,  4,	5,  6,	7,   8,	  9,   10,
		11, 12, 13, 14, 15, 16, 100, 101, 102, 103
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		ck_assert_str_ne(proto_err_str((enum proto_err)codes[i]),
				 "unknown");
	ck_assert_str_eq(proto_err_str((enum proto_err)99), "unknown");
	ck_assert_str_eq(proto_op_str(PROTO_HELLO), "HELLO");
	ck_assert_str_eq(proto_op_str(PROTO_NOTICE), "NOTICE");
	ck_assert_str_eq(proto_op_str(0), "?");
	ck_assert_str_eq(proto_op_str(12), "?");
	ck_assert_str_eq(proto_op_str(1000), "?");
}
END_TEST

/* ---- stream reader ---------------------------------------------------- */

/* Three frames back to back: SUB, PUB, PING. */
static size_t three_frames(uint8_t *s, size_t cap)
{
	size_t n = proto_enc_sub(s, cap, 1, 1, proto_cstr("a.>"),
				 proto_cstr(NULL));

	n += proto_enc_pub(s + n, cap - n, 2, proto_cstr("a.b"),
			   proto_cstr(NULL), proto_cstr("xyz"));
	n += proto_enc_ping(s + n, cap - n);
	return n;
}

static void expect_three(const unsigned *ops, unsigned got)
{
	ck_assert_uint_eq(got, 3);
	ck_assert_uint_eq(ops[0], PROTO_SUB);
	ck_assert_uint_eq(ops[1], PROTO_PUB);
	ck_assert_uint_eq(ops[2], PROTO_PING);
}

START_TEST(reader_byte_at_a_time)
{
	uint8_t stream[256], buf[4 + 128];
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e;
	unsigned ops[4], got = 0;
	size_t n = three_frames(stream, sizeof stream);

	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 128), 0);
	for (size_t i = 0; i < n; i++) {
		int rc;

		ck_assert_uint_eq(proto_reader_feed(&r, stream + i, 1), 1);
		while ((rc = proto_reader_next(&r, &m, &e)) == 1) {
			ck_assert_uint_lt(got, 4);
			ops[got++] = m.op;
			if (m.op == PROTO_PUB)
				ck_assert(str_is(m.payload, "xyz"));
		}
		ck_assert_int_eq(rc, 0);
	}
	expect_three(ops, got);
}
END_TEST

START_TEST(reader_many_and_partial)
{
	uint8_t stream[512], buf[4 + 128];
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e;
	unsigned ops[8], got = 0;
	size_t n = three_frames(stream, sizeof stream), cut = n + 3;

	n += three_frames(stream + n, sizeof stream - n);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 128), 0);
	/* 3 frames and 3 bytes of the 4th, then the rest in one go */
	ck_assert_uint_eq(proto_reader_feed(&r, stream, cut), cut);
	while (proto_reader_next(&r, &m, &e) == 1)
		ops[got++] = m.op;
	expect_three(ops, got);
	ck_assert_uint_eq(proto_reader_feed(&r, stream + cut, n - cut),
			  n - cut);
	got = 0;
	while (proto_reader_next(&r, &m, &e) == 1)
		ops[got++] = m.op;
	expect_three(ops, got);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), 0);
}
END_TEST

START_TEST(reader_full_buffer)
{
	uint8_t stream[512], buf[4 + 40];
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e;
	unsigned ops[12], got = 0;
	size_t n = 0, off = 0;

	/* 9 frames, ~120 bytes, through a 44-byte buffer: feed takes what
	 * fits, next frees room */
	for (int i = 0; i < 3; i++)
		n += three_frames(stream + n, sizeof stream - n);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 40), 0);
	while (off < n) {
		size_t k = proto_reader_feed(&r, stream + off, n - off);

		ck_assert_uint_gt(k, 0);
		off += k;
		while (proto_reader_next(&r, &m, &e) == 1) {
			ck_assert_uint_lt(got, 12);
			ops[got++] = m.op;
		}
	}
	ck_assert_uint_eq(got, 9);
	for (int i = 0; i < 3; i++)
		expect_three(ops + 3 * i, 3);
}
END_TEST

START_TEST(reader_bad_frame_skipped)
{
	uint8_t stream[256], buf[4 + 128];
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e = PROTO_OK_CODE;
	size_t n = proto_enc_ping(stream, sizeof stream);
	static const uint8_t bad[] = { 0, 0, 0, 3, 0x92, 0x09, 0xc1 };
	static const uint8_t unknown[] = { 0, 0, 0, 3, 0x92, 0x33, 0x05 };

	memcpy(stream + n, bad, sizeof bad);
	n += sizeof bad;
	memcpy(stream + n, unknown, sizeof unknown);
	n += sizeof unknown;
	n += proto_enc_ok(stream + n, sizeof stream - n, 4);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 128), 0);
	ck_assert_uint_eq(proto_reader_feed(&r, stream, n), n);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), 1);
	ck_assert_uint_eq(m.op, PROTO_PING);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), -1);
	ck_assert_int_eq(e, PROTO_E_MALFORMED);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), -1);
	ck_assert_int_eq(e, PROTO_E_UNKNOWN_OP);
	ck_assert_uint_eq(m.op, 0x33);
	ck_assert_int_eq(proto_reader_next(&r, &m, NULL), 1);
	ck_assert_uint_eq(m.op, PROTO_OK);
	ck_assert_uint_eq(m.req_id, 4);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), 0);
	ck_assert_int_eq(r.broken, 0);
}
END_TEST

static void check_broken_by(const uint8_t *prefix)
{
	uint8_t stream[64], buf[4 + 128];
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e = PROTO_OK_CODE;
	size_t n = proto_enc_ping(stream, sizeof stream);

	memcpy(stream + n, prefix, 4);
	n += 4;
	n += proto_enc_ping(stream + n, sizeof stream - n);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 128), 0);
	ck_assert_uint_eq(proto_reader_feed(&r, stream, n), n);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), 1);
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), -1);
	ck_assert_int_eq(e, PROTO_E_FRAME_TOO_LARGE);
	ck_assert_int_ne(r.broken, 0);
	/* stays broken: nothing more is read or taken */
	e = PROTO_OK_CODE;
	ck_assert_int_eq(proto_reader_next(&r, &m, &e), -1);
	ck_assert_int_eq(e, PROTO_E_FRAME_TOO_LARGE);
	ck_assert_uint_eq(proto_reader_feed(&r, stream, 5), 0);
}

START_TEST(reader_broken)
{
	static const uint8_t over[4] = { 0, 0, 0, 129 };
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[4] = { 0, 0, 0, 0 };

	check_broken_by(over);
	check_broken_by(huge);
	check_broken_by(zero);
}
END_TEST

START_TEST(reader_init)
{
	uint8_t buf[64];
	struct proto_reader r;

	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 60), 0);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 61), -1);
	ck_assert_int_eq(proto_reader_init(&r, NULL, 0, 10), -1);
	ck_assert_int_eq(proto_reader_init(&r, buf, sizeof buf, 0), -1);
}
END_TEST

/* ---- SUB options (optional 6th element) ------------------------------- */

START_TEST(rt_sub_opts)
{
	struct proto_sub_opts o = { PROTO_POLICY_DROP_OLDEST, 50, 65536 };
	struct proto_sub_opts none = { 0, 0, 0 };
	uint8_t f[256];
	struct proto_msg m;
	size_t n = proto_enc_sub_opts(f, sizeof f, 9, 3, proto_cstr("a.>"),
				      proto_cstr("q"), &o);

	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.op, PROTO_SUB);
	ck_assert_uint_eq(m.sid, 3);
	ck_assert(str_is(m.topic, "a.>") && str_is(m.queue, "q"));
	ck_assert_uint_eq(m.opts.policy, PROTO_POLICY_DROP_OLDEST);
	ck_assert_uint_eq(m.opts.max_msgs, 50);
	ck_assert_uint_eq(m.opts.max_bytes, 65536);
	/* no options set: an empty map */
	n = proto_enc_sub_opts(f, sizeof f, 9, 3, proto_cstr("a"),
			       proto_cstr(NULL), &none);
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.opts.policy, PROTO_POLICY_NONE);
	ck_assert_uint_eq(m.opts.max_msgs + m.opts.max_bytes, 0);
	/* a plain 5-element SUB has no options */
	n = proto_enc_sub(f, sizeof f, 1, 1, proto_cstr("a"), proto_cstr(NULL));
	ck_assert_int_eq(decode_frame(f, n, &m), PROTO_OK_CODE);
	ck_assert_uint_eq(m.opts.policy + m.opts.max_msgs + m.opts.max_bytes,
			  0);
	ck_assert_str_eq(proto_policy_str(PROTO_POLICY_DISCONNECT),
			 "disconnect");
	ck_assert_ptr_null(proto_policy_str(PROTO_POLICY_NONE));
	ck_assert_int_eq(proto_policy_parse("drop-newest", 11),
			 PROTO_POLICY_DROP_NEWEST);
	ck_assert_int_eq(proto_policy_parse("drop-new", 8), PROTO_POLICY_NONE);
}
END_TEST

/* Hand-made option maps: nil, unknown keys, bad types and names. */
START_TEST(sub_opts_bad)
{
	static const struct {
		const char *hex;
		enum proto_err want;
		unsigned policy;
		uint64_t max_msgs;
	} cases[] = {
		/* [4, 1, 1, "a", nil, nil] */
		{ "96 04 01 01 a1 61 c0 c0", PROTO_OK_CODE, 0, 0 },
		/* {"max_msgs": 7, "zz": [1]} : unknown key ignored */
		{ "96 04 01 01 a1 61 c0 82 a8 6d 61 78 5f 6d 73 67 73 07"
		  " a2 7a 7a 91 01",
		  PROTO_OK_CODE, 0, 7 },
		/* {"policy": "disconnect"} */
		{ "96 04 01 01 a1 61 c0 81 a6 70 6f 6c 69 63 79 aa 64 69 73"
		  " 63 6f 6e 6e 65 63 74",
		  PROTO_OK_CODE, 3, 0 },
		/* {"policy": "drop"}: unknown policy */
		{ "96 04 01 01 a1 61 c0 81 a6 70 6f 6c 69 63 79 a4 64 72 6f"
		  " 70",
		  PROTO_E_BAD_FIELD, 0, 0 },
		/* {"max_msgs": "7"}: wrong type */
		{ "96 04 01 01 a1 61 c0 81 a8 6d 61 78 5f 6d 73 67 73 a1 37",
		  PROTO_E_BAD_FIELD, 0, 0 },
		/* {1: 2}: key not a str */
		{ "96 04 01 01 a1 61 c0 81 01 02", PROTO_E_BAD_FIELD, 0, 0 },
		/* 6th element an array */
		{ "96 04 01 01 a1 61 c0 90", PROTO_E_BAD_FIELD, 0, 0 },
	};
	uint8_t body[128];
	struct proto_msg m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum proto_err e = decode_hex_in(cases[i].hex, body,
						 sizeof body, &m);
		ck_assert_msg(e == cases[i].want, "case %zu: got %d", i,
			      (int)e);
		if (e == PROTO_OK_CODE) {
			ck_assert_uint_eq(m.opts.policy, cases[i].policy);
			ck_assert_uint_eq(m.opts.max_msgs, cases[i].max_msgs);
		}
	}
}
END_TEST

/* ---- span scanner ----------------------------------------------------- */

#define SPAN_MAX 40u

/* Write at out[at] a frame whose body is n bytes (each the low byte of
 * its offset, so a misplaced view shows); returns the offset after it. */
static size_t put_raw_frame(uint8_t *out, size_t at, uint32_t n)
{
	out[at] = (uint8_t)(n >> 24);
	out[at + 1] = (uint8_t)(n >> 16);
	out[at + 2] = (uint8_t)(n >> 8);
	out[at + 3] = (uint8_t)n;
	for (uint32_t i = 0; i < n; i++)
		out[at + PROTO_HDR_LEN + i] = (uint8_t)(at + i);
	return at + PROTO_HDR_LEN + n;
}

struct found {
	size_t body_off; /* from the start of the whole stream */
	uint32_t len;
};

/* Scan stream[base..base+len) to the first non-FRAME result, appending
 * each frame to f[*nf]; that result is returned, its details in *last. */
static enum proto_span_status scan_all(const uint8_t *stream, size_t base,
				       size_t len, struct found *f, size_t *nf,
				       size_t cap,
				       struct proto_span_frame *last)
{
	struct proto_span s;
	enum proto_span_status st;

	proto_span_init(&s, stream + base, len);
	while ((st = proto_span_next(&s, SPAN_MAX, last)) == PROTO_SPAN_FRAME) {
		ck_assert_uint_lt(*nf, cap);
		f[*nf].body_off = (size_t)(last->body - stream);
		f[*nf].len = last->body_len;
		(*nf)++;
		ck_assert_uint_eq(s.off,
				  last->start + PROTO_HDR_LEN + last->body_len);
	}
	ck_assert_uint_eq(s.off, last->start); /* only FRAME moves off */
	return st;
}

/* Frames of 1, 5, SPAN_MAX (the exact limit) and 3 body bytes. */
static size_t four_raw_frames(uint8_t *out)
{
	size_t n = put_raw_frame(out, 0, 1);

	n = put_raw_frame(out, n, 5);
	n = put_raw_frame(out, n, SPAN_MAX);
	return put_raw_frame(out, n, 3);
}

/* Every split of the stream in two spans, the way a reader sees it: scan
 * the first span, pull up what the scanner says it needs (here: start a
 * new span at the frame that did not fit), scan on.  The frames found
 * must be the frames of the whole stream, at the same offsets. */
START_TEST(span_split_everywhere)
{
	uint8_t stream[128];
	struct found whole[8], got[8];
	struct proto_span_frame f;
	size_t n = four_raw_frames(stream), nw = 0;

	ck_assert_int_eq(scan_all(stream, 0, n, whole, &nw, 8, &f),
			 PROTO_SPAN_NEED_MORE);
	ck_assert_uint_eq(nw, 4);
	ck_assert_uint_eq(f.start, n);
	ck_assert_uint_eq(f.need, PROTO_HDR_LEN);
	ck_assert_uint_eq(whole[2].len, SPAN_MAX);
	for (size_t k = 0; k <= n; k++) {
		size_t ng = 0, rest;

		ck_assert_int_eq(scan_all(stream, 0, k, got, &ng, 8, &f),
				 PROTO_SPAN_NEED_MORE);
		rest = k - f.start;
		ck_assert_uint_gt(f.need, rest); /* need is never met */
		if (rest >= PROTO_HDR_LEN)
			ck_assert_uint_eq(f.need,
					  PROTO_HDR_LEN + whole[ng].len);
		else
			ck_assert_uint_eq(f.need, PROTO_HDR_LEN);
		rest = f.start;
		ck_assert_int_eq(
			scan_all(stream, rest, n - rest, got, &ng, 8, &f),
			PROTO_SPAN_NEED_MORE);
		ck_assert_uint_eq(rest + f.start, n);
		ck_assert_uint_eq(ng, nw);
		for (size_t i = 0; i < nw; i++) {
			ck_assert_uint_eq(got[i].body_off, whole[i].body_off);
			ck_assert_uint_eq(got[i].len, whole[i].len);
		}
	}
}
END_TEST

/* The limit is decided from the 4 prefix bytes alone. */
START_TEST(span_limits)
{
	uint8_t b[256];
	struct proto_span s;
	struct proto_span_frame f;
	size_t n = put_raw_frame(b, 0, SPAN_MAX);

	proto_span_init(&s, b, n);
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f), PROTO_SPAN_FRAME);
	ck_assert_uint_eq(f.body_len, SPAN_MAX);
	ck_assert_ptr_eq(f.body, b + PROTO_HDR_LEN);
	put_raw_frame(b, 0, SPAN_MAX + 1);
	proto_span_init(&s, b, PROTO_HDR_LEN); /* no body at all */
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f),
			 PROTO_SPAN_TOO_LARGE);
	ck_assert_uint_eq(f.body_len, SPAN_MAX + 1);
	ck_assert_uint_eq(f.start, 0);
	ck_assert_uint_eq(s.off, 0);
	/* the limit in force is the caller's, call by call */
	proto_span_init(&s, b, PROTO_HDR_LEN + SPAN_MAX + 1);
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX + 1, &f),
			 PROTO_SPAN_FRAME);
	/* a zero length is as bad as a huge one */
	memset(b, 0, PROTO_HDR_LEN);
	proto_span_init(&s, b, PROTO_HDR_LEN);
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f),
			 PROTO_SPAN_TOO_LARGE);
	ck_assert_uint_eq(f.body_len, 0);
	memset(b, 0xff, PROTO_HDR_LEN);
	ck_assert_int_eq(proto_span_next(&s, UINT32_MAX - 1, &f),
			 PROTO_SPAN_TOO_LARGE);
	ck_assert_uint_eq(f.body_len, UINT32_MAX);
}
END_TEST

/* A frame after good ones: reported at its own offset, whether it is
 * cut in its prefix, cut in its body, or too large. */
START_TEST(span_after_frames)
{
	uint8_t b[256];
	struct proto_span s;
	struct proto_span_frame f;
	size_t first = put_raw_frame(b, 0, 2);
	size_t n = put_raw_frame(b, first, 9);

	for (size_t cut = first; cut < n; cut++) {
		proto_span_init(&s, b, cut);
		ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f),
				 PROTO_SPAN_FRAME);
		ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f),
				 PROTO_SPAN_NEED_MORE);
		ck_assert_uint_eq(f.start, first);
		ck_assert_ptr_null(f.body);
		ck_assert_uint_eq(f.need, cut - first < PROTO_HDR_LEN
						  ? PROTO_HDR_LEN
						  : PROTO_HDR_LEN + 9);
	}
	proto_span_init(&s, b, n);
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f), PROTO_SPAN_FRAME);
	ck_assert_int_eq(proto_span_next(&s, 8, &f), PROTO_SPAN_TOO_LARGE);
	ck_assert_uint_eq(f.start, first);
	ck_assert_uint_eq(f.body_len, 9);
	/* an empty span (as libevent may give: no buffer at all) */
	proto_span_init(&s, NULL, 0);
	ck_assert_int_eq(proto_span_next(&s, SPAN_MAX, &f),
			 PROTO_SPAN_NEED_MORE);
	ck_assert_uint_eq(f.need, PROTO_HDR_LEN);
	ck_assert_uint_eq(f.start, 0);
}
END_TEST

/* ---- op peek and PUB head size ---------------------------------------- */

/* The op as proto_decode reads it, for every body of the bad_cases table
 * (valid, malformed, truncated) and a few forms of its own. */
START_TEST(peek_op_table)
{
	static const struct {
		const char *hex;
		unsigned op;
	} own[] = {
		{ "", 0 },
		{ "90", 0 },
		{ "a1 41", 0 },
		{ "91 ff", 0 },
		{ "91 cd 01 00", 0 },
		{ "dc 00 01 07", PROTO_PING },
		{ "92 cc 03 01", PROTO_PUB },
		{ "95 03", PROTO_PUB },
		{ "91 d0 05", PROTO_UNSUB },
		{ "dd 00", 0 },
	};
	uint8_t body[256];
	size_t n;

	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		n = unhex(bad_cases[i].hex, body, sizeof body);
		ck_assert_msg(proto_peek_op(body, n) == bad_cases[i].op, "[%s]",
			      bad_cases[i].hex);
	}
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		n = unhex(own[i].hex, body, sizeof body);
		ck_assert_msg(proto_peek_op(body, n) == own[i].op, "[%s]",
			      own[i].hex);
	}
}
END_TEST

/* proto_pub_head_size against what the encoder writes, across every
 * msgpack size class of req_id, topic, reply_to and payload length. */
START_TEST(pub_head_size)
{
	static const uint64_t ids[] = {
		0,	   127,	       128,
		255,	   256,	       65535,
		65536,	   UINT32_MAX, (uint64_t)UINT32_MAX + 1,
		UINT64_MAX
	};
	static const size_t strs[] = { 1, 31, 32, 255, PROTO_MAX_TOPIC };
	static const size_t pays[] = { 0,     255,   256,
				       65535, 65536, PROTO_ABS_MAX_PAYLOAD };
	uint8_t out[PROTO_MAX_HEAD];
	char t[PROTO_MAX_TOPIC + 1], r[PROTO_MAX_TOPIC + 1];

	memset(t, 't', sizeof t);
	memset(r, 'r', sizeof r);
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		for (size_t a = 0; a < sizeof strs / sizeof strs[0]; a++)
			for (size_t b = 0; b <= sizeof strs / sizeof strs[0];
			     b++)
				for (size_t p = 0;
				     p < sizeof pays / sizeof pays[0]; p++) {
					struct proto_str ts = {
						t, (uint32_t)strs[a]
					};
					struct proto_str rs = {
						b ? r : NULL,
						b ? (uint32_t)strs[b - 1] : 0
					};
					size_t want = proto_enc_pub_head(
						out, sizeof out, ids[i], ts, rs,
						(uint32_t)pays[p]);

					ck_assert_uint_gt(want, 0);
					ck_assert_uint_eq(
						proto_pub_head_size(
							ids[i], ts.len, !b,
							rs.len, pays[p]),
						want);
					/* exactly that much room is enough, one byte less is not */
					ck_assert_uint_eq(
						proto_enc_pub_head(
							out, want, ids[i], ts,
							rs, (uint32_t)pays[p]),
						want);
					ck_assert_uint_eq(
						proto_enc_pub_head(
							out, want - 1, ids[i],
							ts, rs,
							(uint32_t)pays[p]),
						0);
				}
	ck_assert_uint_eq(proto_pub_head_size(1, PROTO_MAX_TOPIC + 1, 1, 0, 0),
			  0);
	ck_assert_uint_eq(proto_pub_head_size(1, 1, 0, PROTO_MAX_TOPIC + 1, 0),
			  0);
	ck_assert_uint_eq(proto_pub_head_size(1, 1, 1, PROTO_MAX_TOPIC + 1, 0),
			  proto_pub_head_size(1, 1, 1, 0, 0));
	ck_assert_uint_eq(
		proto_pub_head_size(1, 1, 1, 0, PROTO_ABS_MAX_PAYLOAD + 1), 0);
}
END_TEST

/* ---- decoder agreement ------------------------------------------------ */

struct agree_hits {
	unsigned fast, one_pass, bodies;
};

/* proto_decode and each shortcut against proto_decode_ref on one body:
 * same verdict, same error code, same fields (views at the same bytes). */
static void agree(const uint8_t *body, size_t len, struct agree_hits *h)
{
	struct proto_msg got, ref, sc;
	enum proto_err e = proto_decode(body, len, &got);
	enum proto_err r = proto_decode_ref(body, len, &ref);

	h->bodies++;
	ck_assert_int_eq(e, r);
	ck_assert(proto_msg_same(&got, &ref));
	if (proto_decode_pub_fast(body, len, &sc)) {
		h->fast++;
		ck_assert_int_eq(r, PROTO_OK_CODE);
		ck_assert(proto_msg_same(&sc, &ref));
	}
	if (proto_decode_one_pass(body, len, &sc)) {
		h->one_pass++;
		ck_assert_int_eq(r, PROTO_OK_CODE);
		ck_assert(proto_msg_same(&sc, &ref));
	}
}

/* One valid frame per op (and PUB in its other legal forms). */
static size_t agree_frame(unsigned i, uint8_t *f, size_t cap)
{
	struct proto_sub_opts o = { PROTO_POLICY_DROP_NEWEST, 5, 0 };
	struct proto_str nil = proto_cstr(NULL);

	switch (i) {
	case 0:
		return proto_enc_pub(f, cap, 7, proto_cstr("a.b"), nil,
				     proto_cstr("pay"));
	case 1:
		return proto_enc_pub(f, cap, 300, proto_cstr("a"),
				     proto_cstr("r.s"), proto_cstr(""));
	case 2:
		return proto_enc_sub(f, cap, 1, 2, proto_cstr("a.*"),
				     proto_cstr("q"));
	case 3:
		return proto_enc_sub_opts(f, cap, 1, 2, proto_cstr("a.>"), nil,
					  &o);
	case 4:
		return proto_enc_unsub(f, cap, 70000, 3);
	case 5:
		return proto_enc_hello(f, cap, 1, proto_cstr("me"));
	case 6:
		return proto_enc_welcome(f, cap, 1, proto_cstr("b"), 9, 1024,
					 500);
	case 7:
		return proto_enc_msg(f, cap, 4, proto_cstr("t"),
				     proto_cstr("r"), proto_cstr("x"));
	case 8:
		return proto_enc_ok(f, cap, 5);
	case 9:
		return proto_enc_err(f, cap, 5, PROTO_E_BAD_SID,
				     proto_cstr("no"));
	case 10:
		return proto_enc_notice(f, cap, PROTO_NOTICE_DROPPED, 3,
					proto_cstr("x"));
	default:
		return proto_enc_ping(f, cap);
	}
}

#define AGREE_FRAMES 12u

/* The body, every prefix of it, every byte replaced by values that break
 * types, lengths and structure, a trailing byte after the array, and
 * one extra trailing element. */
static void agree_variants(const uint8_t *body, size_t len,
			   struct agree_hits *h)
{
	static const uint8_t subst[] = { 0x00, 0x7f, 0x90, 0xa0, 0xc0, 0xc1,
					 0xc4, 0xcc, 0xd0, 0xd9, 0xdc, 0xff };
	uint8_t b[512];

	ck_assert_uint_lt(len + 3, sizeof b);
	for (size_t k = 0; k <= len; k++)
		agree(body, k, h);
	for (size_t i = 0; i < len; i++)
		for (size_t v = 0; v < sizeof subst; v++) {
			memcpy(b, body, len);
			b[i] = subst[v];
			agree(b, len, h);
			b[i] ^= 0x80;
			agree(b, len, h);
		}
	memcpy(b, body, len);
	b[len] = 0xc0; /* trailing bytes after the array */
	agree(b, len + 1, h);
	if ((b[0] & 0xf0) == 0x90 && b[0] < 0x9f) {
		b[0]++;
		b[len] = 0x91; /* [1]: an ignored extra element */
		b[len + 1] = 0x01;
		agree(b, len + 2, h);
		b[len + 1] = 0xc1; /* ... that is malformed */
		agree(b, len + 2, h);
	}
}

START_TEST(decoders_agree)
{
	struct agree_hits h = { 0, 0, 0 };
	uint8_t f[512], body[256];

	for (unsigned i = 0; i < AGREE_FRAMES; i++) {
		size_t n = agree_frame(i, f, sizeof f);

		ck_assert_uint_gt(n, PROTO_HDR_LEN);
		agree_variants(f + PROTO_HDR_LEN, n - PROTO_HDR_LEN, &h);
	}
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		agree(body, unhex(bad_cases[i].hex, body, sizeof body), &h);
	/* the shortcuts did run, so the comparisons above compared them */
	ck_assert_uint_gt(h.fast, 0);
	ck_assert_uint_gt(h.one_pass, h.fast);
	ck_assert_uint_gt(h.bodies, 1000);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *rt = tcase_create("roundtrip");
	TCase *bad = tcase_create("malformed");
	TCase *chk = tcase_create("validation");
	TCase *rd = tcase_create("reader");

	tcase_add_test(rt, rt_hello_welcome);
	tcase_add_test(rt, rt_hello_auth);
	tcase_add_test(rt, rt_hello_auth_msgpack);
	tcase_add_test(rt, rt_pub);
	tcase_add_test(rt, rt_pub_large);
	tcase_add_test(rt, rt_sub_unsub);
	tcase_add_test(rt, rt_sub_opts);
	tcase_add_test(rt, sub_opts_bad);
	tcase_add_test(rt, rt_msg);
	tcase_add_test(rt, rt_small_frames);
	tcase_add_test(rt, enc_overflow);
	tcase_add_test(bad, frame_peek);
	tcase_add_loop_test(bad, bad_frames, 0,
			    sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_test(bad, signed_ints);
	tcase_add_test(bad, length_limits);
	tcase_add_test(bad, length_limits_optional);
	tcase_add_test(bad, too_deep);
	tcase_add_test(bad, truncations);
	tcase_add_loop_test(chk, topic_pattern_table, 0,
			    sizeof check_cases / sizeof check_cases[0]);
	tcase_add_test(chk, topic_limits);
	tcase_add_test(chk, name_check);
	tcase_add_test(chk, names);
	tcase_add_test(rd, reader_byte_at_a_time);
	tcase_add_test(rd, reader_many_and_partial);
	tcase_add_test(rd, reader_full_buffer);
	tcase_add_test(rd, reader_bad_frame_skipped);
	tcase_add_test(rd, reader_broken);
	tcase_add_test(rd, reader_init);
	tcase_add_test(rd, span_split_everywhere);
	tcase_add_test(rd, span_limits);
	tcase_add_test(rd, span_after_frames);
	tcase_add_test(bad, peek_op_table);
	tcase_add_test(rt, pub_head_size);
	tcase_add_test(bad, decoders_agree);
	suite_add_tcase(s, rt);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, chk);
	suite_add_tcase(s, rd);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(protocol_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
