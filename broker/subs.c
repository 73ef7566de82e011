/* subs.c - see subs.h. */
#include "config.h"

#include "subs.h"

#include <stdlib.h>
#include <string.h>

struct sub *sub_new(void *owner, uint32_t sid, const char *pattern,
		    size_t pattern_len, const char *queue, size_t queue_len)
{
	size_t qsize = queue ? queue_len + 1 : 0;
	struct sub *s = malloc(sizeof *s + pattern_len + 1 + qsize);

	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->pattern = (char *)(s + 1);
	memcpy(s->pattern, pattern, pattern_len);
	s->pattern[pattern_len] = 0;
	s->pattern_len = pattern_len;
	if (queue) {
		s->queue = s->pattern + pattern_len + 1;
		memcpy(s->queue, queue, queue_len);
		s->queue[queue_len] = 0;
	}
	s->ts.owner = owner;
	s->ts.sid = sid;
	s->ts.queue = s->queue;
	return s;
}

void sub_free(struct sub *s)
{
	free(s);
}

void subs_init(struct subs *t)
{
	t->v = NULL;
	t->n = t->cap = 0;
}

void subs_free(struct subs *t)
{
	free(t->v);
	subs_init(t);
}

/* Index of sid, or of where it would be inserted; *found set. */
static size_t lower_bound(const struct subs *t, uint32_t sid, int *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid]->ts.sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->v[lo]->ts.sid == sid;
	return lo;
}

struct sub *subs_get(const struct subs *t, uint32_t sid)
{
	int found;
	size_t i = lower_bound(t, sid, &found);

	return found ? t->v[i] : NULL;
}

int subs_insert(struct subs *t, struct sub *s)
{
	int found;
	size_t i = lower_bound(t, s->ts.sid, &found);

	if (found)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4;
		struct sub **v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
	t->v[i] = s;
	t->n++;
	return 0;
}

struct sub *subs_take(struct subs *t, uint32_t sid)
{
	int found;
	size_t i = lower_bound(t, sid, &found);
	struct sub *s;

	if (!found)
		return NULL;
	s = t->v[i];
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
	t->n--;
	return s;
}

struct sub *subs_take_last(struct subs *t)
{
	return t->n ? t->v[--t->n] : NULL;
}
