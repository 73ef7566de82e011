/*
 * monitor_dashboard.h - the monitor's "/" page: broker/dashboard.html, a
 * self-contained HTML page (inline CSS and JS, an SVG chart) that polls
 * /varz and /connz.  The file is turned into the array below at build
 * time (broker/include.am writes dashboard_html.c with od and sed), so
 * the page is edited as HTML, never as an escaped C string.
 *
 * It is served with a strict Content-Security-Policy: nothing may load
 * but the page itself, fetch() goes to this origin only, and the one
 * inline <script> and <style> run because their SHA-256 hashes, computed
 * once from the page at start, are listed (no 'unsafe-inline').
 *
 * Ownership: the array is static, read-only data.  monitor_dashboard_csp
 * returns a string the caller owns (free()).  monitor_dashboard borrows
 * everything it is given.
 */
#ifndef BROKERD_MONITOR_DASHBOARD_H
#define BROKERD_MONITOR_DASHBOARD_H

#include <stddef.h>

struct evbuffer;
struct evhttp_request;

#define MONITOR_DASHBOARD_CTYPE "text/html; charset=utf-8"

/* The page's bytes (not NUL-terminated), generated from dashboard.html. */
extern const unsigned char monitor_dashboard_html[];
extern const size_t monitor_dashboard_html_len;

/* The Content-Security-Policy header value for the page, with the hashes
 * of its inline <script> and <style>.  Returns a malloc'd string (the
 * caller frees it), or NULL when out of memory or when the page lacks
 * either element. */
char *monitor_dashboard_csp(void);

/* Add the page to body (borrowed; no copy: it references the array) and
 * its security headers, csp (borrowed) among them, to req's output
 * headers.  The caller sends the reply.  0, or -1 when out of memory. */
int monitor_dashboard(struct evhttp_request *req, const char *csp,
		      struct evbuffer *body);

#endif
