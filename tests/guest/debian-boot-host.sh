#!/bin/sh
# /etc/test-init of the lguest host in scripts/bench-debian.sh (busybox
# sh): boot the Debian image (QEMU's disk, /dev/vda) in a 256 MB guest
# until systemd says "Startup finished" (journald forwards it to the
# console), then stop the Launcher: the boot time is in that line.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

LOG=/tmp/guest.log
load_lg
[ -b /dev/vda ] || result FAIL "no /dev/vda: QEMU gave the host no Debian image"
/lguest --block=/dev/vda 256 /guest-bzImage root=/dev/vda ro \
	systemd.journald.forward_to_console=1 </dev/null 2>&1 | tee $LOG &
sleep 1
lpid=$(pidof lguest)
wait_text $LOG 'Startup finished in' 1 1500 "$lpid" ||
	result FAIL "no 'Startup finished in' from the guest after $waited s"
kill "$lpid"
wait
result PASS
