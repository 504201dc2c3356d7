#!/usr/bin/env bash
# realkvm/lab/fetch.sh <kernel-dir> [6.1|6.12] - put Debian's kernel, its modules and its headers
# into <kernel-dir>/root (extracted with dpkg-deb -x: nothing is installed, the running system is
# untouched) and print the kernel version. Idempotent: a complete cache is reused as is.
# 6.1 (default) is bookworm's linux-image-amd64 from the system's own apt lists; 6.12 is
# trixie's, through a private apt source list and package lists in <kernel-dir>/apt (the
# system's sources stay untouched), plus trixie's libc6 for the kbuild tools built against it.
# The lab also needs qemu-system-x86, busybox-static and cpio installed; this script installs
# them with apt-get when it runs as root, and otherwise says which package is missing.
set -euo pipefail
cache=$1 series=${2:-6.1}
case $series in 6.1|6.12) ;; *) echo "The real-KVM lab knows the kernels 6.1 (bookworm) and 6.12 (trixie), not $series." >&2; exit 2 ;; esac
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

need_pkg() {	# <command> <package>
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "The real-KVM lab needs $1 from the Debian package $2, which is not installed and installing it needs root (apt-get install $2)." >&2
		exit 3
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } ||
		{ echo "apt-get could not install $2 for the real-KVM lab (no network to the Debian mirror?)." >&2; exit 3; }
}
need_pkg qemu-system-x86_64 qemu-system-x86
need_pkg busybox busybox-static
need_pkg cpio cpio
# grep reads the whole list: with -q it would stop at the match, busybox would die of SIGPIPE and
# pipefail would call the static build missing (seen as a random skip of the real-KVM UI test).
command -v busybox >/dev/null && busybox --list | grep -x insmod >/dev/null ||
	{ echo "The busybox found is not the static build with insmod; install busybox-static." >&2; exit 3; }

if [ -f "$cache/version" ] && [ -d "$cache/root/lib/modules/$(cat "$cache/version")" ]; then
	cat "$cache/version"
	exit 0
fi

# trixie's package lists, apart from the system's: apt-get and apt-cache read only these.
apt_suite() { "$@"; }
if [ "$series" = 6.12 ]; then
	aptdir="$cache/apt"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$aptdir/sources.list"
	apt_suite() {
		local tool=$1; shift
		"$tool" -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
			-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache" -o APT::Sandbox::User="$(id -un)" "$@"
	}
	[ -n "$(ls "$aptdir/lists" | grep -v -x partial)" ] || apt_suite apt-get update -qq >/dev/null 2>&1 ||
		{ echo "apt-get update for Debian trixie failed (no network to deb.debian.org, or a keyring without trixie's key?)." >&2; exit 3; }
fi

# linux-image-amd64 depends on the current ABI's package, linux-image-<ver>-amd64.
image=$(apt_suite apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
if [ -z "$image" ] && [ "$series" = 6.1 ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	image=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
fi
[ -n "$image" ] || { echo "apt-cache knows no linux-image-amd64 package: the real-KVM lab needs Debian's package lists (apt-get update)." >&2; exit 3; }
ver=${image#linux-image-}
case $ver in "$series".*|"$series"-*) ;; *) echo "Debian's linux-image-amd64 for the $series lab is $ver, another series." >&2; exit 3 ;; esac
headers=linux-headers-$ver
common=$(apt_suite apt-cache depends "$headers" | sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -1)
kbuild=$(apt_suite apt-cache depends "$headers" | sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -1)
libc=
[ "$series" = 6.12 ] && libc=libc6

dl="$cache/debs"
mkdir -p "$dl"
(cd "$dl" && apt_suite apt-get download -qq "$image" "$headers" "$common" "$kbuild" $libc >/dev/null 2>&1) ||
	{ echo "apt-get download of $image and its headers failed (no network to the Debian mirror?)." >&2; exit 3; }
rm -rf "$cache/root" "$cache/libc"
mkdir -p "$cache/root"
for deb in "$dl"/*.deb; do
	case $deb in */libc6_*) dpkg-deb -x "$deb" "$cache/libc" ;; *) dpkg-deb -x "$deb" "$cache/root" ;; esac
done
rm -rf "$dl"
# trixie's kbuild tools (fixdep, modpost, objtool, ...) need glibc 2.38 (bookworm has 2.36): each
# runs under trixie's own loader and libc (kept in <kernel-dir>/libc, used for nothing else),
# with its own name as argv[0]: objtool and modpost find their .real-<arch> programs by it.
if [ -n "$libc" ]; then
	lib="$cache/libc/usr/lib/x86_64-linux-gnu"
	for tool in $(find "$cache"/root/usr/lib/linux-kbuild-* -type f -perm -u+x); do
		[ "$(head -c 4 "$tool" | tail -c 3)" = ELF ] || continue
		mv "$tool" "$tool.trixie"
		printf '#!/bin/sh\nexec "%s" --library-path "%s" --argv0 "$0" "%s" "$@"\n' "$lib/ld-linux-x86-64.so.2" "$lib" "$tool.trixie" >"$tool"
		chmod +x "$tool"
	done
fi
# Keep only the modules the lab's /init loads (modules.list): 390 MB of drivers shrink to ~3 MB.
# trixie keeps them under /usr/lib/modules, xz-compressed; the lab wants plain .ko files in
# lib/modules/<ver>/lab. A module built into this kernel (modules.builtin) needs no file.
here=$(dirname "$0")
mdir="$cache/root/lib/modules/$ver"
[ -d "$mdir/kernel" ] || mdir="$cache/root/usr/lib/modules/$ver"
lab="$cache/root/lib/modules/$ver/lab"
mkdir -p "$lab"
for m in $(grep -v '^#' "$here/modules.list"); do
	f=$(find "$mdir/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
	if [ -z "$f" ]; then
		grep -q "/$m\.ko\$" "$mdir/modules.builtin" 2>/dev/null && continue
		[ "$m" = fscache ] && [ "$series" = 6.12 ] && continue	# part of netfs since 6.4
		echo "Debian's $image has no $m module, which the real-KVM lab needs." >&2; exit 3
	fi
	case $f in *.xz) busybox xzcat "$f" >"$lab/$m.ko" ;; *) mv "$f" "$lab/" ;; esac	# busybox: xz-utils is not always installed
done
rm -rf "$mdir/kernel" "$cache/root/usr/share"
echo "$ver" >"$cache/version"
echo "$ver"
