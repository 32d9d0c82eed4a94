#!/bin/sh
# /etc/test-init of tests/10-boot-native.sh (busybox sh): the kernel came
# up; check that as many CPUs are online as lguest.cpus= on the command
# line asks for.
want=$(sed -n 's/.*lguest\.cpus=\([0-9]*\).*/\1/p' /proc/cmdline)
have=$(grep -c '^processor' /proc/cpuinfo)
echo "boot-native: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
if [ "$have" = "${want:-1}" ]; then
	echo "LGUEST-RESULT: PASS"
else
	echo "LGUEST-RESULT: FAIL $have CPU(s) online, want ${want:-1}"
fi
reboot -f
