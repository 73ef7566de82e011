#!/bin/sh
# test_install.sh - `make install DESTDIR=...` from the build tree puts every
# file where it belongs, and a program builds and runs against the installed
# header, library and pkg-config file.  Then `make install prefix=/usr`
# (what a packager does after a plain ./configure) must install files that
# name /usr, never /usr/local, and every path they name must be a file that
# was installed; the sysusers.d and tmpfiles.d snippets must match the unit.  Needs $ABS_BUILDDIR (set by `make check`); exits 77
# (skipped) without it or without pkg-config.
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
fail=0

# A fresh make, not the one running the test suite.
unset MAKEFLAGS MFLAGS MAKELEVEL

# install DEST [make variables...]: make install DESTDIR=DEST.
install_into() {
	d=$1
	shift
	if ! ${MAKE:-make} -C "$ABS_BUILDDIR" install DESTDIR="$d" "$@" \
		>"$tmp/install.log" 2>&1; then
		cat "$tmp/install.log"
		echo "FAIL: make install DESTDIR=$d $*"
		exit 1
	fi
}

# One installed file matching a path suffix, or "" when there is none.
installed() {
	find "$dest" -path "*/$1" \( -type f -o -type l \) | head -n 1
}

# ---- the default prefix ---------------------------------------------------
dest="$tmp/root"
install_into "$dest"

for f in sbin/brokerd bin/broker-pub bin/broker-sub bin/broker-req \
	bin/broker-reply man3/libbrokerclient.3 \
	libbrokerclient.so libbrokerclient.a include/brokerclient.h \
	pkgconfig/brokerclient.pc pkgconfig/libbrokerclient.pc \
	etc/brokerd.conf systemd/system/brokerd.service \
	lib/sysusers.d/brokerd.conf lib/tmpfiles.d/brokerd.conf \
	man8/brokerd.8 man5/brokerd.conf.5 man1/broker-pub.1 \
	man1/broker-sub.1 man1/broker-req.1 man1/broker-reply.1 \
	bin/broker-stat man1/broker-stat.1; do
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

# Build against the installed files only, through both pkg-config names.
pcdir=$(dirname "$(installed pkgconfig/brokerclient.pc)")
libdir=$(dirname "$(installed libbrokerclient.so)")
cat >"$tmp/prog.c" <<'PROG'
#include <brokerclient.h>
#include <stdio.h>
#include <string.h>

/* Prints the library's version, which must be the header's. */
int main(void)
{
	bc_options *o = bc_options_new();
	const char *s = bc_strerror(0);
	char hdr[32];

	if (!o || !s || !*s)
		return 1;
	bc_options_free(o);
	snprintf(hdr, sizeof hdr, "%d.%d.%d", BC_VERSION_MAJOR,
		 BC_VERSION_MINOR, BC_VERSION_PATCH);
	if (strcmp(bc_version(), hdr) != 0 ||
	    bc_version_number() != BC_VERSION_NUMBER ||
	    BC_VERSION_NUMBER != (BC_VERSION_MAJOR << 16 |
				  BC_VERSION_MINOR << 8 | BC_VERSION_PATCH)) {
		fprintf(stderr, "library %s, header %s\n", bc_version(), hdr);
		return 1;
	}
	printf("%s\n", bc_version());
	return 0;
}
PROG
for pc in libbrokerclient brokerclient; do
	flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
		pkg-config --cflags --libs $pc) || {
		echo "FAIL: pkg-config $pc"
		exit 1
	}
	echo "pkg-config $pc: $flags"
	# shellcheck disable=SC2086
	if ! ${TEST_CC:-cc} -o "$tmp/prog" "$tmp/prog.c" $flags \
		${TEST_LDFLAGS:-}; then
		echo "FAIL: compiling against the installed header and library"
		exit 1
	fi
	v=$(LD_LIBRARY_PATH="$libdir" "$tmp/prog") || {
		echo "FAIL: the program built against the installed library"
		exit 1
	}
	pcv=$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion $pc)
	if [ "$v" != "$pcv" ]; then
		echo "FAIL: bc_version() says '$v', $pc.pc '$pcv'"
		exit 1
	fi
	echo "ok: installed library version $v"
done

# libbrokerclient(3) shows every public function, and its example builds
# (through pkg-config) and works against brokerd.
page=$(installed man3/libbrokerclient.3)
srctop=${TOP_SRCDIR:-$(dirname "$0")/..}
for name in $(cat "$srctop/client/lib/libbrokerclient.sym"); do
	if ! grep -q "[ *]$name(" "$page"; then
		echo "FAIL: libbrokerclient(3) has no synopsis for $name"
		fail=1
	fi
done
[ $fail -eq 0 ] || exit 1
echo "ok: libbrokerclient(3) shows every exported function"
# The C between .EX and .EE in EXAMPLES; \e is a backslash, \- a minus.
awk '/^\.SH EXAMPLES/ { ex = 1 } ex && /^\.EE/ { exit }
	ex && on { print } ex && /^\.EX/ { on = 1 }' "$page" |
	sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$tmp/greet.c"
flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
	pkg-config --cflags --libs libbrokerclient)
# shellcheck disable=SC2086
if ! ${TEST_CC:-cc} -Wall -Wextra -Werror -o "$tmp/greet" "$tmp/greet.c" \
	$flags ${TEST_LDFLAGS:-}; then
	cat -n "$tmp/greet.c"
	echo "FAIL: the example of libbrokerclient(3) does not build"
	exit 1
fi
echo "ok: the example of libbrokerclient(3) builds"
port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null) || port=""
if [ -n "$port" ] && [ -x "${BROKERD:-}" ]; then
	"$BROKERD" -b 127.0.0.1 -p "$port" -q 2>"$tmp/brokerd.log" &
	bpid=$!
	# Up to 10 s for brokerd to listen; each try fails fast until then.
	tries=0
	until out=$(LD_LIBRARY_PATH="$libdir" "$tmp/greet" 127.0.0.1 \
		"$port" 2>"$tmp/greet.err"); do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! kill -0 $bpid 2>/dev/null; then
			cat "$tmp/greet.err" "$tmp/brokerd.log"
			kill $bpid 2>/dev/null
			echo "FAIL: the example of libbrokerclient(3) against brokerd"
			exit 1
		fi
		sleep 0.1
	done
	kill $bpid
	wait $bpid
	if [ "$out" != "greetings.world: hello" ]; then
		echo "FAIL: the example printed '$out'"
		exit 1
	fi
	echo "ok: the example printed '$out'"
else
	echo "note: python3 or \$BROKERD missing: the example was not run"
fi

# The installed static archive: only the public API is global in it, so a
# program may define names the library uses inside (the protocol's and
# common/'s helpers) without a clash (a link error) or, worse, the library
# calling the program's function: bc_check_topic must still refuse "a..b".
if [ -f "$libdir/libbrokerclient.a" ]; then
	sh "$srctop/tests/test_symbols.sh" \
		"$libdir/libbrokerclient.a" "$(installed libbrokerclient.so)" ||
		exit 1
	cat >"$tmp/clash.c" <<'PROG'
#include <brokerclient.h>
#include <stdio.h>

/* Names libbrokerclient uses internally; this one accepts anything. */
int proto_check_topic(const char *topic, size_t len);
int clock_mono_ms(void);
int proto_check_topic(const char *topic, size_t len)
{
	(void)topic;
	(void)len;
	return 0;
}
int clock_mono_ms(void) { return 8; }

int main(void)
{
	bc_options *o = bc_options_new();

	if (!o || bc_check_topic("a.b") != BC_OK ||
	    bc_check_topic("a..b") != BC_ERR_INVALID ||
	    proto_check_topic("a..b", 4) != 0 || clock_mono_ms() != 8)
		return 1;
	bc_options_free(o);
	return 0;
}
PROG
	libs=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
		pkg-config --static --libs libbrokerclient |
		sed 's/-lbrokerclient//')
	cflags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
		pkg-config --cflags libbrokerclient)
	# shellcheck disable=SC2086
	if ! ${TEST_CC:-cc} -o "$tmp/clash" "$tmp/clash.c" $cflags \
		"$libdir/libbrokerclient.a" $libs ${TEST_LDFLAGS:-} ||
		! "$tmp/clash"; then
		echo "FAIL: a program defining proto_check_topic and" \
			"clock_mono_ms with the static library"
		exit 1
	fi
	echo "ok: static library, program with the library's internal names"
fi

# ---- make install prefix=/usr after configuring for /usr/local ------------
dest="$tmp/usr-root"
install_into "$dest" prefix=/usr

# must_name FILE TEXT: FILE (installed, under $dest) contains TEXT.
must_name() {
	if grep -qF -- "$2" "$dest$1"; then
		echo "ok: $1 names $2"
	else
		echo "FAIL: $1 does not name $2:"
		cat "$dest$1"
		fail=1
	fi
}
# exists PATH: a file was installed at PATH (under $dest).
exists() {
	if [ -f "$dest$1" ]; then
		echo "ok: $1 installed"
	else
		echo "FAIL: $1 is named but was not installed"
		fail=1
	fi
}

unit=/usr/lib/systemd/system/brokerd.service
named="$unit /usr/lib/pkgconfig/libbrokerclient.pc
	/usr/lib/pkgconfig/brokerclient.pc /usr/share/man/man8/brokerd.8
	/usr/share/man/man5/brokerd.conf.5"
for f in $named; do
	exists "$f"
	if [ -f "$dest$f" ] && grep -n -e /usr/local -e "$dest" "$dest$f"; then
		echo "FAIL: $f names /usr/local or the DESTDIR (above)"
		fail=1
	fi
done
[ $fail -eq 0 ] || exit 1

must_name $unit "ExecStart=/usr/sbin/brokerd -f -c /usr/etc/brokerd.conf"
must_name $unit "ExecStartPre=/usr/sbin/brokerd --check-config -c /usr/etc/"
for pc in libbrokerclient brokerclient; do
	must_name /usr/lib/pkgconfig/$pc.pc "libdir=/usr/lib"
	must_name /usr/lib/pkgconfig/$pc.pc "includedir=/usr/include"
done
must_name /usr/share/man/man8/brokerd.8 ".I /usr/etc/brokerd.conf"
must_name /usr/share/man/man8/brokerd.8 ".I $unit"
must_name /usr/share/man/man5/brokerd.conf.5 ".I /usr/etc/brokerd.conf"
must_name $unit "/usr/lib/sysusers.d/brokerd.conf"
must_name $unit "/usr/lib/tmpfiles.d/brokerd.conf"
must_name /usr/share/man/man8/brokerd.8 ".I /usr/lib/sysusers.d/brokerd.conf"
must_name /usr/share/man/man8/brokerd.8 ".I /usr/lib/tmpfiles.d/brokerd.conf"
for f in /usr/sbin/brokerd /usr/etc/brokerd.conf /usr/lib/libbrokerclient.so \
	/usr/include/brokerclient.h /usr/lib/sysusers.d/brokerd.conf \
	/usr/lib/tmpfiles.d/brokerd.conf; do
	exists "$f"
done
# The snippets declare what the unit uses: its user and group, and its
# runtime directory, owned by that user.
must_name $unit "User=brokerd"
must_name $unit "Group=brokerd"
must_name $unit "RuntimeDirectory=brokerd"
if ! grep -q '^u brokerd ' "$dest/usr/lib/sysusers.d/brokerd.conf" ||
	! grep -q '^d /run/brokerd [0-7]* brokerd brokerd ' \
		"$dest/usr/lib/tmpfiles.d/brokerd.conf"; then
	echo "FAIL: sysusers.d or tmpfiles.d snippet does not match the unit"
	fail=1
fi
exit $fail
