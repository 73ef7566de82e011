#!/bin/sh
# bench.sh - the standard broker-bench set (`make bench`): start brokerd on
# a free 127.0.0.1 port and run each workload once.  Takes about a minute.
#
# Environment:
#   BROKERD, BROKER_BENCH  the programs (set by `make bench`)
#   BENCH_PIN=0            do not pin (default: with taskset and >= 2 CPUs,
#                          brokerd runs on CPU 0 and broker-bench on CPU 1)
#   BENCH_CSV=FILE         also append one CSV row per workload to FILE
#   BENCH_ONLY=NAME        run only the workload NAME (see the list below)
#   BENCH_FAILFAST         the breaker fail-fast program (set by make bench)
# Not part of `make check`: performance is measured here, never asserted.
set -u

BROKERD=${BROKERD:-broker/brokerd}
BROKER_BENCH=${BROKER_BENCH:-client/broker-bench}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_CSV=${BENCH_CSV:-}
BENCH_ONLY=${BENCH_ONLY:-}

for p in "$BROKERD" "$BROKER_BENCH"; do
	if [ ! -x "$p" ]; then
		echo "bench.sh: $p not found or not executable" >&2
		exit 1
	fi
done

PIN_BROKER=
PIN_BENCH=
if [ "$BENCH_PIN" != 0 ] && command -v taskset >/dev/null 2>&1 &&
   [ "$(nproc)" -ge 2 ]; then
	PIN_BROKER="taskset -c 0"
	PIN_BENCH="taskset -c 1"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/brokerd-bench.XXXXXX") || exit 1
broker_pid=
cleanup() {
	if [ -n "$broker_pid" ]; then
		kill "$broker_pid" 2>/dev/null
		wait "$broker_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Can we connect to 127.0.0.1:$1?  (bash's /dev/tcp, else python3)
port_open() {
	if command -v bash >/dev/null 2>&1; then
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	else
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null
	fi
}

# Start brokerd on a random free port; sets PORT and broker_pid.
start_broker() {
	tries=0
	while [ $tries -lt 20 ]; do
		tries=$((tries + 1))
		PORT=$(( (($$ + tries * 7919) % 30000) + 20000 ))
		port_open $PORT && continue
		$PIN_BROKER "$BROKERD" -b 127.0.0.1 -p $PORT -q \
			>"$tmp/brokerd.log" 2>&1 &
		broker_pid=$!
		i=0
		while [ $i -lt 50 ]; do
			if ! kill -0 $broker_pid 2>/dev/null; then
				break
			fi
			if port_open $PORT; then
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		kill $broker_pid 2>/dev/null
		wait $broker_pid 2>/dev/null
		broker_pid=
	done
	echo "bench.sh: cannot start brokerd:" >&2
	cat "$tmp/brokerd.log" >&2
	exit 1
}

# brokerd's CPU time (user + system) so far, in clock ticks.
broker_ticks() {
	awk '{ print $14 + $15 }' "/proc/$broker_pid/stat" 2>/dev/null || echo 0
}

status=0
run() {
	name=$1
	shift
	if [ -n "$BENCH_ONLY" ] && [ "$BENCH_ONLY" != "$name" ]; then
		return
	fi
	echo "== $name: broker-bench -p PORT $*"
	t0=$(broker_ticks)
	$PIN_BENCH "$BROKER_BENCH" -p "$PORT" --timeout 30 "$@" || status=1
	t1=$(broker_ticks)
	awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "Broker CPU %.2f s (brokerd, during this run)\n", t / hz }'
	if [ -n "$BENCH_CSV" ]; then
		$PIN_BENCH "$BROKER_BENCH" -p "$PORT" --timeout 30 --csv \
			--no-progress "$@" > "$tmp/row.csv" || status=1
		if [ ! -s "$BENCH_CSV" ]; then
			printf 'workload,' >> "$BENCH_CSV"
			head -n 1 "$tmp/row.csv" >> "$BENCH_CSV"
		fi
		printf '%s,' "$name" >> "$BENCH_CSV"
		tail -n 1 "$tmp/row.csv" >> "$BENCH_CSV"
	fi
	echo
}

start_broker
echo "brokerd on 127.0.0.1:$PORT${PIN_BROKER:+ (pinned: brokerd CPU 0, broker-bench CPU 1)}"
echo

run pub-128        --pub 1 --sub 0  --size 128   --count 1000000
run pubsub-128     --pub 1 --sub 1  --size 128   --count 1000000
run fanout10-128   --pub 1 --sub 10 --size 128   --count 200000
run pubsub-16      --pub 1 --sub 1  --size 16    --count 1000000
run pubsub-16k     --pub 1 --sub 1  --size 16384 --count 50000
run pub4-sub1-128  --pub 4 --sub 1  --size 128   --count 1000000
run queue3-128     --pub 1 --sub 3  --queue workers --size 128 --count 1000000
run latency-20k    --pub 1 --sub 1  --size 128   --rate 20000 --duration 5
run request        --request --pub 1 --sub 1 --size 128 --count 50000
run request-8x4    --request --pub 8 --sub 4 --inflight 4 --size 128 --count 200000

# Routing at scale (issue #17), small sizes so they keep working; the full
# sizes and the conf they need are in docs/BENCHMARKS.md.  Key=value lines.
run_routing() {
	name=$1
	shift
	if [ -n "$BENCH_ONLY" ] && [ "$BENCH_ONLY" != "$name" ]; then
		return
	fi
	echo "== $name: broker-bench -p PORT --workload $*"
	$PIN_BENCH "$BROKER_BENCH" -p "$PORT" --timeout 60 \
		--broker-pid "$broker_pid" --workload "$@" || status=1
	echo
}
run_routing topics    topics --subs 20000 --count 200000
run_routing wildcards wildcards --conns 300 --count 200000
run_routing churn     churn --conns 4 --duration 2 --count 200000
run_routing subs      subs --conns 200 --subs 50000 --count 200000

# Figures `make check` checks only as behaviour (a loaded host cannot
# assert them): each script starts its own brokerd and prints its figure.
run_py() {
	name=$1
	shift
	if [ -n "$BENCH_ONLY" ] && [ "$BENCH_ONLY" != "$name" ]; then
		return
	fi
	echo "== $name: $*"
	BROKERD="$BROKERD" /usr/bin/python3 "$@"
	rc=$?
	[ $rc -eq 77 ] && echo "(skipped: no python3-msgpack)"
	[ $rc -ne 0 ] && [ $rc -ne 77 ] && status=1
	echo
}
run_py idle-memory "$(dirname "$0")/bench_idle.py"

# The breaker fail-fast time needs a broker to lose: a fresh one, which
# bench_failfast kills itself once connected.
BENCH_FAILFAST=${BENCH_FAILFAST:-tests/bench_failfast}
if [ -z "$BENCH_ONLY" ] || [ "$BENCH_ONLY" = breaker-failfast ]; then
	if ! kill -0 "$broker_pid" 2>/dev/null; then
		echo "bench.sh: brokerd died during the run; its log:" >&2
		cat "$tmp/brokerd.log" >&2
		status=1
	fi
	kill "$broker_pid" 2>/dev/null
	wait "$broker_pid" 2>/dev/null
	broker_pid=
	start_broker
	echo "== breaker-failfast: bench_failfast PORT PID"
	"$BENCH_FAILFAST" "$PORT" "$broker_pid" || status=1
	wait "$broker_pid" 2>/dev/null
	broker_pid=
	echo
fi

if [ -n "$broker_pid" ] && ! kill -0 "$broker_pid" 2>/dev/null; then
	echo "bench.sh: brokerd died during the run; its log:" >&2
	cat "$tmp/brokerd.log" >&2
	status=1
fi
exit $status
