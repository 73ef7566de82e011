/*
 * proto.h - the brokerd wire protocol: frames, operations, limits, error
 * codes, and the codec shared by the broker, the client library and the
 * fuzzer.  Pure functions: no I/O, no libevent, no allocation.
 *
 * The contract itself is protocol/PROTOCOL.md; this header must agree with it.
 *
 * Frame: a 4-byte big-endian length N, then exactly N bytes holding one
 * msgpack array whose first element is the operation code (a uint).
 *
 *   HELLO   [1, version:uint, client_name:str,
 *            credentials:map (optional: {"user": str, "pass": str})]
 *   WELCOME [2, version:uint, server_name:str, client_id:uint,
 *            max_payload:uint, ping_interval_ms:uint]
 *   PUB     [3, req_id:uint, topic:str, reply_to:str|nil, payload:bin|str]
 *   SUB     [4, req_id:uint, sid:uint, pattern:str, queue:str|nil,
 *            opts:map|nil (optional: policy, max_msgs, max_bytes)]
 *   UNSUB   [5, req_id:uint, sid:uint]
 *   MSG     [6, sid:uint, topic:str, reply_to:str|nil, payload:bin]
 *   PING    [7]
 *   PONG    [8]
 *   OK      [9, req_id:uint]
 *   ERR     [10, req_id:uint, code:uint, reason:str]
 *   NOTICE  [11, kind:uint, count:uint, reason:str]
 *
 * Elements after the ones listed are ignored by a decoder (forward
 * compatibility) but are still bounds- and depth-checked.
 *
 * Views: decoded strings point into the caller's frame buffer (zero copy) and
 * are valid only as long as that buffer is; they are NOT NUL-terminated.
 */
#ifndef BROKERD_PROTO_H
#define BROKERD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_HDR_LEN 4u /* length prefix bytes */

/* Limits fixed by the protocol (the broker may be configured lower for the
 * payload, and announces its value in WELCOME). */
#define PROTO_MAX_TOPIC 256u  /* bytes in a topic or pattern */
#define PROTO_MAX_TOKENS 32u  /* dot-separated tokens */
#define PROTO_MAX_NAME 128u   /* client name, queue group name */
#define PROTO_MAX_REASON 256u /* ERR/NOTICE reason text */
#define PROTO_MAX_PASS 256u   /* HELLO credentials' password */
#define PROTO_MAX_DEPTH 16u   /* nesting depth of any frame */
#define PROTO_DEFAULT_MAX_PAYLOAD (1024u * 1024u)
#define PROTO_ABS_MAX_PAYLOAD (64u * 1024u * 1024u)
/* Bytes a frame may carry besides its payload (op, ids, topic, reply-to,
 * msgpack headers); max frame body = max_payload + PROTO_FRAME_OVERHEAD. */
#define PROTO_FRAME_OVERHEAD (2u * PROTO_MAX_TOPIC + 64u)
/* Largest header a PUB or MSG frame needs before its payload bytes. */
#define PROTO_MAX_HEAD (PROTO_HDR_LEN + PROTO_FRAME_OVERHEAD)
/* Max frame body before the handshake is done (the HELLO, the WELCOME),
 * whatever max_payload is: a HELLO is far smaller, and a peer that never
 * finishes the handshake must not make the other side buffer a
 * max_payload frame. */
#define PROTO_PREHELLO_MAX 4096u

enum proto_op {
	PROTO_HELLO = 1,
	PROTO_WELCOME = 2,
	PROTO_PUB = 3,
	PROTO_SUB = 4,
	PROTO_UNSUB = 5,
	PROTO_MSG = 6,
	PROTO_PING = 7,
	PROTO_PONG = 8,
	PROTO_OK = 9,
	PROTO_ERR = 10,
	PROTO_NOTICE = 11,
};

/* Error codes carried in ERR.  1..99: the client's fault (a client must not
 * retry unchanged; a circuit breaker must not count them).  100..199: the
 * server's condition (busy, limits, shutting down; worth retrying later). */
enum proto_err {
	PROTO_OK_CODE = 0,     /* not sent; "no error" in return values */
	PROTO_E_MALFORMED = 1, /* not msgpack, truncated, trailing bytes */
	PROTO_E_FRAME_TOO_LARGE = 2, /* length prefix over the limit (or 0) */
	PROTO_E_TOO_DEEP = 3,	     /* nesting over PROTO_MAX_DEPTH */
	PROTO_E_UNKNOWN_OP = 4,	     /* op code not known */
	PROTO_E_BAD_FIELD = 5,	     /* missing field or wrong msgpack type */
	PROTO_E_BAD_VERSION = 6,     /* HELLO with an unsupported version */
	PROTO_E_NOT_READY = 7,	 /* operation before HELLO, or HELLO twice */
	PROTO_E_BAD_TOPIC = 8,	 /* invalid publish topic or reply-to */
	PROTO_E_BAD_PATTERN = 9, /* invalid subscription pattern */
	PROTO_E_BAD_QUEUE = 10,	 /* invalid queue group name */
	PROTO_E_PAYLOAD_TOO_LARGE = 11, /* payload over the announced max */
	PROTO_E_SID_IN_USE = 12,	/* SUB with a sid already subscribed */
	PROTO_E_NO_SUCH_SID = 13,	/* UNSUB of an unknown sid */
	PROTO_E_BAD_SID = 14,		/* sid 0 or over 2^32-1 */
	PROTO_E_TOO_MANY_SUBS = 15,	/* per-connection subscription limit */
	PROTO_E_BAD_NAME = 16,		/* client name too long or invalid */
	PROTO_E_NO_RESPONDERS = 17,	/* PUB with PROTO_PUB_NO_RESPONDERS
					  * matched no subscription */
	PROTO_E_AUTH_FAILED = 18,	/* HELLO credentials refused (or
					  * missing where required); close */
	PROTO_E_FORBIDDEN = 19,		/* PUB or SUB not allowed by the
					  * user's rules; stays open */
	PROTO_E_SERVER_BUSY = 100,	/* limits reached on the server side */
	PROTO_E_SHUTTING_DOWN = 101,	/* broker is stopping */
	PROTO_E_TIMEOUT = 102,		/* handshake or keepalive timeout */
	PROTO_E_INTERNAL = 103,		/* out of memory or similar */
};

/* NOTICE kinds. */
enum proto_notice {
	PROTO_NOTICE_DROPPED = 1, /* count = messages lost since last notice */
	PROTO_NOTICE_LAME_DUCK = 2, /* broker going away; count = ms left */
	PROTO_NOTICE_POLICY = 3,    /* a SUB's policy was replaced; count
					  * = the enum proto_policy applied */
	PROTO_NOTICE_REVOKED = 4,   /* a reload's rules removed a
					  * subscription; count = its sid */
};

/* Outbound queue policies a SUB may ask for (the "policy" option). */
enum proto_policy {
	PROTO_POLICY_NONE = 0,	      /* not given: the pool's policy */
	PROTO_POLICY_DROP_OLDEST = 1, /* "drop-oldest" */
	PROTO_POLICY_DROP_NEWEST = 2, /* "drop-newest" */
	PROTO_POLICY_DISCONNECT = 3,  /* "disconnect" */
	PROTO_POLICY_BLOCK = 4,	      /* "block": pause the publishers */
};

/* SUB options (optional trailing map).  0 / PROTO_POLICY_NONE: not given.
 * Unknown keys in the map are ignored. */
struct proto_sub_opts {
	uint8_t policy;	      /* enum proto_policy */
	uint64_t max_msgs;    /* "max_msgs": queue bound in messages */
	uint64_t max_bytes;   /* "max_bytes": queue bound in bytes */
	uint8_t stall_policy; /* "stall_policy": block's fallback while
				  * stalled (not block itself) */
};

/* Bits of PUB's optional 6th element, flags (a uint; an element of
 * another type is ignored like any trailing element). */
enum proto_pub_flag {
	/* Answer ERR NO_RESPONDERS instead of OK when the PUB reached no
	 * subscription (requests; needs a req_id). */
	PROTO_PUB_NO_RESPONDERS = 1,
};

/* A byte string inside a frame.  ptr == NULL means msgpack nil (absent). */
struct proto_str {
	const char *ptr;
	uint32_t len;
};

/* One decoded message; which fields are set depends on op (see the table at
 * the top).  All proto_str views borrow from the decoded buffer. */
struct proto_msg {
	uint8_t op;
	uint64_t req_id;      /* PUB, SUB, UNSUB, OK, ERR */
	uint64_t sid;	      /* SUB, UNSUB, MSG */
	uint64_t version;     /* HELLO, WELCOME */
	uint64_t client_id;   /* WELCOME */
	uint64_t max_payload; /* WELCOME */
	uint64_t ping_ms;     /* WELCOME */
	uint64_t code;	/* ERR: enum proto_err; NOTICE: enum proto_notice */
	uint64_t count; /* NOTICE */
	struct proto_str name;	    /* HELLO client name, WELCOME server name */
	struct proto_str user;	    /* HELLO credentials (ptr NULL: none) */
	struct proto_str pass;	    /* HELLO credentials (ptr NULL: none) */
	struct proto_str topic;	    /* PUB, MSG topic; SUB pattern */
	struct proto_str reply_to;  /* PUB, MSG (nil allowed) */
	struct proto_str queue;	    /* SUB (nil allowed) */
	struct proto_str payload;   /* PUB, MSG */
	struct proto_str reason;    /* ERR, NOTICE */
	struct proto_sub_opts opts; /* SUB (all zero when absent) */
	uint64_t flags; /* PUB: enum proto_pub_flag bits, 0 absent */
};

/* ---- framing ---------------------------------------------------------- */

enum proto_frame_status {
	PROTO_FRAME_NEED_MORE = 0, /* fewer than 4 bytes, or body incomplete */
	PROTO_FRAME_READY = 1, /* *body_len set, 4 + body_len bytes present */
	PROTO_FRAME_BAD = -1,  /* length 0 or > max_body: close the stream */
};

/* Inspect the start of a byte stream.  Reads the length prefix when at least
 * 4 bytes are present and always sets *body_len then (so a caller can reject
 * an oversized frame before buffering it).  Never reads past len. */
enum proto_frame_status proto_frame_peek(const uint8_t *buf, size_t len,
					 uint32_t max_body, uint32_t *body_len);

/* ---- span scanner --------------------------------------------------- *
 * The one framing loop: every reader (the broker, the client library, the
 * stream reader below, the fuzzer) finds its frames with it.  A span is a
 * contiguous run of bytes the caller holds (e.g. one evbuffer chunk); the
 * scanner walks it frame by frame, pointing into it (no copy), and never
 * reads past its end.  It keeps no other state, so a caller may stop after
 * any frame and start a new scan later on the bytes it did not drain. */
struct proto_span {
	const uint8_t *buf; /* borrowed from the caller */
	size_t len;
	size_t off; /* start of the first frame not returned */
};

enum proto_span_status {
	PROTO_SPAN_NEED_MORE = 0,  /* the frame at off is not all in the span */
	PROTO_SPAN_FRAME = 1,	   /* one complete frame; off moved past it */
	PROTO_SPAN_TOO_LARGE = -1, /* length prefix 0 or > max_body: the
				       stream cannot be resynchronised */
};

/* What proto_span_next found. */
struct proto_span_frame {
	size_t start;	     /* offset of the frame's length prefix */
	const uint8_t *body; /* FRAME: the body, inside the span */
	uint32_t body_len;   /* FRAME: body bytes; TOO_LARGE: the prefix */
	size_t need;	     /* NEED_MORE: bytes from `start` that must be
				    contiguous to go on: PROTO_HDR_LEN while
				    the prefix is incomplete, else the whole
				    frame (PROTO_HDR_LEN + its body) */
};

/* Scan buf[0..len) (borrowed) from its start. */
void proto_span_init(struct proto_span *s, const uint8_t *buf, size_t len);

/* The next frame at s->off, whose body may be at most max_body bytes (it
 * may change between calls, e.g. once HELLO is done).  Only FRAME moves
 * s->off; f->start is set on every result, so a caller that cannot handle
 * the frame now drains f->start bytes and keeps the frame. */
enum proto_span_status proto_span_next(struct proto_span *s, uint32_t max_body,
				       struct proto_span_frame *f);

/* Decode one frame body (without its length prefix) into *out.  Returns
 * PROTO_OK_CODE or the proto_err to send back.  On error *out may be
 * partly filled; out->op is set when the op code itself was readable
 * (0 otherwise) and out->req_id when it was too, so the ERR can name it. */
enum proto_err proto_decode(const uint8_t *body, size_t len,
			    struct proto_msg *out);

/* The op code of a frame body, read the way proto_decode reads it (the
 * array header's element count is not checked), without decoding the
 * rest: for a gate that must treat ops differently before the frame is
 * decoded.  0 when the op is not readable or over 255.  body is borrowed. */
unsigned proto_peek_op(const uint8_t *body, size_t len);

/* ---- validation ------------------------------------------------------- */

/* PROTO_OK_CODE if topic is a valid publish topic (also used for reply-to),
 * else PROTO_E_BAD_TOPIC.  Rules: 1..PROTO_MAX_TOPIC bytes, valid UTF-8,
 * tokens separated by '.', no empty token, no byte <= 0x20 or 0x7f, no '*'
 * or '>' anywhere, at most PROTO_MAX_TOKENS tokens. */
enum proto_err proto_check_topic(const char *topic, size_t len);

/* Same rules for a subscription pattern, except a token may be exactly "*"
 * (one token) and the last token may be exactly ">" (one or more trailing
 * tokens).  Returns PROTO_OK_CODE or PROTO_E_BAD_PATTERN. */
enum proto_err proto_check_pattern(const char *pattern, size_t len);

/* Queue group or client name: 1..PROTO_MAX_NAME bytes, valid UTF-8, no
 * byte <= 0x20 or 0x7f.  Returns PROTO_OK_CODE or err (the caller chooses
 * PROTO_E_BAD_QUEUE or PROTO_E_BAD_NAME). */
enum proto_err proto_check_name(const char *name, size_t len,
				enum proto_err err);

/* A static English description of an error code ("unknown" otherwise). */
const char *proto_err_str(enum proto_err code);

/* Name of an op code ("HELLO", ...), or "?" . */
const char *proto_op_str(unsigned op);

/* Wire name of a policy ("drop-oldest", ...), or NULL for NONE/unknown. */
const char *proto_policy_str(unsigned policy);

/* Policy from its wire name (len bytes, not NUL-terminated), or
 * PROTO_POLICY_NONE when the name is not one of the three. */
enum proto_policy proto_policy_parse(const char *name, size_t len);

/* ---- encoding --------------------------------------------------------- *
 * Each encoder writes a complete frame (length prefix included) into
 * out[0..cap) and returns its size, or 0 when cap is too small or an
 * argument is over a protocol length limit (topic, pattern and reply-to
 * PROTO_MAX_TOPIC, names and queue PROTO_MAX_NAME, reason PROTO_MAX_REASON,
 * payload PROTO_ABS_MAX_PAYLOAD).  Topic syntax is not checked (the
 * receiver does that).  Nothing is allocated.  A proto_str with ptr == NULL
 * is encoded as nil where nil is allowed (reply_to, queue) and as an empty
 * string or payload elsewhere. */

size_t proto_enc_hello(uint8_t *out, size_t cap, uint32_t version,
		       struct proto_str client_name);
/* HELLO with the credentials map {"user": user, "pass": pass} (user at
 * most PROTO_MAX_NAME bytes, pass at most PROTO_MAX_PASS; 0 otherwise). */
size_t proto_enc_hello_auth(uint8_t *out, size_t cap, uint32_t version,
			    struct proto_str client_name, struct proto_str user,
			    struct proto_str pass);
size_t proto_enc_welcome(uint8_t *out, size_t cap, uint32_t version,
			 struct proto_str server_name, uint64_t client_id,
			 uint64_t max_payload, uint64_t ping_ms);
size_t proto_enc_sub(uint8_t *out, size_t cap, uint64_t req_id, uint32_t sid,
		     struct proto_str pattern, struct proto_str queue);
/* SUB with the options map as a 6th element (only the options that are
 * set are written; with none set, the map is empty). */
size_t proto_enc_sub_opts(uint8_t *out, size_t cap, uint64_t req_id,
			  uint32_t sid, struct proto_str pattern,
			  struct proto_str queue,
			  const struct proto_sub_opts *opts);
size_t proto_enc_unsub(uint8_t *out, size_t cap, uint64_t req_id, uint32_t sid);
size_t proto_enc_ping(uint8_t *out, size_t cap);
size_t proto_enc_pong(uint8_t *out, size_t cap);
size_t proto_enc_ok(uint8_t *out, size_t cap, uint64_t req_id);
size_t proto_enc_err(uint8_t *out, size_t cap, uint64_t req_id,
		     enum proto_err code, struct proto_str reason);
size_t proto_enc_notice(uint8_t *out, size_t cap, enum proto_notice kind,
			uint64_t count, struct proto_str reason);

/* PUB is written as a head followed by the payload bytes, so a large payload
 * is never copied into a temporary: the frame is head (returned size) then
 * exactly payload_len payload bytes. */
size_t proto_enc_pub_head(uint8_t *out, size_t cap, uint64_t req_id,
			  struct proto_str topic, struct proto_str reply_to,
			  uint32_t payload_len);
/* The same with PUB's flags element: when flags is not 0 the frame is
 * head, payload_len payload bytes, then the one byte `flags` (a positive
 * fixint, so flags must be under 0x80) that the caller appends. */
size_t proto_enc_pub_head_flags(uint8_t *out, size_t cap, uint64_t req_id,
				struct proto_str topic,
				struct proto_str reply_to, uint32_t payload_len,
				uint8_t flags);
/* The exact size proto_enc_pub_head writes for these arguments (lengths
 * in bytes; reply_to_nil: reply_to is nil), so a caller can reserve room
 * for the head without knowing msgpack.  0 when an argument is over its
 * protocol limit (the encoder then writes nothing). */
size_t proto_pub_head_size(uint64_t req_id, size_t topic_len, int reply_to_nil,
			   size_t reply_to_len, size_t payload_len);
/* Convenience: head and payload in one buffer (for small messages, tests). */
size_t proto_enc_pub(uint8_t *out, size_t cap, uint64_t req_id,
		     struct proto_str topic, struct proto_str reply_to,
		     struct proto_str payload);

/* MSG, split so one publish is encoded once for all its receivers:
 *   tail = proto_enc_msg_tail(topic, reply_to, payload_len) + payload bytes
 *          (the same bytes for every subscriber)
 *   head = proto_enc_msg_head(sid, tail_len)   (per subscriber, <= 16 bytes)
 * where tail_len counts the tail header AND the payload bytes.  The frame on
 * the wire is head then tail header then payload.  proto_enc_msg_tail writes
 * no length prefix (it returns the tail header's size); it returns 0 on
 * overflow or over-limit topic / reply_to / payload_len. */
#define PROTO_MSG_HEAD_MAX 16u
size_t proto_enc_msg_head(uint8_t *out, size_t cap, uint32_t sid,
			  size_t tail_len);
size_t proto_enc_msg_tail(uint8_t *out, size_t cap, struct proto_str topic,
			  struct proto_str reply_to, uint32_t payload_len);
/* Convenience: a whole MSG frame in one buffer (tests, small messages). */
size_t proto_enc_msg(uint8_t *out, size_t cap, uint32_t sid,
		     struct proto_str topic, struct proto_str reply_to,
		     struct proto_str payload);

/* ---- stream reader (feed/next, the shape of hiredis' reader) ---------- *
 * For callers that do not keep bytes in an evbuffer (fuzzer, tests, simple
 * clients).  The caller provides the buffer; nothing is allocated. */
struct proto_reader {
	uint8_t *buf;	 /* borrowed, cap bytes, owned by the caller */
	size_t cap;	 /* must be >= PROTO_HDR_LEN + max_body */
	size_t len;	 /* bytes held */
	size_t consumed; /* bytes at the front already returned by next;
				dropped by the next feed */
	uint32_t max_body;
	int broken; /* a bad length prefix was seen: stream unusable */
};

/* Set up r over buf[0..cap).  Returns 0, or -1 if cap < 4 + max_body. */
int proto_reader_init(struct proto_reader *r, uint8_t *buf, size_t cap,
		      uint32_t max_body);
/* Copy up to len bytes in; returns how many were taken (less than len only
 * when the buffer is full, i.e. the caller must call next first; 0 once the
 * reader is broken). */
size_t proto_reader_feed(struct proto_reader *r, const uint8_t *data,
			 size_t len);
/* Decode the next complete frame.  Returns 1 with *out filled (views valid
 * until the next feed/next call), 0 if more bytes are needed, or -1 with
 * *err set: PROTO_E_FRAME_TOO_LARGE (stream broken, stop reading; every
 * later call returns the same) or the decode error of one bad frame
 * (already skipped; the stream goes on; *out then holds what proto_decode
 * could read, e.g. op and req_id for the ERR).  err may be NULL. */
int proto_reader_next(struct proto_reader *r, struct proto_msg *out,
		      enum proto_err *err);

/* Helper to build a proto_str from a C string (NULL gives nil). */
struct proto_str proto_cstr(const char *s);

#endif
