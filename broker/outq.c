/* outq.c - see outq.h. */
#include "config.h"

#include "outq.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "msgtail.h"

void outq_init(struct outq *q)
{
	memset(q, 0, sizeof *q);
}

void outq_free(struct outq *q)
{
	while (outq_drop_oldest(q))
		;
	free(q->v);
	outq_init(q);
}

/* Double the ring (at most max_entries slots), unrolling it. 0 or -1. */
static int grow(struct outq *q, size_t max_entries)
{
	size_t cap = q->cap ? (size_t)q->cap * 2 : 16;
	struct outq_entry *v;

	if (cap > max_entries)
		cap = max_entries;
	if ((uint64_t)cap > UINT32_MAX)
		cap = UINT32_MAX;
	if (cap <= q->cap)
		return -1;
	v = malloc(cap * sizeof *v);
	if (!v)
		return -1;
	for (uint32_t i = 0; i < q->n; i++)
		v[i] = q->v[((size_t)q->first + i) % q->cap];
	free(q->v);
	q->v = v;
	q->cap = (uint32_t)cap;
	q->first = 0;
	return 0;
}

int outq_push(struct outq *q, const uint8_t *head, size_t hlen,
	      struct msg_tail *tail, size_t max_entries)
{
	struct outq_entry *e;

	if (hlen > PROTO_MSG_HEAD_MAX || q->n >= max_entries)
		return -1;
	if (q->n == q->cap && grow(q, max_entries) != 0)
		return -1;
	e = &q->v[((size_t)q->first + q->n) % q->cap];
	e->tail = tail;
	e->hlen = (uint8_t)hlen;
	memcpy(e->head, head, hlen);
	q->n++;
	q->bytes += outq_cost(hlen + tail->len);
	return 0;
}

/* Take the oldest entry out (the caller gets its reference). */
static struct outq_entry pop(struct outq *q)
{
	struct outq_entry e = q->v[q->first];

	q->first = (q->first + 1) % q->cap;
	q->n--;
	q->bytes -= outq_cost(e.hlen + e.tail->len);
	return e;
}

int outq_drop_oldest(struct outq *q)
{
	struct outq_entry e;

	if (q->n == 0)
		return 0;
	e = pop(q);
	msg_tail_release(e.tail);
	return 1;
}

long outq_pump(struct outq *q, struct evbuffer *out, size_t window)
{
	long moved = 0;

	while (q->n > 0 && evbuffer_get_length(out) < window) {
		struct outq_entry e = pop(q);
		int rc = msg_tail_append_msg(e.tail, e.head, e.hlen, out);

		msg_tail_release(e.tail);
		if (rc != 0)
			return -1;
		moved++;
	}
	return moved;
}
