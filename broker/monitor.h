/*
 * monitor.h - the HTTP monitor (issue #14): a small evhttp server on its
 * own port, off unless conf.monitor names one, answering GET and HEAD:
 *   /         the live dashboard, one HTML page (monitor_dashboard.h)
 *   /healthz  200 "ok" while serving, 503 while draining or lame duck
 *   /metrics  Prometheus text format 0.0.4 (monitor_metrics.h)
 *   /varz     server, version, uptime, settings, totals, drops, pools
 *             (monitor_varz.h)
 *   /connz    the connections, sorted and paged (monitor_connz.h)
 *   /subsz    the subscriptions, paged (monitor_subsz.h)
 * Everything is read at scrape time from counters the broker keeps (per
 * connection, struct conn_io): the message path pays an add or two.
 *
 * Bounds, so an HTTP client cannot hurt the broker: request headers at
 * most MONITOR_MAX_HEADERS bytes, no request body, a connection idle for
 * MONITOR_TIMEOUT_S seconds is closed, and monitor_guard.h caps the
 * connections and their lifetime (a slowloris that trickles bytes).
 *
 * Ownership: the broker owns the struct monitor (b->monitor), made by
 * monitor_new and freed by monitor_free before the event base.
 */
#ifndef BROKERD_MONITOR_H
#define BROKERD_MONITOR_H

struct broker;
struct monitor;

#define MONITOR_MAX_HEADERS 8192
#define MONITOR_MAX_BODY 0
#define MONITOR_TIMEOUT_S 5

/* Listen on b->conf.monitor (which must have a port) on b's loop.
 * Returns the monitor (owned by the caller), or NULL with the reason
 * logged. */
struct monitor *monitor_new(struct broker *b);

/* Close the listener and every HTTP connection.  NULL is a no-op. */
void monitor_free(struct monitor *m);

#endif
