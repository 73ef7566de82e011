/* bc_loop.h - blocking mode: running the private loop until a condition. */
#ifndef BC_LOOP_H
#define BC_LOOP_H

#include "brokerclient.h"

typedef int (*bc_pred)(bc_client *c, void *arg);
/* Run the private loop until pred(c, arg) is true (BC_OK), timeout_ms
 * passes (BC_ERR_TIMEOUT; < 0: no limit), the connection is down
 * (BC_ERR_CLOSED), or c was freed by a deferred close (BC_GONE: the caller
 * must not touch c).  BC_ERR_WOULDBLOCK in base mode or in a callback.
 * arg is borrowed, passed to pred. */
int bc_loop_until(bc_client *c, bc_pred pred, void *arg, int timeout_ms);
/* Can this call block?  BC_OK or BC_ERR_WOULDBLOCK. */
int bc_can_block(const bc_client *c);
/* A timeout argument as the caller means it: BC_TIMEOUT_DEFAULT becomes
 * the options' timeout, any other negative value -1 (no limit). */
int bc_timeout(const bc_client *c, int timeout_ms);

/* Pred and flag for waits completed by a callback. */
struct bc_waiter {
	int done;
	int err;
	bc_msg *reply; /* bc_request: owned copy */
};
/* bc_pred for a struct bc_waiter (borrowed). */
int bc_waiter_done(bc_client *c, void *waiter);

#endif
