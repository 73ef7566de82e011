/*
 * test_acl.c - the rule engine (broker/acl.h) and its pattern algebra
 * (broker/acl_pattern.h) on their own: every rule kind, deny wins, no
 * allow means nothing, wildcards on both sides (topic matching for PUB,
 * pattern intersection and containment for the SUB verdict), `$SYS`, the
 * private inbox, bad rules; then a cross-check of the algebra and the
 * verdict against brute force over every short topic of a small alphabet.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "acl_pattern.h"

/* ---- helpers --------------------------------------------------------- */

/* An acl from rules "allow|deny pub|sub|all PATTERN", NULL-terminated. */
static struct acl *mk(const char *const *rules)
{
	struct acl *a = acl_new();

	ck_assert_ptr_nonnull(a);
	for (; *rules; rules++) {
		char eff[8], act[8], pat[300];
		enum acl_action ac;

		ck_assert_int_eq(sscanf(*rules, "%7s %7s %299s", eff, act, pat),
				 3);
		ac = !strcmp(act, "pub")   ? ACL_PUB
		     : !strcmp(act, "sub") ? ACL_SUB
					   : ACL_ALL;
		ck_assert_int_eq(
			acl_add(a, !strcmp(eff, "deny") ? ACL_DENY : ACL_ALLOW,
				ac, pat, strlen(pat)),
			0);
	}
	return a;
}

static int pub(const struct acl *a, const char *topic)
{
	return acl_may_pub(a, topic, strlen(topic));
}

static int recv_as(const struct acl *a, const char *user, const char *topic)
{
	return acl_may_receive(a, user, user ? strlen(user) : 0, topic,
			       strlen(topic));
}

static int recv(const struct acl *a, const char *topic)
{
	return recv_as(a, "alice", topic);
}

static enum acl_sub_verdict verdict_as(const struct acl *a, const char *user,
				       const char *pattern)
{
	return acl_sub_verdict(a, user, user ? strlen(user) : 0, pattern,
			       strlen(pattern));
}

static enum acl_sub_verdict verdict(const struct acl *a, const char *pattern)
{
	return verdict_as(a, "alice", pattern);
}

#define NONE ACL_SUB_NONE
#define ALL ACL_SUB_ALL
#define FILTER ACL_SUB_FILTER

/* ---- rule kinds ------------------------------------------------------ */

START_TEST(test_empty_allows_nothing)
{
	static const char *const r[] = { NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(pub(a, "a"), 0);
	ck_assert_int_eq(recv(a, "a"), 0);
	ck_assert_int_eq(verdict(a, "a"), NONE);
	ck_assert_int_eq(verdict(a, ">"), FILTER); /* the private inbox */
	ck_assert_int_eq(verdict_as(a, NULL, ">"), NONE);
	acl_free(a);
	acl_free(NULL);
}
END_TEST

START_TEST(test_pub_only)
{
	static const char *const r[] = { "allow pub orders.>", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(pub(a, "orders.new"), 1);
	ck_assert_int_eq(pub(a, "orders.eu.new"), 1);
	ck_assert_int_eq(pub(a, "orders"), 0); /* ">" needs a token */
	ck_assert_int_eq(pub(a, "order.new"), 0);
	ck_assert_int_eq(recv(a, "orders.new"), 0); /* pub is not sub */
	ck_assert_int_eq(verdict(a, "orders.>"), NONE);
	acl_free(a);
}
END_TEST

START_TEST(test_sub_only)
{
	static const char *const r[] = { "allow sub news.*", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(pub(a, "news.x"), 0);
	ck_assert_int_eq(recv(a, "news.x"), 1);
	ck_assert_int_eq(recv(a, "news.x.y"), 0);
	ck_assert_int_eq(verdict(a, "news.x"), ALL);
	ck_assert_int_eq(verdict(a, "news.*"), ALL);
	ck_assert_int_eq(verdict(a, "news.>"), FILTER);
	ck_assert_int_eq(verdict(a, "*.x"), FILTER);
	ck_assert_int_eq(verdict(a, "news.x.y"), NONE);
	ck_assert_int_eq(verdict(a, "sport.*"), NONE);
	ck_assert_int_eq(verdict(a, "news"), NONE);
	acl_free(a);
}
END_TEST

START_TEST(test_all_is_both)
{
	static const char *const r[] = { "allow all a.b", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(pub(a, "a.b"), 1);
	ck_assert_int_eq(recv(a, "a.b"), 1);
	ck_assert_int_eq(verdict(a, "a.b"), ALL);
	ck_assert_int_eq(pub(a, "a.c"), 0);
	acl_free(a);
}
END_TEST

START_TEST(test_deny_wins)
{
	static const char *const r[] = { "deny all a.secret.>", "allow all >",
					 "deny pub a.ro", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(pub(a, "a.x"), 1);
	ck_assert_int_eq(pub(a, "a.secret.x"), 0); /* deny before allow */
	ck_assert_int_eq(pub(a, "a.ro"), 0);	   /* deny after allow */
	ck_assert_int_eq(recv(a, "a.ro"), 1);	   /* only pub denied */
	ck_assert_int_eq(recv(a, "a.secret.x"), 0);
	ck_assert_int_eq(recv(a, "a.secret"), 1); /* ">" needs a token */
	ck_assert_int_eq(verdict(a, "a.secret.>"), NONE);
	ck_assert_int_eq(verdict(a, "a.secret.x.y"), NONE);
	ck_assert_int_eq(verdict(a, "a.*.x"), FILTER);
	ck_assert_int_eq(verdict(a, "a.>"), FILTER);
	ck_assert_int_eq(verdict(a, "a.public.>"), ALL);
	ck_assert_int_eq(verdict(a, "a.ro"), ALL);
	acl_free(a);
}
END_TEST

START_TEST(test_deny_covering_allow_is_none)
{
	static const char *const r[] = { "allow sub a.*", "deny sub *.b",
					 "deny sub a.c", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(verdict(a, "a.b"), NONE);
	ck_assert_int_eq(verdict(a, "*.b"), NONE);
	ck_assert_int_eq(verdict(a, "a.*"), FILTER);
	ck_assert_int_eq(verdict(a, "a.d"), ALL);
	ck_assert_int_eq(recv(a, "a.b"), 0);
	ck_assert_int_eq(recv(a, "a.d"), 1);
	acl_free(a);
}
END_TEST

START_TEST(test_wildcards_on_both_sides)
{
	static const char *const r[] = { "allow sub *.b.>", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(verdict(a, "x.b.c"), ALL);
	ck_assert_int_eq(verdict(a, "x.b.>"), ALL);
	ck_assert_int_eq(verdict(a, "x.b.*.d"), ALL);
	ck_assert_int_eq(verdict(a, "x.*.c"), FILTER); /* x.b.c only */
	ck_assert_int_eq(verdict(a, "x.>"), FILTER);
	ck_assert_int_eq(verdict(a, "x.b"), NONE); /* ">" needs a token */
	ck_assert_int_eq(verdict(a, "x.c.>"), NONE);
	ck_assert_int_eq(verdict(a, "*"), NONE);
	/* a wildcard head may mean $SYS topics, which "*" does not give */
	ck_assert_int_eq(verdict(a, "*.b.c"), FILTER);
	ck_assert_int_eq(recv(a, "q.b.c"), 1);
	ck_assert_int_eq(recv(a, "$SYS.b.c"), 0);
	acl_free(a);
}
END_TEST

START_TEST(test_union_is_filter)
{
	/* a.> is a.* plus a.*.>: covered only by a union, so FILTER */
	static const char *const r[] = { "allow sub a.*", "allow sub a.*.>",
					 NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(verdict(a, "a.>"), FILTER);
	ck_assert_int_eq(recv(a, "a.x"), 1);
	ck_assert_int_eq(recv(a, "a.x.y"), 1);
	acl_free(a);
}
END_TEST

/* ---- $SYS and the inbox ---------------------------------------------- */

START_TEST(test_sys_needs_literal_rule)
{
	static const char *const wide[] = { "allow all >", NULL };
	static const char *const sys[] = { "allow sub $SYS.>", NULL };
	struct acl *a = mk(wide), *s = mk(sys);

	ck_assert_int_eq(pub(a, "$SYS.REQ.STATS"), 0);
	ck_assert_int_eq(recv(a, "$SYS.broker.stats"), 0);
	ck_assert_int_eq(recv(a, "$SYSX.a"), 1); /* only the $SYS token */
	ck_assert_int_eq(verdict(a, "$SYS.>"), NONE);
	ck_assert_int_eq(verdict(a, ">"), FILTER);
	ck_assert_int_eq(verdict(a, "a.>"), ALL);
	ck_assert_int_eq(recv(s, "$SYS.broker.stats"), 1);
	ck_assert_int_eq(verdict(s, "$SYS.>"), ALL);
	ck_assert_int_eq(verdict(s, "$SYS.*.stats"), ALL);
	ck_assert_int_eq(verdict(s, ">"), FILTER);
	ck_assert_int_eq(verdict(s, "*.broker.stats"), FILTER);
	ck_assert_int_eq(pub(s, "$SYS.REQ.STATS"), 0);
	acl_free(a);
	acl_free(s);
}
END_TEST

START_TEST(test_deny_wildcard_covers_sys)
{
	static const char *const r[] = { "allow sub $SYS.>",
					 "deny sub *.pool.>", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(recv(a, "$SYS.pool.p.stats"), 0);
	ck_assert_int_eq(recv(a, "$SYS.broker.stats"), 1);
	ck_assert_int_eq(verdict(a, "$SYS.pool.>"), NONE);
	ck_assert_int_eq(verdict(a, "$SYS.>"), FILTER);
	acl_free(a);
}
END_TEST

START_TEST(test_private_inbox)
{
	static const char *const r[] = { "allow pub _INBOX.>", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(recv_as(a, "alice", "_INBOX.alice.x1"), 1);
	ck_assert_int_eq(recv_as(a, "alice", "_INBOX.alice.x1.7"), 1);
	ck_assert_int_eq(recv_as(a, "alice", "_INBOX.alice"), 0);
	ck_assert_int_eq(recv_as(a, "alice", "_INBOX.bob.x1"), 0);
	ck_assert_int_eq(recv_as(a, "bob", "_INBOX.alice.x1"), 0);
	ck_assert_int_eq(verdict_as(a, "alice", "_INBOX.alice.>"), ALL);
	ck_assert_int_eq(verdict_as(a, "alice", "_INBOX.alice.r1.*"), ALL);
	ck_assert_int_eq(verdict_as(a, "alice", "_INBOX.>"), FILTER);
	ck_assert_int_eq(verdict_as(a, "alice", "_INBOX.*.x"), FILTER);
	ck_assert_int_eq(verdict_as(a, "alice", "_INBOX.bob.>"), NONE);
	ck_assert_int_eq(verdict_as(a, "bob", "_INBOX.alice.>"), NONE);
	/* the inbox is for receiving: publishing needs a rule */
	ck_assert_int_eq(pub(a, "_INBOX.bob.x"), 1);
	acl_free(a);
}
END_TEST

START_TEST(test_wildcard_does_not_give_inboxes)
{
	static const char *const wide[] = { "allow all >", NULL };
	static const char *const mon[] = { "allow sub _INBOX.>", NULL };
	struct acl *a = mk(wide), *m = mk(mon);

	/* "allow sub >" reaches neither other users' inboxes... */
	ck_assert_int_eq(recv(a, "_INBOX.bob.r1"), 0);
	ck_assert_int_eq(verdict(a, "_INBOX.bob.>"), NONE);
	ck_assert_int_eq(verdict(a, "_INBOX.>"), FILTER); /* its own */
	ck_assert_int_eq(verdict(a, "*.bob.>"), FILTER);
	ck_assert_int_eq(recv(a, "_INBOX.alice.r1"), 1);
	/* ...while answering one is publishing like any topic */
	ck_assert_int_eq(pub(a, "_INBOX.bob.r1"), 1);
	/* a rule naming _INBOX gives them all */
	ck_assert_int_eq(recv(m, "_INBOX.bob.r1"), 1);
	ck_assert_int_eq(verdict(m, "_INBOX.>"), ALL);
	ck_assert_int_eq(pub(m, "_INBOX.bob.r1"), 0);
	acl_free(a);
	acl_free(m);
}
END_TEST

START_TEST(test_inbox_needs_a_token_name)
{
	static const char *const r[] = { NULL };
	struct acl *a = mk(r);

	/* "a.b" would otherwise be inside user "a"'s inbox and vice versa */
	ck_assert_int_eq(recv_as(a, "a.b", "_INBOX.a.b.x"), 0);
	ck_assert_int_eq(verdict_as(a, "a.b", "_INBOX.a.b.>"), NONE);
	ck_assert_int_eq(recv_as(a, "a", "_INBOX.a.b.x"), 1);
	ck_assert_int_eq(recv_as(a, "*", "_INBOX.x.y"), 0);
	ck_assert_int_eq(recv_as(a, "", "_INBOX..y"), 0);
	ck_assert_int_eq(recv_as(a, NULL, "_INBOX.x.y"), 0);
	acl_free(a);
}
END_TEST

START_TEST(test_deny_wins_over_inbox)
{
	static const char *const r[] = { "deny sub _INBOX.>", NULL };
	struct acl *a = mk(r);

	ck_assert_int_eq(recv(a, "_INBOX.alice.x"), 0);
	ck_assert_int_eq(verdict(a, "_INBOX.alice.>"), NONE);
	acl_free(a);
}
END_TEST

START_TEST(test_bad_rules_refused)
{
	struct acl *a = acl_new();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, ACL_ALL, "a.>.b", 5), -1);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, ACL_ALL, "a..b", 4), -1);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, ACL_ALL, "", 0), -1);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, ACL_ALL, "a*", 2), -1);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, (enum acl_action)0, "a", 1), -1);
	ck_assert_int_eq(acl_add(a, ACL_ALLOW, (enum acl_action)4, "a", 1), -1);
	ck_assert_int_eq(acl_add(a, (enum acl_effect)7, ACL_PUB, "a", 1), -1);
	ck_assert_int_eq(pub(a, "a"), 0); /* nothing was added */
	/* the pattern is copied: the caller's buffer may change */
	{
		char buf[] = "x.y";

		ck_assert_int_eq(acl_add(a, ACL_ALLOW, ACL_PUB, buf, 3), 0);
		buf[0] = 'q';
		ck_assert_int_eq(pub(a, "x.y"), 1);
		ck_assert_int_eq(pub(a, "q.y"), 0);
	}
	acl_free(a);
}
END_TEST

START_TEST(test_many_rules_and_long_topics)
{
	struct acl *a = acl_new();
	char pat[32], topic[300];

	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < 100; i++) {
		snprintf(pat, sizeof(pat), "t%d.>", i);
		ck_assert_int_eq(
			acl_add(a, ACL_ALLOW, ACL_ALL, pat, strlen(pat)), 0);
	}
	ck_assert_int_eq(pub(a, "t99.x"), 1);
	ck_assert_int_eq(pub(a, "t100.x"), 0);
	/* 32 tokens, the most a topic may have */
	strcpy(topic, "t5");
	for (int i = 1; i < 32; i++)
		strcat(topic, ".z");
	ck_assert_int_eq(pub(a, topic), 1);
	ck_assert_int_eq(verdict(a, topic), ALL);
	acl_free(a);
}
END_TEST

/* ---- the algebra against brute force --------------------------------- */

/* "z" appears in no pattern: it stands for every other token. */
static const char *const alphabet[] = {
	"a", "b", "$SYS", "_INBOX", "alice", "z"
};
#define NALPHA (sizeof(alphabet) / sizeof(alphabet[0]))
#define MAX_TOPIC_TOKENS 4

/* Every topic of 1..4 tokens over the alphabet, as strings. */
struct topics {
	char (*s)[64];
	size_t n;
};

static void topics_make(struct topics *t)
{
	size_t total = 0, pow = 1;

	for (int len = 1; len <= MAX_TOPIC_TOKENS; len++)
		total += pow *= NALPHA;
	t->s = calloc(total, sizeof(*t->s));
	ck_assert_ptr_nonnull(t->s);
	t->n = 0;
	for (int len = 1; len <= MAX_TOPIC_TOKENS; len++) {
		size_t combos = 1;

		for (int i = 0; i < len; i++)
			combos *= NALPHA;
		for (size_t c = 0; c < combos; c++) {
			char *o = t->s[t->n++];
			size_t k = c;

			o[0] = '\0';
			for (int i = 0; i < len; i++, k /= NALPHA) {
				if (i)
					strcat(o, ".");
				strcat(o, alphabet[k % NALPHA]);
			}
		}
	}
}

/* A random valid pattern of 1..3 tokens (xorshift state in *rs). */
static void rand_pattern(uint32_t *rs, char *out)
{
	static const char *const toks[] = { "a",      "b",     "$SYS",
					    "_INBOX", "alice", "*" };
	int len = 1 + (int)(*rs % 3);

	out[0] = '\0';
	for (int i = 0; i < len; i++) {
		*rs ^= *rs << 13;
		*rs ^= *rs >> 17;
		*rs ^= *rs << 5;
		if (i)
			strcat(out, ".");
		if (i == len - 1 && *rs % 4 == 0)
			strcat(out, ">");
		else
			strcat(out, toks[*rs % 6]);
	}
}

static int brute_match(const char *pat, const char *topic)
{
	struct acl_pat t;

	acl_pat_split(topic, strlen(topic), &t);
	return acl_pat_match(pat, strlen(pat), &t);
}

START_TEST(test_algebra_brute_force)
{
	struct topics tp;
	uint32_t rs = 0x2545f491u;

	topics_make(&tp);
	for (int iter = 0; iter < 300; iter++) {
		char sa[64], sb[64];
		struct acl_pat a, b, x, t;
		int meet, cont, any_both = 0, escapes = 0;

		rand_pattern(&rs, sa);
		rand_pattern(&rs, sb);
		acl_pat_split(sa, strlen(sa), &a);
		acl_pat_split(sb, strlen(sb), &b);
		meet = acl_pat_intersect(&a, &b, &x);
		cont = acl_pat_contains(&a, &b);
		for (size_t i = 0; i < tp.n; i++) {
			int ma = brute_match(sa, tp.s[i]);
			int mb = brute_match(sb, tp.s[i]);

			acl_pat_split(tp.s[i], strlen(tp.s[i]), &t);
			any_both |= ma && mb;
			escapes |= mb && !ma;
			if (meet)
				ck_assert_msg(acl_pat_contains(&x, &t) ==
						      (ma && mb),
					      "%s ^ %s at %s", sa, sb, tp.s[i]);
		}
		ck_assert_msg(meet == any_both, "meet %s %s", sa, sb);
		ck_assert_msg(cont == !escapes, "contains %s %s", sa, sb);
	}
	free(tp.s);
}
END_TEST

/* A random acl of 1..4 rules on the alphabet's patterns. */
static struct acl *rand_acl(uint32_t *rs)
{
	struct acl *a = acl_new();
	int n = 1 + (int)(*rs % 4);

	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < n; i++) {
		char p[64];

		rand_pattern(rs, p);
		ck_assert_int_eq(acl_add(a, *rs % 3 ? ACL_ALLOW : ACL_DENY,
					 (enum acl_action)(1 + *rs % 3), p,
					 strlen(p)),
				 0);
	}
	return a;
}

START_TEST(test_verdict_brute_force)
{
	struct topics tp;
	uint32_t rs = 0x9e3779b9u;
	int seen[3] = { 0, 0, 0 };

	topics_make(&tp);
	for (int iter = 0; iter < 400; iter++) {
		struct acl *a = rand_acl(&rs);
		char p[64];
		enum acl_sub_verdict v;
		int some = 0, every = 1;

		rand_pattern(&rs, p);
		v = verdict(a, p);
		seen[v]++;
		for (size_t i = 0; i < tp.n; i++) {
			int r;

			if (!brute_match(p, tp.s[i]))
				continue;
			r = recv(a, tp.s[i]);
			some |= r;
			every &= r;
		}
		/* never ALL when something is denied; NONE only when nothing
		 * is allowed */
		ck_assert_msg(v != ALL || every, "ALL but a topic denied: %s",
			      p);
		ck_assert_msg(v != NONE || !some, "NONE but one allowed: %s",
			      p);
		acl_free(a);
	}
	/* the sample reaches every verdict */
	ck_assert_int_gt(seen[NONE], 0);
	ck_assert_int_gt(seen[ALL], 0);
	ck_assert_int_gt(seen[FILTER], 0);
	free(tp.s);
}
END_TEST

static Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("rules");
	TCase *bf = tcase_create("brute force");

	tcase_add_test(tc, test_empty_allows_nothing);
	tcase_add_test(tc, test_pub_only);
	tcase_add_test(tc, test_sub_only);
	tcase_add_test(tc, test_all_is_both);
	tcase_add_test(tc, test_deny_wins);
	tcase_add_test(tc, test_deny_covering_allow_is_none);
	tcase_add_test(tc, test_wildcards_on_both_sides);
	tcase_add_test(tc, test_union_is_filter);
	tcase_add_test(tc, test_sys_needs_literal_rule);
	tcase_add_test(tc, test_deny_wildcard_covers_sys);
	tcase_add_test(tc, test_private_inbox);
	tcase_add_test(tc, test_wildcard_does_not_give_inboxes);
	tcase_add_test(tc, test_inbox_needs_a_token_name);
	tcase_add_test(tc, test_deny_wins_over_inbox);
	tcase_add_test(tc, test_bad_rules_refused);
	tcase_add_test(tc, test_many_rules_and_long_topics);
	suite_add_tcase(s, tc);
	tcase_add_test(bf, test_algebra_brute_force);
	tcase_add_test(bf, test_verdict_brute_force);
	suite_add_tcase(s, bf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
