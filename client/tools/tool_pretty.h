/*
 * tool_pretty.h - broker-sub --pretty: a msgpack payload rendered as
 * indented JSON.  Decoded with msgpack-c (msgpack_unpack_next into a
 * zone freed before returning); binary as a base64 string, ext as
 * {"ext_type": N, "data_b64": "..."}, binary map keys in base64, other
 * keys that are not strings as their JSON text in a string (1 -> "1"), floats that JSON cannot hold
 * as "NaN", "Infinity", "-Infinity", invalid UTF-8 in strings as U+FFFD.
 */
#ifndef TOOL_PRETTY_H
#define TOOL_PRETTY_H

#include <stddef.h>
#include <stdio.h>

/* Deepest nesting rendered; deeper payloads are refused. */
#define TOOL_PRETTY_MAX_DEPTH 64
/* Largest payload decoded: msgpack-c needs up to 24 bytes of objects per
 * payload byte (an array of nils), so a max_payload-sized one (64 MiB)
 * could take 1.5 GiB; larger payloads are refused (4 MiB: 100 MiB). */
#define TOOL_PRETTY_MAX_BYTES (4u * 1024u * 1024u)

/* Write the one msgpack object in p[0..n) to f as JSON, no final
 * newline.  0, or -1 (nothing written) when p is not exactly one msgpack
 * object, is nested too deeply, is over TOOL_PRETTY_MAX_BYTES, or memory
 * ran out; *why then says which
 * (a static string). */
int tool_pretty(FILE *f, const void *p, size_t n, const char **why);

#endif
