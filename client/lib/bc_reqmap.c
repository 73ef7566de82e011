/*
 * bc_reqmap.c - outstanding requests by number, so the reply for request
 * n ("_INBOX.<hex>.<n>") is found in O(1) however many are in flight.
 * Numbers are handed out in increasing order, so n modulo the (power of
 * two) bucket count spreads them evenly without hashing; the table
 * doubles when it holds as many requests as buckets.
 */
#include "config.h"

#include <stdlib.h>

#include "bc_reqmap.h"
#include "bc_request.h"

#define BC_REQMAP_MIN 16

static size_t slot(const struct bc_reqmap *m, uint64_t n)
{
	return (size_t)(n & (m->nb - 1));
}

static int grow(struct bc_reqmap *m)
{
	size_t nb = m->nb ? m->nb * 2 : BC_REQMAP_MIN;
	struct bc_req **b = calloc(nb, sizeof *b);
	struct bc_reqmap bigger = { b, nb, m->n };

	if (!b)
		return -1;
	for (size_t i = 0; i < m->nb; i++) {
		struct bc_req *r = m->b[i], *next;

		for (; r; r = next) {
			size_t j = slot(&bigger, r->n);

			next = r->hnext;
			r->hnext = b[j];
			b[j] = r;
		}
	}
	free(m->b);
	*m = bigger;
	return 0;
}

int bc_reqmap_add(struct bc_reqmap *m, struct bc_req *r)
{
	size_t i;

	if (m->n >= m->nb && grow(m) != 0)
		return -1;
	i = slot(m, r->n);
	r->hnext = m->b[i];
	m->b[i] = r;
	m->n++;
	return 0;
}

struct bc_req *bc_reqmap_find(const struct bc_reqmap *m, uint64_t n)
{
	struct bc_req *r;

	if (m->nb == 0)
		return NULL;
	for (r = m->b[slot(m, n)]; r && r->n != n; r = r->hnext)
		;
	return r;
}

void bc_reqmap_remove(struct bc_reqmap *m, struct bc_req *r)
{
	struct bc_req **pp = &m->b[slot(m, r->n)];

	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = r->hnext;
		r->hnext = NULL;
		m->n--;
	}
}

void bc_reqmap_free(struct bc_reqmap *m)
{
	free(m->b);
	m->b = NULL;
	m->nb = m->n = 0;
}
