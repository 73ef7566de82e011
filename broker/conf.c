/* conf.c - see conf.h. */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sys/un.h>

#include "proto.h"

enum key_kind {
	KEY_STR,         /* copied into a char array of `width` bytes */
	KEY_LEVEL,       /* enum log_level */
	KEY_NUMBER,      /* plain unsigned number */
	KEY_SIZE,        /* bytes with an optional k/M/G suffix */
	KEY_DURATION,    /* milliseconds from ms/s/m/h */
	KEY_BOOL,        /* int: yes/no, true/false, on/off, 1/0 */
	KEY_LISTEN,      /* appends to listen[] (several words) */
	KEY_DEST,        /* enum conf_log_dest */
	KEY_FACILITY,    /* syslog facility name */
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
	{ "frame_timeout", KEY_DURATION, FIELD(frame_timeout_ms), 10,
	  3600000, 1 },
	{ "stall_timeout", KEY_DURATION, FIELD(stall_timeout_ms), 10,
	  3600000, 0 },
	{ "max_conns_per_addr", KEY_NUMBER, FIELD(max_conns_per_addr), 1,
	  1000000, 1 },
	{ "sys_interval", KEY_DURATION, FIELD(sys_interval_ms), 100,
	  86400000, 1 },
	{ "listen", KEY_LISTEN, FIELD(listen), 0, 0, 0 },
	{ "log_dest", KEY_DEST, FIELD(log_dest), 0, 0, 0 },
	{ "log_facility", KEY_FACILITY, FIELD(log_facility), 0, 0, 0 },
	{ "daemon", KEY_BOOL, FIELD(daemon), 0, 0, 0 },
	{ "pidfile", KEY_STR, FIELD(pidfile), 1, CONF_MAX_PATH - 1, 0 },
	{ "drain_timeout", KEY_DURATION, FIELD(drain_timeout_ms), 10,
	  3600000, 0 },
	{ "lame_duck_duration", KEY_DURATION, FIELD(lame_duck_duration_ms),
	  10, 3600000, 0 },
	{ "lame_duck_grace", KEY_DURATION, FIELD(lame_duck_grace_ms), 0,
	  3600000, 0 },
};

/* log_facility names (syslog.h values). */
static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

#define NFACILITIES (sizeof facilities / sizeof facilities[0])

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
	c->frame_timeout_ms = 30000;
	c->stall_timeout_ms = 250;
	c->max_conns_per_addr = 0;
	c->sys_interval_ms = 10000;
	conf_pools_init(&c->pools);
	c->log_dest = CONF_LOG_STDERR;
	c->log_facility = LOG_DAEMON;
	c->drain_timeout_ms = 5000;
	c->lame_duck_duration_ms = 30000;
	c->lame_duck_grace_ms = 1000;
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

/* "yes"/"no" & co into *out.  0 or -1. */
static int parse_bool(const char *s, int *out)
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

static int set_str(struct conf *c, const struct key_def *k, const char *value,
		   char *err, size_t cap)
{
	size_t len = strlen(value);

	if (len < k->min || len > k->max) {
		snprintf(err, cap, "value must be %llu..%llu bytes",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	memcpy((char *)c + k->off, value, len + 1);
	return 0;
}

/* log_level, log_dest, log_facility, daemon. */
static int set_word(struct conf *c, const struct key_def *k, const char *v,
		    char *err, size_t cap)
{
	enum log_level level;

	switch (k->kind) {
	case KEY_LEVEL:
		if (log_level_parse(v, &level) == 0) {
			c->log_level = level;
			return 0;
		}
		snprintf(err, cap, "'%s' is not one of error, warning, notice, "
			 "info, debug", v);
		return -1;
	case KEY_DEST:
		if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0) {
			c->log_dest = v[1] == 't' ? CONF_LOG_STDERR
						  : CONF_LOG_SYSLOG;
			return 0;
		}
		snprintf(err, cap, "'%s' is not stderr or syslog", v);
		return -1;
	case KEY_FACILITY:
		for (size_t i = 0; i < NFACILITIES; i++) {
			if (strcmp(v, facilities[i].name) == 0) {
				c->log_facility = facilities[i].value;
				return 0;
			}
		}
		snprintf(err, cap, "'%s' is not daemon, user or local0..local7",
			 v);
		return -1;
	default:
		if (parse_bool(v, &c->daemon) == 0)
			return 0;
		snprintf(err, cap, "'%s' is not yes or no", v);
		return -1;
	}
}

/* "PORT" (1..65535) into *port.  0 or -1. */
static int parse_port(const char *s, uint16_t *port)
{
	const char *e;
	uint64_t v;

	if (parse_digits(s, &v, &e) != 0 || *e || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "unix:/path", "[v6]:port", "host:port" or "*:port" into *l. */
static int parse_listen_addr(const char *a, struct conf_listen *l, char *err,
			     size_t cap)
{
	const struct sockaddr_un *un = NULL;
	const char *colon;
	size_t hlen;

	if (strncmp(a, "unix:", 5) == 0) {
		hlen = strlen(a + 5);
		if (a[5] != '/' || hlen >= sizeof un->sun_path) {
			snprintf(err, cap, "unix socket path must be absolute "
				 "and under %zu bytes", sizeof un->sun_path);
			return -1;
		}
		l->is_unix = 1;
		memcpy(l->host, a + 5, hlen + 1);
		return 0;
	}
	if (a[0] == '[') {
		colon = strchr(a, ']');
		if (!colon || colon[1] != ':') {
			snprintf(err, cap, "'%s' is not [IPv6]:PORT", a);
			return -1;
		}
		a++;
		hlen = (size_t)(colon - a);
		colon++;
	} else {
		colon = strrchr(a, ':');
		if (!colon || memchr(a, ':', (size_t)(colon - a))) {
			snprintf(err, cap, "'%s' is not ADDR:PORT, [IPv6]:PORT "
				 "or unix:/PATH", a);
			return -1;
		}
		hlen = (size_t)(colon - a);
	}
	if (hlen >= sizeof l->host || parse_port(colon + 1, &l->port) != 0) {
		snprintf(err, cap, "'%s': bad address or port (1..65535)", a);
		return -1;
	}
	memcpy(l->host, a, hlen);
	l->host[hlen] = 0;
	if (strcmp(l->host, "*") == 0)
		l->host[0] = 0;
	return 0;
}

/* "pool=NAME": letters, digits, '_' and '-'. */
static int parse_listen_pool(const char *opt, struct conf_listen *l, char *err,
			     size_t cap)
{
	size_t len;

	if (strncmp(opt, "pool=", 5) != 0) {
		snprintf(err, cap, "'%s': expected pool=NAME", opt);
		return -1;
	}
	opt += 5;
	len = strspn(opt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_-");
	if (len == 0 || opt[len] || len >= sizeof l->pool) {
		snprintf(err, cap, "pool name must be 1..%zu letters, digits, "
			 "'_' or '-'", sizeof l->pool - 1);
		return -1;
	}
	memcpy(l->pool, opt, len + 1);
	return 0;
}

/* "ADDR [pool=NAME]" appended to c->listen. */
static int set_listen(struct conf *c, const char *value, char *err, size_t cap)
{
	char buf[CONF_MAX_BIND + CONF_MAX_POOL_NAME + 16], *addr, *opt, *rest;
	struct conf_listen l;

	if (c->nlisten >= CONF_MAX_LISTEN) {
		snprintf(err, cap, "more than %d listen lines", CONF_MAX_LISTEN);
		return -1;
	}
	if (strlen(value) >= sizeof buf) {
		snprintf(err, cap, "value too long");
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", value);
	memset(&l, 0, sizeof l);
	snprintf(l.pool, sizeof l.pool, "default");
	addr = strtok_r(buf, " \t", &rest);
	opt = strtok_r(NULL, " \t", &rest);
	if (!addr || parse_listen_addr(addr, &l, err, cap) != 0 ||
	    (opt && parse_listen_pool(opt, &l, err, cap) != 0))
		return -1;
	if (strtok_r(NULL, " \t", &rest)) {
		snprintf(err, cap, "expected ADDR:PORT [pool=NAME]");
		return -1;
	}
	c->listen[c->nlisten++] = l;
	return 0;
}

void conf_listen_format(const struct conf_listen *l, char *buf, size_t cap)
{
	if (l->is_unix)
		snprintf(buf, cap, "unix:%s", l->host);
	else if (!l->host[0])
		snprintf(buf, cap, "*:%u", l->port);
	else if (strchr(l->host, ':'))
		snprintf(buf, cap, "[%s]:%u", l->host, l->port);
	else
		snprintf(buf, cap, "%s:%u", l->host, l->port);
}

int conf_set(struct conf *c, const char *key, const char *value, char *err,
	     size_t err_cap)
{
	const struct key_def *k = find_key(key);

	if (!k && strncmp(key, "pool.", 5) == 0)
		return conf_pool_set(&c->pools, key, value, err, err_cap);
	if (!k) {
		snprintf(err, err_cap, "unknown key");
		return -1;
	}
	if (k->kind == KEY_LISTEN)
		return set_listen(c, value, err, err_cap);
	if (value[strcspn(value, " \t")]) {
		snprintf(err, err_cap, "value must be one word");
		return -1;
	}
	switch (k->kind) {
	case KEY_STR:
		return set_str(c, k, value, err, err_cap);
	case KEY_LEVEL: case KEY_DEST: case KEY_FACILITY: case KEY_BOOL:
		return set_word(c, k, value, err, err_cap);
	default:
		return set_number(c, k, value, err, err_cap);
	}
}

/* Split a line in place into key and value (comments and surrounding
 * blanks removed; the value may hold inner blanks, which conf_set judges).
 * Returns 0 for a blank/comment line, 1 for a key (value may be "" when
 * missing). */
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
	if (*value == 0) {
		snprintf(err, sizeof err, "missing value");
	} else if (conf_set(c, key, value, err, sizeof err) == 0) {
		if (strcmp(key, "listen") == 0)
			c->listen[c->nlisten - 1].line = lineno;
		return 0;
	}
	fprintf(errs, "%s:%u: key '%s': %s\n", path, lineno, key, err);
	return 1;
}

/* Checks that need the whole file: a listen line's pool must be defined
 * (by any pool.NAME.* line, before or after it).  Returns the problems. */
static int check_whole(const struct conf *c, const char *path, FILE *errs)
{
	int problems = 0;

	for (unsigned i = 0; i < c->nlisten; i++) {
		const char *pool = c->listen[i].pool;

		if (strcmp(pool, CONF_POOL_DEFAULT) == 0 ||
		    conf_pool_index(&c->pools, pool) >= 0)
			continue;
		fprintf(errs, "%s:%u: key 'listen': pool '%s' is not defined "
			"(no pool.%s.* line)\n", path, c->listen[i].line, pool,
			pool);
		problems++;
	}
	return problems;
}

/* What fgets left in buf (cap bytes): 0 a whole line (or the last one,
 * without a newline), 1 the start of a line too long for buf, -1 a line
 * holding a NUL byte (not a text file: /dev/zero must not make us spin). */
static int line_kind(const char *buf, size_t cap, FILE *f)
{
	size_t len = strlen(buf);

	if ((len > 0 && buf[len - 1] == '\n') || feof(f))
		return 0;
	return len == cap - 1 ? 1 : -1;
}

/* Read past the rest of a line that did not fit in buf.  Returns the
 * line_kind of its last piece (0 also at the end of the file). */
static int skip_rest(char *buf, size_t cap, FILE *f)
{
	int kind = 1;

	while (kind == 1 && fgets(buf, (int)cap, f))
		kind = line_kind(buf, cap, f);
	return kind == 1 ? 0 : kind;
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
		int kind = line_kind(line, sizeof line, f);

		lineno++;
		if (kind > 0) {
			fprintf(errs, "%s:%u: line too long\n", path, lineno);
			problems++;
			if ((kind = skip_rest(line, sizeof line, f)) == 0)
				continue;
		}
		if (kind < 0) {
			fprintf(errs, "%s:%u: NUL byte (not a text file)\n",
				path, lineno);
			problems++;
			break;
		}
		problems += load_line(c, line, path, lineno, errs);
	}
	if (ferror(f)) {
		fprintf(errs, "%s: read error\n", path);
		problems++;
	}
	fclose(f);
	return problems + check_whole(c, path, errs);
}
