/* bench_rt.c - see bench_rt.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_rt.h"
#include "bench_run.h"
#include "clock.h"

#define RT_TICK_MS 10
#define RT_CONNECT_BATCH 200 /* stay under the listen backlog */
#define RT_DRAIN_IDLE 1.0    /* s without progress: the rest is lost */

double rt_now(void)
{
	return (double)clock_mono_ns() / 1e9;
}

void rt_fail(struct rt *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rt *r = arg;

	(void)fd;
	(void)what;
	if (!r->failed && clock_mono_ns() > r->deadline)
		rt_fail(r, "timed out (--timeout)");
}

int rt_init(struct rt *r, const struct bench_cfg *cfg)
{
	struct timeval tv = clock_ms_tv(RT_TICK_MS);

	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	r->deadline = clock_mono_ns() + (uint64_t)(cfg->timeout * 1e9);
	r->base = event_base_new();
	if (r->base)
		r->tick = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	if (!r->tick || event_add(r->tick, &tv) != 0) {
		fprintf(stderr, "broker-bench: out of memory\n");
		rt_free(r);
		return -1;
	}
	return 0;
}

void rt_free(struct rt *r)
{
	for (int i = 0; i < r->ncl; i++)
		bc_close(r->cl[i]);
	free(r->cl);
	if (r->tick)
		event_free(r->tick);
	if (r->base)
		event_base_free(r->base);
	memset(r, 0, sizeof *r);
}

static void on_state(bc_client *c, int state, int err, void *arg)
{
	struct rt *r = arg;

	(void)c;
	if (state == BC_STATE_CONNECTED)
		r->nconnected++;
	else if (state == BC_STATE_DISCONNECTED)
		rt_fail(r, "connection to %s:%d failed or lost: %s",
			r->cfg->host, r->cfg->port, bc_strerror(err));
}

static void on_error(bc_client *c, int err, int code, const char *reason,
		     void *arg)
{
	(void)c;
	(void)err;
	if (code)
		rt_fail(arg, "broker error: %s (code %d)", reason, code);
}

static int new_client(struct rt *r)
{
	bc_options *o = bc_options_new();
	int rc = BC_ERR_NOMEM;

	if (r->ncl == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		bc_client **v = realloc(r->cl, (size_t)cap * sizeof *v);
		if (!v)
			goto out;
		r->cl = v;
		r->cap = cap;
	}
	if (o && bc_options_set_host(o, r->cfg->host) == BC_OK &&
	    bc_options_set_port(o, r->cfg->port) == BC_OK &&
	    bench_set_tls(r->cfg, o) == BC_OK &&
	    bc_options_set_state_cb(o, on_state, r) == BC_OK &&
	    bc_options_set_error_cb(o, on_error, r) == BC_OK)
		rc = bc_connect_base(&r->cl[r->ncl], o, r->base);
	if (rc == BC_OK)
		r->ncl++;
out:
	bc_options_free(o);
	if (rc != BC_OK)
		rt_fail(r, "cannot connect: %s", bc_strerror(rc));
	return rc == BC_OK ? 0 : -1;
}

static int all_connected(const struct rt *r, const void *arg)
{
	(void)arg;
	return r->nconnected == r->ncl;
}

int rt_connect(struct rt *r, int n)
{
	while (n > 0) {
		int batch = n < RT_CONNECT_BATCH ? n : RT_CONNECT_BATCH;

		for (int i = 0; i < batch; i++)
			if (new_client(r) < 0)
				return -1;
		if (rt_wait(r, all_connected, NULL) < 0)
			return -1;
		n -= batch;
	}
	return 0;
}

int rt_wait(struct rt *r, int (*done)(const struct rt *, const void *),
	    const void *arg)
{
	while (!r->failed && !done(r, arg))
		event_base_loop(r->base, EVLOOP_ONCE);
	return r->failed ? -1 : 0;
}

void rt_poll(struct rt *r)
{
	event_base_loop(r->base, EVLOOP_NONBLOCK);
}

static void on_ack(bc_client *c, int err, void *arg)
{
	struct rt *r = arg;

	(void)c;
	r->acks--;
	if (err != BC_OK)
		rt_fail(r, "sync publish failed: %s", bc_strerror(err));
}

static int no_acks(const struct rt *r, const void *arg)
{
	(void)arg;
	return r->acks == 0;
}

/* Publish, running the loop while c's output is full (BC_ERR_WOULDBLOCK);
 * ack: the library's ack callback (arg r), or NULL.  0, or -1 (failed). */
static int publish_wait(struct rt *r, bc_client *c, const char *topic,
			const void *data, size_t len, const char *reply_to,
			bc_ack_cb ack)
{
	for (;;) {
		int rc = bc_publish_ex(c, topic, data, len, reply_to, ack, r);

		if (rc == BC_OK)
			return 0;
		if (rc != BC_ERR_WOULDBLOCK) {
			rt_fail(r, "publish to '%s': %s", topic,
				bc_strerror(rc));
			return -1;
		}
		event_base_loop(r->base, EVLOOP_ONCE);
		if (r->failed)
			return -1;
	}
}

int rt_sync(struct rt *r, int from, int to)
{
	for (int i = from; i < to && !r->failed; i++)
		if (publish_wait(r, r->cl[i], BENCH_SYNC_TOPIC, NULL, 0, NULL,
				 on_ack) == 0)
			r->acks++;
	return rt_wait(r, no_acks, NULL);
}

int rt_publish(struct rt *r, bc_client *c, const char *topic, const void *data,
	       size_t len, const char *reply_to)
{
	return publish_wait(r, c, topic, data, len, reply_to, NULL);
}

void rt_count_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct rt *r = arg;

	(void)c;
	(void)m;
	r->received++;
}

int rt_drain(struct rt *r, uint64_t want)
{
	uint64_t last = r->received;
	double t_last = rt_now();

	while (!r->failed && r->received < want) {
		event_base_loop(r->base, EVLOOP_ONCE);
		if (r->received != last) {
			last = r->received;
			t_last = rt_now();
		} else if (rt_now() - t_last > RT_DRAIN_IDLE) {
			break;
		}
	}
	r->t_last_rx = t_last;
	return r->failed ? -1 : 0;
}

/* Field `key` (e.g. "VmRSS:") of /proc/PID/status, in KiB; 0 if absent. */
static uint64_t proc_status_kib(int pid, const char *key)
{
	char path[64], line[256];
	unsigned long long v = 0;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0) {
			sscanf(line + klen, "%llu", &v);
			break;
		}
	fclose(f);
	return v;
}

uint64_t rt_broker_rss_kib(const struct rt *r)
{
	return r->cfg->broker_pid
		       ? proc_status_kib(r->cfg->broker_pid, "VmRSS:")
		       : 0;
}

double rt_broker_cpu(const struct rt *r)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (!r->cfg->broker_pid)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", r->cfg->broker_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
