/*
 * engine_interest.h - the federation's interest table: one record per
 * distinct (pattern, queue group) among the local subscriptions, counting
 * the subscriptions that hold it.  The first reference is where the engine
 * subscribes upstream, the last one gone where it unsubscribes: one NATS
 * subscription per distinct local pattern (per group for queue groups),
 * whatever the number of local subscribers.
 *
 * Loop thread only.  The table owns its records; a record's `up` (the
 * upstream subscription, engine_link.h) is opaque here and never freed by
 * the table.
 */
#ifndef BROKERD_ENGINE_INTEREST_H
#define BROKERD_ENGINE_INTEREST_H

#include <stddef.h>
#include <stdint.h>

#include "tokmap.h"

struct engine_interest {
	void *up;		 /* the caller's: upstream subscription */
	uint32_t refs;		 /* local subscriptions holding it */
	struct tokmap_entry key; /* pattern, NUL, queue group ("" plain) */
	char tok[];
};

/* The pattern and the queue group ("" for plain) of a record. */
static inline const char *engine_interest_pattern(
	const struct engine_interest *e)
{
	return e->tok;
}

const char *engine_interest_queue(const struct engine_interest *e);

struct engine_interests {
	struct tokmap map; /* owned table of owned records */
	uint64_t seed;
};

void engine_interests_init(struct engine_interests *t, uint64_t seed);

/* Free every record (their `up` must have been released by the caller,
 * see engine_interests_next) and the table. */
void engine_interests_free(struct engine_interests *t);

/* One more reference on (pattern, queue); queue NULL: plain.  Returns the
 * record (borrowed) with *first set when it is new (refs 1, up NULL), or
 * NULL when out of memory (nothing changed). */
struct engine_interest *engine_interests_ref(struct engine_interests *t,
					     const char *pattern, size_t len,
					     const char *queue, int *first);

/* One reference less.  Returns the record when that was its last one: it
 * is out of the table and now owned by the caller (free() it after using
 * its `up`); NULL otherwise (also when not held). */
struct engine_interest *engine_interests_unref(struct engine_interests *t,
					       const char *pattern, size_t len,
					       const char *queue);

/* Iterate (see tokmap_next); the table must not change meanwhile. */
struct engine_interest *engine_interests_next(struct engine_interests *t,
					      size_t *pos);

/* Distinct records held. */
size_t engine_interests_count(const struct engine_interests *t);

#endif
