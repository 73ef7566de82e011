/*
 * bench_pub.c - publishers: send as fast as the library's output buffer
 * allows, or on a fixed schedule (rate mode), then end with an
 * acknowledged empty publish: the broker answers it only after it has
 * taken every message before it, so its arrival ends the publisher's time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench_run.h"
#include "bench_stamp.h"
#include "clock.h"

/* Messages per pump call before the loop gets to read and write. */
#define PUB_BATCH 64

int bench_pub_init(struct bench_client *k,
		   void (*cb)(evutil_socket_t, short, void *))
{
	size_t size = k->b->cfg->size;

	k->payload = malloc(size);
	k->pump = event_new(k->b->base, -1, 0, cb, k);
	if (!k->payload || !k->pump)
		return -1;
	for (size_t i = 0; i < size; i++)
		k->payload[i] = (uint8_t)('a' + i % 26);
	k->target = bench_share(k->b->cfg, (int)k->idx);
	return 0;
}

void bench_pub_free(struct bench_client *k)
{
	if (k->pump)
		event_free(k->pump);
	free(k->payload);
	k->pump = NULL;
	k->payload = NULL;
}

void bench_pub_start(struct bench_client *k)
{
	event_active(k->pump, EV_TIMEOUT, 0);
}

/* Publishers are spread evenly over one interval. */
uint64_t bench_pub_due(const struct bench_client *k)
{
	const struct bench *b = k->b;
	uint64_t offset = b->interval_ns * k->idx / (uint64_t)b->cfg->npub;

	return b->t_start + offset + k->sent * b->interval_ns;
}

enum bench_send bench_pub_state(const struct bench_client *k, uint64_t now)
{
	const struct bench *b = k->b;

	if (k->target && k->sent >= k->target)
		return BENCH_SEND_DONE;
	if (b->t_end && now >= b->t_end)
		return BENCH_SEND_DONE;
	if (b->interval_ns && bench_pub_due(k) > now)
		return BENCH_SEND_LATER;
	return BENCH_SEND_NOW;
}

void bench_pub_rearm(struct bench_client *k, enum bench_block blocked,
		     uint64_t now)
{
	struct timeval tv = { 0, BENCH_WINDOW_RETRY_US };
	uint64_t due;

	k->blocked = blocked;
	if (blocked == BENCH_OUTBUF)
		return; /* bench_pub_drained re-activates the pump */
	if (blocked == BENCH_WINDOW) {
		k->b->nwindow_blocked++;
		event_add(k->pump, &tv);
		return;
	}
	if (!k->b->interval_ns) {
		event_active(k->pump, EV_TIMEOUT, 0);
		return;
	}
	due = bench_pub_due(k);
	due = due > now ? due - now : 0;
	tv = clock_ns_tv(due);
	event_add(k->pump, &tv);
}

/* Run k's pump soon, whatever it was waiting for. */
static void wake(struct bench_client *k)
{
	if (k->blocked == BENCH_WINDOW)
		k->b->nwindow_blocked--;
	k->blocked = BENCH_FREE;
	event_del(k->pump);
	event_active(k->pump, EV_TIMEOUT, 0);
}

void bench_pub_wake(struct bench *b)
{
	if (!b->nwindow_blocked || bench_window_room(b) < b->window / 2)
		return;
	for (int i = 0; i < b->cfg->npub; i++)
		if (b->cl[i].blocked == BENCH_WINDOW)
			wake(&b->cl[i]);
}

void bench_pub_drained(bc_client *c, void *arg)
{
	struct bench_client *k = arg;

	(void)c;
	if (k->blocked == BENCH_OUTBUF && k->b->phase == BENCH_RUNNING)
		wake(k);
}

static void pub_acked(bc_client *c, int err, void *arg)
{
	struct bench_client *k = arg;

	(void)c;
	if (k->b->phase == BENCH_DONE)
		return;
	if (err != BC_OK) {
		bench_fail(k->b, "publisher %u: final acknowledgement: %s",
			   k->idx, bc_strerror(err));
		return;
	}
	bench_sender_done(k);
}

/* Send the closing acknowledged publish; 1 if the buffer was full. */
static int pub_close(struct bench_client *k)
{
	int rc = bc_publish_ex(k->c, BENCH_SYNC_TOPIC, NULL, 0, NULL, pub_acked,
			       k);

	if (rc == BC_ERR_WOULDBLOCK)
		return 1;
	if (rc != BC_OK)
		bench_fail(k->b, "publisher %u: %s", k->idx, bc_strerror(rc));
	else
		k->ack_sent = 1;
	return 0;
}

/* Publish one message stamped with its intended (rate mode) or actual
 * send time.  BC_OK, BC_ERR_WOULDBLOCK, or another error. */
static int pub_one(struct bench_client *k, uint64_t now)
{
	struct bench *b = k->b;
	uint64_t when = b->interval_ns ? bench_pub_due(k) : now;
	int rc;

	bench_stamp_write(k->payload, when, k->idx, k->sent);
	rc = bc_publish(k->c, b->cfg->topic, k->payload, b->cfg->size);
	if (rc != BC_OK)
		return rc;
	bench_note_send(b, when, now);
	k->sent++;
	b->sent_total++;
	return BC_OK;
}

void bench_pub_pump(evutil_socket_t fd, short what, void *arg)
{
	struct bench_client *k = arg;
	enum bench_send st = BENCH_SEND_NOW;
	enum bench_block block = BENCH_FREE;
	uint64_t now = clock_mono_ns(), room;
	int rc = BC_OK;

	(void)fd;
	(void)what;
	if (k->b->phase != BENCH_RUNNING || k->ack_sent)
		return;
	if (k->blocked == BENCH_WINDOW) /* the safety-net timer */
		k->b->nwindow_blocked--;
	k->blocked = BENCH_FREE;
	room = bench_window_room(k->b);
	for (int i = 0; i < PUB_BATCH; i++) {
		if ((st = bench_pub_state(k, now)) != BENCH_SEND_NOW)
			break;
		if (room-- == 0) {
			block = BENCH_WINDOW;
			break;
		}
		if ((rc = pub_one(k, now)) != BC_OK)
			break;
		/* Only the fixed-rate schedule needs the time per message;
		 * flat out, once per batch is enough for --duration. */
		if (k->b->interval_ns)
			now = clock_mono_ns();
	}
	if (rc == BC_ERR_WOULDBLOCK) {
		rc = BC_OK;
		block = BENCH_OUTBUF;
	}
	if (rc != BC_OK) {
		bench_fail(k->b, "publisher %u: %s", k->idx, bc_strerror(rc));
		return;
	}
	if (st == BENCH_SEND_DONE && block == BENCH_FREE) {
		if (pub_close(k))
			bench_pub_rearm(k, BENCH_OUTBUF, now);
		return;
	}
	bench_pub_rearm(k, block, now);
}
