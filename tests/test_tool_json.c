/*
 * test_tool_json.c - the tools' JSON code alone: broker-stat's reader of
 * the $SYS.REQ.STATS answer (tool_stats.c) on good and malformed text, and
 * the writer broker-sub's --json uses (tool_json.c) on awkward bytes.
 * The integration tests in test_tools.c feed the tools' output to a real
 * JSON parser; these pin the edge cases.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tool_json.h"
#include "tool_stats.h"

static struct tool_stats st;

static int parse(const char *text, char *why, size_t cap)
{
	return tool_stats_parse(text, strlen(text), &st, why, cap);
}

START_TEST(stats_good)
{
	const char *text =
		" {\"version\": [1, 2.5e3, {\"x\": null}],\n"
		"  \"broker\": {\"published\": 12, \"dropped\": 0,"
		" \"ratio\": -1.75, \"up\": true, \"s\": "
		"\"a\\\"\\u00e9\\ud83d\\ude00\","
		" \"nested\": {\"deep\": [1]}, \"big\": 9007199254740993},"
		"  \"pools\": {\"default\": {\"name\": \"default\", "
		"\"delivered\": 7, \"retired\": false}, \"b\\u0041\": {}}} ";
	char why[128] = "";
	int found;

	ck_assert_msg(parse(text, why, sizeof why) == 0, "%s", why);
	ck_assert_int_eq(tool_stats_get(&st.broker, "published", &found), 12);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(tool_stats_get(&st.broker, "ratio", NULL), -1);
	ck_assert_int_eq(tool_stats_get(&st.broker, "up", NULL), 1);
	ck_assert_int_eq(tool_stats_get(&st.broker, "big", NULL),
			 9007199254740993LL);
	tool_stats_get(&st.broker, "s", &found);
	ck_assert_int_eq(found, 0); /* strings are not counters */
	tool_stats_get(&st.broker, "nested", &found);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(st.npools, 2);
	ck_assert_str_eq(st.pools[0].name, "default");
	ck_assert_int_eq(tool_stats_get(&st.pools[0], "delivered", NULL), 7);
	ck_assert_int_eq(tool_stats_get(&st.pools[0], "retired", &found), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(st.pools[1].name, "bA");
}
END_TEST

START_TEST(stats_malformed)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",				   /* no broker */
		"{\"broker\": 1}",		   /* not an object */
		"{\"broker\": {}, \"pools\": []}", /* pools not an object */
		"{\"broker\": {}, \"pools\": {\"a\": 1}}",
		"{\"broker\": {\"a\": 1,}}", /* trailing comma */
		"{\"broker\": {\"a\" 1}}",   /* no colon */
		"{\"broker\": {\"a\": 01}}", /* leading zero */
		"{\"broker\": {\"a\": 1.}}",
		"{\"broker\": {\"a\": -}}",
		"{\"broker\": {\"a\": tru}}",
		"{\"broker\": {\"a\": \"x\\q\"}}", /* bad escape */
		"{\"broker\": {\"a\": \"\\u12g4\"}}",
		"{\"broker\": {\"a\": \"\x01\"}}", /* raw control character */
		"{\"broker\": {\"a\": \"open}}",
		"{\"broker\": {}} x", /* trailing text */
		"{\"broker\": {}}{}",
		"{\"broker\": {\"a\": [1, 2}}",
		"{\"broker\": {\"a\": 1}", /* unterminated */
		"{\"broker\": {\"a\": \"\\ud800\\u0041\"}}",
	};
	char why[128];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = 0;
		ck_assert_msg(parse(bad[i], why, sizeof why) == -1, "took '%s'",
			      bad[i]);
		ck_assert_msg(strstr(why, " at byte ") != NULL, "'%s': '%s'",
			      bad[i], why);
	}
}
END_TEST

/* 40 nested arrays: past TOOL_STATS_MAX_DEPTH, refused, not a crash. */
START_TEST(stats_too_deep)
{
	char text[256], why[128];
	int n = 0;

	n += snprintf(text + n, sizeof text - n, "{\"broker\": {}, \"x\": ");
	for (int i = 0; i < 40; i++)
		text[n++] = '[';
	for (int i = 0; i < 40; i++)
		text[n++] = ']';
	snprintf(text + n, sizeof text - n, "}");
	ck_assert_int_eq(parse(text, why, sizeof why), -1);
	ck_assert_msg(strstr(why, "nested too deeply") != NULL, "%s", why);
}
END_TEST

/* A string written by tool_json_string into a buffer. */
static const char *json_string(const void *p, size_t n)
{
	static char out[1024];
	FILE *f;

	memset(out, 0, sizeof out);
	f = fmemopen(out, sizeof out, "w");
	ck_assert_ptr_nonnull(f);
	tool_json_string(f, p, n);
	fclose(f);
	return out;
}

START_TEST(json_string_escapes)
{
	ck_assert_str_eq(json_string("a\"b\\c\n\t\r\b\f", 10),
			 "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\"");
	ck_assert_str_eq(json_string("\x00\x01\x1f\x7f", 4),
			 "\"\\u0000\\u0001\\u001f\\u007f\"");
	ck_assert_str_eq(json_string("\xc3\xa9", 2), "\"\xc3\xa9\"");
	/* Invalid UTF-8: a lone continuation byte, an overlong '/', a
	 * surrogate, a truncated sequence; each bad byte is U+FFFD. */
	ck_assert_str_eq(json_string("\x80"
				     "a",
				     2),
			 "\"\\ufffda\"");
	ck_assert_str_eq(json_string("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_string("\xed\xa0\x80", 3),
			 "\"\\ufffd\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_string("\xe2\x82", 2), "\"\\ufffd\\ufffd\"");
}
END_TEST

START_TEST(json_utf8_check)
{
	ck_assert_int_eq(tool_json_utf8_ok("", 0), 1);
	ck_assert_int_eq(tool_json_utf8_ok("\xf0\x9f\x98\x80", 4), 1);
	ck_assert_int_eq(tool_json_utf8_ok("\xf4\x8f\xbf\xbf", 4), 1);
	ck_assert_int_eq(tool_json_utf8_ok("\xf4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(tool_json_utf8_ok("\xe0\x80\xaf", 3), 0);
	ck_assert_int_eq(tool_json_utf8_ok("\xed\xbf\xbf", 3), 0);
	ck_assert_int_eq(tool_json_utf8_ok("a\xff", 2), 0);
	ck_assert_int_eq(tool_json_utf8_ok("\0", 1), 1);
}
END_TEST

/* RFC 4648's test vectors. */
START_TEST(json_base64_vectors)
{
	static const char *const in[] = { "",	  "f",	   "fo",    "foo",
					  "foob", "fooba", "foobar" };
	static const char *const out[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	char buf[32];

	for (int i = 0; i < 7; i++) {
		FILE *f;

		memset(buf, 0, sizeof buf);
		f = fmemopen(buf, sizeof buf, "w");
		ck_assert_ptr_nonnull(f);
		tool_json_base64(f, in[i], strlen(in[i]));
		fclose(f);
		ck_assert_str_eq(buf, out[i]);
	}
}
END_TEST

static Suite *tool_json_suite(void)
{
	Suite *s = suite_create("tool_json");
	TCase *tc = tcase_create("tool_json");

	tcase_add_test(tc, stats_good);
	tcase_add_test(tc, stats_malformed);
	tcase_add_test(tc, stats_too_deep);
	tcase_add_test(tc, json_string_escapes);
	tcase_add_test(tc, json_utf8_check);
	tcase_add_test(tc, json_base64_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(tool_json_suite());
}
