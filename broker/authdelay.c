/* authdelay.c - see authdelay.h. */
#include "config.h"

#include "authdelay.h"

#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

struct entry {
	uint8_t ip[16];
	uint8_t family;
	uint8_t used;
	uint32_t fails;
	uint64_t last; /* ms of the last failure */
};

struct authdelay {
	struct entry v[AUTHDELAY_SLOTS];
};

struct authdelay *authdelay_new(void)
{
	return calloc(1, sizeof(struct authdelay));
}

void authdelay_free(struct authdelay *d)
{
	free(d);
}

/* FNV-1a over the family and the address. */
static uint32_t hash(const uint8_t ip[16], uint8_t family)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h;
}

static int same(const struct entry *e, const uint8_t ip[16], uint8_t family)
{
	return e->used && e->family == family && memcmp(e->ip, ip, 16) == 0;
}

/* How much an entry is worth keeping: 0 free or forgotten, else the time
 * of its last failure (older: less). */
static uint64_t worth(const struct entry *e, uint64_t now)
{
	if (!e->used || now - e->last > AUTHDELAY_FORGET_MS)
		return 0;
	return e->last + 1;
}

/* The entry for the address: its own, else the least worth keeping of
 * the probed slots (reset). */
static struct entry *slot(struct authdelay *d, const uint8_t ip[16],
			  uint8_t family, uint64_t now)
{
	uint32_t h = hash(ip, family);
	struct entry *best = NULL;

	for (int i = 0; i < AUTHDELAY_PROBE; i++) {
		struct entry *e = &d->v[(h + (uint32_t)i) % AUTHDELAY_SLOTS];

		if (same(e, ip, family))
			return e;
		if (!best || worth(e, now) < worth(best, now))
			best = e;
	}
	memset(best, 0, sizeof *best);
	memcpy(best->ip, ip, 16);
	best->family = family;
	best->used = 1;
	return best;
}

int authdelay_suspect(const struct authdelay *d, const uint8_t ip[16],
		      uint8_t family, uint64_t now)
{
	uint8_t any[16] = { 0 };
	int inet = family == AF_INET || family == AF_INET6;
	const uint8_t *key = inet ? ip : any;
	uint8_t fam = inet ? family : 0;
	uint32_t h = hash(key, fam);

	for (int i = 0; i < AUTHDELAY_PROBE; i++) {
		const struct entry *e =
			&d->v[(h + (uint32_t)i) % AUTHDELAY_SLOTS];

		if (same(e, key, fam))
			return e->fails > 0 && worth(e, now) > 0;
	}
	return 0;
}

uint32_t authdelay_fail(struct authdelay *d, const uint8_t ip[16],
			uint8_t family, uint64_t now)
{
	uint8_t any[16] = { 0 };
	int inet = family == AF_INET || family == AF_INET6;
	struct entry *e = slot(d, inet ? ip : any, inet ? family : 0, now);
	uint64_t delay;

	if (e->fails > 0 && now - e->last > AUTHDELAY_FORGET_MS)
		e->fails = 0;
	if (e->fails < 32)
		e->fails++;
	e->last = now;
	delay = (uint64_t)AUTHDELAY_BASE_MS << (e->fails - 1);
	return delay > AUTHDELAY_MAX_MS ? AUTHDELAY_MAX_MS : (uint32_t)delay;
}
