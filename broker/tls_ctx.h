/*
 * tls_ctx.h - the broker's TLS settings made into an OpenSSL SSL_CTX: the
 * certificate chain and key (tls_cert_file, tls_key_file), the CA used to
 * verify clients (tls_ca_file) and whether clients must show a certificate
 * (tls_client_cert).  TLS 1.2 is the lowest version offered.
 *
 * A context is made at start-up and again on every reload; connections
 * hold a reference of their own (SSL_new), so the old context is freed as
 * soon as it is replaced and lives on only in the connections made with it.
 */
#ifndef BROKERD_TLS_CTX_H
#define BROKERD_TLS_CTX_H

#include <stddef.h>

#include "conf.h"

struct ssl_ctx_st;

/* A server context from c's tls_* settings.  Returns it (owned by the
 * caller: tls_ctx_free), or NULL with the reason (which file, what OpenSSL
 * said) written to err[0..cap). */
struct ssl_ctx_st *tls_ctx_new(const struct conf *c, char *err, size_t cap);

/* Drop the caller's reference (NULL is a no-op). */
void tls_ctx_free(struct ssl_ctx_st *ctx);

/* 1 when one of c's listen lines is a TLS one. */
int tls_ctx_wanted(const struct conf *c);

#endif
