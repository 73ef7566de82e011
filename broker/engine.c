/* engine.c - see engine.h. */
#include "config.h"

#include "engine.h"

#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "engine_breaker.h"
#include "engine_interest.h"
#include "engine_link.h"
#include "engine_queue.h"
#include "router.h"

#define ENGINE_TURN_MAX 512 /* engine messages routed per loop turn */
#define ENGINE_HOLD_MS 5    /* retry delay while a block subscriber holds */

struct engine {
	struct broker *b; /* borrowed */
	struct engine_link *lk;
	struct engine_queue in;	    /* from libnats's delivery thread */
	struct engine_msg *backlog; /* taken from `in`, not yet routed */
	int pipe[2];		    /* wake-up: [0] read by the loop */
	struct event *wake, *hold;  /* owned */
	struct engine_interests interests;
	struct breaker brk;	       /* engine_breaker.h */
	int up;			       /* last link state seen */
	uint64_t seen_ok, seen_failed; /* link publish counts seen */
	uint64_t forwarded, dropped_breaker, dropped_out;
	uint64_t received, delivered;
	uint64_t dropped_invalid; /* from the engine, not a valid brokerd
				   * message (other NATS clients may publish) */
};

static int64_t now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

/* $SYS stays each node's own: neither its patterns nor its topics are
 * federated. */
static int is_sys(const char *s, size_t len)
{
	return len >= 4 && memcmp(s, "$SYS", 4) == 0 &&
	       (len == 4 || s[4] == '.');
}

static int forward(void *arg, struct proto_str topic, struct proto_str reply,
		   struct proto_str payload)
{
	struct engine *e = arg;
	struct engine_msg *m;
	int64_t now = now_ms();

	if (!breaker_allow(&e->brk, now)) {
		e->dropped_breaker++;
		return 0;
	}
	if (breaker_poll(&e->brk, now) == BREAKER_HALF_OPEN)
		engine_link_want_outcome(e->lk); /* this is the trial */
	m = engine_msg_new(ENGINE_MSG_PUB, topic.ptr, topic.len, reply.ptr,
			   reply.len, NULL, 0, payload.ptr, payload.len);
	if (!m || engine_link_publish(e->lk, m) != 0) {
		free(m);
		e->dropped_out++;
		return 0;
	}
	e->forwarded++;
	return 1;
}

static void interest_on(struct engine *e, const char *pattern, size_t len,
			const char *queue)
{
	int first;
	struct engine_interest *rec = engine_interests_ref(
		&e->interests, pattern, len, queue, &first);

	if (!rec) {
		log_msg(&e->b->log, LOG_LEVEL_WARNING,
			"engine: out of memory: '%s' not federated", pattern);
		return;
	}
	if (first)
		rec->up = engine_link_subscribe(e->lk, pattern, len, queue);
	if (first && !rec->up)
		log_msg(&e->b->log, LOG_LEVEL_WARNING,
			"engine: out of memory: '%s' not federated", pattern);
}

static void on_sub(void *arg, const char *pattern, size_t len,
		   const char *queue, int present)
{
	struct engine *e = arg;
	struct engine_interest *rec;

	if (is_sys(pattern, len))
		return;
	if (present) {
		interest_on(e, pattern, len, queue);
		return;
	}
	rec = engine_interests_unref(&e->interests, pattern, len, queue);
	if (!rec)
		return;
	if (rec->up)
		engine_link_unsubscribe(e->lk, rec->up);
	free(rec);
}

/* A message from the engine must pass the checks a local PUB passes
 * (handle_pub.c): any NATS client may publish into the engine. */
static int valid_in(const struct engine *e, const struct engine_msg *m)
{
	const char *reply = engine_msg_reply(m);

	return proto_check_topic(engine_msg_topic(m), m->topic_len) ==
		       PROTO_OK_CODE &&
	       (!reply ||
		proto_check_topic(reply, m->reply_len) == PROTO_OK_CODE) &&
	       m->payload_len <= e->b->conf.max_payload &&
	       !is_sys(engine_msg_topic(m), m->topic_len);
}

/* Route one message from the engine to the local subscriptions it was
 * sent for (router.h: only_pattern / only_group). */
static void route_in(struct engine *e, const struct engine_msg *m)
{
	const char *tag = engine_msg_tag(m);
	const char *reply = engine_msg_reply(m);
	struct router_origin o = { ROUTER_ORIGIN_LINK, 0, NULL, NULL };
	long n;

	if (!valid_in(e, m)) {
		e->dropped_invalid++;
		return;
	}
	if (m->plain)
		o.only_pattern = tag;
	else
		o.only_group = tag;
	n = router_publish(
		e->b->router, &o,
		(struct proto_str){ engine_msg_topic(m), m->topic_len },
		(struct proto_str){ reply, reply ? m->reply_len : 0 },
		(struct proto_str){ engine_msg_payload(m), m->payload_len });
	e->received++;
	if (n > 0)
		e->delivered += (uint64_t)n;
}

/* Route what the engine sent, at most ENGINE_TURN_MAX a turn; stop early
 * while a block subscriber is over its mark (flowhold.h): the engine
 * queue then fills and drops at its bound instead of the subscriber's
 * queue growing without one.  Returns 1 when messages remain. */
static int route_some(struct engine *e)
{
	int more = 0;

	for (int k = 0; k < ENGINE_TURN_MAX; k++) {
		struct engine_msg *m = e->backlog;

		if (!m)
			m = e->backlog = engine_queue_take(
				&e->in, ENGINE_TURN_MAX, &more);
		if (!m)
			return 0;
		e->backlog = m->next;
		e->b->hold_on = NULL;
		route_in(e, m);
		free(m);
		if (e->b->hold_on) {
			struct timeval tv = clock_ms_tv(ENGINE_HOLD_MS);

			e->b->hold_on = NULL;
			evtimer_add(e->hold, &tv);
			return 0;
		}
	}
	return 1;
}

static void log_link(struct engine *e, const struct engine_link_status *st)
{
	if (st->up)
		log_msg(&e->b->log, LOG_LEVEL_NOTICE, "engine: connected to %s",
			st->url);
	else
		log_msg(&e->b->log, LOG_LEVEL_WARNING,
			"engine: link down: local delivery goes on, "
			"engine-bound messages are dropped until it is back");
}

/* Apply the link's news to the breaker. */
static void check_link(struct engine *e)
{
	struct engine_link_status st;
	int64_t now = now_ms();
	enum breaker_state before = breaker_poll(&e->brk, now);

	engine_link_status(e->lk, &st);
	if (st.up != e->up) {
		e->up = st.up;
		engine_breaker_link(&e->brk, st.up, now);
		log_link(e, &st);
	}
	if (st.pub_ok != e->seen_ok || st.pub_failed != e->seen_failed) {
		engine_breaker_record(&e->brk, st.pub_ok - e->seen_ok,
				      st.pub_failed - e->seen_failed,
				      st.last_pub_ok, now);
		e->seen_ok = st.pub_ok;
		e->seen_failed = st.pub_failed;
	}
	if (breaker_poll(&e->brk, now) != before)
		log_msg(&e->b->log, LOG_LEVEL_NOTICE, "engine: breaker %s",
			breaker_name(breaker_poll(&e->brk, now)));
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	check_link(e);
	if (!evtimer_pending(e->hold, NULL) && route_some(e))
		event_active(e->wake, EV_READ, 0);
}

static void on_hold(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	if (route_some(e))
		event_active(e->wake, EV_READ, 0);
}

static int open_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	return 0;
}

static struct engine_link *start_link(struct engine *e)
{
	const struct conf *c = &e->b->conf;
	char name[64], err[512];
	struct engine_link_conf lc = {
		.servers = c->engine,
		.name = name,
		.tls_ca_file = c->engine_tls_ca_file,
		.tls_cert_file = c->engine_tls_cert_file,
		.tls_key_file = c->engine_tls_key_file,
		.user = c->engine_user,
		.password = c->engine_password,
		.creds_file = c->engine_creds_file,
		.tls = c->engine_tls,
		.reconnect_wait_ms = (int)c->engine_reconnect_wait_ms,
		.out_max_msgs = c->engine_max_pending_msgs,
		.out_max_bytes = c->engine_max_pending,
	};
	struct engine_link *lk;

	snprintf(name, sizeof name, "brokerd %ld", (long)getpid());
	lk = engine_link_new(&lc, &e->in, e->pipe[1], err, sizeof err);
	if (!lk)
		log_msg(&e->b->log, LOG_LEVEL_ERROR, "%s", err);
	return lk;
}

static int engine_init(struct engine *e, struct broker *b)
{
	e->b = b;
	e->pipe[0] = e->pipe[1] = -1;
	engine_interests_init(&e->interests, (uint64_t)clock_mono_ns());
	engine_breaker_init(&e->brk, b->conf.engine_breaker_threshold,
			    b->conf.engine_breaker_cooldown_ms);
	if (engine_queue_init(&e->in, b->conf.engine_max_pending_msgs,
			      b->conf.engine_max_pending) != 0)
		return -1;
	if (open_pipe(e->pipe) != 0)
		return -1;
	e->wake = event_new(b->base, e->pipe[0], EV_READ | EV_PERSIST, on_wake,
			    e);
	e->hold = evtimer_new(b->base, on_hold, e);
	if (!e->wake || !e->hold || event_add(e->wake, NULL) != 0)
		return -1;
	return 0;
}

struct engine *engine_new(struct broker *b)
{
	struct engine *e = calloc(1, sizeof *e);

	if (!e || engine_init(e, b) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "engine: out of resources");
		engine_free(e);
		return NULL;
	}
	e->lk = start_link(e);
	if (!e->lk) {
		engine_free(e);
		return NULL;
	}
	router_set_link(b->router, on_sub, forward, e);
	log_msg(&b->log, LOG_LEVEL_NOTICE, "engine: joining %s",
		b->conf.engine);
	return e;
}

static void free_backlog(struct engine *e)
{
	struct engine_msg *m, *next;

	for (m = e->backlog; m; m = next) {
		next = m->next;
		free(m);
	}
	e->backlog = NULL;
}

void engine_free(struct engine *e)
{
	struct engine_interest *rec;
	size_t pos = 0;

	if (!e)
		return;
	if (e->b->router)
		router_set_link(e->b->router, NULL, NULL, NULL);
	while (e->lk && (rec = engine_interests_next(&e->interests, &pos)))
		if (rec->up)
			engine_link_unsubscribe(e->lk, rec->up);
	engine_link_free(e->lk); /* no more pushes into `in` */
	engine_interests_free(&e->interests);
	free_backlog(e);
	if (e->wake)
		event_free(e->wake);
	if (e->hold)
		event_free(e->hold);
	for (int i = 0; i < 2; i++)
		if (e->pipe[i] >= 0)
			close(e->pipe[i]);
	if (e->in.tail)
		engine_queue_free(&e->in);
	free(e);
}

void engine_stats(struct engine *e, struct engine_stats *st)
{
	struct engine_link_status ls;
	uint64_t passed;
	size_t held;

	engine_link_status(e->lk, &ls);
	memset(st, 0, sizeof *st);
	st->up = ls.up;
	st->breaker = breaker_name(breaker_poll(&e->brk, now_ms()));
	memcpy(st->url, ls.url, sizeof st->url);
	st->forwarded = e->forwarded;
	st->dropped_breaker = e->dropped_breaker;
	st->dropped_out = e->dropped_out;
	st->publish_failed = ls.pub_failed;
	engine_queue_counts(&e->in, &passed, &st->dropped_in, &held);
	st->received = e->received;
	st->delivered = e->delivered;
	st->dropped_invalid = e->dropped_invalid;
	st->reconnects = ls.reconnects;
	st->disconnects = ls.disconnects;
	st->breaker_opened = e->brk.opened;
	st->sub_failed = ls.sub_failed;
	st->interests = engine_interests_count(&e->interests);
}
