/* tls_ctx.c - see tls_ctx.h. */
#include "config.h"

#include "tls_ctx.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* "what: OpenSSL's reason" into err, emptying OpenSSL's error queue. */
static void fail(char *err, size_t cap, const char *what, const char *file)
{
	unsigned long e = ERR_peek_last_error();
	char why[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, why, sizeof why);
	ERR_clear_error();
	snprintf(err, cap, "%s %s: %s", what, file, why);
}

static int load_files(SSL_CTX *ctx, const struct conf *c, char *err, size_t cap)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert_file) != 1) {
		fail(err, cap, "tls_cert_file", c->tls_cert_file);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key_file,
					SSL_FILETYPE_PEM) != 1) {
		fail(err, cap, "tls_key_file", c->tls_key_file);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		fail(err, cap, "tls_key_file does not match", c->tls_cert_file);
		return -1;
	}
	if (c->tls_ca_file[0] &&
	    SSL_CTX_load_verify_locations(ctx, c->tls_ca_file, NULL) != 1) {
		fail(err, cap, "tls_ca_file", c->tls_ca_file);
		return -1;
	}
	return 0;
}

static void set_verify(SSL_CTX *ctx, const struct conf *c)
{
	int mode = SSL_VERIFY_NONE;

	if (c->tls_client_cert == CONF_TLS_CLIENT_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (c->tls_client_cert == CONF_TLS_CLIENT_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
}

struct ssl_ctx_st *tls_ctx_new(const struct conf *c, char *err, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		fail(err, cap, "TLS", "context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* transport_tls.c writes from an evbuffer that may move between
	 * retries, and takes what a write managed */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	/* a client closing without close_notify is an end of stream: the
	 * framing already tells a truncated frame */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (load_files(ctx, c, err, cap) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	set_verify(ctx, c);
	return ctx;
}

void tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

int tls_ctx_wanted(const struct conf *c)
{
	for (unsigned i = 0; i < c->nlisten; i++)
		if (c->listen[i].tls)
			return 1;
	return 0;
}
