/*
 * proto_check.c - topic, pattern and name validation.
 *
 *   valid topics          invalid topics
 *   a                     ""            (empty)
 *   sensors.kitchen.temp  a..b  .a  a.  (empty token)
 *   _INBOX.k3J9.7         a.*  a.>  a*  (wildcards are for patterns)
 *   caf\xc3\xa9.menu      "a b"  "a\tb"  (space, control bytes, 0x7f)
 *                         invalid UTF-8 (overlong, surrogate, > U+10FFFF)
 *
 *   valid patterns        invalid patterns
 *   a.b  a.*  *.b.>  >    a*  *a  >a  a>  (wildcard inside a token)
 *   *  *.*                a.>.b  >.a    (">" not last)
 *
 * Length limits: PROTO_MAX_TOPIC bytes, PROTO_MAX_TOKENS tokens.
 */
#include "proto.h"

/* Length of the UTF-8 sequence starting at s[0..left), or 0 if invalid
 * (truncated, bad continuation, overlong, surrogate, above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char b = s[0];
	size_t n;
	uint32_t cp, min;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		cp = b & 0x1fu;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		cp = b & 0x0fu;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		cp = b & 0x07u;
		min = 0x10000;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1, 0xf5.. */
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Valid UTF-8 without bytes <= 0x20 or 0x7f. */
static int text_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
		n = utf8_seq(s + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* A "*" or ">" at s[i] (i inside a token starting at start): allowed only
 * as a whole token, and ">" only as the last one. */
static int wildcard_ok(const char *s, size_t len, size_t i, size_t start)
{
	if (i != start || (i + 1 < len && s[i + 1] != '.'))
		return 0;
	return s[i] == '*' || i + 1 == len;
}

/* Shared walk over tokens, one pass that also checks the bytes (the rules
 * of text_ok).  wild: allow "*" tokens and a final ">". */
static int tokens_ok(const char *str, size_t len, int wild)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, ntok = 0, i = 0, n;

	if (len == 0 || len > PROTO_MAX_TOPIC)
		return 0;
	while (i < len) {
		unsigned char b = s[i];

		if (b >= 0x80) {
			n = utf8_seq(s + i, len - i);
			if (n == 0)
				return 0;
			i += n;
			continue;
		}
		if (b <= 0x20 || b == 0x7f)
			return 0;
		if (b == '.') {
			if (i == start || ++ntok > PROTO_MAX_TOKENS)
				return 0;
			start = i + 1;
		} else if ((b == '*' || b == '>') &&
			   (!wild || !wildcard_ok(str, len, i, start))) {
			return 0;
		}
		i++;
	}
	return start < len && ++ntok <= PROTO_MAX_TOKENS;
}

enum proto_err proto_check_topic(const char *topic, size_t len)
{
	if (!topic)
		return PROTO_E_BAD_TOPIC;
	return tokens_ok(topic, len, 0) ? PROTO_OK_CODE : PROTO_E_BAD_TOPIC;
}

enum proto_err proto_check_pattern(const char *pattern, size_t len)
{
	if (!pattern)
		return PROTO_E_BAD_PATTERN;
	return tokens_ok(pattern, len, 1) ? PROTO_OK_CODE : PROTO_E_BAD_PATTERN;
}

enum proto_err proto_check_name(const char *name, size_t len,
				enum proto_err err)
{
	if (!name || len == 0 || len > PROTO_MAX_NAME || !text_ok(name, len))
		return err;
	return PROTO_OK_CODE;
}
