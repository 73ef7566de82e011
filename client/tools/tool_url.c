/* tool_url.c - see tool_url.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tool_url.h"

/* A port 1..65535 in decimal, or -1. */
static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 1 && v <= 65535 ? (int)v : -1;
}

int tool_url_parse(const char *url, char *buf, size_t cap, const char **host,
		   int *port)
{
	const char *h = strncmp(url, "brokerd://", 10) == 0 ? url + 10 : url;
	const char *colon, *end;
	size_t hlen;
	int p = 0;

	if (strncmp(url, "unix:", 5) == 0 && url[5] == '/') {
		*host = url;
		return 0;
	}
	if (*h == '[') {
		end = strchr(h, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
		if (!end || (end[1] && !colon))
			return -1;
		h++;
		hlen = (size_t)(end - h);
	} else {
		colon = strrchr(h, ':');
		if (colon && colon != strchr(h, ':'))
			return -1; /* a bare IPv6 address needs [ ] */
		hlen = colon ? (size_t)(colon - h) : strlen(h);
	}
	if (hlen == 0 || hlen >= cap ||
	    (colon && (p = parse_port(colon + 1)) < 0))
		return -1;
	memcpy(buf, h, hlen);
	buf[hlen] = 0;
	*host = buf;
	if (colon)
		*port = p;
	return 0;
}
