/* conf_value.c - see conf_value.h. */
#include "config.h"

#include "conf_value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Leading decimal digits of s into *out; *end after them.  0 or -1. */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -1;
	*end = e;
	return 0;
}

/* *v *= mul unless that overflows.  0 or -1. */
static int scale(uint64_t *v, uint64_t mul)
{
	if (*v > UINT64_MAX / mul)
		return -1;
	*v *= mul;
	return 0;
}

int conf_parse_uint(const char *s, uint64_t *out)
{
	const char *e;

	return parse_digits(s, out, &e) == 0 && *e == 0 ? 0 : -1;
}

/* The multiplier of a size suffix letter, 0 for none we know. */
static uint64_t size_unit(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return UINT64_C(1) << 10;
	case 'm':
	case 'M':
		return UINT64_C(1) << 20;
	case 'g':
	case 'G':
		return UINT64_C(1) << 30;
	case 't':
	case 'T':
		return UINT64_C(1) << 40;
	default:
		return 0;
	}
}

int conf_parse_size(const char *s, uint64_t *out)
{
	const char *e;
	uint64_t v, mul = 1;

	if (parse_digits(s, &v, &e) != 0)
		return -1;
	if (*e) {
		mul = e[1] == 0 ? size_unit(*e) : 0;
		if (mul == 0)
			return -1;
	}
	if (scale(&v, mul) != 0)
		return -1;
	*out = v;
	return 0;
}

int conf_parse_duration(const char *s, uint64_t *out_ms)
{
	const char *e;
	uint64_t v, mul;

	if (parse_digits(s, &v, &e) != 0)
		return -1;
	if (strcmp(e, "ms") == 0)
		mul = 1;
	else if (*e == 0 || strcmp(e, "s") == 0)
		mul = 1000;
	else if (strcmp(e, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(e, "h") == 0)
		mul = 3600 * 1000;
	else
		return -1;
	if (scale(&v, mul) != 0)
		return -1;
	*out_ms = v;
	return 0;
}

int conf_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

const struct conf_key *conf_key_find(const struct conf_key *table, size_t n,
				     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* value as k's kind into *v.  0 or -1. */
static int parse_kind(const struct conf_key *k, const char *value, uint64_t *v)
{
	int w;

	switch (k->kind) {
	case CONF_SIZE:
		return conf_parse_size(value, v);
	case CONF_DURATION:
		return conf_parse_duration(value, v);
	case CONF_WORD:
		if (k->word(value, &w) != 0)
			return -1;
		*v = (uint64_t)(unsigned)w;
		return 0;
	default:
		return conf_parse_uint(value, v);
	}
}

/* v into the field of base that k names, at the field's width. */
static void store(void *base, const struct conf_key *k, uint64_t v)
{
	char *p = (char *)base + k->off;

	if (k->width == sizeof(uint8_t)) {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, sizeof x);
	} else if (k->width == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, sizeof x);
	} else if (k->width == sizeof(uint32_t)) {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, sizeof x);
	} else {
		memcpy(p, &v, sizeof v);
	}
}

/* Is v outside k's range?  (Words have none.) */
static int out_of_range(const struct conf_key *k, uint64_t v)
{
	if (k->kind == CONF_WORD || (v == 0 && k->zero_ok))
		return 0;
	return v < k->min || v > k->max;
}

int conf_value_set(void *base, const struct conf_key *k, const char *value,
		   char *err, size_t cap)
{
	static const char *const what[] = {
		[CONF_NUMBER] = "a number",
		[CONF_SIZE] = "a size (e.g. 512, 64k, 16M)",
		[CONF_DURATION] = "a duration (e.g. 500ms, 10s, 2m)",
	};
	uint64_t v;

	if (parse_kind(k, value, &v) != 0) {
		snprintf(err, cap, "'%s' is not %s", value,
			 k->kind == CONF_WORD ? k->expected : what[k->kind]);
		return -1;
	}
	if (out_of_range(k, v)) {
		snprintf(err, cap, "%s out of range (%s%llu..%llu%s)", value,
			 k->zero_ok ? "0 or " : "", (unsigned long long)k->min,
			 (unsigned long long)k->max,
			 !k->units		    ? ""
			 : k->kind == CONF_DURATION ? " ms"
			 : k->kind == CONF_SIZE	    ? " bytes"
						    : "");
		return -1;
	}
	store(base, k, v);
	return 0;
}
