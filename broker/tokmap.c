/*
 * tokmap.c - intrusive open-addressing hash set of tokens; see tokmap.h.
 */
#include "tokmap.h"

#include <stdlib.h>
#include <string.h>

#define TOKMAP_MIN_CAP 8u
#define TOKMAP_MAX_CAP (UINT32_C(1) << 31) /* cap is a uint32_t */

/* FNV-1a over the bytes from a seeded start, then the murmur3 64-bit
 * finaliser: FNV's low bits depend only on the low bits of its input, and
 * the table index is taken from the low bits. */
uint64_t tokmap_hash(uint64_t seed, const char *tok, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)tok[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

void tokmap_init(struct tokmap *m)
{
	m->t = NULL;
}

void tokmap_free(struct tokmap *m)
{
	free(m->t);
	tokmap_init(m);
}

/* Put e in the first free slot of its probe sequence; one must exist. */
static void tokmap_place(struct tokmap_table *t, struct tokmap_entry *e)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)e->hash & mask;

	while (t->slots[i] != NULL)
		i = (i + 1) & mask;
	t->slots[i] = e;
}

/* Rehash into a new table of cap slots (a power of two > the count). */
static int tokmap_resize(struct tokmap *m, size_t cap)
{
	struct tokmap_table *old = m->t;
	struct tokmap_table *t = calloc(1,
					sizeof *t + cap * sizeof t->slots[0]);

	if (t == NULL)
		return -1;
	t->cap = (uint32_t)cap;
	t->n = old ? old->n : 0;
	for (size_t i = 0; old && i < old->cap; i++)
		if (old->slots[i] != NULL)
			tokmap_place(t, old->slots[i]);
	free(old);
	m->t = t;
	return 0;
}

struct tokmap_entry *tokmap_get(const struct tokmap *m, const char *tok,
				size_t len, uint64_t hash)
{
	const struct tokmap_table *t = m->t;
	struct tokmap_entry *e;
	size_t mask, i;

	if (t == NULL)
		return NULL;
	mask = t->cap - 1;
	/* Terminates: the load factor is kept at or under 3/4. */
	for (i = (size_t)(uint32_t)hash & mask; (e = t->slots[i]) != NULL;
	     i = (i + 1) & mask) {
		if (e->hash == (uint32_t)hash && e->len == len &&
		    memcmp(tokmap_tok(e), tok, len) == 0)
			return e;
	}
	return NULL;
}

int tokmap_put(struct tokmap *m, struct tokmap_entry *e)
{
	size_t n = tokmap_count(m), cap = m->t ? m->t->cap : 0;

	if ((n + 1) * 4 > cap * 3) {
		cap = cap ? cap * 2 : TOKMAP_MIN_CAP;
		if (cap > TOKMAP_MAX_CAP || tokmap_resize(m, cap) < 0)
			return -1;
	}
	tokmap_place(m->t, e);
	m->t->n++;
	return 0;
}

/* Empty slot i, then re-place every entry of the cluster after it so no
 * probe sequence is cut short by the hole. */
static void tokmap_vacate(struct tokmap_table *t, size_t i)
{
	size_t mask = t->cap - 1;
	struct tokmap_entry *e;

	t->slots[i] = NULL;
	for (i = (i + 1) & mask; (e = t->slots[i]) != NULL;
	     i = (i + 1) & mask) {
		t->slots[i] = NULL;
		tokmap_place(t, e);
	}
}

int tokmap_del(struct tokmap *m, struct tokmap_entry *e)
{
	struct tokmap_table *t = m->t;
	size_t mask, i;

	if (t == NULL)
		return -1;
	mask = t->cap - 1;
	for (i = (size_t)e->hash & mask; t->slots[i] != e; i = (i + 1) & mask)
		if (t->slots[i] == NULL)
			return -1;
	tokmap_vacate(t, i);
	if (--t->n == 0)
		tokmap_free(m);
	else if (t->cap > TOKMAP_MIN_CAP && (size_t)t->n * 8 < t->cap)
		(void)tokmap_resize(m, t->cap / 2);
	return 0;
}

struct tokmap_entry *tokmap_next(const struct tokmap *m, size_t *pos)
{
	const struct tokmap_table *t = m->t;
	size_t cap = t ? t->cap : 0;

	for (size_t i = *pos; i < cap; i++) {
		if (t->slots[i] != NULL) {
			*pos = i + 1;
			return t->slots[i];
		}
	}
	*pos = cap;
	return NULL;
}
