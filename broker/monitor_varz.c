/* monitor_varz.c - see monitor_varz.h. */
#include "config.h"

#include "monitor_varz.h"

#include <stddef.h>

#include <event2/buffer.h>

#include "broker.h"
#include "conn.h"
#include "monitor_json.h"
#include "monitor_metrics.h"
#include "pool.h"
#include "router.h"
#include "stats.h"

/* The top of the object: everything up to the totals (left open). */
static int head_json(const struct broker *b, const struct bulk_counters *tot,
		     double uptime_s, int64_t start_unix, struct evbuffer *out)
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
		       "\"errors_sent\":%llu,\"bytes_in\":%llu,"
		       "\"bytes_out\":%llu}",
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
		       (unsigned long long)s->errors_sent,
		       (unsigned long long)tot->bytes_in,
		       (unsigned long long)tot->bytes_out) < 0
		       ? -1
		       : 0;
}

/* "drops": {reason: count}, the reasons of brokerd_dropped_total. */
static int drops_json(const struct bulk_counters *c, struct evbuffer *o)
{
	return evbuffer_add_printf(
		       o,
		       ",\"drops\":{\"oldest\":%llu,\"newest\":%llu,"
		       "\"budget\":%llu,\"disconnect\":%llu}",
		       (unsigned long long)c->dropped_oldest,
		       (unsigned long long)c->dropped_newest,
		       (unsigned long long)c->dropped_budget,
		       (unsigned long long)c->dropped_disconnect) < 0
		       ? -1
		       : 0;
}

/* Subscriptions per pool (index in b->pools), one walk of the
 * connections. */
static void pool_subs(const struct broker *b, size_t *subs)
{
	const struct conn *c;

	TAILQ_FOREACH(c, &b->conns, link)
	{
		for (size_t k = 0; k < b->pools->n; k++)
			if (b->pools->v[k] == c->ob.pool) {
				subs[k] += subs_count(&c->subs);
				break;
			}
	}
}

static int pool_json(const struct pool *p, const struct bulk_counters *c,
		     size_t subs, struct evbuffer *o)
{
	int rc = evbuffer_add(o, "{\"name\":", 8);

	rc |= monitor_json_str(o, p->lim.name);
	rc |= evbuffer_add_printf(
		      o,
		      ",\"connections\":%zu,\"max_connections\":%u,"
		      "\"subscriptions\":%zu,\"queued_bytes\":%llu,"
		      "\"budget_bytes\":%llu,\"msgs_in\":%llu,"
		      "\"msgs_out\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
		      "\"drops\":%llu,\"retired\":%s}",
		      p->nconns, p->lim.max_connections, subs,
		      (unsigned long long)p->out_bytes,
		      (unsigned long long)p->lim.max_outbound_total,
		      (unsigned long long)c->msgs_in,
		      (unsigned long long)c->delivered,
		      (unsigned long long)c->bytes_in,
		      (unsigned long long)c->bytes_out,
		      (unsigned long long)c->dropped,
		      p->retired ? "true" : "false") < 0;
	return rc;
}

int monitor_varz(const struct broker *b, double uptime_s, int64_t start_unix,
		 struct evbuffer *out)
{
	struct bulk_counters tot, pc[POOLS_MAX];
	size_t subs[POOLS_MAX] = { 0 };
	int rc;

	monitor_counters(b, &tot, pc);
	rc = head_json(b, &tot, uptime_s, start_unix, out);
	rc |= drops_json(&tot, out);
	rc |= evbuffer_add(out, ",\"pools\":[", 10);
	pool_subs(b, subs);
	for (size_t k = 0; k < b->pools->n; k++) {
		if (k > 0)
			rc |= evbuffer_add(out, ",", 1);
		rc |= pool_json(b->pools->v[k], &pc[k], subs[k], out);
	}
	rc |= evbuffer_add(out, "]}\n", 3);
	return rc ? -1 : 0;
}
