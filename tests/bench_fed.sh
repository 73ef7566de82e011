#!/bin/sh
# bench_fed.sh - `make bench-fed`: messages per second across federated
# brokerd nodes beside nats-server's own cluster, same topology: three
# nats-server processes routed on 127.0.0.1, three brokerd nodes (A on
# n1, B on n2, C on n3); the publisher on A (n1), subscribers on B and C
# (n2, n3).  Each mode BENCH_RUNS times (default 3); the median is what
# docs/BENCHMARKS.md reports.  Not part of `make check`.
#
# Environment: BROKERD, BENCH_FED (set by make), NATS_SERVER (default
# nats-server), BENCH_COUNT (100000), BENCH_SIZE (128), BENCH_RUNS (3).
set -u
BROKERD=${BROKERD:-broker/brokerd}
BENCH_FED=${BENCH_FED:-tests/bench_fed}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
COUNT=${BENCH_COUNT:-100000}
SIZE=${BENCH_SIZE:-128}
RUNS=${BENCH_RUNS:-3}

for p in "$BROKERD" "$BENCH_FED" "$NATS_SERVER"; do
	[ -x "$p" ] || { echo "bench_fed.sh: $p not found" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/brokerd-benchfed.XXXXXX") || exit 1
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # PORT: bounded (10 s)
	for _ in $(seq 100); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench_fed.sh: nothing listens on $1" >&2
	exit 1
}

c1=$(free_port); c2=$(free_port); c3=$(free_port)
p1=$(free_port); p2=$(free_port); p3=$(free_port)
routes="nats://127.0.0.1:$c1,nats://127.0.0.1:$c2,nats://127.0.0.1:$c3"
for i in 1 2 3; do
	eval port=\$p$i cport=\$c$i
	"$NATS_SERVER" -a 127.0.0.1 -p "$port" -n "n$i" --cluster_name bench \
		--cluster "nats://127.0.0.1:$cport" --routes "$routes" \
		>"$tmp/n$i.log" 2>&1 &
	pids="$pids $!"
	wait_port "$port"
done
for i in 1 2 3; do
	eval nport=\$p$i
	bport=$(free_port)
	printf 'engine nats://127.0.0.1:%s\n' "$nport" >"$tmp/b$i.conf"
	"$BROKERD" -c "$tmp/b$i.conf" -b 127.0.0.1 -p "$bport" \
		>"$tmp/b$i.log" 2>&1 &
	pids="$pids $!"
	wait_port "$bport"
	eval b$i=\$bport
done

for run in $(seq "$RUNS"); do
	"$BENCH_FED" brokerd "127.0.0.1:$b1" "127.0.0.1:$b2" "127.0.0.1:$b3" \
		"$COUNT" "$SIZE"
	"$BENCH_FED" nats "nats://127.0.0.1:$p1" "nats://127.0.0.1:$p2" \
		"nats://127.0.0.1:$p3" "$COUNT" "$SIZE"
done
