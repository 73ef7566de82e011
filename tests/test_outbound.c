/*
 * test_outbound.c - the outbound policy (broker/obpolicy.h) on its own:
 * every policy at the byte bound, the message bound, the pool budget, the
 * output window, and the edges (a lone message over the bound, a zero
 * message bound, an exhausted budget with nothing pending).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "msgtail.h"
#include "obpolicy.h"
#include "outq.h"
#include "proto.h"

#define KB 1024u

/* A 64 KiB bound, 100 messages, plenty of budget. */
static struct ob_limits limits(enum proto_policy p)
{
	struct ob_limits l = { .max_bytes = 64 * KB,
			       .max_msgs = 100,
			       .budget_left = UINT64_MAX,
			       .policy = (uint8_t)p };
	return l;
}

static struct ob_load load(uint64_t out_len, uint64_t q_bytes, uint64_t q_len)
{
	struct ob_load ld = { .out_len = out_len,
			      .q_bytes = q_bytes,
			      .q_len = q_len };
	return ld;
}

START_TEST(test_idle_goes_direct)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_NEWEST);
	struct ob_load ld = load(0, 0, 0);

	ck_assert_int_eq(obpolicy_decide(&l, &ld, 200), OB_DIRECT);
}
END_TEST

START_TEST(test_window)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_NEWEST);
	struct ob_load under = load(32 * KB - 1, 0, 0);
	struct ob_load at = load(32 * KB, 0, 0);

	/* the window is half the bound when that is under OUTBOUND_WINDOW */
	ck_assert_uint_eq(obpolicy_window(64 * KB), 32 * KB);
	ck_assert_uint_eq(obpolicy_window(UINT64_MAX), OUTBOUND_WINDOW);
	ck_assert_int_eq(obpolicy_decide(&l, &under, 200), OB_DIRECT);
	ck_assert_int_eq(obpolicy_decide(&l, &at, 200), OB_QUEUE);
}
END_TEST

START_TEST(test_queue_keeps_order)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_NEWEST);
	struct ob_load ld = load(0, 300, 1);

	/* one message waits: the next must not overtake it */
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 200), OB_QUEUE);
}
END_TEST

/* Exactly at the bound still fits, one byte more does not. */
START_TEST(test_byte_bound_each_policy)
{
	static const struct {
		enum proto_policy p;
		uint64_t q_len;
		enum ob_verdict over;
	} cases[] = {
		{ PROTO_POLICY_DROP_NEWEST, 1, OB_DROP_NEW },
		{ PROTO_POLICY_DROP_OLDEST, 1, OB_DROP_OLDEST },
		{ PROTO_POLICY_DROP_OLDEST, 0, OB_DROP_NEW },
		{ PROTO_POLICY_DISCONNECT, 1, OB_CUT },
		{ PROTO_POLICY_DISCONNECT, 0, OB_CUT },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ob_limits l = limits(cases[i].p);
		uint64_t q = cases[i].q_len ? 30 * KB : 0;
		struct ob_load ld = load(64 * KB - q - 1000, q, cases[i].q_len);

		/* the output is past the window: what fits is queued */
		ck_assert_int_eq(obpolicy_decide(&l, &ld, 1000), OB_QUEUE);
		ck_assert_int_eq(obpolicy_decide(&l, &ld, 1001), cases[i].over);
	}
}
END_TEST

START_TEST(test_lone_message_over_bound_goes)
{
	struct ob_limits l = limits(PROTO_POLICY_DISCONNECT);
	struct ob_load ld = load(0, 0, 0);

	/* nothing pending: a message larger than the bound is not stuck */
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 1024 * KB), OB_DIRECT);
}
END_TEST

START_TEST(test_msgs_bound)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_OLDEST);
	struct ob_load below = load(40 * KB, 1000, 99);
	struct ob_load at = load(40 * KB, 1000, 100);

	ck_assert_int_eq(obpolicy_decide(&l, &below, 10), OB_QUEUE);
	ck_assert_int_eq(obpolicy_decide(&l, &at, 10), OB_DROP_OLDEST);
	l.policy = PROTO_POLICY_DROP_NEWEST;
	ck_assert_int_eq(obpolicy_decide(&l, &at, 10), OB_DROP_NEW);
	l.policy = PROTO_POLICY_DISCONNECT;
	ck_assert_int_eq(obpolicy_decide(&l, &at, 10), OB_CUT);
}
END_TEST

START_TEST(test_zero_msgs_bound_drops_all)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_NEWEST);
	struct ob_load ld = load(0, 0, 0);

	l.max_msgs = 0;
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 10), OB_DROP_NEW);
}
END_TEST

START_TEST(test_budget)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_OLDEST);
	struct ob_load busy = load(1000, 0, 0);
	struct ob_load idle = load(0, 0, 0);

	l.budget_left = 500;
	ck_assert_int_eq(obpolicy_decide(&l, &busy, 500), OB_DIRECT);
	ck_assert_int_eq(obpolicy_decide(&l, &busy, 501), OB_DROP_BUDGET);
	/* a connection with nothing pending always gets one message */
	l.budget_left = 0;
	ck_assert_int_eq(obpolicy_decide(&l, &idle, 501), OB_DIRECT);
	ck_assert_int_eq(obpolicy_decide(&l, &busy, 1), OB_DROP_BUDGET);
}
END_TEST

/* The bound is checked before the budget: a connection over its own bound
 * is handled by its policy, not counted as a budget drop. */
START_TEST(test_bound_before_budget)
{
	struct ob_limits l = limits(PROTO_POLICY_DISCONNECT);
	struct ob_load ld = load(64 * KB, 0, 0);

	l.budget_left = 0;
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 100), OB_CUT);
}
END_TEST

/* Dropping the oldest until the verdict changes makes room: the caller's
 * loop ends with the new message queued. */
START_TEST(test_drop_oldest_makes_room)
{
	struct ob_limits l = limits(PROTO_POLICY_DROP_OLDEST);
	struct ob_load ld = load(32 * KB, 32 * KB, 32);
	enum ob_verdict v;
	int rounds = 0;

	while ((v = obpolicy_decide(&l, &ld, 2 * KB)) == OB_DROP_OLDEST &&
	       rounds < 100) {
		ld.q_bytes -= KB; /* each queued message costs 1 KiB */
		ld.q_len--;
		rounds++;
	}
	ck_assert_int_eq(v, OB_QUEUE);
	ck_assert_int_eq(rounds, 2);
}
END_TEST

/* A heap tail of n bytes, all v. */
static struct msg_tail *heap_tail(size_t n, uint8_t v)
{
	uint8_t buf[64];
	struct msg_tail src = { .len = n, .data = buf };

	ck_assert_uint_le(n, sizeof buf);
	memset(buf, v, n);
	return msg_tail_to_heap(&src);
}

/* Queue a heap tail of n bytes v behind a 1-byte head; the queue keeps
 * its own copy or reference, the caller's is released here. */
static int push_tail(struct outq *q, const uint8_t *head, size_t n, uint8_t v,
		     size_t max)
{
	struct msg_tail *t = heap_tail(n, v);
	int rc = outq_push(q, head, 1, t, max);

	msg_tail_release(t);
	return rc;
}

/* Answers queued behind MSGs keep their place: drop-oldest skips them,
 * they are not messages for the bound, and the pump emits them in order;
 * a closing connection's discard keeps them and drops the messages. */
START_TEST(test_outq_control_entries)
{
	struct evbuffer *out = evbuffer_new();
	const uint8_t head[1] = { 'h' }, ok[3] = { 'O', 'K', '1' };
	struct msg_tail *refused;
	uint8_t got[64];
	struct outq q;

	outq_init(&q);
	ck_assert_int_eq(push_tail(&q, head, 2, 'a', 2), 0);
	ck_assert_int_eq(outq_push_ctl(&q, ok, sizeof ok), 0);
	ck_assert_int_eq(push_tail(&q, head, 2, 'b', 2), 0);
	ck_assert_uint_eq(outq_len(&q), 2); /* messages only */
	ck_assert_uint_eq(outq_entries(&q), 3);
	ck_assert_uint_eq(outq_ctl_bytes(&q), outq_cost(3));
	refused = heap_tail(2, 'c'); /* over the bound: still ours */
	ck_assert_int_eq(outq_push(&q, head, 1, refused, 2), -1);
	ck_assert_uint_eq(refused->refs, 1);
	msg_tail_release(refused);
	ck_assert_int_eq(outq_push_ctl(&q, ok, sizeof ok), 0); /* no bound */
	ck_assert_int_eq(outq_drop_oldest(&q), 1);	       /* 'a' */
	ck_assert_int_eq(outq_drop_oldest(&q), 1); /* 'b', past the OK */
	ck_assert_int_eq(outq_drop_oldest(&q), 0); /* only answers left */
	ck_assert_uint_eq(outq_entries(&q), 2);
	ck_assert_uint_eq(outq_bytes(&q), 2 * outq_cost(3));
	ck_assert_int_eq(push_tail(&q, head, 2, 'd', 2), 0);
	ck_assert_int_eq(outq_pump(&q, out, 1 << 20), 3);
	ck_assert_uint_eq(evbuffer_get_length(out), 9);
	evbuffer_remove(out, got, sizeof got);
	ck_assert_int_eq(memcmp(got, "OK1OK1hdd", 9), 0);

	ck_assert_int_eq(push_tail(&q, head, 2, 'e', 2), 0);
	ck_assert_int_eq(outq_push_ctl(&q, ok, sizeof ok), 0);
	ck_assert_uint_eq(outq_discard_msgs(&q, out), 1);
	ck_assert_uint_eq(outq_entries(&q), 0);
	ck_assert_uint_eq(outq_bytes(&q), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 3);
	outq_free(&q);
	evbuffer_free(out);
}
END_TEST

/* The byte blocks: thousands of small messages (several blocks, up to
 * the mapped 2 MiB ones) among large referenced tails, some dropped from
 * the front, pushes between pumps (the spare reused): the output holds
 * every message left, in order, byte for byte, and a drained queue keeps
 * no large block. */
#define BLK_N 6000u
#define BLK_LARGE 3000u

static size_t blk_len(unsigned i)
{
	return i % 97 == 0 ? BLK_LARGE : 1 + (i * 37u) % 2000u;
}

static void blk_push(struct outq *q, unsigned i)
{
	static uint8_t buf[BLK_LARGE];
	uint8_t head[2] = { (uint8_t)(i >> 8), (uint8_t)i };
	struct msg_tail src = { .len = blk_len(i), .data = buf };
	struct msg_tail *t = &src;

	memset(buf, (int)(i & 0xff), src.len);
	if (src.len >= MSG_TAIL_COPY_MAX) /* large tails are heap tails */
		t = msg_tail_to_heap(&src);
	ck_assert_int_eq(outq_push(q, head, 2, t, BLK_N), 0);
	if (t != &src) {
		ck_assert_uint_eq(t->refs, 2); /* the queue's own */
		msg_tail_release(t);
	}
}

/* Check the output's frames against messages *next.. and drain it. */
static void blk_check(struct evbuffer *out, unsigned *next)
{
	static uint8_t got[2 + BLK_LARGE], want[2 + BLK_LARGE];

	while (evbuffer_get_length(out) > 0) {
		size_t len = 2 + blk_len(*next);

		ck_assert_uint_ge(evbuffer_get_length(out), len);
		evbuffer_remove(out, got, len);
		want[0] = (uint8_t)(*next >> 8);
		memset(want + 1, (int)(*next & 0xff), len - 1);
		ck_assert_int_eq(memcmp(got, want, len), 0);
		(*next)++;
	}
}

START_TEST(test_outq_blocks_fifo)
{
	struct evbuffer *out = evbuffer_new();
	unsigned next = 100, i;
	struct outq q;

	outq_init(&q);
	for (i = 0; i < BLK_N / 2; i++)
		blk_push(&q, i);
	for (unsigned k = 0; k < 100; k++)
		ck_assert_int_eq(outq_drop_oldest(&q), 1);
	ck_assert_uint_eq(outq_len(&q), BLK_N / 2 - 100);
	while (outq_len(&q) > BLK_N / 4) {
		ck_assert_int_ge(outq_pump(&q, out, 64 * 1024), 1);
		blk_check(out, &next);
	}
	for (; i < BLK_N; i++)
		blk_push(&q, i);
	while (outq_len(&q) > 0) {
		ck_assert_int_ge(outq_pump(&q, out, 64 * 1024), 1);
		blk_check(out, &next);
	}
	ck_assert_uint_eq(next, BLK_N);
	ck_assert_uint_eq(outq_bytes(&q), 0);
	ck_assert_ptr_null(q.bfirst); /* the last block was over the keep */
	for (i = 0; i < 10; i++)      /* a small backlog again: one block */
		blk_push(&q, i + 1);
	ck_assert_ptr_eq(q.bfirst, q.blast);
	ck_assert_uint_eq(outq_discard_msgs(&q, out), 10);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_ptr_nonnull(q.bfirst); /* small: kept for the next one */
	outq_free(&q);
	evbuffer_free(out);
}
END_TEST

/* block never drops: over every bound the message is still placed, and
 * obpolicy_hold asks the publisher to pause. */
START_TEST(test_block_never_drops)
{
	struct ob_limits l = limits(PROTO_POLICY_BLOCK);
	struct ob_load ld = load(32 * KB, 40 * KB, 100);

	l.budget_left = 0;
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 2 * KB), OB_QUEUE);
	ld = load(0, 0, 0);
	ck_assert_int_eq(obpolicy_decide(&l, &ld, 2 * KB), OB_DIRECT);
}
END_TEST

/* Hold over the high-water mark (half the byte or message bound),
 * resume under a quarter of both. */
START_TEST(test_block_hold_and_resume)
{
	struct ob_limits l = limits(PROTO_POLICY_BLOCK);
	struct ob_load ld = load(16 * KB, 15 * KB, 10);

	ck_assert_int_eq(obpolicy_hold(&l, &ld, 512), 0);
	ck_assert_int_eq(obpolicy_hold(&l, &ld, 2 * KB), 1); /* bytes */
	ld = load(0, 0, 0);
	ck_assert_int_eq(obpolicy_hold(&l, &ld, 100 * KB), 0); /* lone one */
	ld = load(1, 1, 50);
	ck_assert_int_eq(obpolicy_hold(&l, &ld, 1), 1); /* messages */
	ck_assert_int_eq(obpolicy_resume(&l, &ld), 0);
	ld = load(8 * KB, 8 * KB, 25);
	ck_assert_int_eq(obpolicy_resume(&l, &ld), 1);
	ld = load(8 * KB, 8 * KB + 1, 25);
	ck_assert_int_eq(obpolicy_resume(&l, &ld), 0);
	ld = load(0, 0, 26);
	ck_assert_int_eq(obpolicy_resume(&l, &ld), 0);
}
END_TEST

static Suite *outbound_suite(void)
{
	Suite *s = suite_create("outbound");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_outq_control_entries);
	tcase_add_test(tc, test_outq_blocks_fifo);
	tcase_add_test(tc, test_block_never_drops);
	tcase_add_test(tc, test_block_hold_and_resume);
	tcase_add_test(tc, test_idle_goes_direct);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_queue_keeps_order);
	tcase_add_test(tc, test_byte_bound_each_policy);
	tcase_add_test(tc, test_lone_message_over_bound_goes);
	tcase_add_test(tc, test_msgs_bound);
	tcase_add_test(tc, test_zero_msgs_bound_drops_all);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_bound_before_budget);
	tcase_add_test(tc, test_drop_oldest_makes_room);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(outbound_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
