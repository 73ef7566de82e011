/* router.c - see router.h. */
#include "config.h"

#include "router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "conn.h"
#include "msgtail.h"
#include "trie.h"

struct router {
	struct trie *trie;
	struct trie_result res; /* reused by every publish */
	const struct log *log;
	struct broker_stats *stats;
	router_interest_fn hook;
	void *hook_arg;
	router_sub_fn link_sub;	    /* NULL: no link */
	router_forward_fn link_fwd; /* NULL: no link */
	void *link_arg;
	size_t nfiltered; /* linked subscriptions with ts.filtered set */
};

struct router *router_new(const struct log *lg, struct broker_stats *stats)
{
	struct router *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->trie = trie_new();
	if (!r->trie) {
		free(r);
		return NULL;
	}
	trie_result_init(&r->res);
	r->log = lg;
	r->stats = stats;
	return r;
}

void router_free(struct router *r)
{
	if (!r)
		return;
	trie_result_free(&r->res);
	trie_free(r->trie);
	free(r);
}

void router_set_interest_hook(struct router *r, router_interest_fn fn,
			      void *arg)
{
	r->hook = fn;
	r->hook_arg = arg;
}

void router_set_link(struct router *r, router_sub_fn sub,
		     router_forward_fn forward, void *arg)
{
	r->link_sub = sub;
	r->link_fwd = forward;
	r->link_arg = arg;
}

static void interest_changed(struct router *r, const struct sub *s, int present)
{
	log_msg(r->log, LOG_LEVEL_DEBUG, "router: %s subscription on '%s'",
		present ? "first" : "no more", s->pattern);
	if (r->hook)
		r->hook(r->hook_arg, s->pattern, sub_pattern_len(s), present);
}

int router_subscribe(struct router *r, struct sub *s)
{
	int rc = trie_add(r->trie, s->pattern, sub_pattern_len(s), &s->ts);

	if (rc < 0)
		return -1;
	r->nfiltered += s->ts.filtered;
	if (rc == 1)
		interest_changed(r, s, 1);
	if (r->link_sub)
		r->link_sub(r->link_arg, s->pattern, sub_pattern_len(s),
			    s->ts.queue, 1);
	return 0;
}

void router_unsubscribe(struct router *r, struct sub *s)
{
	size_t len = sub_pattern_len(s);
	/* the record's own copy (subs.h): the interned one may go */
	const char *queue = s->ts.queue ? s->pattern + len + 1 : NULL;
	int rc = trie_remove(r->trie, s->pattern, len, &s->ts);

	if (rc >= 0)
		r->nfiltered -= s->ts.filtered;
	if (rc == 1)
		interest_changed(r, s, 0);
	if (rc >= 0 && r->link_sub)
		r->link_sub(r->link_arg, s->pattern, len, queue, 0);
}

void router_set_filtered(struct router *r, struct sub *s, int filtered)
{
	r->nfiltered -= s->ts.filtered;
	s->ts.filtered = filtered != 0;
	r->nfiltered += s->ts.filtered;
}

size_t router_count(const struct router *r)
{
	return trie_count(r->trie);
}

const struct trie *router_trie(const struct router *r)
{
	return r->trie;
}

/* May ts have this topic?  Only a filtered subscription (its rules allow
 * some of its topics, authz.h) asks; topic NULL: the router holds none. */
static int may_receive(const struct trie_sub *ts, const struct proto_str *topic)
{
	return !topic || !ts->filtered || authz_may_receive(ts->owner, *topic);
}

/* Queue the MSG for one subscription: its own head, the shared tail
 * (*tail may become a heap copy, see conn_send_msg).  Returns 1 when
 * queued, 0 when dropped. */
static int deliver(struct msg_tail **tail, const struct trie_sub *ts)
{
	uint8_t head[PROTO_MSG_HEAD_MAX];
	size_t hlen = proto_enc_msg_head(head, sizeof head, ts->sid,
					 (*tail)->len);

	if (hlen == 0)
		return 0;
	return conn_send_msg(ts->owner, head, hlen, tail) == 0;
}

/* Is a member's connection over its high-water mark (half its bound)? */
static int over_high_water(const struct conn *c, size_t pending)
{
	return pending > outbound_max_bytes(c) / 2;
}

/* One member of a queue group: among the members under their high-water
 * mark, the one with the fewest bytes waiting; if every member is over,
 * the one with the fewest bytes waiting (its policy then applies).  A
 * filtered member whose rules deny the topic is passed over; NULL when
 * every member is.  Ties
 * are broken by a rotating start so equally idle members take turns; the
 * rotation is the group's own (trie_sub_group, shared by its members):
 * one counter for all groups would step once per group per publish and
 * leave a group of two always starting on the same member next to
 * another group of two (issue #13). */
static const struct trie_sub *pick_member(struct trie_sub *const *m, size_t n,
					  const struct proto_str *topic)
{
	size_t start = (size_t)(trie_sub_group(m[0])->turn++ % n);
	size_t best = n, best_pending = SIZE_MAX;
	size_t any = n, any_pending = SIZE_MAX;

	for (size_t k = 0; k < n; k++) {
		size_t i = (start + k) % n;
		size_t pending;

		if (!may_receive(m[i], topic))
			continue;
		pending = conn_out_pending(m[i]->owner);
		if (pending < any_pending) {
			any = i;
			any_pending = pending;
		}
		if (pending < best_pending &&
		    !over_high_water(m[i]->owner, pending)) {
			best = i;
			best_pending = pending;
		}
		if (pending == 0)
			break; /* nobody beats an idle member */
	}
	if (best < n)
		return m[best];
	return any < n ? m[any] : NULL;
}

/* Which subscriptions a publish is for (see struct router_origin). */
struct fan_filter {
	const char *pattern; /* plain ones on this pattern only */
	const char *group;   /* this group only */
	int plain, groups;   /* serve plain subscriptions, queue groups */
};

static int plain_wanted(const struct fan_filter *f, const struct trie_sub *ts)
{
	return !f->pattern ||
	       strcmp(((const struct sub *)(const void *)ts)->pattern,
		      f->pattern) == 0;
}

static int group_wanted(const struct fan_filter *f, const struct trie_sub *ts)
{
	return !f->group || strcmp(ts->queue, f->group) == 0;
}

/* One member of group g of the last match.  check: the topic filtered
 * members are asked about, NULL when the router holds none (router_publish).
 */
static long deliver_group(struct router *r, struct msg_tail **tail, size_t g,
			  const struct proto_str *check)
{
	const struct trie_result *res = &r->res;
	size_t from = res->group_start[g];
	size_t to = g + 1 < res->ngroups ? res->group_start[g + 1]
					 : res->nqueued;

	const struct trie_sub *ts;

	if (to <= from)
		return 0;
	ts = pick_member(&res->queued[from], to - from, check);
	return ts ? deliver(tail, ts) : 0;
}

/* Every matching subscription: the path of a publish when no link is
 * installed (unchanged by federation).  check as for deliver_group. */
static long fan_out(struct router *r, struct msg_tail **tail,
		    const struct proto_str *check)
{
	const struct trie_result *res = &r->res;
	long n = 0;

	if (!check) {
		for (size_t i = 0; i < res->nplain; i++)
			n += deliver(tail, res->plain[i]);
	} else {
		for (size_t i = 0; i < res->nplain; i++)
			if (may_receive(res->plain[i], check))
				n += deliver(tail, res->plain[i]);
	}
	for (size_t g = 0; g < res->ngroups; g++)
		n += deliver_group(r, tail, g, check);
	return n;
}

/* The subscriptions f selects (check as for deliver_group). */
static long fan_out_filtered(struct router *r, struct msg_tail **tail,
			     const struct fan_filter *f,
			     const struct proto_str *check)
{
	const struct trie_result *res = &r->res;
	long n = 0;

	for (size_t i = 0; f->plain && i < res->nplain; i++)
		if (plain_wanted(f, res->plain[i]) &&
		    may_receive(res->plain[i], check))
			n += deliver(tail, res->plain[i]);
	for (size_t g = 0; f->groups && g < res->ngroups; g++)
		if (res->group_start[g] < res->nqueued &&
		    group_wanted(f, res->queued[res->group_start[g]]))
			n += deliver_group(r, tail, g, check);
	return n;
}

/* A local client's publish is offered to the link (1: it took it, and
 * with it the queue groups). */
static int offer(struct router *r, const struct router_origin *origin,
		 struct proto_str topic, struct proto_str reply_to,
		 struct proto_str payload)
{
	return origin->kind == ROUTER_ORIGIN_CLIENT && r->link_fwd &&
	       r->link_fwd(r->link_arg, topic, reply_to, payload);
}

/* Fan out to what origin selects (struct router_origin; check as for
 * deliver_group). */
static long fan_out_for(struct router *r, const struct router_origin *origin,
			int forwarded, struct msg_tail **tail,
			const struct proto_str *check)
{
	struct fan_filter f = { NULL, NULL, 1, !forwarded };

	if (origin->kind != ROUTER_ORIGIN_CLIENT &&
	    (origin->only_pattern || origin->only_group)) {
		f.pattern = origin->only_pattern;
		f.group = origin->only_group;
		f.plain = origin->only_pattern != NULL;
		f.groups = origin->only_group != NULL;
	}
	return fan_out_filtered(r, tail, &f, check);
}

long router_publish(struct router *r, const struct router_origin *origin,
		    struct proto_str topic, struct proto_str reply_to,
		    struct proto_str payload)
{
	uint8_t local_buf[MSG_TAIL_COPY_MAX];
	struct msg_tail local, *tail;
	const struct proto_str *check;
	int forwarded = 0;
	int filtered = r->link_fwd || origin->only_pattern ||
		       origin->only_group;
	long n = 0;

	if (trie_match(r->trie, topic.ptr, topic.len, &r->res) != 0)
		return -1;
	if (filtered)
		forwarded = offer(r, origin, topic, reply_to, payload);
	if (r->res.nplain > 0 || r->res.nqueued > 0) {
		tail = msg_tail_build(&local, local_buf, topic, reply_to,
				      payload);
		if (!tail)
			return -1;
		/* filtered subscriptions are asked about the topic only
		 * while the router holds some */
		check = r->nfiltered ? &topic : NULL;
		n = filtered ? fan_out_for(r, origin, forwarded, &tail, check)
			     : fan_out(r, &tail, check);
		msg_tail_release(tail); /* a heap copy, if one was made */
	}
	r->stats->published++;
	/* Once per publish, not per subscriber: n is how many took it. */
	r->stats->payload_in += payload.len;
	r->stats->payload_out += (uint64_t)payload.len * (uint64_t)n;
	if (log_enabled(r->log, LOG_LEVEL_DEBUG))
		log_msg(r->log, LOG_LEVEL_DEBUG,
			"router: %s %llu published '%.*s' (%u bytes) to %ld",
			origin->kind == ROUTER_ORIGIN_CLIENT ? "client"
							     : "link",
			(unsigned long long)origin->id, (int)topic.len,
			topic.ptr, payload.len, n);
	return n + forwarded;
}
