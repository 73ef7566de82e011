/*
 * pw_hash.h - a crypt(3) hash of a password for a users file: yescrypt
 * ("$y$", the default) or SHA-512-crypt ("$6$"), with a fresh random salt
 * from libxcrypt's crypt_gensalt_ra.
 */
#ifndef PW_HASH_H
#define PW_HASH_H

#include <stddef.h>

enum pw_method { PW_YESCRYPT, PW_SHA512 };

/* Hash pass (borrowed) into out[0..cap) (the caller's; CRYPT_OUTPUT_SIZE
 * is enough).  0, or -1 with a one-line reason in why[0..why_cap). */
int pw_hash(enum pw_method m, const char *pass, char *out, size_t cap,
	    char *why, size_t why_cap);

#endif
