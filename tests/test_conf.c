/*
 * test_conf.c - unit tests of brokerd's config value parsing
 * (broker/conf_value.c) through both of its users, conf_set (top-level
 * keys) and the pool.NAME.KEY lines: the values each kind takes, the
 * error text for each kind of mistake, and issue #13 (conf/brokerd.conf
 * documents sizes up to 1T, which must be accepted; overflow must not).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "conf.h"
#include "conf_value.h"
#include "harness.h"
#include "proto.h"

#define TiB (UINT64_C(1) << 40)

START_TEST(size_suffixes)
{
	uint64_t v;

	ck_assert_int_eq(conf_parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512);
	ck_assert_int_eq(conf_parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 64 * 1024);
	ck_assert_int_eq(conf_parse_size("16M", &v), 0);
	ck_assert_uint_eq(v, 16 * 1024 * 1024);
	ck_assert_int_eq(conf_parse_size("1G", &v), 0);
	ck_assert_uint_eq(v, UINT64_C(1) << 30);
	ck_assert_int_eq(conf_parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, TiB);
	ck_assert_int_eq(conf_parse_size("3t", &v), 0);
	ck_assert_uint_eq(v, 3 * TiB);
}
END_TEST

/* 2^24 T is 2^64: the largest that fits is one less. */
START_TEST(size_overflow_and_junk)
{
	uint64_t v = 7;

	ck_assert_int_eq(conf_parse_size("16777215T", &v), 0);
	ck_assert_uint_eq(v, (UINT64_C(16777215)) << 40);
	ck_assert_int_eq(conf_parse_size("16777216T", &v), -1);
	ck_assert_int_eq(conf_parse_size("18446744073709551616", &v), -1);
	ck_assert_int_eq(conf_parse_size("1P", &v), -1);
	ck_assert_int_eq(conf_parse_size("1TB", &v), -1);
	ck_assert_int_eq(conf_parse_size("T", &v), -1);
	ck_assert_int_eq(conf_parse_size("-1k", &v), -1);
	ck_assert_int_eq(conf_parse_size("", &v), -1);
}
END_TEST

/* conf_set on c (defaults), expecting success. */
static void set_ok(struct conf *c, const char *key, const char *value)
{
	char err[200] = "";

	ck_assert_msg(conf_set(c, key, value, err, sizeof err) == 0,
		      "%s %s: %s", key, value, err);
}

/* conf_set on c, expecting exactly the message want. */
static void set_bad(struct conf *c, const char *key, const char *value,
		    const char *want)
{
	char err[200] = "";

	ck_assert_int_eq(conf_set(c, key, value, err, sizeof err), -1);
	ck_assert_str_eq(err, want);
}

/* Issue #14: the monitor is off by default, a bare port is loopback, an
 * address is taken as given, and it is TCP only. */
START_TEST(monitor_values)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_uint_eq(c.monitor.port, 0);
	set_ok(&c, "monitor", "8222");
	ck_assert_str_eq(c.monitor.host, "127.0.0.1");
	ck_assert_uint_eq(c.monitor.port, 8222);
	set_ok(&c, "monitor", "[::1]:9000");
	ck_assert_str_eq(c.monitor.host, "::1");
	ck_assert_uint_eq(c.monitor.port, 9000);
	set_ok(&c, "monitor", "*:9001");
	ck_assert_str_eq(c.monitor.host, "");
	set_ok(&c, "monitor", "off");
	ck_assert_uint_eq(c.monitor.port, 0);
	set_bad(&c, "monitor", "unix:/tmp/m",
		"the monitor listens on TCP only");
	set_bad(&c, "monitor", "70000",
		"'70000': expected PORT (1..65535), "
		"ADDR:PORT or off");
	ck_assert_uint_eq(c.monitor.port, 0);
}
END_TEST

/* Issue #15: engine addresses are nats:// or tls:// HOST:PORT, comma
 * separated; a brokerd built without libnats refuses the key. */
START_TEST(engine_values)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_str_eq(c.engine, "");
#ifdef HAVE_NATS
	set_ok(&c, "engine", "nats://127.0.0.1:4222,tls://n2.example:4222");
	ck_assert_str_eq(c.engine,
			 "nats://127.0.0.1:4222,tls://n2.example:4222");
	set_bad(&c, "engine", "nats://h:4222,http://h:80",
		"'http://h:80': expected nats://HOST:PORT "
		"(or tls://HOST:PORT), comma-separated");
	set_bad(&c, "engine", "nats://h:",
		"'nats://h:': expected nats://HOST:PORT "
		"(or tls://HOST:PORT), comma-separated");
	set_bad(&c, "engine", "nats://h:42x",
		"'nats://h:42x': expected nats://HOST:PORT "
		"(or tls://HOST:PORT), comma-separated");
	ck_assert_str_eq(c.engine,
			 "nats://127.0.0.1:4222,tls://n2.example:4222");
#else
	set_bad(&c, "engine", "nats://127.0.0.1:4222",
		"this brokerd was built without NATS federation "
		"(configure --with-nats, libnats-dev)");
#endif
	set_ok(&c, "engine_max_pending", "1M");
	ck_assert_uint_eq(c.engine_max_pending, 1024 * 1024);
	set_ok(&c, "engine_breaker_cooldown", "250ms");
	ck_assert_uint_eq(c.engine_breaker_cooldown_ms, 250);
}
END_TEST

/* Issue #12: the share of a CPU wrong passwords may take, 1..100. */
START_TEST(failed_login_cpu_range)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_uint_eq(c.failed_login_cpu, FAILED_LOGIN_CPU_DEFAULT);
	set_ok(&c, "failed_login_cpu", "100");
	ck_assert_uint_eq(c.failed_login_cpu, 100);
	set_bad(&c, "failed_login_cpu", "0", "0 out of range (1..100)");
	set_bad(&c, "failed_login_cpu", "101", "101 out of range (1..100)");
	ck_assert_uint_eq(c.failed_login_cpu, 100);
}
END_TEST

/* Issue #13: the documented upper bound of max_outbound is 1T. */
START_TEST(one_tebibyte_accepted)
{
	struct conf c;
	struct conf_pool p;

	conf_defaults(&c);
	set_ok(&c, "max_outbound", "1T");
	ck_assert_uint_eq(c.max_outbound, TiB);
	set_ok(&c, "pool.big.max_outbound_total", "1T");
	set_ok(&c, "pool.big.max_outbound", "1t");
	conf_pool_resolve(&c, "big", &p);
	ck_assert_uint_eq(p.max_outbound_total, TiB);
	ck_assert_uint_eq(p.max_outbound, TiB);
	set_bad(&c, "max_outbound", "2T",
		"2T out of range (1024..1099511627776 bytes)");
	set_bad(&c, "pool.big.max_outbound", "2T",
		"2T out of range (1024..1099511627776)");
	set_bad(&c, "max_outbound", "16777216T",
		"'16777216T' is not a size (e.g. 512, 64k, 16M)");
	ck_assert_uint_eq(c.max_outbound, TiB); /* untouched by errors */
}
END_TEST

/* Every kind of value, through the table each belongs to. */
START_TEST(kinds_and_messages)
{
	struct conf c;
	struct conf_pool p;

	conf_defaults(&c);
	set_ok(&c, "port", "8080");
	ck_assert_uint_eq(c.port, 8080);
	set_ok(&c, "ping_interval", "0");
	ck_assert_uint_eq(c.ping_interval_ms, 0);
	set_ok(&c, "frame_timeout", "2m");
	ck_assert_uint_eq(c.frame_timeout_ms, 120000);
	set_ok(&c, "daemon", "on");
	ck_assert_int_eq(c.daemon, 1);
	set_ok(&c, "log_level", "debug");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	set_ok(&c, "log_dest", "syslog");
	ck_assert_int_eq(c.log_dest, CONF_LOG_SYSLOG);
	set_ok(&c, "log_facility", "local3");
	ck_assert_int_eq(c.log_facility, LOG_LOCAL3);
	set_ok(&c, "pool.p.policy", "disconnect");
	set_ok(&c, "pool.p.max_subs", "7");
	conf_pool_resolve(&c, "p", &p);
	ck_assert_uint_eq(p.policy, PROTO_POLICY_DISCONNECT);
	ck_assert_uint_eq(p.max_subs, 7);

	set_bad(&c, "port", "80x", "'80x' is not a number");
	set_bad(&c, "port", "0", "0 out of range (1..65535)");
	set_bad(&c, "sys_interval", "5ms",
		"5ms out of range (0 or 100..86400000 ms)");
	set_bad(&c, "drain_timeout", "5y",
		"'5y' is not a duration (e.g. 500ms, 10s, 2m)");
	set_bad(&c, "daemon", "maybe", "'maybe' is not yes or no");
	set_bad(&c, "log_level", "loud",
		"'loud' is not one of error, "
		"warning, notice, info, debug");
	set_bad(&c, "log_dest", "file", "'file' is not stderr or syslog");
	set_bad(&c, "log_facility", "kern",
		"'kern' is not daemon, user or local0..local7");
	set_bad(&c, "pool.p.policy", "drop",
		"'drop' is not one of "
		"drop-oldest, drop-newest, disconnect, block");
	set_bad(&c, "pool.p.max_subs", "0", "0 out of range (1..10000000)");
	set_bad(&c, "pool.p.nope", "1", "unknown pool setting 'nope'");
	set_bad(&c, "wibble", "1", "unknown key");
	set_bad(&c, "port", "1 2", "value must be one word");
}
END_TEST

/* "tls" and "pool=NAME" after a listen address, in either order; the
 * tls_* keys. */
START_TEST(listen_tls_and_tls_keys)
{
	struct conf c;

	conf_defaults(&c);
	set_ok(&c, "listen", "127.0.0.1:7655 tls");
	set_ok(&c, "listen", "[::1]:7656 tls pool=default");
	set_ok(&c, "listen", "127.0.0.1:7654 pool=default");
	ck_assert_uint_eq(c.nlisten, 3);
	ck_assert_int_eq(c.listen[0].tls, 1);
	ck_assert_int_eq(c.listen[1].tls, 1);
	ck_assert_str_eq(c.listen[1].pool, "default");
	ck_assert_int_eq(c.listen[2].tls, 0);
	set_ok(&c, "tls_cert_file", "/etc/s.crt");
	ck_assert_str_eq(c.tls_cert_file, "/etc/s.crt");
	set_ok(&c, "tls_client_cert", "required");
	ck_assert_int_eq(c.tls_client_cert, CONF_TLS_CLIENT_REQUIRED);
	set_ok(&c, "tls_client_cert", "optional");
	ck_assert_int_eq(c.tls_client_cert, CONF_TLS_CLIENT_OPTIONAL);
	set_bad(&c, "tls_client_cert", "maybe",
		"'maybe' is not none, optional or required");
	set_bad(&c, "listen", "127.0.0.1:1 tls pool=a tls",
		"expected ADDR:PORT [pool=NAME] [tls]");
	set_bad(&c, "listen", "127.0.0.1:1 ssl",
		"'ssl': expected pool=NAME or tls");
	ck_assert_uint_eq(c.nlisten, 3);
}
END_TEST

/* A bad value for a new pool does not create the pool. */
START_TEST(bad_pool_value_makes_no_pool)
{
	struct conf c;

	conf_defaults(&c);
	set_bad(&c, "pool.ghost.max_subs", "lots", "'lots' is not a number");
	ck_assert_int_lt(conf_pool_index(&c.pools, "ghost"), 0);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("values");

	tcase_add_test(tc, size_suffixes);
	tcase_add_test(tc, size_overflow_and_junk);
	tcase_add_test(tc, one_tebibyte_accepted);
	tcase_add_test(tc, kinds_and_messages);
	tcase_add_test(tc, bad_pool_value_makes_no_pool);
	tcase_add_test(tc, listen_tls_and_tls_keys);
	tcase_add_test(tc, monitor_values);
	tcase_add_test(tc, engine_values);
	tcase_add_test(tc, failed_login_cpu_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(conf_suite());
}
