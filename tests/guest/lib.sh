#!/bin/sh
# Helpers for the test inits (busybox sh). scripts/mkinitramfs.sh stores
# this file as /etc/test-lib.sh in every initramfs; an init sources it.

# result PASS|FAIL [reason]: print the verdict qemu-run.sh looks for, then
# reboot (with -no-reboot, QEMU exits); or, with test.poweroff=1 on the
# command line (an lguest guest, which a reboot would restart), power off.
result() {
	echo "LGUEST-RESULT: $*"
	sync
	if grep -q 'test.poweroff=1' /proc/cmdline; then
		poweroff -f
	else
		reboot -f
	fi
	exit 0
}

# cmdline_opt NAME DEFAULT: the value of NAME=value on the kernel command
# line, or DEFAULT.
cmdline_opt() {
	# shellcheck disable=SC2013 # words, not lines
	for word in $(cat /proc/cmdline); do
		case $word in
		"$1"=*) echo "${word#*=}"; return ;;
		esac
	done
	echo "$2"
}

# For inits that make several checks: fail MESSAGE counts one failed check
# (and says so); checks_done then gives the verdict with result.
fails=0
fail() {
	echo "host: FAIL: $*"
	fails=$((fails + 1))
}
checks_done() {
	[ "$fails" = 0 ] && result PASS
	result FAIL "$fails check(s) failed"
}

# load_lg: insmod the host module if the initramfs has one (a host built
# with CONFIG_LGUEST=m); a failure ends the run.
load_lg() {
	[ ! -f /lg.ko ] || insmod /lg.ko || result FAIL "insmod lg.ko"
}

# pinned: the number of pages the kernel holds pinned (lguest pins every
# guest page a shadow page table maps), then the number of pins ever taken.
# Exact, unlike MemFree: once its Launcher is gone a guest pins nothing.
# The counters are per CPU until folded into the totals: stat_refresh
# folds them.
pinned() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk '/^nr_foll_pin_acquired / { a = $2 }
	/^nr_foll_pin_released / { r = $2 }
	END { print a - r, a }' /proc/vmstat
}

# check_unpinned N: as many pages are pinned as N (the first number pinned
# printed before the guests ran), now that the guests are gone.
check_unpinned() {
	p=$(pinned)
	echo "host: pages pinned: ${p% *} now, $1 before the guests"
	[ "${p% *}" = "$1" ] ||
		fail "$((${p% *} - $1)) pages still pinned after the guests ended"
}

# check_kmemleak: on a kernel with kmemleak (the debug host), scan for
# leaked objects and fail for each one allocated by the lguest host (a
# backtrace through lg.ko, or through drivers/lguest built in). Leaks
# elsewhere are only shown: boot-time reports are not ours to judge.
check_kmemleak() {
	km=/sys/kernel/debug/kmemleak
	[ -e /sys/kernel/debug/kmemleak ] ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -e $km ] || return 0
	# Objects must be unreferenced for two scans to be reported.
	echo scan >$km
	sleep 6
	echo scan >$km
	cat $km >/tmp/kmemleak.txt
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
	echo "host: kmemleak: $n suspected leaks"
	ours=$(awk '/^unreferenced object/ { obj = $0 } /\[lg\]|lguest|lg_cpu|guest_/ { print obj }' \
		/tmp/kmemleak.txt | sort -u | wc -l)
	if [ "$ours" -gt 0 ]; then
		cat /tmp/kmemleak.txt
		fail "kmemleak: $ours leaked objects allocated by the lguest host"
	fi
}

# wait_text FILE TEXT COUNT SECS [PID]: wait until FILE has COUNT lines
# with TEXT; 1 after SECS seconds, or as soon as process PID is gone.
# $waited is the number of seconds it took.
wait_text() {
	waited=0
	while [ "$(grep -c "$2" "$1")" -lt "$3" ]; do
		if [ $waited -ge "$4" ] || { [ -n "${5:-}" ] && ! kill -0 "$5" 2>/dev/null; }; then
			return 1
		fi
		sleep 1
		waited=$((waited + 1))
	done
}
