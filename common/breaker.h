/*
 * breaker.h - the circuit breaker state machine shared by the client
 * library (client/lib/bc_breaker.h: guarded calls) and the broker's
 * federation link (broker/engine_breaker.h: engine-bound messages).  Pure:
 * the clock is injected (every call that may change the state takes `now`,
 * milliseconds of any monotonic clock), no I/O, no allocation, no threads.
 * The caller owns the struct (embedded in its own); nothing here allocates
 * or frees memory.
 *
 *   CLOSED --(threshold failures in a row)--> OPEN
 *   OPEN --(cool-down over and not held; noticed by breaker_poll and
 *           breaker_allow)--> HALF_OPEN
 *   HALF_OPEN: one trial at a time (breaker_allow hands it out);
 *              breaker_success --> CLOSED, breaker_failure --> OPEN (a
 *              fresh cool-down), breaker_neutral frees the trial.
 *   breaker_trip opens it and breaker_close closes it from any state.
 *
 * What counts as a success, a failure or neither, and when to trip or close
 * from outside (a link lost, a connection made), is the user's.
 */
#ifndef BROKER_COMMON_BREAKER_H
#define BROKER_COMMON_BREAKER_H

#include <stdint.h>

/* The client library's public BC_BREAKER_* values are these (bc_breaker.c
 * asserts it). */
enum breaker_state {
	BREAKER_CLOSED = 1,
	BREAKER_OPEN = 2,
	BREAKER_HALF_OPEN = 3,
};

/* Every change of state, from -> to (arg as given to breaker_init). */
typedef void (*breaker_fn)(void *arg, enum breaker_state from,
			   enum breaker_state to);

struct breaker {
	enum breaker_state state;
	unsigned threshold;  /* failures in a row that open it; 0: none do */
	int64_t cooldown_ms; /* time OPEN before HALF_OPEN */
	unsigned failures;   /* consecutive, while CLOSED */
	int64_t open_until;  /* OPEN: end of the cool-down */
	int trial;	     /* HALF_OPEN: the trial is out */
	int held;	     /* set: OPEN stays OPEN after the cool-down */
	uint64_t opened;     /* times it opened */
	breaker_fn fn;	     /* may be NULL */
	void *arg;	     /* borrowed, passed to fn */
};

/* Start in state (not held, no failures; fn is not called).  A negative
 * cool-down is taken as 0.  fn and arg are borrowed. */
void breaker_init(struct breaker *b, enum breaker_state state,
		  unsigned threshold, int64_t cooldown_ms, breaker_fn fn,
		  void *arg);

/* Apply the clock: OPEN becomes HALF_OPEN once now reaches the end of the
 * cool-down, unless held.  Returns the state. */
enum breaker_state breaker_poll(struct breaker *b, int64_t now);

/* May one guarded call go now?  1 yes (in HALF_OPEN this takes the trial,
 * whose outcome the caller reports), 0 no: fail fast. */
int breaker_allow(struct breaker *b, int64_t now);

/* OPEN now, with a fresh cool-down (counted in opened unless it was
 * already OPEN). */
void breaker_trip(struct breaker *b, int64_t now);

/* CLOSED now, whatever the state, with no failures. */
void breaker_close(struct breaker *b);

/* A failure: the trial's opens it, and so does the threshold-th in a row
 * while CLOSED; in OPEN (a late result) nothing changes. */
void breaker_failure(struct breaker *b, int64_t now);

/* A success: the failure count restarts and the trial's closes it; in
 * OPEN (a late result) it stays OPEN. */
void breaker_success(struct breaker *b);

/* Neither: in HALF_OPEN the trial is free again. */
void breaker_neutral(struct breaker *b);

/* Milliseconds until an OPEN breaker's cool-down ends (0 if not OPEN). */
int64_t breaker_wait_ms(const struct breaker *b, int64_t now);

/* "closed", "open", "half-open" or "?" (static). */
const char *breaker_name(enum breaker_state s);

#endif
