/*
 * bc_resolve.h - turning one broker address (host and port, or
 * "unix:PATH") into the socket addresses to try.  Blocking mode asks the
 * system's getaddrinfo; base mode must not stall the caller's loop and
 * asks libevent's evdns instead (numeric addresses and /etc/hosts are
 * answered without any DNS server).
 */
#ifndef BC_RESOLVE_H
#define BC_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct bc_dns;
struct bc_lookup;

struct bc_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Called once a lookup is over, from the event loop or from inside
 * bc_resolve_start: res->n addresses (0: res->err says why). */
typedef void (*bc_resolved_cb)(void *arg);

struct bc_resolver {
	struct bc_sockaddr *addrs; /* owned, n of them */
	size_t n;
	size_t next;		  /* the next one to try */
	struct bc_dns *dns;	  /* one reference; base mode, first use */
	struct bc_lookup *lookup; /* owned while an evdns lookup runs */
	char err[128];		  /* why there are no addresses */
};

/* Resolve host (borrowed for the call) and port into res, dropping what
 * res held.  base NULL: blocking (getaddrinfo), done before returning.
 * Otherwise on base (borrowed; it must outlive res): done(arg) is called
 * later, or from inside this call when the answer is known at once.
 * Unix hosts and numeric addresses never touch a resolver (done is called
 * from inside this call in both modes).  0, or -1 when out of memory. */
int bc_resolve_start(struct bc_resolver *res, struct event_base *base,
		     const char *host, int port, bc_resolved_cb done,
		     void *arg);
/* Forget the addresses and cancel a running lookup (done is not called
 * for it); the resolver itself stays for the next address. */
void bc_resolve_reset(struct bc_resolver *res);
/* bc_resolve_reset, then free the evdns resolver, at once unless a
 * cancelled lookup's last callback is still due on the event_base: the
 * resolver is then freed from the loop, right after that callback. */
void bc_resolve_free(struct bc_resolver *res);

#endif
