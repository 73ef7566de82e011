#!/bin/sh
# test_install.sh - `make install DESTDIR=...` from the build tree puts every
# file where it belongs, and a program builds and runs against the installed
# header, library and pkg-config file.  Needs $ABS_BUILDDIR (set by
# `make check`); exits 77 (skipped) without it or without pkg-config.
set -u

if [ -z "${ABS_BUILDDIR:-}" ]; then
	echo "test_install: ABS_BUILDDIR not set (run through make check)"
	exit 77
fi
if ! command -v pkg-config >/dev/null 2>&1; then
	echo "test_install: pkg-config not found"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/brokerd-install-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
dest="$tmp/root"
fail=0

# A fresh make, not the one running the test suite.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! ${MAKE:-make} -C "$ABS_BUILDDIR" install DESTDIR="$dest" \
	>"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$dest"
	exit 1
fi

# One installed file matching a path suffix, or "" when there is none.
installed() {
	find "$dest" -path "*/$1" \( -type f -o -type l \) | head -n 1
}

for f in sbin/brokerd bin/broker-pub bin/broker-sub \
	libbrokerclient.so libbrokerclient.a include/brokerclient.h \
	pkgconfig/brokerclient.pc etc/brokerd.conf \
	systemd/system/brokerd.service \
	man8/brokerd.8 man5/brokerd.conf.5 man1/broker-pub.1 \
	man1/broker-sub.1; do
	if [ -z "$(installed "$f")" ]; then
		echo "FAIL: nothing installed as */$f"
		fail=1
	else
		echo "ok: $(installed "$f" | sed "s|^$dest||")"
	fi
done
[ $fail -eq 0 ] || exit 1

unit=$(installed systemd/system/brokerd.service)
if grep -q '[$][{]' "$unit" || ! grep -q '^Type=notify' "$unit"; then
	echo "FAIL: $unit has unexpanded paths or no Type=notify"
	exit 1
fi

# Build against the installed files only.
pcdir=$(dirname "$(installed pkgconfig/brokerclient.pc)")
libdir=$(dirname "$(installed libbrokerclient.so)")
cat >"$tmp/prog.c" <<'PROG'
#include <brokerclient.h>
#include <stdio.h>

int main(void)
{
	bc_options *o = bc_options_new();
	const char *s = bc_strerror(0);

	if (!o || !s || !*s)
		return 1;
	bc_options_free(o);
	printf("installed library works: %s\n", s);
	return 0;
}
PROG
flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
	pkg-config --cflags --libs brokerclient) || {
	echo "FAIL: pkg-config brokerclient"
	exit 1
}
echo "pkg-config: $flags"
# shellcheck disable=SC2086
if ! ${TEST_CC:-cc} -o "$tmp/prog" "$tmp/prog.c" $flags ${TEST_LDFLAGS:-}; then
	echo "FAIL: compiling against the installed header and library"
	exit 1
fi
LD_LIBRARY_PATH="$libdir" "$tmp/prog" || {
	echo "FAIL: the program built against the installed library"
	exit 1
}
exit 0
