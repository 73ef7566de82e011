/*
 * bench_routing.c - the routing workloads; see bench_routing.h for what
 * each measures.  Expected deliveries are computed from the subscription
 * layout (not from what arrived), so `lost` is exact.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_churn.h"
#include "bench_routing.h"
#include "bench_rt.h"

#define TOPICS_DEFAULT_SUBS 100000u
#define TOPICS_DEFAULT_CONNS 10
#define WILD_DEFAULT_CONNS 1000
#define WILD_SIDE 100 /* w.A.B.c, A and B in [0, 100) */
#define SUBS_DEFAULT_SUBS 1000000u
#define SUBS_DEFAULT_CONNS 10000
#define CHURN_DEFAULT_CONNS 1
#define CHURN_INFLIGHT 64
#define CHURN_DEFAULT_SECONDS 4.0
#define PAYLOAD 16

static const uint8_t payload[PAYLOAD];

/* Raise the soft open-files limit to the hard one: 10000 connections. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int subscribe(struct rt *r, bc_client *c, const char *pattern)
{
	int rc = bc_subscribe(c, pattern, NULL, rt_count_msg, r, NULL);

	if (rc != BC_OK)
		rt_fail(r, "subscribe '%s': %s", pattern, bc_strerror(rc));
	return rc == BC_OK ? 0 : -1;
}

/* ---- publishing a sequence of topics under the window ----------------- */

struct stream {
	void (*topic)(const void *arg, uint64_t i, char *buf, size_t cap);
	uint64_t (*expect)(const void *arg, uint64_t i);
	const void *arg;
	uint64_t count;
	uint64_t expected; /* out: deliveries due */
	double elapsed;	   /* out: first publish to last delivery, s */
	double cpu;	   /* out: broker CPU in that time, s */
};

static int window_open(const struct rt *r, const void *arg)
{
	const struct stream *s = arg;

	return r->cfg->window == 0 ||
	       s->expected - r->received < r->cfg->window;
}

/* Publish s->count messages on c and wait for their deliveries. */
static int run_stream(struct rt *r, bc_client *c, struct stream *s)
{
	char topic[128];
	double t0 = rt_now(), cpu0 = rt_broker_cpu(r);

	s->expected = 0;
	r->received = 0;
	for (uint64_t i = 0; i < s->count; i++) {
		if (rt_wait(r, window_open, s) < 0)
			return -1;
		s->topic(s->arg, i, topic, sizeof topic);
		if (rt_publish(r, c, topic, payload, PAYLOAD, NULL) < 0)
			return -1;
		s->expected += s->expect(s->arg, i);
		if ((i & 255) == 255)
			rt_poll(r);
	}
	if (rt_drain(r, s->expected) < 0)
		return -1;
	s->elapsed = r->t_last_rx - t0;
	s->cpu = rt_broker_cpu(r) - cpu0;
	return 0;
}

static void print_stream(const struct rt *r, const struct stream *s)
{
	double el = s->elapsed > 0 ? s->elapsed : 1e-9;

	printf(" published=%llu delivered=%llu lost=%llu pub_per_s=%.0f"
	       " msg_per_s=%.0f",
	       (unsigned long long)s->count, (unsigned long long)r->received,
	       (unsigned long long)(s->expected > r->received
					    ? s->expected - r->received
					    : 0),
	       (double)s->count / el, (double)r->received / el);
	if (r->cfg->broker_pid)
		printf(" broker_cpu_us_per_pub=%.2f",
		       s->cpu * 1e6 / (double)s->count);
}

/* ---- topics ------------------------------------------------------------ */

struct topics {
	uint64_t ntopics;
	int conns;
};

static void topics_name(const void *arg, uint64_t i, char *buf, size_t cap)
{
	const struct topics *w = arg;
	uint64_t t = i % w->ntopics;

	snprintf(buf, cap, "site.%llu.dev.%llu.temp",
		 (unsigned long long)(t / 1000),
		 (unsigned long long)(t % 1000));
}

/* The exact subscription, plus site.K.dev.*.temp and site.*.dev.K.temp
 * held by subscriber K < conns. */
static uint64_t topics_expect(const void *arg, uint64_t i)
{
	const struct topics *w = arg;
	uint64_t t = i % w->ntopics;

	return 1 + (t / 1000 < (uint64_t)w->conns) +
	       (t % 1000 < (uint64_t)w->conns);
}

static int topics_subscribe(struct rt *r, const struct topics *w)
{
	char p[128];

	for (uint64_t t = 0; t < w->ntopics; t++) {
		topics_name(w, t, p, sizeof p);
		if (subscribe(r, r->cl[t * (uint64_t)w->conns / w->ntopics],
			      p) < 0)
			return -1;
	}
	for (int k = 0; k < w->conns; k++) {
		snprintf(p, sizeof p, "site.%d.dev.*.temp", k);
		if (subscribe(r, r->cl[k], p) < 0)
			return -1;
		snprintf(p, sizeof p, "site.*.dev.%d.temp", k);
		if (subscribe(r, r->cl[k], p) < 0)
			return -1;
	}
	return rt_sync(r, 0, w->conns);
}

static int run_topics(struct rt *r)
{
	const struct bench_cfg *cfg = r->cfg;
	struct topics w = {
		cfg->subs_total ? cfg->subs_total : TOPICS_DEFAULT_SUBS,
		cfg->conns ? cfg->conns : TOPICS_DEFAULT_CONNS,
	};
	struct stream s = {
		topics_name, topics_expect, &w, cfg->count, 0, 0, 0
	};
	uint64_t rss0, rss1;
	double t0;

	if (rt_connect(r, w.conns + 1) < 0)
		return -1;
	rss0 = rt_broker_rss_kib(r);
	t0 = rt_now();
	if (topics_subscribe(r, &w) < 0)
		return -1;
	printf("workload=topics conns=%d topics=%llu subs=%llu sub_s=%.3f",
	       w.conns, (unsigned long long)w.ntopics,
	       (unsigned long long)(w.ntopics + 2u * (unsigned)w.conns),
	       rt_now() - t0);
	rss1 = rt_broker_rss_kib(r);
	if (run_stream(r, r->cl[w.conns], &s) < 0)
		return -1;
	print_stream(r, &s);
	if (cfg->broker_pid)
		printf(" broker_rss_kib=%llu subs_rss_kib=%llu",
		       (unsigned long long)rt_broker_rss_kib(r),
		       (unsigned long long)(rss1 - rss0));
	printf("\n");
	return 0;
}

/* ---- wildcards --------------------------------------------------------- */

struct wild {
	int conns;
	uint32_t by_a[WILD_SIDE], by_b[WILD_SIDE]; /* patterns per token */
};

/* Publish i goes to topic (i * 7919) mod 10000: spread, all visited. */
static uint64_t wild_topic_no(uint64_t i)
{
	return (i * 7919u) % (WILD_SIDE * WILD_SIDE);
}

static void wild_name(const void *arg, uint64_t i, char *buf, size_t cap)
{
	uint64_t t = wild_topic_no(i);

	(void)arg;
	snprintf(buf, cap, "w.%llu.%llu.c", (unsigned long long)(t / WILD_SIDE),
		 (unsigned long long)(t % WILD_SIDE));
}

static uint64_t wild_expect(const void *arg, uint64_t i)
{
	const struct wild *w = arg;
	uint64_t t = wild_topic_no(i);

	return w->by_a[t / WILD_SIDE] + w->by_b[t % WILD_SIDE];
}

/* Subscriber k: w.A.*.c, w.A.> or *.*.B.c by k mod 3, A/B = k/3 mod 100. */
static int wild_subscribe(struct rt *r, struct wild *w)
{
	char p[64];

	for (int k = 0; k < w->conns; k++) {
		unsigned v = (unsigned)(k / 3) % WILD_SIDE;

		if (k % 3 == 0)
			snprintf(p, sizeof p, "w.%u.*.c", v);
		else if (k % 3 == 1)
			snprintf(p, sizeof p, "w.%u.>", v);
		else
			snprintf(p, sizeof p, "*.*.%u.c", v);
		(k % 3 == 2 ? w->by_b : w->by_a)[v]++;
		if (subscribe(r, r->cl[k], p) < 0)
			return -1;
	}
	return rt_sync(r, 0, w->conns);
}

static int run_wildcards(struct rt *r)
{
	struct wild w;
	struct stream s = {
		wild_name, wild_expect, &w, r->cfg->count, 0, 0, 0
	};

	memset(&w, 0, sizeof w);
	w.conns = r->cfg->conns ? r->cfg->conns : WILD_DEFAULT_CONNS;
	if (rt_connect(r, w.conns + 1) < 0 || wild_subscribe(r, &w) < 0 ||
	    run_stream(r, r->cl[w.conns], &s) < 0)
		return -1;
	printf("workload=wildcards conns=%d patterns=%d topics=%d", w.conns,
	       w.conns, WILD_SIDE * WILD_SIDE);
	print_stream(r, &s);
	printf("\n");
	return 0;
}

/* ---- subs -------------------------------------------------------------- */

static void one_name(const void *arg, uint64_t i, char *buf, size_t cap)
{
	(void)arg;
	(void)i;
	snprintf(buf, cap, "one.topic");
}

static uint64_t one_expect(const void *arg, uint64_t i)
{
	(void)arg;
	(void)i;
	return 1;
}

/* Connection by connection, as a client subscribing its own set would. */
static int subs_fill(struct rt *r, int first, int conns, uint64_t nsubs)
{
	char p[64];

	for (uint64_t j = 0; j < nsubs; j++) {
		uint64_t k = j * (uint64_t)conns / nsubs;

		snprintf(p, sizeof p, "s.%llu.%llu", (unsigned long long)k,
			 (unsigned long long)j);
		if (subscribe(r, r->cl[first + (int)k], p) < 0)
			return -1;
		if ((j & 1023) == 1023)
			rt_poll(r);
	}
	return rt_sync(r, first, first + conns);
}

static int run_subs(struct rt *r)
{
	const struct bench_cfg *cfg = r->cfg;
	uint64_t nsubs = cfg->subs_total ? cfg->subs_total : SUBS_DEFAULT_SUBS;
	int conns = cfg->conns ? cfg->conns : SUBS_DEFAULT_CONNS;
	struct stream s0 = { one_name, one_expect, NULL, cfg->count, 0, 0, 0 };
	struct stream s1 = s0;
	uint64_t rss0, rss1;
	double t0, t_sub, cpu_sub;

	/* 0: publisher, 1: its subscriber, then the holders */
	if (rt_connect(r, 2) < 0 || subscribe(r, r->cl[1], "one.topic") < 0 ||
	    rt_sync(r, 1, 2) < 0 || run_stream(r, r->cl[0], &s0) < 0 ||
	    rt_connect(r, conns) < 0)
		return -1;
	printf("workload=subs conns=%d subs=%llu", conns,
	       (unsigned long long)nsubs);
	print_stream(r, &s0);
	rss0 = rt_broker_rss_kib(r);
	t0 = rt_now();
	cpu_sub = rt_broker_cpu(r);
	if (subs_fill(r, 2, conns, nsubs) < 0)
		return -1;
	t_sub = rt_now() - t0;
	cpu_sub = rt_broker_cpu(r) - cpu_sub;
	rss1 = rt_broker_rss_kib(r);
	if (run_stream(r, r->cl[0], &s1) < 0)
		return -1;
	printf(" sub_s=%.3f subs_per_s=%.0f", t_sub, (double)nsubs / t_sub);
	if (cfg->broker_pid)
		printf(" sub_broker_cpu_s=%.2f", cpu_sub);
	printf(" with_subs:");
	print_stream(r, &s1);
	if (cfg->broker_pid)
		printf(" broker_rss_kib=%llu bytes_per_sub=%.1f",
		       (unsigned long long)rss1,
		       (double)(rss1 - rss0) * 1024.0 / (double)nsubs);
	printf("\n");
	return 0;
}

int bench_routing_run(const struct bench_cfg *cfg)
{
	struct rt r;
	int rc;

	raise_nofile();
	if (rt_init(&r, cfg) < 0)
		return BENCH_EXIT_RUNTIME;
	if (strcmp(cfg->workload, "topics") == 0)
		rc = run_topics(&r);
	else if (strcmp(cfg->workload, "wildcards") == 0)
		rc = run_wildcards(&r);
	else if (strcmp(cfg->workload, "subs") == 0)
		rc = run_subs(&r);
	else
		rc = bench_churn_run(&r);
	fflush(stdout);
	if (rc < 0)
		fprintf(stderr, "\nbroker-bench: %s: %s\n", cfg->workload,
			r.failed ? r.err : "failed");
	rt_free(&r);
	return rc < 0 ? BENCH_EXIT_RUNTIME : 0;
}
