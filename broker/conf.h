/*
 * conf.h - brokerd settings: a plain struct with defaults and a parser for
 * conf/brokerd.conf-style files.
 *
 * File format: one "key value" per line, '#' starts a comment (whole line or
 * after the value), blank lines are ignored, a later line overrides an
 * earlier one.  Sizes accept k/M/G suffixes (powers of 1024), durations
 * ms/s/m/h (a bare number is seconds).
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

#include "log.h"

#define CONF_MAX_BIND 256

struct conf {
	char bind[CONF_MAX_BIND];     /* listen address (IPv4, IPv6 or name) */
	uint16_t port;
	enum log_level log_level;
	uint32_t max_payload;         /* bytes, 1..PROTO_ABS_MAX_PAYLOAD */
	uint32_t max_clients;
	uint32_t max_subs_per_client;
	uint64_t max_outbound;        /* bytes queued per client */
	uint32_t handshake_timeout_ms;
	uint32_t ping_interval_ms;    /* 0: the broker sends no PINGs */
	uint32_t max_pings_out;
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

/* Parse a size ("512", "64k", "16M", "1G") into bytes.  0 or -1. */
int conf_parse_size(const char *s, uint64_t *out);

/* Parse a duration ("500ms", "10s", "2m", "1h", "30" = seconds) into
 * milliseconds.  0 or -1. */
int conf_parse_duration(const char *s, uint64_t *out_ms);

#endif
