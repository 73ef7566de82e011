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
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}

void tokmap_free(struct tokmap *m)
{
	free(m->slots);
	tokmap_init(m);
}

/* Put e in the first free slot of its probe sequence; one must exist. */
static void tokmap_place(struct tokmap_entry **slots, size_t cap,
			 struct tokmap_entry *e)
{
	size_t mask = cap - 1;
	size_t i = (size_t)e->hash & mask;

	while (slots[i] != NULL)
		i = (i + 1) & mask;
	slots[i] = e;
}

/* Rehash into a new table of cap slots (a power of two > m->n). */
static int tokmap_resize(struct tokmap *m, size_t cap)
{
	struct tokmap_entry **slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i] != NULL)
			tokmap_place(slots, cap, m->slots[i]);
	free(m->slots);
	m->slots = slots;
	m->cap = (uint32_t)cap;
	return 0;
}

struct tokmap_entry *tokmap_get(const struct tokmap *m, const char *tok,
				size_t len, uint64_t hash)
{
	struct tokmap_entry *e;
	size_t mask, i;

	if (m->n == 0)
		return NULL;
	mask = m->cap - 1;
	/* Terminates: the load factor is kept at or under 3/4. */
	for (i = (size_t)(uint32_t)hash & mask; (e = m->slots[i]) != NULL;
	     i = (i + 1) & mask) {
		if (e->hash == (uint32_t)hash && e->len == len &&
		    memcmp(tokmap_tok(e), tok, len) == 0)
			return e;
	}
	return NULL;
}

int tokmap_put(struct tokmap *m, struct tokmap_entry *e)
{
	if (((size_t)m->n + 1) * 4 > (size_t)m->cap * 3) {
		size_t cap = m->cap ? (size_t)m->cap * 2 : TOKMAP_MIN_CAP;

		if (cap > TOKMAP_MAX_CAP || tokmap_resize(m, cap) < 0)
			return -1;
	}
	tokmap_place(m->slots, m->cap, e);
	m->n++;
	return 0;
}

/* Empty slot i, then re-place every entry of the cluster after it so no
 * probe sequence is cut short by the hole. */
static void tokmap_vacate(struct tokmap *m, size_t i)
{
	size_t mask = m->cap - 1;
	struct tokmap_entry *e;

	m->slots[i] = NULL;
	for (i = (i + 1) & mask; (e = m->slots[i]) != NULL;
	     i = (i + 1) & mask) {
		m->slots[i] = NULL;
		tokmap_place(m->slots, m->cap, e);
	}
}

int tokmap_del(struct tokmap *m, struct tokmap_entry *e)
{
	size_t mask, i;

	if (m->n == 0)
		return -1;
	mask = m->cap - 1;
	for (i = (size_t)e->hash & mask; m->slots[i] != e; i = (i + 1) & mask)
		if (m->slots[i] == NULL)
			return -1;
	tokmap_vacate(m, i);
	m->n--;
	if (m->n == 0)
		tokmap_free(m);
	else if (m->cap > TOKMAP_MIN_CAP && (size_t)m->n * 8 < m->cap)
		(void)tokmap_resize(m, m->cap / 2);
	return 0;
}

struct tokmap_entry *tokmap_next(const struct tokmap *m, size_t *pos)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (m->slots[i] != NULL) {
			*pos = i + 1;
			return m->slots[i];
		}
	}
	*pos = m->cap;
	return NULL;
}
