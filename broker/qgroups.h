/*
 * qgroups.h - queue groups interned by name: one record per distinct group
 * name among the live subscriptions, shared by all members of the group
 * whatever pattern they subscribed with.
 *
 * Why: a group needs state of its own that outlives one publish (the
 * round-robin position that spreads messages over its members).  Keeping
 * it in a record found once at subscribe time gives every group its own
 * rotation, and lets a publish tell groups apart by pointer instead of by
 * strcmp.
 *
 * Ownership: the table owns its records; qgroups_ref returns a borrowed
 * pointer, valid until the matching qgroups_unref drops the last
 * reference.  No global state.
 */
#ifndef BROKERD_QGROUPS_H
#define BROKERD_QGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "tokmap.h"

struct qgroup {
	uint64_t turn;		 /* the router's: next member to try */
	uint32_t refs;		 /* private: members holding it */
	struct tokmap_entry key; /* private: name follows it */
	char name[];		 /* NUL-terminated */
};

struct qgroups {
	struct tokmap map; /* owned table of borrowed entries */
	uint64_t seed;
};

/* An empty table; seed perturbs the hash (see tokmap.h). */
void qgroups_init(struct qgroups *q, uint64_t seed);

/* Free every record still held and the table. */
void qgroups_free(struct qgroups *q);

/* The record for name (NUL-terminated), created with turn 0 if new, with
 * one more reference.  Borrowed; NULL when out of memory. */
struct qgroup *qgroups_ref(struct qgroups *q, const char *name);

/* Drop one reference; the record is freed with its last one. */
void qgroups_unref(struct qgroups *q, struct qgroup *g);

/* Distinct groups held (for tests). */
size_t qgroups_count(const struct qgroups *q);

#endif
