/*
 * bc_msg.h - a received message, behind the public bc_msg handle.  The
 * ones handed to callbacks borrow the frame's memory; bc_msg_dup makes an
 * owned copy in one allocation.
 */
#ifndef BC_MSG_H
#define BC_MSG_H

#include <stddef.h>
#include <stdint.h>

struct bc_msg {
	uint32_t sid;
	int owned; /* 1: from bc_msg_dup, one allocation */
	const char *topic;
	const char *reply_to; /* NULL: none */
	const void *data;
	size_t len;
};

#endif
