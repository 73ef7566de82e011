/*
 * nats_tls_bench.c - the other side of docs/BENCHMARKS.md's TLS table:
 * one publisher and one subscriber (two connections of libnats, the NATS
 * C client, in one process) send N messages of SIZE bytes through a
 * nats-server on 127.0.0.1:PORT, plain or over TLS (--tls CAFILE), and
 * print the delivered rate.  Like broker-bench's throughput run: the
 * clock runs from the first publish to the last message received; the
 * publisher stays at most WINDOW messages ahead of the subscriber (as
 * broker-bench's default window does), so nothing is dropped.
 *
 * Build: gcc -O2 -o nats_tls_bench nats_tls_bench.c -lnats
 * Run:   nats_tls_bench PORT N SIZE [CAFILE]
 */
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW 30000

static atomic_long got;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		   void *arg)
{
	(void)nc;
	(void)sub;
	(void)arg;
	atomic_fetch_add(&got, 1);
	natsMsg_Destroy(m);
}

static natsConnection *conn(int port, const char *ca)
{
	natsOptions *o = NULL;
	natsConnection *nc = NULL;
	char url[64];
	natsStatus s;

	snprintf(url, sizeof url, "%s://127.0.0.1:%d", ca ? "tls" : "nats",
		 port);
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, url);
	if (s == NATS_OK && ca)
		s = natsOptions_LoadCATrustedCertificates(o, ca);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, o);
	natsOptions_Destroy(o);
	if (s != NATS_OK) {
		fprintf(stderr, "connect %s: %s\n", url, natsStatus_GetText(s));
		exit(1);
	}
	return nc;
}

int main(int argc, char **argv)
{
	natsConnection *pc, *sc;
	natsSubscription *sub = NULL;
	long n, i;
	size_t size;
	char *data;
	double t0, t1;

	if (argc < 4) {
		fprintf(stderr, "usage: %s PORT N SIZE [CAFILE]\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	size = (size_t)atol(argv[3]);
	data = calloc(1, size);
	sc = conn(atoi(argv[1]), argc > 4 ? argv[4] : NULL);
	pc = conn(atoi(argv[1]), argc > 4 ? argv[4] : NULL);
	if (natsConnection_Subscribe(&sub, sc, "bench", on_msg, NULL) !=
		    NATS_OK ||
	    natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK ||
	    natsConnection_Flush(sc) != NATS_OK)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++) {
		while (i - atomic_load(&got) > WINDOW)
			nats_Sleep(0);
		natsConnection_Publish(pc, "bench", data, (int)size);
	}
	natsConnection_Flush(pc);
	for (i = 0; atomic_load(&got) < n && i < 60000; i++)
		nats_Sleep(1);
	t1 = now();
	printf("%s delivered %ld of %ld msgs of %zu B in %.3f s: %.0f msgs/s\n",
	       argc > 4 ? "tls" : "plain", (long)atomic_load(&got), n, size,
	       t1 - t0, atomic_load(&got) / (t1 - t0));
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(pc);
	natsConnection_Destroy(sc);
	free(data);
	return atomic_load(&got) == n ? 0 : 1;
}
