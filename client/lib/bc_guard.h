/*
 * bc_guard.h - the client's circuit breaker: the pure state machine of
 * common/breaker.h (outcomes as bc_breaker.h says) fed with the monotonic
 * clock, and its cool-down timer.
 */
#ifndef BC_GUARD_H
#define BC_GUARD_H

#include <stdint.h>

#include "bc_breaker.h"
#include "brokerclient.h"

struct event;

struct bc_guard {
	struct breaker breaker;
	struct event *ev; /* owned: end of the cool-down */
};

/* Set up the breaker and its timer.  BC_OK or BC_ERR_NOMEM. */
int bc_guard_init(bc_client *c);
/* Free the timer. */
void bc_guard_free(bc_client *c);
/* Before a guarded call: BC_OK (go ahead; while connected this may be
 * the half-open trial, whose outcome bc_guard_result must report),
 * BC_ERR_CIRCUIT_OPEN, or BC_GONE (closed inside the breaker callback). */
int bc_guard_enter(bc_client *c);
/* Outcome of a guarded call or connect attempt (err a bc_err, code the
 * broker's ERR code or 0). */
void bc_guard_result(bc_client *c, int err, int code);
/* Milliseconds until an open breaker half-opens (0 if not open). */
int64_t bc_guard_wait_ms(const bc_client *c);
/* May a connect attempt start now?  1 or 0 (no network touched). */
int bc_guard_connect(bc_client *c);

#endif
