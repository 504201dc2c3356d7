#!/usr/bin/env bash
# realkvm/lab/run.sh <cache-dir> <share-dir> <out-dir> - boot Debian's kernel (from fetch.sh)
# under qemu-system-x86_64 TCG with an AMD CPU model, so kvm-amd gives a real KVM; /init runs
# <share-dir>/job.sh with <share-dir> mounted read-only at /share and <out-dir> writable at
# /out, then powers off. The L1 kernel's console goes to <out-dir>/console.txt.
set -euo pipefail
cache=$1 share=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
ver=$(cat "$cache/version")
initrd="$cache/initramfs-$(cat "$here/init.sh" "$here/modules.list" | md5sum | cut -c1-12).cpio.gz"
if [ ! -f "$initrd" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/lib/modules"
	cp "$(command -v busybox)" "$tmp/bin/busybox"
	cp "$here/init.sh" "$tmp/init"
	chmod +x "$tmp/init"
	cp "$here/modules.list" "$tmp/modules.list"
	cp -r "$cache/root/lib/modules/$ver/lab" "$tmp/lib/modules/lab"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.$$"
	mv "$initrd.$$" "$initrd"
fi
# One TCG thread for both vCPUs: with a thread per vCPU (qemu 7.2's default), the lab now and
# then froze for good, a vCPU in hcvmm reported as a soft lockup and the other waiting on it
# (in a guest run, or a module load/unload beside one): 3 of ~55 boots on a quiet machine, 1
# of 3 with both host cores busy, and the CI run that hit the deadline.
exec qemu-system-x86_64 -accel tcg,thread=single -cpu EPYC -smp 2 -m 1024 -no-reboot \
	-kernel "$cache/root/boot/vmlinuz-$ver" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic" \
	-virtfs "local,path=$share,mount_tag=share,security_model=none,readonly=on" \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	-serial "file:$out/console.txt" -monitor none -display none
