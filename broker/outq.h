/*
 * outq.h - a connection's queue of MSG frames not yet in its output
 * buffer (transport.h): a ring buffer of entries.  A small message (its
 * tail under MSG_TAIL_COPY_MAX, msgtail.h: what the output would copy
 * anyway) is copied whole, head and tail, into the queue's byte blocks; a
 * large one keeps its per-subscription head in the entry and one
 * reference to the publish's shared heap tail.
 *
 * The queue is what makes drop-oldest possible without ever cutting a
 * frame: bytes already in the connection's output are committed, the queue
 * holds whole messages that can still be discarded from its head.  A pump
 * (outq_pump) moves messages into the output while the output is under a
 * small window.
 *
 * Control entries (outq_push_ctl): an answer (OK, ERR, PONG, a NOTICE)
 * sent while MSGs wait here must not overtake them, so it waits in the
 * same ring, in order.  It is never dropped (outq_drop_oldest skips it)
 * and does not count as a message (outq_len), only as bytes and in
 * outq_entries.
 *
 * Byte blocks: small messages are only ever released oldest first (pop,
 * drop-oldest and discard all take the oldest message; control entries,
 * which can stay behind a dropped message, are separate heap frames), so
 * the blocks are a FIFO of bump-allocated frames: written at the last
 * block's end, read from the first block's read offset.  A stalled
 * subscriber's backlog of small messages thus costs one memcpy each and a
 * malloc per block (sized to the backlog: a power of two from
 * OUTQ_BLOCK_MIN to OUTQ_BLOCK_HUGE), not a malloc and a free per
 * message.  A block read to its end while newer ones wait is kept as the
 * spare (one at most) for the next block, while the queue holds at least
 * its size; when the queue's blocks are all read, any block above
 * OUTQ_BLOCK_KEEP bytes is released (a connection past its backlog keeps
 * at most that).
 *
 * Memory: the ring grows by doubling, up to the entry count the caller
 * allows, and never shrinks until outq_free; so once grown the hot path does
 * not allocate.  outq_bytes() counts each queued message as its frame bytes
 * plus OUTQ_ENTRY_COST, so a byte bound on it is a bound on real memory
 * (blocks add the read part of the first block, the unwritten part of the
 * last, each at most the backlog's size when it was made, and a spare no
 * larger than the backlog).
 * No global state.
 */
#ifndef BROKERD_OUTQ_H
#define BROKERD_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct evbuffer;
struct msg_tail;

struct outq_entry {
	struct msg_tail *tail; /* one reference, owned by the entry; NULL:
				* the frame is in the blocks */
	uint32_t len;	       /* frame bytes (head + tail) */
	uint8_t hlen;	       /* head bytes in head[] (tail != NULL) */
	uint8_t ctl;	       /* a control frame (all in tail) */
	uint8_t head[PROTO_MSG_HEAD_MAX];
};

/* One block of queued small frames, owned by its queue. */
struct outq_block {
	struct outq_block *next; /* newer block, or the spare after last */
	uint32_t cap, rd, wr;	 /* data[rd..wr) holds unread frames */
	uint32_t mapped;	 /* a whole OUTQ_BLOCK_HUGE mapping */
	uint8_t data[];
};

/* Block sizes, header included: OUTQ_BLOCK_MIN up to OUTQ_BLOCK_HUGE,
 * which is mapped on its own (aligned, MADV_HUGEPAGE where the system has
 * it), so a backlog of hundreds of MiB costs a page fault per 2 MiB, not
 * one per 4 KiB. */
#define OUTQ_BLOCK_MIN (16u * 1024)
#define OUTQ_BLOCK_HUGE (2u * 1024 * 1024)
#define OUTQ_BLOCK_KEEP (64u * 1024)

/* What one queued message costs besides its frame bytes: its ring slot,
 * and (counted per receiver, though shared) the tail's header; plus the
 * chain libevent allocates when it is pumped by reference. */
#define OUTQ_ENTRY_COST (sizeof(struct outq_entry) + 64u)

struct outq {
	struct outq_entry *v;	/* ring, owned; NULL until the first
					 * message that has to wait */
	uint32_t cap, first, n; /* entries: at most UINT32_MAX */
	uint32_t nctl;		/* of which control entries */
	uint64_t bytes;		/* frame bytes + n * OUTQ_ENTRY_COST */
	uint64_t ctl_bytes;	/* of which control entries' */
	struct outq_block *bfirst, *blast; /* blocks, oldest first, owned;
					    * blast->next: the spare */
};

/* An empty queue (allocates nothing). */
void outq_init(struct outq *q);

/* Release every entry's tail reference, the blocks and the ring. */
void outq_free(struct outq *q);

/* Bytes a message of frame_len bytes adds to outq_bytes(). */
static inline uint64_t outq_cost(size_t frame_len)
{
	return (uint64_t)frame_len + OUTQ_ENTRY_COST;
}

/* Append a message: head[0..hlen) (hlen <= PROTO_MSG_HEAD_MAX) and the
 * tail (local or heap).  A small tail is copied into the blocks; a large
 * one, which is always a heap tail, gets a reference of the queue's own.
 * The caller keeps its reference either way.  max_entries caps the ring's
 * growth.  0, or -1 when full (max_entries) or out of memory (nothing
 * changed). */
int outq_push(struct outq *q, const uint8_t *head, size_t hlen,
	      struct msg_tail *tail, size_t max_entries);

/* Append a control frame: frame[0..len) copied.  Never refused for the
 * message bound; 0, or -1 when out of memory (nothing changed). */
int outq_push_ctl(struct outq *q, const uint8_t *frame, size_t len);

/* Discard the oldest message (its reference released), keeping any
 * control entries in front of it in their order.  1, or 0 when no
 * message is queued. */
int outq_drop_oldest(struct outq *q);

/* Discard every message and move the control entries into out, in order
 * (a closing connection still gets its answers).  Returns the number of
 * messages discarded. */
size_t outq_discard_msgs(struct outq *q, struct evbuffer *out);

/* Move messages, oldest first, into out while its length is below window
 * (the last one moved may take it over).  Returns the number moved, or -1
 * when out of memory (the stream may then hold half a frame: the caller
 * must close the connection). */
long outq_pump(struct outq *q, struct evbuffer *out, size_t window);

/* Messages queued (control entries not counted). */
static inline size_t outq_len(const struct outq *q)
{
	return (size_t)q->n - q->nctl;
}

/* Entries queued, messages and control frames. */
static inline size_t outq_entries(const struct outq *q)
{
	return q->n;
}

/* Bytes of the control entries (frame bytes + OUTQ_ENTRY_COST each). */
static inline uint64_t outq_ctl_bytes(const struct outq *q)
{
	return q->ctl_bytes;
}

static inline uint64_t outq_bytes(const struct outq *q)
{
	return q->bytes;
}

#endif
