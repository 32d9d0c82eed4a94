#!/bin/sh
# /etc/test-init of tests/10-boot-native.sh (busybox sh): the kernel came
# up; check that as many CPUs are online as lguest.cpus= on the command
# line asks for.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

want=$(cmdline_opt lguest.cpus 1)
have=$(grep -c '^processor' /proc/cpuinfo)
echo "boot-native: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
if [ "$have" = "$want" ]; then
	result PASS
fi
result FAIL "$have CPU(s) online, want $want"
