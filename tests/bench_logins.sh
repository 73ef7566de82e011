#!/bin/sh
# bench_logins.sh - the login-storm measurement of docs/BENCHMARKS.md
# ("Logins"): a brokerd with a users file (one yescrypt user, anonymous
# clients allowed for broker-bench), then three times: broker-bench
# latency at 20k msgs/s for 10 s alone, and again while bench_logins
# opens 1,000 connections a second (every second one a wrong password).
# Run from the build directory after `make bench`; prints the CSV rows.
# Measures; asserts nothing.  Needs mkpasswd (Debian: whois).
set -u
B=${BROKER_BENCH:-client/broker-bench}
L=${BENCH_LOGINS:-tests/bench_logins}
D=${BROKERD:-broker/brokerd}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/brokerd-logins.XXXXXX") || exit 1
trap 'kill $BP 2>/dev/null; rm -rf "$tmp"' EXIT
printf 'user alice %s\nallow alice all >\nallow anonymous all >\n' \
	"$(mkpasswd -m yescrypt wonderland)" > "$tmp/users"
printf 'users_file %s\nallow_anonymous yes\n' "$tmp/users" > "$tmp/conf"
# FAILED_LOGIN_CPU=N: the broker's failed_login_cpu (default: its own)
[ -n "${FAILED_LOGIN_CPU:-}" ] &&
	echo "failed_login_cpu $FAILED_LOGIN_CPU" >> "$tmp/conf"
P=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
"$D" -c "$tmp/conf" -b 127.0.0.1 -p "$P" > "$tmp/log" 2>&1 &
BP=$!
sleep 1
for i in $(seq 1 "${ROUNDS:-3}"); do
	echo "base $i $($B -p "$P" --pub 1 --sub 1 --rate 20000 --duration 10 --no-progress --csv 2>/dev/null | tail -1)"
	$L "$P" alice wonderland 1000 12 "${BAD:-2}" > "$tmp/storm" 2>&1 &
	SP=$!
	sleep 1
	echo "storm $i $($B -p "$P" --pub 1 --sub 1 --rate 20000 --duration 10 --no-progress --csv 2>/dev/null | tail -1)"
	wait $SP
	echo "storm $i $(cat "$tmp/storm")"
done
