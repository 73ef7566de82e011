/*
 * bc_backoff.h - delays between connect attempts, and randomness.  No
 * state of its own: the generator state is the caller's.
 */
#ifndef BC_BACKOFF_H
#define BC_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf[0..len) (the caller's) with random bytes (getrandom,
 * /dev/urandom, else a mix of time and pid: unique, not secret). */
void bc_random_bytes(uint8_t *buf, size_t len);
/* Next value of a xorshift64* generator (*state must not be 0). */
uint64_t bc_rand_next(uint64_t *state);
/* Delay before retry n (n >= 1) of a run of failures:
 * min(max_ms, initial_ms * mult^(n-1)), minus a random part of up to
 * jitter (0..1) of it, from *rng. */
int64_t bc_backoff_delay(int n, int initial_ms, int max_ms, double mult,
			 double jitter, uint64_t *rng);

#endif
