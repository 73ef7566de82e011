#!/bin/sh
# run-routing.sh - the routing-at-scale comparison of issue #17: brokerd
# beside nats-server, mosquitto and redis on pubsub-bench's manytopics,
# subs, churn and inbox workloads (docs/peer-bench/README.md says what
# each measures).
#
#   docs/peer-bench/run-routing.sh [--smoke] [path/to/brokerd]
#
# Builds a private copy of the harness (PEER_BENCH, read-only, default
# /work/shared/peer-bench) with routing.patch and adapter_brokerd.c, then
# runs every workload with 3 repetitions interleaved across the brokers, a
# fresh broker per run, the broker pinned to CPU 0 and the load generator
# to CPU 1, and prints the table of medians.  --smoke runs each workload
# once at a small size (seconds), to check that everything works and
# loses nothing; the full size takes about 4 minutes (2 cores) and wants a quiet
# machine.
#
# Environment: BROKERS (default: brokerd and whichever of nats-server,
# mosquitto, redis-server are installed), PEER_BENCH, LOG (the full
# output; default routing-DATE.log in the current directory).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
smoke=0
if [ "${1:-}" = "--smoke" ]; then
	smoke=1
	shift
fi
brokerd=${1:-$root/build/broker/brokerd}
peer=${PEER_BENCH:-/work/shared/peer-bench}
log=${LOG:-routing-$(date +%Y%m%d-%H%M%S).log}

case $brokerd in
/*) ;;
*) brokerd=$(pwd)/$brokerd ;;
esac
if [ ! -x "$brokerd" ]; then
	echo "run-routing.sh: no brokerd at $brokerd (./dev.sh build first)" >&2
	exit 2
fi
if [ ! -f "$peer/main.c" ]; then
	echo "run-routing.sh: no harness at $peer (set PEER_BENCH)" >&2
	exit 2
fi

if [ -z "${BROKERS:-}" ]; then
	BROKERS=brokerd
	command -v nats-server >/dev/null && BROKERS=$BROKERS,nats
	command -v mosquitto >/dev/null && BROKERS=$BROKERS,mosquitto
	command -v redis-server >/dev/null && BROKERS=$BROKERS,redis
fi

work=$(mktemp -d /tmp/pb-routing.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cp -r "$peer"/. "$work"/
chmod -R u+w "$work"
cp "$here/adapter_brokerd.c" "$work"/
(cd "$work" && patch -s -p1 <"$here/routing.patch" && make -s >/dev/null)

# 10,000 connections: the harness raises its soft limit to the hard one and
# the broker inherits it; say so here if the hard limit is too low.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 10100 ]; then
	echo "run-routing.sh: warning: RLIMIT_NOFILE hard limit $hard < 10100;" \
		"subs needs 10,002 connections" >&2
fi

if [ "$smoke" = 1 ]; then
	set -- -r 1 --noise 0 --timeout 120 --idle 15 -n 20000 \
		--mt-conns 10 --mt-topics 2000 \
		--subs-conns 100 --subs-total 10000 --churn-pairs 10000 \
		--inbox-cycles 5000
else
	# the defaults are the issue's shapes: 10 x 10,000 (+2) subscriptions
	# and 1M publishes; 1M subscriptions on 10,000 connections and 500k
	# 1->1 messages; 1M SUB/UNSUB pairs; 200k inbox request/reply cycles
	# with 64 in flight.  mosquitto needs most of the time.
	set -- -r 3 --timeout 1800 --idle 30
fi

echo "brokerd: $brokerd"
echo "brokers: $BROKERS; full output: $log"
"$work/pubsub-bench" -b "$BROKERS" --bin "brokerd=$brokerd" \
	-w manytopics,subs,churn,inbox --md "$work/table.md" "$@" >"$log" 2>&1 || {
	echo "run-routing.sh: pubsub-bench failed; the end of $log:" >&2
	tail -20 "$log" >&2
	exit 1
}
grep -E '^(pubsub-bench|machine|pinning|noise)' "$log" || true
grep -E 'FAILED|HIT TIMEOUT|no progress' "$log" || true
echo
cat "$work/table.md"
