/*
 * tokmap.h - an intrusive hash set of tokens (byte strings, not
 * NUL-terminated), used by the topic trie for a node's literal children.
 *
 * Open addressing with linear probing; the table doubles when 3/4 full and
 * halves when under 1/8 full, and is freed when it becomes empty, so memory
 * follows the number of entries.  Deletion re-inserts the rest of the probe
 * cluster (no tombstones), so lookups stay O(1) expected after any mix of
 * inserts and deletes.
 *
 * Intrusive: the caller embeds a struct tokmap_entry in its own record (the
 * trie node) and recovers the record with offsetof.  The token bytes follow
 * the entry directly (a flexible char array declared right after it), so an
 * entry costs 8 bytes and no pointer: a trie node per distinct token is the
 * broker's memory per subscription.  The map stores only
 * pointers to entries: it never allocates, copies or frees them, and never
 * reads the token bytes except to compare.  Each entry carries its hash,
 * computed once by the caller with tokmap_hash() and a seed chosen by the
 * caller (so collisions cannot be precomputed by whoever picks the tokens).
 */
#ifndef BROKERD_TOKMAP_H
#define BROKERD_TOKMAP_H

#include <stddef.h>
#include <stdint.h>

/* Embedded by the caller, immediately followed by the len token bytes
 * (check with TOKMAP_TOK_FOLLOWS), which must stay unchanged while the
 * entry is in a map. */
struct tokmap_entry {
	uint32_t len;
	uint32_t hash; /* tokmap_hash(seed, tok, len), truncated */
};

/* The token bytes of e. */
static inline const char *tokmap_tok(const struct tokmap_entry *e)
{
	return (const char *)(e + 1);
}

/* True when member tok of type T directly follows its entry member key. */
#define TOKMAP_TOK_FOLLOWS(T, key, tok) \
	(offsetof(T, tok) == offsetof(T, key) + sizeof(struct tokmap_entry))

/* The table: its counts live with the slots, so that a map is one
 * pointer in its owner (a trie node, and most nodes are leaves with an
 * empty map: 8 bytes instead of 16 moves a node down a malloc size
 * class for short tokens). */
struct tokmap_table {
	uint32_t cap; /* a power of two */
	uint32_t n;   /* entries held, at least 1 */
	struct tokmap_entry *slots[];
};

/* Zero-initialise (or tokmap_init); free the table with tokmap_free. */
struct tokmap {
	struct tokmap_table *t; /* owned; NULL when empty */
};

/* Entries held. */
static inline size_t tokmap_count(const struct tokmap *m)
{
	return m->t ? m->t->n : 0;
}

/* No entries (cheaper than tokmap_count: no table load). */
static inline int tokmap_is_empty(const struct tokmap *m)
{
	return m->t == NULL;
}

/* Seeded hash of tok[0..len). */
uint64_t tokmap_hash(uint64_t seed, const char *tok, size_t len);

void tokmap_init(struct tokmap *m);

/* Free the table (never the entries) and leave m empty. */
void tokmap_free(struct tokmap *m);

/* The entry with these bytes (and this hash: only its low 32 bits are
 * kept and compared), or NULL.  Borrowed. */
struct tokmap_entry *tokmap_get(const struct tokmap *m, const char *tok,
				size_t len, uint64_t hash);

/* Insert e (borrowed until tokmap_del or tokmap_free).  The caller ensures
 * no entry with the same token is present.  Returns 0, or -1 when out of
 * memory (m unchanged). */
int tokmap_put(struct tokmap *m, struct tokmap_entry *e);

/* Remove e (found by identity, not by token).  Returns 0, or -1 when e is
 * not in m (m unchanged).  Never fails for lack of memory: a failed shrink
 * keeps the larger table. */
int tokmap_del(struct tokmap *m, struct tokmap_entry *e);

/* Iteration: returns the first entry at a slot >= *pos and advances *pos
 * past it, or NULL at the end; start with *pos = 0.  m must not change
 * during an iteration.  Only the slot pointers are read, so the caller may
 * free each entry returned if it then calls tokmap_free without any other
 * use of m (that is how the trie frees a subtree). */
struct tokmap_entry *tokmap_next(const struct tokmap *m, size_t *pos);

#endif
