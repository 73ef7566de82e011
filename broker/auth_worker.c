/* auth_worker.c - see auth_worker.h. */
#include "config.h"

#include "auth_worker.h"

#include <crypt.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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
	pthread_cond_t cv;
	struct job_list todo, done;
	size_t held; /* submitted, not yet handed back */
	int stop;
	int pipe_rd, pipe_wr;
	struct event *wake; /* owned: pipe_rd readable */
	auth_done_fn done_fn;
	void *arg;
	pthread_t threads[MAX_THREADS];
	unsigned nthreads;
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

/* Wait for a job (NULL: stopping). */
static struct auth_job *take(struct auth_worker *w)
{
	struct auth_job *j;

	pthread_mutex_lock(&w->mu);
	while (!w->stop && !w->todo.head)
		pthread_cond_wait(&w->cv, &w->mu);
	j = w->stop ? NULL : w->todo.head;
	if (j) {
		w->todo.head = j->next;
		if (!w->todo.head)
			w->todo.tail = NULL;
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

static void *thread_main(void *arg)
{
	struct auth_worker *w = arg;
	struct crypt_data *data = calloc(1, sizeof *data);
	struct auth_job *j;

	lower_priority();
	while ((j = take(w)) != NULL) {
		j->ok = data && !atomic_load(&j->cancelled) &&
			auth_worker_verify(j->hash, j->pass, data);
		give_back(w, j);
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
				    auth_done_fn done, void *arg)
{
	struct auth_worker *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	w->pipe_rd = w->pipe_wr = -1;
	w->done_fn = done;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
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
	if (w->held >= AUTH_WORKER_MAX_QUEUE)
		return -1;
	w->held++;
	pthread_mutex_lock(&w->mu);
	list_push(&w->todo, job);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
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
