/* broker.c - see broker.h. */
#include "config.h"

#include "broker.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "listener.h"
#include "monitor.h"
#ifdef HAVE_NATS
#include "engine.h"
#endif
#include "pool.h"
#include "router.h"
#include "sweep.h"
#include "sys_topics.h"
#include "tls_ctx.h"
#include "transport.h"

void broker_release_slot(struct broker *b, struct conn *c)
{
	if (c->counted) {
		c->counted = 0;
		b->nclients--;
	}
}

void broker_detach(struct broker *b, struct conn *c)
{
	TAILQ_REMOVE(&b->conns, c, link);
	b->nconns--;
	broker_release_slot(b, c);
	if (b->stopping && TAILQ_EMPTY(&b->conns))
		event_base_loopbreak(b->base);
}

static void link_conn(struct broker *b, struct conn *c)
{
	TAILQ_INSERT_HEAD(&b->conns, c, link);
	b->nconns++;
	if (c->counted)
		b->nclients++;
}

static void accept_cb(void *arg, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, const char *pool, int tls)
{
	struct broker *b = arg;
	int one = 1;
	/* Full: the oldest connection still without HELLO makes room. */
	int counted = b->nclients < b->conf.max_clients ||
		      pools_evict_oldest(b->pools);
	struct conn *c;

	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = conn_new(b, fd, sa, socklen, ++b->next_id, counted,
		     tls ? b->tls : NULL);
	if (!c) {
		log_msg(&b->log, LOG_LEVEL_WARNING,
			"out of memory accepting a connection");
		return;
	}
	link_conn(b, c);
	b->stats.connections++;
	conn_log(c, LOG_LEVEL_INFO, "connected");
	if (!counted)
		pools_refuse_busy(b->pools, c);
	else
		pool_admit(b->pools, c, pool);
	/* A flood past max_clients evicts or refuses one connection per
	 * accept; their descriptors come back only when the loop turns. */
	if (b->nconns - b->nclients >= BROKER_MAX_UNCOUNTED)
		listeners_yield(b->listeners);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct broker *b = arg;

	(void)what;
	if (b->stopping) {
		log_msg(&b->log, LOG_LEVEL_NOTICE,
			"signal %d again: exiting now", (int)sig);
		event_base_loopbreak(b->base);
		return;
	}
	log_msg(&b->log, LOG_LEVEL_NOTICE, "%s received, shutting down",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	broker_stop(b);
}

static void stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct broker *b = arg;

	(void)fd;
	(void)what;
	log_msg(&b->log, LOG_LEVEL_WARNING, "shutdown flush timed out");
	event_base_loopbreak(b->base);
}

void broker_stop_accepting(struct broker *b)
{
	listeners_close(b->listeners);
	b->listeners = NULL;
}

void broker_stop(struct broker *b)
{
	struct timeval bound = clock_ms_tv(b->conf.drain_timeout_ms);
	struct conn *c;

	if (b->stopping)
		return;
	b->stopping = 1;
	sdnotify_send(&b->notify, "STOPPING=1");
	broker_stop_accepting(b);
	/* conn_drain never frees synchronously, so the list stays intact. */
	TAILQ_FOREACH(c, &b->conns, link)
	conn_drain(c);
	if (TAILQ_EMPTY(&b->conns))
		event_base_loopbreak(b->base);
	else
		event_add(b->stop_timer, &bound);
}

/* The TLS context, when a listener needs one.  0, or -1 (logged). */
static int start_tls(struct broker *b)
{
	char err[512];

	if (!tls_ctx_wanted(&b->conf))
		return 0;
	b->tls = tls_ctx_new(&b->conf, err, sizeof err);
	if (!b->tls)
		log_msg(&b->log, LOG_LEVEL_ERROR, "%s", err);
	return b->tls ? 0 : -1;
}

/* Federation (engine.h), before any client can subscribe. */
static int start_engine(struct broker *b)
{
#ifdef HAVE_NATS
	if (b->conf.engine[0] && !(b->engine = engine_new(b)))
		return -1;
#else
	(void)b; /* conf.c refuses an engine line */
#endif
	return 0;
}

int broker_init(struct broker *b, const struct conf *conf)
{
	memset(b, 0, sizeof *b);
	TAILQ_INIT(&b->conns);
	b->conf = *conf;
	b->frame_max_payload = conf->max_payload;
	log_init(&b->log, conf->log_level, stderr);
	if (conf->log_dest == CONF_LOG_SYSLOG)
		log_to_syslog(&b->log, conf->log_facility);
	sdnotify_init(&b->notify, &b->log);
	b->base = event_base_new();
	if (!b->base) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "cannot create event base");
		return -1;
	}
	b->router = router_new(&b->log, &b->stats);
	b->pools = pools_new(&b->conf);
	if (b->router && b->pools)
		b->sys = sys_topics_new(b);
	b->sig_int = evsignal_new(b->base, SIGINT, signal_cb, b);
	b->sig_term = evsignal_new(b->base, SIGTERM, signal_cb, b);
	b->stop_timer = evtimer_new(b->base, stop_timer_cb, b);
	if (!b->router || !b->pools || !b->sys || !b->sig_int || !b->sig_term ||
	    !b->stop_timer || evsignal_add(b->sig_int, NULL) ||
	    evsignal_add(b->sig_term, NULL) || sweep_start(b) != 0 ||
	    !(b->transports = transport_loop_new(b->base)) ||
	    sdnotify_watchdog_start(&b->notify, b->base) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "out of memory");
		broker_free(b);
		return -1;
	}
	if (start_tls(b) != 0 || start_engine(b) != 0 || auth_init(b) != 0) {
		broker_free(b);
		return -1;
	}
	b->listeners = listeners_open(b->base, &b->conf, &b->log, accept_cb, b);
	if (!b->listeners) {
		broker_free(b);
		return -1;
	}
	/* It outlives the listeners: /healthz must answer 503 while the
	 * clients drain. */
	if (b->conf.monitor.port && !(b->monitor = monitor_new(b))) {
		broker_free(b);
		return -1;
	}
	return 0;
}

int broker_run(struct broker *b)
{
	return event_base_dispatch(b->base) < 0 ? -1 : 0;
}

static void free_event(struct event **ev)
{
	if (*ev)
		event_free(*ev);
	*ev = NULL;
}

void broker_free(struct broker *b)
{
	const struct broker_stats *s = &b->stats;

	while (!TAILQ_EMPTY(&b->conns))
		conn_free(TAILQ_FIRST(&b->conns));
#ifdef HAVE_NATS
	engine_free(b->engine); /* after the connections' UNSUBs */
#endif
	b->engine = NULL;
	auth_free(b); /* after the connections: they cancel their logins */
	transport_loop_free(b->transports);
	b->transports = NULL;
	tls_ctx_free(b->tls);
	b->tls = NULL;
	broker_stop_accepting(b);
	monitor_free(b->monitor);
	b->monitor = NULL;
	sdnotify_free(&b->notify);
	free_event(&b->sig_int);
	free_event(&b->sig_term);
	free_event(&b->stop_timer);
	sweep_stop(b);
	sys_topics_free(b->sys);
	b->sys = NULL;
	router_free(b->router);
	b->router = NULL;
	pools_free(b->pools);
	b->pools = NULL;
	if (b->base) {
		event_base_free(b->base);
		b->base = NULL;
		log_msg(&b->log, LOG_LEVEL_INFO,
			"stats: %llu published, "
			"%llu delivered, %llu dropped, %llu connections, "
			"%llu evicted, %llu errors sent",
			(unsigned long long)s->published,
			(unsigned long long)s->delivered,
			(unsigned long long)s->dropped,
			(unsigned long long)s->connections,
			(unsigned long long)s->bulk.evicted,
			(unsigned long long)s->errors_sent);
	}
}
