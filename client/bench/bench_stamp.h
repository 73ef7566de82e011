/*
 * bench_stamp.h - the 16-byte header at the start
 * of every payload it sends:
 *
 *   bytes 0..7   send time, CLOCK_MONOTONIC ns, big-endian (the intended
 *                send time in fixed-rate mode)
 *   bytes 8..15  publisher number << 48 | sequence number, big-endian
 *                (sequence numbers start at 0 for each publisher)
 *
 * The rest of the payload is filler.  Both ends run in one process, so the
 * clock is the same on both.
 */
#ifndef BENCH_STAMP_H
#define BENCH_STAMP_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SEQ_BITS 48
#define BENCH_SEQ_MASK ((UINT64_C(1) << BENCH_SEQ_BITS) - 1)

/* Write the header into buf[0..16) (borrowed; at least 16 bytes). */
void bench_stamp_write(uint8_t *buf, uint64_t time_ns, unsigned pub,
		       uint64_t seq);

/* Read the header of data[0..len) (borrowed for the call).  0, or -1 if
 * len is below 16. */
int bench_stamp_read(const void *data, size_t len, uint64_t *time_ns,
		     unsigned *pub, uint64_t *seq);

#endif
