/*
 * tool_stats.h - broker-stat's reader of the $SYS.REQ.STATS answer
 * (PROTOCOL.md "$SYS topics"): {"broker": {...}, "pools": {"NAME":
 * {...}, ...}}.  The whole text must be valid JSON (RFC 8259, nesting at
 * most TOOL_STATS_MAX_DEPTH); numbers and booleans of the broker and of
 * each pool are kept by key, everything else is checked and skipped, so
 * keys a later broker adds are read too.  No allocation: the caller owns
 * the struct tool_stats (it is large: allocate it).
 */
#ifndef TOOL_STATS_H
#define TOOL_STATS_H

#include <stddef.h>

#define TOOL_STATS_MAX_KEYS 64	/* per object; more are ignored */
#define TOOL_STATS_MAX_POOLS 32 /* more are counted, not kept */
#define TOOL_STATS_KEY_LEN 48	/* longer keys are ignored */
#define TOOL_STATS_MAX_DEPTH 32

struct tool_stats_obj {
	char name[TOOL_STATS_KEY_LEN]; /* pool name; "" for the broker */
	int nkeys;
	struct {
		char key[TOOL_STATS_KEY_LEN];
		long long value; /* true 1, false 0, fractions cut */
	} kv[TOOL_STATS_MAX_KEYS];
};

struct tool_stats {
	struct tool_stats_obj broker;
	struct tool_stats_obj pools[TOOL_STATS_MAX_POOLS];
	int npools;	 /* kept, in the answer's order */
	int pools_seen;	 /* in the answer (> npools when some were not kept) */
	int have_broker; /* the answer had a "broker" object */
};

/* Read text[0..len) into *s.  0, or -1 with the reason in why[0..cap)
 * when it is not JSON or has no "broker" object. */
int tool_stats_parse(const char *text, size_t len, struct tool_stats *s,
		     char *why, size_t cap);

/* The value of key in o; 0 and *found 0 when it is absent (found may be
 * NULL). */
long long tool_stats_get(const struct tool_stats_obj *o, const char *key,
			 int *found);

#endif
