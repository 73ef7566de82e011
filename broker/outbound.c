/* outbound.c - see outbound.h. */
#include "config.h"

#include "outbound.h"

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
	if (c->ob.pool)
		*counter(&c->ob.pool->st, field) += n;
}

#define COUNT(c, f, n) OUTBOUND_COUNT(c, f, n)

size_t outbound_pending(const struct conn *c)
{
	return transport_out_len(c->t) + (size_t)outq_bytes(&c->ob.q);
}

uint64_t outbound_max_bytes(const struct conn *c)
{
	uint64_t max = c->ob.pool ? c->ob.pool->lim.max_outbound
				  : c->b->conf.max_outbound;

	if (c->ob.req_max_bytes && c->ob.req_max_bytes < max)
		max = c->ob.req_max_bytes;
	return max;
}

static uint64_t max_msgs(const struct conn *c)
{
	uint64_t max = c->ob.pool ? c->ob.pool->lim.max_outbound_msgs : 100000;

	if (c->ob.req_max_msgs && c->ob.req_max_msgs < max)
		max = c->ob.req_max_msgs;
	return max;
}

static enum proto_policy policy(const struct conn *c)
{
	if (c->ob.req_policy != PROTO_POLICY_NONE)
		return (enum proto_policy)c->ob.req_policy;
	return c->ob.pool ? (enum proto_policy)c->ob.pool->lim.policy
			  : PROTO_POLICY_DROP_NEWEST;
}

static size_t window(const struct conn *c)
{
	uint64_t half = outbound_max_bytes(c) / 2;

	return half < OUTBOUND_WINDOW ? (size_t)half : OUTBOUND_WINDOW;
}

size_t outbound_lowmark(const struct conn *c)
{
	return c->state == CONN_CLOSING ? 0 : window(c) / 2;
}

void outbound_account(struct conn *c)
{
	uint64_t now = outbound_pending(c);

	if (!c->ob.pool)
		return;
	c->ob.pool->out_bytes += now - c->ob.accounted;  /* mod 2^64 */
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
	if (c->ob.pool)
		c->ob.pool->out_bytes -= c->ob.accounted;
	c->ob.accounted = 0;
}

void outbound_discard(struct conn *c)
{
	size_t n = outq_len(&c->ob.q);

	if (n > 0) {
		COUNT(c, dropped, n);
		COUNT(c, dropped_disconnect, n);
		c->b->stats.dropped += n;
		outq_free(&c->ob.q);
		outbound_account(c);
	}
}

/* Count one dropped message; it is reported by the next NOTICE. */
static int drop(struct conn *c, size_t field, const char *why)
{
	/* Once per drop episode (it ends when the NOTICE goes out), so an
	 * operator can grep for it without a line per message. */
	if (c->ob.dropped_unreported == 0 && c->state != CONN_CLOSING)
		conn_log(c, LOG_LEVEL_NOTICE, "slow consumer detected: %s "
			 "(%zu bytes pending), dropping messages", why,
			 outbound_pending(c));
	outbound_count(c, field, 1);
	COUNT(c, dropped, 1);
	c->b->stats.dropped++;
	c->ob.dropped_unreported++;
	c->ob.reason = why;
	return 1;
}

#define DROP(c, f, why) drop((c), offsetof(struct bulk_counters, f), (why))

/* Would a message costing `cost` go over c's bounds? */
static int over(const struct conn *c, uint64_t cost)
{
	uint64_t pending = outbound_pending(c);

	return (pending > 0 && pending + cost > outbound_max_bytes(c)) ||
	       outq_len(&c->ob.q) >= max_msgs(c);
}

/* Disconnect policy: everything queued and the new message are lost; the
 * client gets ERR SERVER_BUSY after what is already in its output. */
static int cut_off(struct conn *c)
{
	outbound_discard(c);
	DROP(c, dropped_disconnect, reason_full);
	COUNT(c, slow_disconnects, 1);
	c->ob.cut = 1;
	transport_read(c->t, 0);
	conn_send_err(c, 0, PROTO_E_SERVER_BUSY, reason_full);
	if (!c->ob.cut_ev)     /* made at the first cut-off only */
		c->ob.cut_ev = event_new(c->b->base, -1, 0, cut_cb, c);
	if (c->ob.cut_ev) {
		event_active(c->ob.cut_ev, EV_TIMEOUT, 1);
	} else {               /* out of memory: free it without the flush */
		c->broken = 1;
		conn_free_later(c, 0);
	}
	conn_log(c, LOG_LEVEL_NOTICE, "slow consumer cut off (policy "
		 "disconnect)");
	return 1;
}

/* Apply the bound and the policy.  0: the message may be queued; 1:
 * it was dropped (or the connection cut off). */
static int make_room(struct conn *c, uint64_t cost)
{
	if (!over(c, cost))
		return 0;
	switch (policy(c)) {
	case PROTO_POLICY_DISCONNECT:
		return cut_off(c);
	case PROTO_POLICY_DROP_OLDEST:
		while (over(c, cost) && outq_drop_oldest(&c->ob.q))
			DROP(c, dropped_oldest, reason_full);
		outbound_account(c);
		/* still over: the output alone is at the bound */
		return over(c, cost) ? DROP(c, dropped_newest, reason_full)
				     : 0;
	default:
		return DROP(c, dropped_newest, reason_full);
	}
}

/* Half a frame may be queued: the stream is unusable.  Only schedule the
 * close (we may be inside a fan-out). */
static void broken(struct conn *c)
{
	c->broken = 1;
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

	if (outq_len(&c->ob.q) == 0 || !(out = transport_out(c->t)))
		return;
	if (outq_pump(&c->ob.q, out, window(c)) < 0)
		broken(c);
	else if (transport_out_len(c->t) > 0)
		transport_flush_soon(c->t);
}

static int enqueue(struct conn *c, const uint8_t *head, size_t hlen,
		   struct msg_tail **tailp)
{
	if (!(*tailp)->on_heap) {
		struct msg_tail *h = msg_tail_to_heap(*tailp);
		if (!h)
			return DROP(c, dropped_newest, "out of memory");
		*tailp = h;
	}
	(*tailp)->refs++;
	if (outq_push(&c->ob.q, head, hlen, *tailp, max_msgs(c)) != 0) {
		(*tailp)->refs--;
		return DROP(c, dropped_newest, "out of memory");
	}
	pump(c);
	return 0;
}

/* The common case, decided from one look at the output (olen bytes):
 * nothing queued, under the window, within the bound (over() is false),
 * and the pool's budget not in question.  Then the message goes straight
 * into the output, exactly as the general path would send it. */
static int direct_ok(const struct conn *c, uint64_t cost, size_t olen)
{
	const struct pool *p = c->ob.pool;
	uint64_t maxb = outbound_max_bytes(c), half = maxb / 2;

	if (outq_len(&c->ob.q) != 0 || max_msgs(c) == 0 ||
	    olen >= (half < OUTBOUND_WINDOW ? half : OUTBOUND_WINDOW))
		return 0;
	if (olen > 0 && olen + cost > maxb)
		return 0;
	return !p || olen == 0 ||
	       p->out_bytes + cost <= p->lim.max_outbound_total;
}

int conn_send_msg(struct conn *c, const uint8_t *head, size_t hlen,
		  struct msg_tail **tailp)
{
	uint64_t cost = outq_cost(hlen + (*tailp)->len);
	struct pool *p = c->ob.pool;
	int rc;

	if (c->state == CONN_CLOSING || c->broken || c->ob.cut)
		return DROP(c, dropped_disconnect, "connection closing");
	if (direct_ok(c, cost, transport_out_len(c->t))) {
		rc = write_direct(c, head, hlen, *tailp);
		outbound_account(c);
		if (rc == 0) {
			COUNT(c, delivered, 1);
			c->b->stats.delivered++;
		}
		return rc;
	}
	if (make_room(c, cost))
		return 1;
	if (p && outbound_pending(c) > 0 &&
	    p->out_bytes + cost > p->lim.max_outbound_total)
		return DROP(c, dropped_budget, reason_budget);
	if (outq_len(&c->ob.q) == 0 &&
	    transport_out_len(c->t) < window(c))
		rc = write_direct(c, head, hlen, *tailp);
	else
		rc = enqueue(c, head, hlen, tailp);
	outbound_account(c);
	if (rc == 0) {
		COUNT(c, delivered, 1);
		c->b->stats.delivered++;
	}
	return rc;
}

/* Send the pending NOTICE DROPPED, if any. */
static void report_dropped(struct conn *c)
{
	uint8_t buf[64 + PROTO_MAX_REASON];
	size_t n = proto_enc_notice(buf, sizeof buf, PROTO_NOTICE_DROPPED,
				    c->ob.dropped_unreported,
				    proto_cstr(c->ob.reason));

	if (conn_send_frame(c, buf, n) == 0) {
		conn_log(c, LOG_LEVEL_INFO, "dropped %llu messages (%s), "
			 "notified", (unsigned long long)c->ob.dropped_unreported,
			 c->ob.reason);
		c->ob.dropped_unreported = 0;
	}
}

void outbound_drained(struct conn *c)
{
	if (c->broken || c->ob.cut)
		return;
	if (c->ob.dropped_unreported > 0)
		report_dropped(c);
	pump(c);
	outbound_account(c);
}

void outbound_sub_opts(struct conn *c, const struct proto_sub_opts *o)
{
	if (o->policy != PROTO_POLICY_NONE)
		c->ob.req_policy = o->policy;
	if (o->max_bytes && (!c->ob.req_max_bytes ||
			     o->max_bytes < c->ob.req_max_bytes))
		c->ob.req_max_bytes = o->max_bytes < 1024 ? 1024 : o->max_bytes;
	if (o->max_msgs && (!c->ob.req_max_msgs ||
			    o->max_msgs < c->ob.req_max_msgs))
		c->ob.req_max_msgs = o->max_msgs > UINT32_MAX
					     ? UINT32_MAX
					     : (uint32_t)o->max_msgs;
}
