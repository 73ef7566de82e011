/*
 * brokerclient.h - libbrokerclient, the C client library for brokerd.
 *
 * A bc_client is a logical connection to a broker: one TCP connection at a
 * time, to one of the addresses in its options, re-established by the
 * library when it breaks (see "Resilience" below).  It runs in one of two
 * modes:
 *
 *  - blocking mode (bc_connect): the client owns a private libevent
 *    event_base.  Calls such as bc_connect, bc_subscribe, bc_publish_sync,
 *    bc_request, bc_flush and bc_run run that loop until they are done, and
 *    callbacks are dispatched from inside those calls.
 *  - base mode (bc_connect_base): the client lives on the caller's
 *    event_base and never runs it.  Blocking calls return BC_ERR_WOULDBLOCK;
 *    results arrive through callbacks while the caller runs the loop.
 *
 * Return values: every int-returning function returns BC_OK (0) or one of
 * the positive bc_err codes below.
 *
 * Timeouts: every call that takes a timeout_ms argument (bc_publish_sync,
 * bc_request, bc_request_async, bc_flush, bc_flush_async, bc_run) reads it
 * the same way: -1 (BC_TIMEOUT_FOREVER) waits for ever, 0 polls (only what
 * is ready now, then BC_ERR_TIMEOUT or, for bc_run, BC_OK), > 0 is a
 * limit in milliseconds, and BC_TIMEOUT_DEFAULT means the options'
 * timeout (bc_options_set_timeout).  Earlier versions read -1 as
 * the options' timeout: pass BC_TIMEOUT_DEFAULT for that.
 *
 * Addresses: a broker is a host and port (a name, an IPv4 or IPv6
 * address) or a unix socket, written as the host "unix:PATH" (the port is
 * then unused).  bc_options_set_url takes the URL forms ("tcp://host:port",
 * "unix:PATH") that programs read from BROKER_URL.
 *
 * Callbacks: a callback may call any non-blocking function on its client,
 * including bc_unsubscribe and bc_close.  Blocking calls made from inside a
 * callback return BC_ERR_WOULDBLOCK (the loop is already running); use
 * bc_request_async / bc_publish_ex / bc_flush_async there.  bc_close
 * inside a callback is deferred: the client stops at once (no further
 * callbacks except completions with BC_ERR_CLOSED), and its memory is
 * released when the library regains control.  After calling bc_close,
 * never use the handle again.
 *
 * Thread safety: a bc_client is NOT thread-safe, and neither is a
 * bc_options.  Use one client per thread, or make every call on one thread
 * (in base mode: the event_base thread); callbacks run on that thread,
 * from inside the library's calls (blocking mode) or from the event_base's
 * loop (base mode).  The library starts no threads, and reconnecting,
 * backoff and the circuit breaker all run on that loop too.  Different
 * clients are independent and may be used from different threads (each
 * blocking-mode client has its own event_base; base-mode clients sharing
 * one event_base must all be used from its thread).  bc_strerror,
 * bc_check_topic, bc_check_pattern and the bc_msg accessors on a message
 * you own are safe anywhere.  The library keeps no global mutable state.
 *
 * Resilience (opt-out, like nats.c): once connected, a client whose
 * connection breaks reconnects by itself, trying the addresses of its
 * options in turn (bc_options_add_server) with exponential backoff and
 * jitter (bc_options_set_backoff), restores every subscription (same sids,
 * same queue groups, same callbacks; not those the broker revoked, see
 * BC_NOTICE_REVOKED) and then sends, in order, what was
 * published while it was disconnected (the offline buffer,
 * bc_options_set_offline_buffer).  The application sees this only through
 * the state callback: DISCONNECTED, CONNECTING (each attempt), then
 * RECONNECTED.  The error callback is called only when the library gives
 * up (bc_options_set_max_reconnect; never by default) or when reconnecting
 * is off (bc_options_set_reconnect(o, 0)).  What was written to a
 * connection that then broke may be lost (delivery is at most once):
 * acknowledged publishes, flushes and requests in flight on it complete
 * with BC_ERR_CLOSED.  A broker announcing lame-duck mode (NOTICE
 * LAME_DUCK) makes a client with more than one address finish what is in
 * flight (a PING/PONG) and move to the next address, without any error.
 * The first connect is not retried unless bc_options_set_connect_retries
 * says so.
 *
 * Circuit breaker: connect attempts, acknowledged publishes (bc_publish_ex
 * with a callback, bc_publish_sync), requests and flushes go through a
 * per-client breaker.  After `threshold` consecutive failures (refused or
 * failed connect, timeout, broker ERR codes 100..199) it opens: those
 * calls fail at once with BC_ERR_CIRCUIT_OPEN without touching the
 * network, and no connect attempt is made.  After the cool-down it is
 * half-open: one trial goes through (a connect attempt when disconnected,
 * else the next guarded call); success closes it, failure opens it again
 * for a fresh cool-down.  Client errors (invalid topic, too large, ERR
 * codes 1..99) never count.  bc_breaker_state tells the state, the breaker
 * callback sees every transition.  Plain bc_publish is not guarded: while
 * disconnected it goes to the offline buffer whatever the breaker says.
 *
 * Signals: libevent writes to the socket with writev(), which raises
 * SIGPIPE if the broker has gone away.  Programs should ignore SIGPIPE
 * (signal(SIGPIPE, SIG_IGN)), as the tools do; the library does not touch
 * process-wide signal handling.
 *
 * Keepalive: the broker PINGs idle clients and the library answers with
 * PONG, but only while the event loop runs.  In blocking mode, a program
 * that stays connected should call bc_run (or another blocking call)
 * regularly.  The library also notices a broker that went silent for
 * three ping intervals and reports the connection lost (BC_ERR_TIMEOUT).
 *
 * Memory: every pointer parameter says whether it is "copied" (the caller
 * may free or reuse it when the call returns) or "borrowed" (valid only
 * until the stated moment).  Nothing returned needs freeing unless stated.
 */
#ifndef BROKERCLIENT_H
#define BROKERCLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/* The version of this header: the brokerd package version it comes from.
 * configure.ac's AC_INIT gives the same numbers (the library does not
 * build when they differ).  BC_VERSION_NUMBER is 0xMMmmpp, for #if tests.
 * The library a program runs with may be newer than the header it was
 * compiled with: bc_version and bc_version_number tell the library's (a
 * static string, never freed, safe from any thread). */
#define BC_VERSION_MAJOR 0
#define BC_VERSION_MINOR 1
#define BC_VERSION_PATCH 0
#define BC_VERSION_NUMBER \
	((BC_VERSION_MAJOR << 16) | (BC_VERSION_MINOR << 8) | BC_VERSION_PATCH)
const char *bc_version(void);
int bc_version_number(void);

/* Timeout arguments (see "Timeouts" at the top of this file). */
#define BC_TIMEOUT_FOREVER (-1)
#define BC_TIMEOUT_DEFAULT (-2)

/* Opaque handles. */
typedef struct bc_client bc_client;
typedef struct bc_options bc_options;
typedef struct bc_msg bc_msg;
typedef struct bc_sub_options bc_sub_options;

/* The one error enum of the library. */
enum bc_err {
	BC_OK = 0,
	BC_ERR_INVALID = 1,	/* bad argument, bad topic/pattern/queue name */
	BC_ERR_NOMEM = 2,	/* out of memory */
	BC_ERR_CONNECT = 3,	/* cannot reach the broker */
	BC_ERR_HANDSHAKE = 4,	/* broker refused or garbled the handshake */
	BC_ERR_TIMEOUT = 5,	/* no answer in time */
	BC_ERR_CLOSED = 6,	/* connection lost, or the client is closing */
	BC_ERR_SERVER = 7,	/* broker answered ERR: see bc_last_error */
	BC_ERR_PROTOCOL = 8,	/* broker sent something undecodable */
	BC_ERR_TOO_LARGE = 9,	/* payload over the broker's max payload */
	BC_ERR_WOULDBLOCK = 10, /* blocking call not possible here */
	BC_ERR_NO_SUCH_SUB = 11,   /* unknown subscription id */
	BC_ERR_CIRCUIT_OPEN = 12,  /* circuit breaker open: failed fast */
	BC_ERR_BUFFER_FULL = 13,   /* offline buffer full: nothing was queued */
	BC_ERR_NOT_BROKER = 14,	   /* the server is not a brokerd broker (it
				  * sent text, e.g. NATS or HTTP) */
	BC_ERR_NO_RESPONDERS = 15, /* request: nobody subscribes to the topic */
	BC_ERR_AUTH = 16,	   /* broker refused the credentials (final:
				    * no reconnect with the same ones) */
	BC_ERR_FORBIDDEN = 17,	   /* the user's rules refuse this PUB/SUB
				    * (ERR FORBIDDEN: see bc_last_error) */
	BC_ERR_TLS = 18		   /* TLS handshake or certificate check
				    * failed (reason says which) */
};

/* Static English text for an error code; "unknown error" for codes not in
 * bc_err.  Never NULL, never freed.  Safe from any thread. */
const char *bc_strerror(int err);

/* Local syntax checks, as bc_publish and bc_subscribe do them: BC_OK or
 * BC_ERR_INVALID.  A topic is dot-separated non-empty tokens (at most 256
 * bytes, 32 tokens, UTF-8, no spaces or control bytes, no '*' or '>'); a
 * pattern may also use a token "*" (one token) and a last token ">" (one or
 * more).  Safe from any thread; the strings are borrowed for the call. */
int bc_check_topic(const char *topic);
int bc_check_pattern(const char *pattern);

/* Connection states, reported to the state callback.  bc_state returns
 * one of the first four; RECONNECTED is only an event for the callback
 * (bc_state then says CONNECTED). */
enum bc_state {
	BC_STATE_CONNECTING = 1,   /* TCP connect or handshake in progress */
	BC_STATE_CONNECTED = 2,	   /* WELCOME received (first connection) */
	BC_STATE_DISCONNECTED = 3, /* connect failed or connection lost */
	BC_STATE_CLOSED = 4,	   /* bc_close called; last callback */
	BC_STATE_RECONNECTED = 5   /* WELCOME again after a loss: subscriptions
				      restored, offline buffer flushed */
};

/* Circuit breaker states (bc_breaker_state, breaker callback). */
enum bc_breaker_state {
	BC_BREAKER_CLOSED = 1,	 /* calls go through */
	BC_BREAKER_OPEN = 2,	 /* calls fail fast (BC_ERR_CIRCUIT_OPEN) */
	BC_BREAKER_HALF_OPEN = 3 /* one trial call goes through */
};

/* ---- callbacks ---------------------------------------------------------- */

/* An asynchronous error: a broker ERR nobody waits for (server_code and
 * reason from the broker), a subscription rejected in base mode, the
 * connection lost (BC_ERR_CLOSED), a connect failure (err = BC_ERR_CONNECT,
 * BC_ERR_TIMEOUT, BC_ERR_HANDSHAKE, with reason such as "connection
 * refused").  server_code is 0 unless the broker sent it.  reason is never
 * NULL and is borrowed until the callback returns.  When a blocking
 * bc_connect fails, the callback is called before it returns and c is
 * valid only during the callback. */
typedef void (*bc_error_cb)(bc_client *c, int err, int server_code,
			    const char *reason, void *arg);

/* A NOTICE from the broker: kind 1 (BC_NOTICE_DROPPED): count messages
 * were dropped for this client; kind 2 (BC_NOTICE_LAME_DUCK): the broker is
 * going away in count ms; kind 3 (BC_NOTICE_POLICY): a subscription asked
 * for a policy its pool does not allow (BC_POLICY_BLOCK where the broker
 * has allow_block no), count is the enum bc_policy applied instead (it
 * comes before that SUB's answer); kind 4 (BC_NOTICE_REVOKED): the broker removed
 * the subscription whose sid is count, because a reload of its users file
 * no longer lets this user receive anything it matches (reason names the
 * pattern, e.g. "no longer authorized: 'news.*'").  The library has
 * already forgotten that subscription when the callback runs: its message
 * callback is not called again, it is not restored after a reconnect,
 * and bc_unsubscribe(sid) returns BC_ERR_NO_SUCH_SUB (so free what its
 * arg points to here, if the application owns it).  Subscribing to the
 * pattern again fails with BC_ERR_FORBIDDEN until the rules allow it.
 * Other kinds may come from newer brokers: ignore them.  reason is
 * borrowed until the callback returns. */
#define BC_NOTICE_DROPPED 1
#define BC_NOTICE_LAME_DUCK 2
#define BC_NOTICE_POLICY 3
#define BC_NOTICE_REVOKED 4
typedef void (*bc_notice_cb)(bc_client *c, int kind, uint64_t count,
			     const char *reason, void *arg);

/* A state change (enum bc_state); err is BC_OK or why it happened.  When
 * the library is going to reconnect, DISCONNECTED is followed by
 * CONNECTING (possibly after a backoff delay); when it gives up, the error
 * callback is called before DISCONNECTED.  A lame-duck switch reports
 * DISCONNECTED with err BC_OK. */
typedef void (*bc_state_cb)(bc_client *c, int state, int err, void *arg);

/* A circuit breaker transition (enum bc_breaker_state), from -> to.  As
 * for the error callback, during a bc_connect that fails, c is valid only
 * during the callback. */
typedef void (*bc_breaker_cb)(bc_client *c, int from, int to, void *arg);

/* A message for a subscription.  m and everything it points to are
 * borrowed until the callback returns; use bc_msg_dup to keep it. */
typedef void (*bc_msg_cb)(bc_client *c, const bc_msg *m, void *arg);

/* Outcome of an acknowledged publish: BC_OK, BC_ERR_SERVER (bc_last_error
 * holds the broker's code and reason during the callback), BC_ERR_TIMEOUT
 * or BC_ERR_CLOSED.  Called exactly once. */
typedef void (*bc_ack_cb)(bc_client *c, int err, void *arg);

/* Room again in the output buffer (see bc_options_set_drain_cb). */
typedef void (*bc_drain_cb)(bc_client *c, void *arg);

/* Outcome of bc_request_async: err BC_OK with the reply (borrowed until the
 * callback returns), or an error with reply NULL.  Called exactly once. */
typedef void (*bc_reply_cb)(bc_client *c, int err, const bc_msg *reply,
			    void *arg);

/* ---- options ------------------------------------------------------------ */

/* New options with defaults: host "127.0.0.1", port 7654, name
 * "brokerclient", connect timeout 5000 ms, timeout 5000 ms, close timeout
 * 2000 ms, no callbacks; reconnect on, forever, backoff 100 ms doubling up
 * to 5000 ms with 20 % jitter, first connect not retried; offline buffer
 * 8 MiB / 65536 messages; breaker threshold 5, cool-down 5000 ms.  Caller
 * frees with bc_options_free.  NULL when out of memory. */
bc_options *bc_options_new(void);
/* Free options (NULL is fine).  Connected clients keep their own copy. */
void bc_options_free(bc_options *o);

/* Setters return BC_OK or BC_ERR_INVALID (o NULL, value out of range) or
 * BC_ERR_NOMEM.  Strings are copied. */
/* host and port are the first address of the list.  host is a name, an
 * IPv4 or IPv6 address (without brackets), or "unix:PATH" for a unix
 * socket (PATH 1..107 bytes; the port is then unused); 1..255 bytes. */
int bc_options_set_host(bc_options *o, const char *host);
int bc_options_set_port(bc_options *o, int port); /* 1..65535 */
/* Append another broker address (host copied, port 1..65535; at most 16
 * addresses in all).  Connect attempts go through the list in turn, each
 * failure or loss moving on to the next. */
int bc_options_add_server(bc_options *o, const char *host, int port);
/* Replace the whole address list with url (copied): one URL or several
 * separated by commas (at most 16), each "tcp://HOST[:PORT]" (PORT
 * 1..65535, default 7654; an IPv6 HOST in brackets, "tcp://[::1]:7654"),
 * "tls://HOST[:PORT]" (TLS to that address, default port 7655, verified
 * as bc_options_set_tls says; its settings apply when it was called) or
 * "unix:PATH" ("unix:///run/brokerd.sock" is the same as
 * "unix:/run/brokerd.sock").  BC_OK,
 * BC_ERR_INVALID (o or url NULL, any URL malformed: the list is then
 * unchanged) or BC_ERR_NOMEM.  The tools take BROKER_URL this way. */
int bc_options_set_url(bc_options *o, const char *url);
/* TLS flags for bc_options_set_tls. */
enum bc_tls_flag {
	BC_TLS_INSECURE = 1 /* do not verify the broker's certificate or
			     * name (tests only: anyone in the path can
			     * read and change the traffic) */
};
/* TLS to every address of the list (tls:// URLs turn it on for theirs
 * alone, with these settings or the defaults).  The broker's certificate
 * must chain to a CA of ca_file (PEM; NULL: the system CA store) and name
 * the host connected to (a DNS name, also sent as SNI, or an IP address;
 * unix sockets: the chain only), unless flags has BC_TLS_INSECURE.
 * cert_file and key_file (PEM, both or neither): the client certificate
 * for brokers that ask for one.  TLS 1.2 or later.  The files are read by
 * bc_connect / bc_connect_base (BC_ERR_TLS when they do not load); each
 * connection then has a fresh TLS session.  A failed handshake counts as
 * a failed connect (reconnect, circuit breaker) and is reported as
 * BC_ERR_TLS with the check that failed ("TLS: certificate verify
 * failed: hostname mismatch").  BC_ERR_INVALID: only one of cert_file and
 * key_file, an empty name, or unknown flags. */
int bc_options_set_tls(bc_options *o, const char *ca_file,
		       const char *cert_file, const char *key_file,
		       unsigned flags);
/* User name (1..128 bytes, no spaces or control bytes) and password
 * (0..1024 bytes, copied; the copies are wiped when freed) sent in
 * HELLO; both NULL removes them (the default: no credentials, which a
 * broker without users_file expects).  A broker refusing them answers
 * ERR AUTH_FAILED: the connect fails, or the error callback gets
 * BC_ERR_AUTH, and the client does not try again with the same ones.
 * Send passwords over TLS only. */
int bc_options_set_credentials(bc_options *o, const char *user,
			       const char *pass);
/* Client name sent in HELLO: 1..128 bytes, no spaces or control bytes. */
int bc_options_set_name(bc_options *o, const char *name);
/* Timeouts in ms, 1..86400000.  connect: TCP connect plus handshake.
 * timeout: default for acks, requests, flush and output backpressure.
 * close: how long bc_close may wait for pending output (blocking mode). */
int bc_options_set_connect_timeout(bc_options *o, int ms);
int bc_options_set_timeout(bc_options *o, int ms);
int bc_options_set_close_timeout(bc_options *o, int ms);
/* Most bytes the client buffers for the broker (default 4 MiB, at least
 * 64 KiB).  Over it, a publish in blocking mode waits (up to timeout) and
 * in base mode (or inside a callback) fails with BC_ERR_WOULDBLOCK. */
int bc_options_set_max_outbuf(bc_options *o, size_t bytes);
/* Callbacks (cb may be NULL to remove); arg is passed back untouched. */
int bc_options_set_error_cb(bc_options *o, bc_error_cb cb, void *arg);
/* Drain callback, for publishers that got BC_ERR_WOULDBLOCK (output
 * buffer over bc_options_set_max_outbuf): after a publish (or request)
 * on the client returned BC_ERR_WOULDBLOCK, cb is called once, from the
 * event loop, when the bytes waiting for the socket have dropped to half
 * the limit or less, or when the connection was lost (publishes then go
 * to the offline buffer).  Publish again from cb; it is not called again
 * until the next BC_ERR_WOULDBLOCK.  bc_outbuf_len tells the level. */
int bc_options_set_drain_cb(bc_options *o, bc_drain_cb cb, void *arg);
int bc_options_set_notice_cb(bc_options *o, bc_notice_cb cb, void *arg);
int bc_options_set_state_cb(bc_options *o, bc_state_cb cb, void *arg);
int bc_options_set_breaker_cb(bc_options *o, bc_breaker_cb cb, void *arg);

/* Reconnect after a lost connection: 1 (default) or 0 (a lost connection
 * is final, as before: bc_run returns BC_ERR_CLOSED). */
int bc_options_set_reconnect(bc_options *o, int on);
/* Retries after a lost connection's first (immediate) attempt failed:
 * -1 (default) retries forever; N (0..1000000) gives up after N + 1 failed
 * attempts in a row (error callback, then bc_run returns BC_ERR_CLOSED). */
int bc_options_set_max_reconnect(bc_options *o, int attempts);
/* Extra attempts for the first connect (bc_connect, bc_connect_base),
 * with the same backoff: 0 (default) .. 1000000, -1 forever. */
int bc_options_set_connect_retries(bc_options *o, int retries);
/* Delay before the n-th retry in a row (n = 1, 2, ...):
 * min(max_ms, initial_ms * multiplier^(n-1)), shortened by a random part
 * of up to jitter of it (see bc_options_set_jitter).  The first attempt
 * after a lost connection is immediate.  initial_ms 1..86400000, max_ms
 * initial_ms..86400000, multiplier 1.0..100.0. */
int bc_options_set_backoff(bc_options *o, int initial_ms, int max_ms,
			   double multiplier);
/* Jitter fraction 0.0..1.0 (default 0.2): each delay d becomes a random
 * value in [d * (1 - jitter), d], so clients do not retry in lockstep. */
int bc_options_set_jitter(bc_options *o, double jitter);
/* Offline buffer: what is published while not connected (also before
 * the first WELCOME) is kept, up to max_bytes of frames and max_msgs
 * messages, and sent in order once (re)connected.  When it is full,
 * publishing fails at once with BC_ERR_BUFFER_FULL and nothing already
 * buffered is lost.  0 for either disables it: publishing while not
 * connected then fails with BC_ERR_CLOSED (BC_ERR_CIRCUIT_OPEN while the
 * breaker is open). */
int bc_options_set_offline_buffer(bc_options *o, size_t max_bytes,
				  size_t max_msgs);
/* Circuit breaker: threshold consecutive failures (0..1000000; 0 turns it
 * off) open it for cooldown_ms (1..86400000). */
int bc_options_set_breaker(bc_options *o, int threshold, int cooldown_ms);

/* ---- connecting and closing ------------------------------------------- */

/* Blocking mode: resolve host, connect (IPv4 or IPv6, each address in
 * turn), send HELLO and wait for WELCOME, all within the connect timeout
 * per attempt; with bc_options_set_connect_retries, retry (next server
 * address, backoff, breaker) that many times.  opts is copied (NULL means
 * defaults).  On success *out is the new client (free it with bc_close);
 * on failure *out is NULL, the error callback got the details of the last
 * attempt, and the result is BC_ERR_CONNECT, BC_ERR_TIMEOUT,
 * BC_ERR_HANDSHAKE, BC_ERR_NOMEM or BC_ERR_INVALID. */
int bc_connect(bc_client **out, const bc_options *opts);

/* bc_connect that also says why it failed, without a callback: unless why
 * is NULL, why[0..cap) (the caller's buffer; BC_ERRTEXT_SIZE is enough)
 * gets a NUL-terminated text, "" on success, else the address of the last
 * attempt and its reason, such as "127.0.0.1:7654: connection refused",
 * "unix:/run/brokerd.sock: no such file or directory" or "nosuch:7654:
 * name or service not known" (truncated to cap).  Everything else is as
 * for bc_connect; the error callback, if any, is still called. */
#define BC_ERRTEXT_SIZE 320
int bc_connect_err(bc_client **out, const bc_options *opts, char *why,
		   size_t cap);

/* Base mode: start connecting on base (borrowed; it must outlive the
 * client) and return at once with *out in BC_STATE_CONNECTING.  Names
 * are resolved with libevent's evdns on base, never blocking it (the
 * system's name servers and /etc/hosts; numeric addresses and unix
 * sockets need no lookup); a failed lookup is reported like a refused
 * connect.  bc_close cancels a lookup in progress; its resolver is then
 * freed from base's loop (run the loop once more before freeing base).
 * The state callback reports BC_STATE_CONNECTED or
 * BC_STATE_DISCONNECTED.  Publishes made before
 * CONNECTED wait in the offline buffer, subscriptions in the client's
 * table; both are sent right after the WELCOME.  Free with bc_close. */
int bc_connect_base(bc_client **out, const bc_options *opts,
		    struct event_base *base);

/* Close and free.  Blocking mode: first waits up to the close timeout for
 * pending output to be written.  Base mode: writes what the socket takes
 * at once and drops the rest.  Outstanding acks, requests and flushes
 * complete with BC_ERR_CLOSED, then the state callback gets
 * BC_STATE_CLOSED.  Messages still in the offline buffer are dropped.
 * Safe inside a callback (see the top of this file).  NULL is fine.  c
 * must not be used afterwards. */
void bc_close(bc_client *c);

/* Current state (enum bc_state); 0 if c is NULL.  While waiting to
 * reconnect it is BC_STATE_DISCONNECTED. */
int bc_state(const bc_client *c);
/* Circuit breaker state (enum bc_breaker_state); 0 if c is NULL.  An open
 * breaker turns half-open when its cool-down is over and the library next
 * runs (its loop, or a guarded call). */
int bc_breaker_state(const bc_client *c);
/* The address in use or being tried: *host (borrowed until the client
 * moves to another address or is closed) and *port.  BC_OK or
 * BC_ERR_INVALID (c NULL). */
int bc_server(const bc_client *c, const char **host, int *port);
/* Messages waiting in the offline buffer; 0 if c is NULL. */
size_t bc_buffered(const bc_client *c);
/* Bytes queued for the broker on the current connection and not yet
 * taken by the socket (compare with bc_options_set_max_outbuf); 0 if c is
 * NULL or not connected. */
size_t bc_outbuf_len(const bc_client *c);
/* Max payload announced by the broker (before WELCOME: the protocol's
 * absolute maximum); 0 if c is NULL. */
size_t bc_max_payload(const bc_client *c);
/* The last ERR the broker sent on this client: returns its code (0 if none)
 * and, if reason is not NULL, sets *reason to its text (borrowed until the
 * next call on c; "" if none). */
int bc_last_error(const bc_client *c, const char **reason);

/* ---- publishing --------------------------------------------------------- */

/* Fire and forget.  topic (copied) must be a valid topic (checked locally:
 * BC_ERR_INVALID); data (copied; may be NULL when len is 0) must be at most
 * bc_max_payload bytes (BC_ERR_TOO_LARGE).  Success means queued for
 * sending (or in the offline buffer while not connected), not delivered.
 * BC_ERR_BUFFER_FULL when the offline buffer is full, BC_ERR_CLOSED when
 * closing or disconnected for good. */
int bc_publish(bc_client *c, const char *topic, const void *data, size_t len);

/* Like bc_publish, with an optional reply_to topic (copied, NULL for none)
 * and, if cb is not NULL, an acknowledgement: cb(c, err, arg) is called
 * exactly once, later (never from inside this call), when the broker
 * accepted the message (BC_OK), rejected it, the ack timeout passed or the
 * connection died.  If this call returns an error, cb is never called.
 * With cb, the call is guarded by the circuit breaker (BC_ERR_CIRCUIT_OPEN)
 * and the timeout runs from this call, also while the message waits in
 * the offline buffer. */
int bc_publish_ex(bc_client *c, const char *topic, const void *data, size_t len,
		  const char *reply_to, bc_ack_cb cb, void *arg);

/* bc_publish_ex for a request whose replies the caller collects itself
 * (several replies, its own inbox): reply_to and cb are required, and cb
 * gets BC_ERR_NO_RESPONDERS when the broker reports that no subscription
 * matched topic (a broker without that answer acknowledges with BC_OK,
 * so bound the wait for replies anyway). */
int bc_publish_request(bc_client *c, const char *topic, const void *data,
		       size_t len, const char *reply_to, bc_ack_cb cb,
		       void *arg);

/* Blocking mode: publish and wait up to timeout_ms (see "Timeouts") for
 * the broker's answer.  BC_OK, BC_ERR_SERVER (see
 * bc_last_error), BC_ERR_TIMEOUT, BC_ERR_CLOSED, BC_ERR_WOULDBLOCK,
 * BC_ERR_CIRCUIT_OPEN, BC_ERR_BUFFER_FULL. */
int bc_publish_sync(bc_client *c, const char *topic, const void *data,
		    size_t len, int timeout_ms);

/* ---- subscribing -------------------------------------------------------- */

/* Subscribe to pattern (copied; '*' one token, '>' trailing tokens),
 * optionally in queue group queue (copied, NULL for none: each message of a
 * queue group goes to one member).  cb (required) gets every message with
 * arg.  The library chooses the subscription id, stored in *sid_out if not
 * NULL.  Blocking mode (outside callbacks): waits for the broker's answer;
 * on ERR returns BC_ERR_SERVER (see bc_last_error) and keeps nothing.
 * Base mode or inside a callback: returns after queueing; a later ERR goes
 * to the error callback and the subscription is dropped.  While not
 * connected, the subscription is recorded and returns BC_OK at once; it is
 * sent with the others when the connection is (re)established. */
int bc_subscribe(bc_client *c, const char *pattern, const char *queue,
		 bc_msg_cb cb, void *arg, uint32_t *sid_out);

/* Subscription options: how the broker should treat this connection's
 * outbound queue when the application reads too slowly (PROTOCOL.md, "SUB"
 * and "Slow consumers").  An opaque object like bc_options: create it
 * with bc_sub_options_new (everything "not set": the broker's pool
 * decides), set what you need, pass it to bc_subscribe_ex (which copies
 * the values, so free or reuse the object right after), free it with
 * bc_sub_options_free.  Not thread-safe; safe to share between calls.
 *
 * The queue belongs to the connection, not to one subscription: the
 * broker uses the smallest bounds any SUB asked for and the policy of the
 * last SUB that named one, and it only ever lowers its pool's bounds.
 * A subscription keeps its options for good: the library sends them
 * again, identical, when it restores the subscription after a
 * reconnect.  Losses are announced by NOTICE DROPPED (the notice
 * callback, kind BC_NOTICE_DROPPED, with the count). */
enum bc_policy {
	BC_POLICY_DEFAULT = 0,	   /* not set: the pool's policy */
	BC_POLICY_DROP_OLDEST = 1, /* discard the oldest queued messages */
	BC_POLICY_DROP_NEWEST = 2, /* discard the new message */
	BC_POLICY_DISCONNECT = 3,  /* close the connection (ERR SERVER_BUSY) */
	BC_POLICY_BLOCK = 4	   /* pause the publishers while we read,
				    * drop-newest once we stall (brokers
				    * before it refuse the SUB: BAD_FIELD) */
};

/* New options with nothing set; the caller frees them with
 * bc_sub_options_free.  NULL when out of memory. */
bc_sub_options *bc_sub_options_new(void);
/* Free (NULL is fine). */
void bc_sub_options_free(bc_sub_options *so);
/* Setters: BC_OK, or BC_ERR_INVALID (so NULL, value out of range). */
/* policy: one of enum bc_policy (BC_POLICY_DEFAULT unsets it). */
int bc_sub_options_set_policy(bc_sub_options *so, int policy);
/* Bound on queued messages, 1..2^63; 0 unsets it. */
int bc_sub_options_set_max_msgs(bc_sub_options *so, uint64_t max_msgs);
/* Bound on queued bytes, 1..2^63 (the broker counts less than 1024 as
 * 1024); 0 unsets it. */
int bc_sub_options_set_max_bytes(bc_sub_options *so, uint64_t max_bytes);
/* Policy from its name ("drop-oldest", "drop-newest", "disconnect",
 * "block"; the
 * strings of broker-sub --policy and of the protocol), or -1. */
int bc_policy_parse(const char *name);

/* bc_subscribe with subscription options so (borrowed for the call, its
 * values copied; NULL: none, exactly like bc_subscribe).  Everything
 * else, including when it blocks, is as for bc_subscribe. */
int bc_subscribe_ex(bc_client *c, const char *pattern, const char *queue,
		    const bc_sub_options *so, bc_msg_cb cb, void *arg,
		    uint32_t *sid_out);

/* Stop a subscription: no callback for sid runs after this returns (even
 * one already received).  BC_ERR_NO_SUCH_SUB if sid is unknown. */
int bc_unsubscribe(bc_client *c, uint32_t sid);

/* ---- messages ------------------------------------------------------------ */

/* Accessors; all returned pointers borrow from m.  topic and reply_to are
 * NUL-terminated; reply_to is NULL if the message has none.
 *
 * bc_msg_data is NOT NUL-terminated in a message passed to a callback:
 * it points into the library's input buffer (no copy), so always use
 * bc_msg_len with it.  A message the caller owns (from bc_msg_dup or
 * bc_request) has its own copy, and there data[len] is 0, so a text
 * payload can be used as a C string.  data is never NULL, even when the
 * length is 0. */
const char *bc_msg_topic(const bc_msg *m);
const void *bc_msg_data(const bc_msg *m);
size_t bc_msg_len(const bc_msg *m);
const char *bc_msg_reply_to(const bc_msg *m);
uint32_t bc_msg_sid(const bc_msg *m);

/* A deep copy the caller owns and frees with bc_msg_free; NULL when out of
 * memory or m is NULL. */
bc_msg *bc_msg_dup(const bc_msg *m);
/* Free a message from bc_msg_dup or bc_request (NULL is fine).  Messages
 * passed to callbacks are not the caller's and are ignored. */
void bc_msg_free(bc_msg *m);

/* ---- request / reply ----------------------------------------------------- */

/* Publish a request to topic with a private reply-to and wait up to
 * timeout_ms (see "Timeouts") for the first reply.  On BC_OK
 * *reply is the answer, which the caller frees with bc_msg_free; otherwise
 * *reply is NULL.  BC_ERR_NO_RESPONDERS at once when the broker reports
 * that no subscription matched topic (a broker without that answer lets
 * the request time out: BC_ERR_TIMEOUT).  Blocking mode only. */
int bc_request(bc_client *c, const char *topic, const void *data, size_t len,
	       int timeout_ms, bc_msg **reply);

/* The same without blocking: cb(c, err, reply, arg) is called exactly once,
 * later (never from inside this call).  Errors returned here mean cb will
 * not be called. */
int bc_request_async(bc_client *c, const char *topic, const void *data,
		     size_t len, int timeout_ms, bc_reply_cb cb, void *arg);

/* Publish data (copied) to the reply_to of request (borrowed for the call).
 * BC_ERR_INVALID if the request has no reply_to. */
int bc_respond(bc_client *c, const bc_msg *request, const void *data,
	       size_t len);

/* ---- running the loop (blocking mode) ------------------------------------ */

/* Wait until everything queued so far was written and processed by the
 * broker (a PING answered by PONG), up to timeout_ms (see "Timeouts").
 * Any ERR for earlier frames has been reported when it returns.
 * While reconnecting, it first waits (within the same timeout) for the
 * connection, whose offline buffer is sent before the PING.  Guarded by
 * the breaker while not connected (BC_ERR_CIRCUIT_OPEN). */
int bc_flush(bc_client *c, int timeout_ms);

/* bc_flush without blocking, in any mode: cb(c, err, arg) is called
 * exactly once, later (never from inside this call), with BC_OK once the
 * broker has answered a PING sent after everything queued so far (so
 * every earlier frame was processed and any ERR for it reported),
 * BC_ERR_TIMEOUT after timeout_ms (see "Timeouts"), or
 * BC_ERR_CLOSED if the connection carrying the PING was lost or the
 * client was closed.  While not connected (still connecting, or
 * reconnecting) the PING waits and is sent right after the offline
 * buffer.  Guarded by the circuit breaker.  If this call returns an
 * error (BC_ERR_INVALID, BC_ERR_CLOSED, BC_ERR_CIRCUIT_OPEN,
 * BC_ERR_NOMEM), cb is never called. */
int bc_flush_async(bc_client *c, int timeout_ms, bc_ack_cb cb, void *arg);

/* Dispatch callbacks for timeout_ms (-1: until bc_break or connection
 * loss; 0: what is ready now; see "Timeouts").  Reconnecting happens
 * inside it.  BC_OK when the time is up or
 * bc_break was called (also before bc_run: a break is remembered until
 * bc_run consumes it), BC_ERR_CLOSED when the connection is lost for good
 * (reconnect off, or given up) or the client was closed in a callback (the
 * client is then gone if bc_close was called), BC_ERR_WOULDBLOCK in base
 * mode or inside a callback. */
int bc_run(bc_client *c, int timeout_ms);

/* Make bc_run return soon.  For use inside callbacks (not signal-safe). */
int bc_break(bc_client *c);

#ifdef __cplusplus
}
#endif

#endif
