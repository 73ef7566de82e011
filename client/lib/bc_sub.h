/*
 * bc_sub.h - subscriptions: the options of one (behind the public
 * bc_sub_options handle) and the client's table of them, sorted by sid.
 * The table outlives connections: it is what a new connection restores.
 */
#ifndef BC_SUB_H
#define BC_SUB_H

#include <stddef.h>
#include <stdint.h>

#include "brokerclient.h"
#include "proto.h"

struct bc_msg;

struct bc_sub_options {
	struct proto_sub_opts o; /* 0 / PROTO_POLICY_NONE: not set */
};

struct bc_sub {
	uint32_t sid;
	char *pattern;		    /* owned */
	char *queue;		    /* owned, NULL: none */
	struct proto_sub_opts opts; /* sent with every SUB of it */
	int has_opts;		    /* 0: a plain 5-element SUB */
	bc_msg_cb cb;
	void *arg; /* borrowed, passed to cb */
	int busy;  /* callbacks of this sub running */
	int dead;  /* removed while busy: free when idle */
};

struct bc_sub_table {
	struct bc_sub **v; /* owned array of owned subs */
	size_t n, cap;
	uint32_t next_sid;
};

/* New sub with copies of pattern, queue and opts (NULL: none; all
 * borrowed), owned by the table, under the next sid; NULL when out of
 * memory or sids are exhausted.  The result is borrowed from the table. */
struct bc_sub *bc_sub_add(struct bc_sub_table *t, const char *pattern,
			  const char *queue, const struct bc_sub_options *so,
			  bc_msg_cb cb, void *arg);
/* The live sub with sid, or NULL (borrowed from the table). */
struct bc_sub *bc_sub_find(const struct bc_sub_table *t, uint32_t sid);
/* Take sid out of the table and free it (later, if busy).  0 or -1. */
int bc_sub_remove(struct bc_sub_table *t, uint32_t sid);
/* Deliver m (borrowed for the call) to its subscription's callback
 * (nothing if unknown). */
void bc_sub_dispatch(bc_client *c, struct bc_sub_table *t,
		     const struct bc_msg *m);
/* Free every subscription (none may be busy). */
void bc_sub_table_free(struct bc_sub_table *t);

#endif
