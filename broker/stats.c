/* stats.c - see stats.h: the counters as JSON text. */
#include "config.h"

#include "stats.h"

#include <stdarg.h>
#include <stdio.h>

#include "broker.h"
#ifdef HAVE_NATS
#include "engine.h"
#endif
#include "pool.h"
#include "router.h"

/* A bounded text buffer that remembers overflow. */
struct jbuf {
	char *p;
	size_t cap, len;
	int overflow;
};

static void put(struct jbuf *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->p + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->cap - j->len)
		j->overflow = 1;
	else
		j->len += (size_t)n;
}

static void put_counters(struct jbuf *j, const struct bulk_counters *s)
{
	put(j,
	    "\"delivered\":%llu,\"dropped\":%llu,\"dropped_oldest\":%llu,"
	    "\"dropped_newest\":%llu,\"dropped_budget\":%llu,"
	    "\"dropped_disconnect\":%llu,\"slow_disconnects\":%llu,"
	    "\"refused_full\":%llu,\"refused_addr\":%llu,\"evicted\":%llu,"
	    "\"frame_timeouts\":%llu,\"rate_pauses\":%llu,"
	    "\"budget_pauses\":%llu,\"block_pauses\":%llu,"
	    "\"block_pause_ms\":%llu,\"block_stalls\":%llu",
	    (unsigned long long)s->delivered, (unsigned long long)s->dropped,
	    (unsigned long long)s->dropped_oldest,
	    (unsigned long long)s->dropped_newest,
	    (unsigned long long)s->dropped_budget,
	    (unsigned long long)s->dropped_disconnect,
	    (unsigned long long)s->slow_disconnects,
	    (unsigned long long)s->refused_full,
	    (unsigned long long)s->refused_addr, (unsigned long long)s->evicted,
	    (unsigned long long)s->frame_timeouts,
	    (unsigned long long)s->rate_pauses,
	    (unsigned long long)s->budget_pauses,
	    (unsigned long long)s->block_pauses,
	    (unsigned long long)s->block_pause_ms,
	    (unsigned long long)s->block_stalls);
}

static void put_broker(struct jbuf *j, const struct broker *b)
{
	const struct broker_stats *s = &b->stats;

	put(j,
	    "{\"published\":%llu,\"connections_total\":%llu,"
	    "\"connections\":%zu,\"subscriptions\":%zu,\"errors_sent\":%llu,",
	    (unsigned long long)s->published,
	    (unsigned long long)s->connections, b->nclients,
	    router_count(b->router), (unsigned long long)s->errors_sent);
	put(j, "\"forbidden\":%llu,\"revoked\":%llu,",
	    (unsigned long long)s->forbidden, (unsigned long long)s->revoked);
	put_counters(j, &s->bulk);
	put(j, "}");
}

/* Pool names are [A-Za-z0-9_-]: no JSON escaping needed. */
static void put_pool(struct jbuf *j, const struct pool *p)
{
	put(j,
	    "{\"name\":\"%s\",\"connections\":%zu,\"max_connections\":%u,"
	    "\"out_bytes\":%llu,\"max_outbound_total\":%llu,\"retired\":%s,",
	    p->lim.name, p->nconns, p->lim.max_connections,
	    (unsigned long long)p->out_bytes,
	    (unsigned long long)p->lim.max_outbound_total,
	    p->retired ? "true" : "false");
	put_counters(j, &p->st);
	put(j, "}");
}

/* ,"engine":{...} when federated (engine.h). */
static void put_engine(struct jbuf *j, const struct broker *b)
{
#ifdef HAVE_NATS
	struct engine_stats st;

	if (!b->engine)
		return;
	engine_stats(b->engine, &st);
	put(j,
	    ",\"engine\":{\"up\":%s,\"breaker\":\"%s\",\"server\":\"%s\","
	    "\"forwarded\":%llu,\"dropped_breaker\":%llu,"
	    "\"dropped_out\":%llu,\"publish_failed\":%llu,"
	    "\"received\":%llu,\"dropped_in\":%llu,\"delivered\":%llu,"
	    "\"dropped_invalid\":%llu,"
	    "\"reconnects\":%llu,\"disconnects\":%llu,"
	    "\"breaker_opened\":%llu,\"sub_failed\":%llu,"
	    "\"interests\":%zu}",
	    st.up ? "true" : "false", st.breaker, st.url,
	    (unsigned long long)st.forwarded,
	    (unsigned long long)st.dropped_breaker,
	    (unsigned long long)st.dropped_out,
	    (unsigned long long)st.publish_failed,
	    (unsigned long long)st.received, (unsigned long long)st.dropped_in,
	    (unsigned long long)st.delivered,
	    (unsigned long long)st.dropped_invalid,
	    (unsigned long long)st.reconnects,
	    (unsigned long long)st.disconnects,
	    (unsigned long long)st.breaker_opened,
	    (unsigned long long)st.sub_failed, st.interests);
#else
	(void)j;
	(void)b;
#endif
}

static size_t finish(const struct jbuf *j)
{
	return j->overflow ? 0 : j->len;
}

size_t stats_json_broker(const struct broker *b, char *buf, size_t cap)
{
	struct jbuf j = { buf, cap, 0, cap == 0 };

	put_broker(&j, b);
	return finish(&j);
}

size_t stats_json_pool(const struct pool *p, char *buf, size_t cap)
{
	struct jbuf j = { buf, cap, 0, cap == 0 };

	put_pool(&j, p);
	return finish(&j);
}

size_t stats_json_all(const struct broker *b, char *buf, size_t cap)
{
	struct jbuf j = { buf, cap, 0, cap == 0 };

	put(&j, "{\"broker\":");
	put_broker(&j, b);
	put(&j, ",\"pools\":{");
	for (size_t i = 0; i < b->pools->n; i++) {
		put(&j, "%s\"%s\":", i ? "," : "", b->pools->v[i]->lim.name);
		put_pool(&j, b->pools->v[i]);
	}
	put(&j, "}");
	put_engine(&j, b);
	put(&j, "}");
	return finish(&j);
}
