/*
 * authdelay.h - brute-force brake: failed logins per client address, and
 * the delay before the next failure's ERR.  The n-th failure from an
 * address within AUTHDELAY_FORGET_MS of the previous one waits
 * AUTHDELAY_BASE_MS * 2^(n-1), at most AUTHDELAY_MAX_MS: one address's
 * guessing rate collapses, other addresses are not affected.
 *
 * Bounded: a fixed table of AUTHDELAY_SLOTS entries (made once), an
 * address hashed to AUTHDELAY_PROBE neighbouring slots; when all hold
 * other live addresses, the one whose last failure is oldest is replaced
 * (an attacker cycling through many addresses only forgets its own old
 * ones sooner).  Pure: no clock (the caller passes now), no I/O.
 *
 * Ownership: the caller owns the table (authdelay_new / authdelay_free).
 */
#ifndef BROKERD_AUTHDELAY_H
#define BROKERD_AUTHDELAY_H

#include <stdint.h>

#define AUTHDELAY_SLOTS 4096
#define AUTHDELAY_PROBE 8
#define AUTHDELAY_BASE_MS 100
#define AUTHDELAY_MAX_MS 5000
#define AUTHDELAY_FORGET_MS 60000

struct authdelay;

/* An empty table, or NULL when out of memory. */
struct authdelay *authdelay_new(void);
void authdelay_free(struct authdelay *d);

/* A login from address ip (16 bytes, IPv4 in the first 4) of family
 * (AF_INET, AF_INET6; anything else shares one entry) failed at now (ms,
 * monotonic).  Returns the delay in ms before its ERR. */
uint32_t authdelay_fail(struct authdelay *d, const uint8_t ip[16],
			uint8_t family, uint64_t now);

/* Has address ip failed a login within AUTHDELAY_FORGET_MS of now?  (Its
 * password checks then wait behind everyone else's: auth_worker.h.) */
int authdelay_suspect(const struct authdelay *d, const uint8_t ip[16],
		      uint8_t family, uint64_t now);

#endif
