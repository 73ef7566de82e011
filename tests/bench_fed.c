/*
 * bench_fed.c - messages per second across federated nodes (issue #15,
 * docs/BENCHMARKS.md "Federation"): one publisher on one node, one
 * subscriber on each of two other nodes, for brokerd nodes (the wire
 * protocol, raw frames) or for nats-server itself (libnats), so both are
 * measured the same way.
 *
 *   bench_fed brokerd HOST:PORT HOST:PORT HOST:PORT [COUNT [SIZE [WINDOW]]]
 *   bench_fed nats URL URL URL [COUNT [SIZE [WINDOW]]]
 *
 * The first address is the publisher's, the others the subscribers'.
 * Probes on bench.fed.warm until both subscribers see one (interest has
 * crossed the cluster), then COUNT messages (default 100000) of SIZE bytes
 * (default 128) on bench.fed.data, the publisher at most WINDOW messages
 * (default 10000) ahead of the slower subscriber.  Prints one line: the
 * rate (messages published / time until the slower subscriber had them
 * all, or until 2 s without progress, then lost ones are reported).
 * Exits 1 with a message on a bad argument or a failed connection.
 */
#include "config.h"

#include <arpa/inet.h>
#include <msgpack.h>
#include <nats/nats.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STALL_NS 2000000000LL /* no progress this long: give up waiting */

struct run {
	int nats; /* 0: brokerd */
	const char *addr[3];
	long count, window;
	size_t size;
	atomic_long got[2], warm[2]; /* per subscriber */
	atomic_int stop;
	int fd[3];	       /* brokerd: sockets */
	natsConnection *nc[3]; /* nats */
	natsSubscription *ns[2][2];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_fed: %s\n", what);
	exit(1);
}

/* ---- brokerd: raw frames ---------------------------------------------- */

static int dial(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof host)
		die("expected HOST:PORT");
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		die("cannot resolve the address");
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("cannot connect to brokerd");
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			die("write to brokerd failed");
		c += w;
		n -= (size_t)w;
	}
}

/* Send the msgpack body in sb as one length-prefixed frame. */
static void send_frame(int fd, msgpack_sbuffer *sb)
{
	uint32_t len = htonl((uint32_t)sb->size);

	send_all(fd, &len, 4);
	send_all(fd, sb->data, sb->size);
	msgpack_sbuffer_clear(sb);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void hello_and_sub(int fd, int subscribe)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 1); /* HELLO */
	msgpack_pack_int(&pk, 1);
	pack_str(&pk, "bench_fed");
	send_frame(fd, &sb);
	for (int sid = 1; subscribe && sid <= 2; sid++) {
		msgpack_pack_array(&pk, 5);
		msgpack_pack_int(&pk, 4); /* SUB, no req_id */
		msgpack_pack_int(&pk, 0);
		msgpack_pack_int(&pk, sid);
		pack_str(&pk, sid == 1 ? "bench.fed.warm" : "bench.fed.data");
		msgpack_pack_nil(&pk);
		send_frame(fd, &sb);
	}
	msgpack_sbuffer_destroy(&sb);
}

/* A PUB frame for topic with a size-byte payload, built once. */
static void build_pub(msgpack_sbuffer *sb, const char *topic, size_t size)
{
	msgpack_packer pk;
	char *payload = calloc(1, size ? size : 1);
	uint32_t len;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_sbuffer_write(sb, "\0\0\0\0", 4);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, 3); /* PUB, no req_id */
	msgpack_pack_int(&pk, 0);
	pack_str(&pk, topic);
	msgpack_pack_nil(&pk);
	msgpack_pack_bin(&pk, size);
	msgpack_pack_bin_body(&pk, payload, size);
	len = htonl((uint32_t)(sb->size - 4));
	memcpy(sb->data, &len, 4);
	free(payload);
}

struct reader {
	struct run *r;
	int i;
};

/* Count MSG frames by sid: a MSG body starts 0x95 0x06 SID (fixint). */
static void *read_brokerd(void *arg)
{
	struct reader *rd = arg;
	struct run *r = rd->r;
	static __thread unsigned char buf[1 << 16];
	size_t have = 0;
	int fd = r->fd[rd->i + 1];

	while (!atomic_load(&r->stop)) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		size_t off = 0;

		if (n <= 0)
			break;
		have += (size_t)n;
		while (have - off >= 4) {
			uint32_t len;

			memcpy(&len, buf + off, 4);
			len = ntohl(len);
			if (len + 4 > sizeof buf)
				die("frame larger than the reader's buffer");
			if (have - off < 4 + (size_t)len)
				break;
			if (len >= 3 && buf[off + 5] == 6)
				atomic_fetch_add(buf[off + 6] == 1
							 ? &r->warm[rd->i]
							 : &r->got[rd->i],
						 1);
			off += 4 + len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	return NULL;
}

/* ---- nats -------------------------------------------------------------- */

static void on_nats(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
		    void *closure)
{
	(void)nc;
	(void)sub;
	atomic_fetch_add((atomic_long *)closure, 1);
	natsMsg_Destroy(msg);
}

static void nats_setup(struct run *r)
{
	for (int i = 0; i < 3; i++)
		if (natsConnection_ConnectTo(&r->nc[i], r->addr[i]) != NATS_OK)
			die("cannot connect to nats-server");
	for (int i = 0; i < 2; i++)
		if (natsConnection_Subscribe(&r->ns[i][0], r->nc[i + 1],
					     "bench.fed.warm", on_nats,
					     &r->warm[i]) != NATS_OK ||
		    natsConnection_Subscribe(&r->ns[i][1], r->nc[i + 1],
					     "bench.fed.data", on_nats,
					     &r->got[i]) != NATS_OK ||
		    natsSubscription_SetPendingLimits(r->ns[i][1], -1, -1) !=
			    NATS_OK ||
		    natsConnection_Flush(r->nc[i + 1]) != NATS_OK)
			die("cannot subscribe on nats-server");
}

/* ---- the run ----------------------------------------------------------- */

static void publish(struct run *r, const char *topic, msgpack_sbuffer *frame)
{
	if (r->nats)
		natsConnection_Publish(r->nc[0], topic, frame->data,
				       (int)r->size);
	else
		send_all(r->fd[0], frame->data, frame->size);
}

static long slower(struct run *r)
{
	long a = atomic_load(&r->got[0]), b = atomic_load(&r->got[1]);

	return a < b ? a : b;
}

static void warm_up(struct run *r, msgpack_sbuffer *warm)
{
	for (int k = 0; k < 2000; k++) {
		if (atomic_load(&r->warm[0]) && atomic_load(&r->warm[1]))
			return;
		publish(r, "bench.fed.warm", warm);
		if (r->nats)
			natsConnection_Flush(r->nc[0]);
		usleep(5000);
	}
	die("no flow between the nodes within 10 s");
}

/* Publish, staying within the window; wait for the slower subscriber. */
static int64_t measure(struct run *r, msgpack_sbuffer *data)
{
	int64_t t0 = now_ns(), last = t0;
	long seen = 0;

	for (long sent = 0; sent < r->count; sent++) {
		while (sent - slower(r) > r->window &&
		       now_ns() - last < STALL_NS)
			if (slower(r) != seen) {
				seen = slower(r);
				last = now_ns();
			}
		publish(r, "bench.fed.data", data);
	}
	if (r->nats)
		natsConnection_Flush(r->nc[0]);
	for (last = now_ns();
	     slower(r) < r->count && now_ns() - last < STALL_NS;)
		if (slower(r) != seen) {
			seen = slower(r);
			last = now_ns();
		}
	return (slower(r) < r->count ? last : now_ns()) - t0;
}

static void parse(struct run *r, int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "brokerd") && strcmp(argv[1], "nats")))
		die("usage: bench_fed brokerd|nats PUB SUB1 SUB2 "
		    "[COUNT [SIZE [WINDOW]]]");
	r->nats = strcmp(argv[1], "nats") == 0;
	for (int i = 0; i < 3; i++)
		r->addr[i] = argv[2 + i];
	r->count = argc > 5 ? atol(argv[5]) : 100000;
	r->size = argc > 6 ? (size_t)atol(argv[6]) : 128;
	r->window = argc > 7 ? atol(argv[7]) : 10000;
	if (r->count < 1 || r->window < 1 || r->size > (1 << 20))
		die("COUNT and WINDOW must be positive, SIZE at most 1 MiB");
}

int main(int argc, char **argv)
{
	static struct run r;
	struct reader rd[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t th[2];
	msgpack_sbuffer warm, data;
	int64_t ns;

	parse(&r, argc, argv);
	msgpack_sbuffer_init(&warm);
	msgpack_sbuffer_init(&data);
	build_pub(&warm, "bench.fed.warm", r.size);
	build_pub(&data, "bench.fed.data", r.size);
	if (r.nats) {
		/* libnats publishes the raw payload: the frame's bytes serve */
		nats_setup(&r);
	} else {
		for (int i = 0; i < 3; i++) {
			r.fd[i] = dial(r.addr[i]);
			hello_and_sub(r.fd[i], i > 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, read_brokerd, &rd[i]);
	}
	warm_up(&r, &warm);
	ns = measure(&r, &data);
	printf("%s count=%ld size=%zu window=%ld seconds=%.3f "
	       "msgs_per_s=%.0f received=%ld,%ld lost=%ld\n",
	       r.nats ? "nats" : "brokerd", r.count, r.size, r.window,
	       (double)ns / 1e9, (double)slower(&r) * 1e9 / (double)ns,
	       atomic_load(&r.got[0]), atomic_load(&r.got[1]),
	       2 * r.count - atomic_load(&r.got[0]) - atomic_load(&r.got[1]));
	atomic_store(&r.stop, 1);
	for (int i = 0; !r.nats && i < 3; i++)
		shutdown(r.fd[i], SHUT_RDWR);
	for (int i = 0; !r.nats && i < 2; i++)
		pthread_join(th[i], NULL);
	msgpack_sbuffer_destroy(&warm);
	msgpack_sbuffer_destroy(&data);
	return 0;
}
