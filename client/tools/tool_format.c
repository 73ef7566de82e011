/* tool_format.c - see tool_format.h. */
#include "config.h"

#include <string.h>

#include "tool_format.h"
#include "tool_json.h"

static const char conversions[] = "tplxXrIUj%";
static const char escapes[] = "nt\\r0eav";
static const char escaped[] = "\n\t\\\r\0\033\a\v";

int tool_format_check(const char *fmt, char *why, size_t cap)
{
	for (const char *s = fmt; *s; s++) {
		if (*s != '%' && *s != '\\')
			continue;
		if (!s[1]) {
			snprintf(why, cap, "'%c' at the end", *s);
			return -1;
		}
		if (*s == '%' && !strchr(conversions, s[1])) {
			snprintf(why, cap, "unknown conversion '%%%c'", s[1]);
			return -1;
		}
		if (*s == '\\' && !strchr(escapes, s[1])) {
			snprintf(why, cap, "unknown escape '\\%c'", s[1]);
			return -1;
		}
		s++;
	}
	return 0;
}

/* 2026-12-06T04:30:12.345Z */
static void put_iso(FILE *f, const struct timespec *rt)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&rt->tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03ldZ", buf, rt->tv_nsec / 1000000);
}

void tool_format_json(FILE *f, const bc_msg *m, const struct timespec *rt)
{
	const char *topic = bc_msg_topic(m), *reply = bc_msg_reply_to(m);
	const void *data = bc_msg_data(m);
	size_t len = bc_msg_len(m);

	fputs("{\"topic\":", f);
	tool_json_string(f, topic, strlen(topic));
	fputs(",\"reply_to\":", f);
	if (reply)
		tool_json_string(f, reply, strlen(reply));
	else
		fputs("null", f);
	if (tool_json_utf8_ok(data, len)) {
		fputs(",\"payload\":", f);
		tool_json_string(f, data, len);
	} else {
		fputs(",\"payload_b64\":\"", f);
		tool_json_base64(f, data, len);
		fputc('"', f);
	}
	fprintf(f, ",\"payload_len\":%zu,\"received\":\"", len);
	put_iso(f, rt);
	fputs("\"}", f);
}

/* One %c conversion. */
static void put_conv(FILE *f, char c, const bc_msg *m,
		     const struct timespec *rt)
{
	const char *reply = bc_msg_reply_to(m);

	switch (c) {
	case 't':
		fputs(bc_msg_topic(m), f);
		break;
	case 'p':
		fwrite(bc_msg_data(m), 1, bc_msg_len(m), f);
		break;
	case 'l':
		fprintf(f, "%zu", bc_msg_len(m));
		break;
	case 'x':
	case 'X':
		tool_json_hex(f, bc_msg_data(m), bc_msg_len(m), c == 'X');
		break;
	case 'r':
		fputs(reply ? reply : "", f);
		break;
	case 'I':
		put_iso(f, rt);
		break;
	case 'U':
		fprintf(f, "%lld.%09ld", (long long)rt->tv_sec, rt->tv_nsec);
		break;
	case 'j':
		tool_format_json(f, m, rt);
		break;
	default:
		fputc('%', f);
	}
}

void tool_format_msg(FILE *f, const char *fmt, const bc_msg *m,
		     const struct timespec *rt)
{
	for (const char *s = fmt; *s; s++) {
		if (*s == '%' && s[1]) {
			put_conv(f, *++s, m, rt);
		} else if (*s == '\\' && s[1] && strchr(escapes, s[1])) {
			s++;
			fputc(escaped[strchr(escapes, *s) - escapes], f);
		} else {
			fputc(*s, f);
		}
	}
}
