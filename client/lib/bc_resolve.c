/*
 * bc_resolve.c - host names to socket addresses, without stalling the
 * caller's loop in base mode.
 *
 * The evdns resolver is made on first use and shared, by reference count,
 * between the client and its lookups: a cancelled lookup's callback may
 * still be due (libevent defers it), and it must find its resolver alive.
 * Without such a lookup, closing frees the resolver at once.
 */
#include "config.h"

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "bc_addr.h"
#include "bc_resolve.h"

/* The evdns resolver and who still needs it. */
struct bc_dns {
	struct evdns_base *dns;	 /* owned */
	struct event_base *base; /* borrowed */
	int refs;
};

struct bc_lookup {
	struct bc_resolver *res;	       /* NULL once cancelled */
	struct bc_dns *dns;		       /* one reference */
	struct evdns_getaddrinfo_request *req; /* libevent's */
	bc_resolved_cb done;
	void *arg;
};

static void dns_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bc_dns *d = arg;

	(void)fd;
	(void)what;
	evdns_base_free(d->dns, 0);
	free(d);
}

/* Drop a reference.  The last one frees the resolver at once, except
 * from inside an evdns callback (whose caller still uses the resolver):
 * then from the loop. */
static void dns_unref(struct bc_dns *d, int in_callback)
{
	static const struct timeval now = { 0, 0 };

	if (!d || --d->refs > 0)
		return;
	if (!in_callback ||
	    event_base_once(d->base, -1, EV_TIMEOUT, dns_free_cb, d, &now))
		dns_free_cb(-1, 0, d);
}

/* A resolver for base: the system's name servers and /etc/hosts; with no
 * usable resolv.conf, /etc/hosts alone (numeric addresses need
 * nothing). */
static struct bc_dns *dns_new(struct event_base *base)
{
	struct bc_dns *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->base = base;
	d->refs = 1;
	d->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
					      EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!d->dns) {
		d->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (d->dns)
			evdns_base_load_hosts(d->dns, NULL);
	}
	if (!d->dns) {
		free(d);
		return NULL;
	}
	return d;
}

static void set_err(struct bc_resolver *res, const char *text)
{
	snprintf(res->err, sizeof res->err, "%s", text);
	res->err[0] = (char)tolower((unsigned char)res->err[0]);
}

/* Copy the addresses of an addrinfo list (borrowed).  0 or -1 (memory). */
static int take_list(struct bc_resolver *res, const struct evutil_addrinfo *ai)
{
	size_t n = 0;

	for (const struct evutil_addrinfo *p = ai; p; p = p->ai_next)
		n++;
	res->addrs = calloc(n ? n : 1, sizeof *res->addrs);
	if (!res->addrs)
		return -1;
	for (; ai; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof res->addrs[0].ss)
			continue;
		memcpy(&res->addrs[res->n].ss, ai->ai_addr, ai->ai_addrlen);
		res->addrs[res->n++].len = (socklen_t)ai->ai_addrlen;
	}
	if (res->n == 0)
		set_err(res, "no usable address");
	return 0;
}

static int take_unix(struct bc_resolver *res, const char *host)
{
	struct sockaddr_un *un;
	const char *path = bc_addr_unix_path(host);

	res->addrs = calloc(1, sizeof *res->addrs);
	if (!res->addrs)
		return -1;
	un = (struct sockaddr_un *)&res->addrs[0].ss;
	un->sun_family = AF_UNIX;
	snprintf(un->sun_path, sizeof un->sun_path, "%s", path); /* checked */
	res->addrs[0].len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					strlen(un->sun_path) + 1);
	res->n = 1;
	return 0;
}

/* getaddrinfo with flags; 0 (addresses or res->err set), -1 (memory) or
 * 1 (numeric_only and host is a name). */
static int resolve_system(struct bc_resolver *res, const char *host,
			  const char *port, int numeric_only)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *list;
	int rc;

	if (numeric_only)
		hints.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &list);
	if (rc == EAI_NONAME && numeric_only)
		return 1;
	if (rc != 0) {
		set_err(res, gai_strerror(rc));
		return 0;
	}
	rc = take_list(res, list);
	freeaddrinfo(list);
	return rc;
}

static void lookup_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct bc_lookup *l = arg;
	struct bc_resolver *res = l->res;
	int failed = 0;

	if (res) {
		res->lookup = NULL;
		if (result != 0)
			set_err(res, evutil_gai_strerror(result));
		else if (take_list(res, ai) != 0)
			failed = 1;
	}
	if (ai)
		evutil_freeaddrinfo(ai);
	if (failed)
		set_err(res, "out of memory");
	if (res)
		l->done(l->arg);
	dns_unref(l->dns, 1);
	free(l);
}

static int resolve_async(struct bc_resolver *res, struct event_base *base,
			 const char *host, const char *port,
			 bc_resolved_cb done, void *arg)
{
	struct evutil_addrinfo hints = { .ai_socktype = SOCK_STREAM,
					 .ai_flags = EVUTIL_AI_ADDRCONFIG };
	struct evdns_getaddrinfo_request *req;
	struct bc_lookup *l;

	if (!res->dns && !(res->dns = dns_new(base)))
		return -1;
	if (!(l = calloc(1, sizeof *l)))
		return -1;
	l->res = res;
	l->dns = res->dns;
	l->dns->refs++;
	l->done = done;
	l->arg = arg;
	res->lookup = l;
	req = evdns_getaddrinfo(l->dns->dns, host, port, &hints, lookup_cb, l);
	if (res->lookup) /* not answered from inside the call */
		l->req = req;
	return 0;
}

int bc_resolve_start(struct bc_resolver *res, struct event_base *base,
		     const char *host, int port, bc_resolved_cb done, void *arg)
{
	char port_text[16];
	int rc;

	bc_resolve_reset(res);
	snprintf(port_text, sizeof port_text, "%d", port);
	if (bc_addr_is_unix(host))
		rc = take_unix(res, host);
	else /* a numeric address never blocks: no resolver for it */
		rc = resolve_system(res, host, port_text, base != NULL);
	if (rc == 1)
		return resolve_async(res, base, host, port_text, done, arg);
	if (rc == 0)
		done(arg);
	return rc;
}

void bc_resolve_reset(struct bc_resolver *res)
{
	if (res->lookup) {
		struct bc_lookup *l = res->lookup;

		res->lookup = NULL;
		l->res = NULL; /* its callback now only frees it */
		evdns_getaddrinfo_cancel(l->req);
	}
	free(res->addrs);
	res->addrs = NULL;
	res->n = res->next = 0;
	res->err[0] = 0;
}

void bc_resolve_free(struct bc_resolver *res)
{
	bc_resolve_reset(res);
	dns_unref(res->dns, 0);
	res->dns = NULL;
}
