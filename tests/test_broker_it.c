/*
 * test_broker_it.c - integration tests: start the real brokerd (from
 * $BROKERD) on a free 127.0.0.1 port and talk to it over raw sockets with
 * the protocol encoders.  Every test ends by stopping the broker with
 * SIGTERM and asserting exit status 0 (under the sanitizer build a leak
 * makes that fail).
 */
#include "config.h"

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "harness.h"
#include "proto.h"

#define WAIT_MS 3000 /* for things that must happen */
#define QUIET_MS 150 /* for things that must not */
#define RX_CAP (256 * 1024)

/* ---- plumbing --------------------------------------------------------- */

struct rx {
	uint8_t buf[RX_CAP];
	struct proto_msg m;
};

static struct rx *rx_new(void)
{
	struct rx *r = malloc(sizeof *r);

	ck_assert_ptr_nonnull(r);
	return r;
}

static void start(struct broker_proc *b, const char *conf)
{
	ck_assert_int_eq(harness_start_broker(b, conf, NULL), 0);
}

static void stop_ok(struct broker_proc *b)
{
	int st = harness_stop_broker(b, SIGTERM, 10000);

	ck_assert_msg(st != -1 && WIFEXITED(st),
		      "brokerd did not exit "
		      "normally (status %d)",
		      st);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}

static int client(const struct broker_proc *b, const char *name)
{
	int fd = harness_client(b->port, name);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void send_raw(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(harness_send(fd, p, n), 0);
}

/* Receive one frame that must decode. */
static const struct proto_msg *recv_frame(int fd, struct rx *r)
{
	int rc = harness_recv_msg(fd, r->buf, sizeof r->buf, &r->m, WAIT_MS);

	ck_assert_int_eq(rc, 0);
	return &r->m;
}

/* Nothing arrives within ms. */
static void expect_silence(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, ms), 0);
}

static void expect_ok(int fd, struct rx *r, uint64_t req_id)
{
	const struct proto_msg *m = recv_frame(fd, r);

	ck_assert_msg(m->op == PROTO_OK, "expected OK, got op %u (code %llu)",
		      m->op, (unsigned long long)m->code);
	ck_assert_uint_eq(m->req_id, req_id);
}

static void expect_err(int fd, struct rx *r, uint64_t req_id,
		       enum proto_err code)
{
	const struct proto_msg *m = recv_frame(fd, r);

	ck_assert_msg(m->op == PROTO_ERR, "expected ERR, got op %u", m->op);
	ck_assert_msg(m->code == (uint64_t)code, "expected ERR %d, got %llu",
		      (int)code, (unsigned long long)m->code);
	ck_assert_uint_eq(m->req_id, req_id);
	ck_assert_uint_gt(m->reason.len, 0);
}

static int str_eq(struct proto_str s, const char *c)
{
	if (!c)
		return s.ptr == NULL;
	return s.ptr && s.len == strlen(c) && memcmp(s.ptr, c, s.len) == 0;
}

static void check_msg(const struct proto_msg *m, uint32_t sid,
		      const char *topic, const char *reply, const char *payload)
{
	ck_assert_msg(m->op == PROTO_MSG, "expected MSG, got op %u", m->op);
	ck_assert_uint_eq(m->sid, sid);
	ck_assert(str_eq(m->topic, topic));
	ck_assert(str_eq(m->reply_to, reply));
	ck_assert(str_eq(m->payload, payload));
}

static void expect_msg(int fd, struct rx *r, uint32_t sid, const char *topic,
		       const char *reply, const char *payload)
{
	check_msg(recv_frame(fd, r), sid, topic, reply, payload);
}

static void send_sub(int fd, uint64_t req, uint32_t sid, const char *pattern,
		     const char *queue)
{
	uint8_t buf[1024];
	size_t n = proto_enc_sub(buf, sizeof buf, req, sid, proto_cstr(pattern),
				 proto_cstr(queue));

	ck_assert_uint_gt(n, 0);
	send_raw(fd, buf, n);
}

/* SUB with an ack, so the subscription is in place when this returns. */
static void sub_ok(int fd, struct rx *r, uint32_t sid, const char *pattern,
		   const char *queue)
{
	send_sub(fd, 1000 + sid, sid, pattern, queue);
	expect_ok(fd, r, 1000 + sid);
}

static void send_pub_bin(int fd, uint64_t req, const char *topic,
			 const char *reply, const void *payload, size_t len)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t n = proto_enc_pub_head(head, sizeof head, req, proto_cstr(topic),
				      proto_cstr(reply), (uint32_t)len);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, head, n);
	if (len)
		send_raw(fd, payload, len);
}

static void send_pub(int fd, uint64_t req, const char *topic, const char *reply,
		     const char *payload)
{
	send_pub_bin(fd, req, topic, reply, payload, strlen(payload));
}

static void send_unsub(int fd, uint64_t req, uint32_t sid)
{
	uint8_t buf[64];
	size_t n = proto_enc_unsub(buf, sizeof buf, req, sid);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, buf, n);
}

static void send_ping(int fd)
{
	uint8_t buf[16];

	send_raw(fd, buf, proto_enc_ping(buf, sizeof buf));
}

/* The connection is open and in sync: PING gets PONG next. */
static void expect_alive(int fd, struct rx *r)
{
	send_ping(fd);
	ck_assert_uint_eq(recv_frame(fd, r)->op, PROTO_PONG);
}

/* ---- a tiny msgpack writer for hand-made (often invalid) frames ------- */

struct wbuf {
	uint8_t b[2048];
	size_t n;
};

static void w_byte(struct wbuf *w, uint8_t v)
{
	ck_assert_uint_lt(w->n, sizeof w->b);
	w->b[w->n++] = v;
}

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	ck_assert_uint_le(w->n + n, sizeof w->b);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_arr(struct wbuf *w, uint8_t n)
{
	w_byte(w, (uint8_t)(0x90 | n));
}

static void w_uint(struct wbuf *w, uint8_t v)
{
	ck_assert_uint_lt(v, 128);
	w_byte(w, v);
}

static void w_nil(struct wbuf *w)
{
	w_byte(w, 0xc0);
}

static void w_strn(struct wbuf *w, const char *s, size_t len)
{
	if (len < 32) {
		w_byte(w, (uint8_t)(0xa0 | len));
	} else {
		w_byte(w, 0xda);
		w_byte(w, (uint8_t)(len >> 8));
		w_byte(w, (uint8_t)len);
	}
	w_bytes(w, s, len);
}

static void w_str(struct wbuf *w, const char *s)
{
	w_strn(w, s, strlen(s));
}

/* Send w's bytes as one frame body with a correct length prefix. */
static void send_body(int fd, const struct wbuf *w)
{
	uint8_t hdr[4] = { (uint8_t)(w->n >> 24), (uint8_t)(w->n >> 16),
			   (uint8_t)(w->n >> 8), (uint8_t)w->n };

	send_raw(fd, hdr, sizeof hdr);
	send_raw(fd, w->b, w->n);
}

/* PUB [3, req, topic, reply_to|nil, "x"] by hand (no encoder checks). */
static void w_pub(struct wbuf *w, uint8_t req, const char *topic,
		  size_t topic_len, const char *reply)
{
	w->n = 0;
	w_arr(w, 5);
	w_uint(w, PROTO_PUB);
	w_uint(w, req);
	w_strn(w, topic, topic_len);
	if (reply)
		w_str(w, reply);
	else
		w_nil(w);
	w_str(w, "x");
}

static void w_sub(struct wbuf *w, uint8_t req, const char *pattern)
{
	w->n = 0;
	w_arr(w, 5);
	w_uint(w, PROTO_SUB);
	w_uint(w, req);
	w_uint(w, 1);
	w_str(w, pattern);
	w_nil(w);
}

/* ---- handshake, PING ---------------------------------------------------- */

START_TEST(test_hello_welcome)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	uint8_t buf[256];
	uint64_t first_id;
	int fd, fd2;

	start(&b, "max_payload 64k\nping_interval 5s\n");
	fd = harness_connect(b.port);
	ck_assert_int_ge(fd, 0);
	send_raw(fd, buf,
		 proto_enc_hello(buf, sizeof buf, PROTO_VERSION,
				 proto_cstr("t1")));
	recv_frame(fd, r);
	ck_assert_uint_eq(r->m.op, PROTO_WELCOME);
	ck_assert_uint_eq(r->m.version, PROTO_VERSION);
	ck_assert(str_eq(r->m.name, "brokerd"));
	ck_assert_uint_gt(r->m.client_id, 0);
	ck_assert_uint_eq(r->m.max_payload, 65536);
	ck_assert_uint_eq(r->m.ping_ms, 5000);
	first_id = r->m.client_id;

	fd2 = harness_connect(b.port);
	send_raw(fd2, buf,
		 proto_enc_hello(buf, sizeof buf, PROTO_VERSION,
				 proto_cstr("t2")));
	recv_frame(fd2, r);
	ck_assert_uint_eq(r->m.op, PROTO_WELCOME);
	ck_assert_uint_ne(r->m.client_id, first_id);

	/* PING -> PONG; a second HELLO is refused but the link stays. */
	expect_alive(fd, r);
	send_raw(fd, buf,
		 proto_enc_hello(buf, sizeof buf, PROTO_VERSION,
				 proto_cstr("t1")));
	expect_err(fd, r, 0, PROTO_E_NOT_READY);
	expect_alive(fd, r);
	close(fd);
	close(fd2);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_keepalive)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int good, mute, nohello, pings = 0;
	int64_t t0, end;

	start(&b, "ping_interval 150ms\nmax_pings_out 2\n"
		  "handshake_timeout 300ms\n");
	good = client(&b, "good");
	mute = client(&b, "mute");
	nohello = harness_connect(b.port);
	t0 = harness_now_ms();
	/* The answering client sees several PINGs and stays connected. */
	end = t0 + 1000;
	while (harness_now_ms() < end) {
		struct pollfd p = { .fd = good, .events = POLLIN };
		uint8_t pong[8];
		if (poll(&p, 1, 50) <= 0)
			continue;
		ck_assert_uint_eq(recv_frame(good, r)->op, PROTO_PING);
		pings++;
		send_raw(good, pong, proto_enc_pong(pong, sizeof pong));
	}
	ck_assert_int_ge(pings, 4);
	expect_alive(good, r);
	/* The mute one was dropped after ~ 150 ms x (2 + 1). */
	ck_assert_int_eq(harness_wait_closed(mute, 100), 1);
	/* No HELLO within handshake_timeout: ERR TIMEOUT, closed. */
	expect_err(nohello, r, 0, PROTO_E_TIMEOUT);
	ck_assert_int_eq(harness_wait_closed(nohello, WAIT_MS), 1);
	close(good);
	close(mute);
	close(nohello);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_mute_client_timing)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int mute, pings = 0, closed = 0;
	int64_t t0, dt;

	start(&b, "ping_interval 100ms\nmax_pings_out 2\n");
	mute = client(&b, "mute");
	t0 = harness_now_ms();
	while (!closed) {
		int rc = harness_recv_msg(mute, r->buf, sizeof r->buf, &r->m,
					  WAIT_MS);
		if (rc != 0)
			closed = 1;
		else if (r->m.op == PROTO_PING)
			pings++;
		else
			ck_assert_uint_eq(r->m.op, PROTO_ERR);
	}
	dt = harness_now_ms() - t0;
	ck_assert_int_eq(pings, 2);
	ck_assert_int_ge(dt, 250);
	close(mute);
	stop_ok(&b);
	free(r);
}
END_TEST

/* ---- publish / subscribe ------------------------------------------------ */

/* Read n MSGs and return a bit set of their sids (sid < 32), checking
 * topic, reply-to and payload. */
static unsigned collect_sids(int fd, struct rx *r, int n, const char *topic,
			     const char *reply, const char *payload)
{
	unsigned set = 0;

	for (int i = 0; i < n; i++) {
		recv_frame(fd, r);
		check_msg(&r->m, (uint32_t)r->m.sid, topic, reply, payload);
		ck_assert_uint_lt(r->m.sid, 32);
		ck_assert_msg(!(set & (1u << r->m.sid)), "sid twice");
		set |= 1u << r->m.sid;
	}
	return set;
}

/* PUB [3, req, topic, reply_to, "x", flags]: the optional 6th element. */
static void w_pub_flags(struct wbuf *w, uint8_t req, const char *topic,
			const char *reply, uint8_t flags)
{
	w_pub(w, req, topic, strlen(topic), reply);
	w->b[0] = 0x96; /* six elements */
	w_uint(w, flags);
}

/* No responders: a PUB with flag 1 that reaches no subscription gets
 * ERR NO_RESPONDERS instead of OK; one that reaches a subscription (a
 * queue group member counts) gets OK; without the flag, or with a 6th
 * element that is not a uint (ignored), nobody still means OK. */
START_TEST(test_pub_no_responders)
{
	static const uint8_t
		not_uint
			[] = {
				0x00, 0x00, 0x00, 0x0c, 0x96, 0x03,
				0x05, 0xa3, 'n',  '.',	'x',  0xc0,
				0xa1, 'x',  0xa1, 'z', /* 6th element "z": ignored */
			};
	struct broker_proc b;
	struct rx *r = rx_new();
	struct wbuf w;
	int p, s;

	start(&b, NULL);
	p = client(&b, "p");
	s = client(&b, "s");
	w_pub_flags(&w, 1, "n.x", "_INBOX.a.1", PROTO_PUB_NO_RESPONDERS);
	send_body(p, &w);
	expect_err(p, r, 1, PROTO_E_NO_RESPONDERS);
	w_pub_flags(&w, 2, "n.x", NULL, 0);
	send_body(p, &w);
	expect_ok(p, r, 2);
	send_raw(p, not_uint, sizeof not_uint);
	expect_ok(p, r, 5);
	send_sub(s, 1, 1, "n.*", "grp");
	expect_ok(s, r, 1);
	w_pub_flags(&w, 3, "n.x", "_INBOX.a.3", PROTO_PUB_NO_RESPONDERS);
	send_body(p, &w);
	expect_ok(p, r, 3);
	expect_msg(s, r, 1, "n.x", "_INBOX.a.3", "x");
	/* req_id 0: nothing to answer, and nothing is. */
	w_pub_flags(&w, 0, "other", NULL, PROTO_PUB_NO_RESPONDERS);
	send_body(p, &w);
	expect_alive(p, r);
	close(p);
	close(s);
	free(r);
	stop_ok(&b);
}
END_TEST

START_TEST(test_pub_sub_patterns)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int s1, s2, p;

	start(&b, NULL);
	s1 = client(&b, "s1");
	s2 = client(&b, "s2");
	p = client(&b, "p");
	sub_ok(s1, r, 1, "a.b", NULL);
	sub_ok(s1, r, 2, "a.*", NULL);
	sub_ok(s1, r, 3, ">", NULL);
	sub_ok(s2, r, 7, "a.>", NULL);

	send_pub(p, 5, "a.b", "r.1", "hello");
	expect_ok(p, r, 5);
	ck_assert_uint_eq(collect_sids(s1, r, 3, "a.b", "r.1", "hello"),
			  (1u << 1) | (1u << 2) | (1u << 3));
	expect_msg(s2, r, 7, "a.b", "r.1", "hello");

	send_pub(p, 0, "a.c.d", NULL, "deep");
	expect_msg(s1, r, 3, "a.c.d", NULL, "deep");
	expect_msg(s2, r, 7, "a.c.d", NULL, "deep");

	send_pub(p, 6, "x", NULL, "only-gt");
	expect_ok(p, r, 6);
	expect_msg(s1, r, 3, "x", NULL, "only-gt");
	expect_silence(s1, QUIET_MS);
	expect_silence(s2, QUIET_MS);
	close(s1);
	close(s2);
	close(p);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_payloads)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	size_t sizes[] = { 0, 1, 511, 512, 4096, 200000 };
	uint8_t *data = malloc(200000);
	int s, p;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < 200000; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	start(&b, NULL);
	s = client(&b, "s");
	p = client(&b, "p");
	sub_ok(s, r, 1, "bin.*", NULL);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
		send_pub_bin(p, 0, "bin.x", k % 2 ? "re.ply" : NULL, data,
			     sizes[k]);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		recv_frame(s, r);
		ck_assert_uint_eq(r->m.op, PROTO_MSG);
		ck_assert(str_eq(r->m.reply_to, k % 2 ? "re.ply" : NULL));
		ck_assert_uint_eq(r->m.payload.len, sizes[k]);
		ck_assert(sizes[k] == 0 ||
			  memcmp(r->m.payload.ptr, data, sizes[k]) == 0);
	}
	/* Over max_payload (1M default): the body fits a frame, so this is
	 * PAYLOAD_TOO_LARGE, not a framing error. */
	{
		size_t big = PROTO_DEFAULT_MAX_PAYLOAD + 1;
		uint8_t *huge = calloc(1, big);
		ck_assert_ptr_nonnull(huge);
		send_pub_bin(p, 9, "bin.x", NULL, huge, big);
		free(huge);
		expect_err(p, r, 9, PROTO_E_PAYLOAD_TOO_LARGE);
		expect_alive(p, r);
	}
	expect_silence(s, QUIET_MS);
	close(s);
	close(p);
	stop_ok(&b);
	free(data);
	free(r);
}
END_TEST

START_TEST(test_fanout_20)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	char big[3000];
	int subs[20], p;

	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = 0;
	start(&b, NULL);
	for (int i = 0; i < 20; i++) {
		subs[i] = client(&b, "fan");
		sub_ok(subs[i], r, (uint32_t)(i + 1), "fan.>", NULL);
	}
	p = client(&b, "p");
	send_pub(p, 0, "fan.a", NULL, "one");
	send_pub(p, 0, "fan.b.c", NULL, big); /* shared by reference */
	send_pub(p, 3, "fan.a", NULL, "three");
	expect_ok(p, r, 3);
	for (int i = 0; i < 20; i++) {
		uint32_t sid = (uint32_t)(i + 1);
		expect_msg(subs[i], r, sid, "fan.a", NULL, "one");
		expect_msg(subs[i], r, sid, "fan.b.c", NULL, big);
		expect_msg(subs[i], r, sid, "fan.a", NULL, "three");
		close(subs[i]);
	}
	close(p);
	stop_ok(&b);
	free(r);
}
END_TEST

/* Count MSGs arriving on fd until it is quiet. */
static int drain_count(int fd, struct rx *r, const char *topic)
{
	int n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, QUIET_MS) <= 0)
			return n;
		recv_frame(fd, r);
		ck_assert_uint_eq(r->m.op, PROTO_MSG);
		ck_assert(str_eq(r->m.topic, topic));
		n++;
	}
}

START_TEST(test_queue_group)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int members[3], plain, p, total = 0;

	start(&b, NULL);
	for (int i = 0; i < 3; i++) {
		members[i] = client(&b, "worker");
		sub_ok(members[i], r, 1, i == 2 ? "job.>" : "job.*", "workers");
	}
	plain = client(&b, "plain");
	sub_ok(plain, r, 1, "job.*", NULL);
	p = client(&b, "p");
	for (int i = 0; i < 30; i++) {
		send_pub(p, (uint64_t)i + 1, "job.run", NULL, "work");
		expect_ok(p, r, (uint64_t)i + 1);
	}
	ck_assert_int_eq(drain_count(plain, r, "job.run"), 30);
	for (int i = 0; i < 3; i++) {
		int n = drain_count(members[i], r, "job.run");
		ck_assert_msg(n > 0, "member %d got nothing", i);
		total += n;
		close(members[i]);
	}
	ck_assert_int_eq(total, 30);
	close(plain);
	close(p);
	stop_ok(&b);
	free(r);
}
END_TEST

/* Issue #13: each queue group rotates on its own.  With one rotation
 * shared by all groups, groups {2, 2} and {2, 3, 2} members on one
 * pattern left one member of a group without any message. */
static void check_groups_spread(const int *sizes, int ngroups)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int fds[8], nfd = 0, p, total = 0;
	char name[8];

	start(&b, NULL);
	for (int g = 0; g < ngroups; g++) {
		snprintf(name, sizeof name, "g%d", g);
		for (int k = 0; k < sizes[g]; k++) {
			fds[nfd] = client(&b, name);
			sub_ok(fds[nfd++], r, 1, "grp.*", name);
		}
	}
	p = client(&b, "p");
	for (int i = 0; i < 24; i++) {
		send_pub(p, (uint64_t)i + 1, "grp.x", NULL, "w");
		expect_ok(p, r, (uint64_t)i + 1);
	}
	for (int i = 0; i < nfd; i++) {
		int n = drain_count(fds[i], r, "grp.x");
		ck_assert_msg(n > 0, "member %d of %d got nothing", i, nfd);
		total += n;
		close(fds[i]);
	}
	ck_assert_int_eq(total, 24 * ngroups); /* one member per group */
	close(p);
	stop_ok(&b);
	free(r);
}

START_TEST(test_queue_groups_rotate_apart)
{
	static const int two[] = { 2, 2 }, three[] = { 2, 3, 2 };

	check_groups_spread(two, 2);
	check_groups_spread(three, 3);
}
END_TEST

START_TEST(test_unsub_and_sub_errors)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int s, p;

	start(&b, "max_subs_per_client 3\n");
	s = client(&b, "s");
	p = client(&b, "p");
	sub_ok(s, r, 1, "u.x", NULL);
	send_pub(p, 1, "u.x", NULL, "before");
	expect_ok(p, r, 1);
	expect_msg(s, r, 1, "u.x", NULL, "before");

	send_unsub(s, 77, 1);
	expect_ok(s, r, 77);
	send_pub(p, 2, "u.x", NULL, "after");
	expect_ok(p, r, 2);
	expect_silence(s, QUIET_MS);

	send_unsub(s, 9, 99);
	expect_err(s, r, 9, PROTO_E_NO_SUCH_SID);
	send_unsub(s, 0, 99); /* errors for req_id 0 are still sent */
	expect_err(s, r, 0, PROTO_E_NO_SUCH_SID);

	sub_ok(s, r, 2, "u.y", NULL);
	send_sub(s, 10, 2, "u.z", NULL);
	expect_err(s, r, 10, PROTO_E_SID_IN_USE);
	send_sub(s, 11, 3, "u.z", "bad queue");
	expect_err(s, r, 11, PROTO_E_BAD_QUEUE);
	send_sub(s, 12, 0, "u.z", NULL);
	expect_err(s, r, 12, PROTO_E_BAD_SID);
	sub_ok(s, r, 3, "u.z", NULL);
	sub_ok(s, r, 4, "u.w", NULL);
	send_sub(s, 13, 5, "u.v", NULL);
	expect_err(s, r, 13, PROTO_E_TOO_MANY_SUBS);
	/* UNSUB frees a slot. */
	send_unsub(s, 14, 4);
	expect_ok(s, r, 14);
	sub_ok(s, r, 5, "u.v", NULL);
	close(s);
	close(p);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_request_reply)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	char inbox[64];
	int responder, requester;

	start(&b, NULL);
	responder = client(&b, "responder");
	requester = client(&b, "requester");
	sub_ok(responder, r, 1, "svc.echo", "svc");
	sub_ok(requester, r, 9, "_inbox.q1.*", NULL);
	send_pub(requester, 0, "svc.echo", "_inbox.q1.1", "ping?");
	expect_msg(responder, r, 1, "svc.echo", "_inbox.q1.1", "ping?");
	snprintf(inbox, sizeof inbox, "%.*s", (int)r->m.reply_to.len,
		 r->m.reply_to.ptr);
	send_pub(responder, 0, inbox, NULL, "pong!");
	expect_msg(requester, r, 9, "_inbox.q1.1", NULL, "pong!");
	close(responder);
	close(requester);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_ack_after_routing)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int c;

	start(&b, NULL);
	c = client(&b, "self");
	sub_ok(c, r, 4, "ack.t", NULL);
	send_pub(c, 42, "ack.t", NULL, "mine");
	/* Routing (our own MSG) happens before the OK. */
	expect_msg(c, r, 4, "ack.t", NULL, "mine");
	expect_ok(c, r, 42);
	close(c);
	stop_ok(&b);
	free(r);
}
END_TEST

/* A handshaken client with a small receive buffer (so the broker's
 * outbound queue fills quickly when it does not read). */
static int small_rcvbuf_client(const struct broker_proc *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), size = 4096;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	sa.sin_port = htons((uint16_t)b->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(harness_hello(fd, "slow"), 0);
	return fd;
}

/* Read until quiet: count MSGs, sum NOTICE DROPPED counts. */
static void count_delivery(int fd, struct rx *r, uint64_t *got,
			   uint64_t *dropped, uint64_t *notices)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	*got = *dropped = *notices = 0;
	while (poll(&pfd, 1, 500) > 0) {
		recv_frame(fd, r);
		if (r->m.op == PROTO_MSG) {
			(*got)++;
			continue;
		}
		ck_assert_uint_eq(r->m.op, PROTO_NOTICE);
		ck_assert_uint_eq(r->m.code, PROTO_NOTICE_DROPPED);
		ck_assert_uint_gt(r->m.count, 0);
		*dropped += r->m.count;
		(*notices)++;
	}
}

/* A subscriber that does not read: messages over max_outbound are dropped,
 * counted and announced; received + announced == published. */
START_TEST(test_slow_consumer)
{
	enum { N = 3000, SIZE = 4096 };
	struct broker_proc b;
	struct rx *r = rx_new();
	static char payload[SIZE];
	uint64_t got, dropped, notices;
	int s, p;

	memset(payload, 'q', sizeof payload - 1);
	start(&b, "max_outbound 64k\n");
	s = small_rcvbuf_client(&b);
	sub_ok(s, r, 1, "flood", NULL);
	p = client(&b, "p");
	for (int i = 0; i < N; i++)
		send_pub(p, i == N - 1 ? 1 : 0, "flood", NULL, payload);
	expect_ok(p, r, 1);
	count_delivery(s, r, &got, &dropped, &notices);
	ck_assert_uint_gt(notices, 0);
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_eq(got + dropped, N);
	expect_alive(s, r);
	close(s);
	close(p);
	stop_ok(&b);
	free(r);
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

/* A subscriber and a publisher connected before the bad client; messages
 * published around each bad input must all arrive, in order. */
struct good_pair {
	int sub, pub;
	unsigned seq;	  /* next message number */
	unsigned checked; /* messages the subscriber has read */
};

static void good_open(struct good_pair *g, const struct broker_proc *b,
		      struct rx *r)
{
	g->sub = client(b, "good-sub");
	g->pub = client(b, "good-pub");
	g->seq = g->checked = 0;
	sub_ok(g->sub, r, 1, "good.>", NULL);
}

static void good_publish(struct good_pair *g)
{
	char payload[32];

	snprintf(payload, sizeof payload, "m%u", g->seq++);
	send_pub(g->pub, 0, "good.n", NULL, payload);
}

/* Publish one more with an ack, then read every message sent so far. */
static void good_check(struct good_pair *g, struct rx *r)
{
	char payload[32];

	good_publish(g);
	send_pub(g->pub, 5, "good.n", NULL, "sync");
	expect_ok(g->pub, r, 5);
	for (; g->checked < g->seq; g->checked++) {
		snprintf(payload, sizeof payload, "m%u", g->checked);
		expect_msg(g->sub, r, 1, "good.n", NULL, payload);
	}
	expect_msg(g->sub, r, 1, "good.n", NULL, "sync");
}

struct bad_case {
	const char *name;
	int hello;     /* handshake first */
	struct wbuf w; /* what to send */
	int raw;       /* w holds the length prefix too */
	int code;      /* expected ERR code, 0: none */
	uint64_t req_id;
	int closes; /* 1: broker closes; 2: we close after send */
};

static void run_bad_case(const struct broker_proc *b, struct rx *r,
			 const struct bad_case *bc)
{
	int fd = bc->hello ? client(b, "bad") : harness_connect(b->port);

	ck_assert_int_ge(fd, 0);
	if (bc->raw)
		send_raw(fd, bc->w.b, bc->w.n);
	else
		send_body(fd, &bc->w);
	if (bc->code)
		expect_err(fd, r, bc->req_id, (enum proto_err)bc->code);
	if (bc->closes == 1)
		ck_assert_msg(harness_wait_closed(fd, WAIT_MS) == 1,
			      "%s: not closed", bc->name);
	else if (bc->closes == 0)
		expect_alive(fd, r);
	close(fd);
}

static struct bad_case *bad_case(struct bad_case *c, const char *name, int code,
				 uint64_t req_id, int closes)
{
	memset(c, 0, sizeof *c);
	c->name = name;
	c->hello = 1;
	c->code = code;
	c->req_id = req_id;
	c->closes = closes;
	return c;
}

/* Cases with a hand-made body: raw bytes. */
static int raw_cases(struct bad_case *c)
{
	static const struct {
		const char *name;
		uint8_t bytes[8];
		size_t len;
		int raw, code, closes;
	} t[] = {
		{ "array32 count 0x00ffffff",
		  { 0xdd, 0, 0xff, 0xff, 0xff },
		  5,
		  0,
		  PROTO_E_MALFORMED,
		  0 },
		{ "array32 count 0xffffffff",
		  { 0xdd, 0xff, 0xff, 0xff, 0xff },
		  5,
		  0,
		  PROTO_E_MALFORMED,
		  0 },
		{ "not msgpack", { 0xc1 }, 1, 0, PROTO_E_MALFORMED, 0 },
		{ "not an array", { 0x01 }, 1, 0, PROTO_E_MALFORMED, 0 },
		{ "empty array", { 0x90 }, 1, 0, PROTO_E_MALFORMED, 0 },
		{ "unknown op", { 0x91, 99 }, 2, 0, PROTO_E_UNKNOWN_OP, 0 },
		{ "server op",
		  { 0x92, PROTO_OK, 0 },
		  3,
		  0,
		  PROTO_E_UNKNOWN_OP,
		  0 },
		{ "length 0xffffffff",
		  { 0xff, 0xff, 0xff, 0xff },
		  4,
		  1,
		  PROTO_E_FRAME_TOO_LARGE,
		  1 },
		{ "length 0",
		  { 0, 0, 0, 0 },
		  4,
		  1,
		  PROTO_E_FRAME_TOO_LARGE,
		  1 },
		{ "truncated then close",
		  { 0, 0, 0, 50, 0x95, 3, 1 },
		  7,
		  1,
		  0,
		  2 },
	};
	size_t n = sizeof t / sizeof t[0];

	for (size_t i = 0; i < n; i++) {
		bad_case(&c[i], t[i].name, t[i].code, 0, t[i].closes);
		w_bytes(&c[i].w, t[i].bytes, t[i].len);
		c[i].raw = t[i].raw;
	}
	return (int)n;
}

/* Frames with wrong field types or nested too deep. */
static int field_cases(struct bad_case *c)
{
	int n = 0;
	struct wbuf *w;

	w = &bad_case(&c[n++], "topic as int", PROTO_E_BAD_FIELD, 11, 0)->w;
	w_arr(w, 5);
	w_uint(w, 3);
	w_uint(w, 11);
	w_uint(w, 5);
	w_nil(w);
	w_str(w, "x");
	w = &bad_case(&c[n++], "sid as string", PROTO_E_BAD_FIELD, 12, 0)->w;
	w_arr(w, 5);
	w_uint(w, 4);
	w_uint(w, 12);
	w_str(w, "x");
	w_str(w, "a");
	w_nil(w);
	w = &bad_case(&c[n++], "payload as array", PROTO_E_BAD_FIELD, 13, 0)->w;
	w_arr(w, 5);
	w_uint(w, 3);
	w_uint(w, 13);
	w_str(w, "a");
	w_nil(w);
	w_arr(w, 1);
	w_uint(w, 1);
	/* issue #13: the array claims more elements than the body holds;
	 * the ERR still echoes element 1, a readable req_id */
	w = &bad_case(&c[n++], "truncated PUB", PROTO_E_MALFORMED, 14, 0)->w;
	w_arr(w, 5);
	w_uint(w, 3);
	w_uint(w, 14);
	w = &bad_case(&c[n++], "truncated SUB, array16", PROTO_E_MALFORMED, 15,
		      0)
		     ->w;
	w_bytes(w, "\xdc\x00\x05", 3);
	w_uint(w, 4);
	w_uint(w, 15);
	w_str(w, "a");
	w = &bad_case(&c[n++], "100 deep", PROTO_E_TOO_DEEP, 0, 0)->w;
	w_arr(w, 2);
	w_uint(w, PROTO_PING);
	for (int i = 0; i < 100; i++)
		w_arr(w, 1);
	w_uint(w, 0);
	return n;
}

/* Invalid topics and patterns. */
static int topic_cases(struct bad_case *c)
{
	static char long_topic[257];
	int n = 0;

	memset(long_topic, 'a', sizeof long_topic);
	w_pub(&bad_case(&c[n++], "topic ''", PROTO_E_BAD_TOPIC, 21, 0)->w, 21,
	      "", 0, NULL);
	w_pub(&bad_case(&c[n++], "topic 257", PROTO_E_BAD_TOPIC, 22, 0)->w, 22,
	      long_topic, sizeof long_topic, NULL);
	w_pub(&bad_case(&c[n++], "a..b", PROTO_E_BAD_TOPIC, 23, 0)->w, 23,
	      "a..b", 4, NULL);
	w_pub(&bad_case(&c[n++], ".a", PROTO_E_BAD_TOPIC, 24, 0)->w, 24, ".a",
	      2, NULL);
	w_pub(&bad_case(&c[n++], "a.", PROTO_E_BAD_TOPIC, 25, 0)->w, 25, "a.",
	      2, NULL);
	w_pub(&bad_case(&c[n++], "a.* in PUB", PROTO_E_BAD_TOPIC, 26, 0)->w, 26,
	      "a.*", 3, NULL);
	w_pub(&bad_case(&c[n++], "reply a..b", PROTO_E_BAD_TOPIC, 27, 0)->w, 27,
	      "a.b", 3, "a..b");
	w_sub(&bad_case(&c[n++], "a.>.b", PROTO_E_BAD_PATTERN, 31, 0)->w, 31,
	      "a.>.b");
	w_sub(&bad_case(&c[n++], "a*", PROTO_E_BAD_PATTERN, 32, 0)->w, 32,
	      "a*");
	w_sub(&bad_case(&c[n++], "pattern ''", PROTO_E_BAD_PATTERN, 33, 0)->w,
	      33, "");
	return n;
}

/* Handshake errors: the connection is closed after the ERR. */
static int handshake_cases(struct bad_case *c)
{
	int n = 0;
	struct wbuf *w;

	w = &bad_case(&c[n], "PUB before HELLO", PROTO_E_NOT_READY, 0, 1)->w;
	c[n++].hello = 0;
	w_pub(w, 3, "a", 1, NULL);
	w = &bad_case(&c[n], "HELLO version 99", PROTO_E_BAD_VERSION, 0, 1)->w;
	c[n++].hello = 0;
	w_arr(w, 3);
	w_uint(w, PROTO_HELLO);
	w_uint(w, 99);
	w_str(w, "v99");
	w = &bad_case(&c[n], "garbage before HELLO", PROTO_E_MALFORMED, 0, 1)
		     ->w;
	c[n++].hello = 0;
	w_byte(w, 0xc1);
	return n;
}

START_TEST(test_bad_input)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	struct bad_case *cases = calloc(64, sizeof *cases);
	struct good_pair g;
	int n = 0;

	ck_assert_ptr_nonnull(cases);
	n += raw_cases(cases + n);
	n += field_cases(cases + n);
	n += topic_cases(cases + n);
	n += handshake_cases(cases + n);
	ck_assert_int_le(n, 64);
	start(&b, NULL);
	good_open(&g, &b, r);
	for (int i = 0; i < n; i++) {
		good_publish(&g);
		run_bad_case(&b, r, &cases[i]);
		good_check(&g, r);
		ck_assert_msg(harness_broker_alive(&b), "died on %s",
			      cases[i].name);
	}
	close(g.sub);
	close(g.pub);
	stop_ok(&b);
	free(cases);
	free(r);
}
END_TEST

START_TEST(test_byte_at_a_time)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	uint8_t buf[512];
	size_t n = 0;
	struct good_pair g;
	int fd;

	start(&b, NULL);
	good_open(&g, &b, r);
	fd = harness_connect(b.port);
	n += proto_enc_hello(buf + n, sizeof buf - n, PROTO_VERSION,
			     proto_cstr("slowpoke"));
	n += proto_enc_pub(buf + n, sizeof buf - n, 8, proto_cstr("good.n"),
			   proto_cstr(NULL), proto_cstr("dribble"));
	for (size_t i = 0; i < n; i++) {
		send_raw(fd, buf + i, 1);
		usleep(1000); /* the dribbling is the test, not a wait */
	}
	ck_assert_uint_eq(recv_frame(fd, r)->op, PROTO_WELCOME);
	expect_ok(fd, r, 8);
	expect_msg(g.sub, r, 1, "good.n", NULL, "dribble");
	close(fd);
	close(g.sub);
	close(g.pub);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_frames_and_partial)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	uint8_t buf[1024];
	size_t n = 0, third;
	int fd;

	start(&b, NULL);
	fd = client(&b, "batch");
	for (uint64_t i = 1; i <= 3; i++)
		n += proto_enc_pub(buf + n, sizeof buf - n, i,
				   proto_cstr("batch.t"), proto_cstr(NULL),
				   proto_cstr("payload"));
	third = n / 3 * 2 + 5; /* two frames and a part of the third */
	send_raw(fd, buf, third);
	expect_ok(fd, r, 1);
	expect_ok(fd, r, 2);
	expect_silence(fd, QUIET_MS);
	send_raw(fd, buf + third, n - third);
	expect_ok(fd, r, 3);
	expect_alive(fd, r);
	close(fd);
	stop_ok(&b);
	free(r);
}
END_TEST

/* ---- limits and shutdown ------------------------------------------------ */

START_TEST(test_max_clients)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int a, c, busy;

	start(&b, "max_clients 2\n");
	a = client(&b, "a");
	c = client(&b, "c");
	busy = harness_connect(b.port);
	ck_assert_int_ge(busy, 0);
	expect_err(busy, r, 0, PROTO_E_SERVER_BUSY);
	ck_assert_int_eq(harness_wait_closed(busy, WAIT_MS), 1);
	close(busy);
	close(a);
	/* The slot comes back once the broker has seen the close. */
	for (int tries = 0; tries < 50; tries++) {
		busy = harness_client(b.port, "again");
		if (busy >= 0)
			break;
		usleep(20000);
	}
	ck_assert_int_ge(busy, 0);
	expect_alive(busy, r);
	close(busy);
	close(c);
	stop_ok(&b);
	free(r);
}
END_TEST

START_TEST(test_sigterm_with_subscriber)
{
	struct broker_proc b;
	struct rx *r = rx_new();
	int s;

	start(&b, NULL);
	s = client(&b, "s");
	sub_ok(s, r, 1, ">", NULL);
	ck_assert_int_eq(kill(b.pid, SIGTERM), 0);
	expect_err(s, r, 0, PROTO_E_SHUTTING_DOWN);
	ck_assert_int_eq(harness_wait_closed(s, WAIT_MS), 1);
	/* Wait for the exit we asked for (a second signal during teardown
	 * would find the default handler back). */
	for (int i = 0; i < 500 && harness_broker_alive(&b); i++)
		usleep(10000);
	ck_assert(!harness_broker_alive(&b));
	stop_ok(&b);
	close(s);
	free(r);
}
END_TEST

START_TEST(test_bad_config)
{
	char *argv[4], out[512], err[1024];
	char path[] = "/tmp/brokerd-it-conf-XXXXXX";
	int fd = mkstemp(path), st;
	static const char text[] = "port 7654\nbogus_key 1\nmax_payload 65M\n"
				   "ping_interval soon\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof text - 1),
			 (ssize_t)(sizeof text - 1));
	close(fd);
	argv[0] = (char *)harness_prog("BROKERD", "../broker/brokerd");
	argv[1] = (char *)"-c";
	argv[2] = path;
	argv[3] = NULL;
	st = harness_run(argv, NULL, out, sizeof out, err, sizeof err, 5000);
	unlink(path);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 2);
	ck_assert_ptr_nonnull(strstr(err, ":2: key 'bogus_key'"));
	ck_assert_ptr_nonnull(strstr(err, ":3: key 'max_payload'"));
	ck_assert_ptr_nonnull(strstr(err, ":4: key 'ping_interval'"));

	argv[1] = (char *)"--port";
	argv[2] = (char *)"0";
	st = harness_run(argv, NULL, out, sizeof out, err, sizeof err, 5000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 2);
	ck_assert_ptr_nonnull(strstr(err, "--port"));
	argv[1] = (char *)"-V";
	argv[2] = NULL;
	st = harness_run(argv, NULL, out, sizeof out, err, sizeof err, 5000);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_str_eq(out, "brokerd " PACKAGE_VERSION "\n");
}
END_TEST

static Suite *broker_suite(void)
{
	Suite *s = suite_create("brokerd integration");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_welcome);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_mute_client_timing);
	tcase_add_test(tc, test_pub_sub_patterns);
	tcase_add_test(tc, test_payloads);
	tcase_add_test(tc, test_fanout_20);
	tcase_add_test(tc, test_queue_group);
	tcase_add_test(tc, test_queue_groups_rotate_apart);
	tcase_add_test(tc, test_unsub_and_sub_errors);
	tcase_add_test(tc, test_request_reply);
	tcase_add_test(tc, test_ack_after_routing);
	tcase_add_test(tc, test_slow_consumer);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_byte_at_a_time);
	tcase_add_test(tc, test_frames_and_partial);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_sigterm_with_subscriber);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_pub_no_responders);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(broker_suite());
}
