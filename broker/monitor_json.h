/*
 * monitor_json.h - the little JSON the monitor writes by hand: strings
 * escaped, and the paging parameters (?limit=N&offset=M&sort=KEY) of
 * /connz and /subsz.  Pure: allocates only in the output buffer (and,
 * while parsing, a query list freed before returning).
 */
#ifndef BROKERD_MONITOR_JSON_H
#define BROKERD_MONITOR_JSON_H

#include <stddef.h>

struct evbuffer;

#define MONITOR_LIMIT_DEFAULT 1024u
#define MONITOR_LIMIT_MAX 10000u
#define MONITOR_SORT_MAX 16u

/* A page of a listing, from the query string. */
struct monitor_page {
	size_t limit;		     /* entries at most, 0..MONITOR_LIMIT_MAX */
	size_t offset;		     /* entries skipped first */
	char sort[MONITOR_SORT_MAX]; /* "" when not given; the caller checks
				      * the value */
};

/* Parse query (the URI's query string, borrowed; NULL or "": defaults).
 * Parameters other than limit, offset and sort are ignored (as
 * nats-server does).  0, or -1 with *why a static one-line reason. */
int monitor_page_parse(const char *query, struct monitor_page *p,
		       const char **why);

/* Append s as a JSON string ("\"...\"", with quotes, backslashes and
 * control bytes escaped), or null when s is NULL.  0, or -1 when out of
 * memory. */
int monitor_json_str(struct evbuffer *out, const char *s);

#endif
