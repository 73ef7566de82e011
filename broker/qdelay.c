/* qdelay.c - see qdelay.h. */
#include "config.h"

#include "qdelay.h"

#include <event2/event.h>

/* From 100 us (a loop turn under load) to 30 s (a stalled block queue). */
static const double bounds[QDELAY_NBUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30,
};

static const char *const bound_text[QDELAY_NBUCKETS] = {
	"0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05",
	"0.1",	  "0.5",    "1",     "5",     "10",   "30",
};

const char *qdelay_le(size_t i)
{
	return i < QDELAY_NBUCKETS ? bound_text[i] : "+Inf";
}

/* The loop's cached wall clock (a system call only outside the loop). */
static int64_t now_us(struct event_base *base)
{
	struct timeval tv = { 0, 0 };

	event_base_gettimeofday_cached(base, &tv);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Record the timed MSG's delay, at now, and stop timing it. */
static void record(struct qdelay *q, int64_t now)
{
	uint64_t us = now > q->at_us ? (uint64_t)(now - q->at_us) : 0;
	size_t i = 0;

	while (i < QDELAY_NBUCKETS && (double)us > bounds[i] * 1e6)
		i++;
	q->counts[i]++;
	q->sum_us += us;
	q->samples++;
	q->conn = NULL;
}

void qdelay_start(struct qdelay *q, struct event_base *base, const void *conn,
		  uint64_t mark)
{
	q->conn = conn;
	q->mark = mark;
	q->at_us = now_us(base);
}

void qdelay_tick(struct qdelay *q, struct event_base *base)
{
	int64_t now;

	if (!q->conn)
		return;
	now = now_us(base);
	if (now - q->at_us >= (int64_t)QDELAY_GIVE_UP_S * 1000000)
		record(q, now); /* given up: its age so far */
}

void qdelay_written(struct qdelay *q, struct event_base *base, const void *conn,
		    uint64_t written)
{
	if (conn == q->conn && written >= q->mark)
		record(q, now_us(base));
}

void qdelay_forget(struct qdelay *q, const void *conn)
{
	if (q->conn == conn)
		q->conn = NULL;
}
