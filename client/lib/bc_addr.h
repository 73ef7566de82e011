/*
 * bc_addr.h - broker addresses as text: "host" with a port, "unix:PATH",
 * and the URL forms of bc_options_set_url ("tcp://host:port",
 * "unix:PATH").  Pure string work: no sockets, no resolving.
 */
#ifndef BC_ADDR_H
#define BC_ADDR_H

#include <stddef.h>

#define BC_ADDR_PREFIX_UNIX "unix:"
/* Longest host text kept in the options (a name, an address, or
 * "unix:" and a path). */
#define BC_ADDR_MAX_HOST 255
/* Default port of a "tcp://host" URL without one. */
#define BC_ADDR_DEFAULT_PORT 7654
/* Default port of a "tls://host" URL without one (conf/brokerd.conf's
 * example TLS listener; Mosquitto likewise has 1883 and 8883). */
#define BC_ADDR_DEFAULT_TLS_PORT 7655

/* 1 if host (borrowed) names a unix socket ("unix:PATH"), else 0. */
int bc_addr_is_unix(const char *host);
/* The PATH of a "unix:PATH" host (borrowed from host). */
const char *bc_addr_unix_path(const char *host);
/* 1 if host (borrowed) is acceptable to bc_options_set_host: 1..255
 * bytes; a unix path non-empty and short enough for sun_path. */
int bc_addr_valid_host(const char *host);
/* Parse one URL url[0..len) (borrowed) into host (the caller's buffer of
 * cap bytes, NUL-terminated: "unix:PATH" for unix sockets, the bare name
 * or address otherwise, IPv6 without brackets), *port and *tls (1 for
 * "tls://", else 0).  BC_OK or BC_ERR_INVALID (unknown scheme, bad port,
 * empty host or path). */
int bc_addr_parse_url(const char *url, size_t len, char *host, size_t cap,
		      int *port, int *tls);
/* "host:port", "[v6]:port" or "unix:PATH" into buf (the caller's, cap
 * bytes, truncated), for messages. */
void bc_addr_format(char *buf, size_t cap, const char *host, int port);

#endif
