#!/usr/bin/env bash
# dev.sh - one-command set-up, build, run and test for brokerd.
#
#   ./dev.sh run [brokerd args]  build, then run brokerd in the foreground on
#                                127.0.0.1:7654 with conf/brokerd.conf
#   ./dev.sh test                build and run the whole test suite
#   ./dev.sh test-asan           the same under AddressSanitizer + UBSan
#   ./dev.sh format [--check]    clang-format every C file (.clang-format);
#                                --check only reports, exit 1 if any differ
#   ./dev.sh build               configure and build only (into build/)
#   ./dev.sh deps                install missing build dependencies (Debian)
set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

DEPS="gcc make libevent-dev libmsgpack-dev check autoconf automake libtool pkg-config python3-msgpack libssl-dev openssl libcrypt-dev"
# libnats: federation (configure --with-nats is auto; builds without it too).
DEPS="$DEPS libnats-dev"

deps() {
	local missing=""
	for p in $DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing build dependencies:$missing" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

# build DIR [configure args...]
build() {
	local dir=$1
	shift
	deps
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		autoreconf -fi >/dev/null
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$TOP/configure" -q "$@")
	fi
	make -s -C "$dir" -j"$JOBS"
}

# check DIR: run the suite, show the logs of what failed
check() {
	local dir=$1
	if ! make -s -C "$dir" -j"$JOBS" check; then
		echo "dev.sh: test failures in $dir; logs:" >&2
		for f in "$dir"/tests/*.log; do
			[ -f "$f" ] || continue
			grep -qE ':test-result: (FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null && cat "$f" >&2
		done
		return 1
	fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
deps) deps ;;
build) build build ;;
run)
	build build
	exec build/broker/brokerd -c conf/brokerd.conf "$@"
	;;
test)
	build build
	check build
	;;
test-asan)
	build build-asan --enable-sanitizers
	BROKERD_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		check build-asan
	;;
format)
	git ls-files '*.c' '*.h' | grep -v '^docs/' > "${TMPDIR:-/tmp}/dev-fmt.$$"
	if [ "${1:-}" = --check ]; then
		xargs clang-format --dry-run --Werror <"${TMPDIR:-/tmp}/dev-fmt.$$" ||
			{ rm -f "${TMPDIR:-/tmp}/dev-fmt.$$"; echo "dev.sh: run ./dev.sh format" >&2; exit 1; }
	else
		xargs clang-format -i <"${TMPDIR:-/tmp}/dev-fmt.$$"
	fi
	rm -f "${TMPDIR:-/tmp}/dev-fmt.$$"
	;;
*)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
