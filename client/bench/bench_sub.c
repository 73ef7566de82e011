/*
 * bench_sub.c - subscribers (count, check sequence numbers, record
 * latency) and responders (echo each request to its reply-to).
 */
#include "config.h"

#include "bench_run.h"

static void sub_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct bench_client *k = arg;
	const struct bench_cfg *cfg = k->b->cfg;

	(void)c;
	if (k->b->phase == BENCH_DONE)
		return;
	bench_count_msg(k, bc_msg_data(m), bc_msg_len(m), 1, cfg->rate > 0);
}

/* Echo the request.  A full output buffer loses the answer, which the
 * requester then counts as failed when its wait times out. */
static void resp_msg(bc_client *c, const bc_msg *m, void *arg)
{
	struct bench_client *k = arg;
	int rc;

	if (k->b->phase == BENCH_DONE)
		return;
	k->received++;
	k->bytes += bc_msg_len(m);
	rc = bc_respond(c, m, bc_msg_data(m), bc_msg_len(m));
	if (rc != BC_OK && rc != BC_ERR_WOULDBLOCK && rc != BC_ERR_INVALID)
		bench_fail(k->b, "responder %u: %s", k->idx, bc_strerror(rc));
}

static void sync_acked(bc_client *c, int err, void *arg)
{
	struct bench_client *k = arg;

	(void)c;
	if (k->b->phase == BENCH_DONE)
		return;
	if (err != BC_OK) {
		bench_fail(k->b,
			   "subscriber %u: subscription not confirmed: %s",
			   k->idx, bc_strerror(err));
		return;
	}
	bench_synced(k);
}

void bench_sub_start(struct bench_client *k)
{
	const struct bench_cfg *cfg = k->b->cfg;
	bc_msg_cb cb = k->role == BENCH_RESP ? resp_msg : sub_msg;
	int rc = bc_subscribe(k->c, cfg->topic, cfg->queue, cb, k, NULL);

	if (rc == BC_OK)
		rc = bc_publish_ex(k->c, BENCH_SYNC_TOPIC, NULL, 0, NULL,
				   sync_acked, k);
	if (rc != BC_OK)
		bench_fail(k->b,
			   "subscriber %u: cannot subscribe to '%s'%s%s: %s",
			   k->idx, cfg->topic, cfg->queue ? " in queue " : "",
			   cfg->queue ? cfg->queue : "", bc_strerror(rc));
}
