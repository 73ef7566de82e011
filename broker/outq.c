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

/* Take the oldest entry out (the caller gets its reference). */
static struct outq_entry pop(struct outq *q)
{
	struct outq_entry e = q->v[q->first];
	uint64_t cost = outq_cost(e.hlen + e.tail->len);

	q->first = (q->first + 1) % q->cap;
	q->n--;
	q->bytes -= cost;
	if (e.ctl) {
		q->nctl--;
		q->ctl_bytes -= cost;
	}
	return e;
}

void outq_free(struct outq *q)
{
	while (q->n > 0)
		msg_tail_release(pop(q).tail);
	free(q->v);
	outq_init(q);
}

/* Double the ring (at most limit slots), unrolling it. 0 or -1. */
static int grow(struct outq *q, size_t limit)
{
	size_t cap = q->cap ? (size_t)q->cap * 2 : 16;
	struct outq_entry *v;

	if (cap > limit)
		cap = limit;
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

/* Append an entry (the ring grown up to limit slots). 0 or -1. */
static int push(struct outq *q, const uint8_t *head, size_t hlen,
		struct msg_tail *tail, size_t limit, int ctl)
{
	struct outq_entry *e;

	if (q->n == q->cap && grow(q, limit) != 0)
		return -1;
	e = &q->v[((size_t)q->first + q->n) % q->cap];
	e->tail = tail;
	e->hlen = (uint8_t)hlen;
	e->ctl = (uint8_t)ctl;
	if (hlen > 0) /* a control entry has no head (NULL) */
		memcpy(e->head, head, hlen);
	q->n++;
	q->bytes += outq_cost(hlen + tail->len);
	if (ctl) {
		q->nctl++;
		q->ctl_bytes += outq_cost(tail->len);
	}
	return 0;
}

int outq_push(struct outq *q, const uint8_t *head, size_t hlen,
	      struct msg_tail *tail, size_t max_entries)
{
	/* the message bound leaves room for the control entries */
	if (hlen > PROTO_MSG_HEAD_MAX || outq_len(q) >= max_entries)
		return -1;
	return push(q, head, hlen, tail, max_entries + q->nctl, 0);
}

int outq_push_ctl(struct outq *q, const uint8_t *frame, size_t len)
{
	struct msg_tail src = { .len = len, .data = (uint8_t *)frame };
	struct msg_tail *t = msg_tail_to_heap(&src);

	if (!t)
		return -1;
	if (push(q, NULL, 0, t, UINT32_MAX, 1) != 0) {
		msg_tail_release(t);
		return -1;
	}
	return 0;
}

int outq_drop_oldest(struct outq *q)
{
	size_t k = 0, cap = q->cap;
	struct outq_entry e;

	if (outq_len(q) == 0)
		return 0;
	while (q->v[(q->first + k) % cap].ctl)
		k++; /* control entries are never dropped */
	e = q->v[(q->first + k) % cap];
	for (; k > 0; k--) /* they move up one slot, in order */
		q->v[(q->first + k) % cap] = q->v[(q->first + k - 1) % cap];
	q->v[q->first] = e;
	msg_tail_release(pop(q).tail);
	return 1;
}

size_t outq_discard_msgs(struct outq *q, struct evbuffer *out)
{
	size_t msgs = 0;

	while (q->n > 0) {
		struct outq_entry e = pop(q);

		if (!e.ctl)
			msgs++;
		else if (out)
			msg_tail_append(e.tail, out);
		msg_tail_release(e.tail);
	}
	return msgs;
}

long outq_pump(struct outq *q, struct evbuffer *out, size_t window)
{
	long moved = 0;

	while (q->n > 0 && evbuffer_get_length(out) < window) {
		struct outq_entry e = pop(q);
		int rc = e.ctl ? msg_tail_append(e.tail, out)
			       : msg_tail_append_msg(e.tail, e.head, e.hlen,
						     out);

		msg_tail_release(e.tail);
		if (rc != 0)
			return -1;
		moved++;
	}
	return moved;
}
