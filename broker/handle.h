/*
 * handle.h - the protocol verbs the broker accepts from a client, grouped
 * one concern per file:
 *   handle_session.c  HELLO/WELCOME, PING/PONG, handshake and keepalive timer
 *   handle_pub.c      PUB
 *   handle_sub.c      SUB, UNSUB, and dropping a connection's subscriptions
 *
 * Each handler gets the connection the frame came from and the decoded
 * message; the message's string views are borrowed for the call only.
 * Handlers reply on the connection and may mark it closing (never free it).
 */
#ifndef BROKERD_HANDLE_H
#define BROKERD_HANDLE_H

#include <stdint.h>

#include "proto.h"

struct conn;

void handle_hello(struct conn *c, const struct proto_msg *m);
/* c's HELLO is accepted (and its login done, auth_login.h): WELCOME,
 * READY, the keepalive timer.  name (borrowed) is only logged. */
void handle_hello_welcome(struct conn *c, struct proto_str name);
void handle_ping(struct conn *c);
void handle_pong(struct conn *c);
void handle_pub(struct conn *c, const struct proto_msg *m);
void handle_sub(struct conn *c, const struct proto_msg *m);
void handle_unsub(struct conn *c, const struct proto_msg *m);

/* Set c's timer (c->timer_at, see sweep.h) to the handshake timeout
 * (called once, at accept). */
void handle_session_start(struct conn *c);

/* c's timer passed (called by the sweep with its clock): handshake
 * timeout, then periodic PING and the unanswered-PING limit. */
void handle_session_timer(struct conn *c, uint64_t now);

/* Unlink and free every subscription of c (on close). */
void handle_sub_drop_all(struct conn *c);

#endif
