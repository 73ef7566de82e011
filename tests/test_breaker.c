/*
 * test_breaker.c - the circuit breaker state machine (common/breaker.c) as
 * the client drives it (client/lib/bc_breaker.c) with an injected clock:
 * every transition, threshold edges, the single half-open trial, fresh
 * cool-downs, neutral outcomes, the callback, and the classification of
 * results.  No sleeping: `now` is a number.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "bc_breaker.h"
#include "brokerclient.h"

struct trans {
	int n;
	int from[16];
	int to[16];
};

static void record(void *arg, enum breaker_state from, enum breaker_state to)
{
	struct trans *t = arg;

	ck_assert_int_ne(from, to);
	if (t->n < 16) {
		t->from[t->n] = from;
		t->to[t->n] = to;
	}
	t->n++;
}

static void fail_n(struct breaker *b, int n, int64_t now)
{
	for (int i = 0; i < n; i++)
		bc_breaker_record(b, BC_OUTCOME_FAILURE, now);
}

START_TEST(opens_at_threshold)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 3, 1000, record, &t);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	fail_n(&b, 2, 0);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	ck_assert_int_eq(breaker_allow(&b, 0), 1);
	ck_assert_int_eq(t.n, 0);
	fail_n(&b, 1, 10);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 1);
	ck_assert_int_eq(t.from[0], BC_BREAKER_CLOSED);
	ck_assert_int_eq(t.to[0], BC_BREAKER_OPEN);
	/* Open: fail fast until the cool-down (1000 ms from t=10) ends. */
	ck_assert_int_eq(breaker_allow(&b, 10), 0);
	ck_assert_int_eq(breaker_allow(&b, 1009), 0);
	ck_assert_int_eq(breaker_wait_ms(&b, 1009), 1);
	ck_assert_int_eq(breaker_wait_ms(&b, 500), 510);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 1);
}
END_TEST

START_TEST(threshold_one)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 1, 50, record, &t);
	fail_n(&b, 1, 0);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(breaker_allow(&b, 49), 0);
	ck_assert_int_eq(breaker_allow(&b, 50), 1);
	ck_assert_int_eq(b.state, BC_BREAKER_HALF_OPEN);
	bc_breaker_record(&b, BC_OUTCOME_SUCCESS, 51);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	fail_n(&b, 1, 60);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 4);
}
END_TEST

START_TEST(success_resets_count)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 4, 100, record, &t);
	fail_n(&b, 3, 0);
	bc_breaker_record(&b, BC_OUTCOME_SUCCESS, 1);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	fail_n(&b, 3, 2); /* N-1 again: still closed */
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	ck_assert_int_eq(t.n, 0); /* success in CLOSED: no transition */
	fail_n(&b, 1, 3);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 1);
}
END_TEST

START_TEST(half_open_one_trial)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 2, 100, record, &t);
	fail_n(&b, 2, 0);
	/* The clock alone moves it on, through poll or allow. */
	ck_assert_int_eq(breaker_poll(&b, 99), BC_BREAKER_OPEN);
	ck_assert_int_eq(breaker_poll(&b, 100), BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(t.n, 2);
	ck_assert_int_eq(t.from[1], BC_BREAKER_OPEN);
	ck_assert_int_eq(t.to[1], BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(breaker_allow(&b, 100), 1); /* the trial */
	ck_assert_int_eq(breaker_allow(&b, 101), 0); /* only one */
	ck_assert_int_eq(breaker_allow(&b, 5000), 0);
	/* A neutral outcome (client error) gives the slot back. */
	bc_breaker_record(&b, BC_OUTCOME_NEUTRAL, 5001);
	ck_assert_int_eq(b.state, BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(breaker_allow(&b, 5002), 1);
	ck_assert_int_eq(breaker_allow(&b, 5002), 0);
	bc_breaker_record(&b, BC_OUTCOME_SUCCESS, 5003);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	ck_assert_int_eq(t.n, 3);
	ck_assert_int_eq(t.to[2], BC_BREAKER_CLOSED);
	/* Closed again, with a fresh count. */
	fail_n(&b, 1, 5004);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	ck_assert_int_eq(breaker_allow(&b, 5004), 1);
	ck_assert_int_eq(breaker_allow(&b, 5004), 1);
}
END_TEST

START_TEST(half_open_failure_reopens_fresh)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 2, 100, record, &t);
	fail_n(&b, 2, 0);
	ck_assert_int_eq(breaker_allow(&b, 250), 1); /* late trial */
	bc_breaker_record(&b, BC_OUTCOME_FAILURE, 300);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 3);
	ck_assert_int_eq(t.from[2], BC_BREAKER_HALF_OPEN);
	ck_assert_int_eq(t.to[2], BC_BREAKER_OPEN);
	/* The cool-down counts from the failure (300), not from the first
	 * opening (0). */
	ck_assert_int_eq(breaker_allow(&b, 399), 0);
	ck_assert_int_eq(breaker_wait_ms(&b, 350), 50);
	ck_assert_int_eq(breaker_allow(&b, 400), 1);
	ck_assert_int_eq(b.state, BC_BREAKER_HALF_OPEN);
	/* The trial fails: open again (until 501); a late failure while
	 * OPEN does not extend that cool-down. */
	bc_breaker_record(&b, BC_OUTCOME_FAILURE, 401);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	bc_breaker_record(&b, BC_OUTCOME_FAILURE, 450);
	ck_assert_int_eq(breaker_wait_ms(&b, 450), 51);
	ck_assert_int_eq(t.n, 5);
}
END_TEST

START_TEST(neutral_never_counts)
{
	struct breaker b;
	struct trans t = { 0 };

	breaker_init(&b, BREAKER_CLOSED, 2, 100, record, &t);
	for (int i = 0; i < 100; i++)
		bc_breaker_record(&b, BC_OUTCOME_NEUTRAL, i);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	/* Neutral outcomes between failures neither count nor reset. */
	fail_n(&b, 1, 100);
	bc_breaker_record(&b, BC_OUTCOME_NEUTRAL, 101);
	fail_n(&b, 1, 102);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(t.n, 1);
}
END_TEST

START_TEST(classification)
{
	ck_assert_int_eq(bc_breaker_classify(BC_OK, 0), BC_OUTCOME_SUCCESS);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_CONNECT, 0),
			 BC_OUTCOME_FAILURE);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_TIMEOUT, 0),
			 BC_OUTCOME_FAILURE);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_SERVER, 100),
			 BC_OUTCOME_FAILURE);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_SERVER, 199),
			 BC_OUTCOME_FAILURE);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_HANDSHAKE, 101),
			 BC_OUTCOME_FAILURE);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_HANDSHAKE, 0),
			 BC_OUTCOME_FAILURE);
	/* Client errors never trip it. */
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_SERVER, 1),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_SERVER, 99),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_SERVER, 200),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_HANDSHAKE, 6),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_INVALID, 0),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_TOO_LARGE, 0),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_CLOSED, 0),
			 BC_OUTCOME_NEUTRAL);
	ck_assert_int_eq(bc_breaker_classify(BC_ERR_BUFFER_FULL, 0),
			 BC_OUTCOME_NEUTRAL);
}
END_TEST

START_TEST(disabled_and_no_callback)
{
	struct breaker b;

	breaker_init(&b, BREAKER_CLOSED, 0, 100, NULL, NULL);
	fail_n(&b, 1000, 0);
	ck_assert_int_eq(b.state, BC_BREAKER_CLOSED);
	ck_assert_int_eq(breaker_allow(&b, 0), 1);
	/* no callback is fine */
	breaker_init(&b, BREAKER_CLOSED, 1, 0, NULL, NULL);
	fail_n(&b, 1, 7);
	ck_assert_int_eq(b.state, BC_BREAKER_OPEN);
	ck_assert_int_eq(breaker_allow(&b, 7), 1); /* zero cool-down */
	ck_assert_int_eq(b.state, BC_BREAKER_HALF_OPEN);
	ck_assert_str_eq(breaker_name(BC_BREAKER_CLOSED), "closed");
	ck_assert_str_eq(breaker_name(BC_BREAKER_OPEN), "open");
	ck_assert_str_eq(breaker_name(BC_BREAKER_HALF_OPEN), "half-open");
	ck_assert_str_eq(breaker_name(0), "?");
}
END_TEST

static Suite *breaker_suite(void)
{
	Suite *s = suite_create("breaker");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, opens_at_threshold);
	tcase_add_test(tc, threshold_one);
	tcase_add_test(tc, success_resets_count);
	tcase_add_test(tc, half_open_one_trial);
	tcase_add_test(tc, half_open_failure_reopens_fresh);
	tcase_add_test(tc, neutral_never_counts);
	tcase_add_test(tc, classification);
	tcase_add_test(tc, disabled_and_no_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(breaker_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
