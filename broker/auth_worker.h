/*
 * auth_worker.h - password checks off the event-loop thread.
 *
 * crypt(3) with yescrypt costs milliseconds of CPU by design; run on the
 * loop it would stall every client for each login.  A few threads (at a
 * lower priority than the loop) take jobs from a bounded FIFO, run
 * crypt_rn, and put the job on a done list; a pipe wakes the loop, whose
 * read event hands each finished job to the done callback, in the loop
 * thread.  A pipe rather than event_active from the thread: libevent then
 * stays single-threaded (no evthread locks on every event operation of
 * the hot path).
 *
 * Ownership: a job is allocated by the caller with malloc and passed to
 * auth_worker_submit; from then on the worker owns it until it hands it
 * to the done callback, which owns it again (and frees it).  Jobs still
 * held at auth_worker_free are wiped and freed by it.  The threads read
 * only the job's hash and pass and write only its result.
 */
#ifndef BROKERD_AUTH_WORKER_H
#define BROKERD_AUTH_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "proto.h"
#include "users.h"

struct event_base;
struct auth_worker;

/* Jobs waiting or being hashed, at most (then logins are refused busy),
 * and of those, from suspect addresses: the rest stays for clean ones. */
#define AUTH_WORKER_MAX_QUEUE 256
#define AUTH_WORKER_MAX_SUSPECT 192

struct auth_job {
	/* set by the caller before submitting; read by a thread */
	char hash[USERS_MAX_HASH + 1];
	char pass[PROTO_MAX_PASS + 1];
	/* the client's address failed a login lately (authdelay_suspect):
	 * checked after every clean address's job */
	int suspect;
	/* written by a thread: 1 when pass matches hash; hashed: 1 when
	 * crypt ran (0: cancelled first) */
	int ok, hashed;
	/* set by the loop when nobody waits for the answer any more (the
	 * connection closed or timed out): a thread that has not started it
	 * skips the hash */
	atomic_int cancelled;
	struct auth_job *next; /* the worker's lists */
	void *ctx;	       /* the caller's (loop thread only) */
};

typedef void (*auth_done_fn)(struct auth_job *job, void *arg);

/* Start nthreads threads (at least 1) and the wake-up event on base.
 * Two queues: clean addresses' jobs go first, suspect ones after them.
 * After each check that fails, a thread rests in proportion to that
 * check's CPU, so that failures take at most share percent of its time
 * (1..100; 100: no rest); jobs nobody waits for are skipped even then.  done(job,
 * arg) runs in the loop thread for each finished job.  NULL on failure
 * (nothing left running). */
struct auth_worker *auth_worker_new(struct event_base *base, unsigned nthreads,
				    unsigned share, auth_done_fn done,
				    void *arg);

/* Change the share (clamped to 1..100); the next rest uses it. */
void auth_worker_set_share(struct auth_worker *w, unsigned share);

/* Queue job (owned by the worker from now on).  0, or -1 when
 * AUTH_WORKER_MAX_QUEUE jobs are already in (job not taken). */
int auth_worker_submit(struct auth_worker *w, struct auth_job *job);

/* Nobody waits for job's answer any more: skip the hash if it has not
 * started (the job still comes back to the done callback). */
void auth_worker_cancel(struct auth_job *job);

/* Jobs submitted and not yet handed back. */
size_t auth_worker_pending(const struct auth_worker *w);

/* Stop and join the threads, free the jobs still held (their passwords
 * wiped first) and w.  NULL is a no-op. */
void auth_worker_free(struct auth_worker *w);

/* Does pass match the crypt(3) string hash?  For the threads, and for
 * tests.  data: scratch of struct crypt_data size. */
int auth_worker_verify(const char *hash, const char *pass, void *data);

#endif
