/* conf.c - see conf.h. */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

enum key_kind {
	KEY_STR,         /* copied into a char array of `width` bytes */
	KEY_LEVEL,       /* enum log_level */
	KEY_NUMBER,      /* plain unsigned number */
	KEY_SIZE,        /* bytes with an optional k/M/G suffix */
	KEY_DURATION,    /* milliseconds from ms/s/m/h */
};

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t off, width;       /* where and how wide the field is */
	uint64_t min, max;       /* accepted range (numbers) */
	int zero_ok;             /* 0 accepted besides [min, max] */
};

#define FIELD(f) offsetof(struct conf, f), sizeof(((struct conf *)0)->f)

static const struct key_def keys[] = {
	{ "bind", KEY_STR, FIELD(bind), 1, CONF_MAX_BIND - 1, 0 },
	{ "port", KEY_NUMBER, FIELD(port), 1, 65535, 0 },
	{ "log_level", KEY_LEVEL, FIELD(log_level), 0, 0, 0 },
	{ "max_payload", KEY_SIZE, FIELD(max_payload), 1,
	  PROTO_ABS_MAX_PAYLOAD, 0 },
	{ "max_clients", KEY_NUMBER, FIELD(max_clients), 1, 1000000, 0 },
	{ "max_subs_per_client", KEY_NUMBER, FIELD(max_subs_per_client), 1,
	  10000000, 0 },
	{ "max_outbound", KEY_SIZE, FIELD(max_outbound), 1024,
	  UINT64_C(1) << 40, 0 },
	{ "handshake_timeout", KEY_DURATION, FIELD(handshake_timeout_ms), 10,
	  3600000, 0 },
	{ "ping_interval", KEY_DURATION, FIELD(ping_interval_ms), 10,
	  86400000, 1 },
	{ "max_pings_out", KEY_NUMBER, FIELD(max_pings_out), 1, 1000, 0 },
};

#define NKEYS (sizeof keys / sizeof keys[0])

void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->bind, sizeof c->bind, "127.0.0.1");
	c->port = 7654;
	c->log_level = LOG_LEVEL_NOTICE;
	c->max_payload = PROTO_DEFAULT_MAX_PAYLOAD;
	c->max_clients = 1000;
	c->max_subs_per_client = 10000;
	c->max_outbound = 8u * 1024 * 1024;
	c->handshake_timeout_ms = 10000;
	c->ping_interval_ms = 30000;
	c->max_pings_out = 2;
}

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

int conf_parse_size(const char *s, uint64_t *out)
{
	const char *e;
	uint64_t v, mul = 1;

	if (parse_digits(s, &v, &e) != 0)
		return -1;
	if (*e && e[1] == 0) {
		switch (*e) {
		case 'k': case 'K': mul = 1024; break;
		case 'm': case 'M': mul = 1024 * 1024; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; break;
		default: return -1;
		}
	} else if (*e) {
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

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Store v into the field of width k->width. */
static void store_uint(struct conf *c, const struct key_def *k, uint64_t v)
{
	char *p = (char *)c + k->off;

	if (k->width == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, sizeof x);
	} else if (k->width == sizeof(uint32_t)) {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, sizeof x);
	} else {
		memcpy(p, &v, sizeof v);
	}
}

static int set_number(struct conf *c, const struct key_def *k,
		      const char *value, char *err, size_t cap)
{
	static const char *const what[] = {
		[KEY_NUMBER] = "a number",
		[KEY_SIZE] = "a size (e.g. 512, 64k, 16M)",
		[KEY_DURATION] = "a duration (e.g. 500ms, 10s, 2m)",
	};
	const char *e;
	uint64_t v;
	int rc;

	if (k->kind == KEY_SIZE)
		rc = conf_parse_size(value, &v);
	else if (k->kind == KEY_DURATION)
		rc = conf_parse_duration(value, &v);
	else
		rc = (parse_digits(value, &v, &e) == 0 && *e == 0) ? 0 : -1;
	if (rc != 0) {
		snprintf(err, cap, "'%s' is not %s", value, what[k->kind]);
		return -1;
	}
	if ((v < k->min || v > k->max) && !(v == 0 && k->zero_ok)) {
		snprintf(err, cap, "%s out of range (%s%llu..%llu%s)", value,
			 k->zero_ok ? "0 or " : "", (unsigned long long)k->min,
			 (unsigned long long)k->max,
			 k->kind == KEY_DURATION ? " ms" :
			 k->kind == KEY_SIZE ? " bytes" : "");
		return -1;
	}
	store_uint(c, k, v);
	return 0;
}

int conf_set(struct conf *c, const char *key, const char *value, char *err,
	     size_t err_cap)
{
	const struct key_def *k = find_key(key);
	enum log_level level;
	size_t len;

	if (!k) {
		snprintf(err, err_cap, "unknown key");
		return -1;
	}
	switch (k->kind) {
	case KEY_STR:
		len = strlen(value);
		if (len < k->min || len > k->max) {
			snprintf(err, err_cap, "value must be %llu..%llu bytes",
				 (unsigned long long)k->min,
				 (unsigned long long)k->max);
			return -1;
		}
		memcpy((char *)c + k->off, value, len + 1);
		return 0;
	case KEY_LEVEL:
		if (log_level_parse(value, &level) != 0) {
			snprintf(err, err_cap, "'%s' is not one of error, "
				 "warning, notice, info, debug", value);
			return -1;
		}
		c->log_level = level;
		return 0;
	default:
		return set_number(c, k, value, err, err_cap);
	}
}

/* Split a line in place into key and value (comments and surrounding
 * blanks removed).  Returns 0 for a blank/comment line, 1 for a key (value
 * may be "" when missing), -1 when the value has inner blanks. */
static int split_line(char *line, char **key, char **value)
{
	char *p = strchr(line, '#'), *end;

	if (p)
		*p = 0;
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = 0;
	if (*line == 0)
		return 0;
	*key = line;
	while (*line && !isspace((unsigned char)*line))
		line++;
	if (*line)
		*line++ = 0;
	while (isspace((unsigned char)*line))
		line++;
	*value = line;
	for (; *line; line++)
		if (isspace((unsigned char)*line))
			return -1;
	return 1;
}

/* Handle one line; returns 1 if it had a problem (reported), else 0. */
static int load_line(struct conf *c, char *line, const char *path,
		     unsigned lineno, FILE *errs)
{
	char err[200], *key = NULL, *value = NULL;
	int kind = split_line(line, &key, &value);

	if (kind == 0)
		return 0;
	if (kind < 0)
		snprintf(err, sizeof err, "value must be one word");
	else if (*value == 0)
		snprintf(err, sizeof err, "missing value");
	else if (conf_set(c, key, value, err, sizeof err) == 0)
		return 0;
	fprintf(errs, "%s:%u: key '%s': %s\n", path, lineno, key, err);
	return 1;
}

int conf_load(struct conf *c, const char *path, FILE *errs)
{
	char line[1024];
	unsigned lineno = 0;
	int problems = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		lineno++;
		if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
			fprintf(errs, "%s:%u: line too long\n", path, lineno);
			problems++;
			while (fgets(line, sizeof line, f) &&
			       line[strlen(line) - 1] != '\n')
				;
			continue;
		}
		problems += load_line(c, line, path, lineno, errs);
	}
	if (ferror(f)) {
		fprintf(errs, "%s: read error\n", path);
		problems++;
	}
	fclose(f);
	return problems;
}
