/* bench_churn.c - see bench_churn.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench_churn.h"

#define CHURN_INFLIGHT 64
#define CHURN_SECONDS 4.0
#define CHURN_BG_WINDOW 1000 /* stream messages in flight */
#define CHURN_FLOOD_BATCH 1000
/* Pairs the flood may have unanswered: each SUB and UNSUB holds a pending
 * entry with its own timer in the library until its OK, and a million of
 * them behind a busy broker outlive their 5 s timeout. */
#define CHURN_FLOOD_WINDOW 20000

static const char payload[16];

struct churn;

/* One outstanding request: its inbox subscription. */
struct slot {
	struct churn *ch; /* borrowed back-pointer */
	bc_client *c;	  /* borrowed */
	int conn;
	uint32_t sid;
	uint64_t seq;
};

struct churn {
	struct rt *r;	    /* borrowed */
	struct slot *slots; /* owned */
	int nslots;
	int running;	 /* requests are restarted while set */
	uint64_t cycles; /* replies taken (one SUB + one UNSUB each) */
	uint64_t bg_sent;
	int outstanding; /* requests not answered yet */
};

static void on_reply(bc_client *c, const bc_msg *m, void *arg);

/* SUB a fresh inbox and send the request answered to it. */
static void slot_start(struct slot *s)
{
	struct rt *r = s->ch->r;
	char inbox[64];
	int rc;

	/* unique per slot: the slots of a connection must not share an
	 * inbox, or each reply would reach all of them */
	snprintf(inbox, sizeof inbox, "_INBOX.%d.%d.%llu", s->conn,
		 (int)(s - s->ch->slots), (unsigned long long)s->seq++);
	rc = bc_subscribe(s->c, inbox, NULL, on_reply, s, &s->sid);
	if (rc != BC_OK) {
		rt_fail(r, "subscribe inbox: %s", bc_strerror(rc));
		return;
	}
	if (rt_publish(r, s->c, "svc.echo", payload, sizeof payload, inbox) ==
	    0)
		s->ch->outstanding++;
}

static void on_reply(bc_client *c, const bc_msg *m, void *arg)
{
	struct slot *s = arg;

	(void)m;
	bc_unsubscribe(c, s->sid);
	s->ch->cycles++;
	s->ch->outstanding--;
	if (s->ch->running)
		slot_start(s);
}

/* The responder: a reply it cannot send (its output full: this is a
 * callback, it cannot wait) would leave a requester waiting for ever. */
static void on_request(bc_client *c, const bc_msg *m, void *arg)
{
	int rc = bc_respond(c, m, bc_msg_data(m), bc_msg_len(m));

	if (rc != BC_OK)
		rt_fail(arg, "responder: %s", bc_strerror(rc));
}

/* Keep the background stream (client 1 -> client 2) going until `until`;
 * returns the stream messages received meanwhile. */
static uint64_t stream_for(struct churn *ch, double until)
{
	struct rt *r = ch->r;
	uint64_t rx0 = r->received;

	while (!r->failed && rt_now() < until) {
		while (ch->bg_sent - r->received < CHURN_BG_WINDOW &&
		       rt_publish(r, r->cl[1], "bg.stream", payload,
				  sizeof payload, NULL) == 0)
			ch->bg_sent++;
		rt_poll(r);
	}
	return r->received - rx0;
}

static int start_slots(struct churn *ch, int conns, int first)
{
	ch->nslots = conns * CHURN_INFLIGHT;
	ch->slots = calloc((size_t)ch->nslots, sizeof *ch->slots);
	if (!ch->slots) {
		rt_fail(ch->r, "out of memory");
		return -1;
	}
	ch->running = 1;
	for (int i = 0; i < ch->nslots; i++) {
		struct slot *s = &ch->slots[i];

		s->ch = ch;
		s->conn = i / CHURN_INFLIGHT;
		s->c = ch->r->cl[first + s->conn];
		slot_start(s);
	}
	return ch->r->failed ? -1 : 0;
}

/* SUB/UNSUB pairs back to back on one connection, at most
 * CHURN_FLOOD_WINDOW of them unanswered; pairs per second. */
static double flood(struct rt *r, bc_client *c, uint64_t pairs)
{
	char p[64];
	double t0 = rt_now();
	uint32_t sid;

	for (uint64_t i = 0; i < pairs && !r->failed; i++) {
		snprintf(p, sizeof p, "flood.%llu", (unsigned long long)i);
		if (bc_subscribe(c, p, NULL, rt_count_msg, r, &sid) != BC_OK ||
		    bc_unsubscribe(c, sid) != BC_OK)
			rt_fail(r, "flood: subscribe/unsubscribe failed");
		if (i % CHURN_FLOOD_WINDOW == CHURN_FLOOD_WINDOW - 1)
			rt_sync(r, r->ncl - 1, r->ncl); /* all answered */
		else if (i % CHURN_FLOOD_BATCH == CHURN_FLOOD_BATCH - 1)
			rt_poll(r);
	}
	if (rt_sync(r, r->ncl - 1, r->ncl) < 0)
		return 0;
	return (double)pairs / (rt_now() - t0);
}

static int all_answered(const struct rt *r, const void *arg)
{
	const struct churn *ch = arg;

	(void)r;
	return ch->outstanding == 0;
}

int bench_churn_run(struct rt *r)
{
	const struct bench_cfg *cfg = r->cfg;
	int conns = cfg->conns ? cfg->conns : 1;
	double secs = cfg->duration > 0 ? cfg->duration : CHURN_SECONDS;
	struct churn ch = { r, NULL, 0, 0, 0, 0, 0 };
	uint64_t base_rx, churn_rx, cyc;
	double t0, fl, cpu0;

	/* 0: responder, 1: stream publisher, 2: stream subscriber, then the
	 * requesters, then the flooder */
	if (rt_connect(r, 3 + conns + 1) < 0 ||
	    bc_subscribe(r->cl[0], "svc.echo", NULL, on_request, r, NULL) !=
		    BC_OK ||
	    bc_subscribe(r->cl[2], "bg.stream", NULL, rt_count_msg, r, NULL) !=
		    BC_OK ||
	    rt_sync(r, 0, 3) < 0)
		return -1;
	base_rx = stream_for(&ch, rt_now() + secs / 2);
	t0 = rt_now();
	cpu0 = rt_broker_cpu(r);
	if (start_slots(&ch, conns, 3) < 0)
		return -1;
	churn_rx = stream_for(&ch, t0 + secs);
	cyc = ch.cycles;
	ch.running = 0;
	t0 = rt_now() - t0;
	cpu0 = rt_broker_cpu(r) - cpu0;
	/* the slots must outlive their last replies */
	if (rt_wait(r, all_answered, &ch) < 0) {
		free(ch.slots);
		return -1;
	}
	free(ch.slots);
	fl = flood(r, r->cl[r->ncl - 1], cfg->count);
	if (r->failed)
		return -1;
	printf("workload=churn conns=%d inflight=%d cycles_per_s=%.0f"
	       " stream_msg_per_s_alone=%.0f stream_msg_per_s_churn=%.0f"
	       " flood_pairs=%llu flood_sub_unsub_pairs_per_s=%.0f",
	       conns, CHURN_INFLIGHT, (double)cyc / t0,
	       (double)base_rx / (secs / 2), (double)churn_rx / t0,
	       (unsigned long long)cfg->count, fl);
	if (cfg->broker_pid)
		printf(" broker_cpu_pct_churn=%.0f", cpu0 * 100.0 / t0);
	printf("\n");
	return 0;
}
