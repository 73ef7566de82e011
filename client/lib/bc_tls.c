/*
 * bc_tls.c - TLS to the broker: see bc_tls.h.  Only this file includes
 * OpenSSL; bc_conn.c sees a bufferevent like any other.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "bc_addr.h"
#include "bc_tls.h"

/* Most SSL_write calls bc_tls_write_now makes (each one TLS record). */
#define BC_TLS_WRITE_NOW_MAX 64

int bc_tls_wanted(const struct bc_options *o, const struct bc_server *srv)
{
	return o->tls.on || srv->tls;
}

int bc_tls_any(const struct bc_options *o)
{
	for (size_t i = 0; i < o->nservers; i++)
		if (bc_tls_wanted(o, &o->servers[i]))
			return 1;
	return 0;
}

/* "what FILE: reason" into reason[0..cap): the system's when the file
 * cannot be read, else OpenSSL's. */
static int load_failed(char *reason, size_t cap, const char *what,
		       const char *file)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (*file && access(file, R_OK) != 0)
		r = strerror(errno);

	snprintf(reason, cap, "cannot load %s %s: %s", what, file,
		 r ? r : "unreadable");
	ERR_clear_error();
	return BC_ERR_TLS;
}

/* The CA store and the client certificate. */
static int load_files(SSL_CTX *ctx, const struct bc_tls_opts *t, char *reason,
		      size_t cap)
{
	if (t->ca_file && !SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL))
		return load_failed(reason, cap, "CA file", t->ca_file);
	if (!t->ca_file && !SSL_CTX_set_default_verify_paths(ctx))
		return load_failed(reason, cap, "the system CA store", "");
	if (!t->cert_file)
		return BC_OK;
	if (!SSL_CTX_use_certificate_chain_file(ctx, t->cert_file))
		return load_failed(reason, cap, "certificate", t->cert_file);
	if (!SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM))
		return load_failed(reason, cap, "key", t->key_file);
	if (!SSL_CTX_check_private_key(ctx))
		return load_failed(reason, cap, "key (not the certificate's)",
				   t->key_file);
	return BC_OK;
}

int bc_tls_ctx_new(struct ssl_ctx_st **out, const struct bc_options *o,
		   char *reason, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int rc;

	*out = NULL;
	if (!ctx) {
		snprintf(reason, cap, "out of memory");
		return BC_ERR_NOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx,
			   o->tls.flags & BC_TLS_INSECURE ? SSL_VERIFY_NONE
							  : SSL_VERIFY_PEER,
			   NULL);
	rc = load_files(ctx, &o->tls, reason, cap);
	if (rc != BC_OK) {
		SSL_CTX_free(ctx);
		return rc;
	}
	*out = ctx;
	return BC_OK;
}

void bc_tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

/* The name to check (and send as SNI): 1 done, 0 failed. */
static int set_peer_name(SSL *ssl, const char *host)
{
	unsigned char ip[sizeof(struct in6_addr)];

	if (bc_addr_is_unix(host))
		return 1;
	if (inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
						     host) == 1;
	return SSL_set1_host(ssl, host) == 1 &&
	       SSL_set_tlsext_host_name(ssl, host) == 1;
}

struct bufferevent *bc_tls_bev_new(struct event_base *base,
				   struct ssl_ctx_st *ctx, int fd,
				   const char *host, const struct bc_options *o,
				   char *reason, size_t cap)
{
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *bev = NULL;

	if (ssl &&
	    ((o->tls.flags & BC_TLS_INSECURE) || set_peer_name(ssl, host)))
		bev = bufferevent_openssl_socket_new(base, fd, ssl,
						     BUFFEREVENT_SSL_CONNECTING,
						     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		ERR_clear_error();
		snprintf(reason, cap, "TLS: cannot set up the session");
		return NULL;
	}
	/* A broker that closes without close_notify ends the stream (EOF),
	 * as with plain TCP: frames are length-prefixed, so a truncation
	 * cannot pass for a complete frame. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int bc_tls_reason(struct bufferevent *bev, char *buf, size_t cap)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bufferevent_get_openssl_error(bev);
	long vr;
	const char *r;

	if (!ssl)
		return 0;
	while (bufferevent_get_openssl_error(bev) != 0)
		; /* drain the list: the first is the cause */
	vr = SSL_get_verify_result(ssl);
	if (SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE && vr != X509_V_OK) {
		snprintf(buf, cap, "TLS: certificate verify failed: %s",
			 X509_verify_cert_error_string(vr));
		return 1;
	}
	if (!e)
		return 0;
	r = ERR_reason_error_string(e);
	snprintf(buf, cap, "TLS: %s", r ? r : "handshake failed");
	return 1;
}

void bc_tls_write_now(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	struct evbuffer *out = bufferevent_get_output(bev);

	for (int i = 0; ssl && i < BC_TLS_WRITE_NOW_MAX; i++) {
		struct evbuffer_iovec v;
		int n;

		if (evbuffer_peek(out, -1, NULL, &v, 1) < 1)
			return;
		n = SSL_write(ssl, v.iov_base,
			      v.iov_len > INT_MAX ? INT_MAX : (int)v.iov_len);
		if (n <= 0) {
			ERR_clear_error();
			return;
		}
		evbuffer_drain(out, (size_t)n);
	}
}
