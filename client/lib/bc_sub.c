/*
 * bc_sub.c - the subscription table: the client's subscriptions sorted by
 * sid.  sids are handed out in increasing order, so appending keeps the
 * array sorted and lookups are binary searches.  A subscription removed
 * while its callback runs is only marked dead and freed when the callback
 * returns, so callbacks may unsubscribe themselves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bc_msg.h"
#include "bc_sub.h"

static void sub_free(struct bc_sub *s)
{
	free(s->pattern);
	free(s->queue);
	free(s);
}

static int table_grow(struct bc_sub_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 8;
	struct bc_sub **v;

	if (t->n < t->cap)
		return 0;
	v = realloc(t->v, cap * sizeof *v);
	if (!v)
		return -1;
	t->v = v;
	t->cap = cap;
	return 0;
}

struct bc_sub *bc_sub_add(struct bc_sub_table *t, const char *pattern,
			  const char *queue, const struct bc_sub_options *so,
			  bc_msg_cb cb, void *arg)
{
	struct bc_sub *s;

	if (t->next_sid == UINT32_MAX || table_grow(t) != 0)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->pattern = strdup(pattern);
	s->queue = queue ? strdup(queue) : NULL;
	if (!s->pattern || (queue && !s->queue)) {
		sub_free(s);
		return NULL;
	}
	if (so) {
		s->opts = so->o;
		s->has_opts = 1;
	}
	s->sid = ++t->next_sid;
	s->cb = cb;
	s->arg = arg;
	t->v[t->n++] = s;
	return s;
}

/* Index of sid in the table, or -1. */
static long find_index(const struct bc_sub_table *t, uint32_t sid)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid]->sid == sid)
			return (long)mid;
		if (t->v[mid]->sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct bc_sub *bc_sub_find(const struct bc_sub_table *t, uint32_t sid)
{
	long i = find_index(t, sid);

	return i < 0 ? NULL : t->v[i];
}

int bc_sub_remove(struct bc_sub_table *t, uint32_t sid)
{
	long i = find_index(t, sid);
	struct bc_sub *s;

	if (i < 0)
		return -1;
	s = t->v[i];
	memmove(&t->v[i], &t->v[i + 1], (t->n - (size_t)i - 1) * sizeof *t->v);
	t->n--;
	if (s->busy)
		s->dead = 1;
	else
		sub_free(s);
	return 0;
}

void bc_sub_dispatch(bc_client *c, struct bc_sub_table *t,
		     const struct bc_msg *m)
{
	struct bc_sub *s = bc_sub_find(t, m->sid);

	if (!s)
		return;
	s->busy++;
	s->cb(c, m, s->arg);
	s->busy--;
	if (s->dead && !s->busy)
		sub_free(s);
}

void bc_sub_table_free(struct bc_sub_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		sub_free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
