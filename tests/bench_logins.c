/*
 * bench_logins.c - a login storm for `make bench` and docs/BENCHMARKS.md:
 * RATE new connections a second for SECONDS, each sending one HELLO with
 * credentials (every BAD-th one a wrong password) and closing at its
 * answer (WELCOME or ERR) or after 10 s.  Connections come from source
 * addresses 127.0.0.2 .. 127.0.0.251 in turn (Linux routes all of
 * 127/8 to loopback), so the brute-force delay of one address does not
 * hold them all.  Meanwhile broker-bench measures established clients.
 *
 * Usage: bench_logins PORT USER PASS RATE SECONDS BAD
 * Prints what was attempted and how it was answered.  Exit 0, or 1 on a
 * usage or set-up error.  Measures; asserts nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"

#define MAX_OPEN 8192
#define GIVE_UP_MS 10000

struct slot {
	int fd; /* -1: free */
	int sent;
	uint64_t k; /* its number: which ones are bad */
	uint64_t started;
	size_t got;
	uint8_t in[512];
};

struct storm {
	uint16_t port;
	const char *user, *pass;
	unsigned rate, seconds, bad;
	uint64_t n, welcome, refused, busy, other, gave_up, no_slot, failed;
	size_t hi;	/* slots in use are below this */
	int ep;		/* epoll: the tool's CPU must not grow with the
		    * connections the broker holds (poll would) */
	uint64_t swept; /* when give-ups were last looked for */
	struct slot s[MAX_OPEN];
};

static void raise_fd_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* A non-blocking connect from 127.0.0.(2 + k % 250).  fd or -1. */
static int open_one(const struct storm *st, uint64_t k)
{
	struct sockaddr_in src = { 0 }, dst = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	src.sin_family = dst.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(k % 250));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons(st->port);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 &&
	     errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait for events on slot i's socket (a failure: the slot gives up). */
static void watch(struct storm *st, size_t i, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = i };

	if (epoll_ctl(st->ep, op, st->s[i].fd, &ev) != 0) {
		st->failed++;
		close(st->s[i].fd);
		st->s[i].fd = -1;
	}
}

static void start(struct storm *st, uint64_t now)
{
	for (size_t i = 0; i < MAX_OPEN; i++) {
		if (st->s[i].fd >= 0)
			continue;
		st->s[i].fd = open_one(st, st->n);
		st->s[i].sent = 0;
		st->s[i].got = 0;
		st->s[i].started = now;
		st->s[i].k = st->n;
		st->n++;
		if (i >= st->hi)
			st->hi = i + 1;
		if (st->s[i].fd < 0)
			st->failed++;
		else
			watch(st, i, EPOLL_CTL_ADD, EPOLLOUT);
		return;
	}
	st->n++;
	st->no_slot++;
}

static void finish(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
}

static void send_hello(struct storm *st, size_t i)
{
	struct slot *s = &st->s[i];
	uint64_t k = s->k;
	uint8_t buf[1024];
	char guess[32];
	int bad = st->bad > 0 && k % st->bad == 0;
	size_t n;

	/* a guesser tries a new password each time: the broker answers
	 * the same password being checked once (single flight) */
	snprintf(guess, sizeof guess, "wrong%llu", (unsigned long long)k);
	n = proto_enc_hello_auth(buf, sizeof buf, PROTO_VERSION,
				 proto_cstr("storm"), proto_cstr(st->user),
				 proto_cstr(bad ? guess : st->pass));

	s->sent = 1;
	if (write(s->fd, buf, n) != (ssize_t)n) {
		st->failed++;
		finish(s);
		return;
	}
	watch(st, i, EPOLL_CTL_MOD, EPOLLIN);
}

/* Read the answer; classify it once complete. */
static void on_readable(struct storm *st, struct slot *s)
{
	struct proto_msg m;
	ssize_t r = read(s->fd, s->in + s->got, sizeof s->in - s->got);
	uint32_t len;

	if (r <= 0) {
		st->other++;
		finish(s);
		return;
	}
	s->got += (size_t)r;
	if (s->got < 4)
		return;
	len = (uint32_t)s->in[0] << 24 | (uint32_t)s->in[1] << 16 |
	      (uint32_t)s->in[2] << 8 | s->in[3];
	if (len > sizeof s->in - 4 || s->got < 4 + len) {
		if (len > sizeof s->in - 4) {
			st->other++;
			finish(s);
		}
		return;
	}
	if (proto_decode(s->in + 4, len, &m) != PROTO_OK_CODE)
		st->other++;
	else if (m.op == PROTO_WELCOME)
		st->welcome++;
	else if (m.op == PROTO_ERR && m.code == PROTO_E_AUTH_FAILED)
		st->refused++;
	else if (m.op == PROTO_ERR && m.code == PROTO_E_SERVER_BUSY)
		st->busy++;
	else
		st->other++;
	finish(s);
}

/* Give up on connections older than GIVE_UP_MS (every 100 ms). */
static void sweep(struct storm *st, uint64_t now)
{
	if (now - st->swept < 100)
		return;
	st->swept = now;
	while (st->hi > 0 && st->s[st->hi - 1].fd < 0)
		st->hi--;
	for (size_t i = 0; i < st->hi; i++)
		if (st->s[i].fd >= 0 && now - st->s[i].started > GIVE_UP_MS) {
			st->gave_up++;
			finish(&st->s[i]);
		}
}

/* One wait for events, at most wait_ms. */
static void turn(struct storm *st, int wait_ms, uint64_t now)
{
	struct epoll_event ev[256];
	int n;

	sweep(st, now);
	n = epoll_wait(st->ep, ev, 256, wait_ms);
	for (int j = 0; j < n; j++) {
		size_t i = (size_t)ev[j].data.u64;

		if (st->s[i].fd < 0)
			continue;
		if (!st->s[i].sent)
			send_hello(st, i);
		else
			on_readable(st, &st->s[i]);
	}
}

static int open_count(const struct storm *st)
{
	int n = 0;

	for (size_t i = 0; i < st->hi; i++)
		n += st->s[i].fd >= 0;
	return n;
}

static void run(struct storm *st)
{
	uint64_t t0 = clock_mono_ms(), end = t0 + 1000u * st->seconds;
	uint64_t now = t0, due = 0;

	while (now < end) {
		uint64_t should = (now - t0) * st->rate / 1000;

		while (due < should) {
			start(st, now);
			due++;
		}
		turn(st, 1, now);
		now = clock_mono_ms();
	}
	for (int i = 0; i < GIVE_UP_MS && open_count(st) > 0; i++)
		turn(st, 1, clock_mono_ms());
}

int main(int argc, char **argv)
{
	static struct storm st;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_logins PORT USER PASS RATE "
				"SECONDS BAD\n");
		return 1;
	}
	st.port = (uint16_t)atoi(argv[1]);
	st.user = argv[2];
	st.pass = argv[3];
	st.rate = (unsigned)atoi(argv[4]);
	st.seconds = (unsigned)atoi(argv[5]);
	st.bad = (unsigned)atoi(argv[6]);
	if (!st.port || !st.rate || !st.seconds) {
		fprintf(stderr, "bench_logins: PORT, RATE and SECONDS must be "
				"positive numbers\n");
		return 1;
	}
	for (size_t i = 0; i < MAX_OPEN; i++)
		st.s[i].fd = -1;
	st.ep = epoll_create1(EPOLL_CLOEXEC);
	if (st.ep < 0) {
		perror("bench_logins: epoll_create1");
		return 1;
	}
	raise_fd_limit();
	run(&st);
	printf("logins %llu (%u/s for %u s): welcome %llu, auth_failed %llu, "
	       "busy %llu, other %llu, gave up %llu, not started %llu\n",
	       (unsigned long long)st.n, st.rate, st.seconds,
	       (unsigned long long)st.welcome, (unsigned long long)st.refused,
	       (unsigned long long)st.busy, (unsigned long long)st.other,
	       (unsigned long long)st.gave_up,
	       (unsigned long long)(st.no_slot + st.failed));
	return 0;
}
