/*
 * tool_json.h - writing JSON text for any bytes (broker-sub --json, -F %j,
 * --pretty; broker-stat --json): strings escaped per RFC 8259, UTF-8
 * checked strictly, base64 and hex for what is not text.  Everything
 * writes to a caller's FILE and allocates nothing.
 */
#ifndef TOOL_JSON_H
#define TOOL_JSON_H

#include <stdio.h>
#include <stddef.h>

/* 1 when p[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF), else 0. */
int tool_json_utf8_ok(const void *p, size_t n);

/* Write p[0..n) as a quoted JSON string: '"', '\\' and the control
 * characters escaped (\n, \t, ... or \u00XX), DEL as \u007f; a byte
 * that does not start well-formed UTF-8 is written as \ufffd, so the
 * output is valid JSON for any input. */
void tool_json_string(FILE *f, const void *p, size_t n);

/* Write p[0..n) in base64 (RFC 4648, with padding), unquoted. */
void tool_json_base64(FILE *f, const void *p, size_t n);

/* Write p[0..n) as lowercase (upper != 0: uppercase) hex digits. */
void tool_json_hex(FILE *f, const void *p, size_t n, int upper);

#endif
