/*
 * test_resilience.c - libbrokerclient's resilience against the real brokerd
 * (kill -9 and restart on the same port, via tests/harness.h) and against
 * fake brokers (a listener that never answers; a forked child that
 * announces lame-duck mode): reconnect and resubscribe, the offline
 * buffer, the circuit breaker failing fast and recovering, connect
 * timeouts, moving to the next address, a subscription the broker
 * revoked (a reload of its users file) left out of the restore.  Backoffs
 * and cool-downs are
 * short so the whole file runs in a few seconds.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerclient.h"
#include "clock.h"
#include "harness.h"

#define MAXREC 64

/* Everything the callbacks saw. */
struct watch {
	int states[MAXREC];
	int state_errs[MAXREC];
	int nstates;
	int connecting; /* CONNECTING callbacks */
	int brk_to[MAXREC];
	int nbrk;
	int errs; /* error callbacks */
	int last_err;
	char last_reason[256];
	int msgs;
	uint32_t sids[MAXREC];
	char data[MAXREC][32];
	char topics[MAXREC][32];
	int revoked; /* NOTICE REVOKED callbacks */
	uint64_t revoked_sid;
	char revoked_reason[256];
	int unsub_rc; /* bc_unsubscribe(revoked sid) inside the callback */
};

static void on_state(bc_client *c, int state, int err, void *arg)
{
	struct watch *w = arg;

	(void)c;
	if (w->nstates < MAXREC) {
		w->states[w->nstates] = state;
		w->state_errs[w->nstates] = err;
	}
	w->nstates++;
	if (state == BC_STATE_CONNECTING)
		w->connecting++;
}

static void on_breaker(bc_client *c, int from, int to, void *arg)
{
	struct watch *w = arg;

	(void)c;
	ck_assert_int_ne(from, to);
	if (w->nbrk < MAXREC)
		w->brk_to[w->nbrk] = to;
	w->nbrk++;
}

static void on_err(bc_client *c, int err, int code, const char *reason,
		   void *arg)
{
	struct watch *w = arg;

	(void)c;
	(void)code;
	w->errs++;
	w->last_err = err;
	snprintf(w->last_reason, sizeof w->last_reason, "%s", reason);
}

static void on_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct watch *w = arg;

	(void)c;
	if (w->msgs < MAXREC) {
		w->sids[w->msgs] = bc_msg_sid(m);
		snprintf(w->data[w->msgs], 32, "%.*s", (int)bc_msg_len(m),
			 (const char *)bc_msg_data(m));
		snprintf(w->topics[w->msgs], 32, "%s", bc_msg_topic(m));
	}
	w->msgs++;
}

/* Options for port with fast retries and every callback into w. */
static bc_options *fast_opts(int port, struct watch *w)
{
	bc_options *o = bc_options_new();

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bc_options_set_port(o, port), BC_OK);
	ck_assert_int_eq(bc_options_set_timeout(o, 2000), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, 1000), BC_OK);
	ck_assert_int_eq(bc_options_set_backoff(o, 10, 50, 2.0), BC_OK);
	ck_assert_int_eq(bc_options_set_breaker(o, 1000, 100), BC_OK);
	ck_assert_int_eq(bc_options_set_state_cb(o, on_state, w), BC_OK);
	ck_assert_int_eq(bc_options_set_breaker_cb(o, on_breaker, w), BC_OK);
	ck_assert_int_eq(bc_options_set_error_cb(o, on_err, w), BC_OK);
	return o;
}

static bc_client *connect_opts(bc_options *o)
{
	bc_client *c = NULL;

	ck_assert_int_eq(bc_connect(&c, o), BC_OK);
	bc_options_free(o);
	ck_assert_ptr_nonnull(c);
	return c;
}

static int last_state(const struct watch *w)
{
	int n = w->nstates < MAXREC ? w->nstates : MAXREC;

	return n ? w->states[n - 1] : 0;
}

/* Run c until the last state its callback saw is state (bounded: 5 s). */
static void run_until_state(bc_client *c, struct watch *w, int state)
{
	int64_t deadline = harness_now_ms() + 5000;

	while (last_state(w) != state && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 10), BC_OK);
	ck_assert_int_eq(last_state(w), state);
}

static void run_until_msgs(bc_client *c, struct watch *w, int n)
{
	int64_t deadline = harness_now_ms() + 5000;

	while (w->msgs < n && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 10), BC_OK);
	ck_assert_int_eq(w->msgs, n);
}

static struct broker_proc broker;

static void kill_broker(void)
{
	harness_stop_broker(&broker, SIGKILL, 2000);
}

static void restart_broker(int port)
{
	ck_assert_int_eq(harness_start_broker_on(&broker, port, NULL, NULL), 0);
}

/* ---- kill -9 and restart ------------------------------------------------ */

START_TEST(restart_restores_subscriptions)
{
	struct watch sw = { 0 }, pw = { 0 };
	bc_client *sub, *pub;
	uint32_t wild = 0, group = 0;
	char buf[16];
	int port;

	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	port = broker.port;
	sub = connect_opts(fast_opts(port, &sw));
	pub = connect_opts(fast_opts(port, &pw));
	ck_assert_int_eq(bc_subscribe(sub, "r.*", NULL, on_msg, &sw, &wild),
			 BC_OK);
	ck_assert_int_eq(
		bc_subscribe(sub, "q.>", "workers", on_msg, &sw, &group),
		BC_OK);
	ck_assert_int_eq(
		bc_publish_sync(pub, "r.a", "before", 6, BC_TIMEOUT_DEFAULT),
		BC_OK);
	run_until_msgs(sub, &sw, 1);

	kill_broker();
	/* Both notice the loss; neither application does anything. */
	run_until_state(pub, &pw, BC_STATE_DISCONNECTED);
	run_until_state(sub, &sw, BC_STATE_DISCONNECTED);
	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof buf, "off%d", i);
		ck_assert_int_eq(bc_publish(pub, "r.x", buf, strlen(buf)),
				 BC_OK);
	}
	ck_assert_uint_eq(bc_buffered(pub), 5);

	restart_broker(port);
	run_until_state(sub, &sw, BC_STATE_RECONNECTED);
	ck_assert_int_eq(bc_state(sub), BC_STATE_CONNECTED);
	/* SUBs are in */
	ck_assert_int_eq(bc_flush(sub, BC_TIMEOUT_DEFAULT), BC_OK);
	/* reconnects, sends */
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	ck_assert_uint_eq(bc_buffered(pub), 0);
	ck_assert_int_eq(last_state(&pw), BC_STATE_RECONNECTED);
	ck_assert_int_eq(
		bc_publish_sync(pub, "q.job", "after-q", 7, BC_TIMEOUT_DEFAULT),
		BC_OK);
	ck_assert_int_eq(
		bc_publish_sync(pub, "r.b", "after-r", 7, BC_TIMEOUT_DEFAULT),
		BC_OK);
	run_until_msgs(sub, &sw, 8);
	for (int i = 0; i < 5; i++) { /* buffered ones, in order */
		snprintf(buf, sizeof buf, "off%d", i);
		ck_assert_str_eq(sw.data[1 + i], buf);
		ck_assert_uint_eq(sw.sids[1 + i], wild);
	}
	ck_assert_str_eq(sw.data[6], "after-q");
	ck_assert_uint_eq(sw.sids[6], group);
	ck_assert_str_eq(sw.data[7], "after-r");
	ck_assert_uint_eq(sw.sids[7], wild);
	ck_assert_int_eq(sw.errs + pw.errs, 0);
	bc_close(sub);
	bc_close(pub);
	harness_stop_broker(&broker, SIGTERM, 5000);
}
END_TEST

/* ---- the offline buffer ------------------------------------------------ */

START_TEST(offline_buffer_full)
{
	struct watch aw = { 0 }, bw = { 0 }, nw = { 0 }, sw = { 0 };
	static char big[400];
	bc_options *o;
	bc_client *a, *b, *none, *sub;
	int port;

	memset(big, 'B', sizeof big);
	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	port = broker.port;
	o = fast_opts(port, &aw);
	ck_assert_int_eq(bc_options_set_offline_buffer(o, 1 << 20, 3), BC_OK);
	a = connect_opts(o);
	o = fast_opts(port, &bw);
	ck_assert_int_eq(bc_options_set_offline_buffer(o, 1000, 100), BC_OK);
	b = connect_opts(o);
	o = fast_opts(port, &nw);
	ck_assert_int_eq(bc_options_set_offline_buffer(o, 0, 0), BC_OK);
	none = connect_opts(o);

	kill_broker();
	run_until_state(a, &aw, BC_STATE_DISCONNECTED);
	run_until_state(b, &bw, BC_STATE_DISCONNECTED);
	run_until_state(none, &nw, BC_STATE_DISCONNECTED);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(bc_publish(a, "o.a", "m", 1), BC_OK);
	ck_assert_int_eq(bc_publish(a, "o.a", "x", 1), BC_ERR_BUFFER_FULL);
	ck_assert_uint_eq(bc_buffered(a), 3);
	/* By bytes: two 400-byte frames fit in 1000, a third does not, a
	 * small one still does. */
	ck_assert_int_eq(bc_publish(b, "o.b", big, sizeof big), BC_OK);
	ck_assert_int_eq(bc_publish(b, "o.b", big, sizeof big), BC_OK);
	ck_assert_int_eq(bc_publish(b, "o.b", big, sizeof big),
			 BC_ERR_BUFFER_FULL);
	ck_assert_int_eq(bc_publish(b, "o.b", "s", 1), BC_OK);
	ck_assert_uint_eq(bc_buffered(b), 3);
	/* No buffer: publishing while disconnected fails. */
	ck_assert_int_eq(bc_publish(none, "o.n", "x", 1), BC_ERR_CLOSED);

	restart_broker(port);
	sub = connect_opts(fast_opts(port, &sw));
	ck_assert_int_eq(bc_subscribe(sub, "o.>", NULL, on_msg, &sw, NULL),
			 BC_OK);
	ck_assert_int_eq(bc_flush(a, BC_TIMEOUT_DEFAULT), BC_OK);
	ck_assert_int_eq(bc_flush(b, BC_TIMEOUT_DEFAULT), BC_OK);
	run_until_msgs(sub, &sw, 6);
	ck_assert_int_eq(bc_run(sub, 50), BC_OK);
	ck_assert_int_eq(sw.msgs, 6); /* nothing more, nothing lost */
	/* a was flushed (PING answered) before b started. */
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(sw.topics[i], i < 3 ? "o.a" : "o.b");
	ck_assert_str_eq(sw.data[2], "m");
	ck_assert_uint_eq(strlen(sw.data[3]), 31); /* truncated copy of big */
	ck_assert_str_eq(sw.data[5], "s");
	ck_assert_int_eq(aw.errs + bw.errs, 0);
	bc_close(a);
	bc_close(b);
	bc_close(none);
	bc_close(sub);
	harness_stop_broker(&broker, SIGTERM, 5000);
}
END_TEST

/* ---- the circuit breaker ----------------------------------------------- */

static void never_ack(bc_client *c, int err, void *arg)
{
	(void)c;
	(void)err;
	ck_abort_msg("ack callback after a fail-fast publish (%p)", arg);
}

static void never_reply(bc_client *c, int err, const bc_msg *m, void *arg)
{
	(void)c;
	(void)err;
	(void)m;
	ck_abort_msg("reply callback after a fail-fast request (%p)", arg);
}

/* Every guarded call fails fast: it returns BC_ERR_CIRCUIT_OPEN without
 * trying to connect and without waiting out its timeout (a wait of 1 s
 * would outlast the 400 ms cool-down and show up as a breaker change).
 * How fast is measured by `make bench`, not asserted here. */
static void assert_fails_fast(bc_client *c, const struct watch *w)
{
	bc_msg *reply = NULL;
	int connecting = w->connecting, nbrk = w->nbrk;

	ck_assert_int_eq(bc_publish_sync(c, "b.x", "x", 1, BC_TIMEOUT_DEFAULT),
			 BC_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(bc_publish_ex(c, "b.x", "x", 1, NULL, never_ack, c),
			 BC_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(bc_request(c, "b.svc", "x", 1, 1000, &reply),
			 BC_ERR_CIRCUIT_OPEN);
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(
		bc_request_async(c, "b.svc", "x", 1, 1000, never_reply, c),
		BC_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(bc_flush(c, 1000), BC_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(w->connecting, connecting);
	ck_assert_int_eq(w->nbrk, nbrk);
	ck_assert_int_eq(bc_breaker_state(c), BC_BREAKER_OPEN);
}

START_TEST(breaker_opens_fails_fast_recovers)
{
	struct watch w = { 0 };
	bc_options *o;
	bc_client *c;
	int port, attempts, nbrk;
	int64_t t0;

	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	port = broker.port;
	o = fast_opts(port, &w);
	ck_assert_int_eq(bc_options_set_breaker(o, 3, 400), BC_OK);
	c = connect_opts(o);
	ck_assert_int_eq(bc_breaker_state(c), BC_BREAKER_CLOSED);

	kill_broker();
	/* Three refused attempts in a row open it. */
	t0 = harness_now_ms();
	while (bc_breaker_state(c) != BC_BREAKER_OPEN &&
	       harness_now_ms() - t0 < 3000)
		ck_assert_int_eq(bc_run(c, 5), BC_OK);
	ck_assert_int_eq(bc_breaker_state(c), BC_BREAKER_OPEN);
	ck_assert_int_eq(w.connecting, 3);
	ck_assert_int_eq(w.nbrk, 1);
	ck_assert_int_eq(w.brk_to[0], BC_BREAKER_OPEN);

	assert_fails_fast(c, &w);
	/* While open, no connect attempt is made at all. */
	attempts = w.connecting;
	ck_assert_int_eq(bc_run(c, 150), BC_OK);
	ck_assert_int_eq(w.connecting, attempts);
	ck_assert_int_eq(bc_breaker_state(c), BC_BREAKER_OPEN);

	/* Cool-down over: half-open, exactly one trial, which fails (the
	 * broker is still down) and opens it again. */
	nbrk = w.nbrk;
	t0 = harness_now_ms();
	while (w.nbrk < nbrk + 2 && harness_now_ms() - t0 < 3000)
		ck_assert_int_eq(bc_run(c, 5), BC_OK);
	ck_assert_int_eq(w.brk_to[nbrk], BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(w.brk_to[nbrk + 1], BC_BREAKER_OPEN);
	ck_assert_int_eq(w.connecting, attempts + 1);
	assert_fails_fast(c, &w);

	/* Broker back: the next trial connects and closes the breaker. */
	restart_broker(port);
	run_until_state(c, &w, BC_STATE_RECONNECTED);
	ck_assert_int_eq(bc_breaker_state(c), BC_BREAKER_CLOSED);
	ck_assert_int_eq(w.brk_to[w.nbrk - 1], BC_BREAKER_CLOSED);
	ck_assert_int_eq(bc_publish_sync(c, "b.x", "x", 1, BC_TIMEOUT_DEFAULT),
			 BC_OK);
	ck_assert_int_eq(w.errs, 0);
	bc_close(c);
	ck_assert_int_eq(last_state(&w), BC_STATE_CLOSED);
	harness_stop_broker(&broker, SIGTERM, 5000);
}
END_TEST

/* Connections waiting in lfd's backlog (each accepted and closed). */
static int count_accepts(int lfd)
{
	int n = 0, fd;

	ck_assert_int_eq(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		close(fd);
		n++;
	}
	return n;
}

/* A listener whose kernel completes TCP handshakes but which never reads:
 * every attempt times out waiting for WELCOME, which counts for the
 * breaker; while it is open no connection is made (counted by accept). */
START_TEST(silent_broker_trips_timeout_and_breaker)
{
	struct watch w = { 0 };
	bc_options *o;
	bc_client *c = NULL;
	int port, lfd = harness_listen(&port, 16);
	int64_t t0;

	ck_assert_int_ge(lfd, 0);
	o = fast_opts(port, &w);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, 100), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_retries(o, 3), BC_OK);
	ck_assert_int_eq(bc_options_set_breaker(o, 2, 250), BC_OK);
	t0 = harness_now_ms();
	ck_assert_int_eq(bc_connect(&c, o), BC_ERR_TIMEOUT);
	ck_assert_ptr_null(c);
	/* Attempts at ~0 and ~110 ms time out and open the breaker; the
	 * third waits for the cool-down (half-open trial), times out and
	 * re-opens it; the fourth waits again. */
	ck_assert_int_ge(harness_now_ms() - t0, 2 * 250 + 4 * 100 - 20);
	ck_assert_int_eq(w.errs, 1);
	ck_assert_int_eq(w.last_err, BC_ERR_TIMEOUT);
	ck_assert_int_eq(w.connecting, 3); /* the first is silent */
	ck_assert_int_eq(count_accepts(lfd), 4);
	ck_assert_int_eq(w.nbrk, 5);
	ck_assert_int_eq(w.brk_to[0], BC_BREAKER_OPEN);
	ck_assert_int_eq(w.brk_to[1], BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(w.brk_to[2], BC_BREAKER_OPEN);
	ck_assert_int_eq(w.brk_to[3], BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(w.brk_to[4], BC_BREAKER_OPEN);
	bc_options_free(o);
	close(lfd);
}
END_TEST

/* With a limit, the library gives up: one error, bc_run returns CLOSED,
 * buffered messages are dropped and calls fail. */
START_TEST(gives_up_after_max_reconnect)
{
	struct watch w = { 0 };
	bc_options *o;
	bc_client *c;
	int acked = 0;

	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	o = fast_opts(broker.port, &w);
	ck_assert_int_eq(bc_options_set_max_reconnect(o, 2), BC_OK);
	c = connect_opts(o);
	kill_broker();
	ck_assert_int_eq(bc_run(c, 5000), BC_ERR_CLOSED);
	ck_assert_int_eq(w.connecting, 3); /* immediate, then 2 retries */
	ck_assert_int_eq(w.errs, 1);
	ck_assert_int_eq(w.last_err, BC_ERR_CONNECT);
	ck_assert_int_eq(bc_state(c), BC_STATE_DISCONNECTED);
	ck_assert_int_eq(bc_publish(c, "g.x", "x", 1), BC_ERR_CLOSED);
	ck_assert_int_eq(
		bc_publish_ex(c, "g.x", "x", 1, NULL, never_ack, &acked),
		BC_ERR_CLOSED);
	bc_close(c);
}
END_TEST

struct base_run {
	struct watch w;
	struct event_base *base;
};

static void base_state(bc_client *c, int state, int err, void *arg)
{
	struct base_run *b = arg;

	on_state(c, state, err, &b->w);
	event_base_loopbreak(b->base);
}

static void base_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct base_run *b = arg;

	on_msg(c, m, &b->w);
	event_base_loopbreak(b->base);
}

/* Run base until the last state is state, bounded. */
static void base_until(struct base_run *b, int state)
{
	int64_t deadline = harness_now_ms() + 5000;

	while (last_state(&b->w) != state && harness_now_ms() < deadline) {
		struct timeval slice = clock_ms_tv(20);

		event_base_loopexit(b->base, &slice);
		event_base_dispatch(b->base);
	}
	ck_assert_int_eq(last_state(&b->w), state);
}

/* The same on the caller's event_base (base mode). */
START_TEST(base_mode_reconnects)
{
	struct base_run b;
	struct watch pw = { 0 };
	bc_options *o;
	bc_client *c = NULL, *pub;
	uint32_t sid = 0;
	int port;

	memset(&b, 0, sizeof b);
	b.base = event_base_new();
	ck_assert_ptr_nonnull(b.base);
	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	port = broker.port;
	o = fast_opts(port, &b.w);
	ck_assert_int_eq(bc_options_set_state_cb(o, base_state, &b), BC_OK);
	ck_assert_int_eq(bc_connect_base(&c, o, b.base), BC_OK);
	bc_options_free(o);
	ck_assert_int_eq(bc_subscribe(c, "bm.>", NULL, base_msg, &b, &sid),
			 BC_OK);
	base_until(&b, BC_STATE_CONNECTED);
	kill_broker();
	base_until(&b, BC_STATE_DISCONNECTED);
	ck_assert_int_eq(bc_publish(c, "bm.self", "buffered", 8), BC_OK);
	ck_assert_uint_eq(bc_buffered(c), 1);
	restart_broker(port);
	base_until(&b, BC_STATE_RECONNECTED);
	/* Its own buffered message comes back through the restored sub. */
	for (int i = 0; i < 100 && b.w.msgs == 0; i++) {
		struct timeval slice = clock_ms_tv(20);

		event_base_loopexit(b.base, &slice);
		event_base_dispatch(b.base);
	}
	ck_assert_int_eq(b.w.msgs, 1);
	ck_assert_str_eq(b.w.data[0], "buffered");
	ck_assert_uint_eq(b.w.sids[0], sid);
	pub = connect_opts(fast_opts(port, &pw));
	ck_assert_int_eq(
		bc_publish_sync(pub, "bm.x", "new", 3, BC_TIMEOUT_DEFAULT),
		BC_OK);
	for (int i = 0; i < 100 && b.w.msgs == 1; i++) {
		struct timeval slice = clock_ms_tv(20);

		event_base_loopexit(b.base, &slice);
		event_base_dispatch(b.base);
	}
	ck_assert_int_eq(b.w.msgs, 2);
	ck_assert_int_eq(b.w.errs, 0);
	bc_close(pub);
	bc_close(c);
	event_base_free(b.base);
	harness_stop_broker(&broker, SIGTERM, 5000);
}
END_TEST

/* ---- lame duck ----------------------------------------------------------- */

static void send_frame(int fd, const uint8_t *buf, size_t n)
{
	if (n == 0 || harness_send(fd, buf, n) != 0)
		_exit(1);
}

/* The fake broker: WELCOME, OK for each SUB; after the second SUB a
 * NOTICE LAME_DUCK; PONG for every PING; until the client leaves. */
static void lame_duck_script(int fd)
{
	uint8_t buf[4096];
	struct proto_msg m;
	int subs = 0;

	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    m.op != PROTO_HELLO)
		_exit(1);
	send_frame(fd, buf,
		   proto_enc_welcome(buf, sizeof buf, PROTO_VERSION,
				     proto_cstr("fake"), 1, 1 << 20, 60000));
	while (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) == 0) {
		if (m.op == PROTO_SUB) {
			send_frame(fd, buf,
				   proto_enc_ok(buf, sizeof buf, m.req_id));
			if (++subs == 2)
				send_frame(
					fd, buf,
					proto_enc_notice(
						buf, sizeof buf,
						PROTO_NOTICE_LAME_DUCK, 5000,
						proto_cstr("shutting down")));
		} else if (m.op == PROTO_PING) {
			send_frame(fd, buf, proto_enc_pong(buf, sizeof buf));
		}
	}
	_exit(subs == 2 ? 0 : 2);
}

struct notices {
	int lame;
};

static void on_notice(bc_client *c, int kind, uint64_t count,
		      const char *reason, void *arg)
{
	(void)c;
	(void)count;
	(void)reason;
	if (kind == BC_NOTICE_LAME_DUCK)
		((struct notices *)arg)->lame++;
}

START_TEST(lame_duck_moves_to_next_server)
{
	struct watch w = { 0 }, pw = { 0 };
	struct notices n = { 0 };
	bc_options *o;
	bc_client *c, *pub;
	uint32_t wild = 0, group = 0;
	const char *host;
	int fake_port, lfd = harness_listen(&fake_port, 16), port, st;
	pid_t pid;

	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(harness_start_broker(&broker, NULL, NULL), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(1);
		lame_duck_script(fd);
	}
	close(lfd);
	o = fast_opts(fake_port, &w);
	ck_assert_int_eq(bc_options_add_server(o, "127.0.0.1", broker.port),
			 BC_OK);
	ck_assert_int_eq(bc_options_set_notice_cb(o, on_notice, &n), BC_OK);
	c = connect_opts(o);
	ck_assert_int_eq(bc_server(c, &host, &port), BC_OK);
	ck_assert_int_eq(port, fake_port);
	ck_assert_int_eq(bc_subscribe(c, "ld.*", NULL, on_msg, &w, &wild),
			 BC_OK);
	ck_assert_int_eq(bc_subscribe(c, "lq.>", "g", on_msg, &w, &group),
			 BC_OK);
	run_until_state(c, &w, BC_STATE_RECONNECTED);
	ck_assert_int_eq(n.lame, 1);
	ck_assert_int_eq(bc_server(c, &host, &port), BC_OK);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(port, broker.port);
	/* DISCONNECTED without an error, then CONNECTING, RECONNECTED. */
	ck_assert_int_eq(w.nstates, 4);
	ck_assert_int_eq(w.states[0], BC_STATE_CONNECTED);
	ck_assert_int_eq(w.states[1], BC_STATE_DISCONNECTED);
	ck_assert_int_eq(w.state_errs[1], BC_OK);
	ck_assert_int_eq(w.states[2], BC_STATE_CONNECTING);
	ck_assert_int_eq(w.states[3], BC_STATE_RECONNECTED);
	/* SUBs are in */
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_DEFAULT), BC_OK);
	st = harness_wait_pid(pid, 3000); /* the fake saw us leave */
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fake %d", st);

	pub = connect_opts(fast_opts(broker.port, &pw));
	ck_assert_int_eq(
		bc_publish_sync(pub, "ld.x", "one", 3, BC_TIMEOUT_DEFAULT),
		BC_OK);
	ck_assert_int_eq(
		bc_publish_sync(pub, "lq.y.z", "two", 3, BC_TIMEOUT_DEFAULT),
		BC_OK);
	run_until_msgs(c, &w, 2);
	ck_assert_uint_eq(w.sids[0], wild);
	ck_assert_str_eq(w.data[0], "one");
	ck_assert_uint_eq(w.sids[1], group);
	ck_assert_str_eq(w.data[1], "two");
	ck_assert_int_eq(w.errs, 0);
	bc_close(pub);
	bc_close(c);
	harness_stop_broker(&broker, SIGTERM, 5000);
}
END_TEST

/* The real thing: brokerd A enters lame-duck mode (SIGUSR2); the client
 * moves to brokerd B, subscriptions restored, no error. */
START_TEST(real_lame_duck_moves_to_second_broker)
{
	static const char conf[] = "lame_duck_grace 200ms\n"
				   "lame_duck_duration 500ms\n";
	struct broker_proc a, b;
	struct watch w = { 0 }, pw = { 0 };
	struct notices n = { 0 };
	bc_options *o;
	bc_client *c, *pub;
	uint32_t sid = 0;
	int port;

	ck_assert_int_eq(harness_start_broker(&a, conf, NULL), 0);
	ck_assert_int_eq(harness_start_broker(&b, NULL, NULL), 0);
	o = fast_opts(a.port, &w);
	ck_assert_int_eq(bc_options_add_server(o, "127.0.0.1", b.port), BC_OK);
	ck_assert_int_eq(bc_options_set_notice_cb(o, on_notice, &n), BC_OK);
	c = connect_opts(o);
	ck_assert_int_eq(bc_subscribe(c, "rl.>", "grp", on_msg, &w, &sid),
			 BC_OK);
	ck_assert_int_eq(kill(a.pid, SIGUSR2), 0);
	run_until_state(c, &w, BC_STATE_RECONNECTED);
	ck_assert_int_eq(n.lame, 1);
	ck_assert_int_eq(bc_server(c, NULL, &port), BC_OK);
	ck_assert_int_eq(port, b.port);
	ck_assert_int_eq(w.state_errs[1], BC_OK);
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_DEFAULT), BC_OK);
	pub = connect_opts(fast_opts(b.port, &pw));
	ck_assert_int_eq(
		bc_publish_sync(pub, "rl.x", "moved", 5, BC_TIMEOUT_DEFAULT),
		BC_OK);
	run_until_msgs(c, &w, 1);
	ck_assert_uint_eq(w.sids[0], sid);
	ck_assert_int_eq(w.errs, 0);
	bc_close(pub);
	bc_close(c);
	ck_assert_int_eq(harness_stop_broker(&a, SIGTERM, 5000), 0);
	ck_assert_int_eq(harness_stop_broker(&b, SIGTERM, 5000), 0);
}
END_TEST

/* ---- subscription options survive a reconnect ------------------------- */

/* One SUB as the fake expects it: pattern, queue and options. */
static int sub_is(const struct proto_msg *m, const char *pattern,
		  const char *queue, unsigned policy, uint64_t max_msgs,
		  uint64_t max_bytes)
{
	size_t ql = queue ? strlen(queue) : 0;

	return m->op == PROTO_SUB && m->topic.len == strlen(pattern) &&
	       memcmp(m->topic.ptr, pattern, m->topic.len) == 0 &&
	       (queue ? m->queue.ptr && m->queue.len == ql &&
				memcmp(m->queue.ptr, queue, ql) == 0
		      : m->queue.ptr == NULL) &&
	       m->opts.policy == policy && m->opts.max_msgs == max_msgs &&
	       m->opts.max_bytes == max_bytes;
}

/* One connection of the fake: HELLO, WELCOME (after delay_ms), then the
 * two SUBs as subscribed (answered OK); the second connection must then
 * send a PING (a flush that waited for it).  Exits non-zero on any
 * difference. */
static void opts_conn(int fd, int second)
{
	uint8_t buf[4096];
	struct proto_msg m;

	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    m.op != PROTO_HELLO)
		_exit(10 + second);
	if (second)
		usleep(200 * 1000); /* the delay is the test: the client
				      * is CONNECTING meanwhile */
	send_frame(fd, buf,
		   proto_enc_welcome(buf, sizeof buf, PROTO_VERSION,
				     proto_cstr("fake"), 1, 1 << 20, 60000));
	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    !sub_is(&m, "opt.>", "g", PROTO_POLICY_DROP_OLDEST, 7, 4096))
		_exit(20 + second);
	send_frame(fd, buf, proto_enc_ok(buf, sizeof buf, m.req_id));
	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    !sub_is(&m, "plain.x", NULL, PROTO_POLICY_NONE, 0, 0))
		_exit(30 + second);
	send_frame(fd, buf, proto_enc_ok(buf, sizeof buf, m.req_id));
	if (!second)
		return;
	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    m.op != PROTO_PING)
		_exit(40);
	send_frame(fd, buf, proto_enc_pong(buf, sizeof buf));
	while (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) == 0)
		if (m.op == PROTO_PING)
			send_frame(fd, buf, proto_enc_pong(buf, sizeof buf));
}

static void flush_seen(bc_client *c, int err, void *arg)
{
	int *got = arg;

	(void)c;
	ck_assert_int_eq(got[0], 0); /* exactly once */
	got[0] = 1;
	got[1] = err;
}

START_TEST(sub_options_restored_identically)
{
	struct watch w = { 0 };
	bc_sub_options *so;
	bc_options *o;
	bc_client *c;
	int port, lfd = harness_listen(&port, 16), st, flush[2] = { 0, -1 };
	int64_t deadline;
	pid_t pid;

	ck_assert_int_ge(lfd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < 2; i++) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				_exit(1);
			opts_conn(fd, i);
			close(fd); /* the first: the client reconnects */
		}
		_exit(0);
	}
	close(lfd);
	so = bc_sub_options_new(); /* after the fork: the fake owns nothing */
	ck_assert_ptr_nonnull(so);
	o = fast_opts(port, &w);
	/* Room for the fake's pause on a slow (valgrind, loaded) host. */
	ck_assert_int_eq(bc_options_set_connect_timeout(o, 5000), BC_OK);
	ck_assert_int_eq(bc_options_set_timeout(o, 5000), BC_OK);
	c = connect_opts(o);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_DROP_OLDEST),
			 BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(so, 7), BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_bytes(so, 4096), BC_OK);
	ck_assert_int_eq(bc_subscribe_ex(c, "opt.>", "g", so, on_msg, &w, NULL),
			 BC_OK);
	bc_sub_options_free(so);
	ck_assert_int_eq(bc_subscribe(c, "plain.x", NULL, on_msg, &w, NULL),
			 BC_OK);
	deadline = harness_now_ms() + 3000;
	while (bc_state(c) == BC_STATE_CONNECTED && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 10), BC_OK);
	/* Not connected: this flush waits for the next WELCOME. */
	ck_assert_int_ne(bc_state(c), BC_STATE_CONNECTED);
	ck_assert_int_eq(bc_flush_async(c, 5000, flush_seen, flush), BC_OK);
	run_until_state(c, &w, BC_STATE_RECONNECTED);
	deadline = harness_now_ms() + 5000;
	while (!flush[0] && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 10), BC_OK);
	ck_assert_int_eq(flush[0], 1);
	ck_assert_int_eq(flush[1], BC_OK);
	bc_close(c);
	st = harness_wait_pid(pid, 3000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fake %d", st);
}
END_TEST

/* ---- a subscription revoked by a reload -------------------------------- */

/* Anonymous clients (no passwords to hash): all of r.>, and q.> to read
 * until the reload takes it away. */
#define RULES_WIDE "allow anonymous all r.>\nallow anonymous sub q.>\n"
#define RULES_NARROW "allow anonymous all r.>\n"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void on_revoked(bc_client *c, int kind, uint64_t count,
		       const char *reason, void *arg)
{
	struct watch *w = arg;

	if (kind != BC_NOTICE_REVOKED)
		return;
	w->revoked++;
	w->revoked_sid = count;
	snprintf(w->revoked_reason, sizeof w->revoked_reason, "%s", reason);
	w->unsub_rc = bc_unsubscribe(c, (uint32_t)count);
}

/* SIGHUP with narrower rules: the library hears NOTICE REVOKED, forgets
 * that sid at once (an UNSUB from the callback finds nothing) and does not
 * SUB it again on the next connection (which the broker would refuse:
 * FORBIDDEN to the error callback), while the other one is restored. */
START_TEST(revoked_subscription_not_restored)
{
	struct watch w = { 0 };
	char dir[] = "/tmp/brokertest-revoked-XXXXXX", users[64], conf[128];
	uint32_t kept = 0, gone = 0;
	bc_options *o;
	bc_client *c;
	int64_t deadline;
	int port;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(users, sizeof users, "%s/users", dir);
	snprintf(conf, sizeof conf, "users_file %s\nallow_anonymous yes\n",
		 users);
	write_text(users, RULES_WIDE);
	ck_assert_int_eq(harness_start_broker(&broker, conf, NULL), 0);
	port = broker.port;
	o = fast_opts(port, &w);
	ck_assert_int_eq(bc_options_set_notice_cb(o, on_revoked, &w), BC_OK);
	c = connect_opts(o);
	ck_assert_int_eq(bc_subscribe(c, "q.>", NULL, on_msg, &w, &gone),
			 BC_OK);
	ck_assert_int_eq(bc_subscribe(c, "r.>", NULL, on_msg, &w, &kept),
			 BC_OK);

	write_text(users, RULES_NARROW);
	ck_assert_int_eq(kill(broker.pid, SIGHUP), 0);
	deadline = harness_now_ms() + 5000;
	while (w.revoked == 0 && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 10), BC_OK);
	ck_assert_int_eq(w.revoked, 1);
	ck_assert_uint_eq(w.revoked_sid, gone);
	ck_assert_msg(strstr(w.revoked_reason, "q.>"), "%s", w.revoked_reason);
	ck_assert_int_eq(w.unsub_rc, BC_ERR_NO_SUCH_SUB);

	kill_broker(); /* no ERR on the way out: errs stays 0 */
	run_until_state(c, &w, BC_STATE_DISCONNECTED);
	ck_assert_int_eq(harness_start_broker_on(&broker, port, conf, NULL), 0);
	run_until_state(c, &w, BC_STATE_RECONNECTED);
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_DEFAULT), BC_OK); /* answers */
	ck_assert_int_eq(w.errs, 0);
	ck_assert_int_eq(
		bc_publish_sync(c, "r.x", "kept", 4, BC_TIMEOUT_DEFAULT),
		BC_OK);
	run_until_msgs(c, &w, 1);
	ck_assert_uint_eq(w.sids[0], kept);
	ck_assert_int_eq(bc_subscribe(c, "q.>", NULL, on_msg, &w, NULL),
			 BC_ERR_FORBIDDEN);
	bc_close(c);
	harness_stop_broker(&broker, SIGTERM, 5000);
	ck_assert_int_eq(unlink(users), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *resilience_suite(void)
{
	Suite *s = suite_create("resilience");
	TCase *tc = tcase_create("resilience");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, restart_restores_subscriptions);
	tcase_add_test(tc, offline_buffer_full);
	tcase_add_test(tc, breaker_opens_fails_fast_recovers);
	tcase_add_test(tc, silent_broker_trips_timeout_and_breaker);
	tcase_add_test(tc, lame_duck_moves_to_next_server);
	tcase_add_test(tc, real_lame_duck_moves_to_second_broker);
	tcase_add_test(tc, gives_up_after_max_reconnect);
	tcase_add_test(tc, base_mode_reconnects);
	tcase_add_test(tc, sub_options_restored_identically);
	tcase_add_test(tc, revoked_subscription_not_restored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(resilience_suite());
}
