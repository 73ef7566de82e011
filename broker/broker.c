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

#include "conn.h"
#include "router.h"

void broker_detach(struct broker *b, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (b->conns == c)
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	if (c->counted) {
		c->counted = 0;
		b->nclients--;
	}
	if (b->stopping && !b->conns)
		event_base_loopbreak(b->base);
}

static void link_conn(struct broker *b, struct conn *c)
{
	c->next = b->conns;
	if (b->conns)
		b->conns->prev = c;
	b->conns = c;
	if (c->counted)
		b->nclients++;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int socklen, void *arg)
{
	struct broker *b = arg;
	int one = 1, counted = b->nclients < b->conf.max_clients;
	struct conn *c;

	(void)l;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = conn_new(b, fd, sa, socklen, ++b->next_id, counted);
	if (!c) {
		log_msg(&b->log, LOG_LEVEL_WARNING,
			"out of memory accepting a connection");
		return;
	}
	link_conn(b, c);
	b->stats.connections++;
	conn_log(c, LOG_LEVEL_INFO, "connected");
	if (!counted)
		conn_fail(c, PROTO_E_SERVER_BUSY, "too many clients");
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct broker *b = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)l;
	log_msg(&b->log, LOG_LEVEL_WARNING, "accept: %s",
		evutil_socket_error_to_string(err));
}

/* Listen on the first address bind:port resolves to. */
static int make_listener(struct broker *b)
{
	struct addrinfo hints, *res = NULL, *ai;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
			 LEV_OPT_CLOSE_ON_EXEC;
	char port[8];
	int rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", b->conf.port);
	rc = getaddrinfo(b->conf.bind, port, &hints, &res);
	if (rc != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "bind address '%s': %s",
			b->conf.bind, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && !b->listener; ai = ai->ai_next) {
		b->listener = evconnlistener_new_bind(b->base, accept_cb, b,
						      flags, -1, ai->ai_addr,
						      (int)ai->ai_addrlen);
		if (!b->listener)
			err = errno;
	}
	freeaddrinfo(res);
	if (!b->listener) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "cannot listen on %s port %u: %s",
			b->conf.bind, b->conf.port, strerror(err));
		return -1;
	}
	evconnlistener_set_error_cb(b->listener, accept_error_cb);
	log_msg(&b->log, LOG_LEVEL_NOTICE, "listening on %s port %u",
		b->conf.bind, b->conf.port);
	return 0;
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct broker *b = arg;

	(void)what;
	if (b->stopping) {
		log_msg(&b->log, LOG_LEVEL_NOTICE, "signal %d again: exiting now",
			(int)sig);
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

void broker_stop(struct broker *b)
{
	struct timeval bound = { CONN_FLUSH_MS / 1000 + 1, 0 };

	if (b->stopping)
		return;
	b->stopping = 1;
	if (b->listener) {
		evconnlistener_free(b->listener);
		b->listener = NULL;
	}
	/* conn_fail never frees synchronously, so the list stays intact. */
	for (struct conn *c = b->conns; c; c = c->next)
		conn_fail(c, PROTO_E_SHUTTING_DOWN, "broker shutting down");
	if (!b->conns)
		event_base_loopbreak(b->base);
	else
		event_add(b->stop_timer, &bound);
}

int broker_init(struct broker *b, const struct conf *conf)
{
	memset(b, 0, sizeof *b);
	b->conf = *conf;
	log_init(&b->log, conf->log_level, stderr);
	b->base = event_base_new();
	if (!b->base) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "cannot create event base");
		return -1;
	}
	b->router = router_new(&b->log, &b->stats);
	b->sig_int = evsignal_new(b->base, SIGINT, signal_cb, b);
	b->sig_term = evsignal_new(b->base, SIGTERM, signal_cb, b);
	b->stop_timer = evtimer_new(b->base, stop_timer_cb, b);
	if (!b->router || !b->sig_int || !b->sig_term || !b->stop_timer ||
	    evsignal_add(b->sig_int, NULL) || evsignal_add(b->sig_term, NULL)) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "out of memory");
		broker_free(b);
		return -1;
	}
	if (make_listener(b) != 0) {
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

	while (b->conns)
		conn_free(b->conns);
	if (b->listener)
		evconnlistener_free(b->listener);
	b->listener = NULL;
	free_event(&b->sig_int);
	free_event(&b->sig_term);
	free_event(&b->stop_timer);
	router_free(b->router);
	b->router = NULL;
	if (b->base) {
		event_base_free(b->base);
		b->base = NULL;
		log_msg(&b->log, LOG_LEVEL_INFO, "stats: %llu published, "
			"%llu delivered, %llu dropped, %llu connections, "
			"%llu errors sent",
			(unsigned long long)s->published,
			(unsigned long long)s->delivered,
			(unsigned long long)s->dropped,
			(unsigned long long)s->connections,
			(unsigned long long)s->errors_sent);
	}
}
