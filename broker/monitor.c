/* monitor.c - see monitor.h. */
#include "config.h"

#include "monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "broker.h"
#include "clock.h"
#include "monitor_dashboard.h"
#include "monitor_connz.h"
#include "monitor_guard.h"
#include "monitor_json.h"
#include "monitor_metrics.h"
#include "monitor_subsz.h"
#include "monitor_varz.h"

struct monitor {
	struct broker *b;	     /* borrowed */
	struct evhttp *http;	     /* owned */
	struct monitor_guard *guard; /* owned: connection cap, lifetime */
	char *csp;		     /* owned: the dashboard's policy */
	uint64_t start_ms;	     /* monotonic */
	int64_t start_unix;	     /* wall clock, for /varz */
};

static double uptime(const struct monitor *m)
{
	return (double)(clock_mono_ms() - m->start_ms) / 1000.0;
}

/* Draining (SIGTERM) or lame duck (SIGUSR2): both close the listeners
 * first, so an orchestrator sees 503 before the clients are told. */
static int serving(const struct broker *b)
{
	return !b->stopping && b->listeners != NULL;
}

/* evhttp 2.1 would send a HEAD answer's body: say its length, drop it. */
static void head_only(struct evkeyvalq *h, struct evbuffer *body)
{
	char len[24];

	snprintf(len, sizeof len, "%zu", evbuffer_get_length(body));
	evhttp_add_header(h, "Content-Length", len);
	evbuffer_drain(body, evbuffer_get_length(body));
}

static void reply(struct evhttp_request *req, int code, const char *why,
		  const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
		head_only(h, body);
	evhttp_send_reply(req, code, why, body);
}

static void healthz(struct monitor *m, struct evhttp_request *req,
		    struct evbuffer *body)
{
	int ok = serving(m->b);

	evbuffer_add_printf(body, "%s\n", ok ? "ok" : "draining");
	reply(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
	      "text/plain; charset=utf-8", body);
}

/* 400 with the one-line reason as the body. */
static void bad_request(struct evhttp_request *req, struct evbuffer *body,
			const char *why)
{
	evbuffer_drain(body, evbuffer_get_length(body));
	evbuffer_add_printf(body, "%s\n", why);
	reply(req, 400, "Bad Request", "text/plain; charset=utf-8", body);
}

/* A JSON body made by a renderer that returned rc (0 or -1). */
static void json_reply(struct evhttp_request *req, int rc,
		       struct evbuffer *body)
{
	if (rc != 0)
		evhttp_send_error(req, 500, "out of memory");
	else
		reply(req, 200, "OK", "application/json", body);
}

static const char *query_of(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);

	return u ? evhttp_uri_get_query(u) : NULL;
}

static void connz(struct monitor *m, struct evhttp_request *req,
		  struct evbuffer *body)
{
	struct monitor_page p;
	const char *why = "bad query";
	int rc;

	if (monitor_page_parse(query_of(req), &p, &why) != 0) {
		bad_request(req, body, why);
		return;
	}
	rc = monitor_connz(m->b, &p, body);
	if (rc > 0)
		bad_request(req, body, MONITOR_CONNZ_SORTS);
	else
		json_reply(req, rc, body);
}

static void subsz(struct monitor *m, struct evhttp_request *req,
		  struct evbuffer *body)
{
	struct monitor_page p;
	const char *why = "bad query";

	if (monitor_page_parse(query_of(req), &p, &why) != 0)
		bad_request(req, body, why);
	else
		json_reply(req, monitor_subsz(m->b, &p, body), body);
}

/* The path of the request without its query. */
static int path_is(const char *uri, const char *path)
{
	size_t n = strlen(path);

	return strncmp(uri, path, n) == 0 && (uri[n] == 0 || uri[n] == '?');
}

static void route(struct monitor *m, struct evhttp_request *req,
		  struct evbuffer *body)
{
	const char *uri = evhttp_request_get_uri(req);

	if (path_is(uri, "/")) {
		if (monitor_dashboard(req, m->csp, body) != 0)
			evhttp_send_error(req, 500, "out of memory");
		else
			reply(req, 200, "OK", MONITOR_DASHBOARD_CTYPE, body);
	} else if (path_is(uri, "/healthz")) {
		healthz(m, req, body);
	} else if (path_is(uri, "/metrics")) {
		if (monitor_metrics(m->b, uptime(m), body) != 0)
			evhttp_send_error(req, 500, "out of memory");
		else
			reply(req, 200, "OK", MONITOR_METRICS_CTYPE, body);
	} else if (path_is(uri, "/varz")) {
		if (monitor_varz(m->b, uptime(m), m->start_unix, body) != 0)
			evhttp_send_error(req, 500, "out of memory");
		else
			reply(req, 200, "OK", "application/json", body);
	} else if (path_is(uri, "/connz")) {
		connz(m, req, body);
	} else if (path_is(uri, "/subsz")) {
		subsz(m, req, body);
	} else {
		evhttp_send_error(
			req, 404,
			"try /, /healthz, /metrics, /varz, /connz, /subsz");
	}
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	route(arg, req, body);
	evbuffer_free(body);
}

struct monitor *monitor_new(struct broker *b)
{
	const struct conf_listen *l = &b->conf.monitor;
	const char *host = l->host[0] ? l->host : "0.0.0.0";
	struct monitor *m = calloc(1, sizeof *m);
	struct evhttp_bound_socket *bound;

	if (!m || !(m->csp = monitor_dashboard_csp()) ||
	    !(m->http = evhttp_new(b->base))) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "monitor: out of memory");
		if (m)
			free(m->csp);
		free(m);
		return NULL;
	}
	m->b = b;
	m->start_ms = clock_mono_ms();
	m->start_unix = (int64_t)time(NULL);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, MONITOR_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, MONITOR_MAX_BODY);
	evhttp_set_timeout(m->http, MONITOR_TIMEOUT_S);
	evhttp_set_gencb(m->http, request_cb, m);
	bound = evhttp_bind_socket_with_handle(m->http, host, l->port);
	if (!bound) {
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"monitor: cannot listen on "
			"%s:%u",
			host, (unsigned)l->port);
		monitor_free(m);
		return NULL;
	}
	if (!(m->guard = monitor_guard_new(b->base, m->http, bound))) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "monitor: out of memory");
		monitor_free(m);
		return NULL;
	}
	log_msg(&b->log, LOG_LEVEL_NOTICE, "monitor listening on http://%s:%u",
		host, (unsigned)l->port);
	return m;
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	evhttp_free(m->http);
	monitor_guard_free(m->guard); /* after: evhttp let go of them */
	free(m->csp);
	free(m);
}
