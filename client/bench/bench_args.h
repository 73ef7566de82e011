/*
 * bench_args.h - broker-bench's command line: the run configuration and
 * its parser.
 */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerclient.h"

#define BENCH_MAX_CLIENTS 1000
#define BENCH_HEADER_SIZE 16
#define BENCH_EXIT_RUNTIME 1
#define BENCH_EXIT_USAGE 2

enum bench_output { BENCH_OUT_TEXT, BENCH_OUT_CSV, BENCH_OUT_JSON };

/* One run's configuration.  Strings borrow from argv, except topic, which
 * may point at topic_buf (the generated default). */
struct bench_cfg {
	const char *host;
	int port;
	const char *topic;
	char topic_buf[64];
	int npub;	   /* publishers or requesters */
	int nsub;	   /* subscribers or responders */
	const char *queue; /* NULL: plain subscriptions */
	int request;	   /* request/reply mode */
	int inflight;	   /* requests outstanding per requester */
	size_t size;	   /* payload bytes, >= BENCH_HEADER_SIZE */
	uint64_t count;	   /* messages in all; 0: until duration */
	double rate;	   /* msgs/s in all; 0: as fast as possible */
	double duration;   /* seconds; 0: until count */
	double timeout;	   /* seconds for the whole run */
	size_t max_outbuf; /* per client; 0: the library's default */
	uint64_t window;   /* publishers' lead on the slowest
				 * subscriber, messages; 0: unlimited */
	int window_set;	   /* --window given */
	enum bench_output output;
	int progress;	      /* 1: progress line if stderr is a tty */
	const char *workload; /* routing workload (bench_routing.h) or
				 * NULL: the one-topic engine */
	int conns;	      /* routing: connections; 0: its default */
	uint64_t subs_total;  /* routing: subscriptions; 0: its default */
	int broker_pid;	      /* routing: read RSS/CPU of it; 0: don't */
	int tls;	      /* --tls (also implied by --cafile/--insecure) */
	const char *cafile;   /* --cafile, NULL: the system CA store */
	int insecure;	      /* --insecure */
};

/* Parse argv into *cfg.  Returns -1 to go on, or an exit status: 0 after
 * --help / --version (printed on stdout), BENCH_EXIT_USAGE after a usage
 * error (one line on stderr). */
int bench_parse_args(struct bench_cfg *cfg, int argc, char **argv);

/* cfg's TLS settings into o (borrowed): nothing without --tls.  BC_OK
 * or the library's error. */
int bench_set_tls(const struct bench_cfg *cfg, bc_options *o);

/* The messages publisher i (0-based) sends when cfg->count is split over
 * cfg->npub publishers; 0 when the run is bounded by duration only. */
uint64_t bench_share(const struct bench_cfg *cfg, int i);

#endif
