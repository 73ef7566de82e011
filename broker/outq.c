/* outq.c - see outq.h. */
#include "config.h"

#include "outq.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <event2/buffer.h>

#include "msgtail.h"

/* Every small frame fits an empty block, so no block is ever left empty
 * between two others (block_take reads the first block's frames). */
_Static_assert(OUTQ_BLOCK_MIN >= sizeof(struct outq_block) + MSG_TAIL_COPY_MAX +
					 PROTO_MSG_HEAD_MAX,
	       "a small frame fits an empty block");

void outq_init(struct outq *q)
{
	memset(q, 0, sizeof *q);
}

/* Bytes a block takes in all, header included. */
static size_t block_size(const struct outq_block *b)
{
	return sizeof *b + b->cap;
}

/* A new empty block of size bytes in all (OUTQ_BLOCK_HUGE: a mapping of
 * its own, aligned so the kernel can back it with one huge page).  NULL
 * when out of memory. */
static struct outq_block *block_new(size_t size)
{
	struct outq_block *b = NULL;
	uint8_t *m, *a;

	if (size == OUTQ_BLOCK_HUGE) {
		m = mmap(NULL, 2 * (size_t)OUTQ_BLOCK_HUGE,
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (m != MAP_FAILED) {
			a = (uint8_t *)(((uintptr_t)m + OUTQ_BLOCK_HUGE - 1) &
					~(uintptr_t)(OUTQ_BLOCK_HUGE - 1));
			if (a > m)
				munmap(m, (size_t)(a - m));
			munmap(a + OUTQ_BLOCK_HUGE,
			       (size_t)(m + 2 * (size_t)OUTQ_BLOCK_HUGE -
					(a + OUTQ_BLOCK_HUGE)));
#ifdef MADV_HUGEPAGE
			madvise(a, OUTQ_BLOCK_HUGE, MADV_HUGEPAGE);
#endif
			b = (struct outq_block *)(void *)a;
			b->mapped = 1;
		}
	} else if ((b = malloc(size)) != NULL) {
		b->mapped = 0;
	}
	if (!b)
		return NULL;
	b->cap = (uint32_t)(size - sizeof *b);
	b->rd = b->wr = 0;
	b->next = NULL;
	return b;
}

static void block_free(struct outq_block *b)
{
	if (b && b->mapped)
		munmap(b, OUTQ_BLOCK_HUGE);
	else
		free(b);
}

/* Room for len more bytes at the end of the blocks: the last block, the
 * spare after it, or a new block sized to the backlog (the power of two
 * from OUTQ_BLOCK_MIN up to OUTQ_BLOCK_HUGE that holds what is queued),
 * so blocks stay in proportion to the queue.  NULL when out of memory. */
static struct outq_block *block_room(struct outq *q, uint32_t len)
{
	struct outq_block *b = q->blast, *spare = b ? b->next : NULL;
	size_t size;

	if (b && b->rd == b->wr) {
		b->rd = b->wr = 0; /* empty: from its start again */
		return b;	   /* (every small frame fits: see above) */
	}
	if (b && b->cap - b->wr >= len)
		return b;
	if (spare) {
		spare->rd = spare->wr = 0;
		return q->blast = spare;
	}
	size = OUTQ_BLOCK_MIN;
	while (size < q->bytes && size < OUTQ_BLOCK_HUGE)
		size *= 2;
	if (!(b = block_new(size)))
		return NULL;
	if (q->blast)
		q->blast->next = b;
	else
		q->bfirst = b;
	q->blast = b;
	return b;
}

/* Copy head and tail into the blocks as one frame.  0 or -1. */
static int block_put(struct outq *q, const uint8_t *head, size_t hlen,
		     const struct msg_tail *t)
{
	uint32_t len = (uint32_t)(hlen + t->len);
	struct outq_block *b = block_room(q, len);

	if (!b)
		return -1;
	memcpy(b->data + b->wr, head, hlen);
	memcpy(b->data + b->wr + hlen, t->data, t->len);
	b->wr += len;
	return 0;
}

/* The oldest frame in the blocks (len bytes), and release it: a block
 * read to its end becomes the spare (replacing the one there, so its
 * bytes stay valid until the next push or blocks_trim); the last block
 * stays. */
static const uint8_t *block_take(struct outq *q, uint32_t len)
{
	struct outq_block *b = q->bfirst;
	const uint8_t *p = b->data + b->rd;

	b->rd += len;
	if (b->rd == b->wr && b != q->blast) {
		q->bfirst = b->next;
		block_free(q->blast->next);
		b->next = NULL;
		q->blast->next = b;
	}
	return p;
}

/* After messages left: the spare is kept only while the queue holds at
 * least its size; once every block is read, the last block goes too when
 * it is over OUTQ_BLOCK_KEEP bytes. */
static void blocks_trim(struct outq *q)
{
	struct outq_block *b = q->blast;

	if (b && b->next && q->bytes < block_size(b->next)) {
		block_free(b->next);
		b->next = NULL;
	}
	if (!b || q->bfirst != b || b->rd != b->wr)
		return;
	block_free(b->next);
	b->next = NULL;
	b->rd = b->wr = 0;
	if (block_size(b) > OUTQ_BLOCK_KEEP) {
		block_free(b);
		q->bfirst = q->blast = NULL;
	}
}

/* Take the oldest entry out (the caller gets its reference; a block
 * frame's bytes stay valid until the next push). */
static struct outq_entry pop(struct outq *q, const uint8_t **bytes)
{
	struct outq_entry e = q->v[q->first];
	uint64_t cost = outq_cost(e.len);

	q->first = (q->first + 1) % q->cap;
	q->n--;
	q->bytes -= cost;
	if (e.ctl) {
		q->nctl--;
		q->ctl_bytes -= cost;
	}
	*bytes = e.tail ? NULL : block_take(q, e.len);
	return e;
}

static void blocks_free(struct outq *q)
{
	struct outq_block *b = q->bfirst, *next;

	for (; b; b = next) {
		next = b->next;
		block_free(b);
	}
}

void outq_free(struct outq *q)
{
	const uint8_t *bytes;

	while (q->n > 0)
		msg_tail_release(pop(q, &bytes).tail);
	blocks_free(q);
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
	if (q->n > 0) { /* two runs: first..cap, then 0.. */
		size_t head = q->cap - q->first < q->n ? q->cap - q->first
						       : q->n;

		memcpy(v, q->v + q->first, head * sizeof *v);
		memcpy(v + head, q->v, (q->n - head) * sizeof *v);
	}
	free(q->v);
	q->v = v;
	q->cap = (uint32_t)cap;
	q->first = 0;
	return 0;
}

/* Append an entry (the ring grown up to limit slots): tail NULL for a
 * frame of len bytes already put in the blocks. 0 or -1. */
static int push(struct outq *q, const uint8_t *head, size_t hlen,
		struct msg_tail *tail, uint32_t len, size_t limit, int ctl)
{
	struct outq_entry *e;

	if (q->n == q->cap && grow(q, limit) != 0)
		return -1;
	e = &q->v[((size_t)q->first + q->n) % q->cap];
	e->tail = tail;
	e->len = len;
	e->hlen = (uint8_t)hlen;
	e->ctl = (uint8_t)ctl;
	if (tail && hlen > 0) /* a control entry has no head (NULL) */
		memcpy(e->head, head, hlen);
	q->n++;
	q->bytes += outq_cost(len);
	if (ctl) {
		q->nctl++;
		q->ctl_bytes += outq_cost(len);
	}
	return 0;
}

int outq_push(struct outq *q, const uint8_t *head, size_t hlen,
	      struct msg_tail *tail, size_t max_entries)
{
	size_t limit = max_entries + q->nctl;
	uint32_t len = (uint32_t)(hlen + tail->len);

	/* the message bound leaves room for the control entries */
	if (hlen > PROTO_MSG_HEAD_MAX || outq_len(q) >= max_entries)
		return -1;
	if (q->n == q->cap && grow(q, limit) != 0)
		return -1; /* before the copy: nothing to undo */
	if (tail->len < MSG_TAIL_COPY_MAX) {
		if (block_put(q, head, hlen, tail) != 0)
			return -1;
		return push(q, NULL, 0, NULL, len, limit, 0);
	}
	tail->refs++; /* large tails are heap tails */
	return push(q, head, hlen, tail, len, limit, 0);
}

int outq_push_ctl(struct outq *q, const uint8_t *frame, size_t len)
{
	struct msg_tail src = { .len = len, .data = (uint8_t *)frame };
	struct msg_tail *t = msg_tail_to_heap(&src);

	if (!t)
		return -1;
	if (push(q, NULL, 0, t, (uint32_t)len, UINT32_MAX, 1) != 0) {
		msg_tail_release(t);
		return -1;
	}
	return 0;
}

int outq_drop_oldest(struct outq *q)
{
	size_t k = 0, cap = q->cap;
	struct outq_entry e;
	const uint8_t *bytes;

	if (outq_len(q) == 0)
		return 0;
	while (q->v[(q->first + k) % cap].ctl)
		k++; /* control entries are never dropped */
	e = q->v[(q->first + k) % cap];
	for (; k > 0; k--) /* they move up one slot, in order */
		q->v[(q->first + k) % cap] = q->v[(q->first + k - 1) % cap];
	q->v[q->first] = e;
	msg_tail_release(pop(q, &bytes).tail);
	blocks_trim(q);
	return 1;
}

size_t outq_discard_msgs(struct outq *q, struct evbuffer *out)
{
	size_t msgs = 0;
	const uint8_t *bytes;

	while (q->n > 0) {
		struct outq_entry e = pop(q, &bytes);

		if (!e.ctl)
			msgs++;
		else if (out)
			msg_tail_append(e.tail, out);
		msg_tail_release(e.tail);
	}
	blocks_trim(q);
	return msgs;
}

long outq_pump(struct outq *q, struct evbuffer *out, size_t window)
{
	long moved = 0;
	const uint8_t *bytes;

	while (q->n > 0 && evbuffer_get_length(out) < window) {
		struct outq_entry e = pop(q, &bytes);
		int rc = bytes	 ? evbuffer_add(out, bytes, e.len)
			 : e.ctl ? msg_tail_append(e.tail, out)
				 : msg_tail_append_msg(e.tail, e.head, e.hlen,
						       out);

		msg_tail_release(e.tail);
		if (rc != 0)
			return -1;
		moved++;
	}
	blocks_trim(q);
	return moved;
}
