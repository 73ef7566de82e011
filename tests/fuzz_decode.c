/*
 * fuzz_decode.c - libFuzzer target for protocol/.  Not part of the build:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iprotocol \
 *       tests/fuzz_decode.c protocol/mp_read.c protocol/proto_*.c \
 *       $(pkg-config --cflags --libs msgpack) \
 *       -o /tmp/fuzz_decode
 *   /tmp/fuzz_decode -max_total_time=60 /tmp/corpus tests/corpus
 *
 * (the first corpus directory receives new inputs; tests/corpus holds the
 * seeds, one encoded frame per file).
 *
 * Each input is used four ways:
 *   1. the whole input, and the input after its first 4 bytes (a frame
 *      without its length prefix), as one frame body through proto_decode,
 *      which must agree with proto_decode_ref (the reference two-pass
 *      decoder) on the verdict, the error code and every field; so must
 *      each shortcut (proto_decoders.h) whenever it accepts the body.  A
 *      body that decodes is re-encoded and decoded again, and must give
 *      the same fields (encoder and decoder agree);
 *   2. the input as a byte stream through proto_reader_feed/next, in chunks
 *      of 1..61 bytes (chosen from the input's size), into a small buffer;
 *   3. the input as a byte stream cut into chains of 1..61 bytes, read the
 *      way the broker and the client read an evbuffer (proto_span over the
 *      first chain, drain, pull up what the scanner says it needs): the
 *      frames found, and how the scan ends, must be those of one scan over
 *      the whole input;
 *   4. the input through the topic, pattern and name checks.
 * Any crash, sanitizer report or abort() is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_decoders.h"

#define FUZZ_MAX_BODY 1024u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(struct proto_str a, struct proto_str b)
{
	if (!a.ptr || !b.ptr)
		return !a.ptr && !b.ptr;
	return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Re-encode a decoded message; 0 if this op is not re-encodable as is. */
static size_t reencode(const struct proto_msg *m, uint8_t *out, size_t cap)
{
	switch (m->op) {
	case PROTO_PUB:
		return proto_enc_pub(out, cap, m->req_id, m->topic, m->reply_to,
				     m->payload);
	case PROTO_SUB:
		return proto_enc_sub(out, cap, m->req_id, (uint32_t)m->sid,
				     m->topic, m->queue);
	case PROTO_UNSUB:
		return proto_enc_unsub(out, cap, m->req_id, (uint32_t)m->sid);
	case PROTO_MSG:
		return proto_enc_msg(out, cap, (uint32_t)m->sid, m->topic,
				     m->reply_to, m->payload);
	case PROTO_OK:
		return proto_enc_ok(out, cap, m->req_id);
	case PROTO_PING:
		return proto_enc_ping(out, cap);
	case PROTO_PONG:
		return proto_enc_pong(out, cap);
	case PROTO_HELLO:
		if (m->version > UINT32_MAX)
			return 0;
		return proto_enc_hello(out, cap, (uint32_t)m->version, m->name);
	default:
		return 0;
	}
}

static void check_roundtrip(const struct proto_msg *m)
{
	uint8_t out[FUZZ_MAX_BODY + PROTO_MAX_HEAD];
	struct proto_msg again;
	uint32_t blen;
	size_t n = reencode(m, out, sizeof out);

	if (n == 0)
		return;
	if (proto_frame_peek(out, n, sizeof out, &blen) != PROTO_FRAME_READY ||
	    blen + PROTO_HDR_LEN != n ||
	    proto_decode(out + PROTO_HDR_LEN, blen, &again) != PROTO_OK_CODE)
		abort();
	if (again.op != m->op || again.req_id != m->req_id ||
	    again.sid != m->sid || again.version != m->version ||
	    !same_str(again.topic, m->topic) ||
	    !same_str(again.reply_to, m->reply_to) ||
	    !same_str(again.queue, m->queue) ||
	    !same_str(again.name, m->name) ||
	    again.payload.len != m->payload.len ||
	    (m->payload.len &&
	     memcmp(again.payload.ptr, m->payload.ptr, m->payload.len) != 0))
		abort();
}

/* Every decoding path gives what the reference gives, or declines. */
static void check_decoders(const uint8_t *data, size_t size,
			   const struct proto_msg *m, enum proto_err e)
{
	struct proto_msg ref, sc;

	if (proto_decode_ref(data, size, &ref) != e || !proto_msg_same(m, &ref))
		abort();
	if (proto_decode_pub_fast(data, size, &sc) &&
	    (e != PROTO_OK_CODE || !proto_msg_same(&sc, &ref)))
		abort();
	if (proto_decode_one_pass(data, size, &sc) &&
	    (e != PROTO_OK_CODE || !proto_msg_same(&sc, &ref)))
		abort();
	if (proto_peek_op(data, size) != m->op)
		abort();
}

static void fuzz_body(const uint8_t *data, size_t size)
{
	struct proto_msg m;
	enum proto_err e;

	if (size > FUZZ_MAX_BODY)
		return;
	e = proto_decode(data, size, &m);
	check_decoders(data, size, &m, e);
	if (e != PROTO_OK_CODE)
		return;
	if (m.topic.ptr) {
		(void)proto_check_topic(m.topic.ptr, m.topic.len);
		(void)proto_check_pattern(m.topic.ptr, m.topic.len);
	}
	check_roundtrip(&m);
}

static void fuzz_stream(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(PROTO_HDR_LEN + FUZZ_MAX_BODY);
	struct proto_reader r;
	struct proto_msg m;
	enum proto_err e;
	size_t off = 0, chunk = size % 61 + 1;

	if (!buf)
		goto out;
	if (proto_reader_init(&r, buf, PROTO_HDR_LEN + FUZZ_MAX_BODY,
			      FUZZ_MAX_BODY) != 0)
		abort();
	while (off < size) {
		size_t want = size - off < chunk ? size - off : chunk;
		size_t took = proto_reader_feed(&r, data + off, want);
		int rc;

		off += took;
		while ((rc = proto_reader_next(&r, &m, &e)) != 0) {
			if (rc < 0 && e == PROTO_E_FRAME_TOO_LARGE)
				goto out;
			if (rc < 0 && e == PROTO_OK_CODE)
				abort();
		}
		if (took == 0)
			abort(); /* not broken, frames drained: must take */
	}
out:
	free(buf);
}

/* Where the evbuffer chain holding byte `pos` ends: chains of 1..61
 * bytes, their sizes drawn from a generator seeded by the input. */
static size_t chain_end(size_t pos, size_t *cut, uint32_t *seed)
{
	while (*cut <= pos) {
		*seed = *seed * 1103515245u + 12345u;
		*cut += 1 + (*seed >> 16) % 61;
	}
	return *cut;
}

/* The next frame of the whole-input scan must be f (same bytes). */
static void expect_whole(struct proto_span *w, enum proto_span_status st,
			 const struct proto_span_frame *f, size_t start)
{
	struct proto_span_frame g;

	if (proto_span_next(w, FUZZ_MAX_BODY, &g) != st || g.start != start ||
	    g.body != f->body || g.body_len != f->body_len || g.need != f->need)
		abort();
}

static void fuzz_spans(const uint8_t *data, size_t size)
{
	struct proto_span w, s;
	struct proto_span_frame f;
	enum proto_span_status st;
	size_t consumed = 0, edge = 0, cut = 0, end;
	uint32_t seed = (uint32_t)size ^ (size ? data[0] : 0u);

	proto_span_init(&w, data, size);
	for (;;) {
		end = chain_end(consumed, &cut, &seed);
		end = end > edge ? end : edge; /* pulled up past it */
		end = end < size ? end : size;
		proto_span_init(&s, data + consumed, end - consumed);
		while ((st = proto_span_next(&s, FUZZ_MAX_BODY, &f)) ==
		       PROTO_SPAN_FRAME)
			expect_whole(&w, st, &f, consumed + f.start);
		if (st == PROTO_SPAN_TOO_LARGE) {
			expect_whole(&w, st, &f, consumed + f.start);
			return;
		}
		consumed += f.start;		/* drained */
		if (size - consumed < f.need) { /* all bytes are in */
			expect_whole(&w, st, &f, consumed);
			return;
		}
		edge = consumed + f.need; /* evbuffer_pullup */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_body(data, size);
	if (size > PROTO_HDR_LEN)
		fuzz_body(data + PROTO_HDR_LEN, size - PROTO_HDR_LEN);
	fuzz_stream(data, size);
	fuzz_spans(data, size);
	(void)proto_check_topic((const char *)data, size);
	(void)proto_check_pattern((const char *)data, size);
	(void)proto_check_name((const char *)data, size, PROTO_E_BAD_NAME);
	return 0;
}
