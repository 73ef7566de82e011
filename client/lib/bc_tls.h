/*
 * bc_tls.h - TLS to the broker (OpenSSL under libevent's
 * bufferevent_openssl): the client's SSL_CTX, made once from the options
 * when the client starts, a fresh SSL in a TLS bufferevent for each
 * connection, and the reason text of a failed handshake.
 *
 * Verification is on unless BC_TLS_INSECURE: the chain against the CA
 * file (or the system store) and the name the client connected to (a DNS
 * name with SSL_set1_host, also sent as SNI; an IP address with
 * X509_VERIFY_PARAM_set1_ip_asc).  TLS 1.2 is the minimum.
 */
#ifndef BC_TLS_H
#define BC_TLS_H

#include <stddef.h>

#include "bc_options.h"

struct bufferevent;
struct event_base;
struct ssl_ctx_st;

/* 1 if connections to srv (borrowed, one of o's servers) use TLS. */
int bc_tls_wanted(const struct bc_options *o, const struct bc_server *srv);
/* 1 if any of o's servers uses TLS. */
int bc_tls_any(const struct bc_options *o);

/* Make *out from o's TLS settings (borrowed; files are read now).  The
 * caller owns *out (bc_tls_ctx_free).  BC_OK, or BC_ERR_TLS / NOMEM with
 * the reason ("cannot load CA file F: ...") in reason[0..cap). */
int bc_tls_ctx_new(struct ssl_ctx_st **out, const struct bc_options *o,
		   char *reason, size_t cap);
/* Free a context from bc_tls_ctx_new (NULL is fine); sessions made from
 * it hold their own reference. */
void bc_tls_ctx_free(struct ssl_ctx_st *ctx);

/* A TLS bufferevent (client side, handshake starting) over the connected
 * socket fd, checking host (borrowed; "unix:..." gets the chain check
 * only) unless o says insecure.  On success the bufferevent owns fd and
 * its SSL (free it with bufferevent_free); NULL with the reason in
 * reason[0..cap) otherwise, fd then still the caller's. */
struct bufferevent *bc_tls_bev_new(struct event_base *base,
				   struct ssl_ctx_st *ctx, int fd,
				   const char *host, const struct bc_options *o,
				   char *reason, size_t cap);

/* Why TLS bufferevent bev (borrowed) failed, as "TLS: certificate verify
 * failed: hostname mismatch", "TLS: tlsv13 alert certificate required",
 * into buf[0..cap).  Returns 1 if TLS named a cause, 0 if it did not
 * (buf untouched: a plain socket error then). */
int bc_tls_reason(struct bufferevent *bev, char *buf, size_t cap);

/* Best effort: write what bev's output holds through its SSL now,
 * without the loop (a closing client in base mode). */
void bc_tls_write_now(struct bufferevent *bev);

#endif
