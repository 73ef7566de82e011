/*
 * proto_reader.c - feed/next stream reader over a caller-provided buffer.
 *
 * buf[0..consumed) holds frames already returned, buf[consumed..len) bytes
 * not yet returned.  next() only moves `consumed` forward, so the views it
 * returns stay put; feed() compacts (drops the returned frames) before
 * copying new bytes in, which is why views die at the next feed.
 */
#include "proto.h"

#include <string.h>

int proto_reader_init(struct proto_reader *r, uint8_t *buf, size_t cap,
		      uint32_t max_body)
{
	memset(r, 0, sizeof *r);
	if (!buf || max_body == 0 || cap < (size_t)PROTO_HDR_LEN + max_body)
		return -1;
	r->buf = buf;
	r->cap = cap;
	r->max_body = max_body;
	return 0;
}

/* Drop returned frames: all at no cost, or by moving the rest down when
 * more room is needed. */
static void compact(struct proto_reader *r, size_t want)
{
	if (r->consumed == r->len) {
		r->len = 0;
		r->consumed = 0;
	} else if (r->consumed > 0 && r->cap - r->len < want) {
		memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
		r->len -= r->consumed;
		r->consumed = 0;
	}
}

size_t proto_reader_feed(struct proto_reader *r, const uint8_t *data,
			 size_t len)
{
	size_t room;

	if (r->broken || !r->buf)
		return 0;
	compact(r, len);
	room = r->cap - r->len;
	if (len > room)
		len = room;
	if (len > 0)
		memcpy(r->buf + r->len, data, len);
	r->len += len;
	return len;
}

int proto_reader_next(struct proto_reader *r, struct proto_msg *out,
		      enum proto_err *err)
{
	enum proto_err e = PROTO_E_FRAME_TOO_LARGE;
	struct proto_span s;
	struct proto_span_frame f;

	if (!r->broken && r->buf) {
		proto_span_init(&s, r->buf + r->consumed, r->len - r->consumed);
		switch (proto_span_next(&s, r->max_body, &f)) {
		case PROTO_SPAN_NEED_MORE:
			return 0;
		case PROTO_SPAN_FRAME:
			r->consumed += s.off;
			e = proto_decode(f.body, f.body_len, out);
			if (e == PROTO_OK_CODE)
				return 1;
			break;
		case PROTO_SPAN_TOO_LARGE:
			r->broken = 1;
			break;
		}
	}
	if (err)
		*err = e;
	return -1;
}
