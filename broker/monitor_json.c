/* monitor_json.c - see monitor_json.h. */
#include "config.h"

#include "monitor_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* A decimal integer, digits only, at most max.  0 or -1. */
static int parse_size(const char *s, size_t max, size_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* One known parameter; 0, or -1 with *why. */
static int page_param(struct monitor_page *p, const char *key, const char *val,
		      const char **why)
{
	if (strcmp(key, "limit") == 0) {
		if (parse_size(val, MONITOR_LIMIT_MAX, &p->limit) == 0)
			return 0;
		*why = "limit must be an integer from 0 to 10000";
	} else if (strcmp(key, "offset") == 0) {
		if (parse_size(val, (size_t)1 << 31, &p->offset) == 0)
			return 0;
		*why = "offset must be a non-negative integer";
	} else if (strcmp(key, "sort") == 0) {
		if (strlen(val) < sizeof p->sort) {
			strcpy(p->sort, val);
			return 0;
		}
		*why = "unknown sort key";
	} else {
		return 0;
	}
	return -1;
}

int monitor_page_parse(const char *query, struct monitor_page *p,
		       const char **why)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	int rc = 0;

	p->limit = MONITOR_LIMIT_DEFAULT;
	p->offset = 0;
	p->sort[0] = 0;
	if (!query || !*query)
		return 0;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) != 0) {
		evhttp_clear_headers(&q);
		*why = "malformed query string";
		return -1;
	}
	TAILQ_FOREACH(kv, &q, next)
	{
		if (page_param(p, kv->key, kv->value, why) != 0) {
			rc = -1;
			break;
		}
	}
	evhttp_clear_headers(&q);
	return rc;
}

int monitor_json_str(struct evbuffer *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;

	if (!s)
		return evbuffer_add(out, "null", 4);
	rc |= evbuffer_add(out, "\"", 1);
	while (*s) {
		size_t n = strcspn(s, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08"
				      "\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11"
				      "\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
				      "\x1b\x1c\x1d\x1e\x1f");
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		unsigned char ch;

		rc |= evbuffer_add(out, s, n);
		s += n;
		if (!*s)
			break;
		ch = (unsigned char)*s++;
		if (ch == '"' || ch == '\\') {
			esc[1] = (char)ch;
			rc |= evbuffer_add(out, esc, 2);
		} else {
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			rc |= evbuffer_add(out, esc, 6);
		}
	}
	rc |= evbuffer_add(out, "\"", 1);
	return rc ? -1 : 0;
}
