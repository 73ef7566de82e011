/*
 * trie.c - the subscription tree; see trie.h.
 *
 * A node stands for one pattern prefix.  Its children, "*" and ">" included,
 * are in one tokmap by token (the token bytes live inside the child node
 * itself); two flag bits say whether the wildcard children exist, so a
 * match looks them up only where they do.  No pointer per wildcard child:
 * a node per distinct token is most of the broker's memory per
 * subscription, so it is kept to 44 bytes plus the token.
 *
 * A node holds the subscriptions whose pattern ends there, in an array
 * (held inline while there is only one: most patterns have a single
 * subscriber); trie_sub.slot is a sub's index in it, so
 * removal is a swap with the last element.  When a removal leaves a node
 * with neither subscriptions nor children, the node is freed, and so are
 * its ancestors that held only it, so the tree only ever holds prefixes of
 * live patterns.  (Nodes keep no parent pointer: one node per distinct
 * pattern prefix is the broker's memory per topic, so pruning walks the
 * pattern again from the root instead.)
 *
 * Matching walks the topic token by token (scanning for '.', no copy): at
 * each node it follows the literal child, the "*" child and, when at least
 * one token is left, takes the ">" child's subscriptions.  The walk visits at
 * most 2^tokens nodes in theory (literal and "*" at each level) but only
 * where such patterns exist; in practice a handful per level.
 *
 * Ownership: the trie owns every node and each node's arrays and tokmap
 * table; trie_subs are borrowed from the caller (see trie.h).
 */
#include "trie.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokmap.h"

struct trie_node {
	struct tokmap kids; /* children (owned), by token */
	union {
		struct trie_sub *one;  /* subs_log2 == 0: at most one, inline */
		struct trie_sub **arr; /* else an owned array of node_cap() */
	} subs;			       /* subs ending here (borrowed) */
	uint32_t nsubs;
	/* the array's capacity is 2^subs_log2 (a byte, not a uint32_t: the
	 * token then starts at byte 32, and a node with a token of up to 8
	 * bytes fits malloc's 48-byte size class) */
	uint8_t subs_log2;
	uint8_t wild;		 /* NODE_STAR | NODE_GT: such kids exist */
	struct tokmap_entry key; /* in the parent's kids; tok[] follows */
	char tok[];		 /* this node's token, not NUL-terminated */
};

_Static_assert(TOKMAP_TOK_FOLLOWS(struct trie_node, key, tok),
	       "a node's token must follow its map entry");
_Static_assert(offsetof(struct trie_node, tok) <= 32,
	       "a node with a short token must fit 40 bytes");

#define NODE_STAR 1u
#define NODE_GT 2u

struct trie {
	struct trie_node *root;
	uint64_t seed;		     /* for tokmap_hash, chosen per trie */
	uint64_t star_hash, gt_hash; /* of "*" and ">", computed once */
	struct qgroups groups;	     /* queue groups of the subs held */
	size_t nsubs;
	size_t nnodes;	  /* including the root */
	size_t npatterns; /* nodes holding subscriptions */
};

#define TRIE_MIN_SUBS 2u
#define TRIE_MAX_PATTERN 256u /* PROTO_MAX_TOPIC: callers validate */
#define TRIE_MIN_RESULT 16u

/* ---- tokens ---------------------------------------------------------- */

/* Length of the token starting at p: up to the next '.' or end. */
static size_t tok_len(const char *p, const char *end)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));

	return (size_t)((dot != NULL ? dot : end) - p);
}

static int tok_is(const char *tok, size_t len, char c)
{
	return len == 1 && tok[0] == c;
}

/* ---- nodes ----------------------------------------------------------- */

/* A new childless node for tok[0..len) (hash: tokmap_hash of it), not
 * yet linked to a parent. */
static struct trie_node *node_new(struct trie *t, const char *tok, size_t len,
				  uint64_t hash)
{
	size_t size = offsetof(struct trie_node, tok) + len;
	struct trie_node *n;

	/* at least the whole struct (its padding), in the same malloc size
	 * class for the tokens this pads */
	n = malloc(size < sizeof *n ? sizeof *n : size);
	if (n == NULL)
		return NULL;
	n->wild = 0;
	tokmap_init(&n->kids);
	n->subs.one = NULL;
	n->nsubs = 0;
	n->subs_log2 = 0;
	memcpy(n->tok, tok, len);
	n->key.len = (uint32_t)len;
	n->key.hash = (uint32_t)hash;
	t->nnodes++;
	return n;
}

/* Free n and its arrays; its children must already be gone or freed. */
static void node_destroy(struct trie *t, struct trie_node *n)
{
	if (n->subs_log2 != 0)
		free(n->subs.arr);
	tokmap_free(&n->kids);
	free(n);
	t->nnodes--;
}

static struct trie_node *node_of_key(struct tokmap_entry *e)
{
	if (e == NULL)
		return NULL;
	return (struct trie_node *)(void *)((char *)e -
					    offsetof(struct trie_node, key));
}

/* The child for tok[0..len), or NULL: a topic's literal token, or a
 * pattern's token ("*" and ">" are children like the others). */
static struct trie_node *node_kid(const struct trie *t,
				  const struct trie_node *n, const char *tok,
				  size_t len)
{
	uint64_t h;

	if (tokmap_is_empty(&n->kids))
		return NULL;
	h = tokmap_hash(t->seed, tok, len);
	return node_of_key(tokmap_get(&n->kids, tok, len, h));
}

/* The "*" (NODE_STAR) or ">" (NODE_GT) child, or NULL. */
static struct trie_node *node_wild(const struct trie *t,
				   const struct trie_node *n, unsigned which)
{
	if (!(n->wild & which))
		return NULL;
	return node_of_key(
		tokmap_get(&n->kids, which == NODE_STAR ? "*" : ">", 1,
			   which == NODE_STAR ? t->star_hash : t->gt_hash));
}

/* NODE_STAR, NODE_GT or 0 for a child's token. */
static unsigned wild_bit(const char *tok, size_t len)
{
	if (tok_is(tok, len, '*'))
		return NODE_STAR;
	return tok_is(tok, len, '>') ? NODE_GT : 0;
}

/* Create and link the child of n for a pattern token not yet present
 * (hash: its tokmap_hash). */
static struct trie_node *node_add_child(struct trie *t, struct trie_node *n,
					const char *tok, size_t len,
					uint64_t hash)
{
	struct trie_node *kid = node_new(t, tok, len, hash);

	if (kid == NULL)
		return NULL;
	if (tokmap_put(&n->kids, &kid->key) < 0) {
		node_destroy(t, kid);
		return NULL;
	}
	n->wild |= (uint8_t)wild_bit(tok, len);
	return kid;
}

/* Detach n from its parent p. */
static void node_unlink(struct trie_node *p, struct trie_node *n)
{
	(void)tokmap_del(&p->kids, &n->key);
	p->wild &= (uint8_t)~wild_bit(n->tok, n->key.len);
}

static size_t node_nkids(const struct trie_node *n)
{
	return tokmap_count(&n->kids);
}

static int node_is_empty(const struct trie_node *n)
{
	return n->nsubs == 0 && node_nkids(n) == 0;
}

static void node_free_tree(struct trie *t, struct trie_node *n);

/* Free the nodes of pattern[0..len) left holding nothing: the last one
 * when it is empty, with its ancestors up to (not including) the root or
 * the deepest one that still holds a subscription or another child. */
static void trie_prune(struct trie *t, const char *pattern, size_t len)
{
	const char *p = pattern, *end = pattern + len;
	struct trie_node *n = t->root, *keep = t->root, *cut = NULL;

	for (;;) {
		size_t tl = tok_len(p, end);
		struct trie_node *kid = node_kid(t, n, p, tl);

		if (kid == NULL)
			return; /* not in the tree: nothing to prune */
		if (n == t->root || n->nsubs > 0 || node_nkids(n) > 1) {
			keep = n;
			cut = kid;
		}
		n = kid;
		p += tl;
		if (p == end)
			break;
		p++; /* the '.' */
	}
	if (node_is_empty(n)) {
		node_unlink(keep, cut);
		node_free_tree(t, cut); /* the chain from cut down to n */
	}
}

/* Free n and its whole subtree.  Recursion depth is the pattern depth. */
static void node_free_tree(struct trie *t, struct trie_node *n)
{
	struct tokmap_entry *e;
	size_t pos = 0;

	while ((e = tokmap_next(&n->kids, &pos)) != NULL)
		node_free_tree(t, node_of_key(e));
	node_destroy(t, n);
}

/* ---- subscriptions on a node ----------------------------------------- */

/* n's subscription slots: 2^0 = the inline one, else the array's. */
static uint32_t node_cap(const struct trie_node *n)
{
	return UINT32_C(1) << n->subs_log2;
}

/* n's subscription slots (nsubs of them are used). */
static struct trie_sub **node_subs(struct trie_node *n)
{
	return n->subs_log2 != 0 ? n->subs.arr : &n->subs.one;
}

static struct trie_sub *const *node_subs_const(const struct trie_node *n)
{
	return n->subs_log2 != 0 ? n->subs.arr : &n->subs.one;
}

/* Room for one more sub: the inline slot, then an array that doubles
 * (from 2^1 = TRIE_MIN_SUBS). */
static int node_grow_subs(struct trie_node *n)
{
	unsigned log2 = n->subs_log2 + 1u;
	struct trie_sub **subs;

	if (log2 > 31) /* a slot is 31 bits */
		return -1;
	if (n->subs_log2 == 0) {
		subs = malloc(((size_t)1 << log2) * sizeof(*subs));
		if (subs != NULL && n->nsubs == 1)
			subs[0] = n->subs.one;
	} else {
		subs = realloc(n->subs.arr,
			       ((size_t)1 << log2) * sizeof(*subs));
	}
	if (subs == NULL)
		return -1;
	n->subs.arr = subs;
	n->subs_log2 = (uint8_t)log2;
	return 0;
}

static int node_push_sub(struct trie_node *n, struct trie_sub *s)
{
	if (n->nsubs == node_cap(n) && node_grow_subs(n) < 0)
		return -1;
	s->slot = n->nsubs;
	node_subs(n)[n->nsubs++] = s;
	return 0;
}

/* Swap-remove the sub at slot i; the moved sub learns its new slot.  Back
 * to the inline slot at one sub; the array is halved when under a quarter
 * full. */
static void node_drop_sub(struct trie_node *n, uint32_t i)
{
	struct trie_sub **subs = node_subs(n);
	struct trie_sub *last = subs[--n->nsubs];

	subs[i] = last;
	last->slot = i;
	if (n->subs_log2 == 0)
		return;
	if (n->nsubs <= 1) {
		n->subs.one = n->nsubs == 1 ? subs[0] : NULL;
		n->subs_log2 = 0;
		free(subs);
	} else if (node_cap(n) > 4 * TRIE_MIN_SUBS &&
		   (size_t)n->nsubs * 4 < node_cap(n)) {
		subs = realloc(subs, node_cap(n) / 2 * sizeof(*subs));
		if (subs != NULL) { /* else keep the larger array */
			n->subs.arr = subs;
			n->subs_log2--;
		}
	}
}

/* ---- the tree -------------------------------------------------------- */

struct trie *trie_new(void)
{
	struct trie *t = malloc(sizeof(*t));

	if (t == NULL)
		return NULL;
	/* Not a secret, only not fixed: the table layout should not be
	 * predictable from the tokens alone. */
	t->seed = (uint64_t)(uintptr_t)t ^ ((uint64_t)time(NULL) << 20) ^
		  (uint64_t)clock();
	t->star_hash = tokmap_hash(t->seed, "*", 1);
	t->gt_hash = tokmap_hash(t->seed, ">", 1);
	t->nsubs = 0;
	t->nnodes = 0;
	t->npatterns = 0;
	qgroups_init(&t->groups, t->seed);
	t->root = node_new(t, "", 0, tokmap_hash(t->seed, "", 0));
	if (t->root == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void trie_free(struct trie *t)
{
	if (t == NULL)
		return;
	node_free_tree(t, t->root);
	qgroups_free(&t->groups);
	free(t);
}

/* The node for pattern[0..len), created (with any missing ancestors) when
 * create is set.  NULL when absent, or out of memory when creating (then
 * nothing is left behind). */
static struct trie_node *trie_walk(struct trie *t, const char *pattern,
				   size_t len, int create)
{
	const char *p = pattern, *end = pattern + len;
	struct trie_node *n = t->root;

	for (;;) {
		size_t tl = tok_len(p, end);
		uint64_t h = !tokmap_is_empty(&n->kids) || create
				     ? tokmap_hash(t->seed, p, tl) /* once */
				     : 0;
		struct trie_node *kid = tokmap_is_empty(&n->kids)
						? NULL
						: node_of_key(tokmap_get(
							  &n->kids, p, tl, h));

		if (kid == NULL && create)
			kid = node_add_child(t, n, p, tl, h);
		if (kid == NULL) {
			if (create && n != t->root) /* n ends before p */
				trie_prune(t, pattern,
					   (size_t)(p - pattern) - 1);
			return NULL;
		}
		n = kid;
		p += tl;
		if (p == end)
			return n;
		p++; /* the '.' */
	}
}

int trie_add(struct trie *t, const char *pattern, size_t len,
	     struct trie_sub *s)
{
	const char *queue = s->queue;
	struct qgroup *g = NULL;
	struct trie_node *n;

	if (queue != NULL && (g = qgroups_ref(&t->groups, queue)) == NULL)
		return -1;
	n = trie_walk(t, pattern, len, 1);
	if (n == NULL || node_push_sub(n, s) < 0) {
		if (n != NULL)
			trie_prune(t, pattern, len);
		if (g != NULL)
			qgroups_unref(&t->groups, g);
		return -1;
	}
	if (g != NULL)
		s->queue = g->name;
	t->nsubs++;
	t->npatterns += n->nsubs == 1;
	return n->nsubs == 1;
}

/* The node for pattern[0..len) (NULL when absent), and, as trie_prune
 * finds them, the deepest ancestor to keep (*keep) and its child on the
 * path (*cut) should the node be left empty: one walk for UNSUB. */
static struct trie_node *walk_for_remove(struct trie *t, const char *pattern,
					 size_t len, struct trie_node **keep,
					 struct trie_node **cut)
{
	const char *p = pattern, *end = pattern + len;
	struct trie_node *n = t->root;

	*keep = t->root;
	*cut = NULL;
	for (;;) {
		size_t tl = tok_len(p, end);
		struct trie_node *kid = node_kid(t, n, p, tl);

		if (kid == NULL)
			return NULL;
		if (n == t->root || n->nsubs > 0 || node_nkids(n) > 1) {
			*keep = n;
			*cut = kid;
		}
		n = kid;
		p += tl;
		if (p == end)
			return n;
		p++; /* the '.' */
	}
}

int trie_remove(struct trie *t, const char *pattern, size_t len,
		struct trie_sub *s)
{
	struct trie_node *keep, *cut;
	struct trie_node *n = walk_for_remove(t, pattern, len, &keep, &cut);

	if (n == NULL || s->slot >= n->nsubs || node_subs(n)[s->slot] != s)
		return -1;
	node_drop_sub(n, s->slot);
	t->nsubs--;
	if (s->queue != NULL)
		qgroups_unref(&t->groups, trie_sub_group(s));
	s->queue = NULL;
	if (n->nsubs > 0)
		return 0;
	t->npatterns--;
	if (node_is_empty(n)) { /* as trie_prune(t, pattern, len) */
		node_unlink(keep, cut);
		node_free_tree(t, cut); /* the chain from cut down to n */
	}
	return 1;
}

size_t trie_count(const struct trie *t)
{
	return t->nsubs;
}

size_t trie_nodes(const struct trie *t)
{
	return t->nnodes;
}

size_t trie_groups(const struct trie *t)
{
	return qgroups_count(&t->groups);
}

size_t trie_patterns(const struct trie *t)
{
	return t->npatterns;
}

/* The walk of trie_visit: buf holds the pattern of n (len bytes). */
struct visit {
	trie_visit_fn fn;
	void *arg;
	char buf[TRIE_MAX_PATTERN + 1];
};

/* Visit n's subtree; depth is bounded by the tokens of a pattern. */
static int visit_node(struct visit *v, const struct trie_node *n, size_t len)
{
	const struct tokmap_entry *e;
	size_t pos = 0;
	int rc;

	if (n->nsubs > 0 &&
	    (rc = v->fn(v->arg, v->buf, len, node_subs_const(n), n->nsubs)))
		return rc;
	while ((e = tokmap_next(&n->kids, &pos)) != NULL) {
		size_t at = len ? len + 1 : 0;

		if (at + e->len > TRIE_MAX_PATTERN)
			continue; /* cannot be: patterns are validated */
		if (len)
			v->buf[len] = '.';
		memcpy(v->buf + at, tokmap_tok(e), e->len);
		v->buf[at + e->len] = 0;
		if ((rc = visit_node(v, node_of_key((struct tokmap_entry *)e),
				     at + e->len)))
			return rc;
	}
	return 0;
}

int trie_visit(const struct trie *t, trie_visit_fn fn, void *arg)
{
	struct visit v;

	v.fn = fn;
	v.arg = arg;
	return visit_node(&v, t->root, 0);
}

/* ---- results --------------------------------------------------------- */

void trie_result_init(struct trie_result *r)
{
	memset(r, 0, sizeof(*r));
}

void trie_result_free(struct trie_result *r)
{
	free(r->plain);
	free(r->queued);
	free(r->group_start);
	trie_result_init(r);
}

/* arr (of *cap elements of size elem) grown to hold at least need: the new
 * array, with *cap updated, or NULL when out of memory (arr untouched). */
static void *grow_array(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : TRIE_MIN_RESULT;
	void *p;

	if (need <= *cap)
		return arr;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return NULL;
		ncap *= 2;
	}
	p = realloc(arr, ncap * elem);
	if (p != NULL)
		*cap = ncap;
	return p;
}

static int result_push(struct trie_result *r, struct trie_sub *s)
{
	struct trie_sub **arr;

	if (s->queue == NULL) {
		arr = grow_array(r->plain, &r->cap_plain, r->nplain + 1,
				 sizeof(*arr));
		if (arr == NULL)
			return -1;
		r->plain = arr;
		r->plain[r->nplain++] = s;
	} else {
		arr = grow_array(r->queued, &r->cap_queued, r->nqueued + 1,
				 sizeof(*arr));
		if (arr == NULL)
			return -1;
		r->queued = arr;
		r->queued[r->nqueued++] = s;
	}
	return 0;
}

/* Queue members by group name, then sid, then address: the same members
 * come out in the same order whatever the order of the walk. */
static int cmp_queued(const void *a, const void *b)
{
	const struct trie_sub *x = *(struct trie_sub *const *)a;
	const struct trie_sub *y = *(struct trie_sub *const *)b;
	int c = x->queue == y->queue ? 0 : strcmp(x->queue, y->queue);
	uintptr_t px = (uintptr_t)x, py = (uintptr_t)y;

	if (c != 0)
		return c;
	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return (px > py) - (px < py);
}

/* Sort r->queued so each group is contiguous and fill group_start. */
static int result_group(struct trie_result *r)
{
	size_t *gs;

	if (r->nqueued == 0)
		return 0;
	gs = grow_array(r->group_start, &r->cap_groups, r->nqueued,
			sizeof(*gs));
	if (gs == NULL)
		return -1;
	r->group_start = gs;
	qsort(r->queued, r->nqueued, sizeof(*r->queued), cmp_queued);
	gs[r->ngroups++] = 0;
	for (size_t i = 1; i < r->nqueued; i++)
		if (r->queued[i]->queue != r->queued[i - 1]->queue)
			gs[r->ngroups++] = i;
	return 0;
}

/* ---- matching -------------------------------------------------------- */

static int match_collect(const struct trie_node *n, struct trie_result *r)
{
	struct trie_sub *const *subs = node_subs_const(n);

	for (uint32_t i = 0; i < n->nsubs; i++)
		if (result_push(r, subs[i]) < 0)
			return -1;
	return 0;
}

static int match_from(const struct trie *t, const struct trie_node *n,
		      const char *p, const char *end, struct trie_result *r);

/* kid matched the token ending at next: collect it if that was the last
 * token, else go on with the token after the '.'. */
static int match_step(const struct trie *t, const struct trie_node *kid,
		      const char *next, const char *end, struct trie_result *r)
{
	if (next == end)
		return match_collect(kid, r);
	return match_from(t, kid, next + 1, end, r);
}

/* n matched the topic up to p; p..end holds one or more tokens. */
static int match_from(const struct trie *t, const struct trie_node *n,
		      const char *p, const char *end, struct trie_result *r)
{
	size_t tl = tok_len(p, end);
	const struct trie_node *kid;

	if (n->wild != 0) {
		const struct trie_node *gt = node_wild(t, n, NODE_GT);
		const struct trie_node *star = node_wild(t, n, NODE_STAR);

		if (gt != NULL && match_collect(gt, r) < 0)
			return -1;
		if (star != NULL && match_step(t, star, p + tl, end, r) < 0)
			return -1;
	}
	kid = node_kid(t, n, p, tl);
	if (kid != NULL && match_step(t, kid, p + tl, end, r) < 0)
		return -1;
	return 0;
}

int trie_match(const struct trie *t, const char *topic, size_t len,
	       struct trie_result *r)
{
	r->nplain = 0;
	r->nqueued = 0;
	r->ngroups = 0;
	if (match_from(t, t->root, topic, topic + len, r) < 0)
		return -1;
	return result_group(r);
}
