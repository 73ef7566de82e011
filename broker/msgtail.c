/* msgtail.c - see msgtail.h. */
#include "config.h"

#include "msgtail.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

struct msg_tail *msg_tail_build(struct msg_tail *local, uint8_t *local_buf,
				struct proto_str topic,
				struct proto_str reply_to,
				struct proto_str payload)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t hlen = proto_enc_msg_tail(head, sizeof head, topic, reply_to,
					 payload.len);
	struct msg_tail *t;

	if (hlen == 0)
		return NULL;
	if (PROTO_MSG_HEAD_MAX + hlen + payload.len < MSG_TAIL_COPY_MAX) {
		t = local;
		t->refs = 1;
		t->on_heap = 0;
		t->headroom = PROTO_MSG_HEAD_MAX;
		t->data = local_buf + PROTO_MSG_HEAD_MAX;
	} else {
		t = malloc(sizeof *t + hlen + payload.len);
		if (!t)
			return NULL;
		t->refs = 1;
		t->on_heap = 1;
		t->headroom = 0;
		t->data = (uint8_t *)(t + 1);
	}
	memcpy(t->data, head, hlen);
	if (payload.len)
		memcpy(t->data + hlen, payload.ptr, payload.len);
	t->len = hlen + payload.len;
	return t;
}

/* evbuffer cleanup callback: the buffer no longer needs the bytes. */
static void tail_unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	msg_tail_release(arg);
}

int msg_tail_append(struct msg_tail *t, struct evbuffer *out)
{
	if (!t->on_heap || t->len < MSG_TAIL_COPY_MAX)
		return evbuffer_add(out, t->data, t->len);
	t->refs++;
	if (evbuffer_add_reference(out, t->data, t->len, tail_unref_cb, t)) {
		t->refs--;
		return -1;
	}
	return 0;
}

int msg_tail_append_msg(struct msg_tail *t, const uint8_t *head, size_t hlen,
			struct evbuffer *out)
{
	uint8_t buf[PROTO_MSG_HEAD_MAX + MSG_TAIL_COPY_MAX];

	if (hlen <= t->headroom) { /* local tail: head in front, in place */
		memcpy(t->data - hlen, head, hlen);
		return evbuffer_add(out, t->data - hlen, hlen + t->len) == 0
			       ? 0
			       : -1;
	}
	if (hlen <= PROTO_MSG_HEAD_MAX && t->len < MSG_TAIL_COPY_MAX) {
		memcpy(buf, head, hlen);
		memcpy(buf + hlen, t->data, t->len);
		return evbuffer_add(out, buf, hlen + t->len) == 0 ? 0 : -1;
	}
	if (evbuffer_add(out, head, hlen) != 0)
		return -1;
	return msg_tail_append(t, out) == 0 ? 0 : -2;
}

struct msg_tail *msg_tail_to_heap(const struct msg_tail *t)
{
	struct msg_tail *h = malloc(sizeof *h + t->len);

	if (!h)
		return NULL;
	h->refs = 1;
	h->on_heap = 1;
	h->headroom = 0;
	h->len = t->len;
	h->data = (uint8_t *)(h + 1);
	memcpy(h->data, t->data, t->len);
	return h;
}

void msg_tail_release(struct msg_tail *t)
{
	if (t && t->on_heap && --t->refs == 0)
		free(t);
}
