/* proto_frame.c - the length prefix: see proto_frame_peek in proto.h. */
#include "proto.h"

enum proto_frame_status proto_frame_peek(const uint8_t *buf, size_t len,
					 uint32_t max_body, uint32_t *body_len)
{
	uint32_t n;

	if (len < PROTO_HDR_LEN)
		return PROTO_FRAME_NEED_MORE;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	*body_len = n;
	if (n == 0 || n > max_body)
		return PROTO_FRAME_BAD;
	if (len - PROTO_HDR_LEN < n)
		return PROTO_FRAME_NEED_MORE;
	return PROTO_FRAME_READY;
}
