/*
 * test_client_api.c - libbrokerclient without a broker: argument checks,
 * error texts, option validation, local topic/pattern/queue checks, and
 * connect failures (nothing listening).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerclient.h"
#include "harness.h"

static void noop_msg(bc_client *c, const bc_msg *m, void *arg)
{
	(void)c;
	(void)m;
	(void)arg;
}

START_TEST(strerror_distinct)
{
	for (int i = BC_OK; i <= BC_ERR_TLS; i++) {
		const char *s = bc_strerror(i);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_gt((int)strlen(s), 0);
		ck_assert_str_ne(s, "unknown error");
		for (int j = BC_OK; j < i; j++)
			ck_assert_str_ne(s, bc_strerror(j));
	}
	ck_assert_str_eq(bc_strerror(-1), "unknown error");
	ck_assert_str_eq(bc_strerror(BC_ERR_TLS + 1), "unknown error");
	ck_assert_str_eq(bc_strerror(100000), "unknown error");
}
END_TEST

START_TEST(options_validate)
{
	bc_options *o = bc_options_new();

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bc_options_set_port(o, 0), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_port(o, 65536), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_port(o, -1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_port(o, 1), BC_OK);
	ck_assert_int_eq(bc_options_set_port(o, 65535), BC_OK);
	ck_assert_int_eq(bc_options_set_host(o, NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(o, ""), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(o, "localhost"), BC_OK);
	ck_assert_int_eq(bc_options_set_name(o, "has space"), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_name(o, ""), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_name(o, NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_name(o, "sensor-7"), BC_OK);
	ck_assert_int_eq(bc_options_set_timeout(o, -5), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_timeout(o, 0), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_timeout(o, 10), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, -1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_close_timeout(o, -1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_close_timeout(o, 100), BC_OK);
	ck_assert_int_eq(bc_options_set_max_outbuf(o, 10), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_max_outbuf(o, 1 << 20), BC_OK);
	ck_assert_int_eq(bc_options_set_error_cb(NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_notice_cb(NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_state_cb(NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_port(NULL, 80), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(NULL, "x"), BC_ERR_INVALID);
	/* Resilience options. */
	ck_assert_int_eq(bc_options_add_server(o, "h2", 7655), BC_OK);
	ck_assert_int_eq(bc_options_add_server(o, "", 7655), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_add_server(o, "h", 0), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_add_server(NULL, "h", 1), BC_ERR_INVALID);
	for (int i = 2; i < 16; i++)
		ck_assert_int_eq(bc_options_add_server(o, "h", 1), BC_OK);
	ck_assert_int_eq(bc_options_add_server(o, "h", 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_reconnect(o, 0), BC_OK);
	ck_assert_int_eq(bc_options_set_reconnect(o, 2), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_max_reconnect(o, -1), BC_OK);
	ck_assert_int_eq(bc_options_set_max_reconnect(o, -2), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_connect_retries(o, 3), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_retries(o, -5), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_backoff(o, 10, 100, 1.5), BC_OK);
	ck_assert_int_eq(bc_options_set_backoff(o, 0, 100, 2.0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_backoff(o, 100, 10, 2.0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_backoff(o, 10, 100, 0.5),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_jitter(o, 0.0), BC_OK);
	ck_assert_int_eq(bc_options_set_jitter(o, 1.5), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_offline_buffer(o, 0, 0), BC_OK);
	ck_assert_int_eq(bc_options_set_offline_buffer(NULL, 1, 1),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_breaker(o, 0, 1), BC_OK);
	ck_assert_int_eq(bc_options_set_breaker(o, -1, 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_breaker(o, 3, 0), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_breaker_cb(NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_breaker_state(NULL), 0);
	ck_assert_uint_eq(bc_buffered(NULL), 0);
	ck_assert_int_eq(bc_server(NULL, NULL, NULL), BC_ERR_INVALID);
	bc_options_free(o);
	bc_options_free(NULL);
}
END_TEST

/* bc_options_set_tls and bc_options_set_credentials check their
 * arguments; a CA file that does not load fails the connect with
 * BC_ERR_TLS and a reason naming the file. */
START_TEST(tls_and_credentials_validate)
{
	bc_options *o = bc_options_new();
	bc_client *c = NULL;
	char why[256], user[130];

	ck_assert_int_eq(bc_options_set_tls(NULL, NULL, NULL, NULL, 0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_tls(o, NULL, "c.pem", NULL, 0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_tls(o, NULL, NULL, "k.pem", 0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_tls(o, "", NULL, NULL, 0),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_tls(o, NULL, NULL, NULL, 8),
			 BC_ERR_INVALID);
	ck_assert_int_eq(
		bc_options_set_tls(o, NULL, "c.pem", "k.pem", BC_TLS_INSECURE),
		BC_OK);
	ck_assert_int_eq(bc_options_set_credentials(NULL, "u", "p"),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_credentials(o, "", "p"),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_credentials(o, "a b", "p"),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_credentials(o, "a\tb", "p"),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_credentials(o, "alice", NULL),
			 BC_ERR_INVALID);
	memset(user, 'u', sizeof user - 1);
	user[sizeof user - 1] = 0;
	ck_assert_int_eq(bc_options_set_credentials(o, user, "p"),
			 BC_ERR_INVALID);
	user[128] = 0;
	ck_assert_int_eq(bc_options_set_credentials(o, user, "p"), BC_OK);
	ck_assert_int_eq(bc_options_set_credentials(o, "alice", ""), BC_OK);
	ck_assert_int_eq(bc_options_set_credentials(o, NULL, NULL), BC_OK);

	ck_assert_int_eq(
		bc_options_set_tls(o, "/nonexistent/ca.pem", NULL, NULL, 0),
		BC_OK);
	ck_assert_int_eq(bc_connect_err(&c, o, why, sizeof why), BC_ERR_TLS);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(why, "/nonexistent/ca.pem") != NULL, "%s", why);
	bc_options_free(o);
}
END_TEST

START_TEST(null_handles)
{
	bc_msg *reply = (bc_msg *)&reply;
	uint32_t sid;

	ck_assert_int_eq(bc_connect(NULL, NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish(NULL, "a", "x", 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish_ex(NULL, "a", "x", 1, NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish_sync(NULL, "a", "x", 1, BC_TIMEOUT_DEFAULT),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_subscribe(NULL, "a", NULL, noop_msg, NULL, &sid),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_unsubscribe(NULL, 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_request(NULL, "a", "x", 1, 10, &reply),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_request_async(NULL, "a", "x", 1, 10, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_respond(NULL, NULL, "x", 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_flush(NULL, 10), BC_ERR_INVALID);
	ck_assert_int_eq(
		bc_subscribe_ex(NULL, "a", NULL, NULL, noop_msg, NULL, &sid),
		BC_ERR_INVALID);
	ck_assert_int_eq(bc_flush_async(NULL, 10, NULL, NULL), BC_ERR_INVALID);
	ck_assert_uint_eq(bc_outbuf_len(NULL), 0);
	ck_assert_int_eq(bc_options_set_drain_cb(NULL, NULL, NULL),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_run(NULL, 10), BC_ERR_INVALID);
	ck_assert_int_eq(bc_break(NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_state(NULL), 0);
	ck_assert_uint_eq(bc_max_payload(NULL), 0);
	ck_assert_int_eq(bc_last_error(NULL, NULL), 0);
	ck_assert_ptr_null(bc_msg_topic(NULL));
	ck_assert_ptr_null(bc_msg_data(NULL));
	ck_assert_ptr_null(bc_msg_reply_to(NULL));
	ck_assert_uint_eq(bc_msg_len(NULL), 0);
	ck_assert_uint_eq(bc_msg_sid(NULL), 0);
	ck_assert_ptr_null(bc_msg_dup(NULL));
	bc_msg_free(NULL);
	bc_close(NULL);
}
END_TEST

START_TEST(sub_options_validate)
{
	bc_sub_options *so = bc_sub_options_new();

	ck_assert_ptr_nonnull(so);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_DROP_OLDEST),
			 BC_OK);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_DISCONNECT),
			 BC_OK);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_DEFAULT),
			 BC_OK);
	ck_assert_int_eq(bc_sub_options_set_policy(so, BC_POLICY_BLOCK), BC_OK);
	ck_assert_int_eq(bc_sub_options_set_policy(so, 5), BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_policy(so, -1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(so, 1), BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(so, 0), BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(so, UINT64_MAX),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_max_bytes(so, 1024), BC_OK);
	ck_assert_int_eq(bc_sub_options_set_max_bytes(so, UINT64_MAX),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_policy(NULL, 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_max_msgs(NULL, 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_sub_options_set_max_bytes(NULL, 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_policy_parse("drop-oldest"), BC_POLICY_DROP_OLDEST);
	ck_assert_int_eq(bc_policy_parse("drop-newest"), BC_POLICY_DROP_NEWEST);
	ck_assert_int_eq(bc_policy_parse("disconnect"), BC_POLICY_DISCONNECT);
	ck_assert_int_eq(bc_policy_parse("drop"), -1);
	ck_assert_int_eq(bc_policy_parse(""), -1);
	ck_assert_int_eq(bc_policy_parse(NULL), -1);
	bc_sub_options_free(so);
	bc_sub_options_free(NULL);
}
END_TEST

START_TEST(check_syntax)
{
	static const char *const good_topics[] = { "a", "a.b", "sensors.k-1.t",
						   "_INBOX.x.1" };
	static const char *const bad_topics[] = {
		"", "a..b", ".a", "a.", "a.*", "a.>", "a b", "a\tb"
	};
	static const char *const good_pats[] = { "a",	"a.*", "*.b",
						 "a.>", ">",   "*.*.>" };
	static const char *const bad_pats[] = { "",   "a..b", "a.>.b",
						"a*", "a.b>", "a. b" };

	for (size_t i = 0; i < sizeof good_topics / sizeof *good_topics; i++)
		ck_assert_int_eq(bc_check_topic(good_topics[i]), BC_OK);
	for (size_t i = 0; i < sizeof bad_topics / sizeof *bad_topics; i++)
		ck_assert_int_eq(bc_check_topic(bad_topics[i]), BC_ERR_INVALID);
	for (size_t i = 0; i < sizeof good_pats / sizeof *good_pats; i++)
		ck_assert_int_eq(bc_check_pattern(good_pats[i]), BC_OK);
	for (size_t i = 0; i < sizeof bad_pats / sizeof *bad_pats; i++)
		ck_assert_int_eq(bc_check_pattern(bad_pats[i]), BC_ERR_INVALID);
	ck_assert_int_eq(bc_check_topic(NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_check_pattern(NULL), BC_ERR_INVALID);
}
END_TEST

struct err_seen {
	int calls;
	int err;
	char reason[256];
};

static void record_err(bc_client *c, int err, int code, const char *reason,
		       void *arg)
{
	struct err_seen *e = arg;

	(void)c;
	(void)code;
	e->calls++;
	e->err = err;
	strncpy(e->reason, reason, sizeof e->reason - 1);
}

/* A port where nothing listens (free a moment ago). */
static bc_options *dead_port_options(struct err_seen *e)
{
	bc_options *o = bc_options_new();

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bc_options_set_port(o, harness_free_port()), BC_OK);
	ck_assert_int_eq(bc_options_set_error_cb(o, record_err, e), BC_OK);
	return o;
}

START_TEST(connect_refused)
{
	struct err_seen e = { 0, 0, "" };
	bc_options *o = dead_port_options(&e);
	bc_client *c = (bc_client *)&c;

	ck_assert_int_eq(bc_connect(&c, o), BC_ERR_CONNECT);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.calls, 1);
	ck_assert_int_eq(e.err, BC_ERR_CONNECT);
	ck_assert_msg(strstr(e.reason, "refused"), "reason '%s'", e.reason);
	bc_options_free(o);
}
END_TEST

/* "localhost" may resolve to ::1 and 127.0.0.1 (from /etc/hosts, no
 * DNS): every address is tried, then one error is reported. */
START_TEST(connect_localhost_all_addresses)
{
	struct err_seen e = { 0, 0, "" };
	bc_options *o = dead_port_options(&e);
	bc_client *c = NULL;

	ck_assert_int_eq(bc_options_set_host(o, "localhost"), BC_OK);
	ck_assert_int_eq(bc_connect(&c, o), BC_ERR_CONNECT);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.calls, 1);
	bc_options_free(o);
}
END_TEST

struct base_ctx {
	int states[8];
	int nstates;
	int last_err;
	int acks;
	int ack_err;
	int replies;
	int reply_err;
	int close_in_cb;
	struct event_base *base;
};

static void base_state(bc_client *c, int state, int err, void *arg)
{
	struct base_ctx *x = arg;

	if (x->nstates < 8)
		x->states[x->nstates++] = state;
	x->last_err = err;
	if (state == BC_STATE_DISCONNECTED) {
		event_base_loopbreak(x->base);
		if (x->close_in_cb)
			bc_close(c);
	}
}

static void base_ack(bc_client *c, int err, void *arg)
{
	struct base_ctx *x = arg;

	(void)c;
	x->acks++;
	x->ack_err = err;
}

static void base_reply(bc_client *c, int err, const bc_msg *m, void *arg)
{
	struct base_ctx *x = arg;

	(void)c;
	ck_assert_ptr_null(m);
	x->replies++;
	x->reply_err = err;
}

/* Local checks on a real handle, before it could talk to anyone. */
static void check_local_rejects(bc_client *c)
{
	static char big[16];
	uint32_t sid = 0;

	ck_assert_int_eq(bc_state(c), BC_STATE_CONNECTING);
	ck_assert_int_eq(bc_publish(c, "a..b", "x", 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish(c, NULL, "x", 1), BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish(c, "a", NULL, 5), BC_ERR_INVALID);
	ck_assert_int_eq(bc_publish_ex(c, "a", "x", 1, "bad reply", NULL, NULL),
			 BC_ERR_INVALID);
	/* Over the protocol maximum; the data is never read. */
	ck_assert_int_eq(bc_publish(c, "a", big, 65u * 1024 * 1024),
			 BC_ERR_TOO_LARGE);
	ck_assert_int_eq(bc_subscribe(c, "a..b", NULL, noop_msg, NULL, &sid),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_subscribe(c, "a.>.b", NULL, noop_msg, NULL, &sid),
			 BC_ERR_INVALID);
	ck_assert_int_eq(
		bc_subscribe(c, "a", "bad queue", noop_msg, NULL, &sid),
		BC_ERR_INVALID);
	ck_assert_int_eq(bc_subscribe(c, "a", NULL, NULL, NULL, &sid),
			 BC_ERR_INVALID);
	ck_assert_int_eq(bc_unsubscribe(c, 99), BC_ERR_NO_SUCH_SUB);
	ck_assert_int_eq(bc_respond(c, NULL, "x", 1), BC_ERR_INVALID);
	ck_assert_int_eq(sid, 0);
}

/* Blocking calls on a caller-owned loop are refused. */
static void check_wouldblock(bc_client *c)
{
	bc_msg *reply = NULL;

	ck_assert_int_eq(bc_flush(c, 10), BC_ERR_WOULDBLOCK);
	ck_assert_int_eq(bc_run(c, 10), BC_ERR_WOULDBLOCK);
	ck_assert_int_eq(bc_break(c), BC_ERR_WOULDBLOCK);
	ck_assert_int_eq(bc_publish_sync(c, "a", "x", 1, 10),
			 BC_ERR_WOULDBLOCK);
	ck_assert_int_eq(bc_request(c, "a", "x", 1, 10, &reply),
			 BC_ERR_WOULDBLOCK);
	ck_assert_ptr_null(reply);
}

static bc_client *base_client(struct base_ctx *x, struct err_seen *e)
{
	bc_options *o = dead_port_options(e);
	bc_client *c = NULL;

	x->base = event_base_new();
	ck_assert_ptr_nonnull(x->base);
	ck_assert_int_eq(bc_options_set_state_cb(o, base_state, x), BC_OK);
	ck_assert_int_eq(bc_connect_base(NULL, o, x->base), BC_ERR_INVALID);
	ck_assert_int_eq(bc_connect_base(&c, o, NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_connect_base(&c, o, x->base), BC_OK);
	bc_options_free(o);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Queued operations fail exactly once when the connect fails. */
START_TEST(base_mode_connect_fails)
{
	struct base_ctx x = { .nstates = 0 };
	struct err_seen e = { 0, 0, "" };
	bc_client *c = base_client(&x, &e);
	uint32_t sid = 0;

	check_local_rejects(c);
	check_wouldblock(c);
	ck_assert_int_eq(bc_publish_ex(c, "a.b", "x", 1, NULL, base_ack, &x),
			 BC_OK);
	ck_assert_int_eq(
		bc_request_async(c, "svc", "q", 1, 5000, base_reply, &x),
		BC_OK);
	ck_assert_int_eq(bc_flush_async(c, 5000, base_ack, &x), BC_OK);
	ck_assert_int_eq(bc_subscribe(c, "a.>", "grp", noop_msg, NULL, &sid),
			 BC_OK);
	ck_assert_uint_gt(sid, 0);
	ck_assert_int_eq(x.acks, 0); /* never from inside the call */
	event_base_dispatch(x.base);
	ck_assert_int_eq(x.nstates, 1);
	ck_assert_int_eq(x.states[0], BC_STATE_DISCONNECTED);
	ck_assert_int_eq(x.last_err, BC_ERR_CONNECT);
	ck_assert_int_eq(x.acks, 2); /* the publish and the flush */
	ck_assert_int_eq(x.ack_err, BC_ERR_CLOSED);
	ck_assert_int_eq(x.replies, 1);
	ck_assert_int_eq(x.reply_err, BC_ERR_CLOSED);
	ck_assert_int_eq(e.err, BC_ERR_CONNECT);
	ck_assert_int_eq(bc_publish(c, "a", "x", 1), BC_ERR_CLOSED);
	ck_assert_int_eq(bc_unsubscribe(c, sid), BC_OK);
	bc_close(c);
	ck_assert_int_eq(x.states[x.nstates - 1], BC_STATE_CLOSED);
	event_base_free(x.base);
}
END_TEST

/* bc_close from inside the state callback frees the client safely. */
START_TEST(base_mode_close_in_callback)
{
	struct base_ctx x = { .close_in_cb = 1 };
	struct err_seen e = { 0, 0, "" };
	bc_client *c = base_client(&x, &e);

	ck_assert_int_eq(bc_publish_ex(c, "a.b", "x", 1, NULL, base_ack, &x),
			 BC_OK);
	event_base_dispatch(x.base);
	ck_assert_int_eq(x.acks, 1);
	ck_assert_int_eq(x.states[0], BC_STATE_DISCONNECTED);
	ck_assert_int_eq(x.states[1], BC_STATE_CLOSED);
	/* Nothing of c may be left on the base: the loop has no work. */
	ck_assert_int_eq(event_base_dispatch(x.base), 1);
	event_base_free(x.base);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("client_api");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, strerror_distinct);
	tcase_add_test(tc, options_validate);
	tcase_add_test(tc, tls_and_credentials_validate);
	tcase_add_test(tc, null_handles);
	tcase_add_test(tc, check_syntax);
	tcase_add_test(tc, sub_options_validate);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, connect_localhost_all_addresses);
	tcase_add_test(tc, base_mode_connect_fails);
	tcase_add_test(tc, base_mode_close_in_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(api_suite());
}
