#!/bin/sh
# /etc/test-init of the lguest host in tests/40-lguest.sh (busybox sh):
# runs guests with /lguest and checks how each one ends (and that it
# leaves no guest page pinned: an exact count from /proc/vmstat).
#   0. /launcher_abi (the kselftest tools/testing/selftests/lguest):
#      /dev/lguest answers bad input from a Launcher with the documented
#      errors, and its guests leave no page pinned
#   1. the smoke suite's memory fuzzer (mapfuzz) runs here, natively: a
#      failure here is the fuzzer's own; then a 64 MB guest runs the smoke
#      suite, mapfuzz with it; its 1 s sleep is timed here
#   2. a 512 MB guest boots and sees its memory
#   3. a guest that panics: the Launcher exits 2 and prints the reason
#   4. a guest right after the panic
#   5. SIGTERM to the Launcher while its guest runs: it exits 2, saying so
#   6. the Launcher killed with SIGKILL while its guest runs
#   7. a guest right after the kill
#   8. with lg.ko, rmmod works: nothing holds the module any more
# The guests' consoles are copied to this console (so a WARNING or BUG in
# a guest fails the run too), the panicking guest's with its panic lines
# renamed, since they are expected there.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

GUEST="/guest-bzImage"

# stamp: prefix each line with the host's uptime in seconds.
stamp() {
	while IFS= read -r line; do
		read -r up _ </proc/uptime
		echo "$up $line"
	done
}

# launch NAME MEM [ARGS...]: run a guest to its end, its console (stdout
# and stderr of the Launcher, time-stamped) in /tmp/NAME.log and on this
# console; the Launcher's exit status in /tmp/NAME.rc (124 if it still ran
# after 10 minutes: a hung guest).
launch() {
	name=$1 mem=$2
	shift 2
	echo "host: guest $name: lguest --initrd=/guest.cpio.gz $mem $GUEST $*"
	{
		timeout 600 /lguest --initrd=/guest.cpio.gz "$mem" "$GUEST" "$@" </dev/null 2>&1
		echo "$?" >"/tmp/$name.rc"
	} | stamp | tee "/tmp/$name.log"
	echo "host: guest $name: Launcher exit status $(cat "/tmp/$name.rc")"
}

# expect NAME STATUS: the Launcher of NAME exited STATUS, and for status
# 0 the guest said PASS; the guest left no page pinned.
expect() {
	check_unpinned "$pins_at_start"
	rc=$(cat "/tmp/$1.rc")
	if [ "$rc" != "$2" ]; then
		fail "guest $1: Launcher exit status $rc, want $2"
	elif [ "$2" = 0 ] && ! grep -q 'LGUEST-GUEST: PASS' "/tmp/$1.log"; then
		fail "guest $1: no 'LGUEST-GUEST: PASS'"
	fi
}

echo "host: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
load_lg
[ -c /dev/lguest ] || result FAIL "no /dev/lguest"
p=$(pinned)
pins_at_start=${p% *}

echo "host: /launcher_abi: bad input to /dev/lguest"
{
	timeout 1800 /launcher_abi </dev/null 2>&1
	echo "$?" >/tmp/abi.rc
} | tee /tmp/abi.log
rc=$(cat /tmp/abi.rc)
[ "$rc" = 0 ] || fail "launcher_abi: exit status $rc ($(grep -c '^not ok' /tmp/abi.log) tests, $(grep -c '^# FAIL' /tmp/abi.log) checks failed)"
grep -q '^# Totals: pass:[1-9][0-9]* fail:0 xfail:0 xpass:0 skip:0 error:0$' /tmp/abi.log ||
	fail "launcher_abi: no clean TAP totals line"
check_unpinned "$pins_at_start"

echo "host: /smoke mapfuzz, natively"
/smoke mapfuzz || fail "smoke mapfuzz fails natively: the fuzzer's model is wrong"

launch smoke 64 lgtest=smoke
expect smoke 0
grep -q 'smoke: 11 passed, 0 failed' /tmp/smoke.log || fail "smoke suite"
slept=$(awk '/SLEEP-START/ { a = $1 } /SLEEP-END/ { b = $1 }
	END { if (a && b) printf "%.2f", b - a }' /tmp/smoke.log)
echo "host: the guest's 'sleep 1' took ${slept:-?} s of host time"
if [ -z "$slept" ] || ! awk -v s="$slept" 'BEGIN { exit !(s >= 0.9 && s <= 2.5) }'; then
	fail "guest sleep 1 took ${slept:-?} s of host time, want 0.9-2.5"
fi

launch big 512 lgtest=boot lgmem=512
expect big 0

echo "host: guest panic: expected panic lines renamed 'guest-panic'"
{
	/lguest --initrd=/guest.cpio.gz 64 "$GUEST" rdinit=/no-init init=/no-init </dev/null 2>&1
	echo "$?" >/tmp/panic.rc
} | sed -e 's/Kernel panic/guest-panic/' -e 's/Call Trace:/guest-panic trace:/' |
	tee /tmp/panic.log
expect panic 2
# The Launcher must print the reason the guest's panic gave.
why=$(sed -n 's/.*guest-panic - not syncing: //p' /tmp/panic.log | tr -d '\r' | head -n 1)
echo "host: the guest's panic: '$why'"
if [ -z "$why" ]; then
	fail "guest panic: the guest did not panic"
elif ! grep -qF "lguest: guest died: guest panic: $why" /tmp/panic.log; then
	fail "guest panic: no 'lguest: guest died: guest panic: $why' from the Launcher"
fi

launch after-panic 64 lgtest=boot
expect after-panic 0

# start_waiting NAME: start a guest that waits forever, in the background
# (its Launcher's pid in $pid), and wait until it says so.
start_waiting() {
	/lguest --initrd=/guest.cpio.gz 64 "$GUEST" lgtest=wait </dev/null >"/tmp/$1.log" 2>&1 &
	pid=$!
	i=0
	while ! grep -q GUEST-WAITING "/tmp/$1.log" && [ $i -lt 300 ]; do
		sleep 1
		i=$((i + 1))
	done
	cat "/tmp/$1.log"
	grep -q GUEST-WAITING "/tmp/$1.log" && return 0
	fail "guest $1: the guest never said GUEST-WAITING"
	kill -KILL "$pid"
	return 1
}

# stop_guest NAME SIG STATUS [TEXT]: send SIG to the Launcher of a waiting
# guest; it must exit with STATUS (and print TEXT), leaving no page pinned.
stop_guest() {
	start_waiting "$1" || return
	kill -"$2" "$pid"
	wait "$pid"
	rc=$?
	tail -n 1 "/tmp/$1.log"
	check_unpinned "$pins_at_start"
	[ "$rc" = "$3" ] || fail "SIG$2: Launcher exit status $rc, want $3"
	[ -z "${4:-}" ] || grep -q "$4" "/tmp/$1.log" ||
		fail "SIG$2: no '$4' from the Launcher"
}

echo "host: guest stopped: SIGTERM to its Launcher interrupts the running guest"
stop_guest term TERM 2 'stopped by signal 15'
echo "host: guest killed: SIGKILL to its Launcher"
stop_guest kill KILL 137

launch after-kill 64 lgtest=boot
expect after-kill 0

# Before rmmod: the backtraces name lg.ko's functions only while it is in.
check_kmemleak
if [ -f /lg.ko ]; then
	rmmod lg || fail "rmmod lg: the module is still in use"
fi
dmesg | grep -i lguest | tail -n 20
checks_done
