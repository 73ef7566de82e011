/* bc_check.c - public syntax checks for topics and patterns. */
#include "config.h"

#include <string.h>

#include "brokerclient.h"
#include "proto.h"

int bc_check_topic(const char *topic)
{
	if (!topic || proto_check_topic(topic, strlen(topic)) != PROTO_OK_CODE)
		return BC_ERR_INVALID;
	return BC_OK;
}

int bc_check_pattern(const char *pattern)
{
	if (!pattern ||
	    proto_check_pattern(pattern, strlen(pattern)) != PROTO_OK_CODE)
		return BC_ERR_INVALID;
	return BC_OK;
}
