/* bc_breaker.c - call outcomes for the client's breaker; see bc_breaker.h. */
#include "config.h"

#include "bc_breaker.h"
#include "brokerclient.h"

_Static_assert((int)BREAKER_CLOSED == (int)BC_BREAKER_CLOSED &&
		       (int)BREAKER_OPEN == (int)BC_BREAKER_OPEN &&
		       (int)BREAKER_HALF_OPEN == (int)BC_BREAKER_HALF_OPEN,
	       "breaker states must match the public values");

void bc_breaker_record(struct breaker *b, enum bc_outcome o, int64_t now)
{
	switch (o) {
	case BC_OUTCOME_SUCCESS:
		/* from any state: a late success closes an OPEN one too */
		breaker_close(b);
		break;
	case BC_OUTCOME_FAILURE:
		breaker_failure(b, now);
		break;
	case BC_OUTCOME_NEUTRAL:
		breaker_neutral(b);
		break;
	}
}

enum bc_outcome bc_breaker_classify(int err, int server_code)
{
	switch (err) {
	case BC_OK:
		return BC_OUTCOME_SUCCESS;
	case BC_ERR_CONNECT:
	case BC_ERR_TIMEOUT:
	case BC_ERR_PROTOCOL:
	case BC_ERR_NOT_BROKER:
	case BC_ERR_TLS: /* like a failed connect */
		return BC_OUTCOME_FAILURE;
	case BC_ERR_SERVER:
	case BC_ERR_HANDSHAKE:
		if (server_code >= 100 && server_code <= 199)
			return BC_OUTCOME_FAILURE;
		/* A handshake the broker broke off without an ERR (EOF,
		 * garbage) is its failure; codes 1..99 are ours. */
		if (err == BC_ERR_HANDSHAKE && server_code == 0)
			return BC_OUTCOME_FAILURE;
		return BC_OUTCOME_NEUTRAL;
	default:
		return BC_OUTCOME_NEUTRAL;
	}
}
