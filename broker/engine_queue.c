/* engine_queue.c - see engine_queue.h. */
#include "config.h"

#include "engine_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t engine_msg_size(const struct engine_msg *m)
{
	size_t n = sizeof *m + m->topic_len + 1 + m->tag_len + 1 +
		   m->payload_len;

	if (m->reply_len != ENGINE_NO_REPLY)
		n += m->reply_len + 1;
	return n;
}

static char *put(char *p, const void *s, size_t len, int nul)
{
	if (len)
		memcpy(p, s, len);
	p += len;
	if (nul)
		*p++ = '\0';
	return p;
}

struct engine_msg *engine_msg_new(enum engine_msg_kind kind, const char *topic,
				  size_t topic_len, const char *reply,
				  size_t reply_len, const char *tag,
				  size_t tag_len, const void *payload,
				  size_t payload_len)
{
	const size_t lim = UINT32_MAX - 1;
	struct engine_msg *m;
	char *p;

	if (topic_len > lim || reply_len > lim || tag_len > lim ||
	    payload_len > lim || payload_len > SIZE_MAX / 2)
		return NULL;
	m = malloc(sizeof *m + topic_len + reply_len + tag_len + payload_len +
		   3);
	if (!m)
		return NULL;
	m->next = NULL;
	m->ref = NULL;
	m->kind = kind;
	m->plain = 1;
	m->topic_len = (uint32_t)topic_len;
	m->reply_len = reply ? (uint32_t)reply_len : ENGINE_NO_REPLY;
	m->tag_len = (uint32_t)tag_len;
	m->payload_len = (uint32_t)payload_len;
	p = put(m->data, topic, topic_len, 1);
	if (reply)
		p = put(p, reply, reply_len, 1);
	p = put(p, tag, tag_len, 1);
	put(p, payload, payload_len, 0);
	return m;
}

int engine_queue_init(struct engine_queue *q, size_t max_n, size_t max_bytes)
{
	memset(q, 0, sizeof *q);
	q->tail = &q->head;
	q->max_n = max_n;
	q->max_bytes = max_bytes;
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		return -1;
	}
	return 0;
}

void engine_queue_free(struct engine_queue *q)
{
	struct engine_msg *m = q->head, *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
	q->head = NULL;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

/* Does m fit?  Commands always do (see the header). */
static int fits(const struct engine_queue *q, const struct engine_msg *m,
		size_t size)
{
	if (m->kind != ENGINE_MSG_PUB)
		return 1;
	return q->n < q->max_n && size <= q->max_bytes - q->bytes &&
	       q->bytes <= q->max_bytes;
}

int engine_queue_push(struct engine_queue *q, struct engine_msg *m)
{
	size_t size = engine_msg_size(m);
	int was_empty;

	pthread_mutex_lock(&q->mu);
	if (q->closed || !fits(q, m, size)) {
		q->dropped++;
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	was_empty = q->head == NULL;
	m->next = NULL;
	*q->tail = m;
	q->tail = &m->next;
	q->n++;
	q->bytes += size;
	q->passed++;
	if (was_empty)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return was_empty;
}

struct engine_msg *engine_queue_take(struct engine_queue *q, size_t max,
				     int *more)
{
	struct engine_msg *first, **end;
	size_t k = 0;

	pthread_mutex_lock(&q->mu);
	first = q->head;
	end = &q->head;
	while (*end && k < max) {
		q->bytes -= engine_msg_size(*end);
		end = &(*end)->next;
		k++;
	}
	q->head = *end;
	*end = NULL;
	if (!q->head)
		q->tail = &q->head;
	q->n -= k;
	*more = q->head != NULL;
	pthread_mutex_unlock(&q->mu);
	return k ? first : NULL;
}

int engine_queue_wait(struct engine_queue *q, int timeout_ms)
{
	struct timespec until;
	int rc = 0, has;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&q->cv, &q->mu, &until);
	has = q->head != NULL;
	pthread_mutex_unlock(&q->mu);
	return has;
}

void engine_queue_close(struct engine_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void engine_queue_counts(struct engine_queue *q, uint64_t *passed,
			 uint64_t *dropped, size_t *held)
{
	pthread_mutex_lock(&q->mu);
	*passed = q->passed;
	*dropped = q->dropped;
	*held = q->n;
	pthread_mutex_unlock(&q->mu);
}
