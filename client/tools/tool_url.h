/*
 * tool_url.h - the BROKER_URL environment variable's forms, parsed:
 * "[brokerd://]HOST[:PORT]", "[brokerd://][IPV6][:PORT]" or "unix:/PATH".
 */
#ifndef TOOL_URL_H
#define TOOL_URL_H

#include <stddef.h>

/* Parse url.  *host gets the host: url itself for "unix:/PATH" (the
 * library takes that form as a host), else buf[0..cap) filled with the
 * HOST part.  *port is set only when url names one.  0, or -1 when url is
 * none of the forms (nothing set). */
int tool_url_parse(const char *url, char *buf, size_t cap, const char **host,
		   int *port);

#endif
