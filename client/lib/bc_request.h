/*
 * bc_request.h - request/reply: the outstanding requests (a list, and a
 * map by number for the replies) and the client's inbox.
 */
#ifndef BC_REQUEST_H
#define BC_REQUEST_H

#include <stdint.h>
#include <sys/queue.h>

#include "bc_options.h"
#include "bc_reqmap.h"
#include "brokerclient.h"

struct event;
struct bc_pending;

struct bc_req {
	TAILQ_ENTRY(bc_req) link; /* newest first */
	struct bc_req *hnext;	  /* bucket chain of the request map */
	uint64_t n;		  /* last token of the reply topic */
	bc_reply_cb cb;
	void *arg;		/* borrowed, passed to cb */
	struct event *timer;	/* owned */
	bc_client *c;		/* borrowed */
	uint64_t pub_req_id;	/* req_id of the request's PUB */
	struct bc_pending *ack; /* the PUB's wait (borrowed), NULL once
				     * it ended */
};

TAILQ_HEAD(bc_req_list, bc_req);

struct bc_requests {
	struct bc_req_list list; /* owned requests */
	struct bc_reqmap map;	 /* the same, by number */
	/* "_INBOX.<16 hex>", or "_INBOX.<user>.<16 hex>" with credentials
	 * (inside the broker's private inbox of that user); "" until
	 * needed */
	char inbox[7 + BC_MAX_USER + 1 + 16 + 1];
	uint32_t inbox_sid; /* 0: not subscribed */
	uint64_t next_n;
};

/* No requests, no inbox. */
void bc_requests_init(struct bc_requests *q);
/* Free the map (the list must be empty: bc_request_fail_all). */
void bc_requests_free(struct bc_requests *q);
/* End every outstanding request with err (BC_ERR_CLOSED). */
void bc_request_fail_all(bc_client *c, int err);
/* End the requests whose PUB went out with a req_id <= max. */
void bc_request_fail_upto(bc_client *c, uint64_t max, int err);

#endif
