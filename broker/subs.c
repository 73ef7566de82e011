/* subs.c - see subs.h. */
#include "config.h"

#include "subs.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct sub *sub_new(void *owner, uint32_t sid, const char *pattern,
		    size_t pattern_len, const char *queue, size_t queue_len)
{
	size_t qsize = queue ? queue_len + 1 : 0;
	struct sub *s;
	char *q;

	/* one allocation: header, pattern, then the queue name */
	s = malloc(offsetof(struct sub, pattern) + pattern_len + 1 + qsize);
	if (!s)
		return NULL;
	s->ts.queue = NULL;
	s->ts.slot = 0;
	s->ts.filtered = 0;
	memcpy(s->pattern, pattern, pattern_len);
	s->pattern[pattern_len] = 0;
	if (queue) {
		q = s->pattern + pattern_len + 1;
		memcpy(q, queue, queue_len);
		q[queue_len] = 0;
		s->ts.queue = q;
	}
	s->ts.owner = owner;
	s->ts.sid = sid;
	return s;
}

void sub_free(struct sub *s)
{
	free(s);
}

void subs_init(struct subs *t)
{
	t->v.one = NULL;
	t->n = t->cap = 0;
}

void subs_free(struct subs *t)
{
	if (t->cap != 0)
		free(t->v.arr);
	subs_init(t);
}

/* The table's slots (n of them used): the inline one while cap is 0. */
static struct sub **slots(struct subs *t)
{
	return t->cap != 0 ? t->v.arr : &t->v.one;
}

static struct sub *const *slots_const(const struct subs *t)
{
	return t->cap != 0 ? t->v.arr : &t->v.one;
}

/* Index of sid, or of where it would be inserted; *found set. */
static uint32_t lower_bound(const struct subs *t, uint32_t sid, int *found)
{
	struct sub *const *v = slots_const(t);
	uint32_t lo = 0, hi = t->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid]->ts.sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && v[lo]->ts.sid == sid;
	return lo;
}

struct sub *subs_get(const struct subs *t, uint32_t sid)
{
	int found;
	uint32_t i = lower_bound(t, sid, &found);

	return found ? slots_const(t)[i] : NULL;
}

/* Room for one more record: leave the inline slot for an array of 4, then
 * double.  0 or -1. */
static int grow(struct subs *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 4;
	struct sub **v;

	if (t->cap > UINT32_MAX / 2)
		return -1;
	if (t->cap == 0) {
		v = malloc(cap * sizeof *v);
		if (v && t->n == 1)
			v[0] = t->v.one;
	} else {
		v = realloc(t->v.arr, cap * sizeof *v);
	}
	if (!v)
		return -1;
	t->v.arr = v;
	t->cap = cap;
	return 0;
}

int subs_insert(struct subs *t, struct sub *s)
{
	int found;
	uint32_t i = lower_bound(t, s->ts.sid, &found);
	struct sub **v;

	if (found)
		return -1;
	if (t->n == (t->cap ? t->cap : 1) && grow(t) != 0)
		return -1;
	v = slots(t);
	memmove(&v[i + 1], &v[i], (t->n - i) * sizeof *v);
	v[i] = s;
	t->n++;
	return 0;
}

struct sub *subs_take(struct subs *t, uint32_t sid)
{
	int found;
	uint32_t i = lower_bound(t, sid, &found);
	struct sub **v = slots(t);
	struct sub *s;

	if (!found)
		return NULL;
	s = v[i];
	memmove(&v[i], &v[i + 1], (t->n - i - 1) * sizeof *v);
	t->n--;
	if (t->n == 0 && t->cap != 0)
		subs_free(t); /* back to the inline slot */
	return s;
}

struct sub *subs_at(const struct subs *t, uint32_t i)
{
	return i < t->n ? slots((struct subs *)t)[i] : NULL;
}

struct sub *subs_take_last(struct subs *t)
{
	struct sub *s;

	if (t->n == 0)
		return NULL;
	s = slots(t)[--t->n];
	if (t->n == 0 && t->cap != 0)
		subs_free(t);
	return s;
}
