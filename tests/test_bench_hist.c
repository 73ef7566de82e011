/*
 * test_bench_hist.c - unit tests for broker-bench's latency histogram
 * (client/bench_hist.h): empty histogram, exact small values, percentiles
 * of known distributions checked against the exact order statistics of a
 * sorted copy (the relative error bound), min/max/mean, saturation,
 * merge and reset.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench_hist.h"

#define NVALS 200000

static const double pcts[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99 };

/* Deterministic generator (64-bit LCG, top 53 bits), uniform in [0, 1). */
static double uniform01(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / 9007199254740992.0;
}

static struct bench_hist *new_hist(void)
{
	struct bench_hist *h = bench_hist_new();

	ck_assert_ptr_nonnull(h);
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Exact order statistic: the value at rank ceil(p/100 * n) of sorted v. */
static uint64_t exact_pct(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n - 1e-9);

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

/* Record v[0..n) into h, sort v and check every percentile in pcts
 * against the exact one, plus min, max and count. */
static void check_against_sorted(struct bench_hist *h, uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bench_hist_record(h, v[i]);
	qsort(v, n, sizeof *v, cmp_u64);
	ck_assert_uint_eq(bench_hist_count(h), n);
	ck_assert_uint_eq(bench_hist_min(h), v[0]);
	ck_assert_uint_eq(bench_hist_max(h), v[n - 1]);
	ck_assert_uint_eq(bench_hist_percentile(h, 0), v[0]);
	ck_assert_uint_eq(bench_hist_percentile(h, 100), v[n - 1]);
	for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
		double want = (double)exact_pct(v, n, pcts[i]);
		double got = (double)bench_hist_percentile(h, pcts[i]);

		ck_assert_msg(fabs(got - want) <=
				      want * BENCH_HIST_REL_ERR + 0.5,
			      "p%g: got %.0f, want %.0f (+-%.3f%%)", pcts[i],
			      got, want, BENCH_HIST_REL_ERR * 100);
	}
}

START_TEST(test_empty)
{
	struct bench_hist *h = new_hist();

	ck_assert_uint_eq(bench_hist_count(h), 0);
	ck_assert_uint_eq(bench_hist_min(h), 0);
	ck_assert_uint_eq(bench_hist_max(h), 0);
	ck_assert_uint_eq(bench_hist_saturated(h), 0);
	ck_assert(bench_hist_mean(h) == 0.0);
	ck_assert_uint_eq(bench_hist_percentile(h, 0), 0);
	ck_assert_uint_eq(bench_hist_percentile(h, 50), 0);
	ck_assert_uint_eq(bench_hist_percentile(h, 100), 0);
	bench_hist_free(h);
	bench_hist_free(NULL);
}
END_TEST

/* Values below BENCH_HIST_SUB are counted exactly. */
START_TEST(test_small_exact)
{
	struct bench_hist *h = new_hist();

	for (uint64_t v = 1; v <= 100; v++)
		bench_hist_record(h, v);
	ck_assert_uint_eq(bench_hist_percentile(h, 1), 1);
	ck_assert_uint_eq(bench_hist_percentile(h, 50), 50);
	ck_assert_uint_eq(bench_hist_percentile(h, 90), 90);
	ck_assert_uint_eq(bench_hist_percentile(h, 99), 99);
	ck_assert_uint_eq(bench_hist_percentile(h, 99.5), 100);
	ck_assert(fabs(bench_hist_mean(h) - 50.5) < 1e-9);
	bench_hist_free(h);
}
END_TEST

/* Uniform 1 us .. 10 ms in ns. */
START_TEST(test_uniform)
{
	uint64_t *v = malloc(NVALS * sizeof *v), s = 1;
	struct bench_hist *h = new_hist();

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < NVALS; i++)
		v[i] = 1000 + (uint64_t)(uniform01(&s) * 9999000.0);
	check_against_sorted(h, v, NVALS);
	/* and the known answer for a uniform distribution, within 1 % */
	ck_assert(fabs((double)bench_hist_percentile(h, 50) - 5000500.0) <
		  50005.0);
	ck_assert(fabs(bench_hist_mean(h) - 5000500.0) < 50005.0);
	bench_hist_free(h);
	free(v);
}
END_TEST

/* Log-uniform over the whole documented range, 1 us .. 60 s: the relative
 * error bound has to hold in every power of two. */
START_TEST(test_log_uniform)
{
	uint64_t *v = malloc(NVALS * sizeof *v), s = 7;
	struct bench_hist *h = new_hist();

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < NVALS; i++)
		v[i] = (uint64_t)exp(log(1e3) +
				     uniform01(&s) * (log(60e9) - log(1e3)));
	check_against_sorted(h, v, NVALS);
	ck_assert_uint_eq(bench_hist_saturated(h), 0);
	bench_hist_free(h);
	free(v);
}
END_TEST

/* Exponential with mean 100 us, plus 0.1 % of 50 ms outliers: the
 * long-tail shape of real latencies. */
START_TEST(test_exponential_tail)
{
	uint64_t *v = malloc(NVALS * sizeof *v), s = 42;
	struct bench_hist *h = new_hist();
	double p50;

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < NVALS; i++)
		v[i] = i % 1000 == 999 ? 50000000u
				       : (uint64_t)(-log(1.0 - uniform01(&s)) *
						    100000.0);
	check_against_sorted(h, v, NVALS);
	p50 = (double)bench_hist_percentile(h, 50);
	/* median of Exp(mean 100 us) is 69.3 us (the outliers shift it
	 * by 0.1 %): within 3 % */
	ck_assert_msg(fabs(p50 - 69315.0) < 69315.0 * 0.03, "p50 %.0f", p50);
	/* the outliers' bucket, within the bound */
	ck_assert(fabs((double)bench_hist_percentile(h, 99.95) - 5e7) <=
		  5e7 * BENCH_HIST_REL_ERR);
	bench_hist_free(h);
	free(v);
}
END_TEST

/* Every single value from 0 to 2^36 (sampled): the bucket middle is within
 * the bound.  Two values at 0 keep min from clamping the answer. */
START_TEST(test_rel_error_each_value)
{
	struct bench_hist *h = new_hist();
	uint64_t s = 3;

	for (int i = 0; i < 20000; i++) {
		uint64_t v = (uint64_t)exp(uniform01(&s) * log(6.8e10));
		double got;

		bench_hist_reset(h);
		bench_hist_record(h, 0);
		bench_hist_record(h, v);
		bench_hist_record(h, BENCH_HIST_MAX);
		got = (double)bench_hist_percentile(h, 50);
		ck_assert_msg(fabs(got - (double)v) <=
				      (double)v * BENCH_HIST_REL_ERR + 0.5,
			      "value %llu reported as %.0f",
			      (unsigned long long)v, got);
	}
	bench_hist_free(h);
}
END_TEST

START_TEST(test_saturation)
{
	struct bench_hist *h = new_hist();

	bench_hist_record(h, 5);
	bench_hist_record(h, 100000000000ULL); /* 100 s */
	ck_assert_uint_eq(bench_hist_saturated(h), 1);
	ck_assert_uint_eq(bench_hist_max(h), 100000000000ULL);
	ck_assert_uint_eq(bench_hist_percentile(h, 100), 100000000000ULL);
	ck_assert_uint_eq(bench_hist_percentile(h, 50), 5);
	/* the top bucket holds it: p99 is near 2^36, not beyond max */
	ck_assert(bench_hist_percentile(h, 99) >=
		  (uint64_t)((double)BENCH_HIST_MAX *
			     (1 - 2 * BENCH_HIST_REL_ERR)));
	bench_hist_free(h);
}
END_TEST

START_TEST(test_merge)
{
	struct bench_hist *all = new_hist(), *a = new_hist(), *b = new_hist();
	struct bench_hist *empty = new_hist();
	uint64_t s = 11;

	for (int i = 0; i < 50000; i++) {
		uint64_t v = (uint64_t)(uniform01(&s) * 1e7);

		bench_hist_record(all, v);
		bench_hist_record(i % 3 ? a : b, v);
	}
	bench_hist_merge(a, empty); /* no-op */
	bench_hist_merge(empty, b); /* into an empty one */
	ck_assert_uint_eq(bench_hist_count(empty), bench_hist_count(b));
	ck_assert_uint_eq(bench_hist_min(empty), bench_hist_min(b));
	bench_hist_merge(a, b);
	ck_assert_uint_eq(bench_hist_count(a), 50000);
	ck_assert_uint_eq(bench_hist_min(a), bench_hist_min(all));
	ck_assert_uint_eq(bench_hist_max(a), bench_hist_max(all));
	ck_assert(fabs(bench_hist_mean(a) - bench_hist_mean(all)) < 1e-6);
	for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
		ck_assert_uint_eq(bench_hist_percentile(a, pcts[i]),
				  bench_hist_percentile(all, pcts[i]));
	bench_hist_free(all);
	bench_hist_free(a);
	bench_hist_free(b);
	bench_hist_free(empty);
}
END_TEST

START_TEST(test_reset)
{
	struct bench_hist *h = new_hist();

	bench_hist_record(h, 123456);
	bench_hist_reset(h);
	ck_assert_uint_eq(bench_hist_count(h), 0);
	ck_assert_uint_eq(bench_hist_max(h), 0);
	bench_hist_record(h, 7);
	ck_assert_uint_eq(bench_hist_min(h), 7);
	ck_assert_uint_eq(bench_hist_percentile(h, 50), 7);
	bench_hist_free(h);
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("bench_hist");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_small_exact);
	tcase_add_test(tc, test_uniform);
	tcase_add_test(tc, test_log_uniform);
	tcase_add_test(tc, test_exponential_tail);
	tcase_add_test(tc, test_rel_error_each_value);
	tcase_add_test(tc, test_saturation);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
