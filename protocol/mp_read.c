/* mp_read.c - see mp_read.h.  Nothing here allocates. */
#include "mp_read.h"

static uint64_t be_load(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* A signed big-endian integer of n bytes (1, 2, 4, 8) into h. */
static void head_int(struct mp_head *h, const uint8_t *p, unsigned n)
{
	uint64_t raw = be_load(p, n);
	uint64_t sign = (uint64_t)1 << (n * 8 - 1);

	if (raw & sign) {
		h->type = MP_NINT;
		h->uval = 0;
	} else {
		h->type = MP_UINT;
		h->uval = raw;
	}
}

/* str8/16/32, bin8/16/32 and ext8/16/32: a length field of lenbytes after
 * the format byte, then `extra` bytes (the ext type), then the data. */
static enum mp_status head_sized(struct mp_head *h, enum mp_type t,
				 unsigned lenbytes, unsigned extra,
				 const struct mp_cur *c)
{
	uint64_t len;

	/* 1 format byte + lenbytes length + extra (ext type byte) */
	h->hdr = 1u + lenbytes + extra;
	if (c->left < h->hdr)
		return MP_E_TRUNC;
	len = be_load(c->p + 1, lenbytes);
	if (len > c->left - h->hdr)
		return MP_E_TRUNC;
	h->type = t;
	h->len = (uint32_t)len;
	return MP_OK;
}

static enum mp_status head_scalar(struct mp_head *h, enum mp_type t,
				  size_t total, const struct mp_cur *c)
{
	if (c->left < total)
		return MP_E_TRUNC;
	h->type = t;
	h->hdr = total;
	h->len = 0;
	return MP_OK;
}

static enum mp_status head_container(struct mp_head *h, enum mp_type t,
				     unsigned lenbytes, const struct mp_cur *c)
{
	uint64_t n, need;

	h->hdr = 1u + lenbytes;
	if (c->left < h->hdr)
		return MP_E_TRUNC;
	n = be_load(c->p + 1, lenbytes);
	need = (t == MP_MAP) ? 2 * n : n; /* >= 1 byte per element */
	if (need > c->left - h->hdr)
		return MP_E_TRUNC;
	h->type = t;
	h->len = (uint32_t)n;
	return MP_OK;
}

static enum mp_status head_fixext(struct mp_head *h, uint32_t n,
				  const struct mp_cur *c)
{
	if (c->left < 2u + n)
		return MP_E_TRUNC;
	h->type = MP_EXT;
	h->hdr = 2;
	h->len = n;
	return MP_OK;
}

static enum mp_status head_int_sized(struct mp_head *h, unsigned n, int sgn,
				     const struct mp_cur *c)
{
	if (c->left < 1u + n)
		return MP_E_TRUNC;
	h->hdr = 1u + n;
	h->len = 0;
	if (sgn) {
		head_int(h, c->p + 1, n);
	} else {
		h->type = MP_UINT;
		h->uval = be_load(c->p + 1, n);
	}
	return MP_OK;
}

/* Formats 0xc0..0xdf. */
static enum mp_status decode_c0(const struct mp_cur *c, struct mp_head *h,
				uint8_t b)
{
	switch (b) {
	case 0xc0:
		return head_scalar(h, MP_NIL, 1, c);
	case 0xc2:
	case 0xc3:
		return head_scalar(h, MP_BOOL, 1, c);
	case 0xc4:
		return head_sized(h, MP_BIN, 1, 0, c);
	case 0xc5:
		return head_sized(h, MP_BIN, 2, 0, c);
	case 0xc6:
		return head_sized(h, MP_BIN, 4, 0, c);
	case 0xc7:
		return head_sized(h, MP_EXT, 1, 1, c);
	case 0xc8:
		return head_sized(h, MP_EXT, 2, 1, c);
	case 0xc9:
		return head_sized(h, MP_EXT, 4, 1, c);
	case 0xca:
		return head_scalar(h, MP_FLOAT, 5, c);
	case 0xcb:
		return head_scalar(h, MP_FLOAT, 9, c);
	case 0xcc:
		return head_int_sized(h, 1, 0, c);
	case 0xcd:
		return head_int_sized(h, 2, 0, c);
	case 0xce:
		return head_int_sized(h, 4, 0, c);
	case 0xcf:
		return head_int_sized(h, 8, 0, c);
	case 0xd0:
		return head_int_sized(h, 1, 1, c);
	case 0xd1:
		return head_int_sized(h, 2, 1, c);
	case 0xd2:
		return head_int_sized(h, 4, 1, c);
	case 0xd3:
		return head_int_sized(h, 8, 1, c);
	case 0xd4:
		return head_fixext(h, 1, c);
	case 0xd5:
		return head_fixext(h, 2, c);
	case 0xd6:
		return head_fixext(h, 4, c);
	case 0xd7:
		return head_fixext(h, 8, c);
	case 0xd8:
		return head_fixext(h, 16, c);
	case 0xd9:
		return head_sized(h, MP_STR, 1, 0, c);
	case 0xda:
		return head_sized(h, MP_STR, 2, 0, c);
	case 0xdb:
		return head_sized(h, MP_STR, 4, 0, c);
	case 0xdc:
		return head_container(h, MP_ARRAY, 2, c);
	case 0xdd:
		return head_container(h, MP_ARRAY, 4, c);
	case 0xde:
		return head_container(h, MP_MAP, 2, c);
	case 0xdf:
		return head_container(h, MP_MAP, 4, c);
	default:
		return MP_E_TRUNC; /* 0xc1: never used */
	}
}

/* Fix formats: the count or length lives in the format byte itself. */
static enum mp_status decode_fix(const struct mp_cur *c, struct mp_head *h,
				 uint8_t b)
{
	uint32_t n;

	h->hdr = 1;
	h->uval = 0;
	if (b <= 0x7f) {
		h->type = MP_UINT;
		h->uval = b;
		h->len = 0;
		return MP_OK;
	}
	if (b >= 0xe0) {
		h->type = MP_NINT;
		h->len = 0;
		return MP_OK;
	}
	if (b <= 0x8f) {
		h->type = MP_MAP;
		n = b & 0x0fu;
		if (2u * n > c->left - 1)
			return MP_E_TRUNC;
	} else if (b <= 0x9f) {
		h->type = MP_ARRAY;
		n = b & 0x0fu;
	} else {
		h->type = MP_STR;
		n = b & 0x1fu;
	}
	if (n > c->left - 1)
		return MP_E_TRUNC;
	h->len = n;
	return MP_OK;
}

enum mp_status mp_peek(const struct mp_cur *c, struct mp_head *h)
{
	uint8_t b;

	if (c->left == 0)
		return MP_E_TRUNC;
	b = c->p[0];
	h->uval = 0;
	if (b >= 0xc0 && b <= 0xdf)
		return decode_c0(c, h, b);
	return decode_fix(c, h, b);
}

static void advance(struct mp_cur *c, size_t n)
{
	c->p += n;
	c->left -= n;
}

/* Peek and require type t. */
static enum mp_status expect(const struct mp_cur *c, struct mp_head *h,
			     enum mp_type t)
{
	enum mp_status st = mp_peek(c, h);

	if (st != MP_OK)
		return st;
	return h->type == t ? MP_OK : MP_E_TYPE;
}

enum mp_status mp_read_array(struct mp_cur *c, uint32_t *n)
{
	struct mp_head h;
	enum mp_status st = expect(c, &h, MP_ARRAY);

	if (st != MP_OK)
		return st;
	*n = h.len;
	advance(c, h.hdr);
	return MP_OK;
}

enum mp_status mp_read_array_head(struct mp_cur *c, uint32_t *n)
{
	unsigned lenbytes = 0;
	uint8_t b;

	if (c->left < 1)
		return MP_E_TRUNC;
	b = c->p[0];
	if (b == 0xdc || b == 0xdd)
		lenbytes = b == 0xdc ? 2 : 4;
	else if ((b & 0xf0) != 0x90)
		return MP_E_TYPE;
	if (c->left < 1u + lenbytes)
		return MP_E_TRUNC;
	*n = lenbytes ? (uint32_t)be_load(c->p + 1, lenbytes) : (b & 0x0fu);
	advance(c, 1u + lenbytes);
	return MP_OK;
}

enum mp_status mp_read_uint(struct mp_cur *c, uint64_t *v)
{
	struct mp_head h;
	enum mp_status st;

	if (c->left > 0 && c->p[0] <= 0x7f) { /* positive fixint */
		*v = c->p[0];
		advance(c, 1);
		return MP_OK;
	}
	st = expect(c, &h, MP_UINT);
	if (st != MP_OK)
		return st;
	*v = h.uval;
	advance(c, h.hdr);
	return MP_OK;
}

enum mp_status mp_read_nil(struct mp_cur *c)
{
	struct mp_head h;
	enum mp_status st;

	if (c->left > 0 && c->p[0] == 0xc0) {
		advance(c, 1);
		return MP_OK;
	}
	st = expect(c, &h, MP_NIL);
	if (st == MP_OK)
		advance(c, h.hdr);
	return st;
}

static enum mp_status read_raw(struct mp_cur *c, enum mp_type t,
			       const char **ptr, uint32_t *len)
{
	struct mp_head h;
	enum mp_status st = expect(c, &h, t);

	if (st != MP_OK)
		return st;
	*ptr = (const char *)(c->p + h.hdr);
	*len = h.len;
	advance(c, h.hdr + h.len);
	return MP_OK;
}

enum mp_status mp_read_str(struct mp_cur *c, const char **ptr, uint32_t *len)
{
	if (c->left > 0 && (c->p[0] & 0xe0) == 0xa0) { /* fixstr */
		uint32_t n = c->p[0] & 0x1fu;

		if (n > c->left - 1)
			return MP_E_TRUNC;
		*ptr = (const char *)(c->p + 1);
		*len = n;
		advance(c, 1u + n);
		return MP_OK;
	}
	return read_raw(c, MP_STR, ptr, len);
}

enum mp_status mp_read_bin(struct mp_cur *c, const char **ptr, uint32_t *len)
{
	if (c->left > 0 && c->p[0] == 0xc4) { /* bin8 */
		uint32_t n;

		if (c->left < 2 || (n = c->p[1]) > c->left - 2)
			return MP_E_TRUNC;
		*ptr = (const char *)(c->p + 2);
		*len = n;
		advance(c, 2u + n);
		return MP_OK;
	}
	return read_raw(c, MP_BIN, ptr, len);
}

enum mp_status mp_skip(struct mp_cur *c, unsigned max_depth)
{
	struct mp_head h;
	struct mp_cur save = *c;
	enum mp_status st = mp_peek(c, &h);
	uint64_t n;

	if (st != MP_OK)
		return st;
	if (h.type != MP_ARRAY && h.type != MP_MAP) {
		/* scalars: hdr covers fixed-size values, len the data */
		advance(c, h.hdr + h.len);
		return MP_OK;
	}
	if (max_depth == 0)
		return MP_E_DEPTH;
	advance(c, h.hdr);
	n = (h.type == MP_MAP) ? 2 * (uint64_t)h.len : h.len;
	for (uint64_t i = 0; i < n; i++) {
		st = mp_skip(c, max_depth - 1);
		if (st != MP_OK) {
			*c = save;
			return st;
		}
	}
	return MP_OK;
}
