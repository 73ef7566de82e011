/* tool_stats.c - see tool_stats.h.  A recursive-descent JSON reader:
 * each function takes the cursor past what it read, or returns -1 with
 * the position and reason recorded in the cursor. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_stats.h"

struct cursor {
	const char *p, *start, *end;
	int depth;
	const char *err; /* first error, NULL: none */
	size_t err_at;
};

typedef int (*member_fn)(struct cursor *c, const char *key, void *ctx);

static int skip_value(struct cursor *c);

static int fail(struct cursor *c, const char *why)
{
	if (!c->err) {
		c->err = why;
		c->err_at = (size_t)(c->p - c->start);
	}
	return -1;
}

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) && *c->p)
		c->p++;
}

/* Take the character ch (after white space), or fail. */
static int expect(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return fail(c, "unexpected character");
	c->p++;
	return 0;
}

static int hex4(struct cursor *c, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++, c->p++) {
		int ch = c->p < c->end ? (unsigned char)*c->p : -1;
		int v = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;

		if (v < 0)
			return fail(c, "bad \\u escape");
		*out = *out << 4 | (unsigned)v;
	}
	return 0;
}

/* Append byte b to out[0..cap) at *n; past cap the string is marked
 * too long (*n = cap). */
static void put(char *out, size_t cap, size_t *n, unsigned b)
{
	if (*n + 1 < cap)
		out[(*n)++] = (char)b;
	else
		*n = cap;
}

/* The code point of \uXXXX (a surrogate pair taken whole) as UTF-8. */
static int unicode_esc(struct cursor *c, char *out, size_t cap, size_t *n)
{
	unsigned u, lo;

	if (hex4(c, &u) != 0)
		return -1;
	if (u >= 0xd800 && u < 0xdc00 && c->end - c->p >= 6 &&
	    c->p[0] == '\\' && c->p[1] == 'u') {
		c->p += 2;
		if (hex4(c, &lo) != 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(c, "bad surrogate pair");
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (u < 0x80) {
		put(out, cap, n, u);
	} else if (u < 0x800) {
		put(out, cap, n, 0xc0 | u >> 6);
		put(out, cap, n, 0x80 | (u & 63));
	} else if (u < 0x10000) {
		put(out, cap, n, 0xe0 | u >> 12);
		put(out, cap, n, 0x80 | (u >> 6 & 63));
		put(out, cap, n, 0x80 | (u & 63));
	} else {
		put(out, cap, n, 0xf0 | u >> 18);
		put(out, cap, n, 0x80 | (u >> 12 & 63));
		put(out, cap, n, 0x80 | (u >> 6 & 63));
		put(out, cap, n, 0x80 | (u & 63));
	}
	return 0;
}

/* One escape after the backslash. */
static int escape(struct cursor *c, char *out, size_t cap, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (c->p >= c->end)
		return fail(c, "unterminated string");
	if (*c->p == 'u') {
		c->p++;
		return unicode_esc(c, out, cap, n);
	}
	if (!*c->p || !(hit = strchr(from, *c->p)))
		return fail(c, "bad escape");
	c->p++;
	put(out, cap, n, (unsigned char)to[hit - from]);
	return 0;
}

/* A string into out[0..cap), NUL-terminated; out[0] is 0 when it did
 * not fit (the caller ignores such keys). */
static int read_string(struct cursor *c, char *out, size_t cap)
{
	size_t n = 0;

	if (expect(c, '"') != 0)
		return -1;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p++;

		if (ch < 0x20)
			return fail(c, "control character in a string");
		if (ch != '\\')
			put(out, cap, &n, ch);
		else if (escape(c, out, cap, &n) != 0)
			return -1;
	}
	if (c->p >= c->end)
		return fail(c, "unterminated string");
	c->p++;
	out[n < cap ? n : 0] = 0;
	return 0;
}

static int digits(struct cursor *c)
{
	const char *from = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > from ? 0 : fail(c, "bad number");
}

/* A JSON number; *v its value, fractions cut. */
static int read_number(struct cursor *c, long long *v)
{
	const char *from = c->p;
	char buf[64];

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c) != 0)
		return -1;
	if (c->p < c->end && *c->p == '.' && (c->p++, digits(c) != 0))
		return -1;
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c) != 0)
			return -1;
	}
	snprintf(buf, sizeof buf, "%.*s", (int)(c->p - from), from);
	*v = strpbrk(buf, ".eE") ? (long long)strtod(buf, NULL)
				 : strtoll(buf, NULL, 10);
	return 0;
}

/* true, false or null; *v 1, 0, 0. */
static int read_word(struct cursor *c, long long *v)
{
	static const char *const words[] = { "true", "false", "null" };

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(c->end - c->p) >= n &&
		    memcmp(c->p, words[i], n) == 0) {
			c->p += n;
			*v = i == 0;
			return i < 2 ? 1 : 0;
		}
	}
	return fail(c, "unexpected character");
}

/* A scalar: 1 with *v for a number or boolean, 0 for a string or null
 * (skipped), -1 on error or when the value is an array or object. */
static int read_scalar(struct cursor *c, long long *v)
{
	char tmp[8];

	skip_ws(c);
	if (c->p >= c->end)
		return fail(c, "unexpected end");
	if (*c->p == '"')
		return read_string(c, tmp, sizeof tmp);
	if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
		return read_number(c, v) == 0 ? 1 : -1;
	if (*c->p == '{' || *c->p == '[')
		return fail(c, "unexpected container");
	return read_word(c, v);
}

/* An object: fn(c, key, ctx) reads each member's value. */
static int each_member(struct cursor *c, member_fn fn, void *ctx)
{
	char key[TOOL_STATS_KEY_LEN];

	if (expect(c, '{') != 0)
		return -1;
	if (++c->depth > TOOL_STATS_MAX_DEPTH)
		return fail(c, "nested too deeply");
	skip_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		c->depth--;
		return 0;
	}
	do {
		if (read_string(c, key, sizeof key) != 0 ||
		    expect(c, ':') != 0 || fn(c, key, ctx) != 0)
			return -1;
		skip_ws(c);
	} while (c->p < c->end && *c->p == ',' && c->p++);
	c->depth--;
	return expect(c, '}');
}

static int skip_member(struct cursor *c, const char *key, void *ctx)
{
	(void)key;
	(void)ctx;
	return skip_value(c);
}

static int skip_array(struct cursor *c)
{
	c->p++;
	if (++c->depth > TOOL_STATS_MAX_DEPTH)
		return fail(c, "nested too deeply");
	skip_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		c->depth--;
		return 0;
	}
	do {
		if (skip_value(c) != 0)
			return -1;
		skip_ws(c);
	} while (c->p < c->end && *c->p == ',' && c->p++);
	c->depth--;
	return expect(c, ']');
}

static int skip_value(struct cursor *c)
{
	long long v;

	skip_ws(c);
	if (c->p < c->end && *c->p == '{')
		return each_member(c, skip_member, NULL);
	if (c->p < c->end && *c->p == '[')
		return skip_array(c);
	return read_scalar(c, &v) < 0 ? -1 : 0;
}

/* A member of the broker or a pool object: numbers and booleans kept. */
static int flat_member(struct cursor *c, const char *key, void *ctx)
{
	struct tool_stats_obj *o = ctx;
	long long v = 0;
	int rc;

	skip_ws(c);
	if (c->p < c->end && (*c->p == '{' || *c->p == '['))
		return skip_value(c);
	rc = read_scalar(c, &v);
	if (rc < 0)
		return -1;
	if (rc == 1 && key[0] && o->nkeys < TOOL_STATS_MAX_KEYS) {
		snprintf(o->kv[o->nkeys].key, TOOL_STATS_KEY_LEN, "%s", key);
		o->kv[o->nkeys++].value = v;
	}
	return 0;
}

static int pool_member(struct cursor *c, const char *key, void *ctx)
{
	struct tool_stats *s = ctx;
	struct tool_stats_obj *o;

	s->pools_seen++;
	if (s->npools == TOOL_STATS_MAX_POOLS || !key[0])
		return skip_value(c);
	o = &s->pools[s->npools++];
	memset(o, 0, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", key);
	skip_ws(c);
	if (c->p >= c->end || *c->p != '{')
		return fail(c, "a pool is not an object");
	return each_member(c, flat_member, o);
}

static int root_member(struct cursor *c, const char *key, void *ctx)
{
	struct tool_stats *s = ctx;

	skip_ws(c);
	if (strcmp(key, "broker") == 0) {
		if (c->p >= c->end || *c->p != '{')
			return fail(c, "\"broker\" is not an object");
		s->have_broker = 1;
		return each_member(c, flat_member, &s->broker);
	}
	if (strcmp(key, "pools") == 0) {
		if (c->p >= c->end || *c->p != '{')
			return fail(c, "\"pools\" is not an object");
		return each_member(c, pool_member, s);
	}
	return skip_value(c);
}

int tool_stats_parse(const char *text, size_t len, struct tool_stats *s,
		     char *why, size_t cap)
{
	struct cursor c = { text, text, text + len, 0, NULL, 0 };

	memset(s, 0, sizeof *s);
	skip_ws(&c);
	if (c.p < c.end && *c.p != '{')
		fail(&c, "not a JSON object");
	if (!c.err && each_member(&c, root_member, s) == 0) {
		skip_ws(&c);
		if (c.p != c.end)
			fail(&c, "trailing characters");
	}
	if (!c.err && !s->have_broker)
		fail(&c, "no \"broker\" object");
	if (!c.err)
		return 0;
	snprintf(why, cap, "%s at byte %zu", c.err, c.err_at);
	return -1;
}

long long tool_stats_get(const struct tool_stats_obj *o, const char *key,
			 int *found)
{
	for (int i = 0; i < o->nkeys; i++) {
		if (strcmp(o->kv[i].key, key) == 0) {
			if (found)
				*found = 1;
			return o->kv[i].value;
		}
	}
	if (found)
		*found = 0;
	return 0;
}
