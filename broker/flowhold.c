/* flowhold.c - see flowhold.h. */
#include "config.h"

#include "flowhold.h"

#include <stdlib.h>

#include <event2/event.h>

#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "inbound.h"
#include "outbound.h"

TAILQ_HEAD(flowhold_waiters, conn);

struct flowhold_sub {
	struct event *ev;		 /* owned: stall check, and the
					  * deferred resume of the waiters */
	struct flowhold_waiters waiters; /* publishers paused for it */
	uint64_t progress_at;		 /* ms of its last write progress */
	uint64_t holds, held_ms;	 /* totals, for the log */
	uint64_t logged_at;		 /* ms of the last totals logged */
	uint8_t stalled;
};

/* At most this often, the log names a subscriber that keeps pausing its
 * publishers, with its totals (and once more when it closes). */
#define FLOWHOLD_LOG_MS 10000u

void flowhold_pub_start(struct conn *c)
{
	c->b->hold_on = NULL;
}

void flowhold_note(struct conn *s)
{
	if (!s->b->hold_on)
		s->b->hold_on = s;
}

int flowhold_stalled(const struct conn *s)
{
	return s->fh.sub && s->fh.sub->stalled;
}

/* Take p off its subscriber's waiters, adding the pause to the totals;
 * resume: read p again (from p's own event). */
static void release(struct conn *p, uint64_t now, int resume)
{
	struct conn *s = p->fh.waiting_on;
	uint64_t ms = now - p->fh.held_since;

	TAILQ_REMOVE(&s->fh.sub->waiters, p, fh.link);
	p->fh.waiting_on = NULL;
	s->fh.sub->held_ms += ms;
	OUTBOUND_COUNT(s, block_pause_ms, ms);
	if (resume)
		inbound_resume_soon(p);
}

static void log_totals(const struct conn *s, const char *when)
{
	conn_log(s, LOG_LEVEL_INFO,
		 "block: paused publishers %llu times, "
		 "%llu ms in total%s",
		 (unsigned long long)s->fh.sub->holds,
		 (unsigned long long)s->fh.sub->held_ms, when);
}

static void release_all(struct conn *s, uint64_t now)
{
	struct flowhold_sub *fs = s->fh.sub;
	struct conn *p;

	while ((p = TAILQ_FIRST(&fs->waiters)) != NULL)
		release(p, now, 1);
	if (now - fs->logged_at >= FLOWHOLD_LOG_MS) {
		fs->logged_at = now;
		log_totals(s, " so far");
	}
}

static void arm(struct flowhold_sub *fs, uint64_t ms)
{
	struct timeval tv = clock_ms_tv(ms);

	event_add(fs->ev, &tv);
}

/* Drained enough: resume.  No write progress for stall_timeout: stalled,
 * resume too (its fallback drops from now on).  Else look again when the
 * stall_timeout since its last progress is over. */
static void check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;
	struct flowhold_sub *fs = s->fh.sub;
	uint64_t now = clock_mono_ms(), st = s->b->conf.stall_timeout_ms;

	(void)fd;
	(void)what;
	if (TAILQ_EMPTY(&fs->waiters))
		return;
	if (outbound_block_resume(s)) {
		release_all(s, now);
	} else if (now - fs->progress_at >= st) {
		fs->stalled = 1;
		OUTBOUND_COUNT(s, block_stalls, 1);
		conn_log(s, LOG_LEVEL_NOTICE,
			 "block subscriber stalled (no "
			 "write progress for %llu ms, %zu bytes pending): its "
			 "publishers go on, drop-newest applies until it reads",
			 (unsigned long long)(now - fs->progress_at),
			 outbound_pending(s));
		release_all(s, now);
	} else {
		arm(fs, fs->progress_at + st - now);
	}
}

/* s's subscriber side, made at its first hold; NULL when out of
 * memory. */
static struct flowhold_sub *sub_state(struct conn *s)
{
	struct flowhold_sub *fs = s->fh.sub;

	if (fs)
		return fs;
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return NULL;
	fs->ev = event_new(s->b->base, -1, 0, check_cb, s);
	if (!fs->ev) {
		free(fs);
		return NULL;
	}
	TAILQ_INIT(&fs->waiters);
	fs->progress_at = clock_mono_ms();
	s->fh.sub = fs;
	return fs;
}

void flowhold_after_pub(struct conn *c)
{
	struct conn *s = c->b->hold_on;
	struct flowhold_sub *fs;
	uint64_t now, st;

	if (!s)
		return;
	c->b->hold_on = NULL;
	if (c->state != CONN_READY || c->fh.waiting_on ||
	    s->state == CONN_CLOSING || (s->pause & CONN_PAUSE_GONE) ||
	    !(fs = sub_state(s)) || inbound_resume_prepare(c) != 0)
		return; /* out of memory: not held, nothing lost */
	now = clock_mono_ms();
	conn_pause(c, CONN_PAUSE_BLOCK);
	c->fh.waiting_on = s;
	c->fh.held_since = now;
	if (TAILQ_EMPTY(&fs->waiters)) /* a slow-consumer episode begins */
		OUTBOUND_COUNT(s, slow_consumers, 1);
	TAILQ_INSERT_TAIL(&fs->waiters, c, fh.link);
	fs->holds++;
	OUTBOUND_COUNT(s, block_pauses, 1);
	if (!event_pending(fs->ev, EV_TIMEOUT | EV_READ | EV_WRITE, NULL)) {
		st = s->b->conf.stall_timeout_ms;
		arm(fs, fs->progress_at + st > now ? fs->progress_at + st - now
						   : 0);
	}
}

void flowhold_progress(struct conn *s)
{
	struct flowhold_sub *fs = s->fh.sub;

	if (!fs)
		return;
	fs->progress_at = clock_mono_ms();
	fs->stalled = 0;
	if (!TAILQ_EMPTY(&fs->waiters) && outbound_block_resume(s))
		event_active(fs->ev, EV_TIMEOUT, 1);
}

void flowhold_gone(struct conn *c)
{
	uint64_t now;

	if (!c->fh.waiting_on && !c->fh.sub)
		return;
	now = clock_mono_ms();
	if (c->fh.waiting_on)
		release(c, now, 0);
	if (c->fh.sub)
		release_all(c, now);
}

void flowhold_free(struct conn *c)
{
	struct flowhold_sub *fs = c->fh.sub;

	flowhold_gone(c);
	if (!fs)
		return;
	log_totals(c, "");
	event_free(fs->ev);
	free(fs);
	c->fh.sub = NULL;
}
