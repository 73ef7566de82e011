/*
 * bc_sub_options.c - subscription options (queue policy and bounds asked
 * of the broker with a SUB): the opaque object and its setters.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bc_sub.h"

/* Largest bound accepted: the protocol carries a msgpack uint, but the
 * broker keeps sizes in signed 64-bit arithmetic in places. */
#define BC_MAX_BOUND ((uint64_t)1 << 63)

bc_sub_options *bc_sub_options_new(void)
{
	return calloc(1, sizeof(bc_sub_options));
}

void bc_sub_options_free(bc_sub_options *so)
{
	free(so);
}

int bc_sub_options_set_policy(bc_sub_options *so, int policy)
{
	if (!so || policy < BC_POLICY_DEFAULT || policy > BC_POLICY_BLOCK)
		return BC_ERR_INVALID;
	/* enum bc_policy has the values of enum proto_policy. */
	so->o.policy = (uint8_t)policy;
	return BC_OK;
}

int bc_sub_options_set_max_msgs(bc_sub_options *so, uint64_t max_msgs)
{
	if (!so || max_msgs > BC_MAX_BOUND)
		return BC_ERR_INVALID;
	so->o.max_msgs = max_msgs;
	return BC_OK;
}

int bc_sub_options_set_max_bytes(bc_sub_options *so, uint64_t max_bytes)
{
	if (!so || max_bytes > BC_MAX_BOUND)
		return BC_ERR_INVALID;
	so->o.max_bytes = max_bytes;
	return BC_OK;
}

int bc_policy_parse(const char *name)
{
	enum proto_policy p;

	if (!name)
		return -1;
	p = proto_policy_parse(name, strlen(name));
	return p == PROTO_POLICY_NONE ? -1 : (int)p;
}
