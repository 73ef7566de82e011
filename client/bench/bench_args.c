/* bench_args.c - see bench_args.h. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_args.h"
#include "brokerclient.h"

#define BENCH_DEFAULT_COUNT 100000u
#define BENCH_DEFAULT_TIMEOUT 60.0
#define BENCH_MAX_SIZE (64u * 1024u * 1024u)
/* Default flow-control window: about this many bytes (half the broker's
 * default max_outbound) queued for the slowest subscriber. */
#define BENCH_WINDOW_BYTES (4u * 1024u * 1024u)

static const char usage[] =
	"Usage: broker-bench [-h HOST] [-p PORT] [-t TOPIC] [--pub N] [--sub "
	"N]\n"
	"                    [--queue GROUP] [--request [--inflight N]]\n"
	"                    [--size BYTES] [--count N] [--rate MSGS_PER_S]\n"
	"                    [--duration S] [--window N] [--timeout S]\n"
	"                    [--csv | --json]\n"
	"Measure a brokerd broker: throughput, fan-out, queue groups,\n"
	"request/reply, and latency at a fixed rate.\n\n"
	"  -h, --host HOST       broker host (default 127.0.0.1)\n"
	"  -p, --port PORT       broker port (default 7654)\n"
	"  -t, --topic TOPIC     topic to use (default bench.<pid>)\n"
	"  -P, --pub N           publishers, or requesters with --request\n"
	"                        (default 1)\n"
	"  -S, --sub N           subscribers, or responders with --request\n"
	"                        (default 0; 1 with --request)\n"
	"  -q, --queue GROUP     subscribers join queue group GROUP: each\n"
	"                        message goes to one of them\n"
	"  -R, --request         request/reply: requesters send requests, the\n"
	"                        responders (one queue group) echo them\n"
	"      --inflight N      requests outstanding per requester, closed\n"
	"                        loop (default 1; ignored with --rate)\n"
	"  -s, --size BYTES      payload size, at least 16 (default 128)\n"
	"  -n, --count N         messages to send in all, split over the\n"
	"                        publishers (default 100000, or rate x "
	"duration)\n"
	"  -r, --rate N          send N msgs/s in all, on a fixed schedule, "
	"and\n"
	"                        report latency percentiles measured from "
	"each\n"
	"                        message's intended send time (no coordinated\n"
	"                        omission); default: as fast as possible\n"
	"  -d, --duration S      stop publishing after S seconds\n"
	"  -T, --timeout S       give up after S seconds in all (default 60)\n"
	"  -w, --window N        publishers stay at most N messages ahead of\n"
	"                        the slowest subscriber (default: 4 MiB "
	"worth,\n"
	"                        half the broker's default max_outbound); 0: "
	"no\n"
	"                        limit, publish flat out (the broker may "
	"drop)\n"
	"      --max-outbuf BYTES  client output buffer limit (library\n"
	"                        default 4 MiB); publishers wait when it is "
	"full\n"
	"      --workload NAME   routing workload instead: topics, wildcards,\n"
	"                        churn or subs (see docs/BENCHMARKS.md); uses\n"
	"                        --count, --duration, --window and:\n"
	"      --conns N         connections for the workload\n"
	"      --subs N          subscriptions for topics and subs\n"
	"      --broker-pid PID  report that broker's RSS and CPU (/proc)\n"
	"      --tls             connect with TLS, verifying the broker's\n"
	"                        certificate and name (system CA store)\n"
	"      --cafile FILE     trust the CAs in FILE (PEM; implies --tls)\n"
	"      --insecure        TLS without verification (implies --tls)\n"
	"      --csv             print one CSV header line and one row\n"
	"      --json            print one JSON object\n"
	"      --no-progress     no progress line (shown only on a terminal)\n"
	"      --help            show this help and exit\n"
	"      --version         show the version and exit\n\n"
	"Payload: 8 bytes send time (CLOCK_MONOTONIC ns, big-endian), 8 bytes\n"
	"publisher number (16 bits) and sequence (48 bits), then filler.\n"
	"Exits 0 when the run completed (losses are reported, not fatal), 1 "
	"on\n"
	"errors or timeout, 2 on usage errors.\n";

enum {
	OPT_HELP = 256,
	OPT_VERSION,
	OPT_CSV,
	OPT_JSON,
	OPT_NO_PROGRESS,
	OPT_INFLIGHT,
	OPT_MAX_OUTBUF,
	OPT_WORKLOAD,
	OPT_CONNS,
	OPT_SUBS,
	OPT_BROKER_PID,
	OPT_TLS,
	OPT_CAFILE,
	OPT_INSECURE
};

static const struct option long_opts[] = {
	{ "host", required_argument, NULL, 'h' },
	{ "port", required_argument, NULL, 'p' },
	{ "topic", required_argument, NULL, 't' },
	{ "pub", required_argument, NULL, 'P' },
	{ "sub", required_argument, NULL, 'S' },
	{ "queue", required_argument, NULL, 'q' },
	{ "request", no_argument, NULL, 'R' },
	{ "inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "size", required_argument, NULL, 's' },
	{ "count", required_argument, NULL, 'n' },
	{ "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'd' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "max-outbuf", required_argument, NULL, OPT_MAX_OUTBUF },
	{ "window", required_argument, NULL, 'w' },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "conns", required_argument, NULL, OPT_CONNS },
	{ "subs", required_argument, NULL, OPT_SUBS },
	{ "broker-pid", required_argument, NULL, OPT_BROKER_PID },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("broker-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A whole decimal number in [min, max]; 0 on success, -1 if invalid. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A finite decimal number in (0, max]; 0 on success, -1 if invalid. */
static int parse_pos(const char *s, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !isfinite(v) || !(v > 0.0) || v > max)
		return -1;
	*out = v;
	return 0;
}

static int take_int(const char *s, uint64_t min, uint64_t max, int *out)
{
	uint64_t v;

	if (parse_u64(s, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int take_size(const char *s, uint64_t min, uint64_t max, size_t *out)
{
	uint64_t v;

	if (parse_u64(s, min, max, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Store one option; 0, or -1 after printing why the value is bad. */
/* A routing workload name (see bench_routing.h); 0 or -1. */
static int take_workload(const char *arg, const char **out)
{
	static const char *const names[] = { "topics", "wildcards", "churn",
					     "subs" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(arg, names[i]) == 0) {
			*out = names[i];
			return 0;
		}
	return -1;
}

static int take_opt(struct bench_cfg *c, int opt, const char *arg)
{
	int bad = 0;

	switch (opt) {
	case 'h':
		c->host = arg;
		break;
	case 't':
		c->topic = arg;
		break;
	case 'q':
		c->queue = arg;
		break;
	case 'R':
		c->request = 1;
		break;
	case OPT_TLS:
		c->tls = 1;
		break;
	case OPT_CAFILE:
		c->tls = 1;
		c->cafile = arg;
		break;
	case OPT_INSECURE:
		c->tls = c->insecure = 1;
		break;
	case OPT_CSV:
		c->output = BENCH_OUT_CSV;
		break;
	case OPT_JSON:
		c->output = BENCH_OUT_JSON;
		break;
	case OPT_NO_PROGRESS:
		c->progress = 0;
		break;
	case 'p':
		bad = take_int(arg, 1, 65535, &c->port);
		break;
	case OPT_WORKLOAD:
		bad = take_workload(arg, &c->workload);
		break;
	case OPT_CONNS:
		bad = take_int(arg, 1, 100000, &c->conns);
		break;
	case OPT_BROKER_PID:
		bad = take_int(arg, 1, 1 << 30, &c->broker_pid);
		break;
	case OPT_SUBS:
		bad = parse_u64(arg, 1, UINT64_C(1) << 32, &c->subs_total);
		break;
	case 'P':
		bad = take_int(arg, 1, BENCH_MAX_CLIENTS, &c->npub);
		break;
	case 'S':
		bad = take_int(arg, 0, BENCH_MAX_CLIENTS, &c->nsub);
		break;
	case OPT_INFLIGHT:
		bad = take_int(arg, 1, 10000, &c->inflight);
		break;
	case 's':
		bad = take_size(arg, BENCH_HEADER_SIZE, BENCH_MAX_SIZE,
				&c->size);
		break;
	case OPT_MAX_OUTBUF:
		bad = take_size(arg, 65536, 1u << 30, &c->max_outbuf);
		break;
	case 'n':
		bad = parse_u64(arg, 1, UINT64_C(1) << 40, &c->count);
		break;
	case 'w':
		bad = parse_u64(arg, 0, UINT64_C(1) << 40, &c->window);
		c->window_set = 1;
		break;
	case 'r':
		bad = parse_pos(arg, 1e9, &c->rate);
		break;
	case 'd':
		bad = parse_pos(arg, 86400.0, &c->duration);
		break;
	case 'T':
		bad = parse_pos(arg, 86400.0, &c->timeout);
		break;
	default:
		fail("invalid option (see --help)");
		return -1;
	}
	if (bad)
		fail("invalid value '%s' (see --help)", arg);
	return bad;
}

/* Defaults that depend on other options, and cross-checks. */
static int finish(struct bench_cfg *c)
{
	if (c->nsub < 0)
		c->nsub = c->request ? 1 : 0;
	if (c->request && c->nsub == 0) {
		fail("--request needs at least one responder (--sub)");
		return BENCH_EXIT_USAGE;
	}
	if (c->npub + c->nsub > BENCH_MAX_CLIENTS) {
		fail("at most %d clients in all", BENCH_MAX_CLIENTS);
		return BENCH_EXIT_USAGE;
	}
	if (c->request && !c->queue)
		c->queue = "bench-responders";
	if (!c->window_set)
		c->window = BENCH_WINDOW_BYTES / (c->size + 48) + 16;
	if (!c->count && c->rate > 0 && c->duration > 0)
		c->count = (uint64_t)llround(c->rate * c->duration);
	if (!c->count && c->duration == 0)
		c->count = BENCH_DEFAULT_COUNT;
	if (c->count && c->count < (uint64_t)c->npub) {
		fail("--count must be at least the number of publishers");
		return BENCH_EXIT_USAGE;
	}
	if (!c->topic) {
		snprintf(c->topic_buf, sizeof c->topic_buf, "bench.%ld",
			 (long)getpid());
		c->topic = c->topic_buf;
	}
	if (bc_check_topic(c->topic) != BC_OK) {
		fail("invalid topic '%s' (dot-separated tokens, no wildcards)",
		     c->topic);
		return BENCH_EXIT_USAGE;
	}
	return -1;
}

static void set_defaults(struct bench_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->host = "127.0.0.1";
	c->port = 7654;
	c->npub = 1;
	c->nsub = -1;
	c->inflight = 1;
	c->size = 128;
	c->timeout = BENCH_DEFAULT_TIMEOUT;
	c->output = BENCH_OUT_TEXT;
	c->progress = 1;
}

int bench_parse_args(struct bench_cfg *c, int argc, char **argv)
{
	static const char optstring[] = ":h:p:t:P:S:q:Rs:n:r:d:T:w:";
	int opt;

	set_defaults(c);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstring, long_opts, NULL)) !=
	       -1) {
		if (opt == OPT_HELP) {
			fputs(usage, stdout);
			return 0;
		}
		if (opt == OPT_VERSION) {
			printf("broker-bench %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (opt == ':') {
			fail("option needs a value (see --help)");
			return BENCH_EXIT_USAGE;
		}
		if (take_opt(c, opt, optarg) < 0)
			return BENCH_EXIT_USAGE;
	}
	if (optind < argc) {
		fail("unexpected argument '%s' (see --help)", argv[optind]);
		return BENCH_EXIT_USAGE;
	}
	return finish(c);
}

int bench_set_tls(const struct bench_cfg *cfg, bc_options *o)
{
	if (!cfg->tls)
		return BC_OK;
	return bc_options_set_tls(o, cfg->cafile, NULL, NULL,
				  cfg->insecure ? BC_TLS_INSECURE : 0);
}

uint64_t bench_share(const struct bench_cfg *cfg, int i)
{
	uint64_t n = (uint64_t)cfg->npub, each;

	if (!cfg->count)
		return 0;
	each = cfg->count / n;
	return each + ((uint64_t)i < cfg->count % n ? 1 : 0);
}
