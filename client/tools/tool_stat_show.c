/* tool_stat_show.c - see tool_stat_show.h. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "tool_stat_show.h"

#define ROW_KEYS 5

/* One line of the table: up to ROW_KEYS counters, each "VALUE WORD". */
static const struct row {
	const char *label;
	const char *keys[ROW_KEYS];
	const char *words[ROW_KEYS];
} rows[] = {
	{ "connections",
	  { "connections", "connections_total", "evicted" },
	  { "now", "accepted", "evicted" } },
	{ "refused",
	  { "refused_full", "refused_addr" },
	  { "pool full", "per-address limit" } },
	{ "subscriptions", { "subscriptions" }, { "" } },
	{ "messages in", { "published" }, { "published" } },
	{ "messages out", { "delivered" }, { "delivered" } },
	{ "dropped",
	  { "dropped", "dropped_oldest", "dropped_newest", "dropped_budget",
	    "dropped_disconnect" },
	  { "total", "drop-oldest", "drop-newest", "budget", "disconnect" } },
	{ "slow consumers",
	  { "slow_disconnects", "block_stalls" },
	  { "disconnected", "block stalls" } },
	{ "pauses",
	  { "rate_pauses", "budget_pauses", "block_pauses", "block_pause_ms" },
	  { "rate", "budget", "block", "ms blocked" } },
	{ "errors sent", { "errors_sent" }, { "" } },
	{ "frame timeouts", { "frame_timeouts" }, { "" } },
};

static void print_row(FILE *f, const struct row *r,
		      const struct tool_stats_obj *o)
{
	int found, printed = 0;
	long long v;

	fprintf(f, "%-16s", r->label);
	for (int i = 0; i < ROW_KEYS && r->keys[i]; i++) {
		v = tool_stats_get(o, r->keys[i], &found);
		if (!found)
			continue;
		fprintf(f, "%s%lld%s%s", printed++ ? ", " : "", v,
			*r->words[i] ? " " : "", r->words[i]);
	}
	fputs(printed ? "\n" : "-\n", f);
}

/* Is key one of the rows'? */
static int known_key(const char *key)
{
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
		for (int i = 0; i < ROW_KEYS && rows[r].keys[i]; i++)
			if (strcmp(rows[r].keys[i], key) == 0)
				return 1;
	return 0;
}

/* A pool counter, or "-" when the answer has none. */
static void pool_col(FILE *f, const struct tool_stats_obj *o, const char *key,
		     int width)
{
	int found;
	long long v = tool_stats_get(o, key, &found);

	if (found)
		fprintf(f, " %*lld", width, v);
	else
		fprintf(f, " %*s", width, "-");
}

static void print_pools(FILE *f, const struct tool_stats *s)
{
	fprintf(f, "\n%-16s %6s %6s %12s %12s %12s %10s\n", "pool", "conns",
		"max", "pending_out", "out_budget", "delivered", "dropped");
	for (int i = 0; i < s->npools; i++) {
		const struct tool_stats_obj *o = &s->pools[i];

		fprintf(f, "%-16s", o->name);
		pool_col(f, o, "connections", 6);
		pool_col(f, o, "max_connections", 6);
		pool_col(f, o, "out_bytes", 12);
		pool_col(f, o, "max_outbound_total", 12);
		pool_col(f, o, "delivered", 12);
		pool_col(f, o, "dropped", 10);
		fputs(tool_stats_get(o, "retired", NULL) ? " (retired)\n"
							 : "\n",
		      f);
	}
	if (s->pools_seen > s->npools)
		fprintf(f, "(%d more pools not shown)\n",
			s->pools_seen - s->npools);
}

void tool_stat_table(FILE *f, const char *addr, const struct tool_stats *s)
{
	const struct tool_stats_obj *b = &s->broker;

	fprintf(f, "brokerd at %s\n", addr);
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
		print_row(f, &rows[r], b);
	for (int i = 0; i < b->nkeys; i++)
		if (!known_key(b->kv[i].key))
			fprintf(f, "%-16s%lld\n", b->kv[i].key, b->kv[i].value);
	print_pools(f, s);
}

void tool_stat_header(FILE *f)
{
	fprintf(f, "%-8s %6s %6s %9s %9s %8s %12s %12s %10s\n", "time", "conns",
		"subs", "in/s", "out/s", "drops/s", "published", "delivered",
		"dropped");
}

/* (cur - prev - own) per second, rounded; never negative. */
static long long rate(const struct tool_stats *prev,
		      const struct tool_stats *cur, const char *key,
		      long long elapsed_ms, long long own)
{
	long long d = tool_stats_get(&cur->broker, key, NULL) -
		      tool_stats_get(&prev->broker, key, NULL) - own;

	if (d <= 0 || elapsed_ms <= 0)
		return 0;
	return (d * 1000 + elapsed_ms / 2) / elapsed_ms;
}

void tool_stat_rates(FILE *f, const struct tool_stats *prev,
		     const struct tool_stats *cur, long long elapsed_ms,
		     long long own_answers)
{
	const struct tool_stats_obj *b = &cur->broker;
	time_t now = time(NULL);
	struct tm tm;
	char hms[16];

	localtime_r(&now, &tm);
	strftime(hms, sizeof hms, "%H:%M:%S", &tm);
	fprintf(f, "%-8s %6lld %6lld %9lld %9lld %8lld %12lld %12lld %10lld\n",
		hms, tool_stats_get(b, "connections", NULL),
		tool_stats_get(b, "subscriptions", NULL),
		rate(prev, cur, "published", elapsed_ms, own_answers),
		rate(prev, cur, "delivered", elapsed_ms, own_answers),
		rate(prev, cur, "dropped", elapsed_ms, 0),
		tool_stats_get(b, "published", NULL),
		tool_stats_get(b, "delivered", NULL),
		tool_stats_get(b, "dropped", NULL));
}
