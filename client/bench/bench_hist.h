/*
 * bench_hist.h - a fixed-size log-linear latency histogram in the style of
 * HdrHistogram, for broker-bench.
 *
 * Values are unsigned integers (broker-bench records nanoseconds).  Every
 * power-of-two range [2^k, 2^(k+1)) is cut into BENCH_HIST_SUB equal
 * buckets, so a bucket is at most 1/BENCH_HIST_SUB (0.78 %) of its lower
 * bound wide; values below BENCH_HIST_SUB are counted exactly.  A reported
 * percentile is the middle of its bucket, clamped to [min, max], so its
 * relative error is at most BENCH_HIST_REL_ERR (0.4 %).
 *
 * Range: 0 .. BENCH_HIST_MAX (2^36 - 1, i.e. 68.7 s in ns; the brief asks
 * for 1 us .. 60 s).  Larger values are counted in the top bucket and in
 * bench_hist_saturated(); min, max and mean use the true value.
 *
 * Memory: one allocation of about 30 KiB, whatever is recorded.  A histogram
 * is not thread-safe; use one per thread and merge.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_TOP_BIT 36
#define BENCH_HIST_MAX ((UINT64_C(1) << BENCH_HIST_TOP_BIT) - 1)
#define BENCH_HIST_REL_ERR (0.5 / BENCH_HIST_SUB)

struct bench_hist;

/* A new empty histogram; NULL when out of memory.  The caller frees it
 * with bench_hist_free. */
struct bench_hist *bench_hist_new(void);
/* Free h (NULL is fine). */
void bench_hist_free(struct bench_hist *h);
/* Forget every value. */
void bench_hist_reset(struct bench_hist *h);

/* Count value v once. */
void bench_hist_record(struct bench_hist *h, uint64_t v);
/* Add every count of src (borrowed for the call) to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/* Number of values recorded; 0 for an empty histogram. */
uint64_t bench_hist_count(const struct bench_hist *h);
/* Values above BENCH_HIST_MAX (counted in the top bucket). */
uint64_t bench_hist_saturated(const struct bench_hist *h);
/* Exact smallest and largest value, and the mean; 0 when empty. */
uint64_t bench_hist_min(const struct bench_hist *h);
uint64_t bench_hist_max(const struct bench_hist *h);
double bench_hist_mean(const struct bench_hist *h);

/* The value at percentile p (0..100): the smallest bucket value such that
 * at least p % of the values are at or below it, within BENCH_HIST_REL_ERR
 * of the true order statistic.  p <= 0 gives min, p >= 100 gives max;
 * 0 when empty. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

#endif
