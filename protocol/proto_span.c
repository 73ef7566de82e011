/*
 * proto_span.c - the span scanner: see proto_span_next in proto.h.
 *
 * It is the only place that walks a run of bytes frame by frame, so the
 * broker, the client library, the stream reader and the fuzzer cannot
 * disagree on where a frame ends, what a reader must buffer before it can
 * go on, or which length prefix closes the stream.
 */
#include "proto.h"

void proto_span_init(struct proto_span *s, const uint8_t *buf, size_t len)
{
	s->buf = buf;
	s->len = len;
	s->off = 0;
}

enum proto_span_status proto_span_next(struct proto_span *s, uint32_t max_body,
				       struct proto_span_frame *f)
{
	size_t left = s->len - s->off;
	uint32_t body = 0;

	f->start = s->off;
	f->body = NULL;
	f->body_len = 0;
	f->need = PROTO_HDR_LEN;
	if (left < PROTO_HDR_LEN) /* buf may be NULL when len is 0 */
		return PROTO_SPAN_NEED_MORE;
	switch (proto_frame_peek(s->buf + s->off, left, max_body, &body)) {
	case PROTO_FRAME_BAD:
		f->body_len = body;
		return PROTO_SPAN_TOO_LARGE;
	case PROTO_FRAME_NEED_MORE:
		f->need = PROTO_HDR_LEN + (size_t)body;
		return PROTO_SPAN_NEED_MORE;
	case PROTO_FRAME_READY:
		break;
	}
	f->body = s->buf + s->off + PROTO_HDR_LEN;
	f->body_len = body;
	f->need = 0;
	s->off += PROTO_HDR_LEN + (size_t)body;
	return PROTO_SPAN_FRAME;
}
