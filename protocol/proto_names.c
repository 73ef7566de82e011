/* proto_names.c - English names of error codes and operations. */
#include "proto.h"

#include <string.h>

const char *proto_err_str(enum proto_err code)
{
	switch (code) {
	case PROTO_OK_CODE:
		return "no error";
	case PROTO_E_MALFORMED:
		return "malformed frame";
	case PROTO_E_FRAME_TOO_LARGE:
		return "frame length zero or over the limit";
	case PROTO_E_TOO_DEEP:
		return "frame nested too deeply";
	case PROTO_E_UNKNOWN_OP:
		return "unknown operation";
	case PROTO_E_BAD_FIELD:
		return "missing or mistyped field";
	case PROTO_E_BAD_VERSION:
		return "unsupported protocol version";
	case PROTO_E_NOT_READY:
		return "HELLO expected first, and only once";
	case PROTO_E_BAD_TOPIC:
		return "invalid topic";
	case PROTO_E_BAD_PATTERN:
		return "invalid subscription pattern";
	case PROTO_E_BAD_QUEUE:
		return "invalid queue group name";
	case PROTO_E_PAYLOAD_TOO_LARGE:
		return "payload too large";
	case PROTO_E_SID_IN_USE:
		return "subscription id already in use";
	case PROTO_E_NO_SUCH_SID:
		return "no such subscription id";
	case PROTO_E_BAD_SID:
		return "subscription id out of range";
	case PROTO_E_TOO_MANY_SUBS:
		return "too many subscriptions";
	case PROTO_E_BAD_NAME:
		return "invalid client name";
	case PROTO_E_NO_RESPONDERS:
		return "no responders";
	case PROTO_E_AUTH_FAILED:
		return "authentication failed";
	case PROTO_E_FORBIDDEN:
		return "not authorized";
	case PROTO_E_SERVER_BUSY:
		return "server busy";
	case PROTO_E_SHUTTING_DOWN:
		return "server shutting down";
	case PROTO_E_TIMEOUT:
		return "timeout";
	case PROTO_E_INTERNAL:
		return "internal server error";
	}
	return "unknown";
}

const char *proto_op_str(unsigned op)
{
	static const char *const names[] = {
		[PROTO_HELLO] = "HELLO",   [PROTO_WELCOME] = "WELCOME",
		[PROTO_PUB] = "PUB",	   [PROTO_SUB] = "SUB",
		[PROTO_UNSUB] = "UNSUB",   [PROTO_MSG] = "MSG",
		[PROTO_PING] = "PING",	   [PROTO_PONG] = "PONG",
		[PROTO_OK] = "OK",	   [PROTO_ERR] = "ERR",
		[PROTO_NOTICE] = "NOTICE",
	};

	if (op >= sizeof names / sizeof names[0] || !names[op])
		return "?";
	return names[op];
}

static const char *const policy_names[] = {
	[PROTO_POLICY_DROP_OLDEST] = "drop-oldest",
	[PROTO_POLICY_DROP_NEWEST] = "drop-newest",
	[PROTO_POLICY_DISCONNECT] = "disconnect",
	[PROTO_POLICY_BLOCK] = "block",
};

#define NPOLICIES (sizeof policy_names / sizeof policy_names[0])

const char *proto_policy_str(unsigned policy)
{
	return policy < NPOLICIES ? policy_names[policy] : NULL;
}

enum proto_policy proto_policy_parse(const char *name, size_t len)
{
	for (unsigned i = 1; i < NPOLICIES; i++)
		if (strlen(policy_names[i]) == len &&
		    memcmp(policy_names[i], name, len) == 0)
			return (enum proto_policy)i;
	return PROTO_POLICY_NONE;
}
