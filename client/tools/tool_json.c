/* tool_json.c - see tool_json.h. */
#include "config.h"

#include <stdint.h>

#include "tool_json.h"

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len = c < 0x80	? 1
		     : c < 0xc2 ? 0
		     : c < 0xe0 ? 2
		     : c < 0xf0 ? 3
		     : c < 0xf5 ? 4
				: 0;
	unsigned char lo = 0x80, hi = 0xbf;

	if (len <= 1 || len > n)
		return len > n ? 0 : len;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int tool_json_utf8_ok(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* One ASCII byte, escaped as JSON needs. */
static void put_ascii(FILE *f, unsigned char c)
{
	static const char short_esc[] = "btn\0fr";

	if (c == '"' || c == '\\') {
		fputc('\\', f);
		fputc(c, f);
	} else if (c >= 8 && c <= 13 && c != 11) {
		fputc('\\', f);
		fputc(short_esc[c - 8], f);
	} else if (c < 0x20 || c == 0x7f) {
		fprintf(f, "\\u%04x", c);
	} else {
		fputc(c, f);
	}
}

void tool_json_string(FILE *f, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, len;

	fputc('"', f);
	while (i < n) {
		len = utf8_seq(s + i, n - i);
		if (len == 0) {
			fputs("\\ufffd", f);
			i++;
		} else if (len == 1) {
			put_ascii(f, s[i++]);
		} else {
			fwrite(s + i, 1, len, f);
			i += len;
		}
	}
	fputc('"', f);
}

void tool_json_base64(FILE *f, const void *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		fputc(abc[v >> 18 & 63], f);
		fputc(abc[v >> 12 & 63], f);
		fputc(left > 1 ? abc[v >> 6 & 63] : '=', f);
		fputc(left > 2 ? abc[v & 63] : '=', f);
	}
}

void tool_json_hex(FILE *f, const void *p, size_t n, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		fputc(digits[s[i] >> 4], f);
		fputc(digits[s[i] & 15], f);
	}
}
