/*
 * monitor_connz.h - the monitor's /connz: one JSON object per client
 * connection (address, name, pool, state, subscriptions, pending bytes
 * and messages, in/out counters, drops, connected since), sorted and
 * paged (docs/MONITORING.md).
 *
 * Runs on the loop thread: one walk of the connection list into an array
 * of (key, connection) pairs, one qsort, then the page is written.  Sorting
 * is O(n log n) over every connection even for a small page (10,000
 * connections: a few ms; docs/BENCHMARKS.md has the figures).
 */
#ifndef BROKERD_MONITOR_CONNZ_H
#define BROKERD_MONITOR_CONNZ_H

struct broker;
struct evbuffer;
struct monitor_page;

/* The sort keys, for the 400 reply. */
#define MONITOR_CONNZ_SORTS                                             \
	"sort must be one of cid, start, pending_bytes, pending_msgs, " \
	"msgs_out, bytes_out, msgs_in, bytes_in, subs, drops"

/* Append the /connz JSON of b for page p (borrowed) to out (borrowed).
 * 0; 1 when p->sort is not a sort key (nothing written); -1 when out of
 * memory. */
int monitor_connz(const struct broker *b, const struct monitor_page *p,
		  struct evbuffer *out);

#endif
