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
} rx; /* one receive buffer; tests are sequential */

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

/* A stalled reader (harness_slow_client), asserted. */
static int slow_client(int port)
{
	int fd = harness_slow_client(port);

	ck_assert_int_ge(fd, 0);
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
	size_t n = proto_enc_pub_head(head, sizeof head, req, proto_cstr(topic),
				      proto_cstr(NULL), (uint32_t)len);

	ck_assert_uint_gt(n, 0);
	send_raw(fd, head, n);
	send_raw(fd, payload, len);
}

/* PUB with a reply_to and an empty payload. */
static void send_pub_reply(int fd, uint64_t req, const char *topic,
			   const char *reply)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t n = proto_enc_pub_head(head, sizeof head, req, proto_cstr(topic),
				      proto_cstr(reply), 0);

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
	sync_pub(pub); /* all routed: megabytes wait for sub */

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
			ck_assert_msg(seen_ok == 11,
				      "own MSG not between "
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
static const char gap_conf[] = "max_outbound 256k\n"
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
	fprintf(stderr,
		"gap: %u sent, %llu got, %llu lost in %llu "
		"notices\n",
		N + M, got, lost, notices);
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
			size_t h = proto_enc_pub_head(
				head, sizeof head, 0, proto_cstr(topic),
				proto_cstr(NULL), (uint32_t)size);
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
static const char block_conf[] = "max_outbound 64k\n"
				 "sys_interval 0\n";

/* The same where a reader descheduled for a while on a busy machine is
 * not taken for a stalled one. */
static const char block_live_conf[] = "max_outbound 64k\n"
				      "stall_timeout 5s\n"
				      "sys_interval 0\n";

static int publisher_paused(void *arg)
{
	return json_num(stats_json(*(const int *)arg), "block_pauses") > 0;
}

/* A reader slower than the broker with block gets everything, in order,
 * and the publisher was paused for it.  "Slower" must not depend on how
 * fast this host runs the broker (under ASan it can fall behind a reader
 * that reads one frame at a time), so the reader first waits, without
 * reading, until the broker has paused the publisher, well within
 * block_live_conf's stall_timeout, and then reads. */
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
	ck_assert_msg(harness_poll(publisher_paused, &b.port, 2000, 20),
		      "publisher never paused for the block subscriber");
	tally(sub, &t);
	expect_exit0(pub, WAIT_MS);
	json = stats_json(b.port);
	fprintf(stderr,
		"block slow reader: %u sent, %llu got, %llu lost; "
		"%lld pauses, %lld ms\n",
		N, t.got, t.dropped, json_num(json, "block_pauses"),
		json_num(json, "block_pause_ms"));
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

/* A stalled block subscriber whose SUB named stall_policy disconnect is
 * cut off (ERR SERVER_BUSY, closed) instead of dropping, and the
 * publisher completes. */
START_TEST(test_block_stall_policy_disconnect)
{
	struct proto_sub_opts o = { PROTO_POLICY_BLOCK, 0, 0,
				    PROTO_POLICY_DISCONNECT };
	struct broker_proc b;
	const struct proto_msg *m;
	uint8_t buf[256];
	pid_t pub;
	int sub, err = 0;
	size_t n;

	start(&b, block_conf);
	sub = slow_client(b.port);
	n = proto_enc_sub_opts(buf, sizeof buf, 9, 1, proto_cstr("d.x"),
			       proto_cstr(NULL), &o);
	ck_assert_uint_gt(n, 0);
	send_raw(sub, buf, n);
	expect_ok(sub, 9);
	pub = spawn_publisher(b.port, "d.x", 8000, MSG_SIZE);
	expect_exit0(pub, 30000);
	for (int i = 0; i < 100000 && !err; i++) { /* bounded: 8000 MSGs */
		m = recv_frame(sub);
		if (m->op == PROTO_ERR) {
			ck_assert_uint_eq(m->code, PROTO_E_SERVER_BUSY);
			err = 1;
		} else {
			ck_assert_uint_eq(m->op, PROTO_MSG);
		}
	}
	ck_assert(err);
	ck_assert(harness_wait_closed(sub, WAIT_MS));
	ck_assert_int_gt(json_num(stats_json(b.port), "slow_disconnects"), 0);
	close(sub);
	stop_ok(&b);
}
END_TEST

/* pool.NAME.allow_block no: the SUB gets drop-newest, and NOTICE POLICY
 * before its OK says so. */
START_TEST(test_allow_block_no)
{
	struct broker_proc b;
	const struct proto_msg *m;
	int sub;

	start(&b, "pool.default.allow_block no\nsys_interval 0\n");
	sub = client_on(b.port, "sub");
	send_sub(sub, 5, 1, "n.x", PROTO_POLICY_BLOCK);
	m = recv_frame(sub);
	ck_assert_uint_eq(m->op, PROTO_NOTICE);
	ck_assert_uint_eq(m->code, PROTO_NOTICE_POLICY);
	ck_assert_uint_eq(m->count, PROTO_POLICY_DROP_NEWEST);
	expect_ok(sub, 5);
	close(sub);
	stop_ok(&b);
}
END_TEST

/* ---- C: the burst with the real tools --------------------------------- */

/* issue #13's case at full size: 25,600 lines of 4 KiB (100 MiB) from
 * broker-pub -l, one broker-sub writing to a file, one subscriber that
 * never reads. */
#define BURST_N 25600u
#define LINE_LEN 4096u

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOW_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(FLOW_ASAN)
#define RSS_CHECKED 0 /* ASan's quarantine says nothing of our bounds */
#else
#define RSS_CHECKED 1
#endif

/* Run argv with stdin from in_path and stdout to out_path (each may be
 * NULL: inherited).  Returns the pid. */
static pid_t spawn_tool(char *const argv[], const char *in_path,
			const char *out_path)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = in_path ? open(in_path, O_RDONLY) : 0;
		int out = out_path ? open(out_path,
					  O_WRONLY | O_CREAT | O_TRUNC, 0600)
				   : 1;

		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void write_lines(const char *path, unsigned n)
{
	static char line[LINE_LEN];
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	memset(line, 'x', sizeof line);
	line[LINE_LEN - 1] = '\n';
	for (unsigned i = 0; i < n; i++) {
		snprintf(line, 16, "%010u", i);
		line[10] = 'x';
		ck_assert_uint_eq(fwrite(line, 1, LINE_LEN, f), LINE_LEN);
	}
	ck_assert_int_eq(fclose(f), 0);
}

/* Every line of path, numbered 0..n-1 in order, each LINE_LEN bytes. */
static void check_lines(const char *path, unsigned n)
{
	static char line[LINE_LEN + 16];
	FILE *f = fopen(path, "r");
	unsigned i = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		ck_assert_uint_eq(strlen(line), LINE_LEN);
		ck_assert_uint_eq(strtoul(line, NULL, 10), i);
		i++;
	}
	fclose(f);
	ck_assert_uint_eq(i, n);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Wait (bounded) for pid, sampling the broker's RSS meanwhile; returns
 * the exit status, *rss_max the largest RSS seen. */
static int wait_sampling(pid_t pid, pid_t broker, int timeout_ms, long *rss_max)
{
	int64_t end = harness_now_ms() + timeout_ms;
	int st = -1;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		long kb = rss_kb(broker);

		if (kb > *rss_max)
			*rss_max = kb;
		if (harness_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("child %d did not finish", (int)pid);
		}
		poll(NULL, 0, 20); /* a sampling interval, not a wait */
	}
	return st;
}

START_TEST(test_burst_reader_gets_every_line)
{
	struct broker_proc b;
	char port[16], in[320], out[320];
	long rss0, rss_max = 0;
	int64_t end;
	struct tally t;
	const char *json;
	pid_t pub, sub;
	int stalled, st;

	start(&b, "sys_interval 0\n");
	snprintf(port, sizeof port, "%d", b.port);
	snprintf(in, sizeof in, "%s/burst.in", b.dir);
	snprintf(out, sizeof out, "%s/burst.out", b.dir);
	write_lines(in, BURST_N);
	stalled = slow_client(b.port);
	sub_ok(stalled, 1, "t.x", PROTO_POLICY_NONE); /* drop-newest */
	{
		char *argv[] = { (char *)harness_prog("BROKER_SUB",
						      "../client/broker-sub"),
				 (char *)"-p",
				 port,
				 (char *)"-t",
				 (char *)"t.x",
				 NULL };
		sub = spawn_tool(argv, NULL, out);
	}
	wait_subs(b.port, 2);
	rss0 = rss_kb(b.pid);
	{
		char *argv[] = { (char *)harness_prog("BROKER_PUB",
						      "../client/broker-pub"),
				 (char *)"-p",
				 port,
				 (char *)"-t",
				 (char *)"t.x",
				 (char *)"-l",
				 NULL };
		pub = spawn_tool(argv, in, NULL);
	}
	st = wait_sampling(pub, b.pid, 90000, &rss_max);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "broker-pub status %d", st);
	end = harness_now_ms() + 30000;
	while (file_size(out) < (long long)BURST_N * LINE_LEN &&
	       harness_now_ms() < end)
		poll(NULL, 0, 20);
	kill(sub, SIGTERM);
	harness_wait_pid(sub, WAIT_MS);
	check_lines(out, BURST_N);
	tally(stalled, &t);
	json = stats_json(b.port);
	fprintf(stderr,
		"burst: %u lines; stalled got %llu, %llu announced "
		"in %llu notices; RSS %ld -> max %ld kB; %lld pauses, %lld "
		"ms\n",
		BURST_N, t.got, t.dropped, t.notices, rss0, rss_max,
		json_num(json, "block_pauses"),
		json_num(json, "block_pause_ms"));
	ck_assert_uint_gt(t.got, 0);
	ck_assert_uint_gt(t.dropped, 0);
	ck_assert_uint_eq(t.got + t.dropped, BURST_N);
	ck_assert(t.in_order);
	if (RSS_CHECKED) /* the burst is 100 MiB */
		ck_assert_int_lt(rss_max - rss0, 40 * 1024);
	close(stalled);
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
	tcase_add_test(k, test_allow_block_no);
	tcase_add_test(k, test_block_stall_policy_disconnect);
	tcase_add_test(k, test_burst_reader_gets_every_line);
	suite_add_tcase(s, k);
	return s;
}

int main(void)
{
	return harness_run_suite(flow_suite());
}
