/* bc_options.c - connection options: defaults, validated setters, copies. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bc_addr.h"
#include "bc_options.h"
#include "proto.h"

#define BC_MAX_TIMEOUT_MS 86400000
#define BC_MAX_COUNT 1000000

static const struct bc_options bc_defaults = {
	.servers = { { NULL, 7654, 0 } }, /* host "127.0.0.1", see copy */
	.nservers = 1,
	.name = NULL, /* "brokerclient" */
	.connect_timeout_ms = 5000,
	.timeout_ms = 5000,
	.close_timeout_ms = 2000,
	.max_outbuf = BC_DEFAULT_MAX_OUTBUF,
	.reconnect = 1,
	.max_reconnect = -1,
	.connect_retries = 0,
	.backoff_initial_ms = 100,
	.backoff_max_ms = 5000,
	.backoff_mult = 2.0,
	.jitter = 0.2,
	.offline_max_bytes = 8u * 1024u * 1024u,
	.offline_max_msgs = 65536,
	.breaker_threshold = 5,
	.breaker_cooldown_ms = 5000,
};

static int set_string(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return BC_ERR_NOMEM;
	free(*dst);
	*dst = s;
	return BC_OK;
}

bc_options *bc_options_new(void)
{
	bc_options *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	if (bc_options_copy(o, NULL) != BC_OK) {
		free(o);
		return NULL;
	}
	return o;
}

void bc_options_free(bc_options *o)
{
	if (!o)
		return;
	bc_options_clear(o);
	free(o);
}

/* strdup of an optional string: 0, or 1 when out of memory. */
static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst;
}

/* The TLS file names and the credentials (dst already a shallow copy). */
static int copy_secrets(struct bc_options *dst, const struct bc_options *s)
{
	int failed = 0;

	failed |= dup_opt(&dst->tls.ca_file, s->tls.ca_file);
	failed |= dup_opt(&dst->tls.cert_file, s->tls.cert_file);
	failed |= dup_opt(&dst->tls.key_file, s->tls.key_file);
	failed |= dup_opt(&dst->user, s->user);
	failed |= dup_opt(&dst->pass, s->pass);
	return failed;
}

static void free_pass(char **pass)
{
	if (*pass)
		explicit_bzero(*pass, strlen(*pass));
	free(*pass);
	*pass = NULL;
}

int bc_options_copy(struct bc_options *dst, const struct bc_options *src)
{
	const struct bc_options *s = src ? src : &bc_defaults;
	int failed = 0;

	*dst = *s;
	for (size_t i = 0; i < BC_MAX_SERVERS; i++)
		dst->servers[i].host = NULL;
	for (size_t i = 0; i < s->nservers; i++) {
		const char *h = s->servers[i].host;

		dst->servers[i].host = strdup(h ? h : "127.0.0.1");
		failed |= dst->servers[i].host == NULL;
	}
	dst->name = strdup(s->name ? s->name : "brokerclient");
	failed |= copy_secrets(dst, s);
	if (failed || !dst->name) {
		bc_options_clear(dst);
		return BC_ERR_NOMEM;
	}
	return BC_OK;
}

void bc_options_clear(struct bc_options *o)
{
	for (size_t i = 0; i < BC_MAX_SERVERS; i++) {
		free(o->servers[i].host);
		o->servers[i].host = NULL;
	}
	free(o->name);
	o->name = NULL;
	free(o->tls.ca_file);
	free(o->tls.cert_file);
	free(o->tls.key_file);
	o->tls.ca_file = o->tls.cert_file = o->tls.key_file = NULL;
	free(o->user);
	o->user = NULL;
	free_pass(&o->pass);
}

static int valid_host(const char *host)
{
	return bc_addr_valid_host(host);
}

int bc_options_set_host(bc_options *o, const char *host)
{
	if (!o || !valid_host(host))
		return BC_ERR_INVALID;
	return set_string(&o->servers[0].host, host);
}

int bc_options_set_port(bc_options *o, int port)
{
	if (!o || port < 1 || port > 65535)
		return BC_ERR_INVALID;
	o->servers[0].port = port;
	return BC_OK;
}

int bc_options_add_server(bc_options *o, const char *host, int port)
{
	struct bc_server *s;

	if (!o || !valid_host(host) || port < 1 || port > 65535 ||
	    o->nservers >= BC_MAX_SERVERS)
		return BC_ERR_INVALID;
	s = &o->servers[o->nservers];
	if (set_string(&s->host, host) != BC_OK)
		return BC_ERR_NOMEM;
	s->port = port;
	o->nservers++;
	return BC_OK;
}

/* Parse every comma-separated URL of url into tmp before touching o, so
 * a bad list changes nothing. */
static int parse_urls(const char *url, struct bc_server *tmp, size_t *n)
{
	char host[BC_ADDR_MAX_HOST + 1];

	*n = 0;
	for (const char *p = url;; p++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (*n >= BC_MAX_SERVERS ||
		    bc_addr_parse_url(p, len, host, sizeof host, &tmp[*n].port,
				      &tmp[*n].tls) != BC_OK)
			return BC_ERR_INVALID;
		if (!(tmp[*n].host = strdup(host)))
			return BC_ERR_NOMEM;
		++*n;
		if (!end)
			return BC_OK;
		p = end;
	}
}

int bc_options_set_url(bc_options *o, const char *url)
{
	struct bc_server tmp[BC_MAX_SERVERS] = { { NULL, 0, 0 } };
	size_t n = 0;
	int rc;

	if (!o || !url)
		return BC_ERR_INVALID;
	rc = parse_urls(url, tmp, &n);
	if (rc != BC_OK) {
		for (size_t i = 0; i < n; i++)
			free(tmp[i].host);
		return rc;
	}
	for (size_t i = 0; i < BC_MAX_SERVERS; i++) {
		free(o->servers[i].host);
		o->servers[i] = tmp[i];
	}
	o->nservers = n;
	return BC_OK;
}

int bc_options_set_name(bc_options *o, const char *name)
{
	if (!o || !name ||
	    proto_check_name(name, strlen(name), PROTO_E_BAD_NAME) != 0)
		return BC_ERR_INVALID;
	return set_string(&o->name, name);
}

static int set_ms(bc_options *o, int *field, int ms)
{
	if (!o || ms < 1 || ms > BC_MAX_TIMEOUT_MS)
		return BC_ERR_INVALID;
	*field = ms;
	return BC_OK;
}

int bc_options_set_connect_timeout(bc_options *o, int ms)
{
	return set_ms(o, o ? &o->connect_timeout_ms : NULL, ms);
}

int bc_options_set_timeout(bc_options *o, int ms)
{
	return set_ms(o, o ? &o->timeout_ms : NULL, ms);
}

int bc_options_set_close_timeout(bc_options *o, int ms)
{
	return set_ms(o, o ? &o->close_timeout_ms : NULL, ms);
}

int bc_options_set_max_outbuf(bc_options *o, size_t bytes)
{
	if (!o || bytes < BC_MIN_MAX_OUTBUF)
		return BC_ERR_INVALID;
	o->max_outbuf = bytes;
	return BC_OK;
}

int bc_options_set_error_cb(bc_options *o, bc_error_cb cb, void *arg)
{
	if (!o)
		return BC_ERR_INVALID;
	o->error_cb = cb;
	o->error_arg = arg;
	return BC_OK;
}

int bc_options_set_drain_cb(bc_options *o, bc_drain_cb cb, void *arg)
{
	if (!o)
		return BC_ERR_INVALID;
	o->drain_cb = cb;
	o->drain_arg = arg;
	return BC_OK;
}

int bc_options_set_notice_cb(bc_options *o, bc_notice_cb cb, void *arg)
{
	if (!o)
		return BC_ERR_INVALID;
	o->notice_cb = cb;
	o->notice_arg = arg;
	return BC_OK;
}

int bc_options_set_state_cb(bc_options *o, bc_state_cb cb, void *arg)
{
	if (!o)
		return BC_ERR_INVALID;
	o->state_cb = cb;
	o->state_arg = arg;
	return BC_OK;
}

int bc_options_set_breaker_cb(bc_options *o, bc_breaker_cb cb, void *arg)
{
	if (!o)
		return BC_ERR_INVALID;
	o->breaker_cb = cb;
	o->breaker_arg = arg;
	return BC_OK;
}

int bc_options_set_reconnect(bc_options *o, int on)
{
	if (!o || (on != 0 && on != 1))
		return BC_ERR_INVALID;
	o->reconnect = on;
	return BC_OK;
}

int bc_options_set_max_reconnect(bc_options *o, int attempts)
{
	if (!o || attempts < -1 || attempts > BC_MAX_COUNT)
		return BC_ERR_INVALID;
	o->max_reconnect = attempts;
	return BC_OK;
}

int bc_options_set_connect_retries(bc_options *o, int retries)
{
	if (!o || retries < -1 || retries > BC_MAX_COUNT)
		return BC_ERR_INVALID;
	o->connect_retries = retries;
	return BC_OK;
}

int bc_options_set_backoff(bc_options *o, int initial_ms, int max_ms,
			   double multiplier)
{
	if (!o || initial_ms < 1 || max_ms < initial_ms ||
	    max_ms > BC_MAX_TIMEOUT_MS ||
	    !(multiplier >= 1.0 && multiplier <= 100.0))
		return BC_ERR_INVALID;
	o->backoff_initial_ms = initial_ms;
	o->backoff_max_ms = max_ms;
	o->backoff_mult = multiplier;
	return BC_OK;
}

int bc_options_set_jitter(bc_options *o, double jitter)
{
	if (!o || !(jitter >= 0.0 && jitter <= 1.0))
		return BC_ERR_INVALID;
	o->jitter = jitter;
	return BC_OK;
}

int bc_options_set_offline_buffer(bc_options *o, size_t max_bytes,
				  size_t max_msgs)
{
	if (!o)
		return BC_ERR_INVALID;
	o->offline_max_bytes = max_bytes;
	o->offline_max_msgs = max_msgs;
	return BC_OK;
}

int bc_options_set_breaker(bc_options *o, int threshold, int cooldown_ms)
{
	if (!o || threshold < 0 || threshold > BC_MAX_COUNT ||
	    cooldown_ms < 1 || cooldown_ms > BC_MAX_TIMEOUT_MS)
		return BC_ERR_INVALID;
	o->breaker_threshold = threshold;
	o->breaker_cooldown_ms = cooldown_ms;
	return BC_OK;
}

/* A file name for set_tls: NULL, or 1..4095 bytes. */
static int valid_file(const char *f)
{
	return !f || (*f && strlen(f) < 4096);
}

/* Replace *dst with a copy of src (NULL: none). */
static int set_opt_string(char **dst, const char *src)
{
	if (!src) {
		free(*dst);
		*dst = NULL;
		return BC_OK;
	}
	return set_string(dst, src);
}

int bc_options_set_tls(bc_options *o, const char *ca_file,
		       const char *cert_file, const char *key_file,
		       unsigned flags)
{
	if (!o || !valid_file(ca_file) || !valid_file(cert_file) ||
	    !valid_file(key_file) || (!cert_file != !key_file) ||
	    (flags & ~(unsigned)BC_TLS_INSECURE))
		return BC_ERR_INVALID;
	if (set_opt_string(&o->tls.ca_file, ca_file) != BC_OK ||
	    set_opt_string(&o->tls.cert_file, cert_file) != BC_OK ||
	    set_opt_string(&o->tls.key_file, key_file) != BC_OK)
		return BC_ERR_NOMEM;
	o->tls.on = 1;
	o->tls.flags = flags;
	return BC_OK;
}

/* 1..max bytes, no control bytes (a user name also no spaces). */
static int valid_cred(const char *s, size_t max, int is_user)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || (is_user && ch == ' '))
			return 0;
	}
	return 1;
}

int bc_options_set_credentials(bc_options *o, const char *user,
			       const char *pass)
{
	char *u, *p;

	if (!o)
		return BC_ERR_INVALID;
	if (!user && !pass) {
		free(o->user);
		o->user = NULL;
		free_pass(&o->pass);
		return BC_OK;
	}
	if (!valid_cred(user, BC_MAX_USER, 1) || !pass ||
	    strlen(pass) > BC_MAX_PASS)
		return BC_ERR_INVALID;
	u = strdup(user);
	p = strdup(pass);
	if (!u || !p) {
		free(u);
		free_pass(&p);
		return BC_ERR_NOMEM;
	}
	free(o->user);
	free_pass(&o->pass);
	o->user = u;
	o->pass = p;
	return BC_OK;
}
