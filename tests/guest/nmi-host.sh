#!/bin/sh
# /etc/test-init of scripts/stress-nmi.sh (busybox sh): three 64 MB guests
# run the smoke suite one after the other while QEMU injects NMIs; then
# the NMI count of /proc/interrupts. The guests must pass.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh
load_lg
echo "NMI-STRESS: guests start"
for i in 1 2 3; do
	/lguest --initrd=/guest.cpio.gz 64 /guest-bzImage lgtest=smoke </dev/null >/tmp/g.log 2>&1
	rc=$?
	echo "NMI-STRESS: guest $i: Launcher exit status $rc"
	if [ $rc != 0 ] || ! grep -q 'smoke: 11 passed, 0 failed' /tmp/g.log; then
		fail "guest $i: $(tail -n 3 /tmp/g.log)"
	fi
done
echo "NMI-STRESS: $(grep NMI: /proc/interrupts)"
checks_done
