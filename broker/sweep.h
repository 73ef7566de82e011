/*
 * sweep.h - the connections' timeouts, checked by one broker-wide periodic
 * timer instead of a libevent timer per connection.
 *
 * A connection keeps plain deadlines (milliseconds on clock_mono_ms's
 * clock, common/clock.h; 0: none): the handshake timeout, then the next keepalive PING
 * (conn.timer_at), and the frame timeout (inbound.frame_at).  Every tick the
 * sweep walks the broker's connection list once and lets each connection act
 * on the deadlines that passed (conn_tick).  The tick is a tenth of the
 * shortest of those timeouts in the configuration, within [SWEEP_MIN_MS,
 * SWEEP_MAX_MS], so a timeout fires at most a tenth (at most 1 s) late; it
 * is recomputed every tick, so a reload applies at once.
 *
 * Why: a struct event is 128 bytes of heap (144 with malloc's header) per
 * timer and per connection, and an idle connection only ever needs a
 * deadline of 8 bytes.  No global state: the timer lives in struct broker.
 */
#ifndef BROKERD_SWEEP_H
#define BROKERD_SWEEP_H

#include <stdint.h>

struct broker;

#define SWEEP_MIN_MS 10u
#define SWEEP_MAX_MS 1000u

/* Create and start b's sweep timer (b->sweep, owned by b; b->base exists).
 * 0, or -1 when out of memory. */
int sweep_start(struct broker *b);

/* Stop and free b->sweep.  Safe when it was never started. */
void sweep_stop(struct broker *b);

#endif
