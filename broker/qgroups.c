/* qgroups.c - see qgroups.h. */
#include "qgroups.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(TOKMAP_TOK_FOLLOWS(struct qgroup, key, name),
	       "a group's name must follow its map entry");

void qgroups_init(struct qgroups *q, uint64_t seed)
{
	tokmap_init(&q->map);
	q->seed = seed;
}

void qgroups_free(struct qgroups *q)
{
	struct tokmap_entry *e;
	size_t pos = 0;

	/* tokmap_next reads only slot pointers: freeing as we go is fine */
	while ((e = tokmap_next(&q->map, &pos)) != NULL)
		free((char *)e - offsetof(struct qgroup, key));
	tokmap_free(&q->map);
}

struct qgroup *qgroups_ref(struct qgroups *q, const char *name)
{
	size_t len = strlen(name);
	uint64_t h = tokmap_hash(q->seed, name, len);
	struct tokmap_entry *e = tokmap_get(&q->map, name, len, h);
	struct qgroup *g;

	if (e != NULL) {
		g = (struct qgroup *)(void *)((char *)e -
					      offsetof(struct qgroup, key));
		g->refs++;
		return g;
	}
	g = malloc(sizeof(*g) + len + 1);
	if (g == NULL)
		return NULL;
	memcpy(g->name, name, len + 1);
	g->turn = 0;
	g->refs = 1;
	g->key.len = (uint32_t)len;
	g->key.hash = (uint32_t)h;
	if (tokmap_put(&q->map, &g->key) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

void qgroups_unref(struct qgroups *q, struct qgroup *g)
{
	if (--g->refs > 0)
		return;
	(void)tokmap_del(&q->map, &g->key);
	free(g);
}

size_t qgroups_count(const struct qgroups *q)
{
	return tokmap_count(&q->map);
}
