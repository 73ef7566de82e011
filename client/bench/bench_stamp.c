/* bench_stamp.c - see bench_stamp.h. */
#include "config.h"

#include "bench_stamp.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void bench_stamp_write(uint8_t *buf, uint64_t time_ns, unsigned pub,
		       uint64_t seq)
{
	put_be64(buf, time_ns);
	put_be64(buf + 8,
		 (uint64_t)pub << BENCH_SEQ_BITS | (seq & BENCH_SEQ_MASK));
}

int bench_stamp_read(const void *data, size_t len, uint64_t *time_ns,
		     unsigned *pub, uint64_t *seq)
{
	const uint8_t *p = data;
	uint64_t w;

	if (len < 16)
		return -1;
	*time_ns = get_be64(p);
	w = get_be64(p + 8);
	*pub = (unsigned)(w >> BENCH_SEQ_BITS);
	*seq = w & BENCH_SEQ_MASK;
	return 0;
}
