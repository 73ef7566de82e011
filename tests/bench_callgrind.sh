#!/bin/bash
# bench_callgrind.sh BROKERD [OUT] - count brokerd's instructions with
# callgrind on a fixed workload, so builds can be compared on a noisy,
# shared machine (instruction counts do not depend on the load).
#   workload: 200,000 x 16 B 1->1, then 50,000 x 128 B to 10 subscribers
#   BROKER_BENCH: the client (default client/broker-bench; keep it the same
#   binary across the builds compared)
# Prints "Collected : N" (instructions); OUT (default ./callgrind.out) can
# be read with callgrind_annotate.  Needs valgrind and python3.
set -u
b=${1:?usage: bench_callgrind.sh BROKERD [OUT]}
out=${2:-callgrind.out}
bench=${BROKER_BENCH:-client/broker-bench}
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$out" "$b" -p "$port" \
	-b 127.0.0.1 >/dev/null 2>"$out.log" &
vp=$!
for _ in $(seq 1 100); do
	(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
"$bench" -p "$port" --pub 1 --sub 1 --size 16 --count 200000 \
	--timeout 120 >"$out.bench" 2>&1
"$bench" -p "$port" --pub 1 --sub 10 --size 128 --count 50000 \
	--timeout 120 >>"$out.bench" 2>&1
kill -TERM "$vp"
wait "$vp"
grep -o 'Collected : [0-9]*' "$out.log"
