/* auth_worker.c - see auth_worker.h. */
#include "config.h"

#include "auth_worker.h"

#include <crypt.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#define MAX_THREADS 4
/* The threads' nice value where SCHED_IDLE is refused (the loop's is 0):
 * the loop (every established client) wins the CPU and logins slow down
 * first (docs/BENCHMARKS.md, "Logins"). */
#define WORKER_NICE 10

struct job_list {
	struct auth_job *head, *tail;
};

struct auth_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;    /* a job was queued, or stop (CLOCK_MONOTONIC) */
	struct job_list todo; /* clean addresses' jobs */
	struct job_list suspect; /* suspect addresses' jobs */
	struct job_list done;
	size_t held;	     /* submitted, not yet handed back */
	size_t held_suspect; /* of which suspect */
	int stop;
	int pipe_rd, pipe_wr;
	struct event *wake; /* owned: pipe_rd readable */
	auth_done_fn done_fn;
	void *arg;
	pthread_t threads[MAX_THREADS];
	unsigned nthreads;
	atomic_uint share; /* percent of a CPU a thread may hash (1..100) */
};

static void list_push(struct job_list *l, struct auth_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct auth_job *list_take_all(struct job_list *l)
{
	struct auth_job *h = l->head;

	l->head = l->tail = NULL;
	return h;
}

int auth_worker_verify(const char *hash, const char *pass, void *data)
{
	const char *out = crypt_rn(pass, hash, data, sizeof(struct crypt_data));
	size_t len = strlen(hash);

	return out && out[0] != '*' && strlen(out) == len &&
	       CRYPTO_memcmp(out, hash, len) == 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct auth_job *pop(struct job_list *l)
{
	struct auth_job *j = l->head;

	l->head = j->next;
	if (!l->head)
		l->tail = NULL;
	return j;
}

/* Wait until rest_until (ns, CLOCK_MONOTONIC) or a signal on w->cv. */
static void wait_until(struct auth_worker *w, uint64_t rest_until)
{
	struct timespec ts = {
		.tv_sec = (time_t)(rest_until / 1000000000u),
		.tv_nsec = (long)(rest_until % 1000000000u),
	};

	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

/* The head of l when it may be taken now: once the thread's rest is
 * over, or at once when nobody waits for it any more (no hash then). */
static struct auth_job *ready(struct job_list *l, int rested)
{
	if (l->head && (rested || atomic_load(&l->head->cancelled)))
		return pop(l);
	return NULL;
}

/* The next job (NULL: stopping), a clean address's before a suspect's,
 * once this thread's rest (rest_until) is over. */
static struct auth_job *take(struct auth_worker *w, uint64_t rest_until)
{
	struct auth_job *j = NULL;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int rested = mono_ns() >= rest_until;

		if ((j = ready(&w->todo, rested)) ||
		    (j = ready(&w->suspect, rested)))
			break;
		if (w->todo.head || w->suspect.head)
			wait_until(w, rest_until);
		else
			pthread_cond_wait(&w->cv, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return j;
}

/* Put j on the done list; wake the loop when the list was empty. */
static void give_back(struct auth_worker *w, struct auth_job *j)
{
	int was_empty;
	char one = 1;

	pthread_mutex_lock(&w->mu);
	was_empty = w->done.head == NULL;
	list_push(&w->done, j);
	pthread_mutex_unlock(&w->mu);
	if (was_empty && write(w->pipe_wr, &one, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
}

/* Run the hashes only on CPU time nobody else wants (SCHED_IDLE), so a
 * login storm cannot take the CPU from the loop or from the clients on the
 * same host; where SCHED_IDLE is refused, fall back to WORKER_NICE. */
static void lower_priority(void)
{
	struct sched_param sp = { 0 };

	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
			    WORKER_NICE);
}

/* This thread's CPU time, in nanoseconds. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* After a failed check that took used_ns of CPU: until when this thread
 * rests, so that failures stay within w->share percent of its time.
 * Hashes are memory-hard: even at SCHED_IDLE they take the caches and
 * memory bandwidth the loop shares, so only their rate bounds what a
 * storm of bad logins costs established clients.  Good passwords cost no
 * rest: a fleet reconnecting after a restart (nothing cached yet) logs
 * in at full speed; during a storm, clean addresses' checks come first
 * and wait for one rest at most. */
static uint64_t rest_after(const struct auth_worker *w, uint64_t used_ns)
{
	unsigned share = atomic_load(&w->share);

	if (share >= 100)
		return 0;
	return mono_ns() + used_ns * (100 - share) / share;
}

static void *thread_main(void *arg)
{
	struct auth_worker *w = arg;
	struct crypt_data *data = calloc(1, sizeof *data);
	struct auth_job *j;
	uint64_t rest_until = 0;

	lower_priority();
	while ((j = take(w, rest_until)) != NULL) {
		uint64_t t0 = thread_cpu_ns();
		int hashed = data && !atomic_load(&j->cancelled);
		int ok = hashed && auth_worker_verify(j->hash, j->pass, data);

		j->ok = ok;
		j->hashed = hashed;
		give_back(w, j); /* j is the loop's again */
		if (hashed && !ok)
			rest_until = rest_after(w, thread_cpu_ns() - t0);
	}
	if (data) {
		OPENSSL_cleanse(data, sizeof *data);
		free(data);
	}
	return NULL;
}

/* The pipe said jobs are done: hand them all to the callback. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_worker *w = arg;
	struct auth_job *j, *next;
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&w->mu);
	j = list_take_all(&w->done);
	pthread_mutex_unlock(&w->mu);
	for (; j; j = next) {
		next = j->next;
		w->held--;
		w->held_suspect -= j->suspect != 0;
		w->done_fn(j, w->arg);
	}
}

/* Start the threads with every signal blocked (the loop takes them). */
static int start_threads(struct auth_worker *w, unsigned n)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (w->nthreads = 0; w->nthreads < n; w->nthreads++)
		if (pthread_create(&w->threads[w->nthreads], NULL, thread_main,
				   w) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return w->nthreads == n ? 0 : -1;
}

static int open_pipe(struct auth_worker *w)
{
	int fds[2];

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	w->pipe_rd = fds[0];
	w->pipe_wr = fds[1];
	return 0;
}

struct auth_worker *auth_worker_new(struct event_base *base, unsigned nthreads,
				    unsigned share, auth_done_fn done,
				    void *arg)
{
	struct auth_worker *w = calloc(1, sizeof *w);
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	auth_worker_set_share(w, share);
	w->pipe_rd = w->pipe_wr = -1;
	w->done_fn = done;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (open_pipe(w) != 0 ||
	    !(w->wake = event_new(base, w->pipe_rd, EV_READ | EV_PERSIST,
				  wake_cb, w)) ||
	    event_add(w->wake, NULL) != 0 ||
	    start_threads(w, nthreads < 1	      ? 1
			     : nthreads > MAX_THREADS ? MAX_THREADS
						      : nthreads) != 0) {
		auth_worker_free(w);
		return NULL;
	}
	return w;
}

int auth_worker_submit(struct auth_worker *w, struct auth_job *job)
{
	if (w->held >= AUTH_WORKER_MAX_QUEUE ||
	    (job->suspect && w->held_suspect >= AUTH_WORKER_MAX_SUSPECT))
		return -1;
	w->held++;
	w->held_suspect += job->suspect != 0;
	pthread_mutex_lock(&w->mu);
	list_push(job->suspect ? &w->suspect : &w->todo, job);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void auth_worker_set_share(struct auth_worker *w, unsigned share)
{
	atomic_store(&w->share, share < 1 ? 1 : share > 100 ? 100 : share);
}

void auth_worker_cancel(struct auth_job *job)
{
	atomic_store(&job->cancelled, 1);
}

size_t auth_worker_pending(const struct auth_worker *w)
{
	return w->held;
}

static void free_jobs(struct auth_job *j)
{
	struct auth_job *next;

	for (; j; j = next) {
		next = j->next;
		OPENSSL_cleanse(j->pass, sizeof j->pass);
		free(j);
	}
}

void auth_worker_free(struct auth_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	free_jobs(list_take_all(&w->todo));
	free_jobs(list_take_all(&w->suspect));
	free_jobs(list_take_all(&w->done));
	if (w->wake)
		event_free(w->wake);
	if (w->pipe_rd >= 0)
		close(w->pipe_rd);
	if (w->pipe_wr >= 0)
		close(w->pipe_wr);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
