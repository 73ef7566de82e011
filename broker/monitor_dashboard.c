/* monitor_dashboard.c - see monitor_dashboard.h. */
#include "config.h"

#include "monitor_dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

/* SHA-256 in base64: 44 characters and a NUL. */
#define HASH_B64_LEN 45

/* Find the text between the first open tag and the close tag after it. */
static const char *element(const char *page, size_t n, const char *open,
			   const char *close, size_t *len)
{
	const char *end = page + n;
	size_t lo = strlen(open), lc = strlen(close);
	const char *s;

	for (s = page; s + lo <= end; s++) {
		if (memcmp(s, open, lo) == 0)
			break;
	}
	if (s + lo > end)
		return NULL;
	s += lo;
	for (const char *e = s; e + lc <= end; e++) {
		if (memcmp(e, close, lc) == 0) {
			*len = (size_t)(e - s);
			return s;
		}
	}
	return NULL;
}

/* The base64 SHA-256 of the element's text, as CSP wants it. */
static int element_hash(const char *open, const char *close,
			char out[HASH_B64_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t len = 0;
	const char *text = element((const char *)monitor_dashboard_html,
				   monitor_dashboard_html_len, open, close,
				   &len);

	if (!text || !EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	return 0;
}

char *monitor_dashboard_csp(void)
{
	char script[HASH_B64_LEN], style[HASH_B64_LEN];
	static const char fmt[] =
		"default-src 'none'; script-src 'sha256-%s'; "
		"style-src 'sha256-%s'; connect-src 'self'; img-src data:; "
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
	size_t n = sizeof fmt + 2 * HASH_B64_LEN;
	char *csp;

	if (element_hash("<script>", "</script>", script) != 0 ||
	    element_hash("<style>", "</style>", style) != 0)
		return NULL;
	csp = malloc(n);
	if (csp)
		snprintf(csp, n, fmt, script, style);
	return csp;
}

int monitor_dashboard(struct evhttp_request *req, const char *csp,
		      struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (evhttp_add_header(h, "Content-Security-Policy", csp) != 0 ||
	    evhttp_add_header(h, "X-Content-Type-Options", "nosniff") != 0 ||
	    evhttp_add_header(h, "Referrer-Policy", "no-referrer") != 0)
		return -1;
	return evbuffer_add_reference(body, monitor_dashboard_html,
				      monitor_dashboard_html_len, NULL, NULL);
}
