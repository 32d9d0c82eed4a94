#!/bin/sh
# /etc/test-init of the lguest host in tests/47-lguest-fuzz.sh (busybox
# sh): /lgfuzz (tests/guest/lgfuzz.c) with the seed and the number of
# operations in /fuzz.conf (or, with first= and count= there, those
# guests, one lgfuzz --verbose each), then a normal guest (the host still
# runs guests), then, with lg.ko, rmmod: nothing may hold the module.  The
# fuzzer itself checks that every pinned page and every page of
# SecPageTables came back; qemu-run.sh fails the run on any WARNING, BUG,
# Oops or panic of the host, and on a reset or a hang (its timeout).
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

seed=1 ops=100000 first="" count=1
# shellcheck disable=SC1091 # made by tests/47-lguest-fuzz.sh
. /fuzz.conf

echo "host: $(uname -srm), CPUs online: $(cat /sys/devices/system/cpu/online)"
load_lg
[ -c /dev/lguest ] || result FAIL "no /dev/lguest"
# lgfuzz adds up the host's counters of its guests from there.
mount -t debugfs none /sys/kernel/debug 2>/dev/null

start=$(cut -d' ' -f1 /proc/uptime)
if [ -n "${first:-}" ]; then
	# --guests FIRST:COUNT: those guests of the seed, one lgfuzz each,
	# to find the one that hangs or breaks the host.
	i=$first
	while [ "$i" -lt $((first + count)) ]; do
		echo "host: lgfuzz --seed $seed --guest $i"
		/lgfuzz --seed "$seed" --guest "$i" --verbose ||
			fail "lgfuzz --seed $seed --guest $i"
		i=$((i + 1))
	done
else
	/lgfuzz --seed "$seed" --ops "$ops" | tee /tmp/lgfuzz.log
	grep -q '^lgfuzz: PASS' /tmp/lgfuzz.log || fail "lgfuzz --seed $seed --ops $ops"
	# Its mmio blocks must reach the registers the host answers.
	n=$(sed -n 's/^lgfuzz: the host answered \([0-9]*\) device register.*/\1/p' /tmp/lgfuzz.log)
	[ "${n:-0}" -gt 0 ] || fail "lgfuzz: the host answered no device register"
fi
end=$(cut -d' ' -f1 /proc/uptime)
echo "host: lgfuzz took $start -> $end s of uptime"

echo "host: a normal guest after the fuzzer"
/lguest --initrd=/guest.cpio.gz 64 /guest-bzImage hostile=none </dev/null >/tmp/none.log 2>&1
rc=$?
tr -d '\r' </tmp/none.log
[ "$rc" = 0 ] || fail "the normal guest: Launcher exit status $rc"
grep -q 'LGUEST-GUEST: PASS' /tmp/none.log || fail "the normal guest: no PASS"
# Before rmmod: the backtraces name lg.ko's functions only while it is in.
check_kmemleak
if [ -f /lg.ko ]; then
	rmmod lg || fail "rmmod lg: the module is still in use"
fi
checks_done
