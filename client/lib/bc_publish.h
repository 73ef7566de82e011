/* bc_publish.h - checks and output room shared by publishes and requests. */
#ifndef BC_PUBLISH_H
#define BC_PUBLISH_H

#include <stddef.h>

#include "brokerclient.h"
#include "proto.h"

/* The last topic found valid: publishers mostly repeat one. */
struct bc_topic_cache {
	char topic[PROTO_MAX_TOPIC];
	size_t len; /* 0: none (no topic is empty) */
};

/* Checks shared by all publishes (arguments borrowed for the call): BC_OK
 * or an error. */
int bc_publish_check(bc_client *c, const char *topic, const void *data,
		     size_t len, const char *reply_to);
/* Make room in the output buffer: wait in blocking mode, else
 * BC_ERR_WOULDBLOCK when over the limit.  May return BC_GONE. */
int bc_publish_room(bc_client *c);

#endif
