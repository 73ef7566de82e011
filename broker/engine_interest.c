/* engine_interest.c - see engine_interest.h. */
#include "config.h"

#include "engine_interest.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(TOKMAP_TOK_FOLLOWS(struct engine_interest, key, tok),
	       "the key's bytes must follow its entry");

const char *engine_interest_queue(const struct engine_interest *e)
{
	return e->tok + strlen(e->tok) + 1;
}

void engine_interests_init(struct engine_interests *t, uint64_t seed)
{
	tokmap_init(&t->map);
	t->seed = seed;
}

static struct engine_interest *of(struct tokmap_entry *e)
{
	return e ? (struct engine_interest
			    *)(void *)((char *)e -
				       offsetof(struct engine_interest, key))
		 : NULL;
}

struct engine_interest *engine_interests_next(struct engine_interests *t,
					      size_t *pos)
{
	return of(tokmap_next(&t->map, pos));
}

void engine_interests_free(struct engine_interests *t)
{
	size_t pos = 0;
	struct engine_interest *e;

	while ((e = engine_interests_next(t, &pos)))
		free(e);
	tokmap_free(&t->map);
}

/* The key "pattern\0queue" into buf (len bytes), or NULL when too long. */
static char *make_key(const char *pattern, size_t len, const char *queue,
		      size_t *klen)
{
	size_t qlen = queue ? strlen(queue) : 0;
	char *k;

	if (len > SIZE_MAX / 2 || qlen > SIZE_MAX / 2 ||
	    len + qlen + 1 > UINT32_MAX)
		return NULL;
	k = malloc(len + qlen + 2);
	if (!k)
		return NULL;
	memcpy(k, pattern, len);
	k[len] = '\0';
	memcpy(k + len + 1, queue ? queue : "", qlen);
	k[len + 1 + qlen] = '\0';
	*klen = len + 1 + qlen;
	return k;
}

static struct engine_interest *insert(struct engine_interests *t, const char *k,
				      size_t klen, uint64_t h)
{
	struct engine_interest *e = malloc(sizeof *e + klen + 1);

	if (!e)
		return NULL;
	e->up = NULL;
	e->refs = 1;
	e->key.len = (uint32_t)klen;
	e->key.hash = (uint32_t)h;
	memcpy(e->tok, k, klen + 1);
	if (tokmap_put(&t->map, &e->key) != 0) {
		free(e);
		return NULL;
	}
	return e;
}

struct engine_interest *engine_interests_ref(struct engine_interests *t,
					     const char *pattern, size_t len,
					     const char *queue, int *first)
{
	size_t klen;
	char *k = make_key(pattern, len, queue, &klen);
	struct engine_interest *e;
	uint64_t h;

	*first = 0;
	if (!k)
		return NULL;
	h = tokmap_hash(t->seed, k, klen);
	e = of(tokmap_get(&t->map, k, klen, h));
	if (e) {
		e->refs++;
	} else {
		e = insert(t, k, klen, h);
		*first = e != NULL;
	}
	free(k);
	return e;
}

struct engine_interest *engine_interests_unref(struct engine_interests *t,
					       const char *pattern, size_t len,
					       const char *queue)
{
	size_t klen;
	char *k = make_key(pattern, len, queue, &klen);
	struct engine_interest *e;

	if (!k)
		return NULL;
	e = of(tokmap_get(&t->map, k, klen, tokmap_hash(t->seed, k, klen)));
	free(k);
	if (!e || --e->refs > 0)
		return NULL;
	tokmap_del(&t->map, &e->key);
	return e;
}

size_t engine_interests_count(const struct engine_interests *t)
{
	return tokmap_count(&t->map);
}
