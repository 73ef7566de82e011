/* outbound.c - see outbound.h. */
#include "config.h"

#include "outbound.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "broker.h"
#include "conn.h"
#include "msgtail.h"
#include "pool.h"
#include "transport.h"

static const char reason_full[] = "slow consumer: outbound queue full";
static const char reason_budget[] = "pool outbound budget exhausted";

/* The uint64_t counter at byte offset field of a struct bulk_counters
 * (every member is a uint64_t, so the offset keeps its alignment). */
static uint64_t *counter(struct bulk_counters *bc, size_t field)
{
	return (uint64_t *)(void *)((char *)bc + field);
}

void outbound_count(struct conn *c, size_t field, uint64_t n)
{
	*counter(&c->b->stats.bulk, field) += n;
	*counter(&c->ob.pool->st, field) += n;
}

#define COUNT(c, f, n) OUTBOUND_COUNT(c, f, n)

size_t outbound_pending(const struct conn *c)
{
	return transport_out_len(c->t) + (size_t)outq_bytes(&c->ob.q);
}

uint64_t outbound_max_bytes(const struct conn *c)
{
	uint64_t max = c->ob.pool->lim.max_outbound;

	if (c->ob.req_max_bytes && c->ob.req_max_bytes < max)
		max = c->ob.req_max_bytes;
	return max;
}

static uint64_t max_msgs(const struct conn *c)
{
	uint64_t max = c->ob.pool->lim.max_outbound_msgs;

	if (c->ob.req_max_msgs && c->ob.req_max_msgs < max)
		max = c->ob.req_max_msgs;
	return max;
}

/* The policy in force: block falls back to drop-newest where the pool
 * does not allow it and while the subscriber is stalled (flowhold.h). */
static enum proto_policy policy(const struct conn *c)
{
	unsigned p = c->ob.req_policy != PROTO_POLICY_NONE
			     ? c->ob.req_policy
			     : c->ob.pool->lim.policy;

	if (p == PROTO_POLICY_BLOCK && !c->ob.pool->lim.allow_block)
		return PROTO_POLICY_DROP_NEWEST;
	if (p == PROTO_POLICY_BLOCK && flowhold_stalled(c))
		return c->ob.req_stall_policy != PROTO_POLICY_NONE
			       ? (enum proto_policy)c->ob.req_stall_policy
			       : PROTO_POLICY_DROP_NEWEST;
	return (enum proto_policy)p;
}

static size_t window(const struct conn *c)
{
	return (size_t)obpolicy_window(outbound_max_bytes(c));
}

size_t outbound_lowmark(const struct conn *c)
{
	return c->state == CONN_CLOSING ? 0 : window(c) / 2;
}

void outbound_account(struct conn *c)
{
	uint64_t now = outbound_pending(c);

	c->ob.pool->out_bytes += now - c->ob.accounted; /* mod 2^64 */
	c->ob.accounted = now;
}

/* Deferred cut-off of a slow consumer (never from inside the fan-out,
 * which may still hold this connection's subscriptions). */
static void cut_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_close(arg, "slow consumer: outbound queue full (disconnect)");
}

void outbound_init(struct conn *c)
{
	memset(&c->ob, 0, sizeof c->ob);
	outq_init(&c->ob.q);
	c->ob.reason = reason_full;
}

void outbound_free(struct conn *c)
{
	outq_free(&c->ob.q);
	if (c->ob.cut_ev)
		event_free(c->ob.cut_ev);
	c->ob.cut_ev = NULL;
	c->ob.pool->out_bytes -= c->ob.accounted;
	c->ob.accounted = 0;
}

void outbound_discard(struct conn *c)
{
	size_t n;

	if (outq_entries(&c->ob.q) == 0)
		return;
	/* the answers still go out, ahead of the closing ERR */
	n = outq_discard_msgs(&c->ob.q, transport_out(c->t));
	COUNT(c, dropped, n);
	COUNT(c, dropped_disconnect, n);
	c->b->stats.dropped += n;
	c->io.drops += n;
	outbound_account(c);
	if (transport_out_len(c->t) > 0)
		transport_flush_soon(c->t);
}

int outbound_send_ctl(struct conn *c, const uint8_t *frame, size_t len)
{
	struct evbuffer *out;

	if (len == 0)
		return -1;
	if (outq_entries(&c->ob.q) > 0) {
		if (outq_push_ctl(&c->ob.q, frame, len) != 0)
			return -1;
	} else if (!(out = transport_out(c->t)) ||
		   evbuffer_add(out, frame, len) != 0) {
		return -1;
	}
	outbound_account(c);
	transport_flush_soon(c->t);
	c->io.bytes_out += len;
	return 0;
}

size_t outbound_answers_pending(const struct conn *c)
{
	return transport_out_len(c->t) + (size_t)outq_ctl_bytes(&c->ob.q);
}

/* Count one dropped message; it is reported by the next NOTICE. */
static int drop(struct conn *c, size_t field, const char *why)
{
	/* Once per drop episode (it ends when the NOTICE goes out), so an
	 * operator can grep for it without a line per message. */
	if (c->ob.dropped_unreported == 0 && c->state != CONN_CLOSING)
		conn_log(c, LOG_LEVEL_NOTICE,
			 "slow consumer detected: %s "
			 "(%zu bytes pending), dropping messages",
			 why, outbound_pending(c));
	if (c->ob.dropped_unreported == 0 && c->state != CONN_CLOSING &&
	    !(c->pause & CONN_PAUSE_GONE))
		COUNT(c, slow_consumers, 1); /* the episode the log line says */
	outbound_count(c, field, 1);
	c->io.drops++;
	COUNT(c, dropped, 1);
	c->b->stats.dropped++;
	c->ob.dropped_unreported++;
	c->ob.reason = why;
	return 1;
}

#define DROP(c, f, why) drop((c), offsetof(struct bulk_counters, f), (why))

/* Disconnect policy: everything queued and the new message are lost; the
 * client gets ERR SERVER_BUSY after what is already in its output.  The
 * new message is counted (and the episode logged) before the queue is
 * discarded, so the log shows what was pending at the cut. */
static int cut_off(struct conn *c)
{
	size_t pending = outbound_pending(c);

	DROP(c, dropped_disconnect, reason_full);
	outbound_discard(c);
	COUNT(c, slow_disconnects, 1);
	conn_pause(c, CONN_PAUSE_CUT);
	conn_send_err(c, 0, PROTO_E_SERVER_BUSY, reason_full);
	if (!c->ob.cut_ev) /* made at the first cut-off only */
		c->ob.cut_ev = event_new(c->b->base, -1, 0, cut_cb, c);
	if (c->ob.cut_ev) {
		event_active(c->ob.cut_ev, EV_TIMEOUT, 1);
	} else { /* out of memory: free it without the flush */
		conn_pause(c, CONN_PAUSE_BROKEN);
		conn_free_later(c, 0);
	}
	conn_log(c, LOG_LEVEL_NOTICE,
		 "slow consumer cut off (policy "
		 "disconnect, %zu bytes pending)",
		 pending);
	return 1;
}

/* Half a frame may be queued: the stream is unusable.  Only schedule the
 * close (we may be inside a fan-out). */
static void broken(struct conn *c)
{
	conn_pause(c, CONN_PAUSE_BROKEN);
	transport_abandon(c->t);
	conn_free_later(c, 0);
}

static int write_direct(struct conn *c, const uint8_t *head, size_t hlen,
			struct msg_tail *tail)
{
	struct evbuffer *out = transport_out(c->t);
	int rc = out ? msg_tail_append_msg(tail, head, hlen, out) : -1;

	if (rc == -2)
		broken(c);
	if (rc != 0)
		return DROP(c, dropped_newest, "out of memory");
	transport_flush_soon(c->t);
	return 0;
}

/* Move queued messages into the output while it is under the window. */
static void pump(struct conn *c)
{
	struct evbuffer *out;

	if (outq_entries(&c->ob.q) == 0 || !(out = transport_out(c->t)))
		return;
	if (outq_pump(&c->ob.q, out, window(c)) < 0)
		broken(c);
	else if (transport_out_len(c->t) > 0)
		transport_flush_soon(c->t);
}

static int enqueue(struct conn *c, const uint8_t *head, size_t hlen,
		   struct msg_tail **tailp)
{
	if (outq_push(&c->ob.q, head, hlen, *tailp, max_msgs(c)) != 0)
		return DROP(c, dropped_newest, "out of memory");
	pump(c);
	return 0;
}

/* What obpolicy.h decides on: c's limits and what waits for it now. */
static inline void policy_input(const struct conn *c, struct ob_limits *lim,
				struct ob_load *ld)
{
	const struct pool *p = c->ob.pool;

	lim->max_bytes = outbound_max_bytes(c);
	lim->max_msgs = max_msgs(c);
	lim->policy = (uint8_t)policy(c);
	lim->budget_left = p->out_bytes < p->lim.max_outbound_total
				   ? p->lim.max_outbound_total - p->out_bytes
				   : 0;
	ld->out_len = transport_out_len(c->t);
	ld->q_bytes = outq_bytes(&c->ob.q);
	ld->q_len = outq_len(&c->ob.q);
}

/* Ask the policy, dropping the oldest queued messages as long as it says
 * so (drop-oldest makes room for the new message). */
static enum ob_verdict decide(struct conn *c, uint64_t cost, int *hold)
{
	struct ob_limits lim;
	struct ob_load ld;
	enum ob_verdict v;
	int dropped = 0;

	policy_input(c, &lim, &ld);
	if (lim.policy == PROTO_POLICY_BLOCK)
		*hold = obpolicy_hold(&lim, &ld, cost);
	while ((v = obpolicy_decide(&lim, &ld, cost)) == OB_DROP_OLDEST &&
	       outq_drop_oldest(&c->ob.q)) {
		DROP(c, dropped_oldest, reason_full);
		ld.q_bytes = outq_bytes(&c->ob.q);
		ld.q_len = outq_len(&c->ob.q);
		dropped = 1;
	}
	if (dropped)
		outbound_account(c);
	return v == OB_DROP_OLDEST ? OB_DROP_NEW : v;
}

/* Send the pending NOTICE DROPPED where the loss is in the stream.
 * Newest (and budget) drops lost messages after everything queued, so
 * the NOTICE goes in order, behind the queue (c->ob.gap: before any MSG
 * accepted since).  drop-oldest lost the oldest queued ones, just after
 * what is already in the output: the NOTICE goes straight there. */
static void report_dropped(struct conn *c)
{
	uint8_t buf[64 + PROTO_MAX_REASON];
	size_t n = proto_enc_notice(buf, sizeof buf, PROTO_NOTICE_DROPPED,
				    c->ob.dropped_unreported,
				    proto_cstr(c->ob.reason));
	struct evbuffer *out;
	int rc;

	if (c->ob.gap) {
		rc = outbound_send_ctl(c, buf, n);
	} else {
		out = transport_out(c->t);
		rc = out && n > 0 ? evbuffer_add(out, buf, n) : -1;
		if (rc == 0) {
			transport_flush_soon(c->t);
			c->io.bytes_out += n; /* as outbound_send_ctl does */
		}
	}
	if (rc == 0) {
		COUNT(c, notices_dropped, 1);
		conn_log(c, LOG_LEVEL_INFO,
			 "dropped %llu messages (%s), "
			 "notified",
			 (unsigned long long)c->ob.dropped_unreported,
			 c->ob.reason);
		c->ob.dropped_unreported = 0;
		c->ob.gap = 0;
	}
}

int conn_send_msg(struct conn *c, const uint8_t *head, size_t hlen,
		  struct msg_tail **tailp)
{
	uint64_t bytes = hlen + (*tailp)->len, cost = outq_cost(bytes);
	enum ob_verdict v;
	int rc, hold = 0;

	if (c->state == CONN_CLOSING || (c->pause & CONN_PAUSE_GONE))
		return DROP(c, dropped_disconnect, "connection closing");
	v = decide(c, cost, &hold);
	if (c->ob.gap && (v == OB_DIRECT || v == OB_QUEUE)) {
		report_dropped(c); /* it marks the gap, before this MSG */
		if (v == OB_DIRECT && outq_entries(&c->ob.q) > 0)
			v = OB_QUEUE;
	}
	switch (v) {
	case OB_DIRECT:
		rc = write_direct(c, head, hlen, *tailp);
		break;
	case OB_QUEUE:
		rc = enqueue(c, head, hlen, tailp);
		break;
	case OB_CUT:
		return cut_off(c);
	case OB_DROP_BUDGET:
		c->ob.gap = 1;
		return DROP(c, dropped_budget, reason_budget);
	default:
		c->ob.gap = 1;
		return DROP(c, dropped_newest, reason_full);
	}
	outbound_account(c);
	if (rc == 0) {
		COUNT(c, delivered, 1);
		c->b->stats.delivered++;
		c->io.msgs_out++;
		c->io.bytes_out += bytes;
		if (qdelay_due(&c->b->qdelay))
			qdelay_start(&c->b->qdelay, c->b->base, c,
				     c->io.bytes_out);
		if (hold)
			flowhold_note(c);
	}
	return rc;
}

int outbound_block_resume(const struct conn *c)
{
	struct ob_limits lim;
	struct ob_load ld;

	policy_input(c, &lim, &ld);
	return obpolicy_resume(&lim, &ld);
}

void outbound_drained(struct conn *c)
{
	if (c->pause & CONN_PAUSE_GONE)
		return;
	if (c->ob.dropped_unreported > 0)
		report_dropped(c);
	pump(c);
	outbound_account(c);
}

/* A SUB asked for block where its pool does not allow it: say so before
 * its OK (NOTICE POLICY, count = the policy applied instead). */
static void refuse_block(struct conn *c)
{
	uint8_t buf[64 + PROTO_MAX_REASON];
	char why[128];

	snprintf(why, sizeof why,
		 "block not allowed in pool '%s': "
		 "drop-newest",
		 c->ob.pool->lim.name);
	if (conn_send_frame(c, buf,
			    proto_enc_notice(buf, sizeof buf,
					     PROTO_NOTICE_POLICY,
					     PROTO_POLICY_DROP_NEWEST,
					     proto_cstr(why))) == 0)
		COUNT(c, notices_policy, 1);
}

void outbound_sub_opts(struct conn *c, const struct proto_sub_opts *o)
{
	if (o->policy == PROTO_POLICY_BLOCK && !c->ob.pool->lim.allow_block) {
		refuse_block(c);
		c->ob.req_policy = PROTO_POLICY_DROP_NEWEST;
	} else if (o->policy != PROTO_POLICY_NONE) {
		c->ob.req_policy = o->policy;
	}
	if (o->stall_policy != PROTO_POLICY_NONE)
		c->ob.req_stall_policy = o->stall_policy;
	if (o->max_bytes &&
	    (!c->ob.req_max_bytes || o->max_bytes < c->ob.req_max_bytes))
		c->ob.req_max_bytes = o->max_bytes < 1024 ? 1024 : o->max_bytes;
	if (o->max_msgs &&
	    (!c->ob.req_max_msgs || o->max_msgs < c->ob.req_max_msgs))
		c->ob.req_max_msgs = o->max_msgs > UINT32_MAX
					     ? UINT32_MAX
					     : (uint32_t)o->max_msgs;
}
