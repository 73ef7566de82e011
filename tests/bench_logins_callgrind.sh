#!/bin/bash
# bench_logins_callgrind.sh CONF LABEL - brokerd (from the build directory)
# under callgrind with one output file per thread, one login, then 1,999
# more at 200/s (bench_logins, every one good), then SIGTERM.  Prints each
# thread's instruction count: cg-LABEL.out-01 is the event loop, -02 the
# password worker (when CONF has a users_file).  Compare a CONF with a
# users file (user alice, password wonderland) and one without to get the
# loop's cost of a login (docs/BENCHMARKS.md "Logins").  Needs valgrind.
set -u
conf=${1:?usage: bench_logins_callgrind.sh CONF LABEL}
label=${2:?usage: bench_logins_callgrind.sh CONF LABEL}
P=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
valgrind --tool=callgrind --separate-threads=yes \
	--callgrind-out-file="cg-$label.out" broker/brokerd -c "$conf" \
	-b 127.0.0.1 -p "$P" >"cg-$label.log" 2>&1 &
VP=$!
for _ in $(seq 1 200); do
	(echo >"/dev/tcp/127.0.0.1/$P") 2>/dev/null && break
	sleep 0.1
done
tests/bench_logins "$P" alice wonderland 1 2 0
tests/bench_logins "$P" alice wonderland 200 10 0
kill -TERM $VP
wait $VP
for f in "cg-$label.out"-*; do
	echo "$f $(grep -m1 '^summary' "$f")"
done
