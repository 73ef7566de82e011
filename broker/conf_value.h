/*
 * conf_value.h - the value half of brokerd's `key value` config lines,
 * shared by conf.c (top-level keys) and conf_pool.c (pool.NAME.KEY): a
 * table entry per setting (kind of value, where it is stored, accepted
 * range), the parsers for sizes, durations, numbers and words, the range
 * check and its error text.  Where a line came from (FILE:LINE: key 'K')
 * is added by conf_load; these functions only say what is wrong with the
 * value.  No state; nothing allocated; err is always the caller's buffer.
 */
#ifndef BROKER_CONF_VALUE_H
#define BROKER_CONF_VALUE_H

#include <stddef.h>
#include <stdint.h>

enum conf_kind {
	CONF_NUMBER,   /* plain unsigned decimal */
	CONF_SIZE,     /* bytes with an optional k/M/G/T suffix */
	CONF_DURATION, /* milliseconds from ms/s/m/h (bare: seconds) */
	CONF_WORD,     /* one word, mapped to an int by `word` */
	CONF_OWN,      /* kinds from here on are the caller's own */
};

struct conf_key {
	const char *name;
	int kind;	   /* enum conf_kind or a caller's >= CONF_OWN */
	size_t off, width; /* the field set, in the caller's struct */
	uint64_t min, max; /* numbers: accepted range */
	int zero_ok;	   /* numbers: 0 accepted besides [min, max] */
	int units;	   /* numbers: range errors name the unit */
	/* CONF_WORD: the word's value into *out (0), or -1; `expected`
	 * completes "'VALUE' is not ..." */
	int (*word)(const char *s, int *out);
	const char *expected;
};

/* Offset and width of field f of struct type t, for a conf_key. */
#define CONF_FIELD(t, f) offsetof(t, f), sizeof(((t *)0)->f)

/* The entry named name in table[0..n), or NULL.  Points into table. */
const struct conf_key *conf_key_find(const struct conf_key *table, size_t n,
				     const char *name);

/* Parse value as k's kind (CONF_NUMBER..CONF_WORD), check k's range and
 * store it into the field of base (the caller's struct) that k names.
 * Returns 0, or -1 with the reason in err[0..cap) and base untouched. */
int conf_value_set(void *base, const struct conf_key *k, const char *value,
		   char *err, size_t cap);

/* A size ("512", "64k", "16M", "1G", "1T") into bytes.  0, or -1 when it
 * is not one or overflows. */
int conf_parse_size(const char *s, uint64_t *out);

/* A duration ("500ms", "10s", "2m", "1h", "30" = seconds) into
 * milliseconds.  0 or -1. */
int conf_parse_duration(const char *s, uint64_t *out_ms);

/* Decimal digits only (no sign, no suffix) into *out.  0, or -1 when s
 * is anything else or overflows. */
int conf_parse_uint(const char *s, uint64_t *out);

/* yes/no, true/false, on/off, 1/0 into *out (1 or 0).  0 or -1. */
int conf_parse_bool(const char *s, int *out);

#endif
