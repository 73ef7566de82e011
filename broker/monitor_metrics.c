/* monitor_metrics.c - see monitor_metrics.h. */
#include "config.h"

#include "monitor_metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "auth.h"
#include "broker.h"
#include "conn.h"
#include "pool.h"
#include "router.h"
#include "stats.h"
#ifdef HAVE_NATS
#include "engine.h"
#endif

/* Upper bounds of the per-subscriber pending-bytes histogram: from idle
 * through the output window (512 KiB) to the default bound (8 MiB). */
static const uint64_t pending_le[] = {
	0, 1024, 16384, 65536, 262144, 1048576, 4194304, 8388608, 67108864,
};
#define NPENDING_LE (sizeof pending_le / sizeof pending_le[0])

/* A counter read out of struct bulk_counters, with its metric name. */
struct bulk_metric {
	const char *name, *type, *help, *label; /* label: "" or reason="x" */
	size_t off;
	int pool_only; /* the total is a broker_families metric */
};

#define BULK(n, t, h, l, f)                                      \
	{                                                        \
		n, t, h, l, offsetof(struct bulk_counters, f), 0 \
	}
#define POOL_ONLY(n, t, h, l, f)                                 \
	{                                                        \
		n, t, h, l, offsetof(struct bulk_counters, f), 1 \
	}

/* Rows with the same name are one family: keep them adjacent. */
static const struct bulk_metric bulk_metrics[] = {
	BULK("messages_out_total", "counter", "MSGs queued to subscribers.", "",
	     delivered),
	BULK("dropped_total", "counter", "MSGs dropped, by reason.",
	     "reason=\"oldest\"", dropped_oldest),
	BULK("dropped_total", "counter", "", "reason=\"newest\"",
	     dropped_newest),
	BULK("dropped_total", "counter", "", "reason=\"budget\"",
	     dropped_budget),
	BULK("dropped_total", "counter", "", "reason=\"disconnect\"",
	     dropped_disconnect),
	BULK("slow_consumer_disconnects_total", "counter",
	     "Slow consumers cut off by the disconnect policy.", "",
	     slow_disconnects),
	BULK("connections_refused_total", "counter",
	     "Connections refused or closed at admission, by reason.",
	     "reason=\"pool_full\"", refused_full),
	BULK("connections_refused_total", "counter", "", "reason=\"per_addr\"",
	     refused_addr),
	BULK("connections_refused_total", "counter", "", "reason=\"evicted\"",
	     evicted),
	BULK("frame_timeouts_total", "counter",
	     "Connections cut off for a partial frame sent too slowly.", "",
	     frame_timeouts),
	BULK("read_pauses_total", "counter", "Publishers paused, by reason.",
	     "reason=\"rate\"", rate_pauses),
	BULK("read_pauses_total", "counter", "", "reason=\"budget\"",
	     budget_pauses),
	BULK("read_pauses_total", "counter", "", "reason=\"block\"",
	     block_pauses),
	POOL_ONLY("messages_in_total", "counter",
		  "PUBs from the pool's clients accepted and routed.", "",
		  msgs_in),
	BULK("bytes_in_total", "counter",
	     "Frame bytes received from clients (length prefixes included).",
	     "", bytes_in),
	BULK("bytes_out_total", "counter",
	     "Frame bytes queued to clients (MSGs and answers).", "",
	     bytes_out),
	BULK("slow_consumers_total", "counter",
	     "Slow-consumer episodes: a subscriber began dropping, was cut "
	     "off, or began pausing its publishers (block).",
	     "", slow_consumers),
	BULK("block_stalls_total", "counter",
	     "Block subscribers found stalled (no write progress for "
	     "stall_timeout).",
	     "", block_stalls),
	BULK("notices_sent_total", "counter", "NOTICE frames sent, by kind.",
	     "kind=\"dropped\"", notices_dropped),
	BULK("notices_sent_total", "counter", "", "kind=\"lame_duck\"",
	     notices_lame_duck),
	BULK("notices_sent_total", "counter", "", "kind=\"policy\"",
	     notices_policy),
};
#define NBULK (sizeof bulk_metrics / sizeof bulk_metrics[0])

/* A line (or a label set) built without printf: a scrape writes a few
 * hundred of them, and vsnprintf is most of its cost.  Text past the
 * buffer is cut (names, labels and help texts are far shorter). */
struct line {
	size_t n;
	char b[512];
};

static void put(struct line *l, const char *s)
{
	size_t k = strlen(s);

	if (k > sizeof l->b - l->n)
		k = sizeof l->b - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void put_u64(struct line *l, unsigned long long v)
{
	char t[24];
	size_t i = sizeof t - 1;

	t[i] = 0;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(l, t + i);
}

/* l as a NUL-terminated string (the last byte is given up if full). */
static const char *line_str(struct line *l)
{
	l->b[l->n < sizeof l->b ? l->n : sizeof l->b - 1] = 0;
	return l->b;
}

static int head(struct evbuffer *o, const char *name, const char *type,
		const char *help)
{
	struct line l = { 0, { 0 } };

	put(&l, "# HELP brokerd_");
	put(&l, name);
	put(&l, " ");
	put(&l, help);
	put(&l, "\n# TYPE brokerd_");
	put(&l, name);
	put(&l, " ");
	put(&l, type);
	put(&l, "\n");
	return evbuffer_add(o, l.b, l.n);
}

/* One sample: labels "" or a,b pairs without braces. */
static int sample(struct evbuffer *o, const char *name, const char *labels,
		  unsigned long long v)
{
	struct line l = { 0, { 0 } };

	put(&l, "brokerd_");
	put(&l, name);
	if (labels[0]) {
		put(&l, "{");
		put(&l, labels);
		put(&l, "}");
	}
	put(&l, " ");
	put_u64(&l, v);
	put(&l, "\n");
	return evbuffer_add(o, l.b, l.n);
}

/* The label set pool="NAME"[,extra] (extra "" or pairs). */
static const char *pool_label(struct line *l, const char *pool,
			      const char *extra)
{
	l->n = 0;
	put(l, "pool=\"");
	put(l, pool);
	put(l, "\"");
	if (extra[0]) {
		put(l, ",");
		put(l, extra);
	}
	return line_str(l);
}

static uint64_t bulk_value(const struct bulk_counters *c, size_t off)
{
	return *(const uint64_t *)(const void *)((const char *)c + off);
}

static void add_io(struct bulk_counters *to, const struct conn_io *io)
{
	to->msgs_in += io->msgs_in;
	to->bytes_in += io->bytes_in;
	to->bytes_out += io->bytes_out;
}

void monitor_counters(const struct broker *b, struct bulk_counters *tot,
		      struct bulk_counters *pools)
{
	const struct pools *ps = b->pools;
	const struct conn *c;

	*tot = b->stats.bulk;
	for (size_t k = 0; k < ps->n; k++)
		pools[k] = ps->v[k]->st;
	TAILQ_FOREACH(c, &b->conns, link)
	{
		size_t k = 0;

		while (k < ps->n && ps->v[k] != c->ob.pool)
			k++;
		if (k < ps->n)
			add_io(&pools[k], &c->io);
		add_io(tot, &c->io);
	}
}

/* The bulk counters: totals unlabelled, then brokerd_pool_* per pool. */
static int bulk_families(const struct broker *b, struct evbuffer *o)
{
	const struct pools *ps = b->pools;
	struct bulk_counters tot, pc[POOLS_MAX];
	struct line lab;
	char name[96];
	int rc = 0;

	monitor_counters(b, &tot, pc);
	for (size_t i = 0; i < NBULK; i++) {
		const struct bulk_metric *m = &bulk_metrics[i];

		if (m->pool_only)
			continue;
		if (m->help[0])
			rc |= head(o, m->name, m->type, m->help);
		rc |= sample(o, m->name, m->label, bulk_value(&tot, m->off));
	}
	for (size_t i = 0; i < NBULK; i++) {
		const struct bulk_metric *m = &bulk_metrics[i];

		snprintf(name, sizeof name, "pool_%s", m->name);
		if (m->help[0])
			rc |= head(o, name, m->type, m->help);
		for (size_t k = 0; k < ps->n; k++) {
			rc |= sample(
				o, name,
				pool_label(&lab, ps->v[k]->lim.name, m->label),
				bulk_value(&pc[k], m->off));
		}
	}
	return rc;
}

/* Per pool gauges: connections and pending outbound bytes. */
static int pool_gauges(const struct broker *b, struct evbuffer *o)
{
	const struct pools *ps = b->pools;
	struct line lab;
	int rc = head(o, "pool_connections", "gauge",
		      "Connections admitted to the pool now.");

	for (size_t k = 0; k < ps->n; k++)
		rc |= sample(o, "pool_connections",
			     pool_label(&lab, ps->v[k]->lim.name, ""),
			     ps->v[k]->nconns);
	rc |= head(o, "pool_pending_bytes", "gauge",
		   "Outbound bytes waiting for the pool's clients now.");
	for (size_t k = 0; k < ps->n; k++)
		rc |= sample(o, "pool_pending_bytes",
			     pool_label(&lab, ps->v[k]->lim.name, ""),
			     ps->v[k]->out_bytes);
	return rc;
}

/* Walk the connections once, at scrape time: the message path keeps no
 * histogram. */
static int pending_histogram(const struct broker *b, struct evbuffer *o)
{
	uint64_t counts[NPENDING_LE + 1] = { 0 }, sum = 0, cum = 0;
	const struct conn *c;
	struct line lab;
	int rc;

	TAILQ_FOREACH(c, &b->conns, link)
	{
		size_t i = 0, p;

		if (subs_count(&c->subs) == 0)
			continue;
		p = conn_out_pending(c);
		while (i < NPENDING_LE && p > pending_le[i])
			i++;
		counts[i]++;
		sum += p;
	}
	rc = head(o, "subscriber_pending_bytes", "histogram",
		  "Bytes waiting per subscribing connection, at scrape time.");
	for (size_t i = 0; i <= NPENDING_LE; i++) {
		cum += counts[i];
		lab.n = 0;
		put(&lab, "le=\"");
		if (i < NPENDING_LE)
			put_u64(&lab, pending_le[i]);
		else
			put(&lab, "+Inf");
		put(&lab, "\"");
		rc |= sample(o, "subscriber_pending_bytes_bucket",
			     line_str(&lab), cum);
	}
	rc |= sample(o, "subscriber_pending_bytes_sum", "", sum);
	rc |= sample(o, "subscriber_pending_bytes_count", "", cum);
	return rc;
}

/* The sampled queueing delay (qdelay.h). */
static int delay_histogram(const struct broker *b, struct evbuffer *o)
{
	const struct qdelay *q = &b->qdelay;
	struct line lab;
	uint64_t cum = 0;
	int rc = head(o, "queue_delay_seconds", "histogram",
		      "Time from routing a MSG to writing it to the "
		      "subscriber's socket, sampled (one MSG at a time).");

	for (size_t i = 0; i <= QDELAY_NBUCKETS; i++) {
		cum += q->counts[i];
		lab.n = 0;
		put(&lab, "le=\"");
		put(&lab, qdelay_le(i));
		put(&lab, "\"");
		rc |= sample(o, "queue_delay_seconds_bucket", line_str(&lab),
			     cum);
	}
	rc |= evbuffer_add_printf(o, "brokerd_queue_delay_seconds_sum %.6f\n",
				  (double)q->sum_us / 1e6) < 0;
	rc |= sample(o, "queue_delay_seconds_count", "", q->samples);
	return rc;
}

static int broker_families(const struct broker *b, double uptime_s,
			   struct evbuffer *o)
{
	const struct broker_stats *s = &b->stats;
	uint64_t pending = 0;
	int rc = 0;

	for (size_t k = 0; k < b->pools->n; k++)
		pending += b->pools->v[k]->out_bytes;
	rc |= head(o, "uptime_seconds", "gauge", "Seconds since start.");
	rc |= evbuffer_add_printf(o, "brokerd_uptime_seconds %.3f\n",
				  uptime_s) < 0;
	rc |= head(o, "connections", "gauge", "Client connections open now.");
	rc |= sample(o, "connections", "", b->nconns);
	rc |= head(o, "connections_accepted_total", "counter",
		   "Client connections accepted.");
	rc |= sample(o, "connections_accepted_total", "", s->connections);
	rc |= head(o, "subscriptions", "gauge", "Subscriptions now.");
	rc |= sample(o, "subscriptions", "", router_count(b->router));
	rc |= head(o, "messages_in_total", "counter",
		   "PUBs accepted and routed.");
	rc |= sample(o, "messages_in_total", "", s->published);
	rc |= head(o, "payload_in_bytes_total", "counter",
		   "Payload bytes of the PUBs routed.");
	rc |= sample(o, "payload_in_bytes_total", "", s->payload_in);
	rc |= head(o, "payload_out_bytes_total", "counter",
		   "Payload bytes of the MSGs queued to subscribers.");
	rc |= sample(o, "payload_out_bytes_total", "", s->payload_out);
	rc |= head(o, "errors_sent_total", "counter", "ERR frames sent.");
	rc |= sample(o, "errors_sent_total", "", s->errors_sent);
	rc |= head(o, "forbidden_total", "counter",
		   "PUBs and SUBs refused by the users' rules.");
	rc |= sample(o, "forbidden_total", "", s->forbidden);
	rc |= head(o, "subscriptions_revoked_total", "counter",
		   "Subscriptions removed because reloaded rules deny them.");
	rc |= sample(o, "subscriptions_revoked_total", "", s->revoked);
	rc |= head(o, "pending_bytes", "gauge",
		   "Outbound bytes waiting for all clients now.");
	rc |= sample(o, "pending_bytes", "", pending);
	return rc;
}

/* Logins and password checks, with a users file. */
static int auth_families(const struct broker *b, struct evbuffer *o)
{
	const struct auth *a = b->auth;
	int rc;

	if (!a || !a->users)
		return 0;
	rc = head(o, "logins_total", "counter",
		  "HELLOs with a users file in force, by result.");
	rc |= sample(o, "logins_total", "result=\"ok\"", a->ok);
	rc |= sample(o, "logins_total", "result=\"failed\"", a->failed);
	rc |= sample(o, "logins_total", "result=\"busy\"", a->busy);
	rc |= head(o, "password_checks_total", "counter",
		   "Passwords checked, by how: hashed (crypt ran), cached (the "
		   "user's last verified password), shared (answered by the "
		   "same check in flight).");
	rc |= sample(o, "password_checks_total", "how=\"hashed\"", a->hashed);
	rc |= sample(o, "password_checks_total", "how=\"cached\"", a->cached);
	rc |= sample(o, "password_checks_total", "how=\"shared\"", a->shared);
	return rc;
}

#ifdef HAVE_NATS
struct engine_metric {
	const char *name, *help;
	size_t off; /* in struct engine_stats, a uint64_t */
};

#define EM(f, help)                                                           \
	{                                                                     \
		"engine_" #f "_total", help, offsetof(struct engine_stats, f) \
	}
static const struct engine_metric engine_metrics[] = {
	EM(forwarded, "Local publishes handed to the engine."),
	EM(dropped_breaker, "Engine-bound messages dropped: breaker open."),
	EM(dropped_out, "Engine-bound messages dropped: link queue full."),
	EM(publish_failed, "Engine-bound messages libnats refused."),
	EM(received, "Messages from the engine routed here."),
	EM(dropped_in, "Messages from the engine dropped: queue full."),
	EM(delivered, "Local copies of messages from the engine."),
	EM(dropped_invalid, "Messages from the engine refused as invalid."),
	EM(reconnects, "Engine connections re-established."),
	EM(disconnects, "Engine connections lost."),
	EM(breaker_opened, "Times the engine breaker opened."),
};

/* The federation's families (engine.h), when federated. */
static int engine_families(const struct broker *b, struct evbuffer *o)
{
	struct engine_stats st;
	int rc = 0;

	if (!b->engine)
		return 0;
	engine_stats(b->engine, &st);
	for (size_t i = 0; i < sizeof engine_metrics / sizeof *engine_metrics;
	     i++) {
		const struct engine_metric *m = &engine_metrics[i];
		uint64_t v;

		memcpy(&v, (const char *)&st + m->off, sizeof v);
		rc |= head(o, m->name, "counter", m->help);
		rc |= sample(o, m->name, "", v);
	}
	rc |= head(o, "engine_up", "gauge", "1 when the engine link is up.");
	rc |= sample(o, "engine_up", "", (uint64_t)st.up);
	rc |= head(o, "engine_breaker_open", "gauge",
		   "1 while the engine breaker refuses messages.");
	rc |= sample(o, "engine_breaker_open", "",
		     (uint64_t)(strcmp(st.breaker, "closed") != 0));
	rc |= head(o, "engine_interests", "gauge",
		   "Upstream subscriptions held.");
	rc |= sample(o, "engine_interests", "", st.interests);
	return rc;
}
#endif

int monitor_metrics(const struct broker *b, double uptime_s,
		    struct evbuffer *out)
{
	int rc = broker_families(b, uptime_s, out);

	rc |= auth_families(b, out);
#ifdef HAVE_NATS
	rc |= engine_families(b, out);
#endif
	rc |= bulk_families(b, out);
	rc |= pool_gauges(b, out);
	rc |= pending_histogram(b, out);
	rc |= delay_histogram(b, out);
	return rc ? -1 : 0;
}
