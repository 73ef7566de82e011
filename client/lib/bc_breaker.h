/*
 * bc_breaker.h - the client's circuit breaker: a pure state machine with an
 * injected clock (every call takes `now`, in milliseconds of any monotonic
 * clock), so it is testable without sleeping.  No I/O, no allocation, no
 * libevent.
 *
 *   CLOSED --(threshold consecutive failures)--> OPEN
 *   OPEN --(cool-down over; noticed by bc_breaker_allow/poll)--> HALF_OPEN
 *   HALF_OPEN: exactly one trial is let through at a time;
 *              success --> CLOSED, failure --> OPEN (a fresh cool-down),
 *              a neutral outcome frees the trial slot.
 *   success in CLOSED resets the failure count; neutral outcomes (client
 *   errors such as a bad topic or ERR codes 1..99, a connection closed
 *   under a call) never count.
 *
 * Every transition calls fn(arg, from, to) (states are the public
 * BC_BREAKER_* values of brokerclient.h).  threshold 0 disables the
 * breaker: it stays CLOSED and lets everything through.
 */
#ifndef BC_BREAKER_H
#define BC_BREAKER_H

#include <stdint.h>

/* Same values as in brokerclient.h (checked there with a static assert). */
#define BC_BRK_CLOSED 1
#define BC_BRK_OPEN 2
#define BC_BRK_HALF_OPEN 3

enum bc_outcome {
	BC_OUTCOME_SUCCESS,
	BC_OUTCOME_FAILURE,
	BC_OUTCOME_NEUTRAL,
};

typedef void (*bc_breaker_fn)(void *arg, int from, int to);

struct bc_breaker {
	int state;	     /* BC_BRK_* */
	unsigned threshold;  /* failures in a row that open it; 0: off */
	int64_t cooldown_ms; /* time spent OPEN before HALF_OPEN */
	unsigned failures;   /* consecutive failures while CLOSED */
	int64_t open_until;  /* OPEN: when the cool-down ends */
	int trial;	     /* HALF_OPEN: the one trial is out */
	bc_breaker_fn fn;    /* may be NULL */
	void *arg;	     /* borrowed, passed to fn */
};

/* Start CLOSED with no failures.  fn/arg are borrowed. */
void bc_breaker_init(struct bc_breaker *b, unsigned threshold,
		     int64_t cooldown_ms, bc_breaker_fn fn, void *arg);

/* Apply the clock: OPEN becomes HALF_OPEN once now >= the end of the
 * cool-down.  Returns the state. */
int bc_breaker_poll(struct bc_breaker *b, int64_t now);

/* May a guarded call go ahead now?  1 yes (in HALF_OPEN this takes the one
 * trial: the caller must report its outcome with bc_breaker_record), 0 no:
 * fail fast. */
int bc_breaker_allow(struct bc_breaker *b, int64_t now);

/* Report the outcome of a guarded call. */
void bc_breaker_record(struct bc_breaker *b, enum bc_outcome o, int64_t now);

/* Milliseconds until an OPEN breaker half-opens (0 if not OPEN). */
int64_t bc_breaker_wait_ms(const struct bc_breaker *b, int64_t now);

/* What a call's result means for the breaker.  err is a bc_err code
 * (BC_OK, BC_ERR_TIMEOUT, ...), server_code the broker's ERR code or 0.
 * Success: BC_OK.  Failure: refused or failed connects, timeouts, a
 * garbled handshake or protocol, and broker ERR codes 100..199.  Neutral:
 * everything else, including ERR codes 1..99 and a connection closed
 * under the call. */
enum bc_outcome bc_breaker_classify(int err, int server_code);

/* "closed", "open", "half-open" or "?" (static). */
const char *bc_breaker_name(int state);

#endif
