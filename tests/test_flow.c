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
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* PUB with a reply_to and an empty payload. */
static void send_pub_reply(int fd, uint64_t req, const char *topic,
			   const char *reply)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t n = proto_enc_pub_head(head, sizeof head, req,
				      proto_cstr(topic), proto_cstr(reply), 0);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, head, n);
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


/* ---- B/C: the block policy ------------------------------------------- */

/* A child process that publishes n messages of size bytes (number
 * first) to topic, then PINGs and waits for the PONG: exit 0 once the
 * broker read them all, 1 on any failure.  Returns its pid. */
static pid_t spawn_publisher(int port, const char *topic, unsigned n,
			     size_t size)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		static char payload[64 * 1024];
		uint8_t head[PROTO_MAX_HEAD], rbuf[256];
		struct proto_msg m;
		int fd = harness_client(port, "pub");

		if (fd < 0 || size > sizeof payload)
			_exit(1);
		memset(payload, 'x', size);
		for (unsigned i = 0; i < n; i++) {
			size_t h = proto_enc_pub_head(head, sizeof head, 0,
						      proto_cstr(topic),
						      proto_cstr(NULL),
						      (uint32_t)size);
			snprintf(payload, 16, "%010u", i);
			payload[10] = 'x';
			if (harness_send(fd, head, h) != 0 ||
			    harness_send(fd, payload, size) != 0)
				_exit(1);
		}
		if (harness_send(fd, head, proto_enc_ping(head, sizeof head)))
			_exit(1);
		if (harness_recv_msg(fd, rbuf, sizeof rbuf, &m, 60000) != 0 ||
		    m.op != PROTO_PONG)
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void expect_exit0(pid_t pid, int timeout_ms)
{
	int st = harness_wait_pid(pid, timeout_ms);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child %d status %d", (int)pid, st);
}

/* Ask for the stats; the JSON text (static storage). */
static const char *stats_json(int port)
{
	static char json[RX_CAP];
	int fd = client_on(port, "stats");
	const struct proto_msg *m;

	sub_ok(fd, 1, "_INBOX.stats", PROTO_POLICY_NONE);
	send_pub_reply(fd, 7, "$SYS.REQ.STATS", "_INBOX.stats");
	m = recv_frame(fd);
	ck_assert_uint_eq(m->op, PROTO_MSG);
	ck_assert_uint_lt(m->payload.len, sizeof json);
	memcpy(json, m->payload.ptr, m->payload.len);
	json[m->payload.len] = 0;
	expect_ok(fd, 7);
	close(fd);
	return json;
}

/* The first "key": number in json (the broker's totals come first). */
static long long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no %s in %s", key, json);
	return strtoll(p + strlen(pat), NULL, 10);
}

/* Wait (bounded) until the broker holds n subscriptions. */
static void wait_subs(int port, long long n)
{
	int64_t end = harness_now_ms() + WAIT_MS;

	while (json_num(stats_json(port), "subscriptions") < n + 1)
		ck_assert_msg(harness_now_ms() < end, "subscriptions not "
			      "made in time");
}

/* What a subscriber received, read until it was quiet for QUIET_MS. */
struct tally {
	unsigned long long got, dropped, notices;
	int in_order;
};

static void tally(int fd, struct tally *t)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long long next = 0;

	memset(t, 0, sizeof *t);
	t->in_order = 1;
	while (poll(&p, 1, QUIET_MS) > 0) {
		const struct proto_msg *m = recv_frame(fd);

		if (m->op == PROTO_NOTICE) {
			ck_assert_uint_eq(m->code, PROTO_NOTICE_DROPPED);
			t->dropped += m->count;
			next += m->count;
			t->notices++;
			continue;
		}
		ck_assert_uint_eq(m->op, PROTO_MSG);
		if (seq_of(m) != next)
			t->in_order = 0;
		next = seq_of(m) + 1;
		t->got++;
	}
}

/* A small bound, so that the block subscriber goes over its mark at
 * once and the publisher is paused many times. */
static const char block_conf[] =
	"max_outbound 64k\n"
	"sys_interval 0\n";

/* The same where a reader descheduled for a while on a busy machine is
 * not taken for a stalled one. */
static const char block_live_conf[] =
	"max_outbound 64k\n"
	"stall_timeout 5s\n"
	"sys_interval 0\n";

/* A reader slower than the broker (one frame per read, a 4 KiB socket
 * buffer) with block gets everything, in order, and the publisher was
 * paused for it. */
START_TEST(test_block_slow_reader_lossless)
{
	const unsigned N = 20000;
	struct broker_proc b;
	struct tally t;
	const char *json;
	pid_t pub;
	int sub;

	start(&b, block_live_conf);
	sub = slow_client(b.port);
	sub_ok(sub, 1, "b.x", PROTO_POLICY_BLOCK);
	pub = spawn_publisher(b.port, "b.x", N, MSG_SIZE);
	tally(sub, &t);
	expect_exit0(pub, WAIT_MS);
	json = stats_json(b.port);
	fprintf(stderr, "block slow reader: %u sent, %llu got, %llu lost; "
		"%lld pauses, %lld ms\n", N, t.got, t.dropped,
		json_num(json, "block_pauses"), json_num(json,
							 "block_pause_ms"));
	ck_assert_uint_eq(t.got, N);
	ck_assert_uint_eq(t.dropped, 0);
	ck_assert(t.in_order);
	ck_assert_int_gt(json_num(json, "block_pauses"), 0);
	ck_assert_int_eq(json_num(json, "dropped"), 0);
	close(sub);
	stop_ok(&b);
}
END_TEST

/* A block subscriber that never reads is found stalled: the publisher
 * is paused, then goes on (its publish completes), and the subscriber
 * gets drop-newest with an exact NOTICE count. */
START_TEST(test_block_stalled_releases)
{
	const unsigned N = 8000;
	struct broker_proc b;
	struct tally t;
	const char *json;
	pid_t pub;
	int sub;

	start(&b, block_conf);
	sub = slow_client(b.port);
	sub_ok(sub, 1, "s.x", PROTO_POLICY_BLOCK);
	pub = spawn_publisher(b.port, "s.x", N, MSG_SIZE);
	expect_exit0(pub, 30000);
	json = stats_json(b.port);
	fprintf(stderr, "block stalled: %lld pauses, %lld ms, %lld stalls\n",
		json_num(json, "block_pauses"),
		json_num(json, "block_pause_ms"),
		json_num(json, "block_stalls"));
	ck_assert_int_gt(json_num(json, "block_pauses"), 0);
	ck_assert_int_gt(json_num(json, "block_stalls"), 0);
	tally(sub, &t);
	ck_assert_uint_gt(t.dropped, 0);
	ck_assert_uint_eq(t.got + t.dropped, N);
	close(sub);
	stop_ok(&b);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *o = tcase_create("order");
	TCase *k = tcase_create("block");

	tcase_set_timeout(o, 60);
	tcase_add_test(o, test_answers_behind_backlog);
	tcase_add_test(o, test_notice_marks_gap);
	suite_add_tcase(s, o);
	tcase_set_timeout(k, 120);
	tcase_add_test(k, test_block_slow_reader_lossless);
	tcase_add_test(k, test_block_stalled_releases);
	suite_add_tcase(s, k);
	return s;
}

int main(void)
{
	return harness_run_suite(flow_suite());
}
