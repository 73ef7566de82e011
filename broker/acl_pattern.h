/*
 * acl_pattern.h - the algebra of subscription patterns that the rule
 * engine (acl.c) needs: does a pattern match a topic, do two patterns
 * share a topic (and which pattern is that intersection), does one
 * pattern hold every topic of another.
 *
 * A pattern is split once into its tokens (struct acl_pat); `*` matches
 * one token, a last `>` one or more.  Tokens are any non-empty strings, so
 * the answers are exact: two literal tokens only meet when equal, `*`
 * meets anything.  Pure: no allocation, no state, inputs valid
 * (proto_check_pattern / proto_check_topic already passed).
 *
 * Ownership: a struct acl_pat points into the string it was split from
 * (or, for an intersection, into its two operands) and is valid while
 * they are; the caller owns the struct itself (it is ~520 bytes: keep it
 * on the stack for one question, never store one per rule).
 */
#ifndef BROKERD_ACL_PATTERN_H
#define BROKERD_ACL_PATTERN_H

#include <stddef.h>

#include "proto.h"

struct acl_tok {
	const char *p; /* borrowed, not NUL-terminated */
	size_t len;
};

struct acl_pat {
	size_t n; /* tokens, a trailing ">" included */
	struct acl_tok tok[PROTO_MAX_TOKENS];
};

/* Is t exactly the one-byte token c ('*' or '>')? */
static inline int acl_tok_is(const struct acl_tok *t, char c)
{
	return t->len == 1 && t->p[0] == c;
}

/* Is t a wildcard token? */
static inline int acl_tok_wild(const struct acl_tok *t)
{
	return acl_tok_is(t, '*') || acl_tok_is(t, '>');
}

/* Split s[0..len) (a valid pattern or topic) into out; out points into s. */
void acl_pat_split(const char *s, size_t len, struct acl_pat *out);

/* Does the pattern pat[0..len) (valid) match topic (split from a valid
 * topic)?  1 yes, 0 no.  Walks pat without splitting it. */
int acl_pat_match(const char *pat, size_t len, const struct acl_pat *topic);

/* Is every topic of inner also a topic of outer?  1 yes, 0 no. */
int acl_pat_contains(const struct acl_pat *outer, const struct acl_pat *inner);

/* Do a and b share a topic?  1 yes, and *out is the pattern of exactly the
 * topics they share (pointing into a and b's strings); 0 no (out
 * unspecified). */
int acl_pat_intersect(const struct acl_pat *a, const struct acl_pat *b,
		      struct acl_pat *out);

#endif
