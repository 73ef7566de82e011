/* engine_link.c - see engine_link.h. */
#include "config.h"

#include "engine_link.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LINK_MAIN, LINK_QUEUE, LINK_NCONN };

#define LINK_BATCH 256	     /* messages the thread takes at once */
#define LINK_WAIT_MS 500     /* the thread's idle wait, to see a stop */
#define LINK_CLOSE_WAIT 2000 /* ms for libnats's threads at the end */

struct link_conn {
	struct engine_link *lk;
	natsConnection *nc; /* the thread's (then engine_link_free's) */
	atomic_int up;
};

/* An upstream subscription.  References: the owner's (the loop, then
 * the UNSUB command), "live" (the thread's, while subscribed) and libnats's
 * (given back by the on-complete callback). */
struct engine_up {
	atomic_uint refs;
	struct engine_link *lk;
	natsSubscription *ns;	       /* the thread's */
	struct engine_up *prev, *next; /* the thread's live list */
	int plain;		       /* no queue group */
	size_t pattern_len, tag_len;   /* tag: the queue group or pattern */
	char strings[];		       /* pattern NUL queue NUL */
};

struct engine_link {
	struct link_conn conn[LINK_NCONN];
	natsOptions *opts; /* owned */
	struct engine_queue out;
	struct engine_queue *in; /* borrowed */
	int wake_fd;		 /* borrowed */
	pthread_t thread;
	atomic_int stop;
	struct engine_up *live; /* the thread's: subscribed records */
	atomic_uint_fast64_t reconnects, disconnects, pub_ok, pub_failed,
		sub_failed;
	atomic_int last_pub_ok;
	atomic_int want_outcome; /* wake the loop after the next publish */
	pthread_mutex_t url_mu;	 /* guards url */
	char url[256];
};

static void wake(struct engine_link *lk)
{
	ssize_t rc = write(lk->wake_fd, "", 1);

	(void)rc; /* EAGAIN: a wake-up is already pending */
}

static void up_release(struct engine_up *up)
{
	if (atomic_fetch_sub(&up->refs, 1) == 1)
		free(up);
}

static const char *up_tag(const struct engine_up *up)
{
	return up->plain ? up->strings : up->strings + up->pattern_len + 1;
}

/* libnats's delivery thread: copy into the loop's queue, wake it. */
static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
		   void *closure)
{
	struct engine_up *up = closure;
	const char *topic = natsMsg_GetSubject(msg);
	const char *reply = natsMsg_GetReply(msg);
	struct engine_msg *m;
	int rc = -1;

	(void)nc;
	(void)sub;
	m = engine_msg_new(ENGINE_MSG_PUB, topic, strlen(topic), reply,
			   reply ? strlen(reply) : 0, up_tag(up), up->tag_len,
			   natsMsg_GetData(msg),
			   (size_t)natsMsg_GetDataLength(msg));
	if (m) {
		m->plain = (uint32_t)up->plain;
		rc = engine_queue_push(up->lk->in, m);
		if (rc < 0)
			free(m);
	}
	natsMsg_Destroy(msg);
	if (rc == 1)
		wake(up->lk);
}

static void on_complete(void *closure)
{
	up_release(closure);
}

static void set_url(struct engine_link *lk, natsConnection *nc)
{
	char buf[sizeof lk->url] = "";

	const char *at, *host = buf;

	if (nc)
		natsConnection_GetConnectedUrl(nc, buf, sizeof buf);
	at = strrchr(buf, '@'); /* never show credentials */
	if (at)
		host = at + 1;
	if (host[strcspn(host, "\"\\")])
		host = ""; /* left out rather than escaped for JSON */
	pthread_mutex_lock(&lk->url_mu);
	snprintf(lk->url, sizeof lk->url, "%s", host);
	pthread_mutex_unlock(&lk->url_mu);
}

static void on_up(natsConnection *nc, void *closure)
{
	struct link_conn *c = closure;

	atomic_store(&c->up, 1);
	if (c == &c->lk->conn[LINK_MAIN])
		set_url(c->lk, nc);
	wake(c->lk);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct link_conn *c = closure;

	atomic_fetch_add(&c->lk->reconnects, 1);
	on_up(nc, closure);
}

static void on_down(natsConnection *nc, void *closure)
{
	struct link_conn *c = closure;

	(void)nc;
	if (atomic_exchange(&c->up, 0))
		atomic_fetch_add(&c->lk->disconnects, 1);
	wake(c->lk);
}

/* Split "a,b,c" into at most max server URLs (pointers into buf). */
static int split_servers(char *buf, const char **urls, int max)
{
	int n = 0;

	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < max;
	     t = strtok_r(NULL, ",", &save))
		urls[n++] = t;
	return n;
}

static natsStatus set_servers(natsOptions *o, const char *servers)
{
	char buf[1024];
	const char *urls[32];
	int n;

	if (snprintf(buf, sizeof buf, "%s", servers) >= (int)sizeof buf)
		return NATS_INVALID_ARG;
	n = split_servers(buf, urls, 32);
	return n > 0 ? natsOptions_SetServers(o, urls, n) : NATS_INVALID_ARG;
}

static natsStatus set_security(natsOptions *o, const struct engine_link_conf *c)
{
	natsStatus s = NATS_OK;

	if (c->tls || c->tls_ca_file[0] || c->tls_cert_file[0])
		s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK && c->tls_ca_file[0])
		s = natsOptions_LoadCATrustedCertificates(o, c->tls_ca_file);
	if (s == NATS_OK && c->tls_cert_file[0])
		s = natsOptions_LoadCertificatesChain(o, c->tls_cert_file,
						      c->tls_key_file);
	if (s == NATS_OK && c->user[0])
		s = natsOptions_SetUserInfo(o, c->user, c->password);
	if (s == NATS_OK && c->creds_file[0])
		s = natsOptions_SetUserCredentialsFromFiles(o, c->creds_file,
							    NULL);
	return s;
}

/* Reconnect for ever, across every address; no echo; messages to the
 * one global delivery thread (not a thread per subscription). */
static natsStatus set_behaviour(natsOptions *o,
				const struct engine_link_conf *c)
{
	natsStatus s = natsOptions_SetNoEcho(o, true);

	if (s == NATS_OK)
		s = natsOptions_SetName(o, c->name);
	if (s == NATS_OK) /* the order given is the order of preference */
		s = natsOptions_SetNoRandomize(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, c->reconnect_wait_ms);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectJitter(o, 50, 0);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(o, 5000);
	if (s == NATS_OK)
		s = natsOptions_UseGlobalMessageDelivery(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPendingMsgs(o, 65536);
	return s;
}

static natsOptions *make_options(const struct engine_link_conf *c, char *err,
				 size_t cap)
{
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);

	if (s == NATS_OK)
		s = set_servers(o, c->servers);
	if (s == NATS_OK)
		s = set_behaviour(o, c);
	if (s == NATS_OK)
		s = set_security(o, c);
	if (s == NATS_OK)
		return o;
	snprintf(err, cap, "engine: %s (%s)", natsStatus_GetText(s),
		 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
	natsOptions_Destroy(o);
	return NULL;
}

/* The callbacks carry the connection's own closure. */
static natsStatus set_callbacks(natsOptions *o, struct link_conn *c)
{
	natsStatus s = natsOptions_SetDisconnectedCB(o, on_down, c);

	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, on_reconnected, c);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, on_down, c);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(o, true, on_up, c);
	return s;
}

/* In the thread: connect (or go on trying in the background). */
static void connect_one(struct engine_link *lk, struct link_conn *c)
{
	natsStatus s = set_callbacks(lk->opts, c);

	if (s == NATS_OK)
		s = natsConnection_Connect(&c->nc, lk->opts);
	if (s == NATS_OK)
		on_up(c->nc, c);
	else if (s != NATS_NOT_YET_CONNECTED)
		c->nc = NULL; /* engine_link_status shows it down */
}

static void do_publish(struct engine_link *lk, const struct engine_msg *m)
{
	natsConnection *nc = lk->conn[LINK_MAIN].nc;
	const char *reply = engine_msg_reply(m);
	natsStatus s = NATS_CONNECTION_CLOSED;

	if (nc && reply)
		s = natsConnection_PublishRequest(nc, engine_msg_topic(m),
						  reply, engine_msg_payload(m),
						  (int)m->payload_len);
	else if (nc)
		s = natsConnection_Publish(nc, engine_msg_topic(m),
					   engine_msg_payload(m),
					   (int)m->payload_len);
	if (s == NATS_OK) {
		atomic_fetch_add(&lk->pub_ok, 1);
		if (!atomic_exchange(&lk->last_pub_ok, 1) ||
		    atomic_exchange(&lk->want_outcome, 0))
			wake(lk); /* the breaker may close */
	} else {
		atomic_fetch_add(&lk->pub_failed, 1);
		atomic_store(&lk->last_pub_ok, 0);
		wake(lk);
	}
}

static void live_link(struct engine_link *lk, struct engine_up *up)
{
	up->prev = NULL;
	up->next = lk->live;
	if (lk->live)
		lk->live->prev = up;
	lk->live = up;
}

static void live_unlink(struct engine_link *lk, struct engine_up *up)
{
	if (up->prev)
		up->prev->next = up->next;
	else
		lk->live = up->next;
	if (up->next)
		up->next->prev = up->prev;
}

static void do_subscribe(struct engine_link *lk, struct engine_up *up)
{
	natsConnection *nc = lk->conn[up->plain ? LINK_MAIN : LINK_QUEUE].nc;
	natsStatus s = NATS_CONNECTION_CLOSED;

	if (nc && up->plain)
		s = natsConnection_Subscribe(&up->ns, nc, up->strings, on_msg,
					     up);
	else if (nc)
		s = natsConnection_QueueSubscribe(&up->ns, nc, up->strings,
						  up_tag(up), on_msg, up);
	if (s != NATS_OK) {
		up->ns = NULL;
		atomic_fetch_add(&lk->sub_failed, 1);
		return;
	}
	atomic_fetch_add(&up->refs, 2); /* live, and libnats's */
	if (natsSubscription_SetOnCompleteCB(up->ns, on_complete, up) !=
	    NATS_OK)
		up_release(up); /* already closed: no callback will come */
	natsSubscription_SetPendingLimits(up->ns, 65536, 64 * 1024 * 1024);
	live_link(lk, up);
}

/* The UNSUB command carries the owner's reference. */
static void do_unsubscribe(struct engine_link *lk, struct engine_up *up)
{
	if (up->ns) {
		live_unlink(lk, up);
		natsSubscription_Unsubscribe(up->ns);
		natsSubscription_Destroy(up->ns);
		up->ns = NULL;
		up_release(up); /* live */
	}
	up_release(up); /* the owner's */
}

static void handle(struct engine_link *lk, struct engine_msg *m)
{
	switch (m->kind) {
	case ENGINE_MSG_PUB:
		do_publish(lk, m);
		break;
	case ENGINE_MSG_SUB:
		do_subscribe(lk, m->ref);
		break;
	default:
		do_unsubscribe(lk, m->ref);
		break;
	}
}

static void *run(void *arg)
{
	struct engine_link *lk = arg;
	struct engine_msg *m, *next;
	int more;

	connect_one(lk, &lk->conn[LINK_MAIN]);
	connect_one(lk, &lk->conn[LINK_QUEUE]);
	while (!atomic_load(&lk->stop)) {
		if (!engine_queue_wait(&lk->out, LINK_WAIT_MS))
			continue;
		for (m = engine_queue_take(&lk->out, LINK_BATCH, &more); m;
		     m = next) {
			next = m->next;
			handle(lk, m);
			free(m);
		}
	}
	return NULL;
}

static void init_counters(struct engine_link *lk)
{
	atomic_init(&lk->stop, 0);
	atomic_init(&lk->reconnects, 0);
	atomic_init(&lk->disconnects, 0);
	atomic_init(&lk->pub_ok, 0);
	atomic_init(&lk->pub_failed, 0);
	atomic_init(&lk->sub_failed, 0);
	atomic_init(&lk->last_pub_ok, 1);
	atomic_init(&lk->want_outcome, 0);
	for (int i = 0; i < LINK_NCONN; i++) {
		lk->conn[i].lk = lk;
		lk->conn[i].nc = NULL;
		atomic_init(&lk->conn[i].up, 0);
	}
}

struct engine_link *engine_link_new(const struct engine_link_conf *c,
				    struct engine_queue *in, int wake_fd,
				    char *err, size_t cap)
{
	struct engine_link *lk = calloc(1, sizeof *lk);

	if (!lk) {
		snprintf(err, cap, "engine: out of memory");
		return NULL;
	}
	init_counters(lk);
	lk->in = in;
	lk->wake_fd = wake_fd;
	lk->opts = make_options(c, err, cap);
	if (!lk->opts)
		goto fail_opts;
	if (engine_queue_init(&lk->out, c->out_max_msgs, c->out_max_bytes))
		goto fail_queue;
	pthread_mutex_init(&lk->url_mu, NULL);
	if (pthread_create(&lk->thread, NULL, run, lk) != 0) {
		pthread_mutex_destroy(&lk->url_mu);
		engine_queue_free(&lk->out);
		goto fail_queue;
	}
	return lk;
fail_queue:
	snprintf(err, cap, "engine: cannot start the link thread");
	natsOptions_Destroy(lk->opts);
fail_opts:
	free(lk);
	return NULL;
}

/* After the thread: the commands it did not reach give back the owner's
 * reference (UNSUB) or were never subscribed (SUB: the owner keeps it). */
static void drain_commands(struct engine_link *lk)
{
	struct engine_msg *m, *next;
	int more = 1;

	while (more)
		for (m = engine_queue_take(&lk->out, LINK_BATCH, &more); m;
		     m = next) {
			next = m->next;
			if (m->kind == ENGINE_MSG_UNSUB)
				do_unsubscribe(lk, m->ref);
			free(m);
		}
}

void engine_link_free(struct engine_link *lk)
{
	struct engine_up *up, *next;

	if (!lk)
		return;
	atomic_store(&lk->stop, 1);
	engine_queue_close(&lk->out);
	pthread_join(lk->thread, NULL);
	drain_commands(lk);
	for (int i = 0; i < LINK_NCONN; i++)
		if (lk->conn[i].nc)
			natsConnection_Close(lk->conn[i].nc);
	for (up = lk->live; up; up = next) {
		next = up->next;
		natsSubscription_Destroy(up->ns);
		up->ns = NULL;
		up_release(up); /* live */
	}
	for (int i = 0; i < LINK_NCONN; i++)
		natsConnection_Destroy(lk->conn[i].nc);
	natsOptions_Destroy(lk->opts);
	nats_CloseAndWait(LINK_CLOSE_WAIT); /* on-complete callbacks done */
	engine_queue_free(&lk->out);
	pthread_mutex_destroy(&lk->url_mu);
	free(lk);
}

void engine_link_want_outcome(struct engine_link *lk)
{
	atomic_store(&lk->want_outcome, 1);
}

int engine_link_publish(struct engine_link *lk, struct engine_msg *m)
{
	return engine_queue_push(&lk->out, m) < 0 ? -1 : 0;
}

static int command(struct engine_link *lk, enum engine_msg_kind kind,
		   struct engine_up *up)
{
	struct engine_msg *m = engine_msg_new(kind, "", 0, NULL, 0, NULL, 0,
					      NULL, 0);

	if (!m)
		return -1;
	m->ref = up;
	if (engine_queue_push(&lk->out, m) < 0) {
		free(m);
		return -1;
	}
	return 0;
}

struct engine_up *engine_link_subscribe(struct engine_link *lk,
					const char *pattern, size_t len,
					const char *queue)
{
	size_t qlen = queue ? strlen(queue) : 0;
	struct engine_up *up = malloc(sizeof *up + len + qlen + 2);

	if (!up)
		return NULL;
	atomic_init(&up->refs, 1);
	up->lk = lk;
	up->ns = NULL;
	up->prev = up->next = NULL;
	up->plain = queue == NULL;
	up->pattern_len = len;
	up->tag_len = queue ? qlen : len;
	memcpy(up->strings, pattern, len);
	up->strings[len] = '\0';
	memcpy(up->strings + len + 1, queue ? queue : "", qlen);
	up->strings[len + 1 + qlen] = '\0';
	if (command(lk, ENGINE_MSG_SUB, up) != 0) {
		free(up);
		return NULL;
	}
	return up;
}

void engine_link_unsubscribe(struct engine_link *lk, struct engine_up *up)
{
	if (command(lk, ENGINE_MSG_UNSUB, up) != 0)
		up_release(up); /* stopping, or no memory: never subscribed
				 * again by this record (see the header) */
}

void engine_link_status(struct engine_link *lk, struct engine_link_status *st)
{
	st->up = atomic_load(&lk->conn[LINK_MAIN].up) &&
		 atomic_load(&lk->conn[LINK_QUEUE].up);
	st->reconnects = atomic_load(&lk->reconnects);
	st->disconnects = atomic_load(&lk->disconnects);
	st->pub_ok = atomic_load(&lk->pub_ok);
	st->pub_failed = atomic_load(&lk->pub_failed);
	st->last_pub_ok = atomic_load(&lk->last_pub_ok);
	st->sub_failed = atomic_load(&lk->sub_failed);
	engine_queue_counts(&lk->out, &st->out_passed, &st->out_dropped,
			    &st->out_held);
	pthread_mutex_lock(&lk->url_mu);
	memcpy(st->url, lk->url, sizeof st->url);
	pthread_mutex_unlock(&lk->url_mu);
}
