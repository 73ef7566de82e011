/*
 * bench_run.h - broker-bench's engine: every client of a run lives on one
 * libevent event_base in one thread (bc_connect_base), like the peer-bench
 * load generator, so the tool needs one core and the broker is what is
 * measured.
 *
 * A run goes through phases: connect all clients, subscribe the
 * subscribers/responders (each confirms with an acknowledged publish,
 * which the broker answers only after the SUB before it), run the
 * publishers/requesters, then wait for what is still on its way.
 *
 * bench_pub.c drives publishers, bench_sub.c subscribers and responders,
 * bench_req.c requesters; bench_run.c the phases, timers and results.
 */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdint.h>

#include <event2/util.h>

#include "bench_args.h"
#include "bench_hist.h"
#include "bench_report.h"
#include "brokerclient.h"

struct event;
struct event_base;

enum bench_role { BENCH_PUB, BENCH_SUB, BENCH_REQ, BENCH_RESP };

enum bench_phase {
	BENCH_CONNECTING,
	BENCH_SUBSCRIBING,
	BENCH_RUNNING,
	BENCH_DRAINING,
	BENCH_DONE
};

struct bench;

/* Why a sender is not sending. */
enum bench_block {
	BENCH_FREE,   /* not blocked */
	BENCH_OUTBUF, /* library output buffer full: the drain
			     callback wakes it */
	BENCH_WINDOW, /* --window ahead of the slowest subscriber:
			     received messages wake it */
};

struct bench_client {
	struct bench *b; /* borrowed back-pointer */
	bc_client *c;	 /* owned; closed by bench_run */
	enum bench_role role;
	unsigned idx; /* number within its role */
	int connected;
	/* publishers and requesters */
	struct event *pump; /* owned: sends the next batch */
	uint8_t *payload;   /* owned, cfg->size bytes */
	uint64_t target;    /* to send; 0: until the deadline */
	uint64_t sent;
	uint64_t outstanding;	  /* requests waiting for a reply */
	enum bench_block blocked; /* why the pump is waiting */
	int ack_sent;		  /* the closing sync publish is out */
	int finished;		  /* sent everything (and acked) */
	uint64_t t_done;	  /* when it finished (ns) */
	/* receivers (subscribers; requesters count replies here too) */
	uint64_t received;
	uint64_t dropped; /* NOTICE DROPPED counts for it */
	uint64_t bytes;
	uint64_t t_last;    /* last message (ns) */
	uint64_t *next_seq; /* owned, per publisher */
};

struct bench {
	const struct bench_cfg *cfg; /* borrowed */
	struct event_base *base;     /* owned */
	struct bench_client *cl;     /* owned array: pubs first, then subs */
	int ncl;
	enum bench_phase phase;
	int nconnected, nsynced, nfinished;
	uint64_t t_start;	      /* publishing started (ns) */
	uint64_t t_finish;	      /* the run ended (ns) */
	double cpu_start, cpu_finish; /* our CPU time then (s) */
	uint64_t t_end;		      /* publishing must stop (ns); 0: no */
	uint64_t interval_ns;	      /* per publisher in rate mode; 0 */
	uint64_t window;	      /* flow control (messages); 0: off */
	int nwindow_blocked;	      /* senders in BENCH_WINDOW */
	uint64_t sent_total;	      /* by all publishers */
	uint64_t received;	      /* all receivers, for the progress */
	uint64_t last_received;	      /* at the last drain check */
	uint64_t t_progress;	      /* last time received moved (ns) */
	struct bench_hist *lat;	      /* owned: latency or round trip */
	struct bench_hist *late;      /* owned: send time - intended time */
	struct event *tick;	      /* owned: progress line, checks */
	struct event *deadline;	      /* owned: --timeout */
	int tty;		      /* progress line on stderr */
	struct bench_result *res;     /* borrowed: filled as it goes */
};

/* Run one benchmark as cfg says and fill *res (res->lat points into
 * storage that stays valid until bench_result_release).  0, or -1 with
 * res->error set (connection failure, timeout, broker error). */
int bench_run(const struct bench_cfg *cfg, struct bench_result *res);
/* Free what bench_run left in res (the histograms). */
void bench_result_release(struct bench_result *res);

/* ---- bench_run.c, for the role modules ---- */
/* Stop the run with an error (the first one wins); fmt as printf. */
void bench_fail(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Messages the publishers may send before the slowest subscriber is
 * more than the window behind; UINT64_MAX without flow control. */
uint64_t bench_window_room(const struct bench *b);
/* A sender sent at time now a message intended for time when: record how
 * late it was (the lateness histogram in rate mode, the worst case always). */
void bench_note_send(struct bench *b, uint64_t when, uint64_t now);
/* A sender finished (all sent, last one acked or answered). */
void bench_sender_done(struct bench_client *k);
/* A subscriber's SUB is in effect at the broker. */
void bench_synced(struct bench_client *k);
/* Count one received payload on k and check its header. */
void bench_count_msg(struct bench_client *k, const void *data, size_t len,
		     int track_seq, int record_latency);

/* ---- bench_pub.c ---- */
enum bench_send { BENCH_SEND_NOW, BENCH_SEND_LATER, BENCH_SEND_DONE };
/* Topic of the acknowledged empty publish that ends each sender and syncs
 * each subscriber; nobody subscribes to it. */
#define BENCH_SYNC_TOPIC "_bench.sync"
/* A sender held back by the window is woken by arriving messages once
 * half the window is free again; this timer (us) is only a safety net. */
#define BENCH_WINDOW_RETRY_US 10000

/* Set up k's pump (running cb) and payload; 0 or -1 (out of memory). */
int bench_pub_init(struct bench_client *k,
		   void (*cb)(evutil_socket_t, short, void *));
/* Free what bench_pub_init made (also after it failed half-way). */
void bench_pub_free(struct bench_client *k);
/* Start sending (phase RUNNING). */
void bench_pub_start(struct bench_client *k);
/* Intended send time of k's next message in rate mode. */
uint64_t bench_pub_due(const struct bench_client *k);
/* May k send another message at time now? */
enum bench_send bench_pub_state(const struct bench_client *k, uint64_t now);
/* Re-arm k's pump: when blocked (OUTBUF: by the library's drain
 * callback; WINDOW: by bench_pub_wake, or a timer), else at the next
 * intended send time (rate mode) or at once. */
void bench_pub_rearm(struct bench_client *k, enum bench_block blocked,
		     uint64_t now);
/* Wake the senders held back by the window if half of it is free. */
void bench_pub_wake(struct bench *b);
/* Drain callback of the senders' clients: room in the output buffer. */
void bench_pub_drained(bc_client *c, void *arg);
/* Pump callback of a publisher. */
void bench_pub_pump(evutil_socket_t fd, short what, void *arg);

/* ---- bench_sub.c ---- */
/* Subscribe k (a subscriber or responder) and ask for the sync ack. */
void bench_sub_start(struct bench_client *k);

/* ---- bench_req.c ---- */
/* Pump callback of a requester. */
void bench_req_pump(evutil_socket_t fd, short what, void *arg);

#endif
