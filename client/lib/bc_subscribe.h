/* bc_subscribe.h - SUB/UNSUB on the wire for the subscription table. */
#ifndef BC_SUBSCRIBE_H
#define BC_SUBSCRIBE_H

#include <stdint.h>

#include "brokerclient.h"

/* Send SUB for every subscription of the table (after a WELCOME). */
void bc_subscribe_restore(bc_client *c);
/* Subscribe without waiting, whatever the mode (library-internal subs,
 * no options; pattern borrowed and copied, arg borrowed).  *sid gets the
 * sid.  BC_OK or an error. */
int bc_subscribe_async(bc_client *c, const char *pattern, bc_msg_cb cb,
		       void *arg, uint32_t *sid);
/* NOTICE REVOKED: the broker removed subscription sid (a reload of its
 * rules): forget it, so it is not restored by the next connection and
 * sends no UNSUB.  Unknown sids are ignored. */
void bc_subscribe_revoked(bc_client *c, uint32_t sid);

#endif
