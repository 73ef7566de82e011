/*
 * acl_pattern.c - pattern matching, containment and intersection for the
 * rule engine (see acl_pattern.h).
 */
#include "acl_pattern.h"

#include <string.h>

void acl_pat_split(const char *s, size_t len, struct acl_pat *out)
{
	const char *end = s + len;

	out->n = 0;
	while (out->n < PROTO_MAX_TOKENS) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		const char *stop = dot ? dot : end;

		out->tok[out->n].p = s;
		out->tok[out->n].len = (size_t)(stop - s);
		out->n++;
		if (!dot)
			break;
		s = dot + 1;
	}
}

static int tok_eq(const struct acl_tok *a, const struct acl_tok *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

int acl_pat_match(const char *pat, size_t len, const struct acl_pat *topic)
{
	const char *end = pat + len;
	size_t i = 0;

	for (;;) {
		const char *dot = memchr(pat, '.', (size_t)(end - pat));
		struct acl_tok t = { pat, (size_t)((dot ? dot : end) - pat) };

		if (acl_tok_is(&t, '>'))
			return i < topic->n;
		if (i >= topic->n)
			return 0;
		if (!acl_tok_is(&t, '*') && !tok_eq(&t, &topic->tok[i]))
			return 0;
		i++;
		if (!dot)
			return i == topic->n;
		pat = dot + 1;
	}
}

/* Tokens before a trailing ">" (all of them when there is none). */
static size_t fixed(const struct acl_pat *p)
{
	return p->n > 0 && acl_tok_is(&p->tok[p->n - 1], '>') ? p->n - 1 : p->n;
}

static int has_tail(const struct acl_pat *p)
{
	return fixed(p) != p->n;
}

int acl_pat_contains(const struct acl_pat *outer, const struct acl_pat *inner)
{
	size_t on = fixed(outer), in = fixed(inner);

	/* lengths: outer's topics have on tokens (no tail) or more than on */
	if (!has_tail(outer)) {
		if (has_tail(inner) || in != on)
			return 0;
	} else if (in < on + (has_tail(inner) ? 0u : 1u)) {
		return 0;
	}
	for (size_t i = 0; i < on; i++) {
		const struct acl_tok *o = &outer->tok[i];

		if (!acl_tok_is(o, '*') && !tok_eq(o, &inner->tok[i]))
			return 0; /* inner's "*" or another literal escapes */
	}
	return 1;
}

/* The lengths a and b's topics may have overlap. */
static int lengths_meet(const struct acl_pat *a, const struct acl_pat *b)
{
	size_t an = fixed(a), bn = fixed(b);
	int at = has_tail(a), bt = has_tail(b);

	if (!at && !bt)
		return an == bn;
	if (at && !bt)
		return bn > an;
	if (bt && !at)
		return an > bn;
	return 1;
}

int acl_pat_intersect(const struct acl_pat *a, const struct acl_pat *b,
		      struct acl_pat *out)
{
	size_t an = fixed(a), bn = fixed(b), n = an > bn ? an : bn;

	if (!lengths_meet(a, b))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct acl_tok *x = i < an ? &a->tok[i] : NULL;
		const struct acl_tok *y = i < bn ? &b->tok[i] : NULL;

		if (!x || (y && acl_tok_is(x, '*'))) {
			out->tok[i] = *y; /* only b, or b at least as narrow */
		} else if (!y || acl_tok_is(y, '*') || tok_eq(x, y)) {
			out->tok[i] = *x;
		} else {
			return 0; /* two different literals */
		}
	}
	out->n = n;
	if (has_tail(a) && has_tail(b))
		out->tok[out->n++] = a->tok[a->n - 1];
	return 1;
}
