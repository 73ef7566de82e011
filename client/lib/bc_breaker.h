/*
 * bc_breaker.h - what a call's result means to the client's circuit
 * breaker.  The state machine itself is common/breaker.h (shared with the
 * broker's federation link); the client starts it CLOSED, never holds it,
 * and feeds it the outcome of every guarded call:
 *
 *   success --> CLOSED from any state, and the failure count restarts;
 *   threshold failures in a row --> OPEN; the HALF_OPEN trial's failure
 *   --> OPEN (a fresh cool-down);
 *   neutral outcomes (client errors such as a bad topic or ERR codes
 *   1..99, a connection closed under a call) never count; in HALF_OPEN
 *   one frees the trial slot.
 *
 * threshold 0 disables the breaker: it stays CLOSED and lets everything
 * through.  Its states are the public BC_BREAKER_* values of
 * brokerclient.h (checked in bc_breaker.c).  No I/O, no allocation, no
 * libevent.
 */
#ifndef BC_BREAKER_H
#define BC_BREAKER_H

#include <stdint.h>

#include "breaker.h"

enum bc_outcome {
	BC_OUTCOME_SUCCESS,
	BC_OUTCOME_FAILURE,
	BC_OUTCOME_NEUTRAL,
};

/* Report the outcome of a guarded call (b is the caller's, borrowed). */
void bc_breaker_record(struct breaker *b, enum bc_outcome o, int64_t now);

/* What a call's result means for the breaker.  err is a bc_err code
 * (BC_OK, BC_ERR_TIMEOUT, ...), server_code the broker's ERR code or 0.
 * Success: BC_OK.  Failure: refused or failed connects, timeouts, a
 * garbled handshake or protocol, and broker ERR codes 100..199.  Neutral:
 * everything else, including ERR codes 1..99 and a connection closed
 * under the call. */
enum bc_outcome bc_breaker_classify(int err, int server_code);

#endif
