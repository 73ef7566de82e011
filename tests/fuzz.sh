#!/bin/sh
# fuzz.sh - build tests/fuzz_decode.c (and tests/fuzz_users.c) with clang's
# libFuzzer (plus ASan and UBSan) and run each for a bounded time on a copy
# of its seed corpus.  Any
# crash or sanitizer report fails the test.  Exit 77 (automake: SKIP) when
# clang or libFuzzer is not available.
#
# Environment: CLANG (default clang), FUZZ_SECONDS (default 20).
# Build products stay in the build directory (fuzz/ under the cwd).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
clang=${CLANG:-clang}
seconds=${FUZZ_SECONDS:-20}
out=fuzz
mkdir -p "$out" || exit 1

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "fuzz.sh: SKIP: $clang not found"
	exit 77
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
' { (void)d; (void)n; return 0; }\n' > "$out/probe.c"
if ! "$clang" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" \
	>"$out/probe.log" 2>&1; then
	echo "fuzz.sh: SKIP: $clang cannot build with -fsanitize=fuzzer"
	exit 77
fi
msgpack=$(pkg-config --cflags --libs msgpack 2>/dev/null) || {
	echo "fuzz.sh: SKIP: pkg-config cannot find msgpack"
	exit 77
}

# shellcheck disable=SC2086 # $msgpack is a list of flags
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$srcdir/protocol" \
	"$srcdir/tests/fuzz_decode.c" "$srcdir"/protocol/mp_read.c \
	"$srcdir"/protocol/proto_*.c $msgpack -o "$out/fuzz_decode" || {
	echo "fuzz.sh: FAIL: could not build the fuzz target"
	exit 1
}

rm -rf "$out/corpus"
mkdir -p "$out/corpus"
cp "$srcdir"/tests/corpus/* "$out/corpus/"
echo "fuzz.sh: running fuzz_decode for ${seconds}s"
if ! "$out/fuzz_decode" -max_total_time="$seconds" -timeout=10 \
	-rss_limit_mb=1024 -artifact_prefix="$out/" "$out/corpus" \
	>"$out/fuzz.log" 2>&1; then
	tail -n 40 "$out/fuzz.log"
	echo "fuzz.sh: FAIL: a crash was found (input saved under $out/)"
	exit 1
fi
tail -n 3 "$out/fuzz.log"

# The users file parser (tests/fuzz_users.c), FUZZ_USERS_SECONDS (default
# 10), when acl.c (the rule sets it fills) is in the tree.
users_seconds=${FUZZ_USERS_SECONDS:-10}
if [ -f "$srcdir/broker/acl.c" ]; then
	"$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -include config.h -I. \
		-I"$srcdir/broker" -I"$srcdir/protocol" \
		"$srcdir/tests/fuzz_users.c" "$srcdir/broker/users.c" \
		"$srcdir/broker/users_parse.c" "$srcdir/broker/acl.c" \
		"$srcdir/broker/acl_pattern.c" \
		"$srcdir/broker/conf_pool.c" "$srcdir/broker/conf_value.c" \
		"$srcdir/protocol/proto_check.c" \
		"$srcdir/protocol/proto_names.c" -lcrypt \
		-o "$out/fuzz_users" || {
		echo "fuzz.sh: FAIL: could not build fuzz_users"
		exit 1
	}
	rm -rf "$out/corpus_users"
	mkdir -p "$out/corpus_users"
	cp "$srcdir"/tests/corpus_users/* "$out/corpus_users/"
	echo "fuzz.sh: running fuzz_users for ${users_seconds}s"
	if ! "$out/fuzz_users" -max_total_time="$users_seconds" -timeout=10 \
		-rss_limit_mb=1024 -max_len=4096 -artifact_prefix="$out/users-" \
		"$out/corpus_users" >"$out/fuzz_users.log" 2>&1; then
		tail -n 40 "$out/fuzz_users.log"
		echo "fuzz.sh: FAIL: fuzz_users found a crash (input under $out/)"
		exit 1
	fi
	tail -n 3 "$out/fuzz_users.log"
fi
echo "fuzz.sh: PASS"
exit 0
