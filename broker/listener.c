/* listener.c - see listener.h. */
#include "config.h"

#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "clock.h"
#include "proto.h"

struct listener {
	struct evconnlistener *evl;    /* owned */
	struct listeners *set;	       /* back pointer */
	char name[CONF_MAX_BIND + 16]; /* as configured, for the log */
	char pool[CONF_MAX_POOL_NAME];
	int tls; /* its listen line said "tls" */
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct listeners {
	struct listener item[CONF_MAX_LISTEN];
	unsigned n;
	struct event_base *base; /* borrowed */
	struct log *log;	 /* borrowed */
	listener_accept_fn cb;
	void *arg;
	struct event *resume; /* owned: ends an EMFILE back-off */
	int spare_fd;	      /* /dev/null, given up on EMFILE */
	int paused;
	uint64_t refused; /* connections refused while paused */
};

static void accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
		      struct sockaddr *sa, int socklen, void *arg)
{
	struct listener *l = arg;

	(void)evl;
	l->set->cb(l->set->arg, fd, sa, socklen, l->pool, l->tls);
}

/* Accept one waiting connection on the spare descriptor, tell it we are
 * busy, close it: the client learns why instead of hanging. */
static void refuse_one(struct listeners *ls, evutil_socket_t lfd)
{
	static const char why[] = "server out of file descriptors";
	uint8_t buf[96];
	size_t n;
	int fd;

	if (ls->spare_fd >= 0)
		close(ls->spare_fd);
	ls->spare_fd = -1;
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		n = proto_enc_err(buf, sizeof buf, 0, PROTO_E_SERVER_BUSY,
				  proto_cstr(why));
		if (n > 0) /* best effort: the socket buffer is empty */
			(void)send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		ls->refused++;
	}
	ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void set_enabled(struct listeners *ls, int on)
{
	for (unsigned i = 0; i < ls->n; i++) {
		if (on)
			evconnlistener_enable(ls->item[i].evl);
		else
			evconnlistener_disable(ls->item[i].evl);
	}
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listeners *ls = arg;

	(void)fd;
	(void)what;
	ls->paused = 0;
	set_enabled(ls, 1);
}

static void error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	struct listeners *ls = l->set;
	struct timeval tv = clock_ms_tv(LISTENER_BACKOFF_MS);
	int err = EVUTIL_SOCKET_ERROR();

	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_msg(ls->log, LOG_LEVEL_WARNING, "accept on %s: %s", l->name,
			evutil_socket_error_to_string(err));
		return;
	}
	if (!ls->paused)
		log_msg(ls->log, LOG_LEVEL_WARNING,
			"accept on %s: %s; pausing "
			"accepts for %d ms (%llu connections refused so far)",
			l->name, evutil_socket_error_to_string(err),
			LISTENER_BACKOFF_MS, (unsigned long long)ls->refused);
	refuse_one(ls, evconnlistener_get_fd(evl));
	ls->paused = 1;
	set_enabled(ls, 0);
	event_add(ls->resume, &tv);
}

void listeners_yield(struct listeners *ls)
{
	struct timeval next_turn = { 0, 0 };

	if (!ls || ls->paused)
		return;
	ls->paused = 1;
	set_enabled(ls, 0);
	event_add(ls->resume, &next_turn);
}

/* A Unix socket file left by a dead process is removed; one a live
 * process answers on is not.  0, or -1 (logged). */
static int clear_stale_socket(struct listeners *ls, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_msg(ls->log, LOG_LEVEL_ERROR,
			"unix:%s exists and is not a "
			"socket",
			path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		log_msg(ls->log, LOG_LEVEL_ERROR,
			"unix:%s is in use by another "
			"process",
			path);
		return -1;
	}
	unlink(path);
	return 0;
}

static struct evconnlistener *bind_one(struct listeners *ls, struct listener *l,
				       const struct sockaddr *sa, int len)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;

	if (sa->sa_family != AF_UNIX)
		flags |= LEV_OPT_REUSEABLE;
	return evconnlistener_new_bind(ls->base, accept_cb, l, flags, -1, sa,
				       len);
}

static int open_unix(struct listeners *ls, struct listener *l, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (clear_stale_socket(ls, path) != 0)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	l->evl = bind_one(ls, l, (struct sockaddr *)&sa, sizeof sa);
	if (!l->evl) {
		log_msg(ls->log, LOG_LEVEL_ERROR, "cannot listen on %s: %s",
			l->name, strerror(errno));
		return -1;
	}
	snprintf(l->unix_path, sizeof l->unix_path, "%s", path);
	return 0;
}

/* Listen on the first address host:port resolves to (host "" = any). */
static int open_tcp(struct listeners *ls, struct listener *l, const char *host,
		    unsigned port)
{
	struct addrinfo hints, *res = NULL, *ai;
	char serv[8];
	int rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%u", port);
	rc = getaddrinfo(host[0] ? host : NULL, serv, &hints, &res);
	if (rc != 0) {
		log_msg(ls->log, LOG_LEVEL_ERROR, "listen %s: %s", l->name,
			gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && !l->evl; ai = ai->ai_next) {
		l->evl = bind_one(ls, l, ai->ai_addr, (int)ai->ai_addrlen);
		if (!l->evl)
			err = errno;
	}
	freeaddrinfo(res);
	if (!l->evl) {
		log_msg(ls->log, LOG_LEVEL_ERROR, "cannot listen on %s: %s",
			l->name, strerror(err));
		return -1;
	}
	return 0;
}

static int open_one(struct listeners *ls, const struct conf_listen *cl)
{
	struct listener *l = &ls->item[ls->n];
	int rc;

	l->set = ls;
	conf_listen_format(cl, l->name, sizeof l->name);
	snprintf(l->pool, sizeof l->pool, "%s", cl->pool);
	l->tls = cl->tls;
	rc = cl->is_unix ? open_unix(ls, l, cl->host)
			 : open_tcp(ls, l, cl->host, cl->port);
	if (rc != 0)
		return -1;
	evconnlistener_set_error_cb(l->evl, error_cb);
	ls->n++;
	log_msg(ls->log, LOG_LEVEL_NOTICE, "listening on %s (pool %s%s)",
		l->name, l->pool, l->tls ? ", tls" : "");
	return 0;
}

/* The simple form: bind:port, pool "default". */
static void simple_listen(const struct conf *c, struct conf_listen *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->host, sizeof out->host, "%s", c->bind);
	out->port = c->port;
	snprintf(out->pool, sizeof out->pool, "default");
}

struct listeners *listeners_open(struct event_base *base, const struct conf *c,
				 struct log *lg, listener_accept_fn cb,
				 void *arg)
{
	struct listeners *ls = calloc(1, sizeof *ls);
	struct conf_listen simple;
	unsigned n = c->nlisten;

	if (!ls)
		return NULL;
	ls->base = base;
	ls->log = lg;
	ls->cb = cb;
	ls->arg = arg;
	ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ls->resume = evtimer_new(base, resume_cb, ls);
	if (!ls->resume) {
		log_msg(lg, LOG_LEVEL_ERROR, "out of memory");
		listeners_close(ls);
		return NULL;
	}
	simple_listen(c, &simple);
	for (unsigned i = 0; i < (n ? n : 1); i++) {
		if (open_one(ls, n ? &c->listen[i] : &simple) != 0) {
			listeners_close(ls);
			return NULL;
		}
	}
	return ls;
}

void listeners_close(struct listeners *ls)
{
	if (!ls)
		return;
	for (unsigned i = 0; i < ls->n; i++) {
		evconnlistener_free(ls->item[i].evl);
		if (ls->item[i].unix_path[0])
			unlink(ls->item[i].unix_path);
	}
	if (ls->resume)
		event_free(ls->resume);
	if (ls->spare_fd >= 0)
		close(ls->spare_fd);
	free(ls);
}
