/*
 * bc_offline.c - the offline buffer: whole PUB frames published while the
 * client is not connected (or is draining a lame-duck broker), bounded in
 * bytes and messages, moved in order to the next connection right after
 * its WELCOME and the restored subscriptions.  A frame is either added
 * whole or not at all, so a full buffer never loses what it holds.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "bc_client.h"
#include "bc_offline.h"

int bc_offline_init(bc_client *c)
{
	c->offline.buf = evbuffer_new();
	return c->offline.buf ? BC_OK : BC_ERR_NOMEM;
}

int bc_offline_add(bc_client *c, const uint8_t *head, size_t n,
		   const void *data, size_t len)
{
	size_t held = evbuffer_get_length(c->offline.buf);
	struct evbuffer *frame;

	if (c->opts.offline_max_bytes == 0 || c->opts.offline_max_msgs == 0)
		return c->guard.breaker.state == BREAKER_CLOSED
			       ? BC_ERR_CLOSED
			       : BC_ERR_CIRCUIT_OPEN;
	if (c->offline.msgs >= c->opts.offline_max_msgs ||
	    n + len > c->opts.offline_max_bytes - held ||
	    held > c->opts.offline_max_bytes)
		return BC_ERR_BUFFER_FULL;
	/* Built apart, then moved in: a frame goes in whole or not at all. */
	frame = evbuffer_new();
	if (!frame || evbuffer_add(frame, head, n) != 0 ||
	    (len && evbuffer_add(frame, data, len) != 0) ||
	    evbuffer_add_buffer(c->offline.buf, frame) != 0) {
		if (frame)
			evbuffer_free(frame);
		return BC_ERR_NOMEM;
	}
	evbuffer_free(frame);
	c->offline.msgs++;
	return BC_OK;
}

int bc_offline_flush(bc_client *c)
{
	c->wire_req_id = c->next_req_id;
	if (c->offline.msgs == 0)
		return BC_OK;
	if (!c->bev || evbuffer_add_buffer(bufferevent_get_output(c->bev),
					   c->offline.buf) != 0)
		return BC_ERR_NOMEM;
	c->offline.msgs = 0;
	return BC_OK;
}

void bc_offline_clear(bc_client *c)
{
	struct evbuffer *b = c->offline.buf;

	if (b)
		evbuffer_drain(b, evbuffer_get_length(b));
	c->offline.msgs = 0;
}

void bc_offline_free(bc_client *c)
{
	if (c->offline.buf)
		evbuffer_free(c->offline.buf);
	c->offline.buf = NULL;
	c->offline.msgs = 0;
}

size_t bc_buffered(const bc_client *c)
{
	return c ? c->offline.msgs : 0;
}
