/* bc_error.c - error texts, the last server error, the error callback. */
#include "config.h"

#include <string.h>

#include "bc_client.h"
#include "bc_error.h"

static const char *const bc_err_text[] = {
	[BC_OK] = "success",
	[BC_ERR_INVALID] = "invalid argument",
	[BC_ERR_NOMEM] = "out of memory",
	[BC_ERR_CONNECT] = "cannot connect to the broker",
	[BC_ERR_HANDSHAKE] = "handshake with the broker failed",
	[BC_ERR_TIMEOUT] = "timed out",
	[BC_ERR_CLOSED] = "connection closed",
	[BC_ERR_SERVER] = "broker returned an error",
	[BC_ERR_PROTOCOL] = "protocol error",
	[BC_ERR_TOO_LARGE] = "payload too large",
	[BC_ERR_WOULDBLOCK] = "operation would block",
	[BC_ERR_NO_SUCH_SUB] = "no such subscription",
	[BC_ERR_CIRCUIT_OPEN] = "circuit breaker open",
	[BC_ERR_BUFFER_FULL] = "offline buffer full",
	[BC_ERR_NOT_BROKER] = "server does not speak the brokerd protocol",
	[BC_ERR_NO_RESPONDERS] = "no responders",
	[BC_ERR_AUTH] = "authentication failed",
	[BC_ERR_FORBIDDEN] = "not authorized",
	[BC_ERR_TLS] = "TLS failure",
};

const char *bc_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof bc_err_text / sizeof *bc_err_text)
		return "unknown error";
	return bc_err_text[err];
}

int bc_last_error(const bc_client *c, const char **reason)
{
	if (!c) {
		if (reason)
			*reason = "";
		return 0;
	}
	if (reason)
		*reason = c->srv_err.reason;
	return c->srv_err.code;
}

void bc_set_server_error(bc_client *c, int code, struct proto_str reason)
{
	size_t n = reason.ptr ? reason.len : 0;

	if (n > PROTO_MAX_REASON)
		n = PROTO_MAX_REASON;
	if (n)
		memcpy(c->srv_err.reason, reason.ptr, n);
	c->srv_err.reason[n] = 0;
	c->srv_err.code = code;
}

void bc_report_error(bc_client *c, int err, int code, const char *reason)
{
	if (c->opts.error_cb)
		c->opts.error_cb(c, err, code, reason ? reason : "",
				 c->opts.error_arg);
}
