/*
 * bc_offline.h - the offline buffer: whole PUB frames published while not
 * connected, moved to the next connection after its WELCOME.
 */
#ifndef BC_OFFLINE_H
#define BC_OFFLINE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerclient.h"

struct evbuffer;

struct bc_offline {
	struct evbuffer *buf; /* owned */
	size_t msgs;	      /* frames in buf */
};

/* BC_OK or BC_ERR_NOMEM. */
int bc_offline_init(bc_client *c);
/* Append one PUB frame (head[0..n) then data[0..len), both borrowed and
 * copied): BC_OK, BC_ERR_BUFFER_FULL, BC_ERR_NOMEM, or when the buffer is
 * disabled BC_ERR_CLOSED / BC_ERR_CIRCUIT_OPEN. */
int bc_offline_add(bc_client *c, const uint8_t *head, size_t n,
		   const void *data, size_t len);
/* Move everything to the connection's output, in order. */
int bc_offline_flush(bc_client *c);
/* Drop everything buffered. */
void bc_offline_clear(bc_client *c);
/* Free the buffer. */
void bc_offline_free(bc_client *c);

#endif
