#!/bin/busybox sh
# The lab kernel's /init: KVM for AMD and the 9p shares, then the job the host wrote into the
# read-only share (job.sh), its results into the writable one, and power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing
for m in $(grep -v '^#' /modules.list); do
	[ -e /lib/modules/lab/$m.ko ] || continue	# built into this kernel (fetch.sh checked)
	insmod /lib/modules/lab/$m.ko || echo "hclab: insmod $m failed"
done
mkdir -p /share /out
mount -t 9p -o trans=virtio,version=9p2000.L,ro share /share
mount -t 9p -o trans=virtio,version=9p2000.L out /out
if [ -e /dev/kvm ] && [ -f /share/job.sh ]; then
	cd /share && sh /share/job.sh >/out/job.log 2>&1
	echo $? >/out/job.status
else
	echo "hclab: no /dev/kvm in the lab kernel (kvm-amd did not load)" >/out/job.log
fi
dmesg >/out/dmesg.txt
sync
poweroff -f
