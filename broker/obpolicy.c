/* obpolicy.c - see obpolicy.h. */
#include "config.h"

#include "obpolicy.h"

#include "proto.h"

uint64_t obpolicy_window(uint64_t max_bytes)
{
	uint64_t half = max_bytes / 2;

	return half < OUTBOUND_WINDOW ? half : OUTBOUND_WINDOW;
}

static int over(const struct ob_limits *lim, const struct ob_load *ld,
		uint64_t cost)
{
	uint64_t pending = ld->out_len + ld->q_bytes;

	return (pending > 0 && pending + cost > lim->max_bytes) ||
	       ld->q_len >= lim->max_msgs;
}

static enum ob_verdict place(const struct ob_limits *lim,
			      const struct ob_load *ld)
{
	if (ld->q_len == 0 && ld->out_len < obpolicy_window(lim->max_bytes))
		return OB_DIRECT;
	return OB_QUEUE;
}

int obpolicy_hold(const struct ob_limits *lim, const struct ob_load *ld,
		  uint64_t cost)
{
	uint64_t pending = ld->out_len + ld->q_bytes;

	return (pending > 0 && pending + cost > lim->max_bytes / 2) ||
	       ld->q_len >= lim->max_msgs / 2;
}

int obpolicy_resume(const struct ob_limits *lim, const struct ob_load *ld)
{
	return ld->out_len + ld->q_bytes <= lim->max_bytes / 4 &&
	       ld->q_len <= lim->max_msgs / 4;
}

enum ob_verdict obpolicy_decide(const struct ob_limits *lim,
				const struct ob_load *ld, uint64_t cost)
{
	if (lim->policy == PROTO_POLICY_BLOCK)
		return place(lim, ld);  /* never dropped: the publisher waits */
	if (over(lim, ld, cost)) {
		if (lim->policy == PROTO_POLICY_DISCONNECT)
			return OB_CUT;
		if (lim->policy == PROTO_POLICY_DROP_OLDEST && ld->q_len > 0)
			return OB_DROP_OLDEST;
		return OB_DROP_NEW;
	}
	if (ld->out_len + ld->q_bytes > 0 && cost > lim->budget_left)
		return OB_DROP_BUDGET;
	return place(lim, ld);
}
