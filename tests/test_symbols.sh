#!/bin/sh
# test_symbols.sh - libbrokerclient exports its public API and nothing else:
# every global symbol the shared library exports (dynamic symbols) and
# every global symbol the static archive defines starts with bc_ and is
# listed in client/lib/libbrokerclient.sym; each listed name is exported by
# the shared library.  A program of the library's users that defines, say,
# proto_decode must link.
#
# Usage: test_symbols.sh [LIBRARY...]   (.so or .a files; without arguments,
# the build tree's, found through $ABS_BUILDDIR as set by `make check`).
# The list comes from $TOP_SRCDIR (or the script's own tree).  Exits 77
# (skipped) when nm is missing or there is no library to check.
set -u

top=${TOP_SRCDIR:-$(dirname "$0")/..}
sym="$top/client/lib/libbrokerclient.sym"
nm=${NM:-nm}
if ! command -v "${nm%% *}" >/dev/null 2>&1; then
	echo "test_symbols: nm not found"
	exit 77
fi
if [ $# -eq 0 ]; then
	if [ -z "${ABS_BUILDDIR:-}" ]; then
		echo "test_symbols: no library given and ABS_BUILDDIR not set"
		exit 77
	fi
	for f in "$ABS_BUILDDIR"/client/.libs/libbrokerclient.so \
		"$ABS_BUILDDIR"/client/.libs/libbrokerclient.a; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if [ $# -eq 0 ]; then
		echo "test_symbols: no libbrokerclient built"
		exit 77
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/brokerd-symbols-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
sort -u "$sym" >"$tmp/want"
fail=0

for lib in "$@"; do
	case $lib in
	*.a) opts="-g --defined-only" ;;
	*) opts="-D --defined-only" ;;
	esac
	# "ADDRESS TYPE NAME" (nm -B); an upper-case type is a global one.
	# shellcheck disable=SC2086
	if ! $nm $opts "$lib" >"$tmp/nm" 2>"$tmp/err"; then
		cat "$tmp/err"
		echo "FAIL: $nm $opts $lib"
		exit 1
	fi
	awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' "$tmp/nm" |
		sort -u >"$tmp/have"
	if [ ! -s "$tmp/have" ]; then
		echo "FAIL: $lib: no global symbols at all"
		fail=1
		continue
	fi
	bad=$(comm -23 "$tmp/have" "$tmp/want")
	if [ -n "$bad" ]; then
		echo "FAIL: $lib: global symbols outside the public API:"
		echo "$bad" | sed 's/^/  /'
		fail=1
	else
		echo "ok: $lib: $(wc -l <"$tmp/have") global symbols, all" \
			"in libbrokerclient.sym"
	fi
	if grep -v '^bc_' "$tmp/have" >"$tmp/notbc"; then
		echo "FAIL: $lib: global symbols not starting with bc_:"
		sed 's/^/  /' "$tmp/notbc"
		fail=1
	fi
	case $lib in
	*.a) ;;
	*)
		missing=$(comm -13 "$tmp/have" "$tmp/want")
		if [ -n "$missing" ]; then
			echo "FAIL: $lib: listed in libbrokerclient.sym," \
				"not exported:"
			echo "$missing" | sed 's/^/  /'
			fail=1
		fi
		;;
	esac
done
exit $fail
