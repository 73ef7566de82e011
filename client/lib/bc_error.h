/* bc_error.h - the last server error and the error callback. */
#ifndef BC_ERROR_H
#define BC_ERROR_H

#include "brokerclient.h"
#include "proto.h"

struct bc_server_error {
	int code; /* broker ERR code, 0: none yet */
	char reason[PROTO_MAX_REASON + 1];
};

/* Remember a broker ERR (reason, a view borrowed for the call, is copied
 * and truncated). */
void bc_set_server_error(bc_client *c, int code, struct proto_str reason);
/* Call the error callback, if any, with err/code/reason (a C string,
 * borrowed for the call). */
void bc_report_error(bc_client *c, int err, int code, const char *reason);

#endif
