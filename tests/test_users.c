/*
 * test_users.c - unit tests of the users file parser (users.h), the
 * brute-force table (authdelay.h), the password check the worker runs
 * (auth_worker_verify) and the loopback rule of the safe default
 * (auth_host_is_loopback).  Pure: no brokerd started.
 */
#include "config.h"

#include <check.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "acl.h"
#include "auth.h"
#include "auth_worker.h"
#include "authdelay.h"
#include "conf.h"
#include "harness.h"
#include "users.h"

/* Both of password "s3cret". */
#define H_Y                                             \
	"$y$j9T$eR1BNtZrwDxNC1sU1Y9EP0$EjGYSjyvFOdn1R." \
	"5UsHGtZ33v2g2KM/IsRoizgfOaHB"
#define H_6                                                   \
	"$6$abcdefgh12345678$lN8p3HxgOSmGJR.Kp2/V49Jg/2.tRM/" \
	"P8wgK.QfsfDnpqHVkJnn7V32fbrpFPye7EzhvayR0N7xwM7PBgVSe/0"

/* Parse text; the report goes to *report (caller frees). */
static struct users *parse(const char *text, const struct conf *c,
			   int *problems, char **report)
{
	size_t len = 0;
	FILE *errs = open_memstream(report, &len);
	struct users *u;

	ck_assert_ptr_nonnull(errs);
	u = users_parse(text, strlen(text), "u.txt", c, errs, problems);
	fclose(errs);
	return u;
}

/* text must be refused with a report holding want. */
static void refused(const char *text, const char *want)
{
	char *report = NULL;
	int problems = 0;
	struct users *u = parse(text, NULL, &problems, &report);

	ck_assert_msg(u == NULL, "accepted: %s", text);
	ck_assert_int_ge(problems, 1);
	ck_assert_msg(strstr(report, want) != NULL, "report '%s' lacks '%s'",
		      report, want);
	free(report);
}

START_TEST(good_file)
{
	const char *text = "# users\n"
			   "\n"
			   "user alice " H_Y "\n"
			   "user bob " H_6 " pool=tenant\n"
			   "allow alice all orders.>\n"
			   "deny  alice pub orders.secret\n"
			   "allow anonymous sub public.*   # comment\n"
			   "allow carol pub x\n"
			   "user carol " H_6 "\n";
	struct conf c;
	char *report = NULL, err[128];
	int problems = -1;
	struct users *u;
	struct user *a, *b, *anon;

	conf_defaults(&c);
	ck_assert_int_eq(conf_set(&c, "pool.tenant.max_connections", "5", err,
				  sizeof err),
			 0);
	u = parse(text, &c, &problems, &report);
	ck_assert_msg(u != NULL, "refused: %s", report);
	ck_assert_int_eq(problems, 0);
	ck_assert_uint_eq(u->n, 4); /* with anonymous */
	a = users_find(u, "alice", 5);
	b = users_find(u, "bob", 3);
	anon = users_find(u, "anonymous", 9);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(anon, u->anonymous);
	ck_assert_ptr_null(users_find(u, "alic", 4));
	ck_assert_ptr_null(users_find(u, "dave", 4));
	ck_assert_str_eq(a->hash, H_Y);
	ck_assert_str_eq(b->pool, "tenant");
	ck_assert_str_eq(a->pool, "");
	ck_assert_str_eq(anon->hash, "");
	ck_assert_int_eq(acl_may_pub(a->acl, "orders.new", 10), 1);
	ck_assert_int_eq(acl_may_pub(a->acl, "orders.secret", 13), 0);
	ck_assert_int_eq(acl_may_pub(b->acl, "orders.new", 10), 0);
	ck_assert_int_eq(acl_may_pub(anon->acl, "public.x", 8), 0);
	free(report);
	users_free(u);
}
END_TEST

START_TEST(bad_hashes)
{
	refused("user a $1$SNcVuNX1$YfVwt755BSQOXuFtojgRU.\n",
		"u.txt:1: user 'a': unsupported hash");
	refused("user a $2b$12$Sod4z2FdBWNOwviDpVLQ7ejFNSf.mQtv8BpU6T7qNaUD"
		"amJCrp9Wu\n",
		"unsupported hash");
	refused("user a abJnggxhB/yWI\n", "unsupported hash");
	refused("user a $6$salt\n", "malformed hash");
	refused("user a $6$salt$\n", "malformed hash");
	refused("user a $y$j9T$abc$def$ghi\n", "malformed hash");
	refused("user a $6$s%lt$xyz\n", "characters crypt(3) never writes");
}
END_TEST

START_TEST(bad_lines)
{
	char longline[USERS_MAX_LINE + 10];

	refused("\n\nallow nobody pub x\n", "u.txt:3: unknown user 'nobody'");
	refused("user a " H_6 "\nallow a publish x\n",
		"u.txt:2: 'publish': expected pub, sub or all");
	refused("user a " H_6 "\nallow a pub x..y\n",
		"'x..y' is not a valid pattern");
	refused("user a " H_6 "\nallow a pub\n", "expected: allow USER");
	refused("user anonymous " H_6 "\n", "'anonymous' is reserved");
	refused("user a " H_6 "\nuser a " H_Y "\n",
		"u.txt:2: user 'a' declared twice");
	refused("frobnicate a\n", "'frobnicate': expected user, allow or deny");
	refused("user \x01x " H_6 "\n", "not a valid user name");
	refused("user a " H_6 " pool=\n", "expected pool=NAME");
	refused("user a " H_6 " tenant\n", "expected pool=NAME");
	refused("user a " H_6 " pool=x extra\n", "expected: user NAME HASH");
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = 0;
	refused(longline, "u.txt:1: line longer than");
}
END_TEST

/* A NUL inside the buffer (strlen would stop there: given by length). */
START_TEST(nul_byte_by_length)
{
	static const char text[] = "user a\0b x\n";
	int problems = 0;
	struct users *u = users_parse(text, sizeof text - 1, "u", NULL, NULL,
				      &problems);

	ck_assert_ptr_null(u);
	ck_assert_int_eq(problems, 1);
}
END_TEST

START_TEST(pool_must_exist)
{
	struct conf c;
	char *report = NULL;
	int problems = 0;

	conf_defaults(&c);
	ck_assert_ptr_null(
		parse("user a " H_6 " pool=ghost\n", &c, &problems, &report));
	ck_assert_ptr_nonnull(strstr(report, "pool 'ghost' is not defined"));
	free(report);
	report = NULL;
	struct users *u = parse("user a " H_6 " pool=default\n", &c, &problems,
				&report);
	ck_assert_ptr_nonnull(u);
	users_free(u);
	free(report);
}
END_TEST

/* A record a connection holds outlives its table. */
START_TEST(references)
{
	int problems = 0;
	const char *text = "user a " H_6 "\nallow a pub x\n";
	struct users *u = users_parse(text, strlen(text), "u", NULL, NULL,
				      &problems);
	struct user *a;

	ck_assert_ptr_nonnull(u);
	a = user_ref(users_find(u, "a", 1));
	users_free(u);
	ck_assert_str_eq(a->name, "a");
	ck_assert_int_eq(acl_may_pub(a->acl, "x", 1), 1);
	user_unref(a);
	user_unref(NULL);
	users_free(NULL);
}
END_TEST

START_TEST(verify_hashes)
{
	struct crypt_data *d = calloc(1, sizeof *d);

	ck_assert_int_eq(auth_worker_verify(H_Y, "s3cret", d), 1);
	ck_assert_int_eq(auth_worker_verify(H_6, "s3cret", d), 1);
	ck_assert_int_eq(auth_worker_verify(H_Y, "s3cret ", d), 0);
	ck_assert_int_eq(auth_worker_verify(H_6, "", d), 0);
	ck_assert_int_eq(auth_worker_verify("$6$x", "s3cret", d), 0);
	free(d);
}
END_TEST

START_TEST(delay_grows_per_address)
{
	struct authdelay *d = authdelay_new();
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };
	uint32_t prev = 0, ms = 0;

	ck_assert_ptr_nonnull(d);
	for (int i = 0; i < 10; i++) {
		ms = authdelay_fail(d, a, AF_INET, 1000 + (uint64_t)i);
		ck_assert_uint_ge(ms, prev);
		prev = ms;
	}
	ck_assert_uint_eq(authdelay_fail(d, a, AF_INET, 2000),
			  AUTHDELAY_MAX_MS);
	/* another address starts from the bottom */
	ck_assert_uint_eq(authdelay_fail(d, b, AF_INET, 2000),
			  AUTHDELAY_BASE_MS);
	ck_assert_uint_eq(authdelay_fail(d, b, AF_INET, 2001),
			  2 * AUTHDELAY_BASE_MS);
	/* suspect while remembered; an address that never failed is not */
	uint8_t c[16] = { 10, 0, 0, 3 };
	ck_assert(authdelay_suspect(d, a, AF_INET, 2001));
	ck_assert(!authdelay_suspect(d, c, AF_INET, 2001));
	ck_assert(!authdelay_suspect(d, a, AF_INET,
				     2000 + AUTHDELAY_FORGET_MS + 1));
	/* forgotten after a quiet minute */
	ck_assert_uint_eq(
		authdelay_fail(d, a, AF_INET, 2000 + AUTHDELAY_FORGET_MS + 1),
		AUTHDELAY_BASE_MS);
	authdelay_free(d);
}
END_TEST

/* Many addresses: bounded, and a live one is not lost to one flood. */
START_TEST(delay_table_bounded)
{
	struct authdelay *d = authdelay_new();
	uint8_t ip[16] = { 0 };

	for (uint32_t i = 0; i < 5 * AUTHDELAY_SLOTS; i++) {
		memcpy(ip, &i, sizeof i);
		ck_assert_uint_eq(authdelay_fail(d, ip, AF_INET6, 5),
				  AUTHDELAY_BASE_MS);
	}
	authdelay_free(d);
}
END_TEST

START_TEST(loopback)
{
	ck_assert_int_eq(auth_host_is_loopback("127.0.0.1"), 1);
	ck_assert_int_eq(auth_host_is_loopback("127.1.2.3"), 1);
	ck_assert_int_eq(auth_host_is_loopback("::1"), 1);
	ck_assert_int_eq(auth_host_is_loopback("localhost"), 1);
	ck_assert_int_eq(auth_host_is_loopback(""), 0);
	ck_assert_int_eq(auth_host_is_loopback("0.0.0.0"), 0);
	ck_assert_int_eq(auth_host_is_loopback("::"), 0);
	ck_assert_int_eq(auth_host_is_loopback("10.1.2.3"), 0);
	ck_assert_int_eq(auth_host_is_loopback("example.org"), 0);
}
END_TEST

static Suite *users_suite(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, good_file);
	tcase_add_test(tc, bad_hashes);
	tcase_add_test(tc, bad_lines);
	tcase_add_test(tc, nul_byte_by_length);
	tcase_add_test(tc, pool_must_exist);
	tcase_add_test(tc, references);
	tcase_add_test(tc, verify_hashes);
	tcase_add_test(tc, delay_grows_per_address);
	tcase_add_test(tc, delay_table_bounded);
	tcase_add_test(tc, loopback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(users_suite());
}
