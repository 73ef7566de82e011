/* lameduck.c - see lameduck.h. */
#include "config.h"

#include "lameduck.h"

#include <signal.h>

#include <event2/event.h>

#include "broker.h"
#include "clock.h"
#include "conn.h"

static const char notice_text[] = "broker entering lame duck mode";

static int64_t now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

static void arm(struct lameduck *ld, uint32_t ms)
{
	struct timeval tv = clock_ms_tv(ms);

	event_add(ld->tick, &tv);
}

static unsigned open_conns(const struct broker *b)
{
	const struct conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &b->conns, link)
	n += c->state != CONN_CLOSING;
	return n;
}

/* Close clients at an even pace: by `elapsed` into the span, at most
 * total x (1 - elapsed / span) may still be open (clients that left by
 * themselves count as closed).  Stop the broker once none is left or the
 * span is over. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lameduck *ld = arg;
	struct broker *b = ld->b;
	uint64_t span = b->conf.lame_duck_duration_ms, elapsed, allowed;
	unsigned n = open_conns(b), batch;
	struct conn *c;

	(void)fd;
	(void)what;
	if (b->stopping)
		return;
	if (ld->close_start_ms == 0) {
		ld->close_start_ms = now_ms();
		ld->total = n;
	}
	elapsed = (uint64_t)(now_ms() - ld->close_start_ms);
	if (n == 0 || elapsed >= span) {
		log_msg(&b->log, LOG_LEVEL_NOTICE, "lame duck: done");
		broker_stop(b);
		return;
	}
	allowed = ld->total - ld->total * elapsed / span;
	batch = n > allowed ? n - (unsigned)allowed : 0;
	for (c = TAILQ_FIRST(&b->conns); c && batch > 0;
	     c = TAILQ_NEXT(c, link)) {
		if (c->state == CONN_CLOSING)
			continue;
		conn_fail(c, PROTO_E_SHUTTING_DOWN,
			  "lame duck: please "
			  "reconnect elsewhere");
		batch--;
	}
	arm(ld, ld->tick_ms);
}

/* NOTICE LAME_DUCK to every client past its handshake. */
static void tell_clients(struct broker *b, uint64_t ms_left)
{
	uint8_t buf[64 + sizeof notice_text];
	size_t n = proto_enc_notice(buf, sizeof buf, PROTO_NOTICE_LAME_DUCK,
				    ms_left, proto_cstr(notice_text));
	struct conn *c;

	TAILQ_FOREACH(c, &b->conns, link)
	if (c->state == CONN_READY && conn_send_frame(c, buf, n) == 0)
		OUTBOUND_COUNT(c, notices_lame_duck, 1);
}

void lameduck_start(struct lameduck *ld)
{
	struct broker *b = ld->b;
	uint32_t grace = b->conf.lame_duck_grace_ms;
	uint32_t span = b->conf.lame_duck_duration_ms;

	if (ld->active || b->stopping)
		return;
	ld->active = 1;
	ld->tick_ms = span / 20 < 10 ? 10 : span / 20 > 100 ? 100 : span / 20;
	ld->close_start_ms = 0;
	log_msg(&b->log, LOG_LEVEL_NOTICE,
		"SIGUSR2: entering lame duck mode: "
		"not accepting; closing %u clients over %u ms after %u ms",
		open_conns(b), span, grace);
	sdnotify_send(&b->notify, "STOPPING=1");
	broker_stop_accepting(b);
	tell_clients(b, (uint64_t)grace + span);
	arm(ld, grace);
}

static void sigusr2_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	lameduck_start(arg);
}

int lameduck_init(struct lameduck *ld, struct broker *b)
{
	ld->b = b;
	ld->active = 0;
	ld->sigusr2 = evsignal_new(b->base, SIGUSR2, sigusr2_cb, ld);
	ld->tick = evtimer_new(b->base, tick_cb, ld);
	if (!ld->sigusr2 || !ld->tick || evsignal_add(ld->sigusr2, NULL) != 0)
		return -1;
	return 0;
}

void lameduck_free(struct lameduck *ld)
{
	if (ld->sigusr2)
		event_free(ld->sigusr2);
	if (ld->tick)
		event_free(ld->tick);
	ld->sigusr2 = ld->tick = NULL;
}
