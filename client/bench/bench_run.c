/*
 * bench_run.c - see bench_run.h: the phases of a run, the clients'
 * callbacks, the timers (progress line, drain check, --timeout), counting
 * received messages, and the results.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_run.h"
#include "bench_stamp.h"
#include "clock.h"

/* After the last sender finished, stop waiting once nothing arrived for
 * this long (the rest is reported as lost). */
#define DRAIN_GRACE_NS 2000000000u
#define TICK_US 250000
/* Received messages per clock reading in throughput runs (power of 2). */
#define BENCH_CLOCK_EVERY 64u

/* User plus system CPU time of this process, in seconds. */
static double cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0.0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void finish(struct bench *b)
{
	if (b->phase == BENCH_DONE)
		return;
	b->phase = BENCH_DONE;
	b->t_finish = clock_mono_ns();
	b->cpu_finish = cpu_secs();
	if (b->base)
		event_base_loopbreak(b->base);
}

void bench_fail(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->phase == BENCH_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(b->res->error, sizeof b->res->error, fmt, ap);
	va_end(ap);
	finish(b);
}

static int is_receiver(const struct bench_client *k)
{
	return k->role == BENCH_SUB || k->role == BENCH_RESP;
}

/* Messages that should arrive, once every sender is done. */
static uint64_t expected(const struct bench *b)
{
	const struct bench_cfg *cfg = b->cfg;
	uint64_t sent = 0;

	for (int i = 0; i < cfg->npub; i++)
		sent += b->cl[i].sent;
	if (cfg->request)
		return sent;
	if (cfg->nsub == 0)
		return 0;
	return cfg->queue ? sent : sent * (uint64_t)cfg->nsub;
}

uint64_t bench_window_room(const struct bench *b)
{
	const struct bench_cfg *cfg = b->cfg;
	uint64_t done = UINT64_MAX, sum = 0, lag;

	if (!b->window || cfg->request || cfg->nsub == 0)
		return UINT64_MAX;
	for (int i = cfg->npub; i < b->ncl; i++) {
		uint64_t n = b->cl[i].received + b->cl[i].dropped;

		sum += n;
		if (n < done)
			done = n;
	}
	if (cfg->queue)
		done = sum;
	lag = b->sent_total > done ? b->sent_total - done : 0;
	return lag < b->window ? b->window - lag : 0;
}

static void check_done(struct bench *b)
{
	if (b->phase != BENCH_DRAINING)
		return;
	if (b->cfg->request ||
	    b->received + b->res->dropped >= b->res->expected)
		finish(b);
}

static void start_running(struct bench *b)
{
	const struct bench_cfg *cfg = b->cfg;

	b->phase = BENCH_RUNNING;
	b->t_start = clock_mono_ns();
	b->t_progress = b->t_start;
	b->cpu_start = cpu_secs();
	if (cfg->duration > 0)
		b->t_end = b->t_start + (uint64_t)(cfg->duration * 1e9);
	for (int i = 0; i < cfg->npub; i++)
		bench_pub_start(&b->cl[i]);
}

void bench_note_send(struct bench *b, uint64_t when, uint64_t now)
{
	uint64_t late = now > when ? now - when : 0;

	if (b->interval_ns)
		bench_hist_record(b->late, late);
	if (late > b->res->pacer_late_max_ns)
		b->res->pacer_late_max_ns = late;
}

void bench_synced(struct bench_client *k)
{
	struct bench *b = k->b;

	if (++b->nsynced == b->cfg->nsub)
		start_running(b);
}

void bench_sender_done(struct bench_client *k)
{
	struct bench *b = k->b;

	k->finished = 1;
	k->t_done = clock_mono_ns();
	if (++b->nfinished < b->cfg->npub)
		return;
	b->phase = BENCH_DRAINING;
	b->res->expected = expected(b);
	b->t_progress = k->t_done;
	check_done(b);
}

/* Sequence check of one message from publisher pub on k. */
static void track_seq(struct bench_client *k, unsigned pub, uint64_t seq)
{
	struct bench_result *r = k->b->res;
	uint64_t *next = &k->next_seq[pub];

	if (seq < *next) {
		r->reorders++;
		return;
	}
	if (seq > *next && !k->b->cfg->queue)
		r->gaps += seq - *next;
	*next = seq + 1;
}

void bench_count_msg(struct bench_client *k, const void *data, size_t len,
		     int track, int record_latency)
{
	struct bench *b = k->b;
	uint64_t now = k->t_last, when, seq;
	unsigned pub;

	/* Reading the clock costs as much as the rest of this function:
	 * throughput runs stamp every 64th message (t_last is then at most
	 * 63 messages early while running) and every one once draining. */
	if (record_latency || b->phase != BENCH_RUNNING ||
	    (k->received & (BENCH_CLOCK_EVERY - 1)) == 0)
		now = k->t_last = clock_mono_ns();
	k->received++;
	k->bytes += len;
	b->received++;
	if (bench_stamp_read(data, len, &when, &pub, &seq) < 0 ||
	    pub >= (unsigned)b->cfg->npub) {
		b->res->bad++;
		return;
	}
	if (record_latency)
		bench_hist_record(b->lat, now > when ? now - when : 0);
	if (track)
		track_seq(k, pub, seq);
	if (b->nwindow_blocked)
		bench_pub_wake(b);
	if (b->phase == BENCH_DRAINING &&
	    b->received + b->res->dropped >= b->res->expected)
		check_done(b);
}

/* ---- client callbacks ---- */

static void on_state(bc_client *c, int state, int err, void *arg)
{
	struct bench_client *k = arg;
	struct bench *b = k->b;

	(void)c;
	if (b->phase == BENCH_DONE || state == BC_STATE_CLOSED)
		return;
	if (state == BC_STATE_DISCONNECTED) {
		bench_fail(b, "%s to %s:%d: %s",
			   k->connected ? "lost the connection"
					: "cannot connect",
			   b->cfg->host, b->cfg->port, bc_strerror(err));
		return;
	}
	if (state != BC_STATE_CONNECTED || k->connected)
		return;
	k->connected = 1;
	if (++b->nconnected < b->ncl)
		return;
	b->phase = BENCH_SUBSCRIBING;
	for (int i = 0; i < b->ncl && b->phase == BENCH_SUBSCRIBING; i++)
		if (is_receiver(&b->cl[i]))
			bench_sub_start(&b->cl[i]);
	if (b->cfg->nsub == 0)
		start_running(b);
}

static void on_error(bc_client *c, int err, int server_code, const char *reason,
		     void *arg)
{
	struct bench_client *k = arg;

	(void)c;
	if (!k->connected && !server_code)
		bench_fail(k->b, "cannot connect to %s:%d: %s", k->b->cfg->host,
			   k->b->cfg->port, reason);
	else if (server_code)
		bench_fail(k->b, "broker error on client %d: %s (code %d)",
			   (int)(k - k->b->cl), reason, server_code);
	else
		bench_fail(k->b, "client %d: %s: %s", (int)(k - k->b->cl),
			   bc_strerror(err), reason);
}

static void on_notice(bc_client *c, int kind, uint64_t count,
		      const char *reason, void *arg)
{
	struct bench_client *k = arg;

	(void)c;
	(void)reason;
	if (kind == BC_NOTICE_DROPPED) {
		k->dropped += count;
		k->b->res->dropped += count;
		k->b->res->notices++;
		if (k->b->nwindow_blocked)
			bench_pub_wake(k->b);
		check_done(k->b);
	} else if (kind == BC_NOTICE_LAME_DUCK) {
		k->b->res->lame_duck = 1;
	}
}

/* ---- timers ---- */

static void progress_line(struct bench *b, uint64_t now)
{
	uint64_t sent = 0;
	double secs;

	if (b->phase < BENCH_RUNNING)
		return;
	for (int i = 0; i < b->cfg->npub; i++)
		sent += b->cl[i].sent;
	secs = (double)(now - b->t_start) / 1e9;
	fprintf(stderr,
		"\r\033[K%6.1f s  sent %llu (%.0f/s)  received %llu "
		"(%.0f/s)%s",
		secs, (unsigned long long)sent,
		secs > 0 ? (double)sent / secs : 0.0,
		(unsigned long long)b->received,
		secs > 0 ? (double)b->received / secs : 0.0,
		b->phase == BENCH_DRAINING ? "  draining" : "");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	uint64_t now = clock_mono_ns();

	(void)fd;
	(void)what;
	if (b->tty)
		progress_line(b, now);
	if (b->received != b->last_received) {
		b->last_received = b->received;
		b->t_progress = now;
	}
	if (b->phase == BENCH_DRAINING && now - b->t_progress > DRAIN_GRACE_NS)
		finish(b);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)what;
	b->res->timed_out = 1;
	bench_fail(b, "timed out after %g s (--timeout)", b->cfg->timeout);
}

/* ---- set-up and tear-down ---- */

static int setup_client(struct bench *b, struct bench_client *k, int i)
{
	const struct bench_cfg *cfg = b->cfg;

	k->b = b;
	if (i < cfg->npub) {
		k->role = cfg->request ? BENCH_REQ : BENCH_PUB;
		k->idx = (unsigned)i;
		return bench_pub_init(k, cfg->request ? bench_req_pump
						      : bench_pub_pump);
	}
	k->role = cfg->request ? BENCH_RESP : BENCH_SUB;
	k->idx = (unsigned)(i - cfg->npub);
	if (k->role == BENCH_SUB &&
	    !(k->next_seq = calloc((size_t)cfg->npub, sizeof *k->next_seq)))
		return -1;
	return 0;
}

static const char *const role_names[] = {
	[BENCH_PUB] = "pub",
	[BENCH_SUB] = "sub",
	[BENCH_REQ] = "req",
	[BENCH_RESP] = "resp",
};

/* Options shared by every client; NULL when out of memory. */
static bc_options *client_options(const struct bench_cfg *cfg)
{
	bc_options *o = bc_options_new();
	int ms = cfg->timeout * 1000.0 > 86400000.0
			 ? 86400000
			 : (int)(cfg->timeout * 1000.0);

	if (!o)
		return NULL;
	if (bc_options_set_host(o, cfg->host) != BC_OK ||
	    bc_options_set_port(o, cfg->port) != BC_OK ||
	    bench_set_tls(cfg, o) != BC_OK ||
	    bc_options_set_timeout(o, ms < 1 ? 1 : ms) != BC_OK ||
	    (cfg->max_outbuf &&
	     bc_options_set_max_outbuf(o, cfg->max_outbuf) != BC_OK)) {
		bc_options_free(o);
		return NULL;
	}
	return o;
}

static int connect_one(struct bench *b, struct bench_client *k, bc_options *o)
{
	char name[32];
	int rc;

	snprintf(name, sizeof name, "broker-bench-%s-%u", role_names[k->role],
		 k->idx);
	if (bc_options_set_name(o, name) != BC_OK ||
	    bc_options_set_state_cb(o, on_state, k) != BC_OK ||
	    bc_options_set_error_cb(o, on_error, k) != BC_OK ||
	    bc_options_set_notice_cb(o, on_notice, k) != BC_OK ||
	    bc_options_set_drain_cb(o,
				    k->role == BENCH_PUB || k->role == BENCH_REQ
					    ? bench_pub_drained
					    : NULL,
				    k) != BC_OK)
		rc = BC_ERR_NOMEM;
	else
		rc = bc_connect_base(&k->c, o, b->base);
	if (rc != BC_OK)
		bench_fail(b, "cannot connect to %s:%d: %s", b->cfg->host,
			   b->cfg->port, bc_strerror(rc));
	return rc == BC_OK ? 0 : -1;
}

static int connect_all(struct bench *b)
{
	bc_options *o = client_options(b->cfg);
	int rc = 0;

	if (!o) {
		bench_fail(b, "out of memory");
		return -1;
	}
	for (int i = 0; i < b->ncl && rc == 0; i++)
		rc = connect_one(b, &b->cl[i], o);
	bc_options_free(o);
	return rc;
}

static struct event_base *new_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (!ec)
		return NULL;
	/* Microsecond timers (timerfd) for the fixed-rate schedule. */
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

static int setup(struct bench *b)
{
	const struct bench_cfg *cfg = b->cfg;
	struct timeval tick = { 0, TICK_US };
	struct timeval dl = { (time_t)cfg->timeout,
			      (suseconds_t)((cfg->timeout -
					     (double)(time_t)cfg->timeout) *
					    1e6) };

	b->ncl = cfg->npub + cfg->nsub;
	if (!(b->base = new_base()) || !(b->lat = bench_hist_new()) ||
	    !(b->late = bench_hist_new()) ||
	    !(b->cl = calloc((size_t)b->ncl, sizeof *b->cl)))
		return -1;
	for (int i = 0; i < b->ncl; i++)
		if (setup_client(b, &b->cl[i], i) < 0)
			return -1;
	b->tick = event_new(b->base, -1, EV_PERSIST, on_tick, b);
	b->deadline = event_new(b->base, -1, 0, on_deadline, b);
	if (!b->tick || !b->deadline || event_add(b->tick, &tick) ||
	    event_add(b->deadline, &dl))
		return -1;
	if (cfg->rate > 0)
		b->interval_ns = (uint64_t)(1e9 * cfg->npub / cfg->rate);
	b->window = cfg->window;
	return 0;
}

static void teardown(struct bench *b)
{
	b->phase = BENCH_DONE;
	for (int i = 0; b->cl && i < b->ncl; i++) {
		bc_close(b->cl[i].c);
		bench_pub_free(&b->cl[i]);
		free(b->cl[i].next_seq);
	}
	free(b->cl);
	if (b->tick)
		event_free(b->tick);
	if (b->deadline)
		event_free(b->deadline);
	if (b->base)
		event_base_free(b->base);
}

/* ---- results ---- */

static void side_add(struct bench_side *s, uint64_t msgs, uint64_t bytes,
		     uint64_t ns)
{
	double secs = (double)ns / 1e9;
	double rate = secs > 0 ? (double)msgs / secs : 0.0;

	if (s->clients == 0 || rate < s->min_rate)
		s->min_rate = rate;
	if (rate > s->max_rate)
		s->max_rate = rate;
	if (s->clients == 0 || msgs < s->min_msgs)
		s->min_msgs = msgs;
	if (msgs > s->max_msgs)
		s->max_msgs = msgs;
	if (secs > s->secs)
		s->secs = secs;
	s->clients++;
	s->msgs += msgs;
	s->bytes += bytes;
}

static void collect(struct bench *b, struct bench_result *r)
{
	uint64_t now = clock_mono_ns();

	if (!b->t_start)
		return;
	for (int i = 0; i < b->ncl; i++) {
		const struct bench_client *k = &b->cl[i];
		uint64_t end = k->finished ? k->t_done : now;

		if (k->role == BENCH_PUB || k->role == BENCH_REQ)
			side_add(&r->pub, k->sent, k->sent * b->cfg->size,
				 end - b->t_start);
		if (k->role == BENCH_SUB || k->role == BENCH_REQ)
			side_add(&r->sub, k->received, k->bytes,
				 k->received ? k->t_last - b->t_start : 0);
	}
	r->expected = expected(b);
	r->elapsed = (double)(b->t_finish - b->t_start) / 1e9;
	r->tool_cpu = b->cpu_finish - b->cpu_start;
	if (b->cfg->rate > 0 || b->cfg->request)
		r->lat = b->lat;
	if (b->cfg->rate > 0)
		r->late = b->late;
}

int bench_run(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct bench b;

	memset(res, 0, sizeof *res);
	memset(&b, 0, sizeof b);
	res->cfg = cfg;
	b.cfg = cfg;
	b.res = res;
	b.tty = cfg->progress && isatty(STDERR_FILENO);
	if (setup(&b) < 0)
		bench_fail(&b, "out of memory");
	else if (connect_all(&b) == 0)
		event_base_dispatch(b.base);
	if (b.tty)
		fputs("\r\033[K", stderr);
	collect(&b, res);
	if (res->lat != b.lat)
		bench_hist_free(b.lat);
	if (res->late != b.late)
		bench_hist_free(b.late);
	teardown(&b);
	return res->error[0] ? -1 : 0;
}

void bench_result_release(struct bench_result *res)
{
	bench_hist_free(res->lat);
	bench_hist_free(res->late);
	res->lat = NULL;
	res->late = NULL;
}
