/*
 * bc_backoff.c - how long to wait before the next connect attempt
 * (exponential backoff with jitter), and the randomness it and the request
 * inboxes need.  No global state: the generator state lives in the client.
 */
#include "config.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "bc_backoff.h"
#include "clock.h"

void bc_random_bytes(uint8_t *buf, size_t len)
{
	uint64_t x;
	int fd;

	if (getrandom(buf, len, GRND_NONBLOCK) == (ssize_t)len)
		return;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, len) == (ssize_t)len) {
		close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	/* Last resort: unique per process and time, not secret. */
	x = clock_mono_ns() ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)buf;
	for (size_t i = 0; i < len; i++, x >>= 8)
		buf[i] = (uint8_t)x;
}

uint64_t bc_rand_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15u;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1du;
}

int64_t bc_backoff_delay(int n, int initial_ms, int max_ms, double mult,
			 double jitter, uint64_t *rng)
{
	double d = initial_ms;
	double r;

	for (int i = 1; i < n && d < max_ms; i++)
		d *= mult;
	if (d > max_ms)
		d = max_ms;
	/* A uniform fraction in [0, 1) from the top 53 bits. */
	r = (double)(bc_rand_next(rng) >> 11) / 9007199254740992.0;
	d -= d * jitter * r;
	return d < 1 ? 1 : (int64_t)d;
}
