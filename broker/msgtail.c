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
	if (hlen + payload.len < MSG_TAIL_COPY_MAX) {
		t = local;
		t->refs = 1;
		t->on_heap = 0;
		t->data = local_buf;
	} else {
		t = malloc(sizeof *t + hlen + payload.len);
		if (!t)
			return NULL;
		t->refs = 1;
		t->on_heap = 1;
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
	if (!t->on_heap)
		return evbuffer_add(out, t->data, t->len);
	t->refs++;
	if (evbuffer_add_reference(out, t->data, t->len, tail_unref_cb, t)) {
		t->refs--;
		return -1;
	}
	return 0;
}

struct msg_tail *msg_tail_to_heap(const struct msg_tail *t)
{
	struct msg_tail *h = malloc(sizeof *h + t->len);

	if (!h)
		return NULL;
	h->refs = 1;
	h->on_heap = 1;
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
