/*
 * tool_format.h - how broker-sub prints one message with -F FORMAT
 * (mosquitto_sub's spellings where they exist) and --json.  The message
 * and the receive time are borrowed for the call; nothing is allocated.
 *
 *   %t topic            %p payload (raw bytes)   %l payload length
 *   %x / %X payload as lower / upper case hex    %r reply-to ("" if none)
 *   %I receive time, ISO 8601 UTC with ms: 2026-12-06T04:30:12.345Z
 *   %U receive time, Unix epoch: seconds.nanoseconds
 *   %j the message as the --json object          %% a percent sign
 *   \n newline  \t tab  \\ backslash  (\r \0 \e \a \v too, as mosquitto)
 */
#ifndef TOOL_FORMAT_H
#define TOOL_FORMAT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "brokerclient.h"

/* 0 when fmt uses only the conversions and escapes above; else -1 with a
 * description (e.g. "unknown conversion '%q'") in why[0..cap). */
int tool_format_check(const char *fmt, char *why, size_t cap);

/* Write m formatted by fmt (checked by tool_format_check) to f; no
 * newline is added (broker-sub adds one unless -N).  rt: the receive time (realtime). */
void tool_format_msg(FILE *f, const char *fmt, const bc_msg *m,
		     const struct timespec *rt);

/* Write m as one JSON object, no newline: {"topic": ..., "reply_to":
 * string or null, "payload": string (when the payload is valid UTF-8)
 * or "payload_b64": base64 (otherwise), "payload_len": n, "received":
 * ISO 8601 time}. */
void tool_format_json(FILE *f, const bc_msg *m, const struct timespec *rt);

#endif
