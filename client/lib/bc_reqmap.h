/*
 * bc_reqmap.h - outstanding requests by number (a hash map).  The map
 * borrows the requests: it links them through their hnext field and never
 * frees them.
 */
#ifndef BC_REQMAP_H
#define BC_REQMAP_H

#include <stddef.h>
#include <stdint.h>

struct bc_req;

struct bc_reqmap {
	struct bc_req **b; /* owned array of nb bucket chains */
	size_t nb;	   /* 0 or a power of two */
	size_t n;	   /* requests in the map */
};

/* Add r (borrowed; it stays the caller's) under r->n; 0, or -1 when out
 * of memory (r not added). */
int bc_reqmap_add(struct bc_reqmap *m, struct bc_req *r);
/* The request numbered n, or NULL (borrowed). */
struct bc_req *bc_reqmap_find(const struct bc_reqmap *m, uint64_t n);
/* Take r out of the map (it must be in it). */
void bc_reqmap_remove(struct bc_reqmap *m, struct bc_req *r);
/* Free the bucket array (the requests are not the map's). */
void bc_reqmap_free(struct bc_reqmap *m);

#endif
