/*
 * proto_decode.c - one frame body into a struct proto_msg.
 *
 * A valid frame is read in one pass (decode_one_pass).  When that fails,
 * two passes over the body find the error to report, both allocation-free
 * (see mp_read.h for why we do not use msgpack-c's unpacker):
 *   1. structure: the body must be exactly one well-formed msgpack value
 *      nested at most PROTO_MAX_DEPTH deep (MALFORMED / TOO_DEEP), checked
 *      over every element, including trailing ones a decoder ignores;
 *   2. fields: the value must be a non-empty array whose first element is a
 *      known op code, followed by the fields listed in the op's row of
 *      `specs` below (BAD_FIELD, BAD_SID, or a length-limit code), and
 *      for SUB the optional options map (read_sub_opts), for HELLO the
 *      optional credentials map (read_hello_creds).
 * op and req_id are read first of all, before the array's element count
 * is checked against the body, so even a truncated frame can be answered
 * with an ERR naming its req_id.
 *
 * Two shortcuts run before the passes (decode_pub_fast, decode_one_pass);
 * each either gives exactly what the passes would, or declines.  They are
 * exported through proto_decoders.h so the fuzzer and test_protocol check
 * that claim against proto_decode_ref (the passes alone) on every input.
 *
 * Topic and pattern syntax is NOT checked here: the broker calls
 * proto_check_topic/pattern itself so it can answer with the right code.
 */
#include "proto.h"

#include <string.h>

#include "mp_read.h"
#include "proto_decoders.h"

/* Where a field goes in struct proto_msg. */
enum slot {
	S_REQ_ID,
	S_VERSION,
	S_CLIENT_ID,
	S_MAX_PAYLOAD,
	S_PING_MS,
	S_CODE,
	S_COUNT,
	S_SID,
	S_NAME,
	S_TOPIC,
	S_REPLY_TO,
	S_QUEUE,
	S_PAYLOAD,
	S_REASON,
};

/* How a field is read. */
enum kind {
	K_UINT,	      /* any uint */
	K_SID,	      /* uint in 1..UINT32_MAX, else BAD_SID */
	K_STR,	      /* str of at most `max` bytes, else `err` */
	K_STR_OR_NIL, /* the same, or nil (ptr NULL) */
	K_PAYLOAD,    /* bin or str, no length limit here */
};

struct field {
	uint8_t kind;
	uint8_t slot;
	uint8_t err; /* K_STR*: code when longer than max */
	uint16_t max;
};

#define MAX_FIELDS 5

struct op_spec {
	uint8_t nfields;
	struct field f[MAX_FIELDS];
};

#define UINT_F(s)                 \
	{                         \
		K_UINT, (s), 0, 0 \
	}
#define STR_F(s, m, e)               \
	{                            \
		K_STR, (s), (e), (m) \
	}
#define OPT_F(s, m, e)                      \
	{                                   \
		K_STR_OR_NIL, (s), (e), (m) \
	}
#define SID_F                      \
	{                          \
		K_SID, S_SID, 0, 0 \
	}
#define PAYLOAD_F                          \
	{                                  \
		K_PAYLOAD, S_PAYLOAD, 0, 0 \
	}

/* The table at the top of proto.h, one row per op code. */
static const struct op_spec specs[] = {
	[PROTO_HELLO] = { 2,
			  { UINT_F(S_VERSION),
			    STR_F(S_NAME, PROTO_MAX_NAME, PROTO_E_BAD_NAME) } },
	[PROTO_WELCOME] = { 5,
			    { UINT_F(S_VERSION),
			      STR_F(S_NAME, PROTO_MAX_NAME, PROTO_E_BAD_NAME),
			      UINT_F(S_CLIENT_ID), UINT_F(S_MAX_PAYLOAD),
			      UINT_F(S_PING_MS) } },
	[PROTO_PUB] = { 4,
			{ UINT_F(S_REQ_ID),
			  STR_F(S_TOPIC, PROTO_MAX_TOPIC, PROTO_E_BAD_TOPIC),
			  OPT_F(S_REPLY_TO, PROTO_MAX_TOPIC, PROTO_E_BAD_TOPIC),
			  PAYLOAD_F } },
	[PROTO_SUB] = { 4,
			{ UINT_F(S_REQ_ID), SID_F,
			  STR_F(S_TOPIC, PROTO_MAX_TOPIC, PROTO_E_BAD_PATTERN),
			  OPT_F(S_QUEUE, PROTO_MAX_NAME, PROTO_E_BAD_QUEUE) } },
	[PROTO_UNSUB] = { 2, { UINT_F(S_REQ_ID), SID_F } },
	[PROTO_MSG] = { 4,
			{ SID_F,
			  STR_F(S_TOPIC, PROTO_MAX_TOPIC, PROTO_E_BAD_TOPIC),
			  OPT_F(S_REPLY_TO, PROTO_MAX_TOPIC, PROTO_E_BAD_TOPIC),
			  PAYLOAD_F } },
	[PROTO_PING] = { 0, { { 0, 0, 0, 0 } } },
	[PROTO_PONG] = { 0, { { 0, 0, 0, 0 } } },
	[PROTO_OK] = { 1, { UINT_F(S_REQ_ID) } },
	[PROTO_ERR] = { 3,
			{ UINT_F(S_REQ_ID), UINT_F(S_CODE),
			  STR_F(S_REASON, PROTO_MAX_REASON,
				PROTO_E_BAD_FIELD) } },
	[PROTO_NOTICE] = { 3,
			   { UINT_F(S_CODE), UINT_F(S_COUNT),
			     STR_F(S_REASON, PROTO_MAX_REASON,
				   PROTO_E_BAD_FIELD) } },
};

#define NSPECS (sizeof specs / sizeof specs[0])

static const struct op_spec *spec_of(uint64_t op)
{
	if (op == 0 || op >= NSPECS)
		return NULL;
	return &specs[op];
}

static uint64_t *uint_slot(struct proto_msg *m, unsigned slot)
{
	switch (slot) {
	case S_REQ_ID:
		return &m->req_id;
	case S_VERSION:
		return &m->version;
	case S_CLIENT_ID:
		return &m->client_id;
	case S_MAX_PAYLOAD:
		return &m->max_payload;
	case S_PING_MS:
		return &m->ping_ms;
	case S_CODE:
		return &m->code;
	case S_COUNT:
		return &m->count;
	default:
		return &m->sid;
	}
}

static struct proto_str *str_slot(struct proto_msg *m, unsigned slot)
{
	switch (slot) {
	case S_NAME:
		return &m->name;
	case S_TOPIC:
		return &m->topic;
	case S_REPLY_TO:
		return &m->reply_to;
	case S_QUEUE:
		return &m->queue;
	case S_PAYLOAD:
		return &m->payload;
	default:
		return &m->reason;
	}
}

/* Pass 1: exactly one value, well-formed, not too deep. */
static enum proto_err check_structure(const uint8_t *body, size_t len)
{
	struct mp_cur c = mp_cur_init(body, len);

	switch (mp_skip(&c, PROTO_MAX_DEPTH)) {
	case MP_OK:
		return c.left == 0 ? PROTO_OK_CODE : PROTO_E_MALFORMED;
	case MP_E_DEPTH:
		return PROTO_E_TOO_DEEP;
	default:
		return PROTO_E_MALFORMED;
	}
}

/* Array header and op code; then, best effort, a leading req_id.  The
 * element count is not checked here (pass 1 does that): a frame cut short
 * still names its op and req_id.  Leaves
 * *c after the op code and *nleft = elements after it. */
static enum proto_err decode_head(struct mp_cur *c, struct proto_msg *out,
				  uint32_t *nleft, const struct op_spec **spec)
{
	uint32_t n;
	uint64_t op;
	struct mp_cur peek;

	if (mp_read_array_head(c, &n) != MP_OK || n == 0 ||
	    mp_read_uint(c, &op) != MP_OK)
		return PROTO_E_MALFORMED;
	*nleft = n - 1;
	out->op = op <= UINT8_MAX ? (uint8_t)op : 0;
	*spec = spec_of(op);
	if (!*spec)
		return PROTO_E_UNKNOWN_OP;
	peek = *c;
	if ((*spec)->nfields > 0 && (*spec)->f[0].slot == S_REQ_ID && n > 1)
		(void)mp_read_uint(&peek, &out->req_id);
	return PROTO_OK_CODE;
}

static enum proto_err read_str_field(struct mp_cur *c, const struct field *f,
				     struct proto_str *dst)
{
	const char *p;
	uint32_t len;

	if (f->kind == K_STR_OR_NIL && mp_read_nil(c) == MP_OK) {
		dst->ptr = NULL;
		dst->len = 0;
		return PROTO_OK_CODE;
	}
	if (mp_read_str(c, &p, &len) != MP_OK &&
	    (f->kind != K_PAYLOAD || mp_read_bin(c, &p, &len) != MP_OK))
		return PROTO_E_BAD_FIELD;
	if (f->kind != K_PAYLOAD && len > f->max)
		return (enum proto_err)f->err;
	dst->ptr = p;
	dst->len = len;
	return PROTO_OK_CODE;
}

static enum proto_err read_field(struct mp_cur *c, const struct field *f,
				 struct proto_msg *out)
{
	uint64_t v;

	if (f->kind == K_UINT || f->kind == K_SID) {
		if (mp_read_uint(c, &v) != MP_OK)
			return PROTO_E_BAD_FIELD;
		if (f->kind == K_SID && (v == 0 || v > UINT32_MAX))
			return PROTO_E_BAD_SID;
		*uint_slot(out, f->slot) = v;
		return PROTO_OK_CODE;
	}
	return read_str_field(c, f, str_slot(out, f->slot));
}

/* Is the str p[0..len) exactly `key`? */
static int key_is(const char *p, uint32_t len, const char *key)
{
	return len == strlen(key) && memcmp(p, key, len) == 0;
}

/* A known option key given twice in one map is BAD_FIELD: which of the
 * two values was meant is a guess (first wins? last wins?), and guessing
 * a queue bound wrong loses messages silently.  *seen holds a bit per
 * known key read so far. */
static int seen_twice(unsigned *seen, unsigned bit)
{
	if (*seen & bit)
		return 1;
	*seen |= bit;
	return 0;
}

/* One option of the SUB map: key already read, value at *c. */
static enum proto_err read_sub_opt(struct mp_cur *c, const char *k,
				   uint32_t klen, struct proto_sub_opts *o,
				   unsigned *seen)
{
	const char *v;
	uint32_t vlen;

	if ((key_is(k, klen, "policy") && seen_twice(seen, 1u)) ||
	    (key_is(k, klen, "max_msgs") && seen_twice(seen, 2u)) ||
	    (key_is(k, klen, "max_bytes") && seen_twice(seen, 4u)) ||
	    (key_is(k, klen, "stall_policy") && seen_twice(seen, 8u)))
		return PROTO_E_BAD_FIELD;
	if (key_is(k, klen, "policy")) {
		if (mp_read_str(c, &v, &vlen) != MP_OK)
			return PROTO_E_BAD_FIELD;
		o->policy = (uint8_t)proto_policy_parse(v, vlen);
		return o->policy ? PROTO_OK_CODE : PROTO_E_BAD_FIELD;
	}
	if (key_is(k, klen, "stall_policy")) {
		if (mp_read_str(c, &v, &vlen) != MP_OK)
			return PROTO_E_BAD_FIELD;
		o->stall_policy = (uint8_t)proto_policy_parse(v, vlen);
		return o->stall_policy && o->stall_policy != PROTO_POLICY_BLOCK
			       ? PROTO_OK_CODE
			       : PROTO_E_BAD_FIELD;
	}
	if (key_is(k, klen, "max_msgs"))
		return mp_read_uint(c, &o->max_msgs) == MP_OK
			       ? PROTO_OK_CODE
			       : PROTO_E_BAD_FIELD;
	if (key_is(k, klen, "max_bytes"))
		return mp_read_uint(c, &o->max_bytes) == MP_OK
			       ? PROTO_OK_CODE
			       : PROTO_E_BAD_FIELD;
	/* unknown key: ignored (structure was checked in pass 1) */
	return mp_skip(c, PROTO_MAX_DEPTH) == MP_OK ? PROTO_OK_CODE
						    : PROTO_E_MALFORMED;
}

/* One key of a map with str keys: key already read, value at *c; dst the
 * caller's, seen its bits of keys met (a known key twice: BAD_FIELD). */
typedef enum proto_err (*map_key_fn)(struct mp_cur *c, const char *k,
				     uint32_t klen, void *dst, unsigned *seen);

/* A map with str keys at *c, each key handed to fn.  A value that is not
 * a map, or a key that is not a str, is BAD_FIELD. */
static enum proto_err read_str_map(struct mp_cur *c, map_key_fn fn, void *dst)
{
	struct mp_head h;
	const char *k;
	uint32_t klen;
	enum proto_err err;
	unsigned seen = 0;

	if (mp_peek(c, &h) != MP_OK || h.type != MP_MAP)
		return PROTO_E_BAD_FIELD;
	c->p += h.hdr;
	c->left -= h.hdr;
	for (uint32_t i = 0; i < h.len; i++) {
		if (mp_read_str(c, &k, &klen) != MP_OK)
			return PROTO_E_BAD_FIELD;
		err = fn(c, k, klen, dst, &seen);
		if (err != PROTO_OK_CODE)
			return err;
	}
	return PROTO_OK_CODE;
}

static enum proto_err sub_opt_key(struct mp_cur *c, const char *k,
				  uint32_t klen, void *dst, unsigned *seen)
{
	return read_sub_opt(c, k, klen, dst, seen);
}

/* The optional 6th element of SUB: nil, or a map of options with str
 * keys.  A non-str key, a mistyped value, an unknown policy name or a
 * known key given twice is BAD_FIELD. */
static enum proto_err read_sub_opts(struct mp_cur *c, struct proto_sub_opts *o)
{
	if (mp_read_nil(c) == MP_OK)
		return PROTO_OK_CODE;
	return read_str_map(c, sub_opt_key, o);
}

/* One key of HELLO's credentials map: key already read, value at *c.
 * "user" (a str of at most PROTO_MAX_NAME bytes) and "pass" (at most
 * PROTO_MAX_PASS), each once; other keys are skipped. */
static enum proto_err read_cred(struct mp_cur *c, const char *k, uint32_t klen,
				void *msg, unsigned *seen)
{
	struct proto_msg *out = msg;
	struct proto_str *dst = NULL;
	uint32_t max = 0;

	if (key_is(k, klen, "user")) {
		dst = &out->user;
		max = PROTO_MAX_NAME;
		if (seen_twice(seen, 1u))
			return PROTO_E_BAD_FIELD;
	} else if (key_is(k, klen, "pass")) {
		dst = &out->pass;
		max = PROTO_MAX_PASS;
		if (seen_twice(seen, 2u))
			return PROTO_E_BAD_FIELD;
	}
	if (!dst)
		return mp_skip(c, PROTO_MAX_DEPTH) == MP_OK ? PROTO_OK_CODE
							    : PROTO_E_MALFORMED;
	if (mp_read_str(c, &dst->ptr, &dst->len) != MP_OK || dst->len > max)
		return PROTO_E_BAD_FIELD;
	return PROTO_OK_CODE;
}

/* HELLO's optional 4th element: a map with str keys (read_cred).  Anything
 * else is BAD_FIELD. */
static enum proto_err read_hello_creds(struct mp_cur *c, struct proto_msg *out)
{
	return read_str_map(c, read_cred, out);
}

/* PUB's optional 6th element: flags when it is a uint, else ignored like
 * any trailing element (so it never makes a PUB invalid).  *c is not
 * moved: the caller skips the trailing elements as usual. */
static void read_pub_flags(const struct mp_cur *c, struct proto_msg *out)
{
	struct mp_cur peek = *c;
	uint64_t flags;

	if (mp_read_uint(&peek, &flags) == MP_OK)
		out->flags = flags;
}

/* The common case in one pass: head, fields, then the trailing elements
 * skipped with the depth left under the frame's own array.  1 when the
 * whole body was read this way and is valid: then the two passes below
 * would fill *out identically (every field is a scalar, so the walk has
 * checked the same structure).  0 on anything else, including SUB's
 * options map: the caller then runs the two passes, which find the error
 * to report in the documented order. */
static int decode_one_pass(const uint8_t *body, size_t len,
			   struct proto_msg *out)
{
	struct mp_cur c = mp_cur_init(body, len);
	const struct op_spec *spec = NULL;
	uint32_t nleft = 0;

	if (decode_head(&c, out, &nleft, &spec) != PROTO_OK_CODE ||
	    nleft < spec->nfields ||
	    ((out->op == PROTO_SUB || out->op == PROTO_HELLO) &&
	     nleft > spec->nfields))
		return 0;
	for (unsigned i = 0; i < spec->nfields; i++)
		if (read_field(&c, &spec->f[i], out) != PROTO_OK_CODE)
			return 0;
	if (out->op == PROTO_PUB && nleft > spec->nfields)
		read_pub_flags(&c, out);
	for (uint32_t i = spec->nfields; i < nleft; i++)
		if (mp_skip(&c, PROTO_MAX_DEPTH - 1) != MP_OK)
			return 0;
	return c.left == 0;
}

/* PUB as every encoder writes it: fixarray of exactly 5, op 0x03, then
 * the four fields (their types and limits as in specs[PROTO_PUB]) and
 * nothing after.  1 when the body is exactly that, and *out then holds
 * what the general decoder would give; 0 to let it decide. */
static int decode_pub_fast(const uint8_t *body, size_t len,
			   struct proto_msg *out)
{
	struct mp_cur c;
	struct proto_str *r = &out->reply_to, *p = &out->payload;

	if (len < 2 || body[0] != 0x95 || body[1] != PROTO_PUB)
		return 0;
	c = mp_cur_init(body + 2, len - 2);
	if (mp_read_uint(&c, &out->req_id) != MP_OK ||
	    mp_read_str(&c, &out->topic.ptr, &out->topic.len) != MP_OK ||
	    out->topic.len > PROTO_MAX_TOPIC)
		return 0;
	if (mp_read_nil(&c) != MP_OK &&
	    (mp_read_str(&c, &r->ptr, &r->len) != MP_OK ||
	     r->len > PROTO_MAX_TOPIC))
		return 0;
	if (mp_read_bin(&c, &p->ptr, &p->len) != MP_OK &&
	    mp_read_str(&c, &p->ptr, &p->len) != MP_OK)
		return 0;
	out->op = PROTO_PUB;
	return c.left == 0;
}

int proto_decode_pub_fast(const uint8_t *body, size_t len,
			  struct proto_msg *out)
{
	memset(out, 0, sizeof *out);
	return decode_pub_fast(body, len, out);
}

int proto_decode_one_pass(const uint8_t *body, size_t len,
			  struct proto_msg *out)
{
	memset(out, 0, sizeof *out);
	return decode_one_pass(body, len, out);
}

enum proto_err proto_decode_ref(const uint8_t *body, size_t len,
				struct proto_msg *out)
{
	struct mp_cur c = mp_cur_init(body, len);
	const struct op_spec *spec = NULL;
	enum proto_err herr, err;
	uint32_t nleft = 0;

	memset(out, 0, sizeof *out);
	herr = decode_head(&c, out, &nleft, &spec);
	err = check_structure(body, len);
	if (err != PROTO_OK_CODE)
		return err;
	if (herr != PROTO_OK_CODE)
		return herr;
	if (nleft < spec->nfields)
		return PROTO_E_BAD_FIELD;
	for (unsigned i = 0; i < spec->nfields; i++) {
		err = read_field(&c, &spec->f[i], out);
		if (err != PROTO_OK_CODE)
			return err;
	}
	if (out->op == PROTO_SUB && nleft > spec->nfields)
		return read_sub_opts(&c, &out->opts);
	if (out->op == PROTO_HELLO && nleft > spec->nfields)
		return read_hello_creds(&c, out);
	if (out->op == PROTO_PUB && nleft > spec->nfields)
		read_pub_flags(&c, out);
	return PROTO_OK_CODE; /* trailing elements: checked in pass 1 */
}

enum proto_err proto_decode(const uint8_t *body, size_t len,
			    struct proto_msg *out)
{
	if (proto_decode_pub_fast(body, len, out) ||
	    proto_decode_one_pass(body, len, out))
		return PROTO_OK_CODE;
	return proto_decode_ref(body, len, out);
}

unsigned proto_peek_op(const uint8_t *body, size_t len)
{
	struct mp_cur c = mp_cur_init(body, len);
	uint32_t n;
	uint64_t op;

	/* the form every encoder writes: fixarray of 1..15, fixint op */
	if (len >= 2 && body[0] > 0x90 && body[0] <= 0x9f && body[1] < 0x80)
		return body[1];
	if (mp_read_array_head(&c, &n) != MP_OK || n == 0 ||
	    mp_read_uint(&c, &op) != MP_OK || op > UINT8_MAX)
		return 0;
	return (unsigned)op;
}
