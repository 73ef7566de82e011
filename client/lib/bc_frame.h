/*
 * bc_frame.h - what the client does with each decoded frame, and the
 * session the WELCOME starts: its parameters and the keepalive.
 */
#ifndef BC_FRAME_H
#define BC_FRAME_H

#include <stdint.h>

#include "brokerclient.h"
#include "proto.h"

struct event;

struct bc_session {
	uint64_t ping_ms;	    /* from WELCOME */
	uint64_t client_id;	    /* from WELCOME */
	struct event *keepalive_ev; /* owned */
	uint64_t last_check_ms;	    /* clock_mono_ms of the last check */
	int silent_checks;	    /* keepalive periods without input */
};

/* Act on one frame (m and the memory it points into are borrowed for the
 * call). */
void bc_frame_handle(bc_client *c, const struct proto_msg *m);
/* Stop the keepalive (the connection ended). */
void bc_frame_stop(bc_client *c);

#endif
