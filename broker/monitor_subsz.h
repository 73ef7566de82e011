/*
 * monitor_subsz.h - the monitor's /subsz: the subscription totals and one
 * entry per (pattern, queue group) with its subscription count, paged
 * (docs/MONITORING.md).  Walks the subscription tree in its own order and
 * stops at offset + limit entries, on the loop thread.
 */
#ifndef BROKERD_MONITOR_SUBSZ_H
#define BROKERD_MONITOR_SUBSZ_H

struct broker;
struct evbuffer;
struct monitor_page;

/* Append the /subsz JSON of b for page p (borrowed; its sort is ignored)
 * to out (borrowed).  0, or -1 when out of memory. */
int monitor_subsz(const struct broker *b, const struct monitor_page *p,
		  struct evbuffer *out);

#endif
