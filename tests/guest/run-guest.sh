#!/bin/sh
# /etc/test-init of the guest that scripts/run.sh starts (busybox sh):
# with lgrun=shell on the command line, a login shell on the console
# (exit or Ctrl-D powers the guest off); otherwise a greeting and power
# off.
echo "guest: $(uname -srm), $(grep MemTotal /proc/meminfo | tr -s ' ')"
grep -m1 'model name' /proc/cpuinfo
if grep -q 'lgrun=shell' /proc/cmdline; then
	echo "guest: busybox shell in an lguest guest; 'exit' powers the guest off"
	setsid cttyhack sh -l
else
	echo "LGUEST-GUEST: PASS"
fi
poweroff -f
