/*
 * test_client_addr.c - libbrokerclient's addresses and connect errors
 * against the real brokerd: unix sockets and URLs, evdns resolution in
 * base mode (and closing while a lookup runs), the text bc_connect_err
 * returns, the one timeout convention, and which message data is
 * NUL-terminated.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerclient.h"
#include "clock.h"
#include "harness.h"

#define WAIT_MS 3000

static struct broker_proc broker;
static char sock_dir[64];
static char sock_path[128];

/* brokerd on a free 127.0.0.1 port and on sock_path. */
static void start_broker(void)
{
	struct harness_opts o = { .no_listen_args = 1 };
	char conf[512];

	snprintf(sock_dir, sizeof sock_dir, "/tmp/bc_addr_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sock_dir));
	snprintf(sock_path, sizeof sock_path, "%s/b.sock", sock_dir);
	o.port = harness_free_port();
	snprintf(conf, sizeof conf, "listen 127.0.0.1:%d\nlisten unix:%s\n",
		 o.port, sock_path);
	ck_assert_int_eq(harness_start_broker_opts(&broker, conf, NULL, &o), 0);
}

static void stop_broker(void)
{
	int st = harness_stop_broker(&broker, SIGTERM, 5000);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "brokerd exit status %d", st);
	rmdir(sock_dir);
}

/* The unix socket listener may come up a moment after the TCP one. */
static int unix_ready(void *arg)
{
	(void)arg;
	return access(sock_path, F_OK) == 0;
}

static bc_options *opts_url(const char *url)
{
	bc_options *o = bc_options_new();

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bc_options_set_url(o, url), BC_OK);
	ck_assert_int_eq(bc_options_set_timeout(o, WAIT_MS), BC_OK);
	ck_assert_int_eq(bc_options_set_connect_timeout(o, WAIT_MS), BC_OK);
	return o;
}

static bc_client *connect_url(const char *url)
{
	bc_options *o = opts_url(url);
	bc_client *c = NULL;
	char why[BC_ERRTEXT_SIZE];

	ck_assert_msg(bc_connect_err(&c, o, why, sizeof why) == BC_OK, "%s: %s",
		      url, why);
	ck_assert_str_eq(why, "");
	bc_options_free(o);
	return c;
}

/* ---- URLs and hosts (no broker) ------------------------------------------ */

START_TEST(url_forms)
{
	static const char *const good[] = {
		"tcp://127.0.0.1:7654",
		"tcp://localhost",
		"tcp://[::1]:9",
		"tcp://h:1/",
		"unix:/run/brokerd.sock",
		"unix:///tmp/b.sock",
		"unix:rel.sock",
		"tcp://a:1,unix:/b,tcp://[::1]",
		"tls://h:1",
		"tls://[::1]",
		"tcp://a:1,tls://b",
	};
	static const char *const bad[] = {
		"",
		"tls://",
		"tls://h:0",
		"tls://:1",
		"http://h",
		"h:1",
		"tcp://",
		"tcp://:1",
		"tcp://h:0",
		"tcp://h:65536",
		"tcp://h:1x",
		"tcp://[::1",
		"tcp://[::1]x",
		"unix:",
		"unix://",
		"tcp://h:1,",
		",tcp://h",
		"tcp://u@h:1",
	};
	char longpath[200];
	bc_options *o = bc_options_new();

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(bc_options_set_url(o, good[i]) == BC_OK, "%s",
			      good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(bc_options_set_url(o, bad[i]) == BC_ERR_INVALID,
			      "%s", bad[i]);
	ck_assert_int_eq(bc_options_set_url(o, NULL), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_url(NULL, "unix:/x"), BC_ERR_INVALID);
	memset(longpath, 'p', sizeof longpath);
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof longpath - 1] = 0; /* over sun_path */
	ck_assert_int_eq(bc_options_set_url(o, longpath), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(o, longpath), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(o, "unix:"), BC_ERR_INVALID);
	ck_assert_int_eq(bc_options_set_host(o, "unix:/tmp/b.sock"), BC_OK);
	bc_options_free(o);
}
END_TEST

/* ---- unix sockets, blocking mode, message data --------------------------- */

struct got {
	int n;
	int data_null;	 /* bc_msg_data was NULL */
	int nul_in_copy; /* bc_msg_dup's data[len] == 0 */
	char data[64];
};

static void on_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct got *g = arg;
	bc_msg *d = bc_msg_dup(m);

	g->data_null += bc_msg_data(m) == NULL;

	ck_assert_ptr_nonnull(d);
	g->nul_in_copy = ((const char *)bc_msg_data(d))[bc_msg_len(d)] == 0;
	snprintf(g->data, sizeof g->data, "%s", (const char *)bc_msg_data(d));
	bc_msg_free(d);
	g->n++;
	bc_break(c);
}

static void on_request(bc_client *c, const bc_msg *m, void *arg)
{
	(void)arg;
	bc_respond(c, m, "pong!", 5);
}

/* A responder on the unix socket, in its own thread (its own client). */
struct responder {
	char url[160];
	atomic_int ready;
	atomic_int stop;
};

static void *respond_loop(void *arg)
{
	struct responder *rs = arg;
	bc_options *o = bc_options_new();
	bc_client *r = NULL;

	bc_options_set_url(o, rs->url);
	if (bc_connect(&r, o) == BC_OK &&
	    bc_subscribe(r, "svc", NULL, on_request, NULL, NULL) == BC_OK) {
		atomic_store(&rs->ready, 1);
		for (int i = 0; i < 300 && !atomic_load(&rs->stop); i++)
			bc_run(r, 20);
	} else {
		atomic_store(&rs->ready, -1);
	}
	bc_close(r);
	bc_options_free(o);
	return NULL;
}

static int responder_up(void *arg)
{
	return atomic_load(&((struct responder *)arg)->ready) != 0;
}

START_TEST(unix_socket_pub_sub_request)
{
	char url[160];
	struct got g = { 0 };
	struct responder rs = { "", 0, 0 };
	pthread_t th;
	bc_client *c;
	const char *host;
	bc_msg *reply = NULL;
	int port;

	start_broker();
	ck_assert(harness_poll(unix_ready, NULL, WAIT_MS, 20));
	snprintf(url, sizeof url, "unix:%s", sock_path);
	c = connect_url(url);
	ck_assert_int_eq(bc_server(c, &host, &port), BC_OK);
	ck_assert_str_eq(host, url);
	ck_assert_int_eq(bc_subscribe(c, "u.x", NULL, on_msg, &g, NULL), BC_OK);
	ck_assert_int_eq(bc_publish(c, "u.x", "hello", 5), BC_OK);
	for (int i = 0; i < 30 && g.n == 0; i++)
		ck_assert_int_eq(bc_run(c, 100), BC_OK);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.nul_in_copy, 1);
	ck_assert_str_eq(g.data, "hello");
	ck_assert_int_eq(bc_publish(c, "u.x", NULL, 0), BC_OK);
	for (int i = 0; i < 30 && g.n == 1; i++)
		ck_assert_int_eq(bc_run(c, 100), BC_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.nul_in_copy, 1);
	ck_assert_str_eq(g.data, "");
	ck_assert_int_eq(g.data_null, 0);

	/* A request over TCP answered over the unix socket: the reply is
	 * the caller's copy, NUL-terminated. */
	bc_close(c);
	snprintf(rs.url, sizeof rs.url, "%s", url);
	ck_assert_int_eq(pthread_create(&th, NULL, respond_loop, &rs), 0);
	ck_assert(harness_poll(responder_up, &rs, WAIT_MS, 10));
	ck_assert_int_eq(atomic_load(&rs.ready), 1);
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", broker.port);
	c = connect_url(url);
	ck_assert_int_eq(
		bc_request(c, "svc", "ping", 4, BC_TIMEOUT_DEFAULT, &reply),
		BC_OK);
	atomic_store(&rs.stop, 1);
	pthread_join(th, NULL);
	ck_assert_ptr_nonnull(reply);
	ck_assert_uint_eq(bc_msg_len(reply), 5);
	ck_assert_str_eq((const char *)bc_msg_data(reply), "pong!");
	bc_msg_free(reply);
	bc_close(c);
	stop_broker();
}
END_TEST

/* ---- base mode: unix sockets, evdns, closing during a lookup ------------- */

struct base_test {
	struct event_base *base;
	int state;
	int err;
};

static void base_state(bc_client *c, int state, int err, void *arg)
{
	struct base_test *t = arg;

	(void)c;
	t->state = state;
	t->err = err;
	if (state == BC_STATE_CONNECTED || state == BC_STATE_DISCONNECTED)
		event_base_loopbreak(t->base);
}

/* Connect url in base mode; returns the state it ended in. */
static int base_connect(const char *url, int *err)
{
	struct base_test t = { event_base_new(), 0, 0 };
	struct timeval limit = clock_ms_tv(2 * WAIT_MS);
	bc_options *o = opts_url(url);
	bc_client *c = NULL;
	int state;

	ck_assert_int_eq(bc_options_set_reconnect(o, 0), BC_OK);
	bc_options_set_state_cb(o, base_state, &t);
	ck_assert_int_eq(bc_connect_base(&c, o, t.base), BC_OK);
	bc_options_free(o);
	ck_assert_int_eq(bc_state(c), BC_STATE_CONNECTING);
	event_base_loopexit(t.base, &limit);
	event_base_dispatch(t.base);
	state = t.state;
	*err = t.err;
	bc_close(c);
	/* The resolver is freed from the loop after bc_close. */
	event_base_loop(t.base, EVLOOP_NONBLOCK);
	event_base_free(t.base);
	return state;
}

START_TEST(base_mode_unix_and_names)
{
	char url[160];
	int err;

	start_broker();
	ck_assert(harness_poll(unix_ready, NULL, WAIT_MS, 20));
	snprintf(url, sizeof url, "unix://%s", sock_path);
	ck_assert_int_eq(base_connect(url, &err), BC_STATE_CONNECTED);
	/* localhost comes from /etc/hosts through evdns: no DNS server. */
	snprintf(url, sizeof url, "tcp://localhost:%d", broker.port);
	ck_assert_int_eq(base_connect(url, &err), BC_STATE_CONNECTED);
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", broker.port);
	ck_assert_int_eq(base_connect(url, &err), BC_STATE_CONNECTED);
	/* An unknown name is a connect failure, reported from the loop
	 * (BC_ERR_TIMEOUT if no name server answers in time). */
	ck_assert_int_eq(base_connect("tcp://no-such-host.invalid", &err),
			 BC_STATE_DISCONNECTED);
	ck_assert_msg(err == BC_ERR_CONNECT || err == BC_ERR_TIMEOUT, "%d",
		      err);
	stop_broker();
}
END_TEST

START_TEST(base_mode_close_during_lookup)
{
	struct event_base *base = event_base_new();
	bc_options *o = opts_url("tcp://no-such-host.invalid:7654");
	bc_client *c = NULL;

	ck_assert_int_eq(bc_connect_base(&c, o, base), BC_OK);
	bc_options_free(o);
	ck_assert_int_eq(bc_state(c), BC_STATE_CONNECTING);
	bc_close(c); /* cancels the lookup: sanitizers check the rest */
	for (int i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
}
END_TEST

/* ---- bc_connect_err ------------------------------------------------------ */

START_TEST(connect_err_says_why)
{
	int port = harness_free_port();
	char url[64], want[64], why[BC_ERRTEXT_SIZE], small[8];
	bc_options *o;
	bc_client *c = (bc_client *)1;

	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	o = opts_url(url);
	ck_assert_int_eq(bc_connect_err(&c, o, why, sizeof why),
			 BC_ERR_CONNECT);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof want, "127.0.0.1:%d: connection refused", port);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(bc_connect_err(&c, o, small, sizeof small),
			 BC_ERR_CONNECT);
	ck_assert_str_eq(small, "127.0.0"); /* truncated, terminated */
	ck_assert_int_eq(bc_connect_err(&c, o, NULL, 0), BC_ERR_CONNECT);
	bc_options_free(o);

	o = opts_url("unix:/nonexistent/b.sock");
	ck_assert_int_eq(bc_connect_err(&c, o, why, sizeof why),
			 BC_ERR_CONNECT);
	ck_assert_str_eq(why,
			 "unix:/nonexistent/b.sock: no such file or directory");
	bc_options_free(o);
	ck_assert_int_eq(bc_connect_err(NULL, NULL, why, sizeof why),
			 BC_ERR_INVALID);
	ck_assert_str_eq(why, "invalid argument");
}
END_TEST

/* ---- timeouts ------------------------------------------------------------ */

static void ignore_msg(bc_client *c, const bc_msg *m, void *arg)
{
	(void)c;
	(void)m;
	(void)arg;
}

START_TEST(timeout_convention)
{
	char url[64];
	bc_client *c;
	bc_msg *reply = (bc_msg *)1;

	start_broker();
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", broker.port);
	c = connect_url(url);
	/* 0 polls: the PONG cannot be back before the first look. */
	ck_assert_int_eq(bc_flush(c, 0), BC_ERR_TIMEOUT);
	ck_assert_int_eq(bc_run(c, 0), BC_OK);
	/* -1 waits for ever, that is until the PONG. */
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_FOREVER), BC_OK);
	ck_assert_int_eq(bc_flush(c, BC_TIMEOUT_DEFAULT), BC_OK);
	ck_assert_int_eq(bc_publish_sync(c, "t.x", "x", 1, BC_TIMEOUT_FOREVER),
			 BC_OK);
	/* A subscriber that never answers (this client itself, whose
	 * callback ignores requests): a limit ends the wait.  (With no
	 * subscriber at all the broker says NO_RESPONDERS at once.) */
	ck_assert_int_eq(
		bc_subscribe(c, "t.silent", NULL, ignore_msg, NULL, NULL),
		BC_OK);
	ck_assert_int_eq(bc_request(c, "t.silent", "x", 1, 50, &reply),
			 BC_ERR_TIMEOUT);
	ck_assert_ptr_null(reply);
	bc_close(c);
	stop_broker();
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("client_addr");
	TCase *tc = tcase_create("addr");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, url_forms);
	tcase_add_test(tc, unix_socket_pub_sub_request);
	tcase_add_test(tc, base_mode_unix_and_names);
	tcase_add_test(tc, base_mode_close_during_lookup);
	tcase_add_test(tc, connect_err_says_why);
	tcase_add_test(tc, timeout_convention);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(addr_suite());
}
