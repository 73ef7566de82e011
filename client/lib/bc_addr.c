/*
 * bc_addr.c - broker addresses as text.  A unix socket travels through
 * the options as the host "unix:PATH" (its port unused), so the server
 * list, bc_server and the reconnect rotation need no second kind of
 * entry.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "bc_addr.h"
#include "brokerclient.h"

#define PREFIX_LEN (sizeof BC_ADDR_PREFIX_UNIX - 1)
#define MAX_UNIX_PATH (sizeof((struct sockaddr_un *)0)->sun_path - 1)

int bc_addr_is_unix(const char *host)
{
	return host && strncmp(host, BC_ADDR_PREFIX_UNIX, PREFIX_LEN) == 0;
}

const char *bc_addr_unix_path(const char *host)
{
	return host + PREFIX_LEN;
}

int bc_addr_valid_host(const char *host)
{
	size_t n;

	if (!host || !*host || strlen(host) > BC_ADDR_MAX_HOST)
		return 0;
	if (!bc_addr_is_unix(host))
		return 1;
	n = strlen(bc_addr_unix_path(host));
	return n > 0 && n <= MAX_UNIX_PATH;
}

/* Port text s[0..len): 1..65535, digits only. */
static int parse_port(const char *s, size_t len, int *port)
{
	long v = 0;

	if (len == 0 || len > 5)
		return BC_ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return BC_ERR_INVALID;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return BC_ERR_INVALID;
	*port = (int)v;
	return BC_OK;
}

static int copy_host(char *host, size_t cap, const char *s, size_t len)
{
	if (len == 0 || len >= cap || memchr(s, '/', len) ||
	    memchr(s, '@', len))
		return BC_ERR_INVALID;
	memcpy(host, s, len);
	host[len] = 0;
	return bc_addr_valid_host(host) ? BC_OK : BC_ERR_INVALID;
}

/* "host", "host:port", "[v6]" or "[v6]:port" (s[0..len)). */
static int parse_tcp(const char *s, size_t len, char *host, size_t cap,
		     int *port)
{
	const char *colon;

	if (len > 0 && s[len - 1] == '/')
		len--; /* "tcp://host:port/" */
	if (len > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', len);
		size_t rest;

		if (!end)
			return BC_ERR_INVALID;
		rest = len - (size_t)(end + 1 - s);
		if (rest && (end[1] != ':' ||
			     parse_port(end + 2, rest - 1, port) != BC_OK))
			return BC_ERR_INVALID;
		return copy_host(host, cap, s + 1, (size_t)(end - s - 1));
	}
	colon = memchr(s, ':', len);
	if (colon) {
		if (parse_port(colon + 1, len - (size_t)(colon + 1 - s), port))
			return BC_ERR_INVALID;
		len = (size_t)(colon - s);
	}
	return copy_host(host, cap, s, len);
}

/* "unix:PATH" or "unix://PATH" (so "unix:///run/b.sock" works too). */
static int parse_unix(const char *s, size_t len, char *host, size_t cap,
		      int *port)
{
	if (len >= 2 && s[0] == '/' && s[1] == '/') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || PREFIX_LEN + len >= cap || memchr(s, 0, len))
		return BC_ERR_INVALID;
	memcpy(host, BC_ADDR_PREFIX_UNIX, PREFIX_LEN);
	memcpy(host + PREFIX_LEN, s, len);
	host[PREFIX_LEN + len] = 0;
	*port = BC_ADDR_DEFAULT_PORT; /* unused, but valid for bc_server */
	return bc_addr_valid_host(host) ? BC_OK : BC_ERR_INVALID;
}

/* 1 if url[0..len) starts with the scheme s (a "xxx://" literal). */
static int has_scheme(const char *url, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && strncmp(url, s, n) == 0;
}

int bc_addr_parse_url(const char *url, size_t len, char *host, size_t cap,
		      int *port, int *tls)
{
	if (!url || !host || cap == 0 || !port || !tls)
		return BC_ERR_INVALID;
	*tls = 0;
	if (len >= PREFIX_LEN && !strncmp(url, BC_ADDR_PREFIX_UNIX, PREFIX_LEN))
		return parse_unix(url + PREFIX_LEN, len - PREFIX_LEN, host, cap,
				  port);
	if (has_scheme(url, len, "tcp://")) {
		*port = BC_ADDR_DEFAULT_PORT;
		return parse_tcp(url + 6, len - 6, host, cap, port);
	}
	if (has_scheme(url, len, "tls://")) {
		*tls = 1;
		*port = BC_ADDR_DEFAULT_TLS_PORT;
		return parse_tcp(url + 6, len - 6, host, cap, port);
	}
	return BC_ERR_INVALID;
}

void bc_addr_format(char *buf, size_t cap, const char *host, int port)
{
	if (bc_addr_is_unix(host))
		snprintf(buf, cap, "%s", host);
	else if (strchr(host, ':'))
		snprintf(buf, cap, "[%s]:%d", host, port);
	else
		snprintf(buf, cap, "%s:%d", host, port);
}
