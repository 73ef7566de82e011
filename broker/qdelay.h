/*
 * qdelay.h - the queueing-delay sampler: how long a MSG waits between
 * being routed (queued to a subscriber) and being written into that
 * subscriber's socket, as a histogram for /metrics.
 *
 * Sampled, so the message path pays nothing measurable: one MSG at a time
 * is timed, broker-wide.  When none is being timed, the next MSG queued
 * starts a sample: its connection, the loop's cached time, and the mark
 * (the connection's running count of bytes queued, conn.io.bytes_out, just
 * after this MSG).  Every write pass of that connection compares how far
 * its writes have got (bytes queued minus bytes still pending) with the
 * mark; past it, the MSG left, and the delay is recorded with the loop's
 * cached time.  So a message costs one pointer test, a write pass one
 * pointer compare, and the clock is read (cached, no system call) once
 * per sample.  A sample taken by a direct write completes in the same loop
 * turn (delay 0: under the loop's time resolution); a queued one when its
 * turn comes (see qdelay_tick for one that never comes).  Messages dropped from a queue (drop-oldest) advance the
 * written count as if sent, so under drops a sample may end early.
 *
 * Ownership: plain data inside struct broker (b->qdelay); the connection
 * pointer is borrowed and cleared by qdelay_forget before it is freed.
 */
#ifndef BROKERD_QDELAY_H
#define BROKERD_QDELAY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define QDELAY_NBUCKETS 12
#define QDELAY_GIVE_UP_S 5

struct qdelay {
	const void *conn; /* whose MSG is timed; NULL: none */
	uint64_t mark;	  /* its bytes queued, the MSG included */
	int64_t at_us;	  /* the loop's cached time when it was queued */
	uint64_t counts[QDELAY_NBUCKETS + 1]; /* per bucket, last: +Inf
					       * (not cumulative) */
	uint64_t sum_us;
	uint64_t samples;
};

/* Upper bound of bucket i (< QDELAY_NBUCKETS), in seconds, as the text
 * of a Prometheus le label ("0.0001"). */
const char *qdelay_le(size_t i);

/* Should the MSG just queued be timed?  Yes when none is.  Inline:
 * tested once per MSG queued. */
static inline int qdelay_due(const struct qdelay *q)
{
	return q->conn == NULL;
}

/* Time the MSG just queued to conn: mark as above; the time is base's
 * cached one.  Only when qdelay_due. */
void qdelay_start(struct qdelay *q, struct event_base *base, const void *conn,
		  uint64_t mark);

/* conn (the timed one) has had `written` of its queued bytes written:
 * once past the mark, record the delay (base's cached time) and stop. */
void qdelay_written(struct qdelay *q, struct event_base *base, const void *conn,
		    uint64_t written);

/* The broker's sweep (every second at most): a timed MSG older than
 * QDELAY_GIVE_UP_S (its subscriber stalls) is recorded with the age it
 * reached, a lower bound, so one stalled subscriber cannot stop the
 * sampling for long. */
void qdelay_tick(struct qdelay *q, struct event_base *base);

/* conn is going away: stop timing it (no sample). */
void qdelay_forget(struct qdelay *q, const void *conn);

#endif
