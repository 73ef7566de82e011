/* transport_tls.c - see transport.h: TLS over a non-blocking socket with
 * OpenSSL.  The plaintext lives in the common part's evbuffers, so the
 * buffer calls and the flush pass are transport.c's; only the I/O differs.
 *
 * OpenSSL may need the opposite direction to go on (a read that must write
 * during renegotiation or key update, a write that must read), so which
 * events are wanted is worked out in one place (update_events) from what
 * the last call of each kind asked for.
 *
 * A failed handshake is not closed at once: see linger_start. */
#include "config.h"

#include "transport_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "clock.h"

/* Largest plaintext one SSL_write is given: one TLS record. */
#define TLS_CHUNK 16384u

/* After a failed handshake: how long, and how many bytes of input, the
 * transport reads and discards before it reports the end (linger_start). */
#define TLS_LINGER_MS 1000u
#define TLS_LINGER_BYTES (64u * 1024u)

struct tls {
	struct transport base; /* first: a struct transport * is a tls */
	evutil_socket_t fd;    /* owned */
	SSL *ssl;	       /* owned */
	struct event *rd_ev;   /* owned: persistent read event */
	struct event *wr_ev;   /* owned, made when first needed */
	size_t wr_len;	       /* an SSL_write to repeat (0: none) */
	uint8_t hs_done;       /* the handshake succeeded */
	uint8_t hs_wants_w;    /* the handshake waits to write */
	uint8_t rd_wants_w;    /* SSL_read waits to write */
	uint8_t wr_wants_r;    /* SSL_write waits to read */
	uint8_t wr_blocked;    /* SSL_write waits to write */
	uint8_t rd_on, wr_on;  /* the events are added */
	uint8_t dead;	       /* ended was reported: no more I/O */
	uint8_t lingering;     /* the handshake failed: draining input */
	uint32_t linger_left;  /* bytes it may still discard */
	uint64_t linger_until; /* clock_mono_ms() when it stops */
};

static void on_readable(evutil_socket_t fd, short what, void *arg);
static void on_writable(evutil_socket_t fd, short what, void *arg);

/* Add or remove ev (made on first use when wr).  -1 out of memory. */
static int set_event(struct tls *s, int wr, int on)
{
	struct event **ev = wr ? &s->wr_ev : &s->rd_ev;
	uint8_t *cur = wr ? &s->wr_on : &s->rd_on;

	if (on == *cur)
		return 0;
	if (on && !*ev) {
		*ev = event_new(transport_loop_base(s->base.loop), s->fd,
				EV_WRITE | EV_PERSIST, on_writable, s);
		if (!*ev)
			return -1;
	}
	if (on)
		event_add(*ev, NULL);
	else
		event_del(*ev);
	*cur = (uint8_t)on;
	return 0;
}

/* The events the state asks for; the flush pass leaves the transport to
 * them while the handshake or a blocked write is pending. */
static int update_events(struct tls *s)
{
	struct transport *t = &s->base;
	int out = !t->abandoned && transport_out_len(t) > 0;
	int r, w;

	if (s->dead) {
		r = w = 0;
	} else if (s->lingering) {
		r = 1;
		w = 0;
	} else if (!s->hs_done) {
		r = !s->hs_wants_w;
		w = s->hs_wants_w;
	} else {
		r = (t->reading && !s->rd_wants_w) || (out && s->wr_wants_r);
		w = s->rd_wants_w || (out && s->wr_blocked);
	}
	t->wr_waiting = !s->dead && (!s->hs_done ||
				     (out && (s->wr_blocked || s->wr_wants_r)));
	return set_event(s, 0, r) | set_event(s, 1, w);
}

/* Stop all I/O and tell the owner (once). */
static void end(struct tls *s, enum transport_end why)
{
	if (s->dead)
		return;
	s->dead = 1;
	update_events(s);
	s->base.cbs->ended(s->base.ctx, why);
}

/* Map a failed SSL call: 1 to wait (*wants_w says for what), 0 for the
 * end of the stream, -1 for an error. */
static int failed(struct tls *s, int r, uint8_t *wants_w)
{
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*wants_w = 0;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*wants_w = 1;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

/* ---- writing ---- */

/* Write the output, up to TRANSPORT_MAX_WRITE bytes, a record at a time.
 * An SSL_write that must wait is repeated with the same length. */
static void do_write(struct tls *s)
{
	struct transport *t = &s->base;
	size_t budget = TRANSPORT_MAX_WRITE;
	uint8_t wants_w = 0;

	s->wr_blocked = s->wr_wants_r = 0;
	while (!t->abandoned && transport_out_len(t) > 0 && budget > 0) {
		size_t n = s->wr_len;
		unsigned char *p;
		int r;

		if (n == 0) {
			n = transport_out_len(t);
			n = n < TLS_CHUNK ? n : TLS_CHUNK;
			n = n < budget ? n : budget;
		}
		if (!(p = evbuffer_pullup(t->out, (ev_ssize_t)n))) {
			end(s, TRANSPORT_NOMEM);
			return;
		}
		ERR_clear_error();
		r = SSL_write(s->ssl, p, (int)n);
		if (r <= 0) {
			if (failed(s, r, &wants_w) <= 0) {
				end(s, TRANSPORT_ERROR);
				return;
			}
			s->wr_len = n;
			s->wr_blocked = wants_w;
			s->wr_wants_r = !wants_w;
			break;
		}
		s->wr_len = 0;
		evbuffer_drain(t->out, (size_t)r);
		budget -= (size_t)r < budget ? (size_t)r : budget;
		transport_wrote(t);
	}
	if (update_events(s) != 0)
		end(s, TRANSPORT_NOMEM);
	else if (budget == 0 && transport_out_len(t) > 0)
		transport_flush_soon(t);
}

static void tls_write(struct transport *t)
{
	struct tls *s = (struct tls *)t;

	if (s->hs_done && !s->dead)
		do_write(s);
}

/* ---- reading ---- */

/* Read up to the owner's read_max into the input (records already
 * decrypted but not taken wait in OpenSSL: come back for them), then hand
 * it over. */
static void do_read(struct tls *s)
{
	struct transport *t = &s->base;
	size_t cap = t->cbs->read_max(t->ctx), got = 0;
	int rc = 1;

	if (!t->in && !(t->in = evbuffer_new())) {
		end(s, TRANSPORT_NOMEM);
		return;
	}
	s->rd_wants_w = 0;
	while (got < cap && rc == 1) {
		struct evbuffer_iovec v;
		int r;

		if (evbuffer_reserve_space(t->in, (ev_ssize_t)(cap - got), &v,
					   1) < 1) {
			rc = -2;
			break;
		}
		if (v.iov_len > cap - got)
			v.iov_len = cap - got;
		ERR_clear_error();
		r = SSL_read(s->ssl, v.iov_base, (int)v.iov_len);
		if (r <= 0) {
			evbuffer_commit_space(t->in, &v, 0);
			rc = failed(s, r, &s->rd_wants_w);
			break;
		}
		v.iov_len = (size_t)r;
		evbuffer_commit_space(t->in, &v, 1);
		got += (size_t)r;
	}
	if (got > 0)
		t->cbs->input(t->ctx);
	transport_in_trim(t);
	if (rc <= 0)
		end(s, rc == 0	  ? TRANSPORT_EOF
		       : rc == -1 ? TRANSPORT_ERROR
				  : TRANSPORT_NOMEM);
	else if (got >= cap && t->reading && SSL_has_pending(s->ssl))
		event_active(s->rd_ev, EV_READ, 1);
}

static void tls_read(struct transport *t, int on)
{
	struct tls *s = (struct tls *)t;

	t->reading = (uint8_t)on;
	if (update_events(s) != 0)
		end(s, TRANSPORT_NOMEM);
	else if (on && s->hs_done && SSL_has_pending(s->ssl))
		event_active(s->rd_ev, EV_READ, 1);
}

/* ---- after a failed handshake ---- */

/* The handshake failed and OpenSSL has written its alert.  Closing the
 * socket now, with the peer's input unread, would make the kernel send a
 * reset instead of a FIN, and the reset can overtake the alert (and drop
 * it if still queued): with TLS 1.3 a client certificate is checked after
 * the client has finished its side and sent its first data, so the client
 * would see "connection reset" instead of "certificate required".  So:
 * shut down writing (the alert leaves, then a FIN) and read and discard
 * until the peer closes too, at most TLS_LINGER_BYTES for TLS_LINGER_MS;
 * then report the end.  The connection keeps its slot meanwhile. */
static void linger_start(struct tls *s)
{
	struct timeval tv = clock_ms_tv(TLS_LINGER_MS);

	s->lingering = 1;
	s->linger_left = TLS_LINGER_BYTES;
	s->linger_until = clock_mono_ms() + TLS_LINGER_MS;
	if (set_event(s, 1, 0) != 0 || shutdown(s->fd, SHUT_WR) != 0 ||
	    event_add(s->rd_ev, &tv) != 0) {
		end(s, TRANSPORT_HANDSHAKE);
		return;
	}
	s->rd_on = 1;
}

/* Discard what can be read; 1 while the peer may still send more within
 * the bounds (would block), 0 once it closed, failed or spent them. */
static int linger_discard(struct tls *s)
{
	char buf[4096];

	while (s->linger_left > 0) {
		size_t want = s->linger_left < sizeof buf ? s->linger_left
							  : sizeof buf;
		ssize_t n = recv(s->fd, buf, want, 0);

		if (n > 0)
			s->linger_left -= (uint32_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 &&
			       (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return 0;
}

static void linger_read(struct tls *s, short what)
{
	uint64_t now = clock_mono_ms();
	struct timeval tv;

	if (!(what & EV_TIMEOUT) && now < s->linger_until &&
	    linger_discard(s)) {
		/* a persistent event's timeout restarts with each call */
		tv = clock_ms_tv(s->linger_until - now);
		if (event_add(s->rd_ev, &tv) == 0)
			return;
	}
	end(s, TRANSPORT_HANDSHAKE);
}

/* ---- the handshake and the events ---- */

/* Go on with the handshake; once done, write what was queued meanwhile
 * (a refusal at accept) and read what came with it. */
static void handshake(struct tls *s)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(s->ssl);
	if (r != 1) {
		if (failed(s, r, &s->hs_wants_w) != 1)
			linger_start(s);
		else if (update_events(s) != 0)
			end(s, TRANSPORT_NOMEM);
		return;
	}
	s->hs_done = 1;
	if (s->base.reading)
		do_read(s);
	if (!s->dead)
		do_write(s);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tls *s = arg;

	(void)fd;
	if (s->lingering) {
		linger_read(s, what);
		return;
	}
	if (!s->hs_done) {
		handshake(s);
		return;
	}
	if (s->wr_wants_r)
		do_write(s);
	if (!s->dead && s->base.reading && !s->rd_wants_w)
		do_read(s);
	if (!s->dead && update_events(s) != 0)
		end(s, TRANSPORT_NOMEM);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct tls *s = arg;

	(void)fd;
	(void)what;
	if (!s->hs_done) {
		handshake(s);
		return;
	}
	if (s->rd_wants_w && s->base.reading)
		do_read(s);
	if (!s->dead && s->wr_blocked)
		do_write(s);
	if (!s->dead && update_events(s) != 0)
		end(s, TRANSPORT_NOMEM);
}

/* ---- lifetime ---- */

static void tls_close(struct transport *t)
{
	struct tls *s = (struct tls *)t;

	if (s->rd_ev)
		event_free(s->rd_ev);
	if (s->wr_ev)
		event_free(s->wr_ev);
	s->rd_ev = s->wr_ev = NULL;
	if (s->ssl) {
		/* best effort close_notify: the socket is not waited for */
		if (s->hs_done && !s->dead)
			SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		ERR_clear_error();
	}
	s->ssl = NULL;
	if (s->fd >= 0)
		evutil_closesocket(s->fd);
	s->fd = -1;
}

static const struct transport_ops tls_ops = {
	.read = tls_read,
	.write = tls_write,
	.close = tls_close,
};

int transport_tls_peer_cn(struct transport *t, char *buf, size_t cap)
{
	struct tls *s = (struct tls *)t;
	X509 *cert;
	int n;

	if (!t || t->ops != &tls_ops || !s->ssl || !s->hs_done || cap == 0)
		return -1;
	cert = SSL_get1_peer_certificate(s->ssl);
	if (!cert)
		return -1;
	if (SSL_get_verify_result(s->ssl) != X509_V_OK) {
		X509_free(cert);
		return -1;
	}
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
				      NID_commonName, buf, (int)cap);
	X509_free(cert);
	/* absent, cut short, or holding a NUL byte: no identity */
	if (n <= 0 || (size_t)n >= cap - 1 || strlen(buf) != (size_t)n)
		return -1;
	return 0;
}

struct transport *transport_tls_new(struct transport_loop *l,
				    evutil_socket_t fd, struct ssl_ctx_st *ctx,
				    const struct transport_cbs *cbs,
				    void *cbctx)
{
	struct tls *s = calloc(1, sizeof *s);

	if (!s) {
		evutil_closesocket(fd);
		return NULL;
	}
	transport_base_init(&s->base, &tls_ops, l, cbs, cbctx);
	s->fd = fd;
	s->ssl = SSL_new(ctx);
	s->rd_ev = event_new(transport_loop_base(l), fd, EV_READ | EV_PERSIST,
			     on_readable, s);
	if (!s->ssl || !s->rd_ev || SSL_set_fd(s->ssl, fd) != 1) {
		transport_free(&s->base);
		return NULL;
	}
	SSL_set_accept_state(s->ssl);
	s->base.reading = 1;
	if (update_events(s) != 0) {
		transport_free(&s->base);
		return NULL;
	}
	return &s->base;
}
