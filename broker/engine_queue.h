/*
 * engine_queue.h - a bounded FIFO of messages between threads: the engine
 * link's bulkhead (docs/CLUSTERING.md).  Two are used: the loop hands
 * messages and subscription commands to the engine's publisher thread, and
 * libnats's delivery thread hands received messages to the loop.
 *
 * Bounded in both count and bytes: a push that would pass either bound is
 * refused and counted (engine_queue_dropped), never blocks and never
 * allocates beyond the bound.  Commands (SUB, UNSUB) are never refused:
 * they are few (one per distinct pattern) and losing one would break the
 * interest the cluster sees.
 *
 * Thread safety: every function but init/free may be called from any
 * thread; one mutex guards the list.  engine_queue_wait blocks on a
 * condition variable (the publisher thread); the loop side is woken by
 * whoever pushes, through the caller's own means (the return value of
 * engine_queue_push says when the queue went from empty to not empty).
 *
 * Ownership: an engine_msg is one allocation; engine_msg_new returns it
 * owned by the caller, engine_queue_push takes it over on success (on
 * refusal the caller still owns it), engine_queue_take returns the whole
 * list owned by the caller, who frees each with free().
 */
#ifndef BROKERD_ENGINE_QUEUE_H
#define BROKERD_ENGINE_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum engine_msg_kind {
	ENGINE_MSG_PUB,	  /* a message (to or from the engine) */
	ENGINE_MSG_SUB,	  /* command: subscribe upstream (ref) */
	ENGINE_MSG_UNSUB, /* command: unsubscribe and release ref */
};

#define ENGINE_NO_REPLY UINT32_MAX

/* One message.  topic, reply (when reply_len != ENGINE_NO_REPLY) and tag
 * are NUL-terminated inside data[]; payload follows them. */
struct engine_msg {
	struct engine_msg *next;
	void *ref;	/* SUB/UNSUB: the upstream record (engine_link.h) */
	uint32_t kind;	/* enum engine_msg_kind */
	uint32_t plain; /* received: 1 plain subscription, 0 queue group */
	uint32_t topic_len, reply_len, tag_len, payload_len;
	char data[];
};

static inline const char *engine_msg_topic(const struct engine_msg *m)
{
	return m->data;
}

static inline const char *engine_msg_reply(const struct engine_msg *m)
{
	return m->reply_len == ENGINE_NO_REPLY ? NULL
					       : m->data + m->topic_len + 1;
}

/* The received message's tag: the pattern (plain) or queue group name of
 * the upstream subscription it came through; "" when none. */
static inline const char *engine_msg_tag(const struct engine_msg *m)
{
	size_t off = m->topic_len + 1;

	if (m->reply_len != ENGINE_NO_REPLY)
		off += m->reply_len + 1;
	return m->data + off;
}

static inline const char *engine_msg_payload(const struct engine_msg *m)
{
	return engine_msg_tag(m) + m->tag_len + 1;
}

/* The bytes a message holds (what the byte bound counts). */
size_t engine_msg_size(const struct engine_msg *m);

/* A new message, owned by the caller (free()).  reply may be NULL, tag
 * NULL for "".  NULL when out of memory or a length passes UINT32_MAX-1. */
struct engine_msg *engine_msg_new(enum engine_msg_kind kind, const char *topic,
				  size_t topic_len, const char *reply,
				  size_t reply_len, const char *tag,
				  size_t tag_len, const void *payload,
				  size_t payload_len);

struct engine_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct engine_msg *head, **tail; /* owned */
	size_t n, bytes;		 /* held (commands included) */
	size_t max_n, max_bytes;	 /* bounds on messages */
	uint64_t dropped;		 /* refused pushes */
	uint64_t passed;		 /* accepted pushes */
	int closed;			 /* engine_queue_close was called */
};

/* An empty queue with these bounds (0 < max_n, 0 < max_bytes).  0, or -1
 * when the mutex or condition could not be made. */
int engine_queue_init(struct engine_queue *q, size_t max_n, size_t max_bytes);

/* Free every message still held, then the mutex and condition. */
void engine_queue_free(struct engine_queue *q);

/* Append m.  Returns 1 when accepted into an empty queue (wake the
 * consumer), 0 when accepted otherwise, -1 when refused (full, or
 * closed): counted, m still the caller's. */
int engine_queue_push(struct engine_queue *q, struct engine_msg *m);

/* Take up to max messages, oldest first, as a list owned by the caller
 * (NULL when empty); *more is set to whether messages remain. */
struct engine_msg *engine_queue_take(struct engine_queue *q, size_t max,
				     int *more);

/* Block until the queue holds something or is closed, at most timeout_ms.
 * Returns 1 when it holds something, 0 otherwise. */
int engine_queue_wait(struct engine_queue *q, int timeout_ms);

/* Refuse further pushes and wake waiters (the thread's stop). */
void engine_queue_close(struct engine_queue *q);

/* Counters, read under the lock. */
void engine_queue_counts(struct engine_queue *q, uint64_t *passed,
			 uint64_t *dropped, size_t *held);

#endif
