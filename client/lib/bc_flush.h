/* bc_flush.h - PING/PONG flushes. */
#ifndef BC_FLUSH_H
#define BC_FLUSH_H

#include "brokerclient.h"

/* Send the PINGs of the flushes that waited for a connection (after a
 * WELCOME, behind the offline buffer). */
void bc_flush_send_waiting(bc_client *c);

#endif
