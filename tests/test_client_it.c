/*
 * test_client_it.c - libbrokerclient against the real brokerd (started by
 * tests/harness.h on a free port), plus small scripted fake brokers (a
 * forked process speaking the protocol with the harness helpers) for
 * answers the real broker does not give on demand.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerclient.h"
#include "clock.h"
#include "harness.h"

/* ---- helpers ------------------------------------------------------------ */

struct seen {
	int n;	  /* messages received */
	int want; /* bc_break when n reaches it (0: never) */
	char topics[64][64];
	char data[64][64];
	int reply_null[64];
	int errs; /* error callback calls */
	int last_err;
	int last_code;
	char last_reason[256];
	int notices;
	int notice_kind;
	uint64_t notice_count;
	int state;
	int state_err;
};

static void on_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64) {
		snprintf(s->topics[s->n], 64, "%s", bc_msg_topic(m));
		snprintf(s->data[s->n], 64, "%.*s", (int)bc_msg_len(m),
			 (const char *)bc_msg_data(m));
		s->reply_null[s->n] = bc_msg_reply_to(m) == NULL;
	}
	if (++s->n == s->want)
		bc_break(c);
}

static void on_err(bc_client *c, int err, int code, const char *reason,
		   void *arg)
{
	struct seen *s = arg;

	(void)c;
	s->errs++;
	s->last_err = err;
	s->last_code = code;
	snprintf(s->last_reason, sizeof s->last_reason, "%s", reason);
}

static void on_notice(bc_client *c, int kind, uint64_t count,
		      const char *reason, void *arg)
{
	struct seen *s = arg;

	(void)c;
	(void)reason;
	s->notices++;
	s->notice_kind = kind;
	s->notice_count = count;
	bc_break(c);
}

static void on_state(bc_client *c, int state, int err, void *arg)
{
	struct seen *s = arg;

	(void)c;
	s->state = state;
	s->state_err = err;
}

static bc_options *opts_for(int port, struct seen *s)
{
	bc_options *o = bc_options_new();

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bc_options_set_port(o, port), BC_OK);
	ck_assert_int_eq(bc_options_set_timeout(o, 3000), BC_OK);
	if (s) {
		bc_options_set_error_cb(o, on_err, s);
		bc_options_set_notice_cb(o, on_notice, s);
		bc_options_set_state_cb(o, on_state, s);
	}
	return o;
}

static bc_client *connect_to(int port, struct seen *s)
{
	bc_options *o = opts_for(port, s);
	bc_client *c = NULL;

	ck_assert_int_eq(bc_connect(&c, o), BC_OK);
	bc_options_free(o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(bc_state(c), BC_STATE_CONNECTED);
	return c;
}

/* The same, with reconnecting off: a lost connection is final. */
static bc_client *connect_once(int port, struct seen *s)
{
	bc_options *o = opts_for(port, s);
	bc_client *c = NULL;

	ck_assert_int_eq(bc_options_set_reconnect(o, 0), BC_OK);
	ck_assert_int_eq(bc_connect(&c, o), BC_OK);
	bc_options_free(o);
	ck_assert_ptr_nonnull(c);
	return c;
}

static struct broker_proc broker;

static void start_broker(const char *conf)
{
	ck_assert_int_eq(harness_start_broker(&broker, conf, NULL), 0);
}

static void stop_broker(void)
{
	int st = harness_stop_broker(&broker, SIGTERM, 5000);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "brokerd exit status %d", st);
}

/* Dispatch on c until s->n reaches want or 3 s pass. */
static void run_until(bc_client *c, struct seen *s, int want)
{
	int64_t deadline = harness_now_ms() + 3000;

	s->want = want;
	while (s->n < want && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(c, 100), BC_OK);
	ck_assert_int_eq(s->n, want);
}

/* ---- real broker -------------------------------------------------------- */

START_TEST(pub_sub_patterns)
{
	struct seen s = { 0 }, ps = { 0 };
	bc_client *sub, *pub;
	uint32_t sid1 = 0, sid2 = 0;

	start_broker(NULL);
	sub = connect_to(broker.port, &s);
	pub = connect_to(broker.port, &ps);
	ck_assert_uint_eq(bc_max_payload(sub), 1024 * 1024);
	ck_assert_int_eq(bc_subscribe(sub, "a.>", NULL, on_msg, &s, &sid1),
			 BC_OK);
	ck_assert_int_eq(bc_subscribe(sub, "x.*.z", NULL, on_msg, &s, &sid2),
			 BC_OK);
	ck_assert_uint_ne(sid1, sid2);
	ck_assert_int_eq(bc_publish(pub, "a.b", "hi", 2), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "q.r", "no", 2), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "x.y.z", "2", 1), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "x.y.y", "no", 2), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "a.b.c", "", 0), BC_OK);
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	run_until(sub, &s, 3);
	ck_assert_str_eq(s.topics[0], "a.b");
	ck_assert_str_eq(s.data[0], "hi");
	ck_assert_int_eq(s.reply_null[0], 1);
	ck_assert_str_eq(s.topics[1], "x.y.z");
	ck_assert_str_eq(s.data[1], "2");
	ck_assert_str_eq(s.topics[2], "a.b.c");
	ck_assert_str_eq(s.data[2], "");
	ck_assert_int_eq(bc_run(sub, 100), BC_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.errs + ps.errs, 0);
	bc_close(sub);
	bc_close(pub);
	stop_broker();
}
END_TEST

#define FAN 10

START_TEST(fan_out)
{
	struct seen s[FAN];
	bc_client *subs[FAN], *pub;

	memset(s, 0, sizeof s);
	start_broker(NULL);
	for (int i = 0; i < FAN; i++) {
		subs[i] = connect_to(broker.port, &s[i]);
		ck_assert_int_eq(
			bc_subscribe(subs[i], "f.>", NULL, on_msg, &s[i], NULL),
			BC_OK);
	}
	pub = connect_to(broker.port, NULL);
	for (int k = 0; k < 5; k++)
		ck_assert_int_eq(bc_publish(pub, "f.x", "m", 1), BC_OK);
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	for (int i = 0; i < FAN; i++) {
		run_until(subs[i], &s[i], 5);
		bc_close(subs[i]);
	}
	bc_close(pub);
	stop_broker();
}
END_TEST

START_TEST(queue_group)
{
	struct seen s[3], all = { 0 };
	bc_client *m[3], *plain, *pub;
	int64_t deadline;
	int total = 0;
	char buf[16];

	memset(s, 0, sizeof s);
	start_broker(NULL);
	for (int i = 0; i < 3; i++) {
		m[i] = connect_to(broker.port, &s[i]);
		ck_assert_int_eq(bc_subscribe(m[i], "q.>", "workers", on_msg,
					      &s[i], NULL),
				 BC_OK);
	}
	plain = connect_to(broker.port, &all);
	ck_assert_int_eq(bc_subscribe(plain, "q.>", NULL, on_msg, &all, NULL),
			 BC_OK);
	pub = connect_to(broker.port, NULL);
	for (int k = 0; k < 30; k++) {
		snprintf(buf, sizeof buf, "%d", k);
		ck_assert_int_eq(bc_publish(pub, "q.job", buf, strlen(buf)),
				 BC_OK);
	}
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	deadline = harness_now_ms() + 3000;
	while (total < 30 && harness_now_ms() < deadline) {
		total = 0;
		for (int i = 0; i < 3; i++) {
			ck_assert_int_eq(bc_run(m[i], 20), BC_OK);
			total += s[i].n;
		}
	}
	for (int i = 0; i < 3; i++) /* nothing more may come */
		ck_assert_int_eq(bc_run(m[i], 50), BC_OK);
	ck_assert_int_eq(s[0].n + s[1].n + s[2].n, 30);
	run_until(plain, &all, 30);
	for (int i = 0; i < 3; i++)
		bc_close(m[i]);
	bc_close(plain);
	bc_close(pub);
	stop_broker();
}
END_TEST

static void unsub_self(bc_client *c, const bc_msg *m, void *arg)
{
	struct seen *s = arg;

	s->n++;
	ck_assert_int_eq(bc_unsubscribe(c, bc_msg_sid(m)), BC_OK);
	ck_assert_int_eq(bc_unsubscribe(c, bc_msg_sid(m)), BC_ERR_NO_SUCH_SUB);
}

START_TEST(unsubscribe_stops)
{
	struct seen s = { 0 }, self = { 0 };
	bc_client *sub, *pub;
	uint32_t sid = 0;

	start_broker(NULL);
	sub = connect_to(broker.port, &s);
	pub = connect_to(broker.port, NULL);
	ck_assert_int_eq(bc_subscribe(sub, "u.a", NULL, on_msg, &s, &sid),
			 BC_OK);
	ck_assert_int_eq(
		bc_subscribe(sub, "u.b", NULL, unsub_self, &self, NULL), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "u.a", "1", 1), BC_OK);
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	run_until(sub, &s, 1);
	ck_assert_int_eq(bc_unsubscribe(sub, sid), BC_OK);
	ck_assert_int_eq(bc_unsubscribe(sub, sid), BC_ERR_NO_SUCH_SUB);
	ck_assert_int_eq(bc_flush(sub, BC_TIMEOUT_DEFAULT), BC_OK);
	/* Two back to back: the callback unsubscribes after the first. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(bc_publish(pub, "u.a", "2", 1), BC_OK);
		ck_assert_int_eq(bc_publish(pub, "u.b", "x", 1), BC_OK);
	}
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	ck_assert_int_eq(bc_run(sub, 200), BC_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(self.n, 1);
	bc_close(sub);
	bc_close(pub);
	stop_broker();
}
END_TEST

static void echo(bc_client *c, const bc_msg *m, void *arg)
{
	char out[128];
	int n = snprintf(out, sizeof out, "re:%.*s", (int)bc_msg_len(m),
			 (const char *)bc_msg_data(m));

	(void)arg;
	ck_assert_ptr_nonnull(bc_msg_reply_to(m));
	ck_assert_int_eq(bc_respond(c, m, out, (size_t)n), BC_OK);
}

static atomic_int responder_stop;

static void *responder_main(void *arg)
{
	bc_client *c = arg;

	while (!atomic_load(&responder_stop))
		bc_run(c, 20);
	return NULL;
}

START_TEST(request_reply)
{
	bc_client *resp, *req;
	bc_msg *reply = NULL;
	pthread_t th;

	start_broker(NULL);
	resp = connect_to(broker.port, NULL);
	ck_assert_int_eq(bc_subscribe(resp, "svc.echo", NULL, echo, NULL, NULL),
			 BC_OK);
	req = connect_to(broker.port, NULL);
	/* One client per thread: the responder runs in its own. */
	atomic_store(&responder_stop, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, responder_main, resp), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(
			bc_request(req, "svc.echo", "ping", 4, 2000, &reply),
			BC_OK);
		ck_assert_ptr_nonnull(reply);
		ck_assert_uint_eq(bc_msg_len(reply), 7);
		ck_assert_str_eq(bc_msg_data(reply), "re:ping");
		ck_assert(strncmp(bc_msg_topic(reply), "_INBOX.", 7) == 0);
		bc_msg_free(reply);
	}
	ck_assert_int_eq(bc_request(req, "svc.nobody", "x", 1, 200, &reply),
			 BC_ERR_NO_RESPONDERS);
	ck_assert_ptr_null(reply);
	atomic_store(&responder_stop, 1);
	pthread_join(th, NULL);
	bc_close(resp);
	bc_close(req);
	stop_broker();
}
END_TEST

/* A request nobody subscribes to ends at once with BC_ERR_NO_RESPONDERS
 * (its timeout is far beyond the test's), the client stays usable, and
 * the breaker does not count it as a failure. */
START_TEST(request_no_responders)
{
	bc_client *req;
	bc_msg *reply = NULL;

	start_broker(NULL);
	req = connect_to(broker.port, NULL);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(
			bc_request(req, "svc.nobody", "x", 1, 600000, &reply),
			BC_ERR_NO_RESPONDERS);
		ck_assert_ptr_null(reply);
	}
	ck_assert_int_eq(bc_breaker_state(req), BC_BREAKER_CLOSED);
	ck_assert_int_eq(bc_publish(req, "svc.nobody", "y", 1), BC_OK);
	ck_assert_int_eq(bc_flush(req, 5000), BC_OK);
	ck_assert_str_eq(bc_strerror(BC_ERR_NO_RESPONDERS), "no responders");
	bc_close(req);
	stop_broker();
}
END_TEST

struct async_reply {
	int calls;
	int err;
	char data[32];
};

static void got_reply(bc_client *c, int err, const bc_msg *m, void *arg)
{
	struct async_reply *r = arg;

	(void)c;
	r->calls++;
	r->err = err;
	if (m)
		snprintf(r->data, sizeof r->data, "%.*s", (int)bc_msg_len(m),
			 (const char *)bc_msg_data(m));
}

/* Both clients on this thread, taking turns. */
START_TEST(request_async_alternating)
{
	struct async_reply r = { 0, -1, "" };
	bc_client *resp, *req;
	int64_t deadline;

	start_broker(NULL);
	resp = connect_to(broker.port, NULL);
	ck_assert_int_eq(bc_subscribe(resp, "svc.echo", NULL, echo, NULL, NULL),
			 BC_OK);
	req = connect_to(broker.port, NULL);
	ck_assert_int_eq(
		bc_request_async(req, "svc.echo", "a", 1, 2000, got_reply, &r),
		BC_OK);
	ck_assert_int_eq(r.calls, 0);
	deadline = harness_now_ms() + 3000;
	while (r.calls == 0 && harness_now_ms() < deadline) {
		ck_assert_int_eq(bc_run(req, 20), BC_OK);
		ck_assert_int_eq(bc_run(resp, 20), BC_OK);
	}
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.err, BC_OK);
	ck_assert_str_eq(r.data, "re:a");
	bc_close(resp);
	bc_close(req);
	stop_broker();
}
END_TEST

static void count_ack(bc_client *c, int err, void *arg)
{
	int *acks = arg;

	(void)c;
	ck_assert_int_eq(err, BC_OK);
	(*acks)++;
}

START_TEST(acked_publish_and_limits)
{
	struct seen s = { 0 };
	bc_client *c;
	static char big[2048];
	const char *reason;
	int acks = 0;

	start_broker("max_payload 1000\nmax_subs_per_client 2\n");
	c = connect_to(broker.port, &s);
	ck_assert_uint_eq(bc_max_payload(c), 1000);
	ck_assert_int_eq(
		bc_publish_sync(c, "a.b", big, 1000, BC_TIMEOUT_DEFAULT),
		BC_OK);
	ck_assert_int_eq(
		bc_publish_sync(c, "a.b", big, 1001, BC_TIMEOUT_DEFAULT),
		BC_ERR_TOO_LARGE);
	ck_assert_int_eq(bc_publish(c, "a.b", big, 2048), BC_ERR_TOO_LARGE);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(bc_publish_ex(c, "a.b", "x", 1, "r.to",
					       count_ack, &acks),
				 BC_OK);
	ck_assert_int_eq(acks, 0);
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_DEFAULT), BC_OK);
	ck_assert_int_eq(acks, 5);
	/* The broker refuses the third subscription. */
	ck_assert_int_eq(bc_subscribe(c, "s.1", NULL, on_msg, &s, NULL), BC_OK);
	ck_assert_int_eq(bc_subscribe(c, "s.2", NULL, on_msg, &s, NULL), BC_OK);
	ck_assert_int_eq(bc_subscribe(c, "s.3", NULL, on_msg, &s, NULL),
			 BC_ERR_SERVER);
	ck_assert_int_eq(bc_last_error(c, &reason), 15);
	ck_assert_int_gt((int)strlen(reason), 0);
	ck_assert_int_eq(s.errs, 0);
	bc_close(c);
	stop_broker();
}
END_TEST

START_TEST(flush_and_close_deliver_everything)
{
	struct seen s = { 0 };
	bc_client *sub, *pub;
	static char payload[512 * 1024];

	start_broker(NULL);
	sub = connect_to(broker.port, &s);
	ck_assert_int_eq(bc_subscribe(sub, "big.>", NULL, on_msg, &s, NULL),
			 BC_OK);
	pub = connect_to(broker.port, NULL);
	memset(payload, 'z', sizeof payload);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(
			bc_publish(pub, "big.x", payload, sizeof payload),
			BC_OK);
	bc_close(pub); /* must write everything first */
	run_until(sub, &s, 20);
	ck_assert_int_eq(s.data[19][0], 'z');
	bc_close(sub);
	stop_broker();
}
END_TEST

struct base_test {
	struct seen s;
	struct event_base *base;
	int connected;
};

static void base_state(bc_client *c, int state, int err, void *arg)
{
	struct base_test *t = arg;

	(void)c;
	ck_assert_int_eq(err, BC_OK);
	if (state == BC_STATE_CONNECTED)
		t->connected = 1;
	event_base_loopbreak(t->base);
}

static void base_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct base_test *t = arg;

	(void)c;
	(void)m;
	t->s.n++;
	event_base_loopbreak(t->base);
}

START_TEST(base_mode)
{
	struct base_test t;
	struct timeval limit = clock_ms_tv(3000);
	bc_options *o;
	bc_client *c = NULL, *pub;

	memset(&t, 0, sizeof t);
	start_broker(NULL);
	t.base = event_base_new();
	o = opts_for(broker.port, NULL);
	bc_options_set_state_cb(o, base_state, &t);
	ck_assert_int_eq(bc_connect_base(&c, o, t.base), BC_OK);
	bc_options_free(o);
	ck_assert_int_eq(bc_state(c), BC_STATE_CONNECTING);
	/* Queued behind the HELLO. */
	ck_assert_int_eq(bc_subscribe(c, "b.>", NULL, base_msg, &t, NULL),
			 BC_OK);
	event_base_loopexit(t.base, &limit);
	event_base_dispatch(t.base);
	ck_assert_int_eq(t.connected, 1);
	pub = connect_to(broker.port, NULL);
	/* The base-mode client's SUB may still be in flight: publish until
	 * it sees a message (bounded). */
	for (int i = 0; i < 50 && t.s.n == 0; i++) {
		struct timeval slice = clock_ms_tv(50);

		ck_assert_int_eq(bc_publish(pub, "b.c", "x", 1), BC_OK);
		ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
		event_base_loopexit(t.base, &slice);
		event_base_dispatch(t.base);
	}
	ck_assert_int_ge(t.s.n, 1);
	bc_close(c);
	bc_close(pub);
	event_base_free(t.base);
	stop_broker();
}
END_TEST

START_TEST(connect_refused)
{
	struct seen s = { 0 };
	bc_options *o = opts_for(harness_free_port(), &s);
	bc_client *c = NULL;

	ck_assert_int_eq(bc_connect(&c, o), BC_ERR_CONNECT);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(s.last_err, BC_ERR_CONNECT);
	ck_assert_msg(strstr(s.last_reason, "refused"), "%s", s.last_reason);
	bc_options_free(o);
}
END_TEST

static void ack_closed(bc_client *c, int err, void *arg)
{
	int *got = arg;

	(void)c;
	*got = err;
}

START_TEST(broker_killed)
{
	struct seen s = { 0 };
	bc_client *c;
	int ack = -1;

	start_broker(NULL);
	c = connect_once(broker.port, &s);
	ck_assert_int_eq(bc_subscribe(c, "k.>", NULL, on_msg, &s, NULL), BC_OK);
	harness_stop_broker(&broker, SIGKILL, 2000);
	ck_assert_int_eq(
		bc_publish_ex(c, "k.x", "x", 1, NULL, ack_closed, &ack), BC_OK);
	ck_assert_int_eq(bc_run(c, 3000), BC_ERR_CLOSED);
	ck_assert_int_eq(bc_state(c), BC_STATE_DISCONNECTED);
	ck_assert_int_eq(s.state, BC_STATE_DISCONNECTED);
	ck_assert_int_eq(s.last_err, BC_ERR_CLOSED);
	ck_assert_int_eq(ack, BC_ERR_CLOSED);
	ck_assert_int_eq(bc_publish(c, "k.x", "x", 1), BC_ERR_CLOSED);
	ck_assert_int_eq(bc_flush(c, 100), BC_ERR_CLOSED);
	bc_close(c);
}
END_TEST

static void close_in_msg(bc_client *c, const bc_msg *m, void *arg)
{
	(void)m;
	++*(int *)arg;
	bc_close(c);
	bc_close(c); /* a second call is harmless while deferred */
}

START_TEST(close_inside_callback)
{
	bc_client *sub, *pub;
	int calls = 0;

	start_broker(NULL);
	sub = connect_to(broker.port, NULL);
	ck_assert_int_eq(
		bc_subscribe(sub, "c.>", NULL, close_in_msg, &calls, NULL),
		BC_OK);
	pub = connect_to(broker.port, NULL);
	ck_assert_int_eq(bc_publish(pub, "c.1", "x", 1), BC_OK);
	ck_assert_int_eq(bc_publish(pub, "c.2", "x", 1), BC_OK);
	ck_assert_int_eq(bc_flush(pub, BC_TIMEOUT_DEFAULT), BC_OK);
	/* sub is freed when bc_run returns. */
	ck_assert_int_eq(bc_run(sub, 3000), BC_ERR_CLOSED);
	ck_assert_int_eq(calls, 1);
	bc_close(pub);
	stop_broker();
}
END_TEST

/* ---- fake brokers -------------------------------------------------------- */

/* A script keeps its end open until the client under test hangs up
 * (harness_wait_closed, bounded): what it sent must reach the client, not
 * a reset, and no fixed sleep guesses how long that takes. */
typedef void (*fake_script)(int fd);

struct fake {
	pid_t pid;
	int port;
};

/* Fork a one-connection server running script; the child exits after. */
static void fake_start(struct fake *f, fake_script script)
{
	int lfd = harness_listen(&f->port, 4);

	ck_assert_int_ge(lfd, 0);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			script(fd);
		_exit(0);
	}
	close(lfd);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL);
	harness_wait_pid(f->pid, 2000);
}

static void send_frame(int fd, const uint8_t *buf, size_t n)
{
	if (n == 0 || harness_send(fd, buf, n) != 0)
		_exit(1);
}

/* Read HELLO and answer WELCOME with the given version and max payload. */
static void fake_welcome(int fd, uint32_t version, uint64_t max_payload)
{
	uint8_t buf[4096];
	struct proto_msg m;

	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    m.op != PROTO_HELLO)
		_exit(1);
	send_frame(fd, buf,
		   proto_enc_welcome(buf, sizeof buf, version,
				     proto_cstr("fake"), 1, max_payload,
				     60000));
}

static void script_silent(int fd)
{
	harness_wait_closed(fd, 10000); /* never a byte */
	close(fd);
}

START_TEST(silent_server_times_out)
{
	struct seen s = { 0 };
	struct fake f;
	bc_options *o;
	bc_client *c = NULL;
	int64_t t0;

	fake_start(&f, script_silent);
	o = opts_for(f.port, &s);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, 300), BC_OK);
	t0 = harness_now_ms();
	ck_assert_int_eq(bc_connect(&c, o), BC_ERR_TIMEOUT);
	/* Not before the timeout: the lower bound is the behaviour (load
	 * only makes it later); how much later is not asserted. */
	ck_assert_int_ge(harness_now_ms() - t0, 250);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(s.last_err, BC_ERR_TIMEOUT);
	bc_options_free(o);
	fake_stop(&f);
}
END_TEST

static void script_refuse(int fd)
{
	uint8_t buf[512];
	struct proto_msg m;

	harness_recv_msg(fd, buf, sizeof buf, &m, 3000);
	send_frame(fd, buf,
		   proto_enc_err(buf, sizeof buf, 0, PROTO_E_SERVER_BUSY,
				 proto_cstr("too many clients")));
	harness_wait_closed(fd, 2000); /* until the client hangs up */
}

static void script_bad_version(int fd)
{
	fake_welcome(fd, 99, 1000);
	harness_wait_closed(fd, 2000); /* until the client hangs up */
}

static void script_garbage(int fd)
{
	uint8_t junk[] = { 0, 0, 0, 3, 0xc1, 0xc1, 0xc1 };

	send_frame(fd, junk, sizeof junk);
	harness_wait_closed(fd, 2000); /* until the client hangs up */
}

START_TEST(handshake_failures)
{
	static const fake_script scripts[] = { script_refuse,
					       script_bad_version,
					       script_garbage };

	for (size_t i = 0; i < 3; i++) {
		struct seen s = { 0 };
		struct fake f;
		bc_options *o;
		bc_client *c = NULL;

		fake_start(&f, scripts[i]);
		o = opts_for(f.port, &s);
		ck_assert_int_eq(bc_connect(&c, o), BC_ERR_HANDSHAKE);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(s.last_err, BC_ERR_HANDSHAKE);
		if (i == 0) {
			ck_assert_int_eq(s.last_code, PROTO_E_SERVER_BUSY);
			ck_assert_str_eq(s.last_reason, "too many clients");
		}
		bc_options_free(o);
		fake_stop(&f);
	}
}
END_TEST

/* 1 if needle[0..n) occurs in hay[0..len). */
static int has_bytes(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* The HELLO must be [1, v, name, {"user": "alice", "pass": "s3cret"}]
 * (a 4-element array: 0x94): answer ERR AUTH_FAILED.  Anything else: no
 * answer (the client then fails another way). */
static void script_auth(int fd)
{
	uint8_t buf[4096];
	struct proto_msg m;
	ssize_t n = 0;

	if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
	    m.op != PROTO_HELLO)
		_exit(1);
	n = (ssize_t)(PROTO_HDR_LEN + ((size_t)buf[2] << 8 | buf[3]));
	if (buf[PROTO_HDR_LEN] != 0x94 || !has_bytes(buf, (size_t)n, "user") ||
	    !has_bytes(buf, (size_t)n, "alice") ||
	    !has_bytes(buf, (size_t)n, "s3cret"))
		_exit(1);
	send_frame(fd, buf,
		   proto_enc_err(buf, sizeof buf, 0, PROTO_E_AUTH_FAILED,
				 proto_cstr("authentication failed")));
	harness_wait_closed(fd, 2000);
	close(fd);
}

/* Credentials go in HELLO; ERR AUTH_FAILED is BC_ERR_AUTH and final:
 * the client does not try again although it was told to retry (the
 * fake accepts one connection: a retry would time out instead). */
START_TEST(credentials_refused_is_final)
{
	struct seen s = { 0 };
	struct fake f;
	bc_options *o;
	bc_client *c = NULL;
	char why[256];

	fake_start(&f, script_auth);
	o = opts_for(f.port, &s);
	ck_assert_int_eq(bc_options_set_credentials(o, "alice", "s3cret"),
			 BC_OK);
	ck_assert_int_eq(bc_options_set_connect_retries(o, -1), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, 2000), BC_OK);
	ck_assert_int_eq(bc_connect_err(&c, o, why, sizeof why), BC_ERR_AUTH);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(s.last_err, BC_ERR_AUTH);
	ck_assert_int_eq(s.last_code, PROTO_E_AUTH_FAILED);
	ck_assert_int_eq(s.errs, 1);
	ck_assert_msg(strstr(why, "authentication failed") != NULL, "%s", why);
	bc_options_free(o);
	fake_stop(&f);
}
END_TEST

/* WELCOME, then: ERR for the first PUB, OK for the second, an unsolicited
 * ERR, a NOTICE, then a MSG over the announced max payload. */
static void script_errors(int fd)
{
	uint8_t buf[4096], big[1000];
	struct proto_msg m;

	fake_welcome(fd, PROTO_VERSION, 100);
	for (int i = 0; i < 2; i++) {
		if (harness_recv_msg(fd, buf, sizeof buf, &m, 3000) != 0 ||
		    m.op != PROTO_PUB)
			_exit(1);
		send_frame(fd, buf,
			   i == 0 ? proto_enc_err(buf, sizeof buf, m.req_id,
						  PROTO_E_SERVER_BUSY,
						  proto_cstr("slow down"))
				  : proto_enc_ok(buf, sizeof buf, m.req_id));
	}
	send_frame(fd, buf,
		   proto_enc_err(buf, sizeof buf, 0, PROTO_E_INTERNAL,
				 proto_cstr("oops")));
	send_frame(fd, buf,
		   proto_enc_notice(buf, sizeof buf, PROTO_NOTICE_DROPPED, 42,
				    proto_cstr("slow consumer")));
	memset(big, 'b', sizeof big);
	send_frame(
		fd, buf,
		proto_enc_msg(buf, sizeof buf, 1, proto_cstr("t"),
			      proto_cstr(NULL),
			      (struct proto_str){ (char *)big, sizeof big }));
	harness_wait_closed(fd, 2000); /* until the client hangs up */
}

START_TEST(server_errors_and_notices)
{
	struct seen s = { 0 };
	struct fake f;
	const char *reason;
	bc_client *c;

	fake_start(&f, script_errors);
	c = connect_once(f.port, &s);
	ck_assert_uint_eq(bc_max_payload(c), 100);
	ck_assert_int_eq(bc_publish_sync(c, "a", "x", 1, BC_TIMEOUT_DEFAULT),
			 BC_ERR_SERVER);
	ck_assert_int_eq(bc_last_error(c, &reason), PROTO_E_SERVER_BUSY);
	ck_assert_str_eq(reason, "slow down");
	ck_assert_int_eq(bc_publish_sync(c, "a", "x", 1, BC_TIMEOUT_DEFAULT),
			 BC_OK);
	ck_assert_int_eq(bc_run(c, 2000), BC_OK); /* the notice breaks */
	ck_assert_int_eq(s.errs, 1);
	ck_assert_int_eq(s.last_err, BC_ERR_SERVER);
	ck_assert_int_eq(s.last_code, PROTO_E_INTERNAL);
	ck_assert_str_eq(s.last_reason, "oops");
	ck_assert_int_eq(s.notices, 1);
	ck_assert_int_eq(s.notice_kind, BC_NOTICE_DROPPED);
	ck_assert_uint_eq(s.notice_count, 42);
	/* The oversized MSG is a protocol violation: connection dropped. */
	ck_assert_int_eq(bc_run(c, 2000), BC_ERR_CLOSED);
	ck_assert_int_eq(s.state, BC_STATE_DISCONNECTED);
	ck_assert_int_eq(s.state_err, BC_ERR_PROTOCOL);
	bc_close(c);
	fake_stop(&f);
}
END_TEST

/* ---- subscription options, drain and async flush ------------------------ */

#define SLOW_N 8000 /* 8 MB: more than the kernel buffers hold */
#define SLOW_SIZE 1024
#define SLOW_BOUND 16

struct slow {
	long got;  /* messages delivered */
	long last; /* sequence number of the last one, -1 */
	long run;  /* length of the gap-free run ending there */
	int out_of_order;
	uint64_t dropped; /* sum of the DROPPED counts */
	int notices;	  /* DROPPED notices */
	int other_notices;
};

static int slow_done(const struct slow *s)
{
	return s->got + (long)s->dropped >= SLOW_N;
}

static void slow_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct slow *s = arg;
	char num[9];
	long seq;

	ck_assert_uint_eq(bc_msg_len(m), SLOW_SIZE);
	memcpy(num, bc_msg_data(m), 8);
	num[8] = 0;
	seq = strtol(num, NULL, 10);
	if (seq <= s->last)
		s->out_of_order++;
	s->run = seq == s->last + 1 ? s->run + 1 : 1;
	s->last = seq;
	s->got++;
	if (slow_done(s))
		bc_break(c);
}

static void slow_notice(bc_client *c, int kind, uint64_t count,
			const char *reason, void *arg)
{
	struct slow *s = arg;

	ck_assert_ptr_nonnull(reason);
	if (kind != BC_NOTICE_DROPPED) {
		s->other_notices++;
		return;
	}
	s->dropped += count;
	s->notices++;
	if (slow_done(s))
		bc_break(c);
}

/* A subscriber that asks for drop-oldest and a queue of 16 messages, then
 * stops reading while 8000 messages are published: once it reads again it
 * gets the oldest ones (already in the kernel's buffers), a DROPPED notice,
 * and the 16 newest; delivered + reported lost = sent, exactly. */
START_TEST(sub_options_drop_oldest)
{
	struct slow s = { 0, -1, 0, 0, 0, 0, 0 };
	static char payload[SLOW_SIZE];
	bc_sub_options *so = bc_sub_options_new();
	bc_options *o;
	bc_client *sub = NULL, *pub;
	int64_t deadline;

	start_broker(NULL);
	o = opts_for(broker.port, NULL);
	ck_assert_int_eq(bc_options_set_notice_cb(o, slow_notice, &s), BC_OK);
	ck_assert_int_eq(bc_connect(&sub, o), BC_OK);
	bc_options_free(o);
	ck_assert_ptr_nonnull(so);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_DROP_OLDEST),
			 BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(so, SLOW_BOUND), BC_OK);
	ck_assert_int_eq(
		bc_subscribe_ex(sub, "slow.x", NULL, so, slow_msg, &s, NULL),
		BC_OK);
	bc_sub_options_free(so); /* copied by bc_subscribe_ex */

	pub = connect_to(broker.port, NULL);
	memset(payload, 'p', sizeof payload);
	for (int i = 0; i < SLOW_N; i++) {
		char num[9];

		snprintf(num, sizeof num, "%08d", i);
		memcpy(payload, num, 8);
		ck_assert_int_eq(
			bc_publish(pub, "slow.x", payload, sizeof payload),
			BC_OK);
	}
	/* Every PUB routed (queued or dropped) once the PONG is back. */
	ck_assert_int_eq(bc_flush(pub, 10000), BC_OK);

	deadline = harness_now_ms() + 10000;
	while (!slow_done(&s) && harness_now_ms() < deadline)
		ck_assert_int_eq(bc_run(sub, 100), BC_OK);
	ck_assert_int_ge(s.notices, 1);
	ck_assert_uint_gt(s.dropped, 0);
	ck_assert_int_eq(s.got + (long)s.dropped, SLOW_N);
	ck_assert_int_eq(s.out_of_order, 0);
	ck_assert_int_eq(s.last, SLOW_N - 1); /* the newest survived */
	ck_assert_int_ge(s.run, SLOW_BOUND);  /* ... all 16 of them */
	ck_assert_int_eq(s.other_notices, 0);
	bc_close(pub);
	bc_close(sub);
	stop_broker();
}
END_TEST

struct drain_test {
	struct event_base *base;
	int connected;
	int drains;
	size_t outbuf_at_drain;
	int flush_calls;
	int flush_err;
};

static void drain_state(bc_client *c, int state, int err, void *arg)
{
	(void)c;
	(void)err;
	if (state == BC_STATE_CONNECTED)
		((struct drain_test *)arg)->connected = 1;
}

static void drained(bc_client *c, void *arg)
{
	struct drain_test *t = arg;

	t->drains++;
	t->outbuf_at_drain = bc_outbuf_len(c);
	event_base_loopbreak(t->base);
}

static void flushed(bc_client *c, int err, void *arg)
{
	struct drain_test *t = arg;

	(void)c;
	t->flush_calls++;
	t->flush_err = err;
	event_base_loopbreak(t->base);
}

/* Run t->base until cond holds or 3 s pass. */
#define RUN_BASE_UNTIL(t, cond)                                  \
	do {                                                     \
		int64_t until_ = harness_now_ms() + 3000;        \
		while (!(cond) && harness_now_ms() < until_) {   \
			struct timeval slice_ = clock_ms_tv(50); \
			event_base_loopexit((t)->base, &slice_); \
			event_base_dispatch((t)->base);          \
		}                                                \
	} while (0)

/* Base mode: a flush asked for before the WELCOME waits for it; filling
 * the output buffer gives BC_ERR_WOULDBLOCK, then exactly one drain
 * callback at half the limit; a flush cut short by bc_close reports
 * BC_ERR_CLOSED exactly once. */
START_TEST(drain_and_flush_async)
{
	enum { MAX_OUT = 64 * 1024 };
	struct drain_test t;
	static char payload[4096];
	bc_options *o;
	bc_client *c = NULL;
	int rc = BC_OK, published = 0;

	memset(&t, 0, sizeof t);
	start_broker(NULL);
	t.base = event_base_new();
	o = opts_for(broker.port, NULL);
	bc_options_set_state_cb(o, drain_state, &t);
	ck_assert_int_eq(bc_options_set_drain_cb(o, drained, &t), BC_OK);
	ck_assert_int_eq(bc_options_set_max_outbuf(o, MAX_OUT), BC_OK);
	ck_assert_int_eq(bc_connect_base(&c, o, t.base), BC_OK);
	bc_options_free(o);
	ck_assert_int_eq(bc_flush_async(c, BC_TIMEOUT_DEFAULT, flushed, &t),
			 BC_OK);
	ck_assert_int_eq(t.flush_calls, 0); /* never from inside */
	RUN_BASE_UNTIL(&t, t.flush_calls > 0);
	ck_assert_int_eq(t.connected, 1);
	ck_assert_int_eq(t.flush_calls, 1);
	ck_assert_int_eq(t.flush_err, BC_OK);

	while (rc == BC_OK && published < 1000) {
		rc = bc_publish(c, "drain.x", payload, sizeof payload);
		published += rc == BC_OK;
	}
	ck_assert_int_eq(rc, BC_ERR_WOULDBLOCK);
	ck_assert_uint_ge(bc_outbuf_len(c), MAX_OUT);
	ck_assert_int_eq(t.drains, 0);
	RUN_BASE_UNTIL(&t, t.drains > 0);
	ck_assert_int_eq(t.drains, 1);
	ck_assert_uint_le(t.outbuf_at_drain, MAX_OUT / 2);
	/* Not owed again until the next WOULDBLOCK. */
	RUN_BASE_UNTIL(&t, bc_outbuf_len(c) == 0);
	ck_assert_int_eq(t.drains, 1);

	t.flush_calls = 0;
	ck_assert_int_eq(bc_flush_async(c, BC_TIMEOUT_DEFAULT, flushed, &t),
			 BC_OK);
	bc_close(c);
	ck_assert_int_eq(t.flush_calls, 1);
	ck_assert_int_eq(t.flush_err, BC_ERR_CLOSED);
	event_base_free(t.base);
	stop_broker();
}
END_TEST

#define MANY_REQS 300

struct many_replies {
	int calls[MANY_REQS];
	int bad;
	int done;
};

struct many_arg {
	struct many_replies *r;
	int i;
};

static void many_reply(bc_client *c, int err, const bc_msg *m, void *arg)
{
	struct many_arg *a = arg;
	char want[32];

	(void)c;
	snprintf(want, sizeof want, "re:%d", a->i);
	a->r->calls[a->i]++;
	a->r->done++;
	if (err != BC_OK || bc_msg_len(m) != strlen(want) ||
	    memcmp(bc_msg_data(m), want, strlen(want)) != 0)
		a->r->bad++;
}

/* Hundreds of requests in flight at once: each reply finds its request. */
START_TEST(many_requests_in_flight)
{
	static struct many_replies r;
	static struct many_arg args[MANY_REQS];
	bc_client *resp, *req;
	int64_t deadline;

	memset(&r, 0, sizeof r);
	start_broker(NULL);
	resp = connect_to(broker.port, NULL);
	ck_assert_int_eq(bc_subscribe(resp, "svc.echo", NULL, echo, NULL, NULL),
			 BC_OK);
	req = connect_to(broker.port, NULL);
	for (int i = 0; i < MANY_REQS; i++) {
		char data[16];

		args[i].r = &r;
		args[i].i = i;
		snprintf(data, sizeof data, "%d", i);
		ck_assert_int_eq(bc_request_async(req, "svc.echo", data,
						  strlen(data), 3000,
						  many_reply, &args[i]),
				 BC_OK);
	}
	deadline = harness_now_ms() + 5000;
	while (r.done < MANY_REQS && harness_now_ms() < deadline) {
		ck_assert_int_eq(bc_run(resp, 10), BC_OK);
		ck_assert_int_eq(bc_run(req, 10), BC_OK);
	}
	ck_assert_int_eq(r.done, MANY_REQS);
	ck_assert_int_eq(r.bad, 0);
	for (int i = 0; i < MANY_REQS; i++)
		ck_assert_int_eq(r.calls[i], 1);
	bc_close(resp);
	bc_close(req);
	stop_broker();
}
END_TEST

static Suite *it_suite(void)
{
	Suite *s = suite_create("client_it");
	TCase *tc = tcase_create("broker");
	TCase *fk = tcase_create("fake");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, pub_sub_patterns);
	tcase_add_test(tc, fan_out);
	tcase_add_test(tc, queue_group);
	tcase_add_test(tc, unsubscribe_stops);
	tcase_add_test(tc, request_reply);
	tcase_add_test(tc, request_no_responders);
	tcase_add_test(tc, request_async_alternating);
	tcase_add_test(tc, acked_publish_and_limits);
	tcase_add_test(tc, flush_and_close_deliver_everything);
	tcase_add_test(tc, base_mode);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, broker_killed);
	tcase_add_test(tc, close_inside_callback);
	tcase_add_test(tc, sub_options_drop_oldest);
	tcase_add_test(tc, drain_and_flush_async);
	tcase_add_test(tc, many_requests_in_flight);
	suite_add_tcase(s, tc);
	tcase_set_timeout(fk, 20);
	tcase_add_test(fk, silent_server_times_out);
	tcase_add_test(fk, handshake_failures);
	tcase_add_test(fk, credentials_refused_is_final);
	tcase_add_test(fk, server_errors_and_notices);
	suite_add_tcase(s, fk);
	return s;
}

int main(void)
{
	return harness_run_suite(it_suite());
}
