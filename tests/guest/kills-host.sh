#!/bin/sh
# /etc/test-init of scripts/bench-kills.sh (busybox sh): SIGKILL a Launcher
# running a 64 MB guest with a busy disk, over and over, and print the
# host's free memory and pinned pages after every six kills. The
# figures are for reading (is anything growing with the number of killed
# guests?); the init only fails if a Launcher cannot be run.
# shellcheck source=tests/guest/lib.sh
. /etc/test-lib.sh

rounds=$(cat /etc/kills-rounds)

stats() {
	p=$(pinned)
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk -v kills="$1" -v pins="${p% *}" -v taken="${p#* }" '
	/^(MemFree|Slab):/ { m[$1] = $2 }
	END {
		printf "KILLS: %5d %11d %7d %7d %11d\n", kills, m["MemFree:"],
			m["Slab:"], pins, taken
	}' /proc/meminfo
}

load_lg
dd if=/dev/zero of=/tmp/k.img bs=1M count=32 2>/dev/null
echo "KILLS: kills  MemFree/kB Slab/kB  pinned  pins-taken"
stats 0
n=0
r=0
while [ $r -lt "$rounds" ]; do
	for delay in 0 1 2 3 5 8; do
		/lguest --block=/tmp/k.img --rng --initrd=/guest.cpio.gz 64 /guest-bzImage \
			lgtest=blk-flush lgseed=41 </dev/null >/tmp/kill.log 2>&1 &
		pid=$!
		sleep "$delay"
		kill -KILL "$pid"
		wait "$pid"
		[ $? = 137 ] || { cat /tmp/kill.log; result FAIL "the Launcher did not run"; }
		n=$((n + 1))
	done
	sleep 1
	stats $n
	r=$((r + 1))
done
result PASS
