/* monitor_connz.c - see monitor_connz.h. */
#include "config.h"

#include "monitor_connz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <event2/buffer.h>

#include "broker.h"
#include "conn.h"
#include "monitor_json.h"
#include "pool.h"
#include "users.h"

enum sort_key {
	BY_CID,
	BY_START,
	BY_PENDING_BYTES,
	BY_PENDING_MSGS,
	BY_MSGS_OUT,
	BY_BYTES_OUT,
	BY_MSGS_IN,
	BY_BYTES_IN,
	BY_SUBS,
	BY_DROPS,
};

static const char *const sort_names[] = {
	"cid",	     "start",	"pending_bytes", "pending_msgs", "msgs_out",
	"bytes_out", "msgs_in", "bytes_in",	 "subs",	 "drops",
};
#define NSORT (sizeof sort_names / sizeof sort_names[0])

/* One connection and its sort key, arranged so that a larger key comes
 * first (ascending keys are stored inverted); ties: lower cid first. */
struct row {
	uint64_t key;
	const struct conn *c;
};

static const char *const state_names[] = { "handshake", "ready", "draining",
					   "closing" };

static int sort_parse(const char *s, enum sort_key *k)
{
	if (!s[0]) {
		*k = BY_CID;
		return 0;
	}
	for (size_t i = 0; i < NSORT; i++)
		if (strcmp(s, sort_names[i]) == 0) {
			*k = (enum sort_key)i;
			return 0;
		}
	return -1;
}

static uint64_t key_of(const struct conn *c, enum sort_key k)
{
	switch (k) {
	case BY_CID:
		return UINT64_MAX - c->id;
	case BY_START:
		return UINT64_MAX - (uint64_t)c->since_ms;
	case BY_PENDING_BYTES:
		return conn_out_pending(c);
	case BY_PENDING_MSGS:
		return outq_len(&c->ob.q);
	case BY_MSGS_OUT:
		return c->io.msgs_out;
	case BY_BYTES_OUT:
		return c->io.bytes_out;
	case BY_MSGS_IN:
		return c->io.msgs_in;
	case BY_BYTES_IN:
		return c->io.bytes_in;
	case BY_SUBS:
		return subs_count(&c->subs);
	default:
		return c->io.drops;
	}
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return a->c->id < b->c->id ? -1 : a->c->id > b->c->id;
}

/* "ip", "port": the address, null for a Unix socket. */
static int addr_json(struct evbuffer *o, const struct conn_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return evbuffer_add_printf(o, "\"ip\":null,\"port\":null") < 0;
	if (!inet_ntop(a->family, a->ip, ip, sizeof ip))
		strcpy(ip, "?");
	return evbuffer_add_printf(o, "\"ip\":\"%s\",\"port\":%u", ip,
				   (unsigned)a->port) < 0;
}

/* Append a string literal. */
#define LIT(o, s) evbuffer_add((o), (s), sizeof(s) - 1)

static int conn_json(struct evbuffer *o, const struct conn *c)
{
	const struct conn_io *io = &c->io;
	int rc = evbuffer_add_printf(o, "{\"cid\":%llu,",
				     (unsigned long long)c->id) < 0;

	rc |= addr_json(o, &c->addr);
	rc |= LIT(o, ",\"name\":");
	rc |= monitor_json_str(o, c->name);
	rc |= LIT(o, ",\"user\":");
	rc |= monitor_json_str(o, c->user ? c->user->name : NULL);
	rc |= LIT(o, ",\"pool\":");
	rc |= monitor_json_str(o, c->ob.pool->lim.name);
	rc |= evbuffer_add_printf(
		      o,
		      ",\"state\":\"%s\",\"tls\":%s,\"subscriptions\":%zu,"
		      "\"pending_bytes\":%zu,\"pending_msgs\":%zu,"
		      "\"msgs_in\":%llu,\"bytes_in\":%llu,\"msgs_out\":%llu,"
		      "\"bytes_out\":%llu,\"drops\":%llu,\"paused\":%s,"
		      "\"connected_unix\":%.3f}",
		      state_names[c->state & 3], c->tls ? "true" : "false",
		      subs_count(&c->subs), conn_out_pending(c),
		      outq_len(&c->ob.q), (unsigned long long)io->msgs_in,
		      (unsigned long long)io->bytes_in,
		      (unsigned long long)io->msgs_out,
		      (unsigned long long)io->bytes_out,
		      (unsigned long long)io->drops,
		      c->pause ? "true" : "false",
		      (double)c->since_ms / 1000.0) < 0;
	return rc;
}

/* Every connection with its key, sorted.  NULL when out of memory (or
 * there are none: *n is 0 then). */
static struct row *sorted_rows(const struct broker *b, enum sort_key k,
			       size_t *n)
{
	struct row *rows;
	const struct conn *c;
	size_t i = 0;

	*n = 0;
	if (b->nconns == 0 || !(rows = malloc(b->nconns * sizeof *rows)))
		return NULL;
	TAILQ_FOREACH(c, &b->conns, link)
	{
		if (i == b->nconns)
			break;
		rows[i].key = key_of(c, k);
		rows[i++].c = c;
	}
	qsort(rows, i, sizeof *rows, row_cmp);
	*n = i;
	return rows;
}

static double now_unix(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int monitor_connz(const struct broker *b, const struct monitor_page *p,
		  struct evbuffer *out)
{
	enum sort_key k;
	struct row *rows;
	size_t n, end;
	int rc;

	if (sort_parse(p->sort, &k) != 0)
		return 1;
	rows = sorted_rows(b, k, &n);
	if (!rows && b->nconns > 0)
		return -1;
	rc = evbuffer_add_printf(out,
				 "{\"now_unix\":%.3f,\"total\":%zu,"
				 "\"offset\":%zu,\"limit\":%zu,\"sort\":\"%s\","
				 "\"connections\":[",
				 now_unix(), n, p->offset, p->limit,
				 sort_names[k]) < 0;
	end = p->offset < n
		      ? (n - p->offset < p->limit ? n : p->offset + p->limit)
		      : p->offset;
	for (size_t i = p->offset; i < end; i++) {
		if (i > p->offset)
			rc |= evbuffer_add(out, ",", 1);
		rc |= conn_json(out, rows[i].c);
	}
	rc |= evbuffer_add(out, "]}\n", 3);
	free(rows);
	return rc ? -1 : 0;
}
