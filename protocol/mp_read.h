/*
 * mp_read.h - a small bounds-checked msgpack pull reader over a (ptr, len)
 * cursor.  Private to protocol/ (the broker and client use proto.h).
 *
 * Why not msgpack-c's unpacker: msgpack_unpack()/msgpack_unpacker allocate
 * count x sizeof(msgpack_object) for an array or map as soon as they read its
 * header, before a single element is present.  The 5-byte body
 * "dd 00 ff ff ff" (an array declaring 16,777,215 elements) makes it reserve
 * about 400 MB, and "dd ff ff ff ff" asks for ~100 GB: a remote client could
 * exhaust the broker's memory with a handful of tiny frames.  This reader
 * allocates nothing and checks every declared length or element count
 * against the bytes actually left BEFORE doing anything else: a str or bin
 * of N bytes needs N bytes left, an array of N elements needs at least N
 * bytes left (every element takes one byte or more), a map of N pairs 2N.
 * Work is therefore linear in the input size, and nesting is bounded by the
 * caller's depth limit, so recursion is bounded too.
 *
 * Every read function returns an mp_status and advances the cursor only on
 * success (on failure the cursor is unchanged).  Strings and bins are
 * zero-copy views into the cursor's buffer, which the caller owns.
 */
#ifndef BROKERD_MP_READ_H
#define BROKERD_MP_READ_H

#include <stddef.h>
#include <stdint.h>

/* A read position: `left` bytes remain at `p` (borrowed from the caller). */
struct mp_cur {
	const uint8_t *p;
	size_t left;
};

enum mp_status {
	MP_OK = 0,
	MP_E_TRUNC = 1, /* malformed: truncated, length past the end, 0xc1 */
	MP_E_TYPE = 2,	/* well-formed, but not the type asked for */
	MP_E_DEPTH = 3, /* nested deeper than the limit (mp_skip only) */
};

/* What the next value is. */
enum mp_type {
	MP_NIL,
	MP_BOOL,
	MP_UINT,
	MP_NINT,
	MP_FLOAT,
	MP_STR,
	MP_BIN,
	MP_EXT,
	MP_ARRAY,
	MP_MAP,
};

/* The header of the next value, as read by mp_peek. */
struct mp_head {
	enum mp_type type;
	uint64_t
		uval; /* MP_UINT: the value (also from non-negative int8..64) */
	uint32_t len; /* STR/BIN/EXT: data bytes; ARRAY/MAP: element count
			    * (pairs for a map); 0 for every other type */
	size_t hdr;   /* bytes before the data or the first element (the
			    * whole value for nil, bool, ints and floats) */
};

static inline struct mp_cur mp_cur_init(const void *buf, size_t len)
{
	struct mp_cur c = { (const uint8_t *)buf, len };
	return c;
}

/* Read the next value's header into *h without moving the cursor.  Checks
 * that the header is complete and that its declared length / count fits in
 * what is left (MP_E_TRUNC otherwise). */
enum mp_status mp_peek(const struct mp_cur *c, struct mp_head *h);

/* Array header: *n = element count; the cursor moves to the first element. */
enum mp_status mp_read_array(struct mp_cur *c, uint32_t *n);

/* Array header read without checking the count against the bytes left:
 * only for reading the first elements of a body that may be truncated
 * (so an ERR can still echo its req_id); every element is then read with
 * its own bounds check.  MP_E_TYPE when the next value is not an array. */
enum mp_status mp_read_array_head(struct mp_cur *c, uint32_t *n);

/* Unsigned integer (also non-negative signed encodings). */
enum mp_status mp_read_uint(struct mp_cur *c, uint64_t *v);

/* nil. */
enum mp_status mp_read_nil(struct mp_cur *c);

/* str (fixstr/str8/16/32): ptr and len view the bytes inside the buffer. */
enum mp_status mp_read_str(struct mp_cur *c, const char **ptr, uint32_t *len);

/* bin (bin8/16/32), as a view like mp_read_str. */
enum mp_status mp_read_bin(struct mp_cur *c, const char **ptr, uint32_t *len);

/* Skip one value of any type.  max_depth is how many levels of containers
 * are allowed from here (an array holding an array needs 2); 0 allows only
 * scalars.  MP_E_DEPTH when exceeded, MP_E_TRUNC when malformed. */
enum mp_status mp_skip(struct mp_cur *c, unsigned max_depth);

#endif
