#!/bin/bash
# bench_churn_callgrind.sh BROKERD [PAIRS] - brokerd's instructions per
# SUB+UNSUB pair (issue #17's churn), counted with callgrind so builds can
# be compared on a noisy, shared machine.
#   workload: one connection, HELLO, then PAIRS (default 100000) pairs
#   SUB [4, req_id, sid, "flood.N", nil] + UNSUB [5, 0, sid] (what
#   broker-bench's churn flood sends), in batches of 1000 pairs, each
#   batch's OKs awaited; the same run with PAIRS/5 pairs is subtracted, so
#   start-up, HELLO and teardown cancel out.
# Prints "Ir per pair: N" and each run's total; OUT files in ${TMPDIR:-/tmp}.
# Needs valgrind, python3 and python3-msgpack.
set -eu
b=${1:?usage: bench_churn_callgrind.sh BROKERD [PAIRS]}
pairs=${2:-100000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

drive() { # PORT PAIRS
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
import msgpack
port, pairs = int(sys.argv[1]), int(sys.argv[2])
def fr(*f):
    b = msgpack.packb(list(f), use_bin_type=True)
    return struct.pack(">I", len(b)) + b
s = socket.create_connection(("127.0.0.1", port), timeout=60)
buf = b""
def read_bodies(n):
    global buf
    got = 0
    while got < n:
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
            ln = struct.unpack(">I", buf[:4])[0]
            body = msgpack.unpackb(buf[4:4 + ln], raw=False)
            buf = buf[4 + ln:]
            if body == [7]:                     # PING (valgrind is slow)
                s.sendall(fr(8))
                continue
            if body[0] != 9 and body[0] != 2:   # OK, WELCOME
                sys.exit("unexpected frame %r" % (body,))
            got += 1
            if got == n:
                return
        d = s.recv(1 << 16)
        if not d:
            sys.exit("broker closed the connection")
        buf += d
s.sendall(fr(1, 1, "churn-callgrind"))
read_bodies(1)
req = 1
for first in range(0, pairs, 1000):
    out = []
    for i in range(first, min(first + 1000, pairs)):
        req += 1
        out.append(fr(4, req, i + 1, "flood.%d" % i, None))
        out.append(fr(5, 0, i + 1))
    s.sendall(b"".join(out))
    read_bodies(len(out) // 2)
s.close()
PY
}

run() { # PAIRS OUT
	local port vp
	port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
	valgrind --tool=callgrind --callgrind-out-file="$2" "$b" -p "$port" \
		-b 127.0.0.1 >/dev/null 2>"$2.log" &
	vp=$!
	for _ in $(seq 1 100); do
		(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	drive "$port" "$1" || { kill -TERM "$vp"; wait "$vp"; exit 1; }
	kill -TERM "$vp"
	wait "$vp" || true
	grep -o 'Collected : [0-9]*' "$2.log" | grep -o '[0-9]*$'
}

small=$((pairs / 5))
a=$(run "$small" "$dir/small.out")
z=$(run "$pairs" "$dir/big.out")
cp "$dir/big.out" "${TMPDIR:-/tmp}/churn-callgrind.out"
echo "Ir with $small pairs: $a"
echo "Ir with $pairs pairs: $z"
echo "Ir per pair: $(((z - a) / (pairs - small)))"
