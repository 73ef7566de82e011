/* sys_topics.c - see sys_topics.h. */
#include "config.h"

#include "sys_topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "pool.h"
#include "router.h"
#include "stats.h"

#define SYS_JSON_CAP (64u * 1024u)
/* How often to look again while publishing is off (sys_interval 0), so a
 * reload that turns it on takes effect. */
#define SYS_IDLE_MS 1000u

struct sys_topics {
	struct broker *b;	 /* borrowed */
	struct event *timer;	 /* owned */
	char json[SYS_JSON_CAP]; /* scratch for one payload */
};

static void arm(struct sys_topics *s)
{
	uint32_t ms = s->b->conf.sys_interval_ms;
	struct timeval tv = clock_ms_tv(ms == 0 ? SYS_IDLE_MS : ms);

	event_add(s->timer, &tv);
}

/* Publish len bytes of s->json to topic as the broker itself.  Stats
 * larger than max_payload are not sent: a client may refuse any frame
 * over max_payload + PROTO_FRAME_OVERHEAD (a tiny max_payload). */
static void publish(struct sys_topics *s, const char *topic, size_t len)
{
	static const struct router_origin origin = { ROUTER_ORIGIN_LINK, 0,
						     NULL, NULL };
	struct proto_str payload = { s->json, (uint32_t)len };

	if (len > 0 && len <= s->b->conf.max_payload)
		router_publish(s->b->router, &origin, proto_cstr(topic),
			       proto_cstr(NULL), payload);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sys_topics *s = arg;
	struct pools *ps = s->b->pools;
	char topic[PROTO_MAX_TOPIC + 1];

	(void)fd;
	(void)what;
	if (s->b->conf.sys_interval_ms > 0) {
		publish(s, "$SYS.broker.stats",
			stats_json_broker(s->b, s->json, sizeof s->json));
		for (size_t i = 0; i < ps->n; i++) {
			snprintf(topic, sizeof topic, "$SYS.pool.%s.stats",
				 ps->v[i]->lim.name);
			publish(s, topic,
				stats_json_pool(ps->v[i], s->json,
						sizeof s->json));
		}
	}
	arm(s);
}

struct sys_topics *sys_topics_new(struct broker *b)
{
	struct sys_topics *s = malloc(sizeof *s);

	if (!s)
		return NULL;
	s->b = b;
	s->timer = evtimer_new(b->base, timer_cb, s);
	if (!s->timer) {
		free(s);
		return NULL;
	}
	arm(s);
	return s;
}

void sys_topics_free(struct sys_topics *s)
{
	if (!s)
		return;
	event_free(s->timer);
	free(s);
}

/* "$SYS." and below, and "$SYS" itself: the root of the broker's tree
 * is the broker's too (as in Mosquitto), so no client traffic can sit
 * at a name a later version may want. */
static int is_sys(struct proto_str t)
{
	size_t n = strlen(SYS_PREFIX);

	if (t.len == n - 1)
		return memcmp(t.ptr, SYS_PREFIX, n - 1) == 0;
	return t.len >= n && memcmp(t.ptr, SYS_PREFIX, n) == 0;
}

static int is_stats_req(struct proto_str t)
{
	return t.len == strlen(SYS_REQ_STATS) &&
	       memcmp(t.ptr, SYS_REQ_STATS, t.len) == 0;
}

/* Answer a stats request: the JSON goes to the requester's reply_to. */
static void answer_stats(struct sys_topics *s, struct conn *c,
			 const struct proto_msg *m)
{
	static const struct router_origin origin = { ROUTER_ORIGIN_LINK, 0,
						     NULL, NULL };
	size_t len;

	if (!m->reply_to.ptr || is_sys(m->reply_to)) {
		conn_send_err(c, m->req_id, PROTO_E_BAD_TOPIC,
			      "a stats "
			      "request needs a reply_to outside $SYS.");
		return;
	}
	len = stats_json_all(s->b, s->json, sizeof s->json);
	if (len > s->b->conf.max_payload) {
		conn_send_err(c, m->req_id, PROTO_E_PAYLOAD_TOO_LARGE,
			      "stats do not fit in max_payload");
		return;
	}
	if (len == 0 ||
	    router_publish(s->b->router, &origin, m->reply_to, proto_cstr(NULL),
			   (struct proto_str){ s->json, (uint32_t)len }) < 0) {
		conn_send_err(c, m->req_id, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (m->req_id != 0)
		conn_send_ok(c, m->req_id);
}

int sys_topics_pub(struct sys_topics *s, struct conn *c,
		   const struct proto_msg *m)
{
	if (!is_sys(m->topic))
		return 0;
	if (is_stats_req(m->topic))
		answer_stats(s, c, m);
	else
		conn_send_err(c, m->req_id, PROTO_E_BAD_TOPIC, "reserved");
	return 1;
}
