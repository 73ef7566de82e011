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
	uint32_t blen = 0;
	const uint8_t *start;

	if (!r->broken && r->buf) {
		start = r->buf + r->consumed;
		switch (proto_frame_peek(start, r->len - r->consumed,
					 r->max_body, &blen)) {
		case PROTO_FRAME_NEED_MORE:
			return 0;
		case PROTO_FRAME_READY:
			r->consumed += PROTO_HDR_LEN + (size_t)blen;
			e = proto_decode(start + PROTO_HDR_LEN, blen, out);
			if (e == PROTO_OK_CODE)
				return 1;
			break;
		case PROTO_FRAME_BAD:
			r->broken = 1;
			break;
		}
	}
	if (err)
		*err = e;
	return -1;
}
