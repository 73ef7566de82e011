/*
 * tool_stat_show.h - how broker-stat prints what tool_stats read: the
 * one-shot table and, with -w, the header and one line of per-second
 * rates.  Everything is borrowed for the call; nothing is allocated.
 */
#ifndef TOOL_STAT_SHOW_H
#define TOOL_STAT_SHOW_H

#include <stdio.h>

#include "tool_stats.h"

/* The table: broker totals by subject (keys this tool does not know are
 * listed after them as "key value"), then one row per pool.  addr names
 * the broker. */
void tool_stat_table(FILE *f, const char *addr, const struct tool_stats *s);

/* The column names of tool_stat_rates' lines. */
void tool_stat_header(FILE *f);

/* One line: the time, connections and subscriptions now, messages in
 * and out and drops per second from prev to cur (elapsed_ms apart; own
 * answers: how many of broker-stat's own answers the broker published
 * in between, which are not counted), then the totals. */
void tool_stat_rates(FILE *f, const struct tool_stats *prev,
		     const struct tool_stats *cur, long long elapsed_ms,
		     long long own_answers);

#endif
