/* conf.c - see conf.h. */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sys/un.h>

#include "conf_value.h"
#include "proto.h"

/* Kinds conf_value.c does not handle. */
enum {
	KEY_STR = CONF_OWN, /* copied into a char array of `width` bytes,
			      * min..max bytes long */
	KEY_LISTEN,	    /* appends to listen[] (several words) */
	KEY_MONITOR,	    /* PORT, ADDR:PORT or off */
	KEY_ENGINE,	    /* nats://H:P[,...] (KEY_STR, checked) */
};

static int word_level(const char *s, int *out);
static int word_dest(const char *s, int *out);
static int word_facility(const char *s, int *out);
static int word_client_cert(const char *s, int *out);

#define F(f) CONF_FIELD(struct conf, f)
#define NUM(name, kind, f, min, max, zero_ok)                      \
	{                                                          \
		name, kind, F(f), min, max, zero_ok, 1, NULL, NULL \
	}
#define WORD(name, f, parse, expected)                             \
	{                                                          \
		name, CONF_WORD, F(f), 0, 0, 0, 0, parse, expected \
	}
#define OWN(name, kind, f, min, max)                         \
	{                                                    \
		name, kind, F(f), min, max, 0, 0, NULL, NULL \
	}

static const struct conf_key keys[] = {
	OWN("bind", KEY_STR, bind, 1, CONF_MAX_BIND - 1),
	NUM("port", CONF_NUMBER, port, 1, 65535, 0),
	WORD("log_level", log_level, word_level,
	     "one of error, warning, notice, info, debug"),
	NUM("max_payload", CONF_SIZE, max_payload, 1, PROTO_ABS_MAX_PAYLOAD, 0),
	NUM("max_clients", CONF_NUMBER, max_clients, 1, 1000000, 0),
	NUM("max_subs_per_client", CONF_NUMBER, max_subs_per_client, 1,
	    10000000, 0),
	NUM("max_outbound", CONF_SIZE, max_outbound, 1024, UINT64_C(1) << 40,
	    0),
	NUM("handshake_timeout", CONF_DURATION, handshake_timeout_ms, 10,
	    3600000, 0),
	NUM("ping_interval", CONF_DURATION, ping_interval_ms, 10, 86400000, 1),
	NUM("max_pings_out", CONF_NUMBER, max_pings_out, 1, 1000, 0),
	NUM("frame_timeout", CONF_DURATION, frame_timeout_ms, 10, 3600000, 1),
	NUM("stall_timeout", CONF_DURATION, stall_timeout_ms, 10, 3600000, 0),
	NUM("max_conns_per_addr", CONF_NUMBER, max_conns_per_addr, 1, 1000000,
	    1),
	NUM("sys_interval", CONF_DURATION, sys_interval_ms, 100, 86400000, 1),
	OWN("listen", KEY_LISTEN, listen, 0, 0),
	OWN("monitor", KEY_MONITOR, monitor, 0, 0),
	WORD("log_dest", log_dest, word_dest, "stderr or syslog"),
	WORD("log_facility", log_facility, word_facility,
	     "daemon, user or local0..local7"),
	WORD("daemon", daemon, conf_parse_bool, "yes or no"),
	OWN("pidfile", KEY_STR, pidfile, 1, CONF_MAX_PATH - 1),
	NUM("drain_timeout", CONF_DURATION, drain_timeout_ms, 10, 3600000, 0),
	NUM("lame_duck_duration", CONF_DURATION, lame_duck_duration_ms, 10,
	    3600000, 0),
	NUM("lame_duck_grace", CONF_DURATION, lame_duck_grace_ms, 0, 3600000,
	    0),
	OWN("tls_cert_file", KEY_STR, tls_cert_file, 1, CONF_MAX_PATH - 1),
	OWN("tls_key_file", KEY_STR, tls_key_file, 1, CONF_MAX_PATH - 1),
	OWN("tls_ca_file", KEY_STR, tls_ca_file, 1, CONF_MAX_PATH - 1),
	WORD("tls_client_cert", tls_client_cert, word_client_cert,
	     "none, optional or required"),
	OWN("engine", KEY_ENGINE, engine, 1, CONF_MAX_PATH - 1),
	OWN("engine_tls_ca_file", KEY_STR, engine_tls_ca_file, 1,
	    CONF_MAX_PATH - 1),
	OWN("engine_tls_cert_file", KEY_STR, engine_tls_cert_file, 1,
	    CONF_MAX_PATH - 1),
	OWN("engine_tls_key_file", KEY_STR, engine_tls_key_file, 1,
	    CONF_MAX_PATH - 1),
	WORD("engine_tls", engine_tls, conf_parse_bool, "yes or no"),
	OWN("engine_user", KEY_STR, engine_user, 1, CONF_MAX_BIND - 1),
	OWN("engine_password", KEY_STR, engine_password, 1, CONF_MAX_BIND - 1),
	OWN("engine_creds_file", KEY_STR, engine_creds_file, 1,
	    CONF_MAX_PATH - 1),
	NUM("engine_max_pending", CONF_SIZE, engine_max_pending, 4096,
	    UINT64_C(1) << 36, 0),
	NUM("engine_max_pending_msgs", CONF_NUMBER, engine_max_pending_msgs, 16,
	    10000000, 0),
	NUM("engine_breaker_threshold", CONF_NUMBER, engine_breaker_threshold,
	    1, 1000000, 0),
	NUM("engine_breaker_cooldown", CONF_DURATION,
	    engine_breaker_cooldown_ms, 10, 3600000, 0),
	NUM("engine_reconnect_wait", CONF_DURATION, engine_reconnect_wait_ms,
	    10, 60000, 0),
	OWN("users_file", KEY_STR, users_file, 1, CONF_MAX_PATH - 1),
	WORD("allow_anonymous", allow_anonymous, conf_parse_bool, "yes or no"),
	WORD("tls_identity_from_cert", tls_identity_from_cert, conf_parse_bool,
	     "yes or no"),
	NUM("failed_login_cpu", CONF_NUMBER, failed_login_cpu, 1, 100, 0),
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
	c->max_clients = 0; /* not set: from the fd limit (fdlimit.h) */
	c->max_subs_per_client = 10000;
	c->max_outbound = 8u * 1024 * 1024;
	c->handshake_timeout_ms = 10000;
	c->failed_login_cpu = FAILED_LOGIN_CPU_DEFAULT;
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
	c->engine_max_pending = 8u * 1024 * 1024;
	c->engine_max_pending_msgs = 65536;
	c->engine_breaker_threshold = 5;
	c->engine_breaker_cooldown_ms = 1000;
	c->engine_reconnect_wait_ms = 250;
}

static int set_str(struct conf *c, const struct conf_key *k, const char *value,
		   char *err, size_t cap)
{
	size_t len = strlen(value);

	if (len < k->min || len > k->max) {
		snprintf(err, cap, "value must be %llu..%llu bytes",
			 (unsigned long long)k->min,
			 (unsigned long long)k->max);
		return -1;
	}
	memcpy((char *)c + k->off, value, len + 1);
	return 0;
}

/* The CONF_WORD parsers: log_level, log_dest, log_facility. */
static int word_level(const char *s, int *out)
{
	enum log_level level;

	if (log_level_parse(s, &level) != 0)
		return -1;
	*out = (int)level;
	return 0;
}

static int word_dest(const char *s, int *out)
{
	if (strcmp(s, "stderr") == 0)
		*out = CONF_LOG_STDERR;
	else if (strcmp(s, "syslog") == 0)
		*out = CONF_LOG_SYSLOG;
	else
		return -1;
	return 0;
}

static int word_client_cert(const char *s, int *out)
{
	static const char *const names[] = { "none", "optional", "required" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static int word_facility(const char *s, int *out)
{
	for (size_t i = 0; i < NFACILITIES; i++) {
		if (strcmp(s, facilities[i].name) == 0) {
			*out = facilities[i].value;
			return 0;
		}
	}
	return -1;
}

/* "PORT" (1..65535) into *port.  0 or -1. */
static int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (conf_parse_uint(s, &v) != 0 || v < 1 || v > 65535)
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
			snprintf(err, cap,
				 "unix socket path must be absolute "
				 "and under %zu bytes",
				 sizeof un->sun_path);
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
			snprintf(err, cap,
				 "'%s' is not ADDR:PORT, [IPv6]:PORT "
				 "or unix:/PATH",
				 a);
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
		snprintf(err, cap, "'%s': expected pool=NAME or tls", opt);
		return -1;
	}
	opt += 5;
	len = strspn(opt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_-");
	if (len == 0 || opt[len] || len >= sizeof l->pool) {
		snprintf(err, cap,
			 "pool name must be 1..%zu letters, digits, "
			 "'_' or '-'",
			 sizeof l->pool - 1);
		return -1;
	}
	memcpy(l->pool, opt, len + 1);
	return 0;
}

/* One option after the address: "pool=NAME" or "tls". */
static int parse_listen_opt(const char *opt, struct conf_listen *l, char *err,
			    size_t cap)
{
	if (strcmp(opt, "tls") == 0) {
		l->tls = 1;
		return 0;
	}
	return parse_listen_pool(opt, l, err, cap);
}

/* "ADDR [pool=NAME] [tls]" appended to c->listen. */
static int set_listen(struct conf *c, const char *value, char *err, size_t cap)
{
	char buf[CONF_MAX_BIND + CONF_MAX_POOL_NAME + 16], *addr, *opt, *rest;
	int nopt = 0;
	struct conf_listen l;

	if (c->nlisten >= CONF_MAX_LISTEN) {
		snprintf(err, cap, "more than %d listen lines",
			 CONF_MAX_LISTEN);
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
	if (!addr || parse_listen_addr(addr, &l, err, cap) != 0)
		return -1;
	while ((opt = strtok_r(NULL, " \t", &rest)) != NULL) {
		if (++nopt > 2) {
			snprintf(err, cap,
				 "expected ADDR:PORT [pool=NAME] "
				 "[tls]");
			return -1;
		}
		if (parse_listen_opt(opt, &l, err, cap) != 0)
			return -1;
	}
	c->listen[c->nlisten++] = l;
	return 0;
}

/* "off" or "0": no monitor; "PORT": on loopback, so the figures are
 * not published to the network by accident; "ADDR:PORT" as listen. */
static int set_monitor(struct conf *c, const char *value, char *err, size_t cap)
{
	struct conf_listen l;

	memset(&l, 0, sizeof l);
	if (strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
		c->monitor = l;
		return 0;
	}
	if (!strchr(value, ':')) {
		if (parse_port(value, &l.port) != 0) {
			snprintf(err, cap,
				 "'%s': expected PORT (1..65535), "
				 "ADDR:PORT or off",
				 value);
			return -1;
		}
		snprintf(l.host, sizeof l.host, "127.0.0.1");
	} else if (strncmp(value, "unix:", 5) == 0 ||
		   parse_listen_addr(value, &l, err, cap) != 0) {
		if (strncmp(value, "unix:", 5) == 0)
			snprintf(err, cap, "the monitor listens on TCP only");
		return -1;
	}
	c->monitor = l;
	return 0;
}

/* One nats://HOST:PORT (or tls://) address of an engine line. */
static int engine_addr_ok(const char *a, size_t len)
{
	const char *colon;
	size_t skip;

	if (len > 7 && strncmp(a, "nats://", 7) == 0)
		skip = 7;
	else if (len > 6 && strncmp(a, "tls://", 6) == 0)
		skip = 6;
	else
		return 0;
	colon = memchr(a + skip, ':', len - skip);
	return colon && colon > a + skip && colon + 1 < a + len &&
	       strspn(colon + 1, "0123456789") == (size_t)(a + len - colon - 1);
}

/* "engine nats://H:P[,nats://H:P...]": checked here, opened by engine.c. */
static int set_engine(struct conf *c, const char *value, char *err, size_t cap)
{
#ifdef HAVE_NATS
	const char *p = value, *end;

	if (strlen(value) >= sizeof c->engine) {
		snprintf(err, cap, "too long");
		return -1;
	}
	for (; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		if (!engine_addr_ok(p, (size_t)(end - p))) {
			snprintf(err, cap,
				 "'%.*s': expected nats://HOST:PORT "
				 "(or tls://HOST:PORT), comma-separated",
				 (int)(end - p), p);
			return -1;
		}
	}
	snprintf(c->engine, sizeof c->engine, "%s", value);
	return 0;
#else
	(void)c;
	(void)value;
	(void)engine_addr_ok;
	snprintf(err, cap,
		 "this brokerd was built without NATS federation "
		 "(configure --with-nats, libnats-dev)");
	return -1;
#endif
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
	const struct conf_key *k = conf_key_find(keys, NKEYS, key);

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
	if (k->kind == KEY_MONITOR)
		return set_monitor(c, value, err, err_cap);
	if (k->kind == KEY_ENGINE)
		return set_engine(c, value, err, err_cap);
	if (k->kind == KEY_STR)
		return set_str(c, k, value, err, err_cap);
	return conf_value_set(c, k, value, err, err_cap);
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

/* A tls listen line needs the certificate and key, wherever in the file
 * they are set.  Returns the problems. */
static int check_tls(const struct conf *c, const struct conf_listen *l,
		     const char *path, FILE *errs)
{
	if (!l->tls || (c->tls_cert_file[0] && c->tls_key_file[0]))
		return 0;
	fprintf(errs,
		"%s:%u: key 'listen': a tls listener needs "
		"tls_cert_file and tls_key_file\n",
		path, l->line);
	return 1;
}

/* tls_identity_from_cert needs client certificates required and a users
 * file to find the names in.  Returns the problems. */
static int check_identity(const struct conf *c, const char *path, FILE *errs)
{
	if (!c->tls_identity_from_cert ||
	    (c->tls_client_cert == CONF_TLS_CLIENT_REQUIRED &&
	     c->users_file[0]))
		return 0;
	fprintf(errs,
		"%s: key 'tls_identity_from_cert': needs tls_client_cert "
		"required and a users_file\n",
		path);
	return 1;
}

/* Checks that need the whole file: a listen line's pool must be defined
 * (by any pool.NAME.* line, before or after it), a tls one needs a
 * certificate.  Returns the problems. */
static int check_whole(const struct conf *c, const char *path, FILE *errs)
{
	int problems = check_identity(c, path, errs);

	for (unsigned i = 0; i < c->nlisten; i++) {
		const char *pool = c->listen[i].pool;

		problems += check_tls(c, &c->listen[i], path, errs);
		if (strcmp(pool, CONF_POOL_DEFAULT) == 0 ||
		    conf_pool_index(&c->pools, pool) >= 0)
			continue;
		fprintf(errs,
			"%s:%u: key 'listen': pool '%s' is not defined "
			"(no pool.%s.* line)\n",
			path, c->listen[i].line, pool, pool);
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
