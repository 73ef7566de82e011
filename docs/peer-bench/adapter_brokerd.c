/*
 * adapter_brokerd.c - pubsub-bench adapter for brokerd (wire protocol v1).
 *
 * Written from protocol/PROTOCOL.md alone: every frame is a 4-byte
 * big-endian body length followed by one msgpack array whose first element
 * is the op code.  The adapter carries its own minimal msgpack reader (no
 * library: the harness is gcc + libc only).
 *
 *   client -> broker   HELLO [1, 1, name]   SUB [4, req_id, sid, pattern, nil]
 *                      UNSUB [5, req_id, sid]   PUB [3, 0, topic, nil, bin]
 *                      PONG [8]
 *   broker -> client   WELCOME [2, ...]   OK [9, req_id]   ERR [10, req_id,
 *                      code, reason]   MSG [6, sid, topic, reply_to, bin]
 *                      PING [7]   PONG [8]   NOTICE [11, kind, count, reason]
 *
 * Build: copy into pubsub-bench/ and `make`; run with
 *   ./pubsub-bench -b brokerd --bin brokerd=/path/to/build/broker/brokerd
 */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <string.h>

enum {
	OP_HELLO = 1, OP_WELCOME = 2, OP_PUB = 3, OP_SUB = 4, OP_UNSUB = 5,
	OP_MSG = 6, OP_PING = 7, OP_PONG = 8, OP_OK = 9, OP_ERR = 10,
	OP_NOTICE = 11,
};

#define BRD_SUB_REQ_ID 1          /* req_id of the one SUB: OK must echo it */
#define BRD_SID 1
#define BRD_MAX_BODY ((size_t)64 * 1024 * 1024 + 576) /* 64 MiB + overhead */
#define BRD_HANDSHAKE_FRAMES 1000 /* bound on frames/reads while handshaking */

/* ---- a minimal bounded msgpack reader over one frame body ---- */

struct brd_rd {
	const uint8_t *p, *end;
	int bad;                  /* sticky: truncated or unexpected type */
};

static uint64_t brd_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static const uint8_t *brd_take(struct brd_rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

/* Width of the big-endian length/value that follows a header byte:
 * uint8..64 (cc..cf), int8..64 (d0..d3), str8..32 (d9..db), bin8..32 (c4..c6),
 * array16/32 (dc, dd). */
static int brd_width(uint8_t h)
{
	switch (h) {
	case 0xcc: case 0xd0: case 0xd9: case 0xc4: return 1;
	case 0xcd: case 0xd1: case 0xda: case 0xc5: case 0xdc: return 2;
	case 0xce: case 0xd2: case 0xdb: case 0xc6: case 0xdd: return 4;
	case 0xcf: case 0xd3: return 8;
	default: return 0;
	}
}

/* A uint in any integer form holding a value >= 0 (the spec's "uint"). */
static uint64_t brd_uint(struct brd_rd *r)
{
	const uint8_t *h = brd_take(r, 1);
	const uint8_t *v;
	int w;

	if (!h)
		return 0;
	if (*h <= 0x7f)
		return *h;
	w = brd_width(*h);
	if (!w || (*h >= 0xd9 && *h <= 0xdd) || (*h >= 0xc4 && *h <= 0xc6)) {
		r->bad = 1;
		return 0;
	}
	v = brd_take(r, (size_t)w);
	if (!v)
		return 0;
	if (*h >= 0xd0 && (v[0] & 0x80)) {   /* negative signed value */
		r->bad = 1;
		return 0;
	}
	return brd_be(v, w);
}

/* str (want_bin 0) or bin (want_bin 1); nil gives len 0 and NULL when
 * nil_ok.  Returns a view into the frame. */
static const uint8_t *brd_bytes(struct brd_rd *r, int want_bin, int nil_ok,
				size_t *len)
{
	const uint8_t *h = brd_take(r, 1);
	int is_bin, w;

	*len = 0;
	if (!h)
		return NULL;
	if (*h == 0xc0 && nil_ok)
		return NULL;
	if (!want_bin && (*h & 0xe0) == 0xa0) {
		*len = *h & 0x1f;
		return brd_take(r, *len);
	}
	is_bin = *h >= 0xc4 && *h <= 0xc6;
	w = brd_width(*h);
	if (!w || is_bin != want_bin || (!is_bin && (*h < 0xd9 || *h > 0xdb))) {
		r->bad = 1;
		return NULL;
	}
	h = brd_take(r, (size_t)w);
	if (!h)
		return NULL;
	*len = (size_t)brd_be(h, w);
	return brd_take(r, *len);
}

/* Array header; returns the element count. */
static uint64_t brd_array(struct brd_rd *r)
{
	const uint8_t *h = brd_take(r, 1);
	const uint8_t *v;

	if (!h)
		return 0;
	if ((*h & 0xf0) == 0x90)
		return *h & 0x0f;
	if (*h != 0xdc && *h != 0xdd) {
		r->bad = 1;
		return 0;
	}
	v = brd_take(r, *h == 0xdc ? 2 : 4);
	return v ? brd_be(v, *h == 0xdc ? 2 : 4) : 0;
}

/* ---- framing ---- */

/* Length of the complete frame at buf (prefix + body), 0 if incomplete,
 * (size_t)-1 on a length prefix the spec forbids. */
static size_t brd_frame_len(const uint8_t *buf, size_t len)
{
	size_t n;

	if (len < 4)
		return 0;
	n = (size_t)brd_be(buf, 4);
	if (n == 0 || n > BRD_MAX_BODY)
		return (size_t)-1;
	return len - 4 >= n ? 4 + n : 0;
}

/* Opens a frame body: reads the array header and op code. */
static uint64_t brd_open(struct brd_rd *r, const uint8_t *frame, size_t flen,
			 uint64_t *count)
{
	r->p = frame + 4;
	r->end = frame + flen;
	r->bad = 0;
	*count = brd_array(r);
	if (*count < 1)
		r->bad = 1;
	return brd_uint(r);
}

static void brd_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Appends a msgpack str header (shortest form) to out; returns its size. */
static size_t brd_str_hdr(uint8_t *out, size_t len)
{
	if (len < 32) {
		out[0] = (uint8_t)(0xa0 | len);
		return 1;
	}
	if (len < 256) {
		out[0] = 0xd9;
		out[1] = (uint8_t)len;
		return 2;
	}
	out[0] = 0xda;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	return 3;
}

static size_t brd_bin_hdr(uint8_t *out, size_t len)
{
	if (len < 256) {
		out[0] = 0xc4;
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		out[0] = 0xc5;
		out[1] = (uint8_t)(len >> 8);
		out[2] = (uint8_t)len;
		return 3;
	}
	out[0] = 0xc6;
	brd_be32(out + 1, (uint32_t)len);
	return 5;
}

/* ---- reporting ---- */

static void brd_report_err(struct conn *c, struct brd_rd *r, const char *when)
{
	uint64_t req_id = brd_uint(r), code = brd_uint(r);
	size_t rl;
	const uint8_t *reason = brd_bytes(r, 0, 0, &rl);

	if (r->bad) {
		reason = (const uint8_t *)"(unreadable)";
		rl = strlen((const char *)reason);
	}
	fprintf(stderr, "brokerd: %s: conn %d (role %d): ERR req_id %llu code %llu: %.*s\n",
		when, c->id, c->role, (unsigned long long)req_id,
		(unsigned long long)code, (int)(rl > 200 ? 200 : rl), reason);
}

static void brd_report_notice(struct conn *c, struct brd_rd *r)
{
	uint64_t kind = brd_uint(r), count = brd_uint(r);
	size_t rl;
	const uint8_t *reason = brd_bytes(r, 0, 0, &rl);

	if (r->bad)
		return;
	fprintf(stderr, "brokerd: conn %d (role %d): NOTICE kind %llu count %llu: %.*s\n",
		c->id, c->role, (unsigned long long)kind,
		(unsigned long long)count, (int)(rl > 200 ? 200 : rl), reason);
}

/* ---- adapter entry points ---- */

static int brd_build_cmd(const struct broker_cfg *cfg, char **argv, int max_argv,
			 char *arena, size_t arena_len)
{
	/* arena: "<dir>/brokerd.conf\0<port>\0" */
	int n = snprintf(arena, arena_len, "%s/brokerd.conf", cfg->dir);
	FILE *f;

	if (max_argv < 8 || n < 0 || (size_t)n + 16 > arena_len)
		return -1;
	f = fopen(arena, "w");
	if (!f)
		return -1;
	fprintf(f, "# written by pubsub-bench adapter_brokerd.c\n");
	/* raised: the per-client queue bounds (bytes and messages) are
	 * lifted; the pool's total outbound budget stays at its default
	 * (256M: publishers are paused, not dropped, near it), so broker
	 * memory stays bounded */
	if (cfg->raised_limits)
		fprintf(f, "max_outbound 1G\nmax_clients 100000\n"
			"pool.default.max_outbound_msgs 100000000\n"
			"max_subs_per_client 200000\n");
	if (fclose(f) != 0)
		return -1;
	snprintf(arena + n + 1, arena_len - (size_t)n - 1, "%d", cfg->port);
	argv[0] = (char *)cfg->bin;
	argv[1] = "-c";
	argv[2] = arena;
	argv[3] = "-b";
	argv[4] = "127.0.0.1";
	argv[5] = "-p";
	argv[6] = arena + n + 1;
	argv[7] = NULL;
	return 0;
}

/* Waits for a frame with op `want` (and, for OK, req_id `want_req`),
 * answering PINGs; any ERR fails the handshake. */
static int brd_await(struct conn *c, uint64_t want, uint64_t want_req,
		     int64_t deadline)
{
	static const uint8_t pong[] = { 0, 0, 0, 2, 0x91, OP_PONG };

	for (int i = 0; i < BRD_HANDSHAKE_FRAMES; i++) {
		size_t flen = brd_frame_len(c->rbuf, c->rlen);
		struct brd_rd r;
		uint64_t count, op;

		if (flen == (size_t)-1)
			return -1;
		if (flen == 0) {
			if (conn_fill(c, deadline) < 0)
				return -1;
			continue;
		}
		op = brd_open(&r, c->rbuf, flen, &count);
		if (op == OP_ERR && !r.bad)
			brd_report_err(c, &r, "handshake");
		if (op == OP_PING && conn_send_all(c, pong, sizeof pong, deadline) < 0)
			return -1;
		if (op == OP_OK && want == OP_OK && brd_uint(&r) != want_req)
			r.bad = 1;
		conn_consume(c, flen);
		if (r.bad || op == OP_ERR)
			return -1;
		if (op == want)
			return 0;
	}
	return -1;
}

static int brd_send_hello(struct conn *c, int64_t deadline)
{
	uint8_t f[64];
	int nl = snprintf((char *)f + 8, sizeof f - 8, "pubsub-bench-%d", c->id);

	if (nl < 0 || nl > 31)
		return -1;
	f[4] = 0x93;
	f[5] = OP_HELLO;
	f[6] = 1;                            /* protocol version */
	f[7] = (uint8_t)(0xa0 | nl);         /* fixstr */
	brd_be32(f, (uint32_t)(4 + nl));
	return conn_send_all(c, f, 8 + (size_t)nl, deadline);
}

static int brd_send_sub(struct conn *c, const char *topic, int64_t deadline)
{
	uint8_t f[300];
	size_t tl = strlen(topic), k = 4;

	if (tl > 256)
		return -1;
	f[k++] = 0x95;
	f[k++] = OP_SUB;
	f[k++] = BRD_SUB_REQ_ID;
	f[k++] = BRD_SID;
	k += brd_str_hdr(f + k, tl);
	memcpy(f + k, topic, tl);
	k += tl;
	f[k++] = 0xc0;                       /* queue: nil */
	brd_be32(f, (uint32_t)(k - 4));
	return conn_send_all(c, f, k, deadline);
}

static int brd_handshake(struct conn *c, const char *topic, int64_t deadline)
{
	if (brd_send_hello(c, deadline) < 0 ||
	    brd_await(c, OP_WELCOME, 0, deadline) < 0) {
		fprintf(stderr, "brokerd: conn %d: no WELCOME\n", c->id);
		return -1;
	}
	if (!topic)
		return 0;
	if (brd_send_sub(c, topic, deadline) < 0 ||
	    brd_await(c, OP_OK, BRD_SUB_REQ_ID, deadline) < 0) {
		fprintf(stderr, "brokerd: conn %d: SUB %s not confirmed\n", c->id, topic);
		return -1;
	}
	return 0;
}

#ifdef BENCH_HAS_SUB_HOOKS
/* Appends a msgpack uint (shortest form) to out; returns its size. */
static size_t brd_uint_enc(uint8_t *out, uint32_t v)
{
	if (v < 128) {
		out[0] = (uint8_t)v;
		return 1;
	}
	if (v < 256) {
		out[0] = 0xcc;
		out[1] = (uint8_t)v;
		return 2;
	}
	if (v < 65536) {
		out[0] = 0xcd;
		out[1] = (uint8_t)(v >> 8);
		out[2] = (uint8_t)v;
		return 3;
	}
	out[0] = 0xce;
	brd_be32(out + 1, v);
	return 5;
}

/* SUB [4, req_id, sid, pattern, nil] with req_id = sid (never 0): the
 * broker answers each with OK (or ERR), in order. */
static size_t brd_encode_sub(uint8_t *out, size_t cap, const char *pattern,
			     uint32_t sid, int *acks)
{
	size_t tl = strlen(pattern), k = 4;

	*acks = 1;
	if (sid == 0 || tl > 256 || cap < 4 + 2 + 5 + 5 + 3 + tl + 1)
		return 0;
	out[k++] = 0x95;
	out[k++] = OP_SUB;
	k += brd_uint_enc(out + k, sid);
	k += brd_uint_enc(out + k, sid);
	k += brd_str_hdr(out + k, tl);
	memcpy(out + k, pattern, tl);
	k += tl;
	out[k++] = 0xc0;                     /* queue: nil */
	brd_be32(out, (uint32_t)(k - 4));
	return k;
}

/* UNSUB [5, req_id, sid] with req_id = sid: answered with OK. */
static size_t brd_encode_unsub(uint8_t *out, size_t cap, const char *pattern,
			       uint32_t sid, int *acks)
{
	size_t k = 4;

	(void)pattern;
	*acks = 1;
	if (sid == 0 || cap < 4 + 2 + 5 + 5)
		return 0;
	out[k++] = 0x93;
	out[k++] = OP_UNSUB;
	k += brd_uint_enc(out + k, sid);
	k += brd_uint_enc(out + k, sid);
	brd_be32(out, (uint32_t)(k - 4));
	return k;
}
#endif

/* PUB [3, 0, topic, nil, bin payload]: req_id 0, so no OK comes back. */
static size_t brd_encode_pub(uint8_t *out, size_t cap, const char *topic,
			     const uint8_t *payload, size_t plen, size_t *payload_off)
{
	size_t tl = strlen(topic), k = 4;

	if (tl > 256 || plen > 0xffffffffu || cap < 4 + 3 + 3 + tl + 1 + 5 + plen)
		return 0;
	out[k++] = 0x95;
	out[k++] = OP_PUB;
	out[k++] = 0;                        /* req_id 0 */
	k += brd_str_hdr(out + k, tl);
	memcpy(out + k, topic, tl);
	k += tl;
	out[k++] = 0xc0;                     /* reply_to: nil */
	k += brd_bin_hdr(out + k, plen);
	*payload_off = k;
	memcpy(out + k, payload, plen);
	k += plen;
	brd_be32(out, (uint32_t)(k - 4));
	return k;
}

/* MSG [6, sid, topic, reply_to, payload]: hand the payload to the harness. */
static int brd_on_msg(struct conn *c, struct brd_rd *r)
{
	size_t n;
	const uint8_t *pl;

	(void)brd_uint(r);                   /* sid */
	(void)brd_bytes(r, 0, 0, &n);        /* topic */
	(void)brd_bytes(r, 0, 1, &n);        /* reply_to */
	pl = brd_bytes(r, 1, 0, &n);
	if (r->bad)
		return -1;
	bench_deliver(c, pl, n);
	return 0;
}

/* ERR [10, req_id, code, reason]: an ERR for a request (req_id != 0)
 * stands for the OK it would have had, so it is counted as its answer. */
static int brd_on_err(struct conn *c, struct brd_rd *r)
{
	struct brd_rd peek = *r;

	if (brd_uint(&peek) != 0 && !peek.bad)
		c->replies++;
	if (c->errors++ < 3)
		brd_report_err(c, r, "run");
	return 0;
}

static int brd_on_frame(struct conn *c, const uint8_t *frame, size_t flen)
{
	static const uint8_t pong[] = { 0, 0, 0, 2, 0x91, OP_PONG };
	struct brd_rd r;
	uint64_t count, op = brd_open(&r, frame, flen, &count);

	if (r.bad)
		return -1;
	switch (op) {
	case OP_MSG:
		return brd_on_msg(c, &r);
	case OP_PING:
		return conn_reply(c, pong, sizeof pong);
	case OP_OK:
		c->replies++;
		return 0;
	case OP_ERR:
		return brd_on_err(c, &r);
	case OP_NOTICE:
		brd_report_notice(c, &r);
		return 0;
	default:                             /* PONG, WELCOME, future ops */
		return 0;
	}
}

static ssize_t brd_parse(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t flen = brd_frame_len(buf + off, len - off);

		if (flen == (size_t)-1)
			return -1;
		if (flen == 0)
			break;
		if (brd_on_frame(c, buf + off, flen) < 0)
			return -1;
		off += flen;
	}
	return (ssize_t)off;
}

static const char *const brd_drop_patterns[] = {
	"dropped",
	"slow consumer",
	"SERVER_BUSY",
	NULL,
};

static const struct adapter brokerd_adapter = {
	.name = "brokerd",
	.protocol = "brokerd v1 (length-prefixed msgpack)",
	.default_bin = "brokerd",
	.limits_raised = "brokerd.conf: max_outbound 1G (per-client outbound queue, "
			 "default 8M), pool.default.max_outbound_msgs 100000000 "
			 "(default 100000), max_clients 100000 (default 1000), "
			 "max_subs_per_client 200000 (default 10000); "
			 "the pool's total outbound budget stays 256M",
	.limits_default = "max_outbound 8M per client: messages for a full queue are "
			  "dropped and counted (NOTICE DROPPED); max_clients 1000",
	.drop_patterns = brd_drop_patterns,
	.stall_patterns = NULL,
	.build_cmd = brd_build_cmd,
	.handshake = brd_handshake,
	.encode_pub = brd_encode_pub,
	.parse = brd_parse,
#ifdef BENCH_HAS_SUB_HOOKS
	.encode_sub = brd_encode_sub,
	.encode_unsub = brd_encode_unsub,
#endif
};
REGISTER_ADAPTER(brokerd_adapter)
