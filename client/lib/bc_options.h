/*
 * bc_options.h - the connection options behind the public bc_options
 * handle: their layout, defaults and deep copies.
 */
#ifndef BC_OPTIONS_H
#define BC_OPTIONS_H

#include <stddef.h>

#include "brokerclient.h"

#define BC_DEFAULT_MAX_OUTBUF (4u * 1024u * 1024u)
#define BC_MIN_MAX_OUTBUF (64u * 1024u)

#define BC_MAX_SERVERS 16

struct bc_server {
	char *host; /* owned */
	int port;
	int tls; /* 1: a tls:// URL (TLS even without bc_options_set_tls) */
};

/* Longest user name and password bc_options_set_credentials takes (the
 * HELLO must fit the broker's pre-HELLO frame limit). */
#define BC_MAX_USER 128
#define BC_MAX_PASS 1024

/* TLS settings (bc_options_set_tls); the strings are owned, NULL: not
 * given (CA: the system store). */
struct bc_tls_opts {
	int on;		/* TLS to every server (else only to tls:// ones) */
	unsigned flags; /* BC_TLS_* */
	char *ca_file;
	char *cert_file;
	char *key_file;
};

struct bc_options {
	struct bc_server servers[BC_MAX_SERVERS]; /* [0]: set_host/set_port */
	size_t nservers;			  /* >= 1 in every copy */
	char *name;				  /* owned */
	int connect_timeout_ms;
	int timeout_ms;
	int close_timeout_ms;
	size_t max_outbuf;
	bc_error_cb error_cb;
	void *error_arg;
	bc_drain_cb drain_cb;
	void *drain_arg;
	bc_notice_cb notice_cb;
	void *notice_arg;
	bc_state_cb state_cb;
	void *state_arg;
	bc_breaker_cb breaker_cb;
	void *breaker_arg;
	int reconnect;	     /* 1: reconnect after a loss */
	int max_reconnect;   /* failed attempts in a row; -1: forever */
	int connect_retries; /* extra first-connect tries; -1: forever */
	int backoff_initial_ms;
	int backoff_max_ms;
	double backoff_mult;
	double jitter;		  /* 0..1 */
	size_t offline_max_bytes; /* 0: no offline buffer */
	size_t offline_max_msgs;
	int breaker_threshold; /* 0: breaker off */
	int breaker_cooldown_ms;
	struct bc_tls_opts tls;
	char *user; /* owned, NULL: no credentials in HELLO */
	char *pass; /* owned, wiped before it is freed */
};

/* Deep copy src (borrowed; NULL: the defaults) into dst, which then owns
 * its strings; BC_OK or BC_ERR_NOMEM (dst then holds nothing to free). */
int bc_options_copy(struct bc_options *dst, const struct bc_options *src);
/* Free the strings o owns (o itself stays the caller's). */
void bc_options_clear(struct bc_options *o);

#endif
