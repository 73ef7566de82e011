/*
 * subs.h - one connection's subscriptions: a table from the client's sid to
 * its subscription record.
 *
 * A record holds the struct trie_sub the router links into the topic tree,
 * plus copies of the pattern and queue group name (the frame they came in is
 * gone after the read callback).  Records never move once created (the trie
 * keeps pointers to them); the table is a sorted array of pointers, searched
 * by binary search, so lookups are O(log n) and only insert/remove shift
 * pointers.  Memory: a connection with one subscription (the common case)
 * has no array at all, the pointer is held inline; a record is one
 * allocation of its header (24 bytes) and its strings.
 */
#ifndef BROKERD_SUBS_H
#define BROKERD_SUBS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trie.h"

struct sub {
	struct trie_sub ts; /* ts.owner, ts.sid, ts.queue set by sub_new;
				 * ts.queue: NUL-terminated copy of the queue
				 * group, after the pattern, or NULL (the trie
				 * points it at its interned copy while the
				 * record is linked) */
	char pattern[];	    /* NUL-terminated copy (patterns hold no NUL:
				 * proto_check_pattern refuses control
				 * bytes); no length field, which would cost
				 * a malloc size class for many lengths */
};

/* Length of s->pattern (read at SUB and UNSUB only). */
static inline size_t sub_pattern_len(const struct sub *s)
{
	return strlen(s->pattern);
}

struct subs {
	union {
		struct sub *one;  /* cap == 0: at most one record, inline */
		struct sub **arr; /* else cap pointers, sorted by sid, owned */
	} v;
	uint32_t n, cap;
};

/* A new record (one allocation, strings copied); queue may be NULL.  The
 * caller owns it and frees it with sub_free.  NULL when out of memory. */
struct sub *sub_new(void *owner, uint32_t sid, const char *pattern,
		    size_t pattern_len, const char *queue, size_t queue_len);
void sub_free(struct sub *s);

/* An empty table. */
void subs_init(struct subs *t);

/* Free the table's array (NOT the records: take them out first with
 * subs_take_last, the router must unlink them). */
void subs_free(struct subs *t);

/* The record for sid, borrowed, or NULL. */
struct sub *subs_get(const struct subs *t, uint32_t sid);

/* Insert s (its sid must not be present); the table then references s but
 * the caller still owns it.  0, or -1 when out of memory. */
int subs_insert(struct subs *t, struct sub *s);

/* Remove and return the record for sid (ownership stays with the caller),
 * or NULL when absent. */
struct sub *subs_take(struct subs *t, uint32_t sid);

/* The i-th record in sid order (borrowed), NULL when i >= count.  Taking
 * record i out moves the ones after it down by one place. */
struct sub *subs_at(const struct subs *t, uint32_t i);

/* Remove and return any record, NULL when empty (for teardown). */
struct sub *subs_take_last(struct subs *t);

static inline size_t subs_count(const struct subs *t)
{
	return t->n;
}

#endif
