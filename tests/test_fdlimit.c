/* test_fdlimit.c - max_clients settled against the fd limit (fdlimit.h),
 * a pure function, on its own. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdlimit.h"

static enum fdlimit_verdict settle(uint64_t fds, uint32_t *mc, char *why,
				   size_t n)
{
	struct fdlimit fl = { .soft = fds, .before = fds };

	return fdlimit_settle(&fl, mc, why, n);
}

START_TEST(unset_takes_limit_minus_reserve)
{
	char why[200];
	uint32_t mc = 0;

	ck_assert_int_eq(settle(65536, &mc, why, sizeof why), FDLIMIT_AUTO);
	ck_assert_uint_eq(mc, 65536 - FDLIMIT_RESERVE);
	ck_assert_str_eq(why, "max_clients 65472 (fd limit 65536 minus 64 "
			      "reserved)");
}
END_TEST

START_TEST(small_limit_keeps_a_quarter)
{
	char why[200];
	uint32_t mc = 0;

	settle(40, &mc, why, sizeof why);
	ck_assert_uint_eq(mc, 30);
	mc = 0;
	settle(1, &mc, why, sizeof why);
	ck_assert_uint_eq(mc, 1); /* never 0: that would refuse all */
}
END_TEST

START_TEST(huge_limit_capped)
{
	char why[200];
	uint32_t mc = 0;

	settle(UINT64_C(1) << 30, &mc, why, sizeof why);
	ck_assert_uint_eq(mc, FDLIMIT_MAX_CLIENTS);
}
END_TEST

START_TEST(explicit_fits_or_is_lowered)
{
	char why[200];
	uint32_t mc = 500;

	ck_assert_int_eq(settle(1024, &mc, why, sizeof why), FDLIMIT_AS_SET);
	ck_assert_uint_eq(mc, 500);
	mc = 5000;
	ck_assert_int_eq(settle(1024, &mc, why, sizeof why), FDLIMIT_LOWERED);
	ck_assert_uint_eq(mc, 960);
	ck_assert_msg(strstr(why, "lowered from the configured 5000"), "%s",
		      why);
}
END_TEST

static Suite *fdlimit_suite(void)
{
	Suite *s = suite_create("fdlimit");
	TCase *tc = tcase_create("settle");

	tcase_add_test(tc, unset_takes_limit_minus_reserve);
	tcase_add_test(tc, small_limit_keeps_a_quarter);
	tcase_add_test(tc, huge_limit_capped);
	tcase_add_test(tc, explicit_fits_or_is_lowered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fdlimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
