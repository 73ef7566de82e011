/* monitor_subsz.c - see monitor_subsz.h. */
#include "config.h"

#include "monitor_subsz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>

#include "broker.h"
#include "monitor_json.h"
#include "router.h"
#include "trie.h"

/* Queue groups of one pattern sorted on the stack up to this many
 * members, beyond it in a heap array. */
#define SUBSZ_STACK 64

struct walk {
	struct evbuffer *out;
	size_t skip, left; /* entries to skip, then to write */
	size_t written;
	int rc;
};

/* One entry, if it is on the page.  Nonzero once the page is full. */
static int entry(struct walk *w, const char *pattern, size_t len,
		 const char *queue, size_t count)
{
	if (w->skip > 0) {
		w->skip--;
		return 0;
	}
	if (w->left == 0)
		return 1;
	(void)len; /* pattern is NUL-terminated too */
	w->rc |= evbuffer_add_printf(
			 w->out, "%s{\"pattern\":", w->written ? "," : "") < 0;
	w->rc |= monitor_json_str(w->out, pattern);
	w->rc |= evbuffer_add_printf(w->out, ",\"queue\":") < 0;
	w->rc |= monitor_json_str(w->out, queue);
	w->rc |= evbuffer_add_printf(w->out, ",\"count\":%zu}", count) < 0;
	w->written++;
	w->left--;
	return w->rc ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The queue names (interned: one pointer per group) of subs[0..n) into
 * q, sorted by name; returns how many. */
static size_t queue_names(struct trie_sub *const *subs, size_t n,
			  const char **q)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (subs[i]->queue)
			q[k++] = subs[i]->queue;
	qsort(q, k, sizeof *q, by_name);
	return k;
}

static int visit(void *arg, const char *pattern, size_t len,
		 struct trie_sub *const *subs, size_t n)
{
	const char *stack[SUBSZ_STACK], **q = stack;
	struct walk *w = arg;
	size_t k, i, run;
	int rc = 0;

	if (n > SUBSZ_STACK && !(q = malloc(n * sizeof *q))) {
		w->rc = -1;
		return -1;
	}
	k = queue_names(subs, n, q);
	if (k < n)
		rc = entry(w, pattern, len, NULL, n - k);
	for (i = 0; i < k && rc == 0; i += run) {
		for (run = 1; i + run < k && q[i + run] == q[i]; run++)
			;
		rc = entry(w, pattern, len, q[i], run);
	}
	if (q != stack)
		free(q);
	return rc;
}

int monitor_subsz(const struct broker *b, const struct monitor_page *p,
		  struct evbuffer *out)
{
	const struct trie *t = router_trie(b->router);
	struct walk w = { out, p->offset, p->limit, 0, 0 };
	struct timeval tv;

	gettimeofday(&tv, NULL);
	w.rc = evbuffer_add_printf(
		       out,
		       "{\"now_unix\":%.3f,\"subscriptions\":%zu,"
		       "\"patterns\":%zu,\"queue_groups\":%zu,\"offset\":%zu,"
		       "\"limit\":%zu,\"entries\":[",
		       (double)tv.tv_sec + (double)tv.tv_usec / 1e6,
		       trie_count(t), trie_patterns(t), trie_groups(t),
		       p->offset, p->limit) < 0;
	if (p->limit > 0)
		(void)trie_visit(t, visit, &w);
	w.rc |= evbuffer_add(out, "]}\n", 3);
	return w.rc ? -1 : 0;
}
