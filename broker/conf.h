/*
 * conf.h - brokerd settings: a plain struct with defaults and a parser for
 * conf/brokerd.conf-style files.
 *
 * File format: one "key value" per line, '#' starts a comment (whole line or
 * after the value), blank lines are ignored, a later line overrides an
 * earlier one, except "listen", whose lines add up.  Values are one word,
 * except a listen line's optional "pool=NAME" and "tls".  Sizes accept k/M/G suffixes
 * (powers of 1024), durations ms/s/m/h (a bare number is seconds).
 *
 * (Named conf.h, not config.h: "config.h" is the autoconf header and a
 * quoted include looks in the including file's directory first.)
 *
 * No global state: the parser fills the struct it is given, so a reload can
 * parse into a fresh struct and keep the old one when anything is wrong.
 */
#ifndef BROKERD_CONF_H
#define BROKERD_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf_pool.h"
#include "log.h"

#define CONF_MAX_BIND 256
#define CONF_MAX_LISTEN 16 /* listen lines */
#define CONF_MAX_POOL_NAME 64
#define CONF_MAX_PATH 1024
/* failed_login_cpu: docs/BENCHMARKS.md, "Logins", says why */
#define FAILED_LOGIN_CPU_DEFAULT 10

/* One "listen ADDR:PORT [pool=NAME] [tls]" or "listen unix:/path
 * [pool=NAME] [tls]" line.  host is "" for "*:PORT" / ":PORT" (every
 * interface). */
struct conf_listen {
	int is_unix;
	int tls;		  /* "tls": clients speak TLS here */
	char host[CONF_MAX_BIND]; /* IPv4/IPv6 literal or name; unix: path */
	uint16_t port;
	char pool[CONF_MAX_POOL_NAME]; /* "default" when the line names none */
	unsigned line;		       /* in the file (for messages), or 0 */
};

/* tls_client_cert: whether TLS clients must show a certificate. */
enum conf_tls_client {
	CONF_TLS_CLIENT_NONE = 0, /* not asked for */
	CONF_TLS_CLIENT_OPTIONAL, /* asked for, verified when shown */
	CONF_TLS_CLIENT_REQUIRED, /* a client without one is refused */
};

/* Where log lines go. */
enum conf_log_dest {
	CONF_LOG_STDERR = 0,
	CONF_LOG_SYSLOG,
};

struct conf {
	char bind[CONF_MAX_BIND]; /* listen address (IPv4, IPv6 or name) */
	uint16_t port;
	/* listen lines; when there are none, bind:port is the one listener */
	struct conf_listen listen[CONF_MAX_LISTEN];
	unsigned nlisten;
	enum log_level log_level;
	enum conf_log_dest log_dest;
	int log_facility;		/* syslog facility (LOG_DAEMON...) */
	int daemon;			/* detach (-d) */
	char pidfile[CONF_MAX_PATH];	/* "" for none */
	uint32_t drain_timeout_ms;	/* SIGTERM: bound on flushing clients */
	uint32_t lame_duck_duration_ms; /* SIGUSR2: closing spread over this */
	uint32_t lame_duck_grace_ms; /* SIGUSR2: wait before closing starts */
	uint32_t max_payload;	     /* bytes, 1..PROTO_ABS_MAX_PAYLOAD */
	uint32_t max_clients;
	uint32_t max_subs_per_client;
	uint64_t max_outbound; /* bytes queued per client */
	uint32_t handshake_timeout_ms;
	uint32_t ping_interval_ms; /* 0: the broker sends no PINGs */
	uint32_t max_pings_out;
	uint32_t frame_timeout_ms;   /* a started frame must end; 0: off */
	uint32_t stall_timeout_ms;   /* a block subscriber with no write
				       * progress this long is stalled */
	uint32_t max_conns_per_addr; /* per client address; 0: off */
	uint32_t sys_interval_ms;    /* $SYS stats publishing; 0: off */
	struct conf_pools pools;     /* pool.NAME.KEY lines (conf_pool.h) */
	/* TLS listeners (tls_ctx.h); paths are "" when not set */
	char tls_cert_file[CONF_MAX_PATH]; /* PEM chain, server's first */
	char tls_key_file[CONF_MAX_PATH];  /* PEM private key */
	char tls_ca_file[CONF_MAX_PATH];   /* PEM CAs trusted for clients */
	int tls_client_cert;		   /* enum conf_tls_client */
	/* Authentication (auth.h, users.h) */
	char users_file[CONF_MAX_PATH]; /* "" : none, everyone allowed */
	int allow_anonymous;		/* clients without credentials (with a
					 * users_file); without one: a
					 * non-loopback listener may start */
	int tls_identity_from_cert;	/* a TLS client's certificate CN is its
				     * user name (tls_client_cert required) */
	uint32_t failed_login_cpu;	/* percent of a CPU that password checks
				    * which fail may take (auth_worker.h) */
	/* HTTP monitor (monitor.h): "monitor PORT" or "monitor ADDR:PORT";
	 * port 0: off (the default).  Read at start only. */
	struct conf_listen monitor;
	/* Federation (engine.h, docs/CLUSTERING.md): "" = not federated.
	 * Read at start only. */
	char engine[CONF_MAX_PATH];		/* nats://H:P[,nats://H:P...] */
	char engine_tls_ca_file[CONF_MAX_PATH]; /* "" when not set (below) */
	char engine_tls_cert_file[CONF_MAX_PATH];
	char engine_tls_key_file[CONF_MAX_PATH];
	int engine_tls; /* require TLS on the link */
	char engine_user[CONF_MAX_BIND];
	char engine_password[CONF_MAX_BIND];
	char engine_creds_file[CONF_MAX_PATH];
	uint64_t engine_max_pending;	   /* bytes queued each way */
	uint32_t engine_max_pending_msgs;  /* messages queued each way */
	uint32_t engine_breaker_threshold; /* publish failures in a row */
	uint32_t engine_breaker_cooldown_ms;
	uint32_t engine_reconnect_wait_ms;
};

/* Fill c with the defaults (documented in conf/brokerd.conf). */
void conf_defaults(struct conf *c);

/* Set one key from its text value.  Returns 0, or -1 with a reason (no
 * key, no location) written to err[0..err_cap) for an unknown key, a bad
 * value or one out of range; c is unchanged then. */
int conf_set(struct conf *c, const char *key, const char *value, char *err,
	     size_t err_cap);

/* Read the file at path into c (which should hold the defaults, or values
 * to override).  Every problem is reported on errs as
 * "FILE:LINE: key 'K': reason" (or "FILE: reason" when the file cannot be
 * read), and parsing goes on so all problems are shown at once.  Returns
 * the number of problems (0: c is fully updated; otherwise c holds the
 * valid lines only and must not be used). */
int conf_load(struct conf *c, const char *path, FILE *errs);

/* Format listener l as "127.0.0.1:7654", "[::1]:7654", "*:7654" or
 * "unix:/path" into buf. */
void conf_listen_format(const struct conf_listen *l, char *buf, size_t cap);

#endif
