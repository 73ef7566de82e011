/* obpolicy.c - see obpolicy.h. */
#include "config.h"

#include "obpolicy.h"

#include "proto.h"

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
