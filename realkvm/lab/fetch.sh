#!/usr/bin/env bash
# realkvm/lab/fetch.sh <cache-dir> - put Debian's kernel, its modules and its headers into
# <cache-dir>/root (extracted with dpkg-deb -x: nothing is installed, the running system is
# untouched) and print the kernel version. Idempotent: a complete cache is reused as is.
# The lab also needs qemu-system-x86, busybox-static and cpio installed; this script installs
# them with apt-get when it runs as root, and otherwise says which package is missing.
set -euo pipefail
cache=$1
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

# linux-image-amd64 depends on the current ABI's package, linux-image-<ver>-amd64.
image=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
if [ -z "$image" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	image=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
fi
[ -n "$image" ] || { echo "apt-cache knows no linux-image-amd64 package: the real-KVM lab needs Debian's package lists (apt-get update)." >&2; exit 3; }
ver=${image#linux-image-}
headers=linux-headers-$ver
common=$(apt-cache depends "$headers" | sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -1)
kbuild=$(apt-cache depends "$headers" | sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -1)

dl="$cache/debs"
mkdir -p "$dl"
(cd "$dl" && apt-get download -qq "$image" "$headers" "$common" "$kbuild" >/dev/null 2>&1) ||
	{ echo "apt-get download of $image and its headers failed (no network to the Debian mirror?)." >&2; exit 3; }
rm -rf "$cache/root"
mkdir -p "$cache/root"
for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$cache/root"; done
rm -rf "$dl"
# Keep only the modules the lab's /init loads (modules.list): 390 MB of drivers shrink to ~3 MB.
here=$(dirname "$0")
kdir="$cache/root/lib/modules/$ver/kernel"
mkdir -p "$cache/root/lib/modules/$ver/lab"
for m in $(grep -v '^#' "$here/modules.list"); do
	f=$(find "$kdir" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
	[ -n "$f" ] || { echo "Debian's $image has no $m module, which the real-KVM lab needs." >&2; exit 3; }
	mv "$f" "$cache/root/lib/modules/$ver/lab/"
done
rm -rf "$kdir" "$cache/root/usr/share"
echo "$ver" >"$cache/version"
echo "$ver"
