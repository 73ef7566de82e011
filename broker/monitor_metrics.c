/* monitor_metrics.c - see monitor_metrics.h. */
#include "config.h"

#include "monitor_metrics.h"

#include <stddef.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "broker.h"
#include "conn.h"
#include "pool.h"
#include "router.h"
#include "stats.h"

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
};

#define BULK(n, t, h, l, f)                                   \
	{                                                     \
		n, t, h, l, offsetof(struct bulk_counters, f) \
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
};
#define NBULK (sizeof bulk_metrics / sizeof bulk_metrics[0])

static int head(struct evbuffer *o, const char *name, const char *type,
		const char *help)
{
	return evbuffer_add_printf(o,
				   "# HELP brokerd_%s %s\n"
				   "# TYPE brokerd_%s %s\n",
				   name, help, name, type) < 0
		       ? -1
		       : 0;
}

/* One sample: labels "" or a,b pairs without braces. */
static int sample(struct evbuffer *o, const char *name, const char *labels,
		  unsigned long long v)
{
	return evbuffer_add_printf(o, "brokerd_%s%s%s%s %llu\n", name,
				   labels[0] ? "{" : "", labels,
				   labels[0] ? "}" : "", v) < 0
		       ? -1
		       : 0;
}

static uint64_t bulk_value(const struct bulk_counters *c, size_t off)
{
	return *(const uint64_t *)(const void *)((const char *)c + off);
}

/* The bulk counters: totals unlabelled, then brokerd_pool_* per pool. */
static int bulk_families(const struct broker *b, struct evbuffer *o)
{
	const struct pools *ps = b->pools;
	char lab[160], name[96];
	int rc = 0;

	for (size_t i = 0; i < NBULK; i++) {
		const struct bulk_metric *m = &bulk_metrics[i];

		if (m->help[0])
			rc |= head(o, m->name, m->type, m->help);
		rc |= sample(o, m->name, m->label,
			     bulk_value(&b->stats.bulk, m->off));
	}
	for (size_t i = 0; i < NBULK; i++) {
		const struct bulk_metric *m = &bulk_metrics[i];

		snprintf(name, sizeof name, "pool_%s", m->name);
		if (m->help[0])
			rc |= head(o, name, m->type, m->help);
		for (size_t k = 0; k < ps->n; k++) {
			snprintf(lab, sizeof lab, "pool=\"%s\"%s%s",
				 ps->v[k]->lim.name, m->label[0] ? "," : "",
				 m->label);
			rc |= sample(o, name, lab,
				     bulk_value(&ps->v[k]->st, m->off));
		}
	}
	return rc;
}

/* Per pool gauges: connections and pending outbound bytes. */
static int pool_gauges(const struct broker *b, struct evbuffer *o)
{
	const struct pools *ps = b->pools;
	char lab[96];
	int rc = head(o, "pool_connections", "gauge",
		      "Connections admitted to the pool now.");

	for (size_t k = 0; k < ps->n; k++) {
		snprintf(lab, sizeof lab, "pool=\"%s\"", ps->v[k]->lim.name);
		rc |= sample(o, "pool_connections", lab, ps->v[k]->nconns);
	}
	rc |= head(o, "pool_pending_bytes", "gauge",
		   "Outbound bytes waiting for the pool's clients now.");
	for (size_t k = 0; k < ps->n; k++) {
		snprintf(lab, sizeof lab, "pool=\"%s\"", ps->v[k]->lim.name);
		rc |= sample(o, "pool_pending_bytes", lab, ps->v[k]->out_bytes);
	}
	return rc;
}

/* Walk the connections once, at scrape time: the message path keeps no
 * histogram. */
static int pending_histogram(const struct broker *b, struct evbuffer *o)
{
	uint64_t counts[NPENDING_LE + 1] = { 0 }, sum = 0, cum = 0;
	const struct conn *c;
	char lab[48];
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
		if (i < NPENDING_LE)
			snprintf(lab, sizeof lab, "le=\"%llu\"",
				 (unsigned long long)pending_le[i]);
		else
			snprintf(lab, sizeof lab, "le=\"+Inf\"");
		rc |= sample(o, "subscriber_pending_bytes_bucket", lab, cum);
	}
	rc |= sample(o, "subscriber_pending_bytes_sum", "", sum);
	rc |= sample(o, "subscriber_pending_bytes_count", "", cum);
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

int monitor_metrics(const struct broker *b, double uptime_s,
		    struct evbuffer *out)
{
	int rc = broker_families(b, uptime_s, out);

	rc |= bulk_families(b, out);
	rc |= pool_gauges(b, out);
	rc |= pending_histogram(b, out);
	return rc ? -1 : 0;
}

int monitor_varz(const struct broker *b, double uptime_s, int64_t start_unix,
		 struct evbuffer *out)
{
	const struct conf *c = &b->conf;
	const struct broker_stats *s = &b->stats;

	return evbuffer_add_printf(
		       out,
		       "{\"server\":\"brokerd\",\"version\":\"%s\","
		       "\"uptime_seconds\":%.3f,\"start_unix\":%lld,"
		       "\"serving\":%s,\"settings\":{\"max_payload\":%u,"
		       "\"max_clients\":%u,\"max_subs_per_client\":%u,"
		       "\"max_outbound\":%llu,\"handshake_timeout_ms\":%u,"
		       "\"ping_interval_ms\":%u,\"frame_timeout_ms\":%u,"
		       "\"max_conns_per_addr\":%u,\"sys_interval_ms\":%u,"
		       "\"drain_timeout_ms\":%u,\"listeners\":%u,\"pools\":%zu}"
		       ","
		       "\"totals\":{\"connections\":%zu,\"connections_"
		       "accepted\":%llu,"
		       "\"subscriptions\":%zu,\"messages_in\":%llu,"
		       "\"messages_out\":%llu,\"dropped\":%llu,"
		       "\"errors_sent\":%llu}}\n",
		       PACKAGE_VERSION, uptime_s, (long long)start_unix,
		       b->stopping || !b->listeners ? "false" : "true",
		       c->max_payload, c->max_clients, c->max_subs_per_client,
		       (unsigned long long)c->max_outbound,
		       c->handshake_timeout_ms, c->ping_interval_ms,
		       c->frame_timeout_ms, c->max_conns_per_addr,
		       c->sys_interval_ms, c->drain_timeout_ms,
		       c->nlisten ? c->nlisten : 1u, b->pools->n, b->nconns,
		       (unsigned long long)s->connections,
		       router_count(b->router),
		       (unsigned long long)s->published,
		       (unsigned long long)s->delivered,
		       (unsigned long long)s->dropped,
		       (unsigned long long)s->errors_sent) < 0
		       ? -1
		       : 0;
}
