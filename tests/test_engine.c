/* test_engine.c - the federation engine's pure parts (issue #15): the
 * link's breaker (engine_breaker.h), the interest table
 * (engine_interest.h) and the bounded queue between threads
 * (engine_queue.h).  Built with or without libnats. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_breaker.h"
#include "engine_interest.h"
#include "engine_queue.h"

START_TEST(breaker_waits_for_the_link)
{
	struct breaker b;

	engine_breaker_init(&b, 3, 100);
	ck_assert_int_eq(breaker_allow(&b, 0), 0); /* link not up */
	engine_breaker_link(&b, 1, 1000);
	/* connected: the handshake was the trial, a burst goes through */
	ck_assert_int_eq(breaker_poll(&b, 1000), BREAKER_CLOSED);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(breaker_allow(&b, 1000), 1);
}
END_TEST

START_TEST(breaker_opens_on_link_loss_and_failures)
{
	struct breaker b;

	engine_breaker_init(&b, 3, 100);
	engine_breaker_link(&b, 1, 0);
	breaker_allow(&b, 0);
	engine_breaker_record(&b, 1, 0, 1, 0);
	engine_breaker_link(&b, 0, 10);
	ck_assert_int_eq(breaker_allow(&b, 500), 0); /* link down */
	ck_assert_uint_eq(b.opened, 1);
	engine_breaker_link(&b, 1, 600);
	ck_assert_int_eq(breaker_allow(&b, 600), 1);
	/* two failures do not open it, the third does */
	engine_breaker_record(&b, 0, 2, 0, 700);
	ck_assert_int_eq(breaker_poll(&b, 700), BREAKER_CLOSED);
	engine_breaker_record(&b, 0, 1, 0, 701);
	ck_assert_int_eq(breaker_poll(&b, 701), BREAKER_OPEN);
	ck_assert_int_eq(breaker_allow(&b, 750), 0); /* cooling */
	ck_assert_int_eq(breaker_allow(&b, 801), 1); /* the trial */
	ck_assert_int_eq(breaker_allow(&b, 801), 0); /* one only */
	engine_breaker_record(&b, 0, 1, 0, 802);     /* fails */
	ck_assert_int_eq(breaker_poll(&b, 802), BREAKER_OPEN);
	ck_assert_uint_eq(b.opened, 3);
	ck_assert_str_eq(breaker_name(BREAKER_HALF_OPEN), "half-open");
}
END_TEST

START_TEST(interest_counts_pattern_and_group)
{
	struct engine_interests t;
	struct engine_interest *e, *plain;
	int first;

	engine_interests_init(&t, 42);
	plain = engine_interests_ref(&t, "a.*", 3, NULL, &first);
	ck_assert_int_eq(first, 1);
	e = engine_interests_ref(&t, "a.*x", 3, NULL, &first); /* len 3 */
	ck_assert_ptr_eq(e, plain);
	ck_assert_int_eq(first, 0);
	e = engine_interests_ref(&t, "a.*", 3, "g", &first);
	ck_assert_ptr_ne(e, plain); /* a group is its own interest */
	ck_assert_int_eq(first, 1);
	ck_assert_str_eq(engine_interest_pattern(e), "a.*");
	ck_assert_str_eq(engine_interest_queue(e), "g");
	ck_assert_uint_eq(engine_interests_count(&t), 2);
	ck_assert_ptr_null(engine_interests_unref(&t, "a.*", 3, NULL));
	e = engine_interests_unref(&t, "a.*", 3, NULL); /* the last */
	ck_assert_ptr_eq(e, plain);
	free(e);
	ck_assert_ptr_null(engine_interests_unref(&t, "a.*", 3, NULL));
	ck_assert_uint_eq(engine_interests_count(&t), 1);
	engine_interests_free(&t); /* frees the group's record */
}
END_TEST

static struct engine_msg *msg(const char *topic, size_t payload)
{
	static const char zeros[256];

	return engine_msg_new(ENGINE_MSG_PUB, topic, strlen(topic), "r", 1,
			      "tag", 3, zeros, payload);
}

START_TEST(queue_keeps_order_and_bounds)
{
	struct engine_queue q;
	struct engine_msg *m, *list, *next;
	uint64_t passed, dropped;
	size_t held;
	int more;

	ck_assert_int_eq(engine_queue_init(&q, 3, 100000), 0);
	m = msg("t1", 10);
	ck_assert_str_eq(engine_msg_topic(m), "t1");
	ck_assert_str_eq(engine_msg_reply(m), "r");
	ck_assert_str_eq(engine_msg_tag(m), "tag");
	ck_assert_int_eq(engine_queue_push(&q, m), 1); /* was empty */
	ck_assert_int_eq(engine_queue_push(&q, msg("t2", 10)), 0);
	ck_assert_int_eq(engine_queue_push(&q, msg("t3", 10)), 0);
	m = msg("t4", 10);
	ck_assert_int_eq(engine_queue_push(&q, m), -1); /* count bound */
	free(m);
	list = engine_queue_take(&q, 2, &more);
	ck_assert_int_eq(more, 1);
	ck_assert_str_eq(engine_msg_topic(list), "t1");
	ck_assert_str_eq(engine_msg_topic(list->next), "t2");
	ck_assert_ptr_null(list->next->next);
	for (; list; list = next) {
		next = list->next;
		free(list);
	}
	engine_queue_counts(&q, &passed, &dropped, &held);
	ck_assert_uint_eq(passed, 3);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_uint_eq(held, 1);
	engine_queue_free(&q); /* frees t3 */
}
END_TEST

START_TEST(queue_byte_bound_spares_commands)
{
	struct engine_queue q;
	struct engine_msg *m;

	ck_assert_int_eq(engine_queue_init(&q, 100, 300), 0);
	ck_assert_int_ge(engine_queue_push(&q, msg("a", 200)), 0);
	m = msg("b", 200);
	ck_assert_int_eq(engine_queue_push(&q, m), -1); /* bytes */
	free(m);
	m = engine_msg_new(ENGINE_MSG_UNSUB, "", 0, NULL, 0, NULL, 0, NULL, 0);
	ck_assert_ptr_null(engine_msg_reply(m));
	ck_assert_int_eq(engine_queue_push(&q, m), 0); /* never refused */
	engine_queue_close(&q);
	m = msg("c", 1);
	ck_assert_int_eq(engine_queue_push(&q, m), -1); /* closed */
	free(m);
	ck_assert_int_eq(engine_queue_wait(&q, 10), 1);
	engine_queue_free(&q);
}
END_TEST

struct producer {
	struct engine_queue *q;
	int n, refused;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < p->n; i++) {
		struct engine_msg *m = engine_msg_new(
			ENGINE_MSG_PUB, "x", 1, NULL, 0, NULL, 0, &i, sizeof i);

		if (engine_queue_push(p->q, m) < 0) {
			free(m);
			p->refused++;
		}
	}
	return NULL;
}

/* One producer thread, the consumer here: every message arrives once,
 * in order, or was refused and counted. */
START_TEST(queue_across_threads)
{
	struct engine_queue q;
	struct producer p = { &q, 20000, 0 };
	pthread_t th;
	int got = 0, last = -1, more = 1, done = 0;
	uint64_t passed, dropped;
	size_t held;

	ck_assert_int_eq(engine_queue_init(&q, 64, 1 << 20), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, produce, &p), 0);
	for (int spins = 0; spins < 1000000 && !done; spins++) {
		struct engine_msg *m = engine_queue_take(&q, 16, &more), *next;

		for (; m; m = next) {
			int i;

			next = m->next;
			memcpy(&i, engine_msg_payload(m), sizeof i);
			ck_assert_int_gt(i, last);
			last = i;
			got++;
			free(m);
		}
		engine_queue_counts(&q, &passed, &dropped, &held);
		done = (uint64_t)got + dropped == (uint64_t)p.n;
		if (!done)
			engine_queue_wait(&q, 1);
	}
	pthread_join(th, NULL);
	ck_assert_int_eq(got + p.refused, p.n);
	engine_queue_free(&q);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, breaker_waits_for_the_link);
	tcase_add_test(tc, breaker_opens_on_link_loss_and_failures);
	tcase_add_test(tc, interest_counts_pattern_and_group);
	tcase_add_test(tc, queue_keeps_order_and_bounds);
	tcase_add_test(tc, queue_byte_bound_spares_commands);
	tcase_add_test(tc, queue_across_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
