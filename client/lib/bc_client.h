/*
 * bc_client.h - the client handle behind the public bc_client: the parts
 * each module owns (declared in that module's header), the connection
 * state the frame loop reads, and the bookkeeping that makes closing from
 * inside callbacks safe.  Not installed.
 */
#ifndef BC_CLIENT_H
#define BC_CLIENT_H

#include <stdint.h>

#include "bc_conn.h"
#include "bc_error.h"
#include "bc_frame.h"
#include "bc_guard.h"
#include "bc_offline.h"
#include "bc_options.h"
#include "bc_pending.h"
#include "bc_publish.h"
#include "bc_reconnect.h"
#include "bc_request.h"
#include "bc_sub.h"
#include "brokerclient.h"

struct bufferevent;
struct event_base;

/* Internal result of a blocking wait: the client was freed inside it. */
#define BC_GONE (-1)

struct bc_client {
	struct bc_options opts;	 /* own copy */
	struct event_base *base; /* owned if own_base */
	int own_base;		 /* blocking mode */
	int state;		 /* enum bc_state */
	struct bufferevent *bev; /* owned, NULL when disconnected */
	uint64_t max_payload;	 /* from WELCOME */
	uint64_t last_rx_ms;	 /* clock_mono_ms of the last input */
	uint64_t next_req_id;
	uint64_t wire_req_id; /* highest req_id handed to a connection */

	struct bc_conn conn;
	struct bc_session sess;
	struct bc_reconnect recon;
	struct bc_guard guard;
	struct bc_offline offline;
	struct bc_waits waits;
	struct bc_sub_table subs;
	struct bc_requests req;
	struct bc_server_error srv_err;
	struct bc_topic_cache topic_cache;

	int depth;	    /* libevent/user callbacks on the stack */
	int loop_depth;	    /* a blocking call runs the loop */
	int no_handle;	    /* inside bc_connect: bc_close ignored */
	int closing;	    /* bc_close called */
	int close_deferred; /* free once depth and loop_depth are 0 */
	int break_req;	    /* bc_break called */
	int input_pending;  /* frames left unread after a break */
	int in_run;	    /* the loop runs for bc_run */
};

/* Bracket code that may call user callbacks. */
void bc_enter(bc_client *c);
/* Returns 1 if c was freed (a deferred close), 0 otherwise. */
int bc_leave(bc_client *c);
/* Free c and everything it owns now. */
void bc_destroy(bc_client *c);
/* Common argument/state check for operations: BC_OK, BC_ERR_INVALID for a
 * NULL client, BC_ERR_CLOSED when closing or disconnected for good. */
int bc_usable(const bc_client *c);
/* Change state and tell the state callback (RECONNECTED: the state becomes
 * CONNECTED, the callback gets RECONNECTED). */
void bc_set_state(bc_client *c, int state, int err);

#endif
