#!/bin/sh
# /etc/test-init of the lguest guest in tests/40-lguest.sh (busybox sh).
# lgtest= on the command line picks what the guest does:
#   smoke  run /smoke (tests/guest/smoke.c), check the host's counters
#          in debugfs (lguest/host_stats, lguest/null_hcall) and time a
#          1 s sleep for the host, which sees the SLEEP-START/SLEEP-END lines
#   boot   report the memory the guest has and the CPU it sees
#   wait   say GUEST-WAITING and sleep until the host kills the Launcher
# then print "LGUEST-GUEST: PASS" or "LGUEST-GUEST: FAIL why" and power
# off (a reboot would restart the guest in its Launcher).

verdict() {
	echo "LGUEST-GUEST: $*"
	poweroff -f
	sleep 10
}

mode=$(grep -o 'lgtest=[a-z]*' /proc/cmdline)
mode=${mode#lgtest=}
echo "guest: $(uname -srm), mode ${mode:-none}, $(grep MemTotal /proc/meminfo)"
case $mode in
smoke)
	/smoke || verdict FAIL "smoke suite"
	grep -m1 'model name' /proc/cpuinfo || verdict FAIL "no model name in /proc/cpuinfo"
	# The host's counters, read by the guest (LHCALL_READ_STATS): a
	# write of 1000 to null_hcall makes at least 1000 more flush_async.
	mount -t debugfs none /sys/kernel/debug
	st=/sys/kernel/debug/lguest
	host_stat() { awk -v n="$1" '$1 == n { print $2 }' $st/host_stats; }
	before=$(host_stat hcall_flush_async)
	echo 1000 >$st/null_hcall || verdict FAIL "no lguest/null_hcall in debugfs"
	after=$(host_stat hcall_flush_async)
	echo "guest: host_stats: hcall_flush_async $before -> $after, exits $(host_stat exits)"
	if [ "$((after - before))" -lt 1000 ] || [ "$(host_stat exits)" -le "$after" ]; then
		verdict FAIL "lguest/host_stats does not count the null hypercalls"
	fi
	echo "SLEEP-START"
	sleep 1
	echo "SLEEP-END"
	verdict PASS
	;;
boot)
	kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
	echo "guest: MemTotal ${kb} kB"
	want=$(grep -o 'lgmem=[0-9]*' /proc/cmdline)
	want=${want#lgmem=}
	# The kernel and the reserved areas take a few MB of the total.
	if [ -n "$want" ] && [ "$kb" -lt $((want * 1024 * 9 / 10)) ]; then
		verdict FAIL "MemTotal ${kb} kB for a ${want} MB guest"
	fi
	verdict PASS
	;;
wait)
	echo "GUEST-WAITING"
	while :; do sleep 1; done
	;;
*)
	verdict FAIL "no lgtest= mode on the command line"
	;;
esac
