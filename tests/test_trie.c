/*
 * test_trie.c - unit tests for the subscription tree (broker/trie.h):
 * a table of single pattern/topic cases, multi-subscription and queue-group
 * cases, add/remove bookkeeping, pruning, and a randomised cross-check
 * against a brute-force matcher written here.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tokmap.h"
#include "trie.h"

/* ---- helpers --------------------------------------------------------- */

static struct trie *new_trie(void)
{
	struct trie *t = trie_new();

	ck_assert_ptr_nonnull(t);
	return t;
}

static int add(struct trie *t, const char *pat, struct trie_sub *s)
{
	return trie_add(t, pat, strlen(pat), s);
}

static int del(struct trie *t, const char *pat, struct trie_sub *s)
{
	return trie_remove(t, pat, strlen(pat), s);
}

static void match(const struct trie *t, const char *topic,
		  struct trie_result *r)
{
	ck_assert_int_eq(trie_match(t, topic, strlen(topic), r), 0);
}

static void sub_init(struct trie_sub *s, void *owner, uint32_t sid,
		     const char *queue)
{
	s->owner = owner;
	s->sid = sid;
	s->queue = queue;
	s->slot = 0;
}

/* Number of times s occurs in arr[0..n). */
static size_t count_in(struct trie_sub *const *arr, size_t n,
		       const struct trie_sub *s)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += arr[i] == s;
	return c;
}

/* Size of queue group g in r. */
static size_t group_size(const struct trie_result *r, size_t g)
{
	size_t end = g + 1 < r->ngroups ? r->group_start[g + 1] : r->nqueued;

	return end - r->group_start[g];
}

/* ---- the table ------------------------------------------------------- */

static const struct match_case {
	const char *pattern;
	const char *topic;
	int match;
} cases[] = {
	/* exact, and tokens that are prefixes of each other */
	{ "a.b", "a.b", 1 },
	{ "a.b", "a", 0 },
	{ "a.b", "a.b.c", 0 },
	{ "a.b", "a.bb", 0 },
	{ "a.bb", "a.b", 0 },
	{ "ab", "a", 0 },
	{ "a", "ab", 0 },
	{ "a.b", "ab", 0 },
	{ "ab.c", "a.bc", 0 },
	{ "a.b.>", "a.bb.c", 0 },
	/* single tokens */
	{ "a", "a", 1 },
	{ "a", "b", 0 },
	{ "x", "x.y", 0 },
	{ "x.y", "x", 0 },
	/* "*" at start, middle, end; never two tokens, never zero */
	{ "*", "a", 1 },
	{ "*", "a.b", 0 },
	{ "*.b", "a.b", 1 },
	{ "*.b", "a.c", 0 },
	{ "*.b", "b", 0 },
	{ "a.*", "a.b", 1 },
	{ "a.*", "a", 0 },
	{ "a.*", "a.b.c", 0 },
	{ "a.*.c", "a.b.c", 1 },
	{ "a.*.c", "a.b.b.c", 0 },
	{ "a.*.c", "a.c", 0 },
	{ "a.*.c", "a.b.d", 0 },
	{ "*.*", "a.b", 1 },
	{ "*.*", "a", 0 },
	{ "*.*", "a.b.c", 0 },
	{ "*.b.*", "a.b.c", 1 },
	/* ">" alone, after a literal, after "*" */
	{ ">", "a", 1 },
	{ ">", "a.b.c", 1 },
	{ "a.>", "a", 0 },
	{ "a.>", "a.b", 1 },
	{ "a.>", "a.b.c", 1 },
	{ "a.>", "b.c", 0 },
	{ "a.>", "ab.c", 0 },
	{ "*.>", "a", 0 },
	{ "*.>", "a.b", 1 },
	{ "*.>", "a.b.c.d", 1 },
	{ "*.b.>", "x.b.c", 1 },
	{ "*.b.>", "y.b.c.d", 1 },
	{ "*.b.>", "x.b", 0 },
	{ "*.b.>", "b.c", 0 },
	{ "*.*.>", "a.b", 0 },
	{ "*.*.>", "a.b.c", 1 },
	/* UTF-8 tokens (compared as bytes) */
	{ "température.cuisine", "température.cuisine", 1 },
	{ "température.*", "température.salon", 1 },
	{ "températur.*", "température.salon", 0 },
	{ "日本.*.駅", "日本.東京.駅", 1 },
	{ "日本.>", "日本", 0 },
	{ "*.東京", "日本.東京", 1 },
	{ "*.東京", "日本.東", 0 },
};

START_TEST(test_table)
{
	const struct match_case *c = &cases[_i];
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s;

	/* the table itself must hold valid input, as the broker's would */
	ck_assert_int_eq(proto_check_pattern(c->pattern, strlen(c->pattern)),
			 PROTO_OK_CODE);
	ck_assert_int_eq(proto_check_topic(c->topic, strlen(c->topic)),
			 PROTO_OK_CODE);
	sub_init(&s, NULL, 1, NULL);
	trie_result_init(&r);
	ck_assert_int_eq(add(t, c->pattern, &s), 1);
	match(t, c->topic, &r);
	ck_assert_msg(r.nplain == (size_t)c->match,
		      "pattern '%s' topic '%s': %zu matches, expected %d",
		      c->pattern, c->topic, r.nplain, c->match);
	ck_assert_uint_eq(r.nqueued, 0);
	if (c->match)
		ck_assert_ptr_eq(r.plain[0], &s);
	ck_assert_int_eq(del(t, c->pattern, &s), 1);
	ck_assert_uint_eq(trie_nodes(t), 1);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* ---- PROTO_MAX_TOKENS deep ------------------------------------------- */

/* Join n tokens: token i is "*" if star_from <= i < star_to, else "t<i>";
 * then ".>" if gt.  buf holds PROTO_MAX_TOPIC + 1 bytes. */
static const char *deep(char *buf, unsigned n, unsigned star_from,
			unsigned star_to, int gt)
{
	const size_t cap = PROTO_MAX_TOPIC + 1;
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *dot = i ? "." : "";

		if (i >= star_from && i < star_to)
			at += (size_t)snprintf(buf + at, cap - at, "%s*", dot);
		else
			at += (size_t)snprintf(buf + at, cap - at, "%st%u", dot,
					       i);
	}
	if (gt)
		snprintf(buf + at, cap - at, "%s>", n ? "." : "");
	return buf;
}

static void check_deep(struct trie *t, const char *pat, const char *topic,
		       size_t expect)
{
	struct trie_result r;
	struct trie_sub s;

	sub_init(&s, NULL, 7, NULL);
	trie_result_init(&r);
	ck_assert_int_eq(proto_check_pattern(pat, strlen(pat)), PROTO_OK_CODE);
	ck_assert_int_eq(add(t, pat, &s), 1);
	match(t, topic, &r);
	ck_assert_msg(r.nplain == expect, "pattern %s: %zu", pat, r.nplain);
	ck_assert_int_eq(del(t, pat, &s), 1);
	trie_result_free(&r);
}

START_TEST(test_max_tokens)
{
	const unsigned n = PROTO_MAX_TOKENS;
	char topic[PROTO_MAX_TOPIC + 1], pat[PROTO_MAX_TOPIC + 1];
	struct trie *t = new_trie();

	deep(topic, n, 0, 0, 0);
	ck_assert_int_eq(proto_check_topic(topic, strlen(topic)),
			 PROTO_OK_CODE);
	check_deep(t, deep(pat, n, 0, 0, 0), topic, 1);
	check_deep(t, deep(pat, n, 0, n, 0), topic, 1);
	check_deep(t, deep(pat, n, 5, 9, 0), topic, 1);
	check_deep(t, deep(pat, n - 1, 0, n - 1, 0), topic, 0);
	check_deep(t, deep(pat, n - 1, 0, n - 1, 1), topic, 1);
	check_deep(t, deep(pat, 1, 0, 0, 1), topic, 1);
	check_deep(t, deep(pat, n - 1, 0, 0, 0), topic, 0);
	ck_assert_uint_eq(trie_nodes(t), 1);
	trie_free(t);
}
END_TEST

/* ---- several subscriptions ------------------------------------------- */

START_TEST(test_many_patterns_one_topic)
{
	static const char *const pats[] = {
		"a.b.c", "a.b.*", "a.*.c", "*.b.c", "a.>",
		"*.*.*", ">",	  "a.b.>", "*.>",
	};
	enum { N = sizeof(pats) / sizeof(pats[0]) };
	struct trie_sub s[N], other1, other2;
	struct trie *t = new_trie();
	struct trie_result r;

	trie_result_init(&r);
	for (size_t i = 0; i < N; i++) {
		sub_init(&s[i], NULL, (uint32_t)i, NULL);
		ck_assert_int_eq(add(t, pats[i], &s[i]), 1);
	}
	sub_init(&other1, NULL, 98, NULL); /* near misses */
	sub_init(&other2, NULL, 99, NULL);
	ck_assert_int_eq(add(t, "a.b.d", &other1), 1);
	ck_assert_int_eq(add(t, "a.b", &other2), 1);
	match(t, "a.b.c", &r);
	ck_assert_uint_eq(r.nplain, N);
	for (size_t i = 0; i < N; i++)
		ck_assert_uint_eq(count_in(r.plain, r.nplain, &s[i]), 1);
	ck_assert_uint_eq(trie_count(t), N + 2);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

START_TEST(test_same_owner_two_sids)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s1, s2;
	int owner;

	trie_result_init(&r);
	sub_init(&s1, &owner, 1, NULL);
	sub_init(&s2, &owner, 2, NULL);
	ck_assert_int_eq(add(t, "a.*", &s1), 1);
	ck_assert_int_eq(add(t, "a.b", &s2), 1);
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nplain, 2);
	ck_assert_uint_eq(count_in(r.plain, 2, &s1), 1);
	ck_assert_uint_eq(count_in(r.plain, 2, &s2), 1);
	match(t, "a.c", &r);
	ck_assert_uint_eq(r.nplain, 1);
	ck_assert_ptr_eq(r.plain[0], &s1);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

START_TEST(test_duplicate_pattern)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s1, s2, s3;

	trie_result_init(&r);
	sub_init(&s1, NULL, 1, NULL);
	sub_init(&s2, NULL, 2, NULL);
	sub_init(&s3, NULL, 3, "g");
	ck_assert_int_eq(add(t, "a.b", &s1), 1);
	ck_assert_int_eq(add(t, "a.b", &s2), 0);
	ck_assert_int_eq(add(t, "a.b", &s3), 0);
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nplain, 2);
	ck_assert_uint_eq(r.nqueued, 1);
	ck_assert_int_eq(del(t, "a.b", &s1), 0);
	ck_assert_int_eq(del(t, "a.b", &s3), 0);
	ck_assert_int_eq(del(t, "a.b", &s2), 1);
	ck_assert_uint_eq(trie_count(t), 0);
	ck_assert_uint_eq(trie_nodes(t), 1);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* One pattern's array grows to 512 slots and shrinks back (halved when
 * under a quarter full, inline again at one): every step matches all the
 * subs still there. */
START_TEST(test_node_array_grows_and_shrinks)
{
	enum { N = 300 };
	struct trie_sub s[N];
	struct trie *t = new_trie();
	struct trie_result r;

	trie_result_init(&r);
	for (size_t i = 0; i < N; i++) {
		sub_init(&s[i], NULL, (uint32_t)i, NULL);
		ck_assert_int_ge(add(t, "g.s", &s[i]), 0);
	}
	for (size_t k = 0; k < N; k++) {
		size_t i = (k * 7 + 3) % N; /* 7 is prime to N */

		match(t, "g.s", &r);
		ck_assert_uint_eq(r.nplain, N - k);
		ck_assert_uint_eq(count_in(r.plain, r.nplain, &s[i]), 1);
		ck_assert_int_ge(del(t, "g.s", &s[i]), 0);
	}
	match(t, "g.s", &r);
	ck_assert_uint_eq(r.nplain, 0);
	ck_assert_uint_eq(trie_nodes(t), 1);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* ---- queue groups ---------------------------------------------------- */

START_TEST(test_group_spans_patterns)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub q1, q2;

	trie_result_init(&r);
	sub_init(&q1, NULL, 1, "workers");
	sub_init(&q2, NULL, 2, "workers");
	ck_assert_int_eq(add(t, "a.*", &q1), 1);
	ck_assert_int_eq(add(t, "a.>", &q2), 1);
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nplain, 0);
	ck_assert_uint_eq(r.nqueued, 2);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.group_start[0], 0);
	ck_assert_uint_eq(count_in(r.queued, 2, &q1), 1);
	ck_assert_uint_eq(count_in(r.queued, 2, &q2), 1);
	match(t, "a.b.c", &r); /* only a.> now */
	ck_assert_uint_eq(r.nqueued, 1);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_ptr_eq(r.queued[0], &q2);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* Groups "g1" (members on two patterns, interleaved with "g2" in walk
 * order) and "g2", plus plain subs on the same patterns. */
START_TEST(test_two_groups_and_plain)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub a1, b1, a2, b2, p1, p2;
	const char *name0;

	trie_result_init(&r);
	sub_init(&a1, NULL, 1, "g1");
	sub_init(&a2, NULL, 2, "g2");
	sub_init(&b1, NULL, 3, "g1");
	sub_init(&b2, NULL, 4, "g2");
	sub_init(&p1, NULL, 5, NULL);
	sub_init(&p2, NULL, 6, NULL);
	add(t, "x.y", &a1);
	add(t, "x.y", &a2);
	add(t, "x.y", &p1);
	add(t, "x.*", &b1);
	add(t, "x.*", &p2);
	add(t, "*.y", &b2);
	match(t, "x.y", &r);
	ck_assert_uint_eq(r.nplain, 2);
	ck_assert_uint_eq(count_in(r.plain, 2, &p1), 1);
	ck_assert_uint_eq(count_in(r.plain, 2, &p2), 1);
	ck_assert_uint_eq(r.nqueued, 4);
	ck_assert_uint_eq(r.ngroups, 2);
	for (size_t g = 0; g < 2; g++) {
		ck_assert_uint_eq(group_size(&r, g), 2);
		name0 = r.queued[r.group_start[g]]->queue;
		ck_assert_str_eq(r.queued[r.group_start[g] + 1]->queue, name0);
	}
	ck_assert_str_ne(r.queued[0]->queue, r.queued[2]->queue);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* Issue #13: each group carries its own rotation.  Groups of uneven
 * sizes on one pattern (each group's first member on another pattern, so
 * a group spans two): taking member group->turn++ % size, as the router
 * does when members are idle, must pick every member of every group
 * equally often, and all of a group's members share one record. */
static void check_rotation(const unsigned *sizes, unsigned ngroups)
{
	enum { MAXM = 16, ROUNDS = 60 };
	static const char *const names[] = { "g0", "g1", "g2", "g3" };
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s[MAXM];
	const char *pat[MAXM];
	unsigned picks[MAXM] = { 0 }, n = 0;

	trie_result_init(&r);
	for (unsigned g = 0; g < ngroups; g++)
		for (unsigned k = 0; k < sizes[g]; k++, n++) {
			sub_init(&s[n], NULL, n, names[g]);
			pat[n] = k == 0 ? "q.>" : "q.*";
			ck_assert_int_ge(add(t, pat[n], &s[n]), 0);
		}
	ck_assert_uint_eq(trie_groups(t), ngroups);
	for (unsigned round = 0; round < ROUNDS; round++) {
		match(t, "q.x", &r);
		ck_assert_uint_eq(r.ngroups, ngroups);
		for (size_t g = 0; g < r.ngroups; g++) {
			struct trie_sub **m = &r.queued[r.group_start[g]];
			size_t size = group_size(&r, g);

			for (size_t k = 1; k < size; k++)
				ck_assert_ptr_eq(m[k]->queue, m[0]->queue);
			picks[m[trie_sub_group(m[0])->turn++ % size] - s]++;
		}
	}
	for (unsigned i = 0, g = 0, k = 0; i < n; i++) {
		ck_assert_msg(picks[i] == ROUNDS / sizes[g],
			      "member %u of group %u picked %u times", k, g,
			      picks[i]);
		if (++k == sizes[g]) {
			g++;
			k = 0;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_ge(del(t, pat[i], &s[i]), 0);
		ck_assert_ptr_null(s[i].queue);
	}
	ck_assert_uint_eq(trie_groups(t), 0);
	trie_result_free(&r);
	trie_free(t);
}

START_TEST(test_groups_rotate_apart)
{
	static const unsigned two[] = { 2, 2 }, three[] = { 2, 3, 2 };
	static const unsigned uneven[] = { 1, 4, 3 };

	check_rotation(two, 2);
	check_rotation(three, 3);
	check_rotation(uneven, 3);
}
END_TEST

/* One big group on two patterns plus a small one: grouped by sorting, so
 * this must stay quick. */
START_TEST(test_large_group)
{
	enum { N = 20000 };
	struct trie_sub *s = calloc(N + 1, sizeof(*s));
	struct trie *t = new_trie();
	struct trie_result r;

	ck_assert_ptr_nonnull(s);
	trie_result_init(&r);
	for (size_t i = 0; i < N; i++) {
		sub_init(&s[i], NULL, (uint32_t)i, "big");
		ck_assert_int_ge(add(t, i % 2 ? "a.*" : "a.b", &s[i]), 0);
	}
	sub_init(&s[N], NULL, 0, "alone");
	add(t, ">", &s[N]);
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nqueued, N + 1);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_str_eq(r.queued[0]->queue, "alone"); /* sorted by name */
	ck_assert_uint_eq(r.group_start[1], 1);
	ck_assert_uint_eq(group_size(&r, 1), N);
	trie_result_free(&r);
	trie_free(t);
	free(s);
}
END_TEST

/* Once the result storage has grown, matching again does not reallocate. */
START_TEST(test_result_reused)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s[40];
	struct trie_sub **plain, **queued;
	size_t *groups;

	trie_result_init(&r);
	for (size_t i = 0; i < 40; i++) {
		sub_init(&s[i], NULL, (uint32_t)i, i % 2 ? "q" : NULL);
		add(t, i % 3 ? "a.*" : "a.>", &s[i]);
	}
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nplain + r.nqueued, 40);
	plain = r.plain;
	queued = r.queued;
	groups = r.group_start;
	for (int k = 0; k < 100; k++) {
		match(t, k % 2 ? "a.b" : "a.b.c", &r);
		ck_assert_ptr_eq(r.plain, plain);
		ck_assert_ptr_eq(r.queued, queued);
		ck_assert_ptr_eq(r.group_start, groups);
	}
	match(t, "b", &r); /* reset: nothing left over from before */
	ck_assert_uint_eq(r.nplain + r.nqueued + r.ngroups, 0);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

/* ---- removal --------------------------------------------------------- */

/* Add n subs to one pattern, remove them in the order given, and after each
 * removal check that exactly the remaining ones match. */
static void remove_in_order(const size_t *order, size_t n)
{
	struct trie *t = new_trie();
	struct trie_sub s[16];
	int live[16];
	struct trie_result r;

	ck_assert_uint_le(n, 16);
	trie_result_init(&r);
	for (size_t i = 0; i < n; i++) {
		sub_init(&s[i], NULL, (uint32_t)i, NULL);
		ck_assert_int_eq(add(t, "p.q", &s[i]), i == 0);
		live[i] = 1;
	}
	for (size_t k = 0; k < n; k++) {
		ck_assert_int_eq(del(t, "p.q", &s[order[k]]), k == n - 1);
		ck_assert_int_eq(del(t, "p.q", &s[order[k]]), -1);
		live[order[k]] = 0;
		match(t, "p.q", &r);
		ck_assert_uint_eq(r.nplain, n - k - 1);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(count_in(r.plain, r.nplain, &s[i]),
					  (size_t)live[i]);
	}
	ck_assert_uint_eq(trie_nodes(t), 1);
	trie_result_free(&r);
	trie_free(t);
}

START_TEST(test_remove_orders)
{
	static const size_t fwd[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const size_t back[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	static const size_t mid[] = { 4, 5, 3, 6, 2, 7, 1, 8, 0, 9 };
	static const size_t mixed[] = { 0, 9, 1, 8, 5, 2, 7, 3, 6, 4 };

	remove_in_order(fwd, 10);
	remove_in_order(back, 10);
	remove_in_order(mid, 10);
	remove_in_order(mixed, 10);
}
END_TEST

START_TEST(test_remove_unknown)
{
	struct trie *t = new_trie();
	struct trie_result r;
	struct trie_sub s1, s2, never;

	trie_result_init(&r);
	sub_init(&s1, NULL, 1, NULL);
	sub_init(&s2, NULL, 2, NULL);
	sub_init(&never, NULL, 3, NULL);
	add(t, "a.b", &s1);
	add(t, "a.*", &s2);
	ck_assert_int_eq(del(t, "a.b", &never), -1); /* slot 0 is s1 */
	never.slot = 12345;
	ck_assert_int_eq(del(t, "a.b", &never), -1); /* slot out of range */
	ck_assert_int_eq(del(t, "x.y", &never), -1); /* no such pattern */
	ck_assert_int_eq(del(t, "a", &s1), -1);	     /* a prefix node */
	ck_assert_int_eq(del(t, "a.*", &s1), -1);    /* other pattern */
	ck_assert_int_eq(del(t, "a.>", &s1), -1);
	ck_assert_int_eq(del(t, "a.b.c", &s1), -1);
	ck_assert_uint_eq(trie_count(t), 2);
	match(t, "a.b", &r);
	ck_assert_uint_eq(r.nplain, 2);
	ck_assert_int_eq(del(t, "a.b", &s1), 1);
	ck_assert_int_eq(del(t, "a.b", &s1), -1);
	ck_assert_int_eq(del(t, "a.*", &s2), 1);
	trie_result_free(&r);
	trie_free(t);
}
END_TEST

START_TEST(test_prune_partial)
{
	struct trie *t = new_trie();
	struct trie_sub s1, s2;
	size_t base = trie_nodes(t);

	sub_init(&s1, NULL, 1, NULL);
	sub_init(&s2, NULL, 2, NULL);
	add(t, "a.b", &s1);
	add(t, "a.b.c.d", &s2);
	ck_assert_uint_eq(trie_nodes(t), base + 4);
	ck_assert_int_eq(del(t, "a.b.c.d", &s2), 1);
	ck_assert_uint_eq(trie_nodes(t), base + 2); /* a, a.b stay */
	add(t, "a.b.c.d", &s2);
	ck_assert_int_eq(del(t, "a.b", &s1), 1);
	ck_assert_uint_eq(trie_nodes(t), base + 4); /* a.b is a prefix */
	ck_assert_int_eq(del(t, "a.b.c.d", &s2), 1);
	ck_assert_uint_eq(trie_nodes(t), base);
	trie_free(t);
}
END_TEST

/* 100k distinct patterns (wide at the root and below, with wildcards)
 * added then removed: the tree is back to its single root. */
START_TEST(test_prune_many)
{
	enum { N = 100000 };
	struct trie_sub *s = calloc(N, sizeof(*s));
	struct trie *t = new_trie();
	size_t base = trie_nodes(t);
	char pat[64];

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < N; i++) {
		snprintf(pat, sizeof(pat), "k%zu.%s.v%zu%s", i % 1000,
			 i % 3 ? "*" : "x", i, i % 5 ? "" : ".>");
		sub_init(&s[i], NULL, (uint32_t)i, NULL);
		ck_assert_int_eq(add(t, pat, &s[i]), 1);
	}
	ck_assert_uint_eq(trie_count(t), N);
	ck_assert_uint_gt(trie_nodes(t), N);
	for (size_t k = 0; k < N; k++) {
		size_t i = (k * 7919) % N; /* 7919 is prime: a permutation */

		snprintf(pat, sizeof(pat), "k%zu.%s.v%zu%s", i % 1000,
			 i % 3 ? "*" : "x", i, i % 5 ? "" : ".>");
		ck_assert_int_eq(del(t, pat, &s[i]), 1);
	}
	ck_assert_uint_eq(trie_count(t), 0);
	ck_assert_uint_eq(trie_nodes(t), base);
	trie_free(t);
	free(s);
}
END_TEST

/* trie_free with subscriptions still in: frees every node (valgrind and
 * ASan check that), never the subs. */
START_TEST(test_free_nonempty)
{
	struct trie *t = new_trie();
	struct trie_sub s[64];
	char pat[32];

	for (size_t i = 0; i < 64; i++) {
		snprintf(pat, sizeof(pat), "%s.n%zu.%s", i % 2 ? "*" : "r",
			 i % 7, i % 3 ? "z" : ">");
		sub_init(&s[i], NULL, (uint32_t)i, NULL);
		ck_assert_int_ge(add(t, pat, &s[i]), 0);
	}
	trie_free(t);
	trie_free(NULL);
}
END_TEST

/* ---- randomised cross-check ------------------------------------------ */

/* Reference matcher on token arrays: the definition, written plainly. */
static int ref_match(char *const *pt, size_t np, char *const *tt, size_t nt)
{
	for (size_t i = 0; i < np; i++) {
		if (strcmp(pt[i], ">") == 0)
			return nt > i;
		if (i >= nt)
			return 0;
		if (strcmp(pt[i], "*") != 0 && strcmp(pt[i], tt[i]) != 0)
			return 0;
	}
	return np == nt;
}

/* Split a copy of s at '.'; returns the count.  buf is overwritten. */
static size_t split(const char *s, char *buf, size_t cap, char **tok)
{
	size_t n = 0;

	snprintf(buf, cap, "%s", s);
	for (char *p = buf;; p++) {
		tok[n++] = p;
		p = strchr(p, '.');
		if (p == NULL)
			return n;
		*p = '\0';
	}
}

static int ref_match_str(const char *pattern, const char *topic)
{
	char pb[64], tb[64];
	char *pt[8], *tt[8];
	size_t np = split(pattern, pb, sizeof(pb), pt);
	size_t nt = split(topic, tb, sizeof(tb), tt);

	return ref_match(pt, np, tt, nt);
}

static uint32_t rnd(uint64_t *st, uint32_t n)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return (uint32_t)(*st % n);
}

/* 1-4 tokens from {a, b, c, ab}, plus "*" and a final ">" in patterns. */
static void rnd_name(uint64_t *st, char *buf, size_t cap, int pattern)
{
	static const char *const lit[] = { "a", "b", "c", "ab", "*" };
	size_t ntok = 1 + rnd(st, 4), at = 0;

	for (size_t i = 0; i < ntok; i++) {
		const char *tok = lit[rnd(st, pattern ? 5 : 4)];

		if (pattern && i == ntok - 1 && rnd(st, 4) == 0)
			tok = ">";
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "." : "",
				       tok);
	}
}

enum { RND_SUBS = 48 };

struct rnd_state {
	struct trie *t;
	struct trie_sub s[RND_SUBS];
	char pat[RND_SUBS][32];
	const char *queue[RND_SUBS]; /* trie_remove clears s[i].queue */
	int live[RND_SUBS];
	size_t nlive;
};

/* Live subs on exactly pattern p. */
static size_t rnd_on_pattern(const struct rnd_state *z, const char *p)
{
	size_t n = 0;

	for (size_t i = 0; i < RND_SUBS; i++)
		n += z->live[i] && strcmp(z->pat[i], p) == 0;
	return n;
}

static void rnd_toggle(struct rnd_state *z, uint64_t *st)
{
	size_t i = rnd(st, RND_SUBS);
	size_t before;

	if (z->live[i]) {
		before = rnd_on_pattern(z, z->pat[i]);
		ck_assert_int_eq(del(z->t, z->pat[i], &z->s[i]), before == 1);
		z->live[i] = 0;
		z->nlive--;
		return;
	}
	rnd_name(st, z->pat[i], sizeof(z->pat[i]), 1);
	before = rnd_on_pattern(z, z->pat[i]);
	z->s[i].queue = z->queue[i];
	ck_assert_int_eq(add(z->t, z->pat[i], &z->s[i]), before == 0);
	z->live[i] = 1;
	z->nlive++;
}

/* Groups are contiguous, start where group_start says, and distinct;
 * a group's members share one interned name. */
static void check_groups(const struct trie_result *r)
{
	ck_assert_uint_eq(r->ngroups == 0, r->nqueued == 0);
	for (size_t g = 0; g < r->ngroups; g++) {
		size_t b = r->group_start[g], n = group_size(r, g);

		ck_assert_uint_gt(n, 0);
		for (size_t i = b; i < b + n; i++) /* interned: one copy */
			ck_assert_ptr_eq(r->queued[i]->queue,
					 r->queued[b]->queue);
		for (size_t h = 0; h < g; h++)
			ck_assert_str_ne(r->queued[r->group_start[h]]->queue,
					 r->queued[b]->queue);
	}
}

static void rnd_check_match(struct rnd_state *z, uint64_t *st,
			    struct trie_result *r)
{
	char topic[32];

	rnd_name(st, topic, sizeof(topic), 0);
	match(z->t, topic, r);
	for (size_t i = 0; i < RND_SUBS; i++) {
		size_t want = z->live[i] && ref_match_str(z->pat[i], topic);
		struct trie_sub *s = &z->s[i];

		ck_assert_msg(
			count_in(r->plain, r->nplain, s) +
					count_in(r->queued, r->nqueued, s) ==
				want,
			"sub %zu pattern '%s' topic '%s': expected %zu", i,
			z->pat[i], topic, want);
		if (want) /* and in the right list */
			ck_assert_uint_eq(count_in(r->queued, r->nqueued, s),
					  s->queue != NULL);
	}
	check_groups(r);
}

START_TEST(test_random_vs_reference)
{
	static const char *const queues[] = { NULL, NULL, "q1", "q2" };
	struct rnd_state z;
	struct trie_result r;
	/* a few fixed seeds: reproducible, and more SUB/UNSUB orders */
	uint64_t st = 0x9e3779b97f4a7c15ull * (uint64_t)(2 * _i + 1);

	memset(&z, 0, sizeof(z));
	z.t = new_trie();
	trie_result_init(&r);
	for (size_t i = 0; i < RND_SUBS; i++) {
		z.queue[i] = queues[i % 4];
		sub_init(&z.s[i], NULL, (uint32_t)i, z.queue[i]);
	}
	for (int it = 0; it < 10000; it++) {
		if (rnd(&st, 3) == 0)
			rnd_toggle(&z, &st);
		else
			rnd_check_match(&z, &st, &r);
		ck_assert_uint_eq(trie_count(z.t), z.nlive);
	}
	for (size_t i = 0; i < RND_SUBS; i++)
		if (z.live[i])
			ck_assert_int_ge(del(z.t, z.pat[i], &z.s[i]), 0);
	ck_assert_uint_eq(trie_count(z.t), 0);
	ck_assert_uint_eq(trie_nodes(z.t), 1);
	trie_result_free(&r);
	trie_free(z.t);
}
END_TEST

/* ---- tokmap, the trie's child table ----------------------------------- */

enum { TM_N = 200 };

struct tm_fixture {
	struct tokmap m;
	struct tm_item {
		struct tokmap_entry e;
		char tok[8]; /* follows e, as tokmap.h requires */
	} it[TM_N];
	int in[TM_N];
};

/* Every entry is found exactly when it is in the map. */
static void tm_check(const struct tm_fixture *f)
{
	size_t n = 0;

	for (size_t i = 0; i < TM_N; i++) {
		const struct tokmap_entry *e = &f->it[i].e;

		ck_assert_ptr_eq(
			tokmap_get(&f->m, tokmap_tok(e), e->len, e->hash),
			f->in[i] ? e : NULL);
		n += (size_t)f->in[i];
	}
	ck_assert_uint_eq(tokmap_count(&f->m), n);
}

/* Fill TM_N entries "t<i>"; all with hash 0 when collide is set, so every
 * lookup probes one long cluster. */
static void tm_fill(struct tm_fixture *f, int collide)
{
	tokmap_init(&f->m);
	for (size_t i = 0; i < TM_N; i++) {
		struct tm_item *t = &f->it[i];

		snprintf(t->tok, sizeof(t->tok), "t%zu", i);
		t->e.len = strlen(t->tok);
		t->e.hash = collide ? 0 : tokmap_hash(42, t->tok, t->e.len);
		ck_assert_int_eq(tokmap_put(&f->m, &t->e), 0);
		f->in[i] = 1;
	}
}

START_TEST(test_tokmap_delete_orders)
{
	struct tm_fixture f;
	size_t pos = 0, seen = 0;

	tm_fill(&f, _i);
	tm_check(&f);
	while (tokmap_next(&f.m, &pos) != NULL)
		seen++;
	ck_assert_uint_eq(seen, TM_N);
	for (size_t k = 0; k < TM_N; k++) {
		size_t i = (k * 37 + 11) % TM_N; /* 37 is prime to TM_N */

		ck_assert_int_eq(tokmap_del(&f.m, &f.it[i].e), 0);
		ck_assert_int_eq(tokmap_del(&f.m, &f.it[i].e), -1);
		f.in[i] = 0;
		if (k % 16 == 0)
			tm_check(&f);
	}
	tm_check(&f);
	ck_assert_ptr_null(f.m.t); /* empty: table freed */
	tokmap_free(&f.m);
}
END_TEST

START_TEST(test_tokmap_same_hash_other_length)
{
	struct tokmap m;
	struct tm_item ab = { { 2, 7 }, "ab" }, a = { { 1, 7 }, "a" };
	struct tm_item b = { { 1, 7 }, "b" };

	tokmap_init(&m);
	ck_assert_int_eq(tokmap_put(&m, &ab.e), 0);
	ck_assert_ptr_null(tokmap_get(&m, "a", 1, 7));
	ck_assert_int_eq(tokmap_put(&m, &a.e), 0);
	ck_assert_ptr_eq(tokmap_get(&m, "a", 1, 7), &a.e);
	ck_assert_ptr_eq(tokmap_get(&m, "ab", 2, 7), &ab.e);
	ck_assert_ptr_null(tokmap_get(&m, "b", 1, 7));
	ck_assert_int_eq(tokmap_del(&m, &b.e), -1); /* never added */
	ck_assert_int_eq(tokmap_del(&m, &ab.e), 0);
	ck_assert_ptr_eq(tokmap_get(&m, "a", 1, 7), &a.e); /* moved up */
	tokmap_free(&m);
	ck_assert_ptr_null(tokmap_get(&m, "a", 1, 7));
}
END_TEST

/* ---- suite ----------------------------------------------------------- */

/* trie_visit: every pattern once, with its subs, NUL-terminated; a
 * nonzero return stops the walk; trie_patterns follows add and remove. */
struct visit_log {
	char seen[8][64];
	size_t nsubs[8], n, stop_after;
};

static int visit_cb(void *arg, const char *pattern, size_t len,
		    struct trie_sub *const *subs, size_t n)
{
	struct visit_log *v = arg;

	ck_assert_uint_eq(strlen(pattern), len);
	ck_assert_uint_lt(v->n, 8);
	ck_assert_ptr_nonnull(subs[n - 1]);
	snprintf(v->seen[v->n], sizeof v->seen[0], "%s", pattern);
	v->nsubs[v->n++] = n;
	return v->n == v->stop_after ? 7 : 0;
}

static size_t visit_find(const struct visit_log *v, const char *pattern)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->seen[i], pattern) == 0)
			return v->nsubs[i];
	return 0;
}

START_TEST(test_visit)
{
	static const char *const pats[] = { "a", "a.b", "a.>", "*.b.c", "a.b" };
	struct trie *t = new_trie();
	struct trie_sub s[5];
	struct visit_log v = { .n = 0 };

	ck_assert_int_eq(trie_visit(t, visit_cb, &v), 0);
	ck_assert_uint_eq(v.n, 0);
	for (size_t i = 0; i < 5; i++) {
		sub_init(&s[i], &s[i], 1, NULL);
		ck_assert_int_ge(add(t, pats[i], &s[i]), 0);
	}
	ck_assert_uint_eq(trie_patterns(t), 4);
	ck_assert_int_eq(trie_visit(t, visit_cb, &v), 0);
	ck_assert_uint_eq(v.n, 4);
	ck_assert_uint_eq(visit_find(&v, "a"), 1);
	ck_assert_uint_eq(visit_find(&v, "a.b"), 2);
	ck_assert_uint_eq(visit_find(&v, "a.>"), 1);
	ck_assert_uint_eq(visit_find(&v, "*.b.c"), 1);
	v.n = 0;
	v.stop_after = 2;
	ck_assert_int_eq(trie_visit(t, visit_cb, &v), 7);
	ck_assert_uint_eq(v.n, 2);
	ck_assert_int_eq(del(t, "a.b", &s[1]), 0);
	ck_assert_uint_eq(trie_patterns(t), 4);
	ck_assert_int_eq(del(t, "a.b", &s[4]), 1);
	ck_assert_int_eq(del(t, "a", &s[0]), 1);
	ck_assert_uint_eq(trie_patterns(t), 2);
	for (size_t i = 2; i < 4; i++)
		ck_assert_int_eq(del(t, pats[i], &s[i]), 1);
	ck_assert_uint_eq(trie_patterns(t), 0);
	trie_free(t);
}
END_TEST

static Suite *trie_suite(void)
{
	Suite *s = suite_create("trie");
	TCase *tc = tcase_create("match");
	TCase *tm = tcase_create("subs");
	TCase *tr = tcase_create("remove");
	TCase *tk = tcase_create("tokmap");
	TCase *tb = tcase_create("bulk");

	tcase_add_loop_test(tc, test_table, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_max_tokens);
	suite_add_tcase(s, tc);
	tcase_add_test(tm, test_many_patterns_one_topic);
	tcase_add_test(tm, test_same_owner_two_sids);
	tcase_add_test(tm, test_duplicate_pattern);
	tcase_add_test(tm, test_node_array_grows_and_shrinks);
	tcase_add_test(tm, test_group_spans_patterns);
	tcase_add_test(tm, test_groups_rotate_apart);
	tcase_add_test(tm, test_two_groups_and_plain);
	tcase_add_test(tm, test_result_reused);
	tcase_add_test(tm, test_visit);
	suite_add_tcase(s, tm);
	tcase_add_test(tr, test_remove_orders);
	tcase_add_test(tr, test_remove_unknown);
	tcase_add_test(tr, test_prune_partial);
	tcase_add_test(tr, test_free_nonempty);
	suite_add_tcase(s, tr);
	/* well under a second natively; the timeout is for valgrind */
	tcase_add_loop_test(tk, test_tokmap_delete_orders, 0, 2);
	tcase_add_test(tk, test_tokmap_same_hash_other_length);
	suite_add_tcase(s, tk);
	tcase_set_timeout(tb, 120);
	tcase_add_loop_test(tb, test_random_vs_reference, 0, 4);
	tcase_add_test(tb, test_large_group);
	tcase_add_test(tb, test_prune_many);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trie_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
