/*
 * bench_hist.c - see bench_hist.h.
 *
 * Bucket layout: indexes 0 .. SUB-1 hold the values 0 .. SUB-1 exactly.
 * After that come groups of SUB buckets, one group per power of two
 * 2^k (k = SUB_BITS .. TOP_BIT-1); in group k a bucket is 2^(k-SUB_BITS)
 * wide.  The index of v >= SUB is SUB + (k - SUB_BITS) * SUB + the top
 * SUB_BITS+1 bits of v minus SUB.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bench_hist.h"

#define NBUCKETS \
	(BENCH_HIST_SUB * (BENCH_HIST_TOP_BIT - BENCH_HIST_SUB_BITS + 1))

struct bench_hist {
	uint64_t count;
	uint64_t saturated;
	uint64_t min;
	uint64_t max;
	double sum;
	uint64_t buckets[NBUCKETS];
};

static unsigned bucket_of(uint64_t v)
{
	unsigned k, shift;

	if (v > BENCH_HIST_MAX)
		v = BENCH_HIST_MAX;
	if (v < BENCH_HIST_SUB)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v);
	shift = k - BENCH_HIST_SUB_BITS;
	return BENCH_HIST_SUB + shift * BENCH_HIST_SUB +
	       (unsigned)((v >> shift) - BENCH_HIST_SUB);
}

/* The middle of bucket i. */
static uint64_t bucket_mid(unsigned i)
{
	unsigned j, g;
	uint64_t lower;

	if (i < BENCH_HIST_SUB)
		return i;
	j = i - BENCH_HIST_SUB;
	g = j / BENCH_HIST_SUB;
	lower = (uint64_t)(BENCH_HIST_SUB + j % BENCH_HIST_SUB) << g;
	return lower + ((UINT64_C(1) << g) >> 1);
}

struct bench_hist *bench_hist_new(void)
{
	struct bench_hist *h = malloc(sizeof *h);

	if (h)
		bench_hist_reset(h);
	return h;
}

void bench_hist_free(struct bench_hist *h)
{
	free(h);
}

void bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof *h);
}

void bench_hist_record(struct bench_hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v > BENCH_HIST_MAX)
		h->saturated++;
	h->count++;
	h->sum += (double)v;
	h->buckets[bucket_of(v)]++;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->saturated += src->saturated;
	dst->sum += src->sum;
	for (unsigned i = 0; i < NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t bench_hist_count(const struct bench_hist *h)
{
	return h->count;
}

uint64_t bench_hist_saturated(const struct bench_hist *h)
{
	return h->saturated;
}

uint64_t bench_hist_min(const struct bench_hist *h)
{
	return h->min;
}

uint64_t bench_hist_max(const struct bench_hist *h)
{
	return h->max;
}

double bench_hist_mean(const struct bench_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	double x;
	unsigned i;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* ceil(), tolerant of 99.9 / 100 * 1000 = 999.0000000001 */
	x = p / 100.0 * (double)h->count;
	rank = (uint64_t)x;
	if ((double)rank < x * (1.0 - 1e-12))
		rank++;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < NBUCKETS - 1; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	v = bucket_mid(i);
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
